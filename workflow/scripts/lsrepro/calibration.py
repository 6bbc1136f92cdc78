"""Calibration metrics over saved logits: ECE and friends, reliability bins, bootstrap intervals.

Paper: Müller, Kornblith & Hinton (2019), §3 and Table 3, which report "the estimated expected
calibration error (ECE)" of Guo et al. (2017) with a 15-bin reliability diagram (Fig. 2).

Conventions used throughout this module
---------------------------------------
* ``logits`` are raw, unnormalised network outputs of shape ``(N, K)``; ``probs`` are rows of a
  softmax, shape ``(N, K)``, each row summing to 1. Functions say which one they take and check
  it (a ``probs`` argument that does not look like probabilities is an error, never guessed at).
* ``labels`` are integer class indices of shape ``(N,)`` in ``[0, K)``.
* Everything is computed in float64, whatever the input dtype.
* Top-label prediction: ``pred_i = argmax_k p_ik`` (first index on ties); top-label confidence
  ``c_i = max_k p_ik``; correctness ``a_i = 1[pred_i = y_i]``.
* Equal-width bins: with ``M`` bins, bin ``m = 1..M`` is ``B_m = {i : (m-1)/M < c_i <= m/M}``,
  i.e. right-closed as in Guo et al.'s reference code; a confidence of exactly 0 falls into the
  first bin and exactly 1.0 into the last. The edges are ``numpy.linspace(0, 1, M + 1)`` in
  float64 and membership is decided by comparison with those edges (``searchsorted``).
  (torchmetrics uses left-closed bins ``[l, u)``; the two agree unless a confidence lies exactly
  on an inner edge.)
* All metrics are fractions (ECE = 0.15 means 15 percentage points), NLL is in nats.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import relplot
import scipy.sparse as sps

__all__ = [
    "ALL_METRICS",
    "BINNED_METRICS",
    "CalibrationInputError",
    "EmptyInputError",
    "ece_from_bins",
    "LabelRangeError",
    "NonFiniteError",
    "ShapeError",
    "accuracy",
    "adaptive_ece",
    "bin_index",
    "bootstrap_indices",
    "bootstrap_metrics",
    "bootstrap_samples",
    "brier",
    "calibration_report",
    "check_logits_labels",
    "check_probs_labels",
    "classwise_ece",
    "ece",
    "log_softmax",
    "mce",
    "nll",
    "reliability_bins",
    "smooth_ece",
    "softmax",
]

#: Every metric :func:`bootstrap_metrics` and :func:`calibration_report` know, in report order.
ALL_METRICS: tuple[str, ...] = (
    "accuracy",
    "nll",
    "brier",
    "ece",
    "mce",
    "adaptive_ece",
    "classwise_ece",
    "smece",
)
#: The metrics that depend on the number of bins.
BINNED_METRICS: frozenset[str] = frozenset({"ece", "mce", "adaptive_ece", "classwise_ece"})

# Tolerance for "rows of probs sum to 1": float32 softmax rows over 1,000 classes are within 1e-5.
_PROB_SUM_ATOL = 1e-3
# Bound on the float64 entries materialised at once by the bootstrap (about 32 MiB).
_CHUNK_ENTRIES = 1 << 22


# ----------------------------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------------------------


class CalibrationInputError(ValueError):
    """Base class of every bad-input error raised by the calibration code."""


class EmptyInputError(CalibrationInputError):
    """The split holds no examples."""


class ShapeError(CalibrationInputError):
    """Arrays have the wrong number of dimensions or shapes that do not match."""


class NonFiniteError(CalibrationInputError):
    """Logits or probabilities contain NaN or infinite values."""


class LabelRangeError(CalibrationInputError):
    """Labels are not integers in ``[0, K)``."""


def _check_labels(labels: np.ndarray, n: int, k: int, what: str, shape: tuple[int, ...]) -> None:
    if labels.ndim != 1 or labels.shape[0] != n:
        raise ShapeError(
            f"shape mismatch: labels have shape {labels.shape} but {what} have shape {shape}; "
            f"expected labels of shape ({n},)"
        )
    if not np.issubdtype(labels.dtype, np.integer):
        raise LabelRangeError(f"labels must be integer class indices, got dtype {labels.dtype}")
    bad = (labels < 0) | (labels >= k)
    if bad.any():
        raise LabelRangeError(
            f"{int(bad.sum())} of {n} labels outside [0, {k - 1}] for K = {k} classes "
            f"(min {int(labels.min())}, max {int(labels.max())})"
        )


def _check_matrix(x: np.ndarray, what: str) -> None:
    if x.ndim != 2:
        raise ShapeError(f"{what} must be a 2-D array (N, K), got shape {x.shape}")
    if x.shape[0] == 0:
        raise EmptyInputError(f"empty split: {what} have 0 rows (shape {x.shape})")
    if x.shape[1] < 2:
        raise ShapeError(f"{what} need at least 2 classes (columns), got shape {x.shape}")
    finite = np.isfinite(x)
    if not finite.all():
        n_bad = int(x.size - finite.sum())
        rows = np.flatnonzero(~finite.all(axis=1))
        raise NonFiniteError(
            f"{n_bad} non-finite values (NaN or inf) in {what} of shape {x.shape}, "
            f"in {rows.size} rows (first: row {int(rows[0])})"
        )


def check_logits_labels(logits: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate logits ``(N, K)`` and labels ``(N,)``; return them as float64 and int64 arrays.

    Raises:
        ShapeError: logits not 2-D, fewer than 2 classes, or labels not of shape ``(N,)``.
        EmptyInputError: ``N == 0``.
        NonFiniteError: NaN or inf in the logits (the message says how many).
        LabelRangeError: labels not integers in ``[0, K)``.
    """
    z = np.asarray(logits)
    y = np.asarray(labels)
    _check_matrix(z, "logits")
    _check_labels(y, z.shape[0], z.shape[1], "logits", z.shape)
    return z.astype(np.float64, copy=False), y.astype(np.int64, copy=False)


def check_probs_labels(probs: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate probabilities ``(N, K)`` and labels ``(N,)``; return float64 and int64 arrays.

    Besides the checks of :func:`check_logits_labels`, every entry must lie in ``[0, 1]`` and every
    row must sum to 1 within 1e-3, which catches logits passed where probabilities are expected.
    """
    p = np.asarray(probs)
    y = np.asarray(labels)
    _check_matrix(p, "probs")
    _check_labels(y, p.shape[0], p.shape[1], "probs", p.shape)
    p = p.astype(np.float64, copy=False)
    if p.min() < -_PROB_SUM_ATOL or p.max() > 1.0 + _PROB_SUM_ATOL:
        raise CalibrationInputError(
            f"probs must lie in [0, 1], got range [{p.min():.4g}, {p.max():.4g}]; "
            "were logits passed? use softmax(logits, temperature) first"
        )
    dev = float(np.abs(p.sum(axis=1) - 1.0).max())
    if dev > _PROB_SUM_ATOL:
        raise CalibrationInputError(
            f"rows of probs must sum to 1, max deviation {dev:.3g}; "
            "were logits passed? use softmax(logits, temperature) first"
        )
    return p, y


def _check_temperature(temperature: float) -> float:
    t = float(temperature)
    if not np.isfinite(t) or t <= 0.0:
        raise CalibrationInputError(f"temperature must be finite and > 0, got {temperature!r}")
    return t


def _check_n_bins(n_bins: int) -> int:
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise CalibrationInputError(f"n_bins must be a positive integer, got {n_bins!r}")
    return int(n_bins)


# ----------------------------------------------------------------------------------------------
# Softmax and per-example quantities
# ----------------------------------------------------------------------------------------------


def log_softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Log-probabilities ``log softmax(z / T)`` of logits ``(N, K)``, float64, shape ``(N, K)``.

    ``log p_ik = z_ik / T - log sum_l exp(z_il / T)``, computed with the row maximum subtracted so
    that it is exact for arbitrarily large logits. ``T = 1`` leaves the logits unchanged; ``T > 1``
    softens (paper §3: reported temperatures > 1 reduce over-confidence).
    """
    t = _check_temperature(temperature)
    s = np.asarray(logits, dtype=np.float64) / t
    s = s - s.max(axis=-1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Probabilities ``softmax(z / T)`` of logits ``(N, K)``: float64 ``(N, K)``, rows sum to 1."""
    return np.exp(log_softmax(logits, temperature))


def _top_label(p: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Top-label confidence ``c`` (N,) and correctness ``a`` (N,), both float64."""
    pred = p.argmax(axis=1)
    conf = p[np.arange(p.shape[0]), pred]
    return conf, (pred == y).astype(np.float64)


def bin_index(values: np.ndarray, n_bins: int) -> np.ndarray:
    """0-based equal-width bin of each value in ``[0, 1]``: ``m - 1`` for ``(m-1)/M < v <= m/M``.

    Right-closed bins on the float64 edges ``linspace(0, 1, M + 1)``; 0 maps to the first bin,
    1.0 to the last (values are clipped into ``[0, M-1]``). Any shape in, same shape out (int64).
    """
    m = _check_n_bins(n_bins)
    edges = np.linspace(0.0, 1.0, m + 1)
    idx = np.searchsorted(edges, values, side="left") - 1
    return np.clip(idx, 0, m - 1)


def _adaptive_ends(n: int, n_bins: int) -> np.ndarray:
    """End positions (exclusive) of the equal-mass bins over ``n`` sorted values, shape ``(M,)``.

    Same split as ``numpy.array_split``: the first ``n % M`` bins hold ``ceil(n / M)`` values, the
    rest ``floor(n / M)`` (bins are empty when ``n < M``).
    """
    sizes = np.full(n_bins, n // n_bins, dtype=np.int64)
    sizes[: n % n_bins] += 1
    return np.cumsum(sizes)


# ----------------------------------------------------------------------------------------------
# Point metrics
# ----------------------------------------------------------------------------------------------


def accuracy(probs: np.ndarray, labels: np.ndarray) -> float:
    """Top-1 accuracy ``(1/N) sum_i 1[argmax_k p_ik = y_i]`` (fraction) of probs ``(N, K)``."""
    p, y = check_probs_labels(probs, labels)
    return float(_top_label(p, y)[1].mean())


def nll(logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood in nats, ``-(1/N) sum_i log softmax(z_i / T)_{y_i}``.

    Takes logits ``(N, K)``, not probabilities: computed through ``log_softmax`` it stays exact
    for confident mistakes whose probability underflows to 0.
    """
    z, y = check_logits_labels(logits, labels)
    logp = log_softmax(z, temperature)
    return float(-logp[np.arange(z.shape[0]), y].mean())


def brier(probs: np.ndarray, labels: np.ndarray) -> float:
    """Multiclass Brier score ``(1/N) sum_i sum_k (p_ik - 1[k = y_i])^2`` in ``[0, 2]``.

    Summed over classes (Brier 1950), averaged over examples; probs ``(N, K)``.
    """
    p, y = check_probs_labels(probs, labels)
    return float(_brier_per_example(p, y).mean())


def _brier_per_example(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    rows = np.arange(p.shape[0])
    # sum_k p_k^2 - 2 p_y + 1, without materialising the one-hot matrix
    return (p * p).sum(axis=1) - 2.0 * p[rows, y] + 1.0


def _binned_top_label(
    p: np.ndarray, y: np.ndarray, n_bins: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-bin count, sum of confidences and sum of correctness, each of shape ``(M,)``."""
    conf, acc = _top_label(p, y)
    b = bin_index(conf, n_bins)
    count = np.bincount(b, minlength=n_bins).astype(np.float64)
    s_conf = np.bincount(b, weights=conf, minlength=n_bins)
    s_acc = np.bincount(b, weights=acc, minlength=n_bins)
    return count, s_conf, s_acc


def ece(probs: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> float:
    """Expected calibration error of the top label with ``M`` equal-width bins (Guo et al. 2017).

    ``ECE = sum_m (|B_m| / N) |acc(B_m) - conf(B_m)| = (1/N) sum_m |sum_{i in B_m} (a_i - c_i)|``
    with ``acc(B_m)`` the fraction correct and ``conf(B_m)`` the mean top-label confidence in bin
    ``B_m = {i : (m-1)/M < c_i <= m/M}``. Empty bins contribute 0. Probs ``(N, K)``; the paper
    (§3, Table 3) uses ``M = 15``.

    >>> probs = np.array([[0.9, 0.1], [0.6, 0.4]])  # confident and right, less so and wrong
    >>> round(ece(probs, np.array([0, 1]), n_bins=15), 6)  # (|1 - 0.9| + |0 - 0.6|) / 2
    0.35
    """
    p, y = check_probs_labels(probs, labels)
    count, s_conf, s_acc = _binned_top_label(p, y, _check_n_bins(n_bins))
    return float(np.abs(s_acc - s_conf).sum() / p.shape[0])


def mce(probs: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> float:
    """Maximum calibration error ``max_{m: |B_m| > 0} |acc(B_m) - conf(B_m)|`` (Guo et al. 2017).

    Same equal-width, right-closed bins as :func:`ece`; empty bins are skipped. Probs ``(N, K)``.
    """
    p, y = check_probs_labels(probs, labels)
    count, s_conf, s_acc = _binned_top_label(p, y, _check_n_bins(n_bins))
    full = count > 0
    return float((np.abs(s_acc[full] - s_conf[full]) / count[full]).max())


def adaptive_ece(probs: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> float:
    """Top-label ECE with ``M`` equal-mass bins (adaptive binning, Nguyen & O'Connor 2015).

    The examples are sorted by top-label confidence (stable sort, so ties keep their input
    order) and split into ``M`` contiguous groups as ``numpy.array_split`` does (sizes differ by at
    most one). ``adaECE = (1/N) sum_m |sum_{i in B_m} (a_i - c_i)|``. Probs ``(N, K)``.
    """
    p, y = check_probs_labels(probs, labels)
    m = _check_n_bins(n_bins)
    conf, acc = _top_label(p, y)
    order = np.argsort(conf, kind="stable")
    cum = np.concatenate([[0.0], np.cumsum((acc - conf)[order])])
    ends = _adaptive_ends(p.shape[0], m)
    starts = np.concatenate([[0], ends[:-1]])
    return float(np.abs(cum[ends] - cum[starts]).sum() / p.shape[0])


def classwise_ece(probs: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> float:
    """Classwise ECE of Kull et al. (2019), averaged over the ``K`` classes.

    For each class ``k`` the probabilities ``p_ik`` of all ``N`` examples are binned with the same
    equal-width, right-closed bins as :func:`ece`, and
    ``classwise-ECE = (1/K) sum_k sum_m (|B_mk| / N) |freq_k(B_mk) - mean p_k(B_mk)|
    = (1/(K N)) sum_k sum_m |sum_{i in B_mk} (1[y_i = k] - p_ik)|``. Probs ``(N, K)``.
    """
    p, y = check_probs_labels(probs, labels)
    m = _check_n_bins(n_bins)
    n, k = p.shape
    d = -p
    d[np.arange(n), y] += 1.0  # 1[y_i = k] - p_ik
    key = bin_index(p, m) + m * np.arange(k)  # (N, K) column-specific bin ids
    sums = np.bincount(key.ravel(), weights=d.ravel(), minlength=k * m)
    return float(np.abs(sums).sum() / (n * k))


def smooth_ece(probs: np.ndarray, labels: np.ndarray) -> float:
    """Smooth ECE (Błasiok & Nakkiran 2023) of the top-label confidence, via ``relplot.smECE``.

    Calls ``relplot.smECE(c, a)`` with top-label confidences ``c`` and correctness ``a``, using
    relplot's defaults (reflected Gaussian kernel, bandwidth chosen automatically). No bins.
    Probs ``(N, K)``.
    """
    p, y = check_probs_labels(probs, labels)
    conf, acc = _top_label(p, y)
    return float(relplot.smECE(conf, acc))


def reliability_bins(probs: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> pd.DataFrame:
    """Reliability-diagram table of the top label (paper Fig. 2) with equal-width bins.

    Returns one row per bin ``m = 1..M`` with columns ``bin`` (1-based), ``lower`` and ``upper``
    (the bin is ``(lower, upper]``, the first also holds 0), ``count`` (examples in the bin),
    ``mean_confidence`` and ``accuracy`` (fractions; NaN for empty bins). Probs ``(N, K)``.
    """
    p, y = check_probs_labels(probs, labels)
    m = _check_n_bins(n_bins)
    count, s_conf, s_acc = _binned_top_label(p, y, m)
    edges = np.linspace(0.0, 1.0, m + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.where(count > 0, s_conf / count, np.nan)
        acc = np.where(count > 0, s_acc / count, np.nan)
    return pd.DataFrame(
        {
            "bin": np.arange(1, m + 1),
            "lower": edges[:-1],
            "upper": edges[1:],
            "count": count.astype(np.int64),
            "mean_confidence": mean_conf,
            "accuracy": acc,
        }
    )


def ece_from_bins(bins: pd.DataFrame) -> float:
    """ECE ``sum_m |B_m|/N |acc(B_m) - conf(B_m)|`` from a :func:`reliability_bins` table.

    Equals :func:`ece` on the data the table was made from (a saved table is enough to label a
    reliability diagram with its ECE).
    """
    full = bins[bins["count"] > 0]
    weights = full["count"] / full["count"].sum()
    return float((weights * (full["accuracy"] - full["mean_confidence"]).abs()).sum())


# ----------------------------------------------------------------------------------------------
# Bootstrap
# ----------------------------------------------------------------------------------------------


def bootstrap_indices(n: int, n_resamples: int, seed: int) -> np.ndarray:
    """Index matrix ``(B, N)`` of ``B`` bootstrap resamples of ``N`` examples, drawn at once.

    ``numpy.random.default_rng(seed).integers(0, n, size=(B, n), dtype=int32)``; the same
    ``(n, n_resamples, seed)`` always gives the same matrix.
    """
    if n < 1 or n_resamples < 1:
        raise CalibrationInputError(f"need n >= 1 and n_resamples >= 1, got {n}, {n_resamples}")
    if n > np.iinfo(np.int32).max:
        raise CalibrationInputError(f"too many examples for int32 indices: {n}")
    rng = np.random.default_rng(seed)
    return rng.integers(0, n, size=(n_resamples, n), dtype=np.int32)


def _check_metrics(metrics: Sequence[str]) -> tuple[str, ...]:
    if isinstance(metrics, str):
        raise CalibrationInputError(
            f"metrics must be a sequence of names, got the string {metrics!r}"
        )
    unknown = sorted(set(metrics) - set(ALL_METRICS))
    if unknown:
        raise CalibrationInputError(f"unknown metrics {unknown}; known: {list(ALL_METRICS)}")
    if not metrics:
        raise CalibrationInputError("metrics is empty")
    return tuple(m for m in ALL_METRICS if m in set(metrics))


class _Prepared:
    """Per-example quantities that every resample is a weighted sum of (float64).

    The examples are stored in increasing order of top-label confidence (stable sort, as in
    :func:`adaptive_ece`); ``rank[i]`` is the sorted position of input example ``i``. Metrics do
    not depend on the order of examples, and sorting once lets adaptive ECE skip a sort per
    resample.
    """

    def __init__(self, z: np.ndarray, y: np.ndarray, temperature: float, n_bins: int) -> None:
        n, k = z.shape
        logp = log_softmax(z, temperature)  # (N, K)
        p = np.exp(logp)
        conf, acc = _top_label(p, y)
        order = np.argsort(conf, kind="stable")
        self.rank = np.empty(n, dtype=np.int64)
        self.rank[order] = np.arange(n)
        logp, p, y, conf, acc = logp[order], p[order], y[order], conf[order], acc[order]

        rows = np.arange(n)
        self.n, self.k, self.m = n, k, n_bins
        self.acc = acc  # (N,)
        self.nll = -logp[rows, y]  # (N,)
        self.brier = _brier_per_example(p, y)  # (N,)
        # ECE / MCE: one-hot bin indicator times (1, c_i, a_i), shape (N, 3M)
        b = bin_index(conf, n_bins)
        self.top = np.zeros((n, 3 * n_bins))
        self.top[rows, b] = 1.0
        self.top[rows, n_bins + b] = conf
        self.top[rows, 2 * n_bins + b] = acc
        # adaptive ECE: residuals a_i - c_i (already in confidence order) and non-empty bins
        self.resid = acc - conf  # (N,)
        ends = _adaptive_ends(n, n_bins)
        starts = np.concatenate([[0], ends[:-1]])
        self.ada_starts = starts[ends > starts]
        # classwise ECE: residuals d_ik = 1[y_i = k] - p_ik, (N, K), and the same residuals
        # outside the first bin as a sparse (N, K (M-1)) matrix, column k (M-1) + bin_ik - 1.
        # Probabilities sum to 1, so at most M - 1 entries per row exceed 1/M: the matrix is
        # sparse, and the first bin's sums follow as class totals minus the other bins' sums.
        d = -p
        d[rows, y] += 1.0
        self.cw_resid = d
        cw_bin = bin_index(p, n_bins)  # (N, K)
        i, j = np.nonzero(cw_bin > 0)
        self.cw_upper = sps.csr_matrix(
            (d[i, j], (i, j * (n_bins - 1) + cw_bin[i, j] - 1)), shape=(n, k * (n_bins - 1))
        )
        # smECE inputs
        self.conf = conf


def _resample_metrics(
    prep: _Prepared, counts: np.ndarray, metrics: tuple[str, ...]
) -> dict[str, np.ndarray]:
    """Every metric of ``metrics`` (except smECE) for each row of ``counts``.

    ``counts`` is an ``(R, N)`` integer matrix of multiplicities in ``prep``'s (sorted) order:
    row r says how often each example occurs in resample r (each row sums to N);
    ``np.ones((1, N))`` is the full split. Returns arrays of shape ``(R,)``. Accuracy, NLL,
    Brier, ECE, MCE and classwise ECE are linear in the multiplicities (matrix products, sparse
    for classwise ECE);
    adaptive ECE needs each resample in confidence order, which a counting sort over the
    multiplicities gives in O(R N).
    """
    n, m = prep.n, prep.m
    r = counts.shape[0]
    weights = counts.astype(np.float64)
    out: dict[str, np.ndarray] = {}
    if "accuracy" in metrics:
        out["accuracy"] = weights @ prep.acc / n
    if "nll" in metrics:
        out["nll"] = weights @ prep.nll / n
    if "brier" in metrics:
        out["brier"] = weights @ prep.brier / n
    if "ece" in metrics or "mce" in metrics:
        s = weights @ prep.top  # (R, 3M): counts, sum of confidences, sum of correctness
        count, gap = s[:, :m], np.abs(s[:, 2 * m :] - s[:, m : 2 * m])
        if "ece" in metrics:
            out["ece"] = gap.sum(axis=1) / n
        if "mce" in metrics:
            with np.errstate(invalid="ignore", divide="ignore"):
                per_bin = np.where(count > 0, gap / count, -np.inf)
            out["mce"] = per_bin.max(axis=1)
    if "adaptive_ece" in metrics:
        # counting sort: row r of `ranks` lists the sorted positions of resample r's examples
        ranks = np.repeat(np.tile(np.arange(n), r), counts.ravel()).reshape(r, n)
        sums = np.add.reduceat(prep.resid[ranks], prep.ada_starts, axis=1)  # (R, non-empty M)
        out["adaptive_ece"] = np.abs(sums).sum(axis=1) / n
    if "classwise_ece" in metrics:
        class_sums = weights @ prep.cw_resid  # (R, K): sum over all bins of each class
        upper = np.asarray(weights @ prep.cw_upper).reshape(r, prep.k, m - 1)  # bins 2..M
        first = class_sums - upper.sum(axis=2)  # (R, K): bin 1
        out["classwise_ece"] = (np.abs(first).sum(axis=1) + np.abs(upper).sum(axis=(1, 2))) / (
            n * prep.k
        )
    return out


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
    """Point estimates and bootstrap replicates of calibration metrics at one temperature.

    Args:
        logits: ``(N, K)`` raw logits; probabilities are ``softmax(logits / temperature)``.
        labels: ``(N,)`` integer labels in ``[0, K)``.
        temperature: ``T > 0`` applied to the logits before the softmax.
        n_bins: ``M``, the number of bins of the binned metrics.
        metrics: names out of :data:`ALL_METRICS`.
        n_resamples: ``B``, bootstrap resamples (with replacement, of size N).
        seed: seed of :func:`bootstrap_indices`; same inputs and seed give identical replicates.
        smece_resamples: smECE costs one ``relplot.smECE`` call per resample (about 10 ms for
            N = 10,000), so its replicates use only the first ``smece_resamples`` rows of the same
            index matrix (default: all ``B``; 0: point estimate only).

    Returns:
        ``(estimates, replicates)``: ``estimates[name]`` is the metric on the full split (computed
        by the same code as the replicates); ``replicates[name]`` has shape ``(B,)`` (smECE:
        ``(smece_resamples,)``).
    """
    z, y = check_logits_labels(logits, labels)
    t = _check_temperature(temperature)
    m = _check_n_bins(n_bins)
    names = _check_metrics(metrics)
    n = z.shape[0]
    prep = _Prepared(z, y, t, m)
    linear = tuple(name for name in names if name != "smece")

    full = np.ones((1, n), dtype=np.int64)
    estimates = {k: float(v[0]) for k, v in _resample_metrics(prep, full, linear).items()}
    idx = bootstrap_indices(n, n_resamples, seed)  # (B, N) indices into the input order
    replicates: dict[str, np.ndarray] = {name: np.empty(n_resamples) for name in linear}
    rows_per_chunk = max(1, _CHUNK_ENTRIES // n)
    for r0 in range(0, n_resamples, rows_per_chunk):
        chunk = prep.rank[idx[r0 : r0 + rows_per_chunk]]  # (r, N) positions in sorted order
        r = chunk.shape[0]
        chunk += (np.arange(r, dtype=np.int64) * n)[:, None]
        counts = np.bincount(chunk.ravel(), minlength=r * n).reshape(r, n)  # multiplicities
        for name, values in _resample_metrics(prep, counts, linear).items():
            replicates[name][r0 : r0 + r] = values

    if "smece" in names:
        n_sm = n_resamples if smece_resamples is None else int(smece_resamples)
        if not 0 <= n_sm <= n_resamples:
            raise CalibrationInputError(
                f"smece_resamples must be in [0, n_resamples={n_resamples}], got {smece_resamples}"
            )
        estimates["smece"] = float(relplot.smECE(prep.conf, prep.acc))
        replicates["smece"] = np.array(
            [float(relplot.smECE(prep.conf[row], prep.acc[row])) for row in prep.rank[idx[:n_sm]]]
        )
    return estimates, replicates


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
    model the percentile interval of ECE can lie entirely above the point estimate.
    """
    if not 0.0 < confidence < 1.0:
        raise CalibrationInputError(f"confidence must be in (0, 1), got {confidence}")
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
    q = [(1.0 - confidence) / 2.0, (1.0 + confidence) / 2.0]
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
        temperature, n_bins, n_examples, confidence``.
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
    t_row = {"metric": "temperature", "estimate": float(temperature), "lower": np.nan}
    t_row |= {"upper": np.nan, "se": np.nan, "n_resamples": 0}
    table = pd.concat([table, pd.DataFrame([t_row])], ignore_index=True)
    table["temperature"] = float(temperature)
    table["n_bins"] = int(n_bins)
    table["n_examples"] = int(np.asarray(labels).shape[0])
    table["confidence"] = float(confidence)
    return table
