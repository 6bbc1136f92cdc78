"""The smoothness index γ (paper §4): how much probability the targets put on wrong classes.

For a model trained directly with label smoothing α, γ = α. For a student distilled at
temperature T, γ = E_x[ Σ_{k≠y} p^t_k(T) ] · K/(K−1) over the training set: the rescaling makes
a label-smoothing target of α give exactly γ = α (its wrong-class mass is α(K−1)/K).
"""

from __future__ import annotations

import numpy as np
from scipy.special import softmax


def smoothness_index(teacher_logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    """γ of targets softmax(z / T). teacher_logits (..., K) with labels of shape (...)."""
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    logits = np.asarray(teacher_logits, np.float64)
    k = logits.shape[-1]
    labels = np.broadcast_to(np.asarray(labels)[..., None], logits.shape[:-1] + (1,))
    if labels.shape[:-1] != logits.shape[:-1]:
        raise ValueError(f"labels {labels.shape[:-1]} do not match logits {logits.shape}")
    p = softmax(logits / temperature, axis=-1)
    wrong = 1.0 - np.take_along_axis(p, labels, axis=-1)[..., 0]
    return float(wrong.mean() * k / (k - 1))


def student_gamma(cached: np.ndarray, labels: np.ndarray, temperature: float, flip: bool) -> float:
    """γ of the targets a student actually receives from a ``[N, 2, K]`` cache: both columns
    (each flip equally likely) when the student's input flips, else the un-mirrored column."""
    columns = cached if flip else cached[:, :1]
    return smoothness_index(columns, np.asarray(labels)[:, None], temperature)
