"""Atomic writes and run metadata: no half-written file is ever taken for a finished one."""

from __future__ import annotations

import glob
import json
import os
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


def atomic_write(path: Path | str, write: Callable[[IO[bytes]], Any]) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())


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
