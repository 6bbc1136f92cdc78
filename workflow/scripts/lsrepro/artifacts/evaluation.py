"""The evaluation artifact: one ``.npz`` per model and split, written, read and validated here.

The contract every later stage reads (DESIGN.md §7):

=============== ========================= ===================================================
key             dtype, shape              meaning
=============== ========================= ===================================================
``logits``      float32 (N, K)            un-augmented network outputs
``labels``      int64 (N,)                true classes in [0, K)
``features``    float32 (N, D)            input of the final ``nn.Linear``
``weight``      float32 (K, D)            that layer's weight, so logits = features @ W.T + b
``bias``        float32 (K,)              that layer's bias
``index``       int64 (N,)                rows of the split (the dataset's own indexing)
``class_names`` str (K,)                  class names in label order
=============== ========================= ===================================================
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lsrepro.integrity import load_npz, save_npz

KEYS = ("logits", "labels", "features", "weight", "bias", "index", "class_names")


class EvaluationArtifactError(ValueError):
    """An evaluation file is missing arrays or has inconsistent shapes or values."""


def validate(arrays: dict[str, np.ndarray], where: str = "evaluation") -> None:
    missing = [k for k in KEYS if k not in arrays]
    if missing:
        raise EvaluationArtifactError(f"{where}: missing arrays {missing}")
    logits, labels, features = arrays["logits"], arrays["labels"], arrays["features"]
    n, k = logits.shape if logits.ndim == 2 else (-1, -1)
    problems = []
    if logits.ndim != 2:
        problems.append(f"logits must be (N, K), got shape {logits.shape}")
    else:
        if labels.shape != (n,) or arrays["index"].shape != (n,):
            problems.append(
                f"labels/index must be ({n},), got {labels.shape}/{arrays['index'].shape}"
            )
        if features.ndim != 2 or len(features) != n:
            problems.append(f"features must be ({n}, D), got {features.shape}")
        elif arrays["weight"].shape != (k, features.shape[1]) or arrays["bias"].shape != (k,):
            problems.append(
                f"weight/bias must be ({k}, {features.shape[1]})/({k},), got "
                f"{arrays['weight'].shape}/{arrays['bias'].shape}"
            )
        if len(arrays["class_names"]) != k:
            problems.append(f"{len(arrays['class_names'])} class names for {k} classes")
        if labels.size and (labels.min() < 0 or labels.max() >= k):
            problems.append(f"labels outside [0, {k})")
        if not np.isfinite(logits).all():
            problems.append(f"{int(np.sum(~np.isfinite(logits)))} non-finite logits")
    if problems:
        raise EvaluationArtifactError(f"{where}: " + "; ".join(problems))


def save(path: Path | str, **arrays: np.ndarray) -> None:
    """Validate and write atomically, with the dtypes of the contract."""
    out = {
        "logits": np.asarray(arrays["logits"], np.float32),
        "labels": np.asarray(arrays["labels"], np.int64),
        "features": np.asarray(arrays["features"], np.float32),
        "weight": np.asarray(arrays["weight"], np.float32),
        "bias": np.asarray(arrays["bias"], np.float32),
        "index": np.asarray(arrays["index"], np.int64),
        "class_names": np.asarray(arrays["class_names"]),
    }
    validate(out, str(path))
    save_npz(path, **out)


def load(path: Path | str) -> dict[str, np.ndarray]:
    """The arrays of an evaluation file, digest checked and validated."""
    arrays = load_npz(path, "evaluation arrays", "evaluate")
    validate(arrays, str(path))
    return arrays
