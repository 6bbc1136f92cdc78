"""Percentile-bootstrap intervals of every calibration metric, and the per-split report.

A resample is a vector of multiplicities ``w_i`` (how often example ``i`` was drawn); every
metric of a resample is computed from weighted sums over the per-example vectors of
:class:`~lsrepro.calibration.core.TopLabel`, for ``R`` resamples at once. Each replicate equals
the metric recomputed on the explicitly resampled data (tested), adaptive ECE included, whose
tie rule makes it a function of the resampled multiset.

The examples are held in increasing order of confidence, so every equal-width bin and every run
of tied confidences is a contiguous range: per-bin sums are segment sums (``numpy.add.reduceat``)
with memory ``O(R N)`` per block of resamples, never ``O(N M)`` or ``O(B N)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import relplot
import scipy.sparse as sps

from lsrepro.calibration.core import (
    CalibrationInputError,
    TopLabel,
    bin_index,
    check_logits_labels,
    check_n_bins,
    check_temperature,
    predictions_from_logits,
    softmax,
)
from lsrepro.calibration.debiased import debiased_squared_ce_from_bins
from lsrepro.calibration.metrics import adaptive_gaps, brier_per_example, tie_groups

__all__ = [
    "ALL_METRICS",
    "BINNED_METRICS",
    "VECTOR_METRICS",
    "bootstrap_indices",
    "bootstrap_metrics",
    "bootstrap_samples",
    "bootstrap_samples_from_predictions",
    "calibration_report",
    "calibration_report_from_predictions",
    "calibration_report_from_vectors",
]

#: Every metric the bootstrap and the reports know, in report order.
ALL_METRICS: tuple[str, ...] = (
    "accuracy",
    "nll",
    "brier",
    "ece",
    "ece_debiased",
    "mce",
    "adaptive_ece",
    "classwise_ece",
    "smece",
)
#: The metrics that depend on the number of bins.
BINNED_METRICS: frozenset[str] = frozenset(
    {"ece", "ece_debiased", "mce", "adaptive_ece", "classwise_ece"}
)
#: The metrics computable from top-label vectors (all but classwise ECE, which needs every class).
VECTOR_METRICS: tuple[str, ...] = tuple(m for m in ALL_METRICS if m != "classwise_ece")

# Bound on the float64 entries materialised at once by the bootstrap (about 32 MiB).
_CHUNK_ENTRIES = 1 << 22


def bootstrap_indices(n: int, n_resamples: int, seed: int) -> np.ndarray:
    """Index matrix ``(B, N)`` of ``B`` bootstrap resamples of ``N`` examples.

    ``numpy.random.default_rng(seed).integers(0, n, size=(B, n), dtype=int32)``; the same
    ``(n, n_resamples, seed)`` always gives the same matrix. The bootstrap draws the same rows
    block by block from one generator (the stream is identical), never holding all of them.
    """
    _check_resamples(n, n_resamples)
    return np.random.default_rng(seed).integers(0, n, size=(n_resamples, n), dtype=np.int32)


def _check_resamples(n: int, n_resamples: int) -> None:
    if n < 1 or n_resamples < 1:
        raise CalibrationInputError(f"need n >= 1 and n_resamples >= 1, got {n}, {n_resamples}")
    if n > np.iinfo(np.int32).max:
        raise CalibrationInputError(f"too many examples for int32 indices: {n}")


def _check_metrics(metrics: Sequence[str], available: Sequence[str]) -> tuple[str, ...]:
    if isinstance(metrics, str):
        raise CalibrationInputError(
            f"metrics must be a sequence of names, got the string {metrics!r}"
        )
    unknown = sorted(set(metrics) - set(ALL_METRICS))
    if unknown:
        raise CalibrationInputError(f"unknown metrics {unknown}; known: {list(ALL_METRICS)}")
    if not metrics:
        raise CalibrationInputError("metrics is empty")
    missing = [m for m in ALL_METRICS if m in set(metrics) and m not in available]
    if missing:
        raise CalibrationInputError(
            f"metrics {missing} cannot be computed from these inputs (available: "
            f"{list(available)}); classwise_ece needs dense probabilities, nll the true-class "
            "probability, brier also sum_sq"
        )
    return tuple(m for m in ALL_METRICS if m in set(metrics))


def _available(pred: TopLabel, dense: bool) -> tuple[str, ...]:
    out = [m for m in VECTOR_METRICS if m not in ("nll", "brier")]
    if pred.true_logprob is not None:
        out.append("nll")
        if pred.sum_sq is not None:
            out.append("brier")
    if dense:
        out.append("classwise_ece")
    return tuple(m for m in ALL_METRICS if m in out)


class _Prepared:
    """Per-example quantities, in increasing order of confidence, that resamples are sums of.

    ``rank[i]`` is the sorted position of input example ``i`` (stable sort). Metrics do not
    depend on the order of examples; sorting once makes bins and tie runs contiguous.
    """

    def __init__(
        self, pred: TopLabel, n_bins: int, probs: np.ndarray | None, labels: np.ndarray | None
    ) -> None:
        n = pred.n
        order = np.argsort(pred.confidence, kind="stable")
        self.rank = np.empty(n, dtype=np.int64)
        self.rank[order] = np.arange(n)
        self.n, self.m = n, n_bins
        self.conf = pred.confidence[order]  # (N,)
        self.acc = pred.correct[order]  # (N,)
        self.nll = None if pred.true_logprob is None else -pred.true_logprob[order]
        self.brier = (
            None
            if pred.true_logprob is None or pred.sum_sq is None
            else brier_per_example(pred)[order]
        )
        # equal-width bins: contiguous ranges of sorted positions; keep the non-empty ones
        b = bin_index(self.conf, n_bins)
        self.bin_starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])  # (non-empty M,)
        self.bin_ids = b[self.bin_starts]
        # adaptive ECE: residuals a_i - c_i and the runs of tied confidences
        self.resid = self.acc - self.conf
        self.tie_starts = tie_groups(self.conf)
        self.k = 0
        if probs is not None:
            self._classwise(probs[order], labels[order], n_bins)

    def _classwise(self, p: np.ndarray, y: np.ndarray, n_bins: int) -> None:
        # residuals d_ik = 1[y_i = k] - p_ik, (N, K), and the same residuals outside the first
        # bin as a sparse (N, K (M-1)) matrix, column k (M-1) + bin_ik - 1. Probabilities sum to
        # 1, so at most M - 1 entries per row exceed 1/M: the matrix is sparse, and the first
        # bin's sums follow as class totals minus the other bins' sums.
        n, k = p.shape
        d = -p
        d[np.arange(n), y] += 1.0
        self.k = k
        self.cw_resid = d
        cw_bin = bin_index(p, n_bins)  # (N, K)
        i, j = np.nonzero(cw_bin > 0)
        self.cw_upper = sps.csr_matrix(
            (d[i, j], (i, j * (n_bins - 1) + cw_bin[i, j] - 1)), shape=(n, k * (n_bins - 1))
        )


def _segment_sums(values: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    """Sums of ``values`` (R, N) over the contiguous ranges beginning at ``starts``: (R, S)."""
    return values if starts.size == n else np.add.reduceat(values, starts, axis=1)


def _resample_metrics(
    prep: _Prepared, weights: np.ndarray, metrics: tuple[str, ...]
) -> dict[str, np.ndarray]:
    """Every metric of ``metrics`` (except smECE) for each row of ``weights``.

    ``weights`` is an ``(R, N)`` float matrix of multiplicities in ``prep``'s (sorted) order: row
    r says how often each example occurs in resample r (each row sums to N); ``np.ones((1, N))``
    is the full split. Returns arrays of shape ``(R,)``.
    """
    n, m = prep.n, prep.m
    r = weights.shape[0]
    out: dict[str, np.ndarray] = {}
    if "accuracy" in metrics:
        out["accuracy"] = weights @ prep.acc / n
    if "nll" in metrics:
        out["nll"] = weights @ prep.nll / n
    if "brier" in metrics:
        out["brier"] = weights @ prep.brier / n
    if {"ece", "ece_debiased", "mce"} & set(metrics):
        count, s_conf, s_acc = (np.zeros((r, m)) for _ in range(3))
        for total, values in ((count, weights), (s_conf, weights * prep.conf)):
            total[:, prep.bin_ids] = _segment_sums(values, prep.bin_starts, n)
        s_acc[:, prep.bin_ids] = _segment_sums(weights * prep.acc, prep.bin_starts, n)
        gap = np.abs(s_acc - s_conf)
        if "ece" in metrics:
            out["ece"] = gap.sum(axis=1) / n
        if "ece_debiased" in metrics:
            d2 = debiased_squared_ce_from_bins(count, s_conf, s_acc)
            out["ece_debiased"] = np.sqrt(np.maximum(d2, 0.0))
        if "mce" in metrics:
            with np.errstate(invalid="ignore", divide="ignore"):
                per_bin = np.where(count > 0, gap / count, -np.inf)
            out["mce"] = per_bin.max(axis=1)
    if "adaptive_ece" in metrics:
        group_count = _segment_sums(weights, prep.tie_starts, n)  # (R, G)
        group_resid = _segment_sums(weights * prep.resid, prep.tie_starts, n)
        out["adaptive_ece"] = adaptive_gaps(group_count, group_resid, n, m)
    if "classwise_ece" in metrics:
        class_sums = weights @ prep.cw_resid  # (R, K): sum over all bins of each class
        upper = np.asarray(weights @ prep.cw_upper).reshape(r, prep.k, m - 1)  # bins 2..M
        first = class_sums - upper.sum(axis=2)  # (R, K): bin 1
        out["classwise_ece"] = (np.abs(first).sum(axis=1) + np.abs(upper).sum(axis=(1, 2))) / (
            n * prep.k
        )
    return out


def bootstrap_samples_from_predictions(
    pred: TopLabel,
    *,
    n_bins: int,
    metrics: Sequence[str] | None,
    n_resamples: int,
    seed: int,
    smece_resamples: int | None = None,
    probs: np.ndarray | None = None,
    labels: np.ndarray | None = None,
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Point estimates and bootstrap replicates of calibration metrics from top-label vectors.

    Args:
        pred: the split's :class:`TopLabel` vectors ``(N,)``.
        n_bins: ``M``, the number of bins of the binned metrics.
        metrics: names out of :data:`ALL_METRICS`; None: every metric the inputs allow
            (nll needs ``pred.true_logprob``, brier also ``pred.sum_sq``, classwise_ece
            ``probs``).
        n_resamples: ``B``, bootstrap resamples (with replacement, of size N).
        seed: seed of :func:`bootstrap_indices`; same inputs and seed give identical replicates.
        smece_resamples: smECE costs one ``relplot.smECE`` call per resample (about 10 ms for
            N = 10,000), so its replicates use only the first ``smece_resamples`` rows of the same
            index matrix (default: all ``B``; 0: point estimate only).
        probs, labels: dense ``(N, K)`` probabilities and ``(N,)`` labels of the same examples,
            needed by classwise ECE only.

    Returns:
        ``(estimates, replicates)``: ``estimates[name]`` is the metric on the full split (computed
        by the same code as the replicates); ``replicates[name]`` has shape ``(B,)`` (smECE:
        ``(smece_resamples,)``).
    """
    m = check_n_bins(n_bins)
    available = _available(pred, probs is not None)
    names = available if metrics is None else _check_metrics(metrics, available)
    n = pred.n
    _check_resamples(n, n_resamples)
    n_sm = n_resamples if smece_resamples is None else int(smece_resamples)
    if not 0 <= n_sm <= n_resamples:
        raise CalibrationInputError(
            f"smece_resamples must be in [0, n_resamples={n_resamples}], got {smece_resamples}"
        )
    prep = _Prepared(pred, m, probs if "classwise_ece" in names else None, labels)
    linear = tuple(name for name in names if name != "smece")

    full = _resample_metrics(prep, np.ones((1, n)), linear)
    estimates = {k: float(v[0]) for k, v in full.items()}
    replicates: dict[str, np.ndarray] = {name: np.empty(n_resamples) for name in linear}
    rng = np.random.default_rng(seed)  # rows drawn block by block = bootstrap_indices(n, B, seed)
    rows_per_chunk = max(1, _CHUNK_ENTRIES // n)
    smece_rows: list[np.ndarray] = []
    for r0 in range(0, n_resamples, rows_per_chunk):
        r = min(rows_per_chunk, n_resamples - r0)
        idx = rng.integers(0, n, size=(r, n), dtype=np.int32)  # (r, N) indices, input order
        pos = prep.rank[idx]  # (r, N) positions in sorted order
        if r0 < n_sm:
            smece_rows.append(pos[: n_sm - r0].copy())
        pos += (np.arange(r, dtype=np.int64) * n)[:, None]
        counts = np.bincount(pos.ravel(), minlength=r * n).reshape(r, n)  # multiplicities
        if linear:
            for name, values in _resample_metrics(prep, counts.astype(np.float64), linear).items():
                replicates[name][r0 : r0 + r] = values

    if "smece" in names:
        estimates["smece"] = float(relplot.smECE(prep.conf, prep.acc))
        replicates["smece"] = np.array(
            [float(relplot.smECE(prep.conf[row], prep.acc[row])) for row in _rows(smece_rows)]
        )
    return estimates, replicates


def _rows(blocks: list[np.ndarray]):
    for block in blocks:
        yield from block


def bootstrap_samples(
    logits: np.ndarray,
    labels: np.ndarray,
    *,
    temperature: float,
    n_bins: int,
    metrics: Sequence[str],
    n_resamples: int,
    seed: int,
    smece_resamples: int | None = None,
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """:func:`bootstrap_samples_from_predictions` of dense logits at one temperature.

    Args:
        logits: ``(N, K)`` raw logits; probabilities are ``softmax(logits / temperature)``.
        labels: ``(N,)`` integer labels in ``[0, K)``.
        temperature: ``T > 0`` applied to the logits before the softmax.
        n_bins, metrics, n_resamples, seed, smece_resamples: see
            :func:`bootstrap_samples_from_predictions` (every metric is available).
    """
    z, y = check_logits_labels(logits, labels)
    t = check_temperature(temperature)
    names = _check_metrics(metrics, ALL_METRICS)
    pred = predictions_from_logits(z, y, t)
    probs = softmax(z, t) if "classwise_ece" in names else None
    return bootstrap_samples_from_predictions(
        pred,
        n_bins=n_bins,
        metrics=names,
        n_resamples=n_resamples,
        seed=seed,
        smece_resamples=smece_resamples,
        probs=probs,
        labels=y,
    )


def _interval_table(
    estimates: dict[str, float], replicates: dict[str, np.ndarray], coverage: float
) -> pd.DataFrame:
    q = [(1.0 - coverage) / 2.0, (1.0 + coverage) / 2.0]
    rows = []
    for name, est in estimates.items():
        rep = replicates[name]
        if rep.size:
            lo, hi = np.quantile(rep, q)
            se = float(rep.std(ddof=1)) if rep.size > 1 else np.nan
        else:
            lo = hi = se = np.nan
        rows.append(
            {
                "metric": name,
                "estimate": est,
                "lower": float(lo),
                "upper": float(hi),
                "se": se,
                "n_resamples": int(rep.size),
            }
        )
    order = {name: i for i, name in enumerate(ALL_METRICS)}
    rows.sort(key=lambda row: order[row["metric"]])
    return pd.DataFrame(rows)


def _check_coverage(coverage: float) -> float:
    if not 0.0 < coverage < 1.0:
        raise CalibrationInputError(f"confidence must be in (0, 1), got {coverage}")
    return float(coverage)


def bootstrap_metrics(
    logits: np.ndarray,
    labels: np.ndarray,
    *,
    temperature: float,
    n_bins: int,
    metrics: Sequence[str],
    n_resamples: int,
    seed: int,
    confidence: float = 0.95,
    smece_resamples: int | None = None,
) -> pd.DataFrame:
    """Metrics with percentile-bootstrap confidence intervals, at one temperature.

    Arguments as in :func:`bootstrap_samples`; ``confidence`` is the coverage of the interval.
    Returns one row per metric (in :data:`ALL_METRICS` order) with columns ``metric``,
    ``estimate`` (on the full split), ``lower`` and ``upper`` (the ``(1 - confidence)/2`` and
    ``(1 + confidence)/2`` quantiles of the replicates, linear interpolation), ``se`` (standard
    deviation of the replicates) and ``n_resamples`` (replicates used; NaN interval when 0).

    Note: binned calibration errors are biased upwards under resampling, so for a well-calibrated
    model the percentile interval of ECE can lie entirely above the point estimate; see
    ``ece_debiased``.
    """
    coverage = _check_coverage(confidence)
    estimates, replicates = bootstrap_samples(
        logits,
        labels,
        temperature=temperature,
        n_bins=n_bins,
        metrics=metrics,
        n_resamples=n_resamples,
        seed=seed,
        smece_resamples=smece_resamples,
    )
    return _interval_table(estimates, replicates, coverage)


def _report(
    table: pd.DataFrame, temperature: float, n_bins: int, n: int, coverage: float
) -> pd.DataFrame:
    t_row = {"metric": "temperature", "estimate": float(temperature), "lower": np.nan}
    t_row |= {"upper": np.nan, "se": np.nan, "n_resamples": 0}
    table = pd.concat([table, pd.DataFrame([t_row])], ignore_index=True)
    table["temperature"] = float(temperature)
    table["n_bins"] = int(n_bins)
    table["n_examples"] = int(n)
    table["confidence"] = float(coverage)
    return table


def calibration_report(
    logits: np.ndarray,
    labels: np.ndarray,
    *,
    temperature: float,
    n_bins: int,
    n_resamples: int,
    seed: int,
    confidence: float = 0.95,
    metrics: Sequence[str] = ALL_METRICS,
    smece_resamples: int | None = None,
) -> pd.DataFrame:
    """Every calibration metric with bootstrap intervals for one split at one temperature.

    This is the unit of the calibration stage: call it for (T = 1, T = fitted on val) x (val, test)
    and add identifying columns (experiment, alpha, seed, split, scaling) to the result.

    Args:
        logits: ``(N, K)`` raw logits of one split. labels: ``(N,)`` integer labels.
        temperature: ``T > 0``; metrics are computed on ``softmax(logits / T)``.
        n_bins, n_resamples, seed, confidence, metrics, smece_resamples: see
            :func:`bootstrap_metrics`.

    Returns:
        Long table, one row per metric plus a final ``metric == "temperature"`` row (estimate = T,
        no interval), with columns ``metric, estimate, lower, upper, se, n_resamples,
        temperature, n_bins, n_examples, confidence`` (``confidence``: the interval's coverage).
    """
    table = bootstrap_metrics(
        logits,
        labels,
        temperature=temperature,
        n_bins=n_bins,
        metrics=metrics,
        n_resamples=n_resamples,
        seed=seed,
        confidence=confidence,
        smece_resamples=smece_resamples,
    )
    return _report(table, temperature, n_bins, np.asarray(labels).shape[0], confidence)


def calibration_report_from_predictions(
    pred: TopLabel,
    *,
    temperature: float = 1.0,
    n_bins: int,
    n_resamples: int,
    seed: int,
    coverage: float = 0.95,
    metrics: Sequence[str] | None = None,
    smece_resamples: int | None = None,
) -> pd.DataFrame:
    """:func:`calibration_report_from_vectors` of a :class:`TopLabel`."""
    coverage = _check_coverage(coverage)
    estimates, replicates = bootstrap_samples_from_predictions(
        pred,
        n_bins=n_bins,
        metrics=metrics,
        n_resamples=n_resamples,
        seed=seed,
        smece_resamples=smece_resamples,
    )
    table = _interval_table(estimates, replicates, coverage)
    return _report(table, check_temperature(temperature), n_bins, pred.n, coverage)


def calibration_report_from_vectors(
    confidence: Any,
    correct: Any,
    true_prob: Any = None,
    sum_sq: Any = None,
    *,
    true_logprob: Any = None,
    temperature: float = 1.0,
    n_bins: int,
    n_resamples: int,
    seed: int,
    coverage: float = 0.95,
    metrics: Sequence[str] | None = None,
    smece_resamples: int | None = None,
) -> pd.DataFrame:
    """The calibration report of one split from top-label vectors (token-level evaluations).

    Args:
        confidence: ``(N,)`` top-label confidences ``max_k p_ik``.
        correct: ``(N,)`` 0/1 (or bool) ``argmax_k p_ik == y_i``.
        true_prob: ``(N,)`` true-class probabilities ``p_{i y_i}`` (for NLL and Brier), or
            pass ``true_logprob`` (``log p_{i y_i}``, exact for confident mistakes) instead.
        sum_sq: ``(N,)`` ``sum_k p_ik^2`` (for Brier).
        temperature: the ``T`` the vectors were computed at (recorded in the table only).
        n_bins, n_resamples, seed, smece_resamples: see
            :func:`bootstrap_samples_from_predictions`.
        coverage: coverage of the percentile intervals.
        metrics: names out of :data:`VECTOR_METRICS`; None: all the given vectors allow.

    Returns:
        The layout of :func:`calibration_report` (no classwise ECE: it needs every class).
    """
    pred = TopLabel.from_vectors(confidence, correct, true_prob, sum_sq, true_logprob=true_logprob)
    return calibration_report_from_predictions(
        pred,
        temperature=temperature,
        n_bins=n_bins,
        n_resamples=n_resamples,
        seed=seed,
        coverage=coverage,
        metrics=metrics,
        smece_resamples=smece_resamples,
    )
