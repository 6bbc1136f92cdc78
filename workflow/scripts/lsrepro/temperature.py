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
The gradient in log-temperature is ``dNLL/dlog T = -b NLL'(b)``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from lsrepro.calibration import _top_label, bin_index, check_logits_labels

__all__ = [
    "DEFAULT_ECE_GRID",
    "ConvergenceError",
    "EceTemperatureFit",
    "TemperatureFit",
    "TemperatureFitError",
    "fit_temperature",
    "fit_temperature_ece",
]

#: Temperatures searched by :func:`fit_temperature_ece`: 0.50, 0.51, ..., 5.00 (the paper reports
#: T to two decimals at most, e.g. 1.9, 1.4, 1.13).
DEFAULT_ECE_GRID: np.ndarray = np.round(np.arange(50, 501) / 100.0, 2)


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
    """

    temperature: float
    ece_before: float
    ece_after: float
    n_bins: int
    grid: np.ndarray
    ece_grid: np.ndarray
    method: str

    def as_dict(self) -> dict[str, object]:
        """Plain-Python fields (arrays as lists), ready for ``json.dump``."""
        out = asdict(self)
        out["grid"] = self.grid.tolist()
        out["ece_grid"] = self.ece_grid.tolist()
        return out


def _nll_derivatives(z: np.ndarray, zy: np.ndarray, beta: float) -> tuple[float, float, float]:
    """``(NLL(b), NLL'(b), NLL''(b))`` at ``b = beta`` for float64 logits ``z`` (N, K).

    ``zy`` (N,) holds the true-class logits.
    """
    s = beta * z
    smax = s.max(axis=1, keepdims=True)
    e = np.exp(s - smax)
    norm = e.sum(axis=1, keepdims=True)
    p = e / norm  # (N, K)
    lse = np.log(norm[:, 0]) + smax[:, 0]
    ez = (p * z).sum(axis=1)  # E_p[z], (N,)
    var = (p * (z - ez[:, None]) ** 2).sum(axis=1)  # Var_p[z] >= 0, (N,)
    return float(np.mean(lse - beta * zy)), float(np.mean(ez - zy)), float(np.mean(var))


def fit_temperature(
    logits: np.ndarray,
    labels: np.ndarray,
    *,
    tol: float = 1e-6,
    max_iter: int = 100,
    bounds: tuple[float, float] | None = None,
) -> TemperatureFit:
    """Fit the temperature ``T`` that minimises the mean NLL of ``softmax(logits / T)``.

    Safeguarded Newton on ``b = 1/T`` (Numerical Recipes' ``rtsafe``): ``NLL'(b)`` is increasing
    (``NLL`` is convex in ``b``, see the module docstring) and its root is kept in a bracket
    ``[lo, hi]`` that starts as ``[0, inf)``; a Newton step that leaves the bracket or shrinks it
    too slowly is replaced by bisection (or doubling while ``hi`` is infinite), so the iteration
    converges for any input with a finite optimum. It stops when ``|dNLL/dlog T| < tol``. Any
    ``T > 0`` is reachable, ``T < 1`` included.

    Args:
        logits: ``(N, K)`` raw logits of the held-out split the temperature is fitted on.
        labels: ``(N,)`` integer labels in ``[0, K)``.
        tol: stop when ``|dNLL/dlog T|`` (nats per unit of log T) falls below it.
        max_iter: most NLL evaluations before :class:`ConvergenceError`.
        bounds: optional ``(T_min, T_max)``. The NLL is convex in ``1/T``, so when its minimiser
            lies outside (or does not exist: a model no better than chance wants T -> inf, one
            that is always right T -> 0) the constrained minimiser is the nearer bound, returned
            with ``at_bound=True`` instead of raising :class:`TemperatureFitError`.

    Raises:
        CalibrationInputError (ValueError) subclasses: empty split, shape mismatch, non-finite
            logits (with their count), labels out of range.
        TemperatureFitError: no finite positive optimum (every example classified correctly, or
            the true class scores below the average logit so that T -> inf is best).
        ConvergenceError: ``max_iter`` reached; the message gives the gradient and iterations.
    """
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be finite and > 0, got {tol!r}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter!r}")
    z, y = check_logits_labels(logits, labels)
    n = z.shape[0]
    zy = z[np.arange(n), y]  # (N,)

    lo, hi = 0.0, np.inf  # NLL'(lo) < 0 < NLL'(hi)
    if bounds is not None:
        t_min, t_max = map(float, bounds)
        if not 0.0 < t_min < t_max < np.inf:
            raise ValueError(f"bounds must satisfy 0 < T_min < T_max < inf, got {bounds!r}")
        for beta_bound, edge in ((1.0 / t_max, "max"), (1.0 / t_min, "min")):
            value, slope, _ = _nll_derivatives(z, zy, beta_bound)
            if (slope >= 0.0) if edge == "max" else (slope <= 0.0):
                return TemperatureFit(
                    temperature=1.0 / beta_bound,
                    nll_before=_nll_derivatives(z, zy, 1.0)[0],
                    nll_after=value,
                    iterations=1,
                    gradient=-beta_bound * slope,
                    method=f"NLL minimiser beyond T_{edge} = {1.0 / beta_bound:g}: clamped",
                    at_bound=True,
                )
        lo, hi = 1.0 / t_max, 1.0 / t_min

    slope_at_zero = float(np.mean(z.mean(axis=1) - zy))  # NLL'(0): uniform predictions
    slope_at_inf = float(np.mean(z.max(axis=1) - zy))  # NLL'(inf): one-hot predictions
    if slope_at_inf <= 0.0 and bounds is None:
        raise TemperatureFitError(
            f"no finite temperature minimises the NLL: the true class has the largest logit for "
            f"all {n} examples, so the NLL keeps decreasing as T -> 0 (fit on held-out data)"
        )
    if slope_at_zero >= 0.0 and bounds is None:
        raise TemperatureFitError(
            "no finite temperature minimises the NLL: the true-class logit is not above the mean "
            f"logit on average (dNLL/d(1/T) at 1/T = 0 is {slope_at_zero:.3g} >= 0), so uniform "
            "predictions (T -> inf) are best; are the labels aligned with the logits?"
        )

    nll_before = _nll_derivatives(z, zy, 1.0)[0]
    beta = min(max(1.0, lo), hi) if np.isinf(hi) else float(np.sqrt(lo * hi))
    step_old = step = np.inf
    for iteration in range(1, max_iter + 1):
        value, slope, curvature = _nll_derivatives(z, zy, beta)
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


def fit_temperature_ece(
    logits: np.ndarray,
    labels: np.ndarray,
    *,
    n_bins: int,
    grid: np.ndarray = DEFAULT_ECE_GRID,
) -> EceTemperatureFit:
    """Grid search for the temperature of lowest top-label ECE: the paper's a-posteriori tuning.

    One reading of paper §3 ("T is tuned a posteriori"): try every ``T`` in ``grid`` and keep the
    one with the smallest ECE (equal-width, right-closed bins as in
    :func:`lsrepro.calibration.ece`). ECE is not smooth in ``T``, so this is a grid search rather
    than an optimiser. Fitted on the split it is then reported on, it is optimistic; fit on
    validation and report on test for a clean estimate. The argmax prediction does not depend on
    ``T > 0``, only the confidence ``max_k softmax(z / T)_k = 1 / sum_k exp((z_k - max z) / T)``.

    Args:
        logits: ``(N, K)`` raw logits. labels: ``(N,)`` integer labels in ``[0, K)``.
        n_bins: number of equal-width bins ``M`` (the paper: 15).
        grid: candidate temperatures, all finite and > 0, shape ``(G,)``.
    """
    z, y = check_logits_labels(logits, labels)
    temps = np.asarray(grid, dtype=np.float64).ravel()
    if temps.size == 0 or not np.all(np.isfinite(temps)) or np.any(temps <= 0):
        raise ValueError("grid must be a non-empty array of finite temperatures > 0")
    n = z.shape[0]
    _, acc = _top_label(z, y)  # argmax of the logits = argmax of softmax(z / T) for any T > 0
    gaps = z - z.max(axis=1, keepdims=True)  # (N, K), <= 0

    def ece_at(t: float) -> float:
        conf = 1.0 / np.exp(gaps / t).sum(axis=1)  # (N,) top-label confidence at T
        b = bin_index(conf, n_bins)
        s = np.bincount(b, weights=acc - conf, minlength=n_bins)
        return float(np.abs(s).sum() / n)

    values = np.array([ece_at(t) for t in temps])
    best = int(np.argmin(values))
    return EceTemperatureFit(
        temperature=float(temps[best]),
        ece_before=ece_at(1.0),
        ece_after=float(values[best]),
        n_bins=int(n_bins),
        grid=temps,
        ece_grid=values,
        method=f"grid search minimising {n_bins}-bin ECE (a-posteriori tuning, paper section 3)",
    )
