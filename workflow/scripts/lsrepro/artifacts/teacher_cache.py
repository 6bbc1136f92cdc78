"""The teacher cache file: a teacher's logits on every training-split image and its mirror image
(see :mod:`lsrepro.distillation.cache` for what the rows and columns are), with the split and
the teacher it belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lsrepro.integrity import load_npz, save_npz


@dataclass(frozen=True)
class TeacherCache:
    logits: np.ndarray  # float32 (N, 2, K)
    split_digest: str
    teacher_fingerprint: str
    teacher_model: str  # the model file it was computed from (for the log and the tables)


def save_teacher_cache(path: Path | str, cache: TeacherCache) -> None:
    if not np.isfinite(cache.logits).all():
        raise ValueError(f"{path}: the teacher produced non-finite logits")
    save_npz(
        path,
        logits=cache.logits.astype(np.float32),
        split_digest=np.asarray(cache.split_digest),
        teacher_fingerprint=np.asarray(cache.teacher_fingerprint),
        teacher_model=np.asarray(cache.teacher_model),
    )


def load_teacher_cache(path: Path | str) -> TeacherCache:
    """The cache, its digest checked; a damaged file is an ArtifactError naming it."""
    z = load_npz(path, "teacher cache", "cache_teacher_outputs")
    logits = z["logits"]
    if logits.ndim != 3 or logits.shape[1] != 2:
        raise ValueError(f"{path}: teacher logits must be (N, 2, K), got {logits.shape}")
    return TeacherCache(
        logits=logits,
        split_digest=str(z["split_digest"]),
        teacher_fingerprint=str(z["teacher_fingerprint"]),
        teacher_model=str(z["teacher_model"]),
    )
