"""The calibration core: input checks, softmax, and per-example top-label vectors.

Every calibration metric of this package is a function of four per-example vectors, which
:func:`predictions_from_logits` reduces the ``(N, K)`` logits to, one block of rows at a time:

* ``confidence`` ``c_i = max_k p_ik`` (top-label confidence, a probability);
* ``correct`` ``a_i = 1[argmax_k p_ik = y_i]`` (0.0 or 1.0; first index on ties);
* ``true_logprob`` ``log p_{i y_i}`` (nats; kept as a log so that the NLL of a confident mistake
  whose probability underflows to 0 stays finite);
* ``sum_sq`` ``sum_k p_ik^2`` (for the Brier score ``sum_k p_ik^2 - 2 p_{i y_i} + 1``).

So a 200k-token x 32k-vocabulary evaluation needs four vectors of 200k floats, never the
``(N, K)`` probability matrix. Only classwise ECE needs all ``K`` columns (:mod:`.metrics`).

Conventions
-----------
* ``logits`` are raw, unnormalised network outputs of shape ``(N, K)``; ``probs`` are rows of a
  softmax, shape ``(N, K)``, each row summing to 1. Functions say which one they take and check
  it (a ``probs`` argument that does not look like probabilities is an error, never guessed at).
* ``labels`` are integer class indices of shape ``(N,)`` in ``[0, K)``.
* Logits may be ``-inf`` in classes other than the true one (a masked vocabulary entry has
  probability 0); NaN and ``+inf`` are errors, and so is a ``-inf`` true-class logit (its NLL is
  infinite).
* Everything is computed in float64, whatever the input dtype.
* Equal-width bins: with ``M`` bins, bin ``m = 1..M`` is ``B_m = {i : (m-1)/M < c_i <= m/M}``,
  i.e. right-closed as in Guo et al.'s reference code; a confidence of exactly 0 falls into the
  first bin and exactly 1.0 into the last. The edges are ``numpy.linspace(0, 1, M + 1)`` in
  float64 and membership is decided by comparison with those edges (``searchsorted``).
  (torchmetrics uses left-closed bins ``[l, u)``; the two agree unless a confidence lies exactly
  on an inner edge.)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

__all__ = [
    "CalibrationInputError",
    "EmptyInputError",
    "LabelRangeError",
    "NonFiniteError",
    "ShapeError",
    "TopLabel",
    "as_true_logprob",
    "bin_index",
    "check_logits_labels",
    "check_probs_labels",
    "concat_predictions",
    "log_softmax",
    "predictions_from_chunks",
    "predictions_from_logits",
    "softmax",
    "top_label",
]

# Tolerance for "rows of probs sum to 1": float32 softmax rows over 1,000 classes are within 1e-5.
_PROB_SUM_ATOL = 1e-3
#: float64 entries of one block of logits reduced at once by :func:`predictions_from_logits`
#: (4 Mi entries: 32 MiB per (rows, K) float64 temporary; 128 rows of a 32k vocabulary).
CHUNK_ENTRIES = 1 << 22


# ----------------------------------------------------------------------------------------------
# Errors and checks
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


def _check_shape(x: np.ndarray, what: str) -> None:
    if x.ndim != 2:
        raise ShapeError(f"{what} must be a 2-D array (N, K), got shape {x.shape}")
    if x.shape[0] == 0:
        raise EmptyInputError(f"empty split: {what} have 0 rows (shape {x.shape})")
    if x.shape[1] < 2:
        raise ShapeError(f"{what} need at least 2 classes (columns), got shape {x.shape}")


def _raise_non_finite(bad: np.ndarray, what: str, shape: tuple[int, ...], kind: str) -> None:
    rows = np.flatnonzero(bad.any(axis=1))
    raise NonFiniteError(
        f"{int(bad.sum())} non-finite values ({kind}) in {what} of shape {shape}, "
        f"in {rows.size} rows (first: row {int(rows[0])})"
    )


def _check_logit_values(z: np.ndarray, y: np.ndarray, row0: int = 0) -> None:
    """NaN and +inf are errors; -inf is a masked class, allowed unless it is the true class."""
    if np.isfinite(z).all():
        return
    bad = np.isnan(z) | (z == np.inf)
    if bad.any():
        _raise_non_finite(bad, "logits", z.shape, "NaN or +inf")
    true_masked = np.isneginf(z[np.arange(z.shape[0]), y])
    if true_masked.any():
        first = row0 + int(np.flatnonzero(true_masked)[0])
        raise NonFiniteError(
            f"the true class has logit -inf (probability 0, infinite NLL) in "
            f"{int(true_masked.sum())} rows (first: row {first}); -inf is allowed only in "
            "classes other than the label (a masked vocabulary entry)"
        )


def check_logits_labels(logits: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate logits ``(N, K)`` and labels ``(N,)``; return them as float64 and int64 arrays.

    Raises:
        ShapeError: logits not 2-D, fewer than 2 classes, or labels not of shape ``(N,)``.
        EmptyInputError: ``N == 0``.
        NonFiniteError: NaN or ``+inf`` in the logits (the message says how many), or ``-inf``
            as the true class's logit (``-inf`` in other classes is a masked class: allowed).
        LabelRangeError: labels not integers in ``[0, K)``.
    """
    z = np.asarray(logits)
    y = np.asarray(labels)
    _check_shape(z, "logits")
    _check_labels(y, z.shape[0], z.shape[1], "logits", z.shape)
    _check_logit_values(z, y)
    return z.astype(np.float64, copy=False), y.astype(np.int64, copy=False)


def check_probs_labels(probs: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate probabilities ``(N, K)`` and labels ``(N,)``; return float64 and int64 arrays.

    Besides the shape and label checks of :func:`check_logits_labels`, every entry must be finite
    and lie in ``[0, 1]``, and every row must sum to 1 within 1e-3, which catches logits passed
    where probabilities are expected.
    """
    p = np.asarray(probs)
    y = np.asarray(labels)
    _check_shape(p, "probs")
    _check_labels(y, p.shape[0], p.shape[1], "probs", p.shape)
    finite = np.isfinite(p)
    if not finite.all():
        _raise_non_finite(~finite, "probs", p.shape, "NaN or inf")
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


def check_temperature(temperature: float) -> float:
    """``float(temperature)`` if it is finite and ``> 0``, else :class:`CalibrationInputError`."""
    t = float(temperature)
    if not np.isfinite(t) or t <= 0.0:
        raise CalibrationInputError(f"temperature must be finite and > 0, got {temperature!r}")
    return t


def check_n_bins(n_bins: int) -> int:
    """``int(n_bins)`` if it is a positive integer, else :class:`CalibrationInputError`."""
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise CalibrationInputError(f"n_bins must be a positive integer, got {n_bins!r}")
    return int(n_bins)


# ----------------------------------------------------------------------------------------------
# Softmax
# ----------------------------------------------------------------------------------------------


def log_softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Log-probabilities ``log softmax(z / T)`` of logits ``(N, K)``, float64, shape ``(N, K)``.

    ``log p_ik = z_ik / T - log sum_l exp(z_il / T)``, computed with the row maximum subtracted so
    that it is exact for arbitrarily large logits. ``T = 1`` leaves the logits unchanged; ``T > 1``
    softens (paper §3: reported temperatures > 1 reduce over-confidence). A ``-inf`` logit (a
    masked class) gets log-probability ``-inf``.
    """
    t = check_temperature(temperature)
    s = np.asarray(logits, dtype=np.float64) / t
    s = s - s.max(axis=-1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Probabilities ``softmax(z / T)`` of logits ``(N, K)``: float64 ``(N, K)``, rows sum to 1."""
    return np.exp(log_softmax(logits, temperature))


def bin_index(values: np.ndarray, n_bins: int) -> np.ndarray:
    """0-based equal-width bin of each value in ``[0, 1]``: ``m - 1`` for ``(m-1)/M < v <= m/M``.

    Right-closed bins on the float64 edges ``linspace(0, 1, M + 1)``; 0 maps to the first bin,
    1.0 to the last (values are clipped into ``[0, M-1]``). Any shape in, same shape out (int64).
    """
    m = check_n_bins(n_bins)
    edges = np.linspace(0.0, 1.0, m + 1)
    idx = np.searchsorted(edges, values, side="left") - 1
    return np.clip(idx, 0, m - 1)


# ----------------------------------------------------------------------------------------------
# Top-label vectors
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopLabel:
    """Per-example top-label quantities of one split, every metric's input (float64, ``(N,)``).

    Attributes:
        confidence: ``c_i = max_k p_ik`` in ``[0, 1]``.
        correct: ``a_i = 1[argmax_k p_ik = y_i]``, 0.0 or 1.0.
        true_logprob: ``log p_{i y_i}`` in nats (``<= 0``), or None (then no NLL or Brier).
        sum_sq: ``sum_k p_ik^2`` in ``(0, 1]``, or None (then no Brier score).

    Build it with :func:`predictions_from_logits` (logits), :func:`top_label` (dense probs) or
    :meth:`from_vectors` (vectors computed elsewhere, e.g. on a GPU); the constructor validates.
    """

    confidence: np.ndarray
    correct: np.ndarray
    true_logprob: np.ndarray | None = None
    sum_sq: np.ndarray | None = None

    def __post_init__(self) -> None:
        conf = _vector(self.confidence, "confidence")
        n = conf.shape[0]
        if n == 0:
            raise EmptyInputError("empty split: confidence has 0 entries")
        if conf.min() < 0.0 or conf.max() > 1.0 + 1e-12:
            raise CalibrationInputError(
                f"confidence must lie in [0, 1], got range [{conf.min():.4g}, {conf.max():.4g}]"
            )
        acc = _vector(self.correct, "correct", n)
        if not np.isin(acc, (0.0, 1.0)).all():
            raise CalibrationInputError("correct must hold 0/1 (or booleans) only")
        object.__setattr__(self, "confidence", conf)
        object.__setattr__(self, "correct", acc)
        if self.true_logprob is not None:
            lp = as_true_logprob(true_logprob=self.true_logprob)
            if lp.shape[0] != n:
                raise ShapeError(
                    f"shape mismatch: true_logprob has {lp.shape[0]} entries, confidence has {n}"
                )
            object.__setattr__(self, "true_logprob", lp)
        if self.sum_sq is not None:
            sq = _vector(self.sum_sq, "sum_sq", n)
            if sq.min() < 0.0 or sq.max() > 1.0 + 1e-9:
                raise CalibrationInputError(
                    f"sum_sq (sum_k p_k^2) must lie in [0, 1], got [{sq.min():.4g}, {sq.max():.4g}]"
                )
            object.__setattr__(self, "sum_sq", sq)

    @classmethod
    def from_vectors(
        cls,
        confidence: np.ndarray,
        correct: np.ndarray,
        true_prob: np.ndarray | None = None,
        sum_sq: np.ndarray | None = None,
        *,
        true_logprob: np.ndarray | None = None,
    ) -> TopLabel:
        """From vectors ``(N,)``; give the true-class probability or its log, not both.

        ``true_prob`` (in ``[0, 1]``) is turned into ``log true_prob``; prefer ``true_logprob``
        where a confident mistake's probability may underflow to 0 (its NLL would be ``inf``).
        """
        return cls(confidence, correct, as_true_logprob(true_prob, true_logprob), sum_sq)

    @property
    def n(self) -> int:
        """Number of examples ``N``."""
        return int(self.confidence.shape[0])

    @property
    def true_prob(self) -> np.ndarray:
        """``p_{i y_i} = exp(true_logprob)``, ``(N,)``."""
        return np.exp(self._need("true_logprob", "the true-class probability"))

    def _need(self, name: str, what: str) -> np.ndarray:
        value = getattr(self, name)
        if value is None:
            raise CalibrationInputError(f"{what} needs {name}, which these predictions lack")
        return value

    def take(self, index: np.ndarray) -> TopLabel:
        """The predictions of the rows ``index`` (e.g. a resample or a permutation)."""
        parts = {f.name: getattr(self, f.name) for f in fields(self)}
        return TopLabel(**{k: None if v is None else v[index] for k, v in parts.items()})


def _vector(x: Any, name: str, n: int | None = None, allow_neginf: bool = False) -> np.ndarray:
    v = np.asarray(x)
    if v.ndim != 1:
        raise ShapeError(f"{name} must be a 1-D vector (N,), got shape {v.shape}")
    if n is not None and v.shape[0] != n:
        raise ShapeError(f"shape mismatch: {name} has {v.shape[0]} entries, confidence has {n}")
    v = v.astype(np.float64)
    bad = np.isnan(v) | (v == np.inf) | ((v == -np.inf) & (not allow_neginf))
    if bad.any():
        raise NonFiniteError(
            f"{int(bad.sum())} non-finite values in {name} (first: entry {int(np.argmax(bad))})"
        )
    return v


def as_true_logprob(
    true_prob: np.ndarray | None = None, true_logprob: np.ndarray | None = None
) -> np.ndarray | None:
    """``log p_{i y_i}`` ``(N,)`` from either the probabilities or their logs (not both).

    ``true_prob`` must lie in ``[0, 1]`` (0 gives ``-inf``); ``true_logprob`` must be ``<= 0``.
    None when neither is given.
    """
    if true_prob is not None and true_logprob is not None:
        raise CalibrationInputError("give true_prob or true_logprob, not both")
    if true_prob is None:
        if true_logprob is None:
            return None
        lp = _vector(true_logprob, "true_logprob", allow_neginf=True)
        if lp.max() > 1e-9:
            raise CalibrationInputError(
                f"true_logprob must be <= 0 (a log-probability), max {lp.max():.4g}; "
                "were probabilities passed? use true_prob"
            )
        return np.minimum(lp, 0.0)
    tp = _vector(true_prob, "true_prob")
    if tp.min() < 0.0 or tp.max() > 1.0 + 1e-12:
        raise CalibrationInputError(
            f"true_prob must lie in [0, 1], got range [{tp.min():.4g}, {tp.max():.4g}]"
        )
    with np.errstate(divide="ignore"):
        return np.log(np.minimum(tp, 1.0))


def concat_predictions(parts: Sequence[TopLabel]) -> TopLabel:
    """The :class:`TopLabel` of the rows of ``parts`` one after another (e.g. streamed chunks)."""
    if not parts:
        raise EmptyInputError("no predictions to concatenate")
    out: dict[str, np.ndarray | None] = {}
    for f in fields(TopLabel):
        values = [getattr(p, f.name) for p in parts]
        present = [v is not None for v in values]
        out[f.name] = np.concatenate(values) if all(present) else None
    return TopLabel(**out)


def top_label(probs: np.ndarray, labels: np.ndarray) -> TopLabel:
    """:class:`TopLabel` of dense probabilities ``(N, K)`` (rows sum to 1) and labels ``(N,)``.

    ``true_logprob = log p_{i y_i}`` (``-inf`` where the probability is 0).
    """
    p, y = check_probs_labels(probs, labels)
    conf, acc = _conf_correct(p, y)
    with np.errstate(divide="ignore"):
        true_logprob = np.log(p[np.arange(p.shape[0]), y])
    return TopLabel(conf, acc, true_logprob, (p * p).sum(axis=1))


def _conf_correct(p: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Top-label confidence ``c`` (N,) and correctness ``a`` (N,) of probs (N, K), float64."""
    pred = p.argmax(axis=1)
    conf = p[np.arange(p.shape[0]), pred]
    return conf, (pred == y).astype(np.float64)


def _is_torch(x: Any) -> bool:
    return type(x).__module__.startswith("torch")


def predictions_from_logits(
    logits: Any,
    labels: Any,
    temperature: float = 1.0,
    *,
    chunk_rows: int | None = None,
    ignore_index: int | None = None,
) -> TopLabel:
    """Reduce logits to the per-example :class:`TopLabel` vectors of ``softmax(logits / T)``.

    The softmax is formed for ``chunk_rows`` rows at a time in float64 (default: as many rows as
    fit in :data:`CHUNK_ENTRIES` entries, e.g. 128 rows of a 32k vocabulary), reduced to the four
    vectors, and discarded, so memory beyond the input is ``O(chunk_rows * K + N)``. The values
    equal those of the dense ``softmax`` (the float64 operations of :func:`log_softmax`; the
    confidence and true-class log-probability bit for bit, ``sum_sq`` to rounding).

    Args:
        logits: ``(..., K)`` raw logits, numpy array or torch tensor. A torch tensor is reduced
            on its own device (e.g. the GPU) and only the vectors come back to the host.
            ``-inf`` marks a masked class (probability 0); it must not be the true class.
        labels: integer class indices of shape ``logits.shape[:-1]`` (e.g. ``(B, T)`` tokens).
        temperature: ``T > 0``.
        chunk_rows: rows reduced at once (None: from :data:`CHUNK_ENTRIES`).
        ignore_index: label value of positions to leave out (e.g. padding, -100); None: none.

    Returns:
        :class:`TopLabel` over the kept positions in row-major order, all four vectors filled.
    """
    t = check_temperature(temperature)
    torch_input = _is_torch(logits)
    if torch_input:
        import torch

        labels_t = torch.as_tensor(labels, device=logits.device)
        if logits.ndim < 1 or tuple(labels_t.shape) != tuple(logits.shape[:-1]):
            raise ShapeError(
                f"shape mismatch: labels have shape {tuple(labels_t.shape)} but logits have "
                f"shape {tuple(logits.shape)}; expected labels of shape logits.shape[:-1]"
            )
        z_all = logits.reshape(-1, logits.shape[-1]) if logits.ndim != 2 else logits
        y_all = labels_t.reshape(-1)
        if ignore_index is not None:
            keep = y_all != ignore_index
            z_all, y_all = z_all[keep], y_all[keep]
        if torch.is_floating_point(y_all) or y_all.dtype == torch.bool:
            raise LabelRangeError(f"labels must be integer class indices, got {y_all.dtype}")
    else:
        z_all = np.asarray(logits)
        y_all = np.asarray(labels)
        if z_all.ndim < 1 or y_all.shape != z_all.shape[:-1]:
            raise ShapeError(
                f"shape mismatch: labels have shape {y_all.shape} but logits have shape "
                f"{z_all.shape}; expected labels of shape logits.shape[:-1]"
            )
        z_all = z_all.reshape(-1, z_all.shape[-1])
        y_all = y_all.reshape(-1)
        if ignore_index is not None:
            keep = y_all != ignore_index
            z_all, y_all = z_all[keep], y_all[keep]
        if not np.issubdtype(y_all.dtype, np.integer):
            raise LabelRangeError(f"labels must be integer class indices, got dtype {y_all.dtype}")
    n, k = int(z_all.shape[0]), int(z_all.shape[1])
    if n == 0:
        raise EmptyInputError(f"empty split: logits have 0 rows (shape {tuple(z_all.shape)})")
    if k < 2:
        raise ShapeError(f"logits need at least 2 classes, got shape {tuple(z_all.shape)}")
    rows = chunk_rows if chunk_rows is not None else max(1, CHUNK_ENTRIES // k)
    if rows < 1:
        raise CalibrationInputError(f"chunk_rows must be >= 1, got {chunk_rows}")
    parts = [
        _reduce_torch(z_all[r0 : r0 + rows], y_all[r0 : r0 + rows], t, k, r0)
        if torch_input
        else _reduce_numpy(z_all[r0 : r0 + rows], y_all[r0 : r0 + rows], t, k, r0)
        for r0 in range(0, n, rows)
    ]
    return TopLabel(*(np.concatenate(v) for v in zip(*parts, strict=True)))


def _reduce_numpy(
    z: np.ndarray, y: np.ndarray, t: float, k: int, row0: int
) -> tuple[np.ndarray, ...]:
    """``(confidence, correct, true_logprob, sum_sq)`` of one block of rows (numpy, float64)."""
    bad = (y < 0) | (y >= k)
    if bad.any():
        raise LabelRangeError(
            f"{int(bad.sum())} labels outside [0, {k - 1}] for K = {k} classes "
            f"(first: row {row0 + int(np.argmax(bad))}, label {int(y[np.argmax(bad)])})"
        )
    _check_logit_values(z, y, row0)
    rows = np.arange(z.shape[0])
    # the operations of log_softmax, with one exp over the block instead of two:
    # log p_k = (s_k - max s) - log sum_l exp(s_l - max s); p_max = exp(-log sum ...)
    e = np.asarray(z, dtype=np.float64) / t  # (r, K), a fresh float64 array
    pred = e.argmax(axis=1)  # argmax of s = argmax of p (first index on ties)
    smax = e[rows, pred]
    true_shifted = e[rows, y] - smax
    e -= smax[:, None]
    np.exp(e, out=e)  # exp(s - max s); 0 for masked (-inf) classes
    log_norm = np.log(e.sum(axis=1))
    sum_sq = np.einsum("ij,ij->i", e, e) * np.exp(-2.0 * log_norm)  # sum_k p_k^2
    return np.exp(-log_norm), (pred == y).astype(np.float64), true_shifted - log_norm, sum_sq


def _reduce_torch(z: Any, y: Any, t: float, k: int, row0: int) -> tuple[np.ndarray, ...]:
    """As :func:`_reduce_numpy` on a torch block, on its device; vectors returned as numpy."""
    import torch

    bad = (y < 0) | (y >= k)
    if bool(bad.any()):
        first = int(torch.argmax(bad.to(torch.uint8)))
        raise LabelRangeError(
            f"{int(bad.sum())} labels outside [0, {k - 1}] for K = {k} classes "
            f"(first: row {row0 + first}, label {int(y[first])})"
        )
    s = z.detach().to(torch.float64) / t
    if not bool(torch.isfinite(s).all()):
        _check_logit_values(s.cpu().numpy(), y.cpu().numpy(), row0)
    smax, pred = s.max(dim=1)  # first maximal index, as numpy's argmax
    rows = torch.arange(z.shape[0], device=z.device)
    e = torch.exp(s - smax[:, None])
    log_norm = torch.log(e.sum(dim=1))
    sum_sq = (e * e).sum(dim=1) * torch.exp(-2.0 * log_norm)
    correct = (pred == y).to(torch.float64)
    out = (torch.exp(-log_norm), correct, s[rows, y] - smax - log_norm, sum_sq)
    return tuple(v.cpu().numpy() for v in out)


def predictions_from_chunks(
    chunks: Iterable[tuple[Any, Any]],
    temperature: float = 1.0,
    *,
    ignore_index: int | None = None,
) -> TopLabel:
    """:func:`predictions_from_logits` over a stream of ``(logits, labels)`` blocks, concatenated.

    For evaluations whose logits never exist at once (a model run batch by batch): each block is
    reduced and dropped before the next is read.
    """
    parts = [
        predictions_from_logits(z, y, temperature, ignore_index=ignore_index) for z, y in chunks
    ]
    return concat_predictions(parts)
