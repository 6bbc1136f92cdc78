"""Temperature scaling (Guo et al. 2017; paper §3): one scalar ``T > 0``, ``p = softmax(z / T)``.

The paper tunes ``T`` "a posteriori" without saying on what criterion or data (paper-spec §1.4).
:func:`fit_temperature` is the standard choice: minimise the mean negative log-likelihood on a
held-out split (fit on validation, report on test). :func:`fit_temperature_ece` is the
alternative reading of the paper, a grid search that minimises ECE itself; it is reported
separately and labelled as such.

Math used by :func:`fit_temperature`. With ``b = 1/T`` and logits ``z_i`` of shape ``(K,)``,

    NLL(b)   = (1/N) sum_i [ log sum_k exp(b z_ik) - b z_{i y_i} ]
    NLL'(b)  = (1/N) sum_i [ E_{p_i}[z_i] - z_{i y_i} ]          (p_i = softmax(b z_i))
    NLL''(b) = (1/N) sum_i Var_{p_i}[z_i] >= 0

so NLL is convex in ``b`` and its minimiser is the unique root of the increasing function
``NLL'``. ``NLL'(0) = mean_i(mean_k z_ik - z_{i y_i})`` and ``NLL'(inf) = mean_i(max_k z_ik -
z_{i y_i}) >= 0``; a finite positive root exists iff ``NLL'(0) < 0 < NLL'(inf)``, i.e. the true
class scores above the average logit on average and at least one example is misclassified.
The gradient in log-temperature is ``dNLL/dlog T = -b NLL'(b)``. A class whose logit is
``-inf`` (a masked vocabulary entry) has probability 0 at every ``T`` and drops out of the sums
(``NLL'(0)`` then averages over the unmasked classes).

Memory: each evaluation of ``NLL(b)`` and its derivatives is one pass over the logits in blocks
of rows (:data:`~lsrepro.calibration.core.CHUNK_ENTRIES` float64 entries at a time), so the
``*_chunks`` variants fit a temperature to logits that never exist at once (a token evaluation
re-read or recomputed batch by batch): they take a function that returns a fresh iterable of
``(logits, labels)`` blocks on every call, one call per pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from lsrepro.calibration.core import (
    CHUNK_ENTRIES,
    EmptyInputError,
    bin_index,
    check_logits_labels,
    check_n_bins,
)

__all__ = [
    "DEFAULT_ECE_GRID",
    "ConvergenceError",
    "EceTemperatureFit",
    "TemperatureFit",
    "TemperatureFitError",
    "LogitChunks",
    "fit_temperature",
    "fit_temperature_chunks",
    "fit_temperature_ece",
    "fit_temperature_ece_chunks",
]

#: A function returning a fresh iterable of ``(logits (n, K), labels (n,))`` blocks per call.
LogitChunks = Callable[[], Iterable[tuple[Any, Any]]]

#: Temperatures searched by :func:`fit_temperature_ece`: 601 log-spaced values from 0.05 to 20
#: (steps of about 1 %, rounded to 4 decimals; 1.0 is on the grid). Wide because an LS model can
#: want T < 0.5 (the MNIST toy: NLL fit 0.463) and a badly over-confident one T > 5; a fit on the
#: grid's edge is flagged (``at_edge``).
DEFAULT_ECE_GRID: np.ndarray = np.unique(np.round(np.geomspace(0.05, 20.0, 601), 4))


class TemperatureFitError(ValueError):
    """The data admit no finite positive temperature (e.g. 100 % accuracy)."""


class ConvergenceError(TemperatureFitError):
    """The optimiser stopped before ``|dNLL/dlog T| < tol``."""


@dataclass(frozen=True)
class TemperatureFit:
    """Result of :func:`fit_temperature`.

    Attributes:
        temperature: fitted ``T > 0`` (divide the logits by it).
        nll_before: mean NLL in nats at ``T = 1``.
        nll_after: mean NLL in nats at the fitted ``T``.
        iterations: NLL evaluations used by the optimiser.
        gradient: ``dNLL/dlog T`` at the fitted ``T`` (``|gradient| < tol``).
        method: how it was fitted, in words.
    """

    temperature: float
    nll_before: float
    nll_after: float
    iterations: int
    gradient: float
    method: str
    at_bound: bool = False  # True: the NLL minimiser lies outside ``bounds``; T is that bound

    def as_dict(self) -> dict[str, float | int | str]:
        """Plain-Python fields, ready for ``json.dump``."""
        return asdict(self)


@dataclass(frozen=True)
class EceTemperatureFit:
    """Result of :func:`fit_temperature_ece` (a-posteriori grid search on ECE).

    Attributes:
        temperature: grid temperature with the lowest ECE (the smallest such T on ties).
        ece_before: top-label ECE at ``T = 1`` (fraction).
        ece_after: top-label ECE at the chosen ``T`` (fraction).
        n_bins: equal-width bins of the ECE.
        grid: the temperatures searched, shape ``(G,)``.
        ece_grid: ECE at each grid temperature, shape ``(G,)``.
        method: how it was fitted, in words.
        at_edge: the chosen T is the grid's smallest or largest value, so the ECE minimiser may
            lie outside the grid (widen it).
    """

    temperature: float
    ece_before: float
    ece_after: float
    n_bins: int
    grid: np.ndarray
    ece_grid: np.ndarray
    method: str
    at_edge: bool = False

    def as_dict(self) -> dict[str, object]:
        """Plain-Python fields (arrays as lists), ready for ``json.dump``."""
        out = asdict(self)
        out["grid"] = self.grid.tolist()
        out["ece_grid"] = self.ece_grid.tolist()
        return out


class _Passes:
    """Passes over validated float64 ``(logits, labels)`` blocks of a chunk source."""

    def __init__(self, chunks: LogitChunks) -> None:
        if not callable(chunks):
            raise TypeError(
                "chunks must be a function returning a fresh iterable of (logits, labels) "
                "blocks on every call (the fit makes several passes)"
            )
        self._chunks = chunks
        self.n: int | None = None

    def __call__(self) -> Iterable[tuple[np.ndarray, np.ndarray]]:
        n = 0
        for logits, labels in self._chunks():
            z, y = check_logits_labels(_host(logits), _host(labels))
            n += z.shape[0]
            yield z, y
        if n == 0 and self.n is None:
            raise EmptyInputError("empty split: the chunk source yielded no rows")
        if self.n is not None and n != self.n:
            raise ValueError(
                f"the chunk source yielded {n} rows on one pass, {self.n} on another: chunks() "
                "must return a fresh iterable over the same blocks on every call"
            )
        self.n = n


def _host(x: Any) -> np.ndarray:
    """A numpy view of an array or (possibly GPU) torch tensor."""
    if type(x).__module__.startswith("torch"):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _array_chunks(logits: np.ndarray, labels: np.ndarray, chunk_rows: int | None) -> LogitChunks:
    z, y = check_logits_labels(logits, labels)
    rows = chunk_rows if chunk_rows is not None else max(1, CHUNK_ENTRIES // z.shape[1])
    if rows < 1:
        raise ValueError(f"chunk_rows must be >= 1, got {chunk_rows}")
    return lambda: ((z[r0 : r0 + rows], y[r0 : r0 + rows]) for r0 in range(0, z.shape[0], rows))


def _true_logits(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    return z[np.arange(z.shape[0]), y]  # (n,)


def _nll_derivatives(passes: _Passes, beta: float) -> tuple[float, float, float]:
    """``(NLL(b), NLL'(b), NLL''(b))`` at ``b = beta > 0``: one pass over the blocks."""
    total = np.zeros(3)
    n = 0
    for z, y in passes():
        s = beta * z  # (n, K)
        smax = s.max(axis=1, keepdims=True)
        e = np.exp(s - smax)
        norm = e.sum(axis=1, keepdims=True)
        p = e / norm  # (n, K); 0 for masked (-inf) classes
        lse = np.log(norm[:, 0]) + smax[:, 0]
        zf = z if np.isfinite(z).all() else np.where(np.isfinite(z), z, 0.0)  # no 0 * inf
        ez = (p * zf).sum(axis=1)  # E_p[z], (n,)
        var = (p * (zf - ez[:, None]) ** 2).sum(axis=1)  # Var_p[z] >= 0, (n,)
        zy = _true_logits(z, y)
        total += [np.sum(lse - beta * zy), np.sum(ez - zy), np.sum(var)]
        n += z.shape[0]
    value, slope, curvature = total / n
    return float(value), float(slope), float(curvature)


def _limit_slopes(passes: _Passes) -> tuple[float, float]:
    """``NLL'(0)`` (uniform over the unmasked classes) and ``NLL'(inf)`` (one-hot)."""
    at_zero = at_inf = 0.0
    n = 0
    for z, y in passes():
        finite = np.isfinite(z)
        mean_z = np.where(finite, z, 0.0).sum(axis=1) / finite.sum(axis=1)
        zy = _true_logits(z, y)
        at_zero += float(np.sum(mean_z - zy))
        at_inf += float(np.sum(z.max(axis=1) - zy))
        n += z.shape[0]
    return at_zero / n, at_inf / n


def fit_temperature(
    logits: np.ndarray,
    labels: np.ndarray,
    *,
    tol: float = 1e-6,
    max_iter: int = 100,
    bounds: tuple[float, float] | None = None,
    chunk_rows: int | None = None,
) -> TemperatureFit:
    """Fit the temperature ``T`` that minimises the mean NLL of ``softmax(logits / T)``.

    Safeguarded Newton on ``b = 1/T`` (Numerical Recipes' ``rtsafe``): ``NLL'(b)`` is increasing
    (``NLL`` is convex in ``b``, see the module docstring) and its root is kept in a bracket
    ``[lo, hi]`` that starts as ``[0, inf)``; a Newton step that leaves the bracket or shrinks it
    too slowly is replaced by bisection (or doubling while ``hi`` is infinite), so the iteration
    converges for any input with a finite optimum. It stops when ``|dNLL/dlog T| < tol``. Any
    ``T > 0`` is reachable, ``T < 1`` included.

    Args:
        logits: ``(N, K)`` raw logits of the held-out split the temperature is fitted on
            (``-inf`` allowed in classes other than the label: masked).
        labels: ``(N,)`` integer labels in ``[0, K)``.
        tol: stop when ``|dNLL/dlog T|`` (nats per unit of log T) falls below it.
        max_iter: most NLL evaluations before :class:`ConvergenceError`.
        bounds: optional ``(T_min, T_max)``. The NLL is convex in ``1/T``, so when its minimiser
            lies outside (or does not exist: a model no better than chance wants T -> inf, one
            that is always right T -> 0) the constrained minimiser is the nearer bound, returned
            with ``at_bound=True`` instead of raising :class:`TemperatureFitError`.
        chunk_rows: rows per block of each pass (None: from ``CHUNK_ENTRIES``).

    Raises:
        CalibrationInputError (ValueError) subclasses: empty split, shape mismatch, non-finite
            logits (with their count), labels out of range.
        TemperatureFitError: no finite positive optimum (every example classified correctly, or
            the true class scores below the average logit so that T -> inf is best).
        ConvergenceError: ``max_iter`` reached; the message gives the gradient and iterations.
    """
    _check_fit_args(tol, max_iter)
    chunks = _array_chunks(logits, labels, chunk_rows)
    return fit_temperature_chunks(chunks, tol=tol, max_iter=max_iter, bounds=bounds)


def _check_fit_args(tol: float, max_iter: int) -> None:
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be finite and > 0, got {tol!r}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter!r}")


def fit_temperature_chunks(
    chunks: LogitChunks,
    *,
    tol: float = 1e-6,
    max_iter: int = 100,
    bounds: tuple[float, float] | None = None,
) -> TemperatureFit:
    """:func:`fit_temperature` over a re-readable stream of ``(logits, labels)`` blocks.

    ``chunks()`` must return a fresh iterable of blocks (numpy arrays or torch tensors, logits
    ``(n, K)`` and labels ``(n,)``) each time: the fit makes 2 passes plus one per Newton
    iteration (typically 5-10), holding one block at a time.
    """
    _check_fit_args(tol, max_iter)
    passes = _Passes(chunks)
    lo, hi = 0.0, np.inf  # NLL'(lo) < 0 < NLL'(hi)
    if bounds is not None:
        t_min, t_max = map(float, bounds)
        if not 0.0 < t_min < t_max < np.inf:
            raise ValueError(f"bounds must satisfy 0 < T_min < T_max < inf, got {bounds!r}")
        for beta_bound, edge in ((1.0 / t_max, "max"), (1.0 / t_min, "min")):
            value, slope, _ = _nll_derivatives(passes, beta_bound)
            if (slope >= 0.0) if edge == "max" else (slope <= 0.0):
                return TemperatureFit(
                    temperature=1.0 / beta_bound,
                    nll_before=_nll_derivatives(passes, 1.0)[0],
                    nll_after=value,
                    iterations=1,
                    gradient=-beta_bound * slope,
                    method=f"NLL minimiser beyond T_{edge} = {1.0 / beta_bound:g}: clamped",
                    at_bound=True,
                )
        lo, hi = 1.0 / t_max, 1.0 / t_min

    slope_at_zero, slope_at_inf = _limit_slopes(passes)
    if slope_at_inf <= 0.0 and bounds is None:
        raise TemperatureFitError(
            f"no finite temperature minimises the NLL: the true class has the largest logit for "
            f"all {passes.n} examples, so the NLL keeps decreasing as T -> 0 (fit on held-out "
            "data)"
        )
    if slope_at_zero >= 0.0 and bounds is None:
        raise TemperatureFitError(
            "no finite temperature minimises the NLL: the true-class logit is not above the mean "
            f"logit on average (dNLL/d(1/T) at 1/T = 0 is {slope_at_zero:.3g} >= 0), so uniform "
            "predictions (T -> inf) are best; are the labels aligned with the logits?"
        )

    nll_before = _nll_derivatives(passes, 1.0)[0]
    beta = min(max(1.0, lo), hi) if np.isinf(hi) else float(np.sqrt(lo * hi))
    step_old = step = np.inf
    for iteration in range(1, max_iter + 1):
        value, slope, curvature = _nll_derivatives(passes, beta)
        gradient = -beta * slope  # dNLL/dlog T
        if abs(gradient) < tol:
            return TemperatureFit(
                temperature=1.0 / beta,
                nll_before=nll_before,
                nll_after=value,
                iterations=iteration,
                gradient=gradient,
                method="safeguarded Newton on 1/T minimising mean NLL",
            )
        if slope < 0.0:
            lo = beta
        else:
            hi = beta
        newton = beta - slope / curvature if curvature > 0.0 else np.nan
        step_older, step_old = step_old, step
        if lo < newton < hi and abs(newton - beta) < 0.5 * abs(step_older):
            new_beta = newton
        elif np.isinf(hi):
            new_beta = 2.0 * beta
        else:
            new_beta = 0.5 * (lo + hi)
        step = new_beta - beta
        if new_beta == beta:  # the bracket cannot shrink further in float64
            break
        beta = new_beta
    raise ConvergenceError(
        f"temperature fit did not converge after {iteration} iterations: "
        f"|dNLL/dlog T| = {abs(gradient):.3g} >= tol = {tol:g} at T = {1.0 / beta:.6g}"
    )


def _check_grid(grid: np.ndarray) -> np.ndarray:
    temps = np.asarray(grid, dtype=np.float64).ravel()
    if temps.size == 0 or not np.all(np.isfinite(temps)) or np.any(temps <= 0):
        raise ValueError("grid must be a non-empty array of finite temperatures > 0")
    return temps


def fit_temperature_ece(
    logits: np.ndarray,
    labels: np.ndarray,
    *,
    n_bins: int,
    grid: np.ndarray = DEFAULT_ECE_GRID,
    chunk_rows: int | None = None,
) -> EceTemperatureFit:
    """Grid search for the temperature of lowest top-label ECE: the paper's a-posteriori tuning.

    One reading of paper §3 ("T is tuned a posteriori"): try every ``T`` in ``grid`` and keep the
    one with the smallest ECE (equal-width, right-closed bins as in
    :func:`lsrepro.calibration.ece`). ECE is not smooth in ``T``, so this is a grid search rather
    than an optimiser. Fitted on the split it is then reported on, it is optimistic; fit on
    validation and report on test for a clean estimate. The argmax prediction does not depend on
    ``T > 0``, only the confidence ``max_k softmax(z / T)_k = 1 / sum_k exp((z_k - max z) / T)``.
    A minimum on the grid's first or last value is flagged ``at_edge``.

    Args:
        logits: ``(N, K)`` raw logits. labels: ``(N,)`` integer labels in ``[0, K)``.
        n_bins: number of equal-width bins ``M`` (the paper: 15).
        grid: candidate temperatures, all finite and > 0, shape ``(G,)`` (default: log-spaced
            0.05-20, :data:`DEFAULT_ECE_GRID`).
        chunk_rows: rows per block (None: from ``CHUNK_ENTRIES``).
    """
    temps = _check_grid(grid)
    chunks = _array_chunks(logits, labels, chunk_rows)
    return fit_temperature_ece_chunks(chunks, n_bins=n_bins, grid=temps)


def fit_temperature_ece_chunks(
    chunks: LogitChunks, *, n_bins: int, grid: np.ndarray = DEFAULT_ECE_GRID
) -> EceTemperatureFit:
    """:func:`fit_temperature_ece` over a stream of ``(logits, labels)`` blocks (one pass)."""
    temps = _check_grid(grid)
    m = check_n_bins(n_bins)
    all_t = np.append(temps, 1.0)  # the last row is ECE at T = 1
    sums = np.zeros((all_t.size, m))  # per temperature and bin: sum of (a_i - c_i)
    n = 0
    for z, y in _Passes(chunks)():
        # argmax of the logits = argmax of softmax(z / T) for any T > 0
        acc = (z.argmax(axis=1) == y).astype(np.float64)
        gaps = z - z.max(axis=1, keepdims=True)  # (n, K), <= 0
        for g, t in enumerate(all_t):
            conf = 1.0 / np.exp(gaps / t).sum(axis=1)  # (n,) top-label confidence at T
            sums[g] += np.bincount(bin_index(conf, m), weights=acc - conf, minlength=m)
        n += z.shape[0]
    values = np.abs(sums).sum(axis=1) / n
    best = int(np.argmin(values[:-1]))
    return EceTemperatureFit(
        temperature=float(temps[best]),
        ece_before=float(values[-1]),
        ece_after=float(values[best]),
        n_bins=m,
        grid=temps,
        ece_grid=values[:-1],
        method=f"grid search minimising {m}-bin ECE (a-posteriori tuning, paper section 3)",
        at_edge=bool(temps[best] in (temps.min(), temps.max())),
    )
