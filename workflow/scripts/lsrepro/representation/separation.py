"""Erasure, measured (issue 18 extension C5c★/C5d★): class separation R² and NC1 of penultimate
features.

* **Class separation R²** (Kornblith et al., NeurIPS 2021, "Why do better loss functions lead to
  less transferable features?"): with cosine distance d(x, y) = 1 − x·y/(|x||y|),

      R² = 1 − d̄_within / d̄_total,
      d̄_within = (1/K) Σ_k mean_{m,n ∈ k} d(x_m, x_n),
      d̄_total  = (1/K²) Σ_{j,k} mean_{m ∈ j, n ∈ k} d(x_m, x_n).

  The mean cosine similarity between two sets of unit vectors is the dot product of their
  means, so with μ_k = the mean of class k's unit-normalised features:
  d̄_within = 1 − (1/K) Σ_k |μ_k|² and d̄_total = 1 − |(1/K) Σ_k μ_k|² (computed so, O(ND)).
  Higher: classes better separated (the paper: label smoothing raises it, erasing the
  within-class information).
* **NC1** (Papyan, Han & Donoho, PNAS 2020): (1/K) tr(Σ_W Σ_B⁺), Σ_W the within-class
  covariance (mean over examples of (h − μ_c)(h − μ_c)ᵀ), Σ_B the covariance of the class
  means about their mean, ⁺ the pseudo-inverse. Lower: tighter collapse of each class.
"""

from __future__ import annotations

import numpy as np

__all__ = ["class_separation_r2", "erasure_measures", "nc1"]


def _classes(features: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    features = np.asarray(features, dtype=np.float64)
    labels = np.asarray(labels)
    if features.ndim != 2 or labels.shape != (features.shape[0],) or features.shape[0] == 0:
        raise ValueError(
            f"features (N, D) and labels (N,) needed; got {features.shape} and {labels.shape}"
        )
    present, inverse = np.unique(labels, return_inverse=True)
    if present.size < 2:
        raise ValueError(f"need at least 2 classes, got {present.size}")
    return features, inverse, int(present.size)


def _class_means(x: np.ndarray, inverse: np.ndarray, k: int) -> np.ndarray:
    sums = np.zeros((k, x.shape[1]))
    np.add.at(sums, inverse, x)
    return sums / np.bincount(inverse, minlength=k)[:, None]


def class_separation_r2(features, labels) -> float:
    """Kornblith et al.'s class separation R² of ``features`` (N, D) with ``labels`` (N,)."""
    x, inverse, k = _classes(features, labels)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    if (norms == 0).any():
        raise ValueError("a feature vector is all zeros: its cosine distance is undefined")
    mu = _class_means(x / norms, inverse, k)  # (K, D)
    within = 1.0 - float((mu * mu).sum(axis=1).mean())
    total = 1.0 - float(np.square(mu.mean(axis=0)).sum())
    return 1.0 - within / total if total > 0 else float("nan")


def nc1(features, labels) -> float:
    """Papyan et al.'s NC1 = tr(Σ_W Σ_B⁺)/K of ``features`` (N, D) with ``labels`` (N,)."""
    x, inverse, k = _classes(features, labels)
    means = _class_means(x, inverse, k)
    centred = x - means[inverse]
    sigma_w = centred.T @ centred / x.shape[0]
    between = means - means.mean(axis=0)
    sigma_b = between.T @ between / k
    return float(np.trace(sigma_w @ np.linalg.pinv(sigma_b, hermitian=True)) / k)


def erasure_measures(features, labels) -> dict[str, float]:
    """``separation_r2`` and ``nc1`` of one model on one split (geometry keys)."""
    return {"separation_r2": class_separation_r2(features, labels), "nc1": nc1(features, labels)}
