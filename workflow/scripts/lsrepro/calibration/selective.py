"""Selective classification from the top-label vectors: risk–coverage curve, AURC, risk at a
fixed coverage, with percentile-bootstrap intervals (issue 18 extension C9b★; Xia et al., ICLR
2025: label smoothing degrades selective classification).

The classifier abstains on the least confident examples. Sorting the N examples by confidence,
highest first (ties broken by a stable sort: the tied examples keep their order), the selective
risk at coverage i/N is the error rate among the i most confident examples:

    risk(i/N) = (1/i) Σ_{j ≤ i} (1 − correct_(j)),   i = 1..N

AURC (Geifman et al. 2019) is the mean of the curve, (1/N) Σ_i risk(i/N); the risk at coverage
c is risk(⌈cN⌉/N).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["COVERAGES", "aurc", "risk_at_coverage", "risk_coverage_curve", "selective_report"]

#: Coverages of the reported "risk at coverage" metrics (abstain on the 10 % / 20 % least
#: confident examples): definitions of the metrics, like ECE's 15 bins.
COVERAGES: tuple[float, ...] = (0.8, 0.9)


def _check(confidence: np.ndarray, correct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    confidence = np.asarray(confidence, dtype=np.float64)
    correct = np.asarray(correct, dtype=np.float64)
    if confidence.ndim != 1 or confidence.shape != correct.shape or confidence.size == 0:
        raise ValueError(
            f"confidence and correct must be equal-length non-empty vectors; got "
            f"{confidence.shape} and {correct.shape}"
        )
    return confidence, correct


def risk_coverage_curve(confidence, correct) -> tuple[np.ndarray, np.ndarray]:
    """(coverage (N,), risk (N,)): coverage i/N and the error rate of the i most confident."""
    confidence, correct = _check(confidence, correct)
    order = np.argsort(-confidence, kind="stable")
    errors = np.cumsum(1.0 - correct[order])
    i = np.arange(1, confidence.size + 1)
    return i / confidence.size, errors / i


def aurc(confidence, correct) -> float:
    """Area under the risk–coverage curve (the curve's mean over i = 1..N)."""
    return float(risk_coverage_curve(confidence, correct)[1].mean())


def risk_at_coverage(confidence, correct, coverage: float) -> float:
    """Error rate of the ⌈coverage·N⌉ most confident examples."""
    if not 0.0 < coverage <= 1.0:
        raise ValueError(f"coverage must be in (0, 1], got {coverage}")
    _, risk = risk_coverage_curve(confidence, correct)
    return float(risk[math.ceil(coverage * risk.size - 1e-9) - 1])


def _metrics(confidence: np.ndarray, correct: np.ndarray, coverages: Sequence[float]) -> dict:
    _, risk = risk_coverage_curve(confidence, correct)
    out = {"aurc": float(risk.mean())}
    for c in coverages:
        out[f"risk_at_coverage_{c:g}"] = float(risk[math.ceil(c * risk.size - 1e-9) - 1])
    return out


def selective_report(
    confidence,
    correct,
    *,
    n_resamples: int,
    seed: int,
    confidence_level: float,
    coverages: Sequence[float] = COVERAGES,
) -> pd.DataFrame:
    """AURC and risk at each coverage with percentile-bootstrap intervals over examples.

    Returns rows ``metric, estimate, lower, upper, se, n_resamples`` (the layout of
    :func:`lsrepro.calibration.calibration_report`)."""
    confidence, correct = _check(confidence, correct)
    point = _metrics(confidence, correct, coverages)
    rng = np.random.default_rng(seed)
    n = confidence.size
    reps = {k: np.empty(n_resamples) for k in point}
    for b in range(n_resamples):
        idx = rng.integers(0, n, n)
        for k, v in _metrics(confidence[idx], correct[idx], coverages).items():
            reps[k][b] = v
    q = [(1.0 - confidence_level) / 2.0, (1.0 + confidence_level) / 2.0]
    rows = []
    for k, est in point.items():
        r = reps[k]
        lo, hi = np.quantile(r, q) if r.size else (np.nan, np.nan)
        rows.append(
            {
                "metric": k,
                "estimate": est,
                "lower": float(lo),
                "upper": float(hi),
                "se": float(r.std(ddof=1)) if r.size > 1 else np.nan,
                "n_resamples": int(r.size),
            }
        )
    return pd.DataFrame(rows)
