"""Digests and readable errors for the artifacts one stage writes and another trusts.

Every such artifact carries a digest its producer wrote: the npz artifacts (split, teacher cache,
evaluation arrays) a ``digest`` array, the sha256 of their other arrays (:func:`content_digest`);
the corpus its content digest inside its JSON; the vocabulary a ``vocab.json`` record beside the
model file. Every reader recomputes and compares it, so an artifact changed in place after its
producer wrote it (a flipped byte, an edit that keeps the mtime Snakemake looks at) is an error,
never used. A file that cannot be read at all (truncated, a bad CRC, not the format) is an
:class:`ArtifactError` too, naming the path, the rule that writes it and how to rebuild it,
instead of the reader's own ``BadZipFile`` or ``Bad CRC-32``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import pickle
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from lsrepro.io import atomic_savez

log = logging.getLogger(__name__)

DIGEST = "digest"


class DataIntegrityError(RuntimeError):
    """A data file is missing, truncated or does not match its published checksum."""


class ArtifactError(ValueError):
    """An artifact is missing, unreadable, or not what its producer wrote (names the path)."""


def rebuild(path: Path | str, rule: str) -> str:
    return f"rebuild it with: snakemake --forcerun {rule} (or delete {path} and run again)"


@contextmanager
def reading(path: Path | str, what: str, rule: str) -> Iterator[None]:
    """Turn the ways a damaged file fails to load into an ArtifactError naming it."""
    try:
        yield
    except FileNotFoundError as e:
        raise ArtifactError(f"{path}: {what} is missing; {rebuild(path, rule)}") from e
    except (
        zipfile.BadZipFile,
        gzip.BadGzipFile,
        EOFError,
        OSError,
        ValueError,
        KeyError,
        RuntimeError,
        pickle.UnpicklingError,
        json.JSONDecodeError,
    ) as e:
        if isinstance(e, ArtifactError):
            raise
        raise ArtifactError(
            f"{path}: unreadable {what} ({type(e).__name__}: {e}); the file is damaged or was "
            f"changed after {rule} wrote it; {rebuild(path, rule)}"
        ) from e


def content_digest(arrays: dict[str, np.ndarray]) -> str:
    """sha256 over every array's name, dtype, shape and bytes (in name order)."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def save_npz(path: Path | str, **arrays: np.ndarray) -> str:
    """Write ``arrays`` atomically with their :func:`content_digest`; returns the digest."""
    if DIGEST in arrays:
        raise ValueError(f"{path}: {DIGEST!r} is reserved for the content digest")
    digest = content_digest(arrays)
    atomic_savez(path, **arrays, **{DIGEST: np.asarray(digest)})
    return digest


def load_npz(path: Path | str, what: str, rule: str) -> dict[str, np.ndarray]:
    """The arrays :func:`save_npz` wrote, their digest checked (an error names the path)."""
    with reading(path, what, rule), np.load(path, allow_pickle=False) as z:
        arrays = {key: z[key] for key in z.files}
    stored = arrays.pop(DIGEST, None)
    if stored is None:
        log.warning("%s: %s written before artifacts carried a digest; not checked", path, what)
        return arrays
    actual = content_digest(arrays)
    if str(stored) != actual:
        raise ArtifactError(
            f"{path}: {what} does not match the digest {rule} wrote into it ({str(stored)[:16]} "
            f"vs {actual[:16]}): it was changed after it was written; {rebuild(path, rule)}"
        )
    return arrays
