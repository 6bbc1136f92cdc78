"""Point calibration metrics on top-label vectors, and their dense ``(probs, labels)`` forms.

Paper: Müller, Kornblith & Hinton (2019), §3 and Table 3, which report "the estimated expected
calibration error (ECE)" of Guo et al. (2017) with a 15-bin reliability diagram (Fig. 2).

Each metric exists twice: ``<metric>_from_vectors(confidence, correct, ...)`` works on the
per-example vectors of :mod:`.core` (``(N,)`` each; what a token-level evaluation keeps), and
``<metric>(probs, labels, ...)`` on a dense probability matrix ``(N, K)``, which reduces it to
the vectors and calls the former. Only classwise ECE needs every class's probability and exists
in the dense form alone. Bins and conventions: see :mod:`.core`. All metrics are fractions
(ECE = 0.15 means 15 percentage points); NLL is in nats.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import relplot

from lsrepro.calibration.core import (
    ShapeError,
    TopLabel,
    _conf_correct,
    as_true_logprob,
    bin_index,
    check_logits_labels,
    check_n_bins,
    check_probs_labels,
    predictions_from_logits,
)

__all__ = [
    "accuracy",
    "adaptive_ece",
    "adaptive_ece_from_vectors",
    "brier",
    "brier_from_vectors",
    "classwise_ece",
    "ece",
    "ece_from_bins",
    "ece_from_vectors",
    "mce",
    "mce_from_vectors",
    "nll",
    "nll_from_vectors",
    "reliability_bins",
    "reliability_bins_from_vectors",
    "smooth_ece",
    "smooth_ece_from_vectors",
]


def _vectors(confidence: np.ndarray, correct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validated float64 ``(c, a)`` (the checks of :class:`TopLabel`)."""
    pred = TopLabel(confidence, correct)
    return pred.confidence, pred.correct


def bin_sums(
    conf: np.ndarray, acc: np.ndarray, n_bins: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per equal-width bin: count, sum of confidences and sum of correctness, each ``(M,)``."""
    b = bin_index(conf, n_bins)
    count = np.bincount(b, minlength=n_bins).astype(np.float64)
    s_conf = np.bincount(b, weights=conf, minlength=n_bins)
    s_acc = np.bincount(b, weights=acc, minlength=n_bins)
    return count, s_conf, s_acc


def adaptive_ends(n: int, n_bins: int) -> np.ndarray:
    """End positions (exclusive) of the equal-mass bins over ``n`` sorted values, shape ``(M,)``.

    Same split as ``numpy.array_split``: the first ``n % M`` bins hold ``ceil(n / M)`` values, the
    rest ``floor(n / M)`` (bins are empty when ``n < M``).
    """
    sizes = np.full(n_bins, n // n_bins, dtype=np.int64)
    sizes[: n % n_bins] += 1
    return np.cumsum(sizes)


def tie_groups(sorted_conf: np.ndarray) -> np.ndarray:
    """Start positions of the runs of equal values in a sorted vector, ``(G,)`` int64."""
    new = np.ones(sorted_conf.shape[0], dtype=bool)
    new[1:] = sorted_conf[1:] != sorted_conf[:-1]
    return np.flatnonzero(new)


def adaptive_gaps(group_count: np.ndarray, group_resid: np.ndarray, n: int, n_bins: int):
    """Adaptive ECE ``(R,)`` from per-tie-group counts and residual sums, each ``(R, G)``.

    Groups are the distinct confidences in increasing order; row ``r`` is one (re)sample of
    ``n`` examples. The cumulative residual ``C(b)`` over the first ``b`` sorted examples is
    linear inside a group (its members are interchangeable: they share one confidence), so a bin
    edge that cuts a group takes that share of the group's residual sum. Result:
    ``(1/n) sum_m |C(end_m) - C(start_m)|``.
    """
    r, g = group_count.shape
    cnt = np.ones((r, g + 1))
    cnt[:, :g] = group_count
    res = np.zeros((r, g + 1))
    res[:, :g] = group_resid
    cum_n = np.zeros((r, g + 1))
    np.cumsum(group_count, axis=1, out=cum_n[:, 1:])
    cum_r = np.zeros((r, g + 1))
    np.cumsum(group_resid, axis=1, out=cum_r[:, 1:])
    edges = np.concatenate([[0], adaptive_ends(n, n_bins)]).astype(np.float64)  # (M + 1,)
    # the group holding each edge: the last j with cum_n[j] <= edge, found for every row at
    # once by offsetting row r by r (n + 1) (rows then form one sorted vector)
    offset = np.arange(r)[:, None] * (n + 1.0)
    j = np.searchsorted((cum_n + offset).ravel(), (edges + offset).ravel(), side="right")
    j = (j - 1).reshape(r, -1) - np.arange(r)[:, None] * (g + 1)  # (R, M + 1) in [0, G]
    take = np.take_along_axis
    cum = take(cum_r, j, 1) + (edges - take(cum_n, j, 1)) / take(cnt, j, 1) * take(res, j, 1)
    return np.abs(np.diff(cum, axis=1)).sum(axis=1) / n


# ----------------------------------------------------------------------------------------------
# On vectors
# ----------------------------------------------------------------------------------------------


def ece_from_vectors(confidence: np.ndarray, correct: np.ndarray, n_bins: int = 15) -> float:
    """Expected calibration error of the top label with ``M`` equal-width bins (Guo et al. 2017).

    ``ECE = sum_m (|B_m| / N) |acc(B_m) - conf(B_m)| = (1/N) sum_m |sum_{i in B_m} (a_i - c_i)|``
    with ``acc(B_m)`` the fraction correct and ``conf(B_m)`` the mean top-label confidence in bin
    ``B_m = {i : (m-1)/M < c_i <= m/M}``. Empty bins contribute 0. ``confidence`` and ``correct``
    are ``(N,)``; the paper (§3, Table 3) uses ``M = 15``.

    >>> round(ece_from_vectors(np.array([0.9, 0.6]), np.array([1, 0])), 6)  # (.1 + .6) / 2
    0.35
    """
    c, a = _vectors(confidence, correct)
    count, s_conf, s_acc = bin_sums(c, a, check_n_bins(n_bins))
    return float(np.abs(s_acc - s_conf).sum() / c.shape[0])


def mce_from_vectors(confidence: np.ndarray, correct: np.ndarray, n_bins: int = 15) -> float:
    """Maximum calibration error ``max_{m: |B_m| > 0} |acc(B_m) - conf(B_m)|`` (Guo et al. 2017).

    Same equal-width, right-closed bins as :func:`ece_from_vectors`; empty bins are skipped.
    """
    c, a = _vectors(confidence, correct)
    count, s_conf, s_acc = bin_sums(c, a, check_n_bins(n_bins))
    full = count > 0
    return float((np.abs(s_acc[full] - s_conf[full]) / count[full]).max())


def adaptive_ece_from_vectors(
    confidence: np.ndarray, correct: np.ndarray, n_bins: int = 15
) -> float:
    """Top-label ECE with ``M`` equal-mass bins (adaptive binning, Nguyen & O'Connor 2015).

    The examples are sorted by confidence and split into ``M`` contiguous groups of sizes as
    ``numpy.array_split`` gives (differing by at most one);
    ``adaECE = (1/N) sum_m |sum_{i in B_m} (a_i - c_i)|``. Examples with equal confidence are
    interchangeable: where a bin edge falls inside a run of ties, each side gets its share of the
    run's summed residual (as if each tied example carried the run's mean residual). This makes
    the metric a function of the multiset of ``(c_i, a_i)`` (independent of input order), so the
    bootstrap's replicates are this metric on each resample; without ties it is the plain
    sort-and-split estimate.
    """
    c, a = _vectors(confidence, correct)
    m = check_n_bins(n_bins)
    order = np.argsort(c, kind="stable")
    starts = tie_groups(c[order])
    resid = (a - c)[order]
    counts = np.diff(np.append(starts, c.shape[0])).astype(np.float64)
    sums = resid if starts.size == c.shape[0] else np.add.reduceat(resid, starts)
    return float(adaptive_gaps(counts[None], sums[None], c.shape[0], m)[0])


def smooth_ece_from_vectors(confidence: np.ndarray, correct: np.ndarray) -> float:
    """Smooth ECE (Błasiok & Nakkiran 2023) of the top label, ``relplot.smECE(c, a)``.

    relplot's defaults (reflected Gaussian kernel, bandwidth chosen automatically). No bins.
    """
    c, a = _vectors(confidence, correct)
    return float(relplot.smECE(c, a))


def reliability_bins_from_vectors(
    confidence: np.ndarray, correct: np.ndarray, n_bins: int = 15
) -> pd.DataFrame:
    """Reliability-diagram table of the top label (paper Fig. 2) with equal-width bins.

    Returns one row per bin ``m = 1..M`` with columns ``bin`` (1-based), ``lower`` and ``upper``
    (the bin is ``(lower, upper]``, the first also holds 0), ``count`` (examples in the bin),
    ``mean_confidence`` and ``accuracy`` (fractions; NaN for empty bins).
    """
    c, a = _vectors(confidence, correct)
    m = check_n_bins(n_bins)
    count, s_conf, s_acc = bin_sums(c, a, m)
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
    """ECE ``sum_m |B_m|/N |acc(B_m) - conf(B_m)|`` from a reliability-bins table.

    Equals :func:`ece` on the data the table was made from (a saved table is enough to label a
    reliability diagram with its ECE).
    """
    full = bins[bins["count"] > 0]
    weights = full["count"] / full["count"].sum()
    return float((weights * (full["accuracy"] - full["mean_confidence"]).abs()).sum())


def nll_from_vectors(
    true_prob: np.ndarray | None = None, *, true_logprob: np.ndarray | None = None
) -> float:
    """Mean negative log-likelihood ``-(1/N) sum_i log p_{i y_i}`` in nats.

    Give the true-class log-probabilities (exact for confident mistakes) or the probabilities.
    """
    if true_prob is None and true_logprob is None:
        raise ValueError("give true_prob or true_logprob")
    return float(-as_true_logprob(true_prob, true_logprob).mean())


def brier_from_vectors(true_prob: np.ndarray, sum_sq: np.ndarray) -> float:
    """Multiclass Brier score ``(1/N) sum_i (sum_k p_ik^2 - 2 p_{i y_i} + 1)`` in ``[0, 2]``.

    Equal to ``(1/N) sum_i sum_k (p_ik - 1[k = y_i])^2`` (Brier 1950), from the true-class
    probability ``(N,)`` and ``sum_sq = sum_k p_ik^2`` ``(N,)``.
    """
    as_true_logprob(true_prob)  # validates: a vector of probabilities
    tp = np.asarray(true_prob, dtype=np.float64)
    sq = np.asarray(sum_sq, dtype=np.float64)
    if sq.shape != tp.shape:
        raise ShapeError(f"shape mismatch: sum_sq {sq.shape}, true_prob {tp.shape}")
    return float((sq - 2.0 * tp + 1.0).mean())


def brier_per_example(pred: TopLabel) -> np.ndarray:
    """``sum_k p_ik^2 - 2 p_{i y_i} + 1`` ``(N,)``: the Brier score without the one-hot matrix."""
    return pred._need("sum_sq", "the Brier score") - 2.0 * pred.true_prob + 1.0


# ----------------------------------------------------------------------------------------------
# Dense forms (probs or logits (N, K), labels (N,))
# ----------------------------------------------------------------------------------------------


def _dense(probs: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return _conf_correct(*check_probs_labels(probs, labels))


def accuracy(probs: np.ndarray, labels: np.ndarray) -> float:
    """Top-1 accuracy ``(1/N) sum_i 1[argmax_k p_ik = y_i]`` (fraction) of probs ``(N, K)``."""
    return float(_dense(probs, labels)[1].mean())


def nll(logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood in nats, ``-(1/N) sum_i log softmax(z_i / T)_{y_i}``.

    Takes logits ``(N, K)``, not probabilities: computed through ``log_softmax`` it stays exact
    for confident mistakes whose probability underflows to 0. ``-inf`` logits in classes other
    than the label (a masked vocabulary) are allowed.
    """
    z, y = check_logits_labels(logits, labels)
    return float(-predictions_from_logits(z, y, temperature).true_logprob.mean())


def brier(probs: np.ndarray, labels: np.ndarray) -> float:
    """Multiclass Brier score ``(1/N) sum_i sum_k (p_ik - 1[k = y_i])^2`` in ``[0, 2]``.

    Summed over classes (Brier 1950), averaged over examples; probs ``(N, K)``.
    """
    p, y = check_probs_labels(probs, labels)
    rows = np.arange(p.shape[0])
    # sum_k p_k^2 - 2 p_y + 1, without materialising the one-hot matrix
    return float(((p * p).sum(axis=1) - 2.0 * p[rows, y] + 1.0).mean())


def ece(probs: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> float:
    """:func:`ece_from_vectors` of probs ``(N, K)`` and labels ``(N,)`` (paper §3, Table 3).

    >>> probs = np.array([[0.9, 0.1], [0.6, 0.4]])  # confident and right, less so and wrong
    >>> round(ece(probs, np.array([0, 1]), n_bins=15), 6)  # (|1 - 0.9| + |0 - 0.6|) / 2
    0.35
    """
    return ece_from_vectors(*_dense(probs, labels), n_bins)


def mce(probs: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> float:
    """:func:`mce_from_vectors` of probs ``(N, K)`` and labels ``(N,)``."""
    return mce_from_vectors(*_dense(probs, labels), n_bins)


def adaptive_ece(probs: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> float:
    """:func:`adaptive_ece_from_vectors` of probs ``(N, K)`` and labels ``(N,)``."""
    return adaptive_ece_from_vectors(*_dense(probs, labels), n_bins)


def smooth_ece(probs: np.ndarray, labels: np.ndarray) -> float:
    """:func:`smooth_ece_from_vectors` of probs ``(N, K)`` and labels ``(N,)``."""
    return smooth_ece_from_vectors(*_dense(probs, labels))


def reliability_bins(probs: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> pd.DataFrame:
    """:func:`reliability_bins_from_vectors` of probs ``(N, K)`` and labels ``(N,)``."""
    return reliability_bins_from_vectors(*_dense(probs, labels), n_bins)


def classwise_ece(probs: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> float:
    """Classwise ECE of Kull et al. (2019), averaged over the ``K`` classes (dense only).

    For each class ``k`` the probabilities ``p_ik`` of all ``N`` examples are binned with the same
    equal-width, right-closed bins as :func:`ece`, and
    ``classwise-ECE = (1/K) sum_k sum_m (|B_mk| / N) |freq_k(B_mk) - mean p_k(B_mk)|
    = (1/(K N)) sum_k sum_m |sum_{i in B_mk} (1[y_i = k] - p_ik)|``. Probs ``(N, K)``.
    """
    p, y = check_probs_labels(probs, labels)
    m = check_n_bins(n_bins)
    n, k = p.shape
    d = -p
    d[np.arange(n), y] += 1.0  # 1[y_i = k] - p_ik
    key = bin_index(p, m) + m * np.arange(k)  # (N, K) column-specific bin ids
    sums = np.bincount(key.ravel(), weights=d.ravel(), minlength=k * m)
    return float(np.abs(sums).sum() / (n * k))
