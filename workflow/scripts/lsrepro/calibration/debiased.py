"""Debiased calibration error: Kumar, Liang & Ma (2019), "Verified Uncertainty Calibration".

The binned ECE is biased upwards: even for a perfectly calibrated model each bin's accuracy
deviates from its mean confidence by sampling noise, and ``|noise|`` has a positive mean (the
bootstrap interval of a well-calibrated model's ECE can lie entirely above the estimate). Kumar
et al. (2019, §5 and their reference code ``calibration.unbiased_l2_ce``) remove this bias for
the squared ℓ2 calibration error over bins ``B_m``:

    CE_2^2 = sum_m (|B_m| / N) (acc(B_m) - conf(B_m))^2

Per bin, ``E[(ȳ - ē)^2] = (μ - ē)^2 + μ (1 - μ) / n_m`` for ``n_m`` Bernoulli(μ) outcomes with
mean ``ȳ``, and ``ȳ (1 - ȳ) / (n_m - 1)`` is an unbiased estimate of ``μ (1 - μ) / n_m``, so

    D^2 = sum_m (n_m / N) [ (ȳ_m - ē_m)^2 - ȳ_m (1 - ȳ_m) / (n_m - 1) ]      (bins with n_m >= 2)

is unbiased for ``CE_2^2`` of the binned calibration map (bins with one example contribute 0, as
in the reference code). ``ece_debiased = sqrt(max(D^2, 0))``, the quantity their code returns.

Scale: this is the ℓ2 calibration error. It equals the ℓ1 ECE when every bin has the same gap
(e.g. a constant over-confidence δ gives δ for both) and is larger otherwise; for a calibrated
model it is near 0 where the binned ECE is ``O(sqrt(M / N))``. The bins are the equal-width bins
of :func:`~lsrepro.calibration.metrics.ece_from_vectors` (the paper's 15), so that the two
numbers differ by the debiasing, not by the binning.
"""

from __future__ import annotations

import numpy as np

from lsrepro.calibration.core import _conf_correct, check_n_bins, check_probs_labels
from lsrepro.calibration.metrics import _vectors, bin_sums

__all__ = [
    "debiased_squared_ce_from_bins",
    "ece_debiased",
    "ece_debiased_from_vectors",
    "squared_ce_debiased_from_vectors",
]


def debiased_squared_ce_from_bins(
    count: np.ndarray, s_conf: np.ndarray, s_acc: np.ndarray
) -> np.ndarray:
    """``D^2`` of Kumar et al. (2019) from per-bin sums (last axis = bins, e.g. ``(R, M)``).

    ``count`` examples, ``s_conf`` summed confidences and ``s_acc`` summed 0/1 correctness per
    bin; returns ``D^2`` (can be negative) with the bins axis summed out.
    """
    n = count.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = s_acc / count
        gap2 = (acc - s_conf / count) ** 2
        per_bin = count * (gap2 - acc * (1.0 - acc) / (count - 1.0))
    per_bin = np.where(count >= 2, per_bin, 0.0)
    return per_bin.sum(axis=-1) / n


def squared_ce_debiased_from_vectors(
    confidence: np.ndarray, correct: np.ndarray, n_bins: int = 15
) -> float:
    """``D^2``: the unbiased estimate of the binned squared ℓ2 calibration error (may be < 0).

    ``confidence`` and ``correct`` are the top-label vectors ``(N,)``; see the module docstring.
    """
    c, a = _vectors(confidence, correct)
    return float(debiased_squared_ce_from_bins(*bin_sums(c, a, check_n_bins(n_bins))))


def ece_debiased_from_vectors(
    confidence: np.ndarray, correct: np.ndarray, n_bins: int = 15
) -> float:
    """Debiased calibration error ``sqrt(max(D^2, 0))`` (Kumar, Liang & Ma 2019), a fraction.

    >>> c = np.full(4, 0.8)  # one bin, 3 of 4 right: plug-in gap 0.05, noise var 0.75*0.25/3
    >>> ece_debiased_from_vectors(c, np.array([1, 1, 1, 0]))  # 0.05^2 - 0.0625 < 0
    0.0
    """
    return float(np.sqrt(max(squared_ce_debiased_from_vectors(confidence, correct, n_bins), 0.0)))


def ece_debiased(probs: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> float:
    """:func:`ece_debiased_from_vectors` of probs ``(N, K)`` and labels ``(N,)``."""
    return ece_debiased_from_vectors(*_conf_correct(*check_probs_labels(probs, labels)), n_bins)
