"""Atomic writes and run metadata: no half-written file is ever taken for a finished one."""

from __future__ import annotations

import errno
import glob
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_path(path: Path | str, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; renamed onto ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A writer killed mid-write (SIGKILL) leaves its temporary file behind; one job owns each
    # output, so any such file of this path is stale: remove it rather than keep it forever.
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*{suffix}"):
        stale.unlink(missing_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    tmp = Path(name)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; give the file the usual mode
    try:
        yield tmp
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


class DiskFullError(OSError):
    """A write failed because its file system is full (or over quota); names the path."""


_FULL = (errno.ENOSPC, errno.EDQUOT)


def disk_full_cause(error: BaseException | None) -> OSError | None:
    """The ENOSPC/EDQUOT OSError somewhere in ``error``'s chain, or None. Writers that wrap the
    file object (torch.save: "unexpected pos"; zipfile) raise their own error on top of it."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in _FULL:
            return error
        error = error.__cause__ or error.__context__
    return None


def _disk_full_error(path: Path, cause: OSError) -> DiskFullError:
    try:
        free = f"{shutil.disk_usage(path.parent).free / 2**20:.1f} MiB free there now"
    except OSError:
        free = "free space unknown"
    return DiskFullError(
        cause.errno,
        f"{os.strerror(cause.errno)} while writing {path} ({free}, after the unfinished file "
        f"was removed); free space on that file system and run the workflow again: finished "
        f"outputs are untouched and training resumes from its last checkpoint",
        str(path),
    )


#: A temporary file of :func:`atomic_path` untouched this long belongs to no running writer.
STALE_AFTER_S = 3600
_TEMPORARY = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")  # mkstemp(prefix=".name.", ".tmp")


def sweep_stale_temporaries(root: Path | str, older_than_s: float = STALE_AFTER_S) -> list[Path]:
    """Delete the temporary files that killed writers left under ``root`` (atomic_path's
    ``.<name>.<random>.tmp``) and that nothing has written for ``older_than_s`` seconds.

    atomic_path removes those of a path when the path is written again; this sweep (run by
    Snakemake's ``onstart``, under its directory lock) removes those of outputs no longer
    wanted. A writer still running elsewhere (a cluster job of a killed ``snakemake``) keeps
    its file's mtime fresh, so it is left alone. Returns the removed paths.
    """
    import time

    root = Path(root)
    if not root.is_dir():
        return []
    cutoff = time.time() - older_than_s
    removed = []
    for dirpath, _, names in os.walk(root):
        for name in names:
            if not _TEMPORARY.match(name):
                continue
            path = Path(dirpath) / name
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed.append(path)
            except FileNotFoundError:
                continue  # its writer finished meanwhile
    return sorted(removed)


def atomic_write(path: Path | str, write: Callable[[IO[bytes]], Any]) -> None:
    """Write ``path`` through ``write(f)`` atomically; a full disk raises :class:`DiskFullError`
    naming the path (whatever error the writer raised on top of ENOSPC)."""
    path = Path(path)
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
    except Exception as e:
        cause = disk_full_cause(e)
        if cause is None or isinstance(e, DiskFullError):
            raise
        raise _disk_full_error(path, cause) from e


def atomic_savez(path: Path | str, **arrays: np.ndarray) -> None:
    atomic_write(path, lambda f: np.savez(f, **arrays))


def atomic_torch_save(obj: Any, path: Path | str) -> None:
    import torch

    atomic_write(path, lambda f: torch.save(obj, f))


def write_csv(frame: Any, path: Path | str) -> None:
    """A pandas DataFrame as CSV (no index), atomically; two columns of one name are an error
    (a reader would silently rename the second to ``name.1``)."""
    names = [str(c) for c in frame.columns]
    twice = sorted({c for c in names if names.count(c) > 1})
    if twice:
        raise ValueError(f"{path}: columns {twice} appear more than once in {names}")
    text = frame.to_csv(index=False)
    atomic_write(path, lambda f: f.write(text.encode()))


def concat_csv(paths: Any) -> Any:
    """The rows of several CSV files as one DataFrame (an empty list is an error)."""
    import pandas as pd

    if not paths:
        raise ValueError("nothing to tabulate: no per-run files")
    return pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)


def write_json(path: Path | str, obj: Any) -> None:
    text = json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n"
    atomic_write(path, lambda f: f.write(text.encode()))


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
