"""The paper's mutual-information estimator (§4, A.2; paper-spec §1.6) and its known-MI checks.

Setting: X is the index of one of N examples, uniform; Y is a scalar (the difference of two class
logits of the network on a randomly augmented copy of example x). The paper models
p(y|x) = N(μ_x, σ²) with one variance shared by all examples and estimates

    μ_x = (1/L) Σ_l y_{x,l}                        (L Monte-Carlo augmentations, paper L = 5)
    σ²  = (1/N) Σ_x (y_x − μ_x)²
    Î   = (1/N) Σ_x [ −(y_x − μ_x)²/(2σ²) − log( (1/N) Σ_{x'} exp(−(y_x − μ_{x'})²/(2σ²)) ) ]

(the Gaussian normalisers cancel because σ is shared). Î ≤ log N always (each bracket is at most
log N); the MI of the fitted mixture lies in [0, log N], but Î is a Monte-Carlo estimate of it and
can fall slightly below 0 when the true MI is 0.

The paper does not say whether y_x is a fresh augmentation or one of the L draws. Both are
computed here: the fresh draw gives a variational lower estimate in expectation (the fitted
q(y|x) is independent of y, and E_p[log q(y|x)/q(y)] ≤ I), the in-sample one an upper one
(y_x pulls μ_x towards itself and shrinks σ²); both biases shrink like 1/L. The fresh draw is the
main value.

Also: the Kolchinsky–Tracey bounds (Kolchinsky & Tracey, Entropy 2017) of the fitted equal-weight
mixture Σ_x (1/N) N(μ_x, σ_w²), σ_w² the pooled within-example variance: for equal-variance
Gaussians the pairwise Bhattacharyya distance is (μ_i − μ_j)²/(8σ²) (lower bound) and the KL
divergence (μ_i − μ_j)²/(2σ²) (upper bound), each used in −(1/N) Σ_i log (1/N) Σ_j exp(−D_ij).

Everything is float64 numpy; natural logarithms (nats).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import logsumexp, roots_legendre

__all__ = [
    "InformationEstimate",
    "estimate_information",
    "exact_information",
    "information_estimate",
    "kolchinsky_tracey_bounds",
    "validation_cases",
    "validation_table",
]

# rows of the (N, N) pairwise matrix handled at once: bounds memory to ~_CHUNK * N doubles
_CHUNK = 1024


def _as_vector(name: str, a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains {int(np.sum(~np.isfinite(a)))} non-finite values")
    return a


def _mean_neg_log_mixture(y: np.ndarray, means: np.ndarray, scale: float) -> float:
    """(1/N) Σ_x −log( (1/N) Σ_{x'} exp(−(y_x − μ_{x'})² · scale) ), by logsumexp in row chunks."""
    n = means.size
    total = 0.0
    for start in range(0, y.size, _CHUNK):
        d2 = (y[start : start + _CHUNK, None] - means[None, :]) ** 2  # (chunk, N)
        total += float(np.sum(np.log(n) - logsumexp(-d2 * scale, axis=1)))
    return total / y.size


def information_estimate(y: np.ndarray, means: np.ndarray) -> float:
    """Î of the module docstring (paper §4, with the 1/N factors) for one sample per example.

    Args:
        y: (N,) one output y_x per example (fresh or one of the draws behind ``means``).
        means: (N,) μ_x, the per-example means.

    Returns:
        Î in nats, ≤ log N. σ² = (1/N) Σ_x (y_x − μ_x)² is estimated from ``y`` itself.

    Raises:
        ValueError: shapes differ, non-finite values, or σ² = 0 (Y does not vary within examples,
            so the Gaussian model of p(y|x) is undefined).
    """
    y = _as_vector("y", y)
    means = _as_vector("means", means)
    if y.shape != means.shape:
        raise ValueError(f"y {y.shape} and means {means.shape} must have the same shape (N,)")
    var = float(np.mean((y - means) ** 2))
    if not var > 0.0:
        raise ValueError(
            "within-example variance is 0: the outputs do not vary between augmentations, so the "
            "Gaussian model p(y|x) = N(mu_x, sigma^2) is undefined"
        )
    scale = 1.0 / (2.0 * var)
    # first term: −(1/N) Σ (y_x − μ_x)²/(2σ²) = −1/2 exactly, by the definition of σ²
    own = -float(np.mean((y - means) ** 2)) * scale
    return own + _mean_neg_log_mixture(y, means, scale)


def kolchinsky_tracey_bounds(means: np.ndarray, var: float) -> tuple[float, float]:
    """Kolchinsky–Tracey (2017) bounds on I(X;Y) for Y|X=x ~ N(μ_x, var), X uniform over N.

    Returns:
        (lower, upper) in nats: pairwise Bhattacharyya distances (μ_i − μ_j)²/(8 var) give the
        lower bound, KL divergences (μ_i − μ_j)²/(2 var) the upper one. 0 ≤ lower ≤ upper ≤ log N.
    """
    means = _as_vector("means", means)
    if not (np.isfinite(var) and var > 0.0):
        raise ValueError(f"var must be finite and > 0, got {var}")
    lower = _mean_neg_log_mixture(means, means, 1.0 / (8.0 * var))
    upper = _mean_neg_log_mixture(means, means, 1.0 / (2.0 * var))
    return lower, upper


@dataclass(frozen=True)
class InformationEstimate:
    """All numbers the MI stage reports for one snapshot (nats; variances in logit units²).

    Attributes:
        mi: Î with a fresh draw as y_x (main value); NaN when no fresh draw was given.
        mi_insample: Î with y_x one of the L draws, averaged over the L choices (each with its
            own σ²); the same expectation as using any single one, less noise.
        mi_lower, mi_upper: Kolchinsky–Tracey bounds of the fitted mixture (means μ_x, variance
            ``var_within``).
        var_between: (1/N) Σ_x (μ_x − mean μ)², the spread of the fitted means; it includes the
            Monte-Carlo noise of each μ_x (≈ var_within / L).
        var_within: pooled within-example variance (1/(N(L−1))) Σ_x Σ_l (y_{x,l} − μ_x)²,
            unbiased for σ².
        n_examples: N. draws: L.
    """

    mi: float
    mi_insample: float
    mi_lower: float
    mi_upper: float
    var_between: float
    var_within: float
    n_examples: int
    draws: int


def estimate_information(
    draws: np.ndarray, fresh: np.ndarray | None = None, *, insample: bool = True
) -> InformationEstimate:
    """Fit the paper's Gaussian channel to L draws per example and estimate I(X;Y).

    Args:
        draws: (L, N) outputs y_{x,l} of L ≥ 2 augmentations of each of N ≥ 2 examples.
        fresh: (N,) one further, independent augmentation per example, or None.
        insample: compute ``mi_insample`` (L evaluations of the O(N²) sum); NaN when False.

    Returns:
        :class:`InformationEstimate`.
    """
    draws = np.asarray(draws, dtype=np.float64)
    if draws.ndim != 2:
        raise ValueError(f"draws must have shape (L, N), got {draws.shape}")
    n_draws, n = draws.shape
    if n_draws < 2 or n < 2:
        raise ValueError(f"need L >= 2 draws of N >= 2 examples, got draws of shape {draws.shape}")
    if not np.all(np.isfinite(draws)):
        raise ValueError(f"draws contain {int(np.sum(~np.isfinite(draws)))} non-finite values")
    means = draws.mean(axis=0)  # (N,)
    var_within = float(np.sum((draws - means) ** 2) / (n * (n_draws - 1)))
    mi_fresh = np.nan
    if fresh is not None:
        fresh = _as_vector("fresh", fresh)
        if fresh.shape != (n,):
            raise ValueError(f"fresh must have shape ({n},) to match draws, got {fresh.shape}")
        mi_fresh = information_estimate(fresh, means)
    mi_insample = np.nan
    if insample:
        mi_insample = float(np.mean([information_estimate(row, means) for row in draws]))
    lower, upper = kolchinsky_tracey_bounds(means, var_within)
    return InformationEstimate(
        mi=float(mi_fresh),
        mi_insample=float(mi_insample),
        mi_lower=lower,
        mi_upper=upper,
        var_between=float(np.mean((means - means.mean()) ** 2)),
        var_within=var_within,
        n_examples=n,
        draws=n_draws,
    )


def exact_information(
    means: np.ndarray, var: float, *, tail: float = 12.0, nodes: int = 32
) -> float:
    """Exact I(X;Y) = H(Y) − ½ log(2πe σ²) for X uniform over N, Y|X=x ~ N(μ_x, σ²).

    H(Y) = −∫ p(y) log p(y) dy of the mixture p = (1/N) Σ_x N(μ_x, σ²) by composite
    Gauss–Legendre quadrature (scipy nodes, ``nodes`` per panel one σ wide) over μ ± ``tail``·σ.
    Groups of means separated by more than 2·tail·σ are integrated separately, each with its own
    means only (the others' density there is below exp(−tail²/2) ≈ 1e-32 of the peak), so N far
    apart clusters cost O(N), not O(N²).

    Args:
        means: (N,) component means μ_x (repeats allowed: they are weights).
        var: shared variance σ² > 0.

    Returns:
        I(X;Y) in nats, in [0, log N] up to the quadrature error (~1e-12 in the tests).
    """
    means = _as_vector("means", means)
    if not (np.isfinite(var) and var > 0.0):
        raise ValueError(f"var must be finite and > 0, got {var}")
    sigma = float(np.sqrt(var))
    z = np.sort(means) / sigma  # work in units of σ
    n = z.size
    unique, counts = np.unique(z, return_counts=True)
    log_w = np.log(counts / n)
    gaps = np.flatnonzero(np.diff(unique) > 2.0 * tail)
    bounds = np.split(np.arange(unique.size), gaps + 1)
    x_ref, w_ref = roots_legendre(nodes)
    entropy_std = 0.0  # entropy of the density in σ units
    for group in bounds:
        mu, lw = unique[group], log_w[group]
        lo, hi = mu[0] - tail, mu[-1] + tail
        panels = max(1, int(np.ceil(hi - lo)))
        edges = np.linspace(lo, hi, panels + 1)
        half = 0.5 * (edges[1:] - edges[:-1])  # (P,)
        mid = 0.5 * (edges[1:] + edges[:-1])
        y = (mid[:, None] + half[:, None] * x_ref[None, :]).ravel()  # (P * nodes,)
        w = (half[:, None] * w_ref[None, :]).ravel()
        log_p = np.empty_like(y)
        for start in range(0, y.size, 4096):
            d2 = (y[start : start + 4096, None] - mu[None, :]) ** 2
            log_p[start : start + 4096] = logsumexp(lw[None, :] - 0.5 * d2, axis=1)
        log_p -= 0.5 * np.log(2.0 * np.pi)
        entropy_std -= float(np.sum(w * np.exp(log_p) * log_p))
    # H(Y) in σ units minus the conditional entropy ½ log(2πe) in σ units: σ cancels
    return entropy_std - 0.5 * np.log(2.0 * np.pi * np.e)


def validation_cases(n: int) -> dict[str, np.ndarray]:
    """Means (σ = 1) of the five known-MI cases of issue 12, for N = ``n`` (even) examples.

    ``equal`` (MI 0), ``two far`` (two clusters 1000σ apart: log 2), ``N far`` (means 50σ apart:
    log N), ``two 4σ`` (two clusters 4σ apart), ``N 0.1σ`` (means 0.1σ apart).
    """
    if n < 2 or n % 2:
        raise ValueError(f"n must be an even number >= 2, got {n}")
    half = np.repeat([0.0, 1.0], n // 2)
    grid = np.arange(n, dtype=np.float64)
    return {
        "equal": np.zeros(n),
        "two far": 1000.0 * half,
        "N far": 50.0 * grid,
        "two 4σ": 4.0 * half,
        "N 0.1σ": 0.1 * grid,
    }


def simulate(
    means: np.ndarray, draws: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(draws, N) samples and one fresh (N,) sample of Y|X=x ~ N(μ_x, 1)."""
    sample = rng.standard_normal((draws + 1, means.size)) + means
    return sample[:draws], sample[draws]


def validation_table(
    seed: int = 0, n: int = 600, repeats: int = 25, reference_draws: int = 100
) -> pd.DataFrame:
    """Known-MI validation of the estimator (issue 12), one row per :func:`validation_cases` case.

    For each repetition r, draws come from the true Gaussians (σ = 1) with
    ``np.random.default_rng([seed, case, r])``: L = 5 draws + 1 fresh, then independently
    L = ``reference_draws`` draws + 1 fresh. Columns are means over ``repeats`` repetitions;
    ``*_sd`` columns are the standard deviation of one estimate over the repetitions (the noise
    of a single run, mostly from σ² being estimated from N samples).

    Columns: ``case``, ``n``, ``exact`` (quadrature), ``fresh_L5``, ``fresh_L5_sd``,
    ``insample_L5``, ``fresh_L100``, ``fresh_L100_sd``, ``lower``, ``upper`` (Kolchinsky–Tracey
    bounds of the L = 5 fitted mixture), ``fitted_exact`` (exact MI of that fitted mixture, which
    the bounds bracket; it differs from ``exact`` by the fitting error of L = 5 means),
    ``log_n``. All in nats.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    rows = []
    for case_id, (case, means) in enumerate(validation_cases(n).items()):
        acc: dict[str, list[float]] = {}
        for r in range(repeats):
            rng = np.random.default_rng([seed, case_id, r])
            sample, fresh = simulate(means, 5, rng)
            est = estimate_information(sample, fresh)
            ref_sample, ref_fresh = simulate(means, reference_draws, rng)
            ref = estimate_information(ref_sample, ref_fresh, insample=False)
            values = {
                "fresh_L5": est.mi,
                "insample_L5": est.mi_insample,
                "fresh_L100": ref.mi,
                "lower": est.mi_lower,
                "upper": est.mi_upper,
                "fitted_exact": exact_information(sample.mean(axis=0), est.var_within),
            }
            for key, value in values.items():
                acc.setdefault(key, []).append(value)
        row: dict[str, object] = {"case": case, "n": n, "exact": exact_information(means, 1.0)}
        row.update({key: float(np.mean(values)) for key, values in acc.items()})
        for key in ("fresh_L5", "fresh_L100"):
            row[f"{key}_sd"] = float(np.std(acc[key], ddof=1)) if repeats > 1 else np.nan
        row["log_n"] = float(np.log(n))
        rows.append(row)
    columns = ["case", "n", "exact", "fresh_L5", "fresh_L5_sd", "insample_L5", "fresh_L100"]
    columns += ["fresh_L100_sd", "lower", "upper", "fitted_exact", "log_n"]
    return pd.DataFrame(rows)[columns]
