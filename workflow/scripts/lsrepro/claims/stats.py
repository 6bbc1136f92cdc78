"""The tests behind every verdict: one stated test per sub-claim, on per-seed values.

Every sub-claim is reduced to an **estimate** of a difference (or of one quantity) with its
standard error and degrees of freedom, computed from the per-seed values of the two sides:

* :func:`welch` — independent sides (different recipes or experiments): difference of means,
  Welch–Satterthwaite degrees of freedom; at least :data:`MIN_SEEDS` seeds per side.
* :func:`paired` — both sides share (split, seed) and differ only in the treatment (α = 0 vs
  α > 0 of one recipe, T = 1 vs fitted T of one model, train vs val of one model): one-sample t
  on the per-seed differences; at least :data:`MIN_PAIRS` common seeds.
* :func:`one_sample` — one per-seed quantity against a constant; at least :data:`MIN_SEEDS`.
* :func:`spearman_trend` — a monotone trend of y over x (every (x, seed) point): Spearman's ρ,
  p-values of scipy's t approximation, interval by Fisher's z with the Bonett–Wright standard
  error.

and a **claimed region** for the estimate, ``(low, high)``:

* ordered "A better than B": ``(0, inf)`` or ``(-inf, 0)`` for A − B;
* equivalence "A similar to B" with a margin m: ``(-m, m)`` (TOST);
* non-superiority "A no better than B" with a margin m: ``(-inf, m)``; non-inferiority:
  ``(-m, inf)``; a band around a closed form: ``(lo, hi)``.

:func:`decide` turns the two into the two one-sided p-values of the claim:
``p_for`` (rejects "the estimate lies outside the region" — the TOST/one-sided p; for an
equivalence the larger of the two one-sided p-values) and ``p_against`` (rejects "the estimate
lies inside"; the smaller of the two sides' p-values). At level :data:`LEVEL` = 0.05 the verdict
is **supported** when ``p_for < 0.05`` — the 90 % two-sided interval of the difference lies
entirely in the region — **contradicted** when ``p_against < 0.05`` — the 90 % interval lies
entirely outside (for an ordered claim: on the other side of 0; for an equivalence or
non-superiority: beyond the margin) — and **inconclusive** otherwise. Too few seeds give
inconclusive with the reason and the point estimate's leaning kept.

Several cases of one sub-claim (every T, every teacher α) combine by :func:`all_of` ("for every
case": intersection–union, p_for = max; contradicted if some case is: Bonferroni over the cases)
and :func:`any_of` ("there is a case": Bonferroni for p_for, p_against = max); a sub-claim that
needs two conditions at once (C3, C12e) uses :func:`both`.

Multiplicity: every sub-claim's decision p-value (``min(p_for, p_against)``, in the direction it
points) enters :func:`holm` over all sub-claims judged in one claims table; ``verdict_raw`` is
the per-sub-claim decision, ``verdict`` the Holm-adjusted one (:func:`adjust`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

__all__ = [
    "CONTRADICTED",
    "INCONCLUSIVE",
    "LEVEL",
    "MIN_PAIRS",
    "MIN_SEEDS",
    "NOT_RUN",
    "SUPPORTED",
    "VERDICTS",
    "Decision",
    "Estimate",
    "Interval",
    "adjust",
    "all_of",
    "any_of",
    "both",
    "decide",
    "holm",
    "not_run",
    "one_sample",
    "paired",
    "spearman_trend",
    "welch",
]

SUPPORTED = "supported"
CONTRADICTED = "contradicted"
INCONCLUSIVE = "inconclusive"
NOT_RUN = "not run"
VERDICTS: tuple[str, ...] = (SUPPORTED, CONTRADICTED, INCONCLUSIVE, NOT_RUN)

LEVEL = 0.05  # one-sided level of every decision = a 90 % two-sided interval
MIN_SEEDS = 2  # per side, Welch and one-sample
MIN_PAIRS = 3  # common seeds, paired


def _values(x: Sequence[float] | np.ndarray) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64).ravel()
    return a[~np.isnan(a)]


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "nan"
    return f"{x:.4g}" if abs(x) < 1e4 else f"{x:.3e}"


@dataclass(frozen=True)
class Interval:
    """A mean over seeds with its t-interval ``[low, high]`` and seed count ``n`` (display only:
    the decisions use :class:`Estimate`)."""

    mean: float
    low: float
    high: float
    n: int

    @classmethod
    def missing(cls) -> Interval:
        return cls(math.nan, math.nan, math.nan, 0)

    @classmethod
    def from_values(cls, values: Sequence[float], confidence: float = 0.95) -> Interval:
        """Student-t interval of the mean of ``values`` (NaNs skipped), as
        :func:`lsrepro.stats.summarize_over_seeds` computes it."""
        x = _values(values)
        n = int(x.size)
        if n == 0:
            return cls.missing()
        if n == 1:
            return cls(float(x[0]), math.nan, math.nan, 1)
        half = stats.t.ppf(0.5 + confidence / 2.0, n - 1) * x.std(ddof=1) / math.sqrt(n)
        mean = float(x.mean())
        return cls(mean, mean - half, mean + half, n)

    @property
    def is_missing(self) -> bool:
        return self.n == 0 or math.isnan(self.mean)

    def __str__(self) -> str:
        if self.is_missing:
            return "missing"
        if math.isnan(self.low):
            return f"{_fmt(self.mean)} (n={self.n})"
        return f"{_fmt(self.mean)} [{_fmt(self.low)}, {_fmt(self.high)}] (n={self.n})"


@dataclass(frozen=True)
class Estimate:
    """A difference A − B (or one quantity) estimated over seeds.

    ``effect`` in the claim's unit; ``se`` its standard error; ``df`` the t degrees of freedom
    (``inf`` = normal); ``sd`` the per-seed standard deviation that expresses ``effect`` in
    seed-sd units (Welch: sqrt((s_A² + s_B²)/2); paired: sd of the differences; one-sample: sd
    of the values); ``n_a``/``n_b`` the seeds used per side (paired: both the pair count;
    one-sample: n_b = 0). ``why_untestable`` is non-empty when too few seeds make a test
    impossible (then se is NaN). ``scale`` maps the estimate to the unit the interval is shown
    in (Spearman: tanh of Fisher's z); identity otherwise.
    """

    test: str
    effect: float
    se: float
    df: float
    sd: float
    n_a: int
    n_b: int
    why_untestable: str = ""
    fisher_z: bool = False

    @property
    def testable(self) -> bool:
        return not self.why_untestable

    def interval(self, level: float = LEVEL) -> tuple[float, float]:
        """The two-sided ``1 − 2·level`` interval (90 % at 0.05), in the claim's unit."""
        if not self.testable:
            return math.nan, math.nan
        q = (
            stats.t.ppf(1.0 - level, self.df)
            if math.isfinite(self.df)
            else stats.norm.ppf(1.0 - level)
        )
        centre = math.atanh(self.effect) if self.fisher_z else self.effect
        lo, hi = centre - q * self.se, centre + q * self.se
        return (math.tanh(lo), math.tanh(hi)) if self.fisher_z else (lo, hi)

    def _cdf(self, threshold: float) -> float:
        """P(T <= t) for the statistic of the null "estimate = threshold"."""
        if self.fisher_z:
            threshold = math.atanh(max(min(threshold, 1.0 - 1e-12), -1.0 + 1e-12))
            centre = math.atanh(max(min(self.effect, 1.0 - 1e-12), -1.0 + 1e-12))
        else:
            centre = self.effect
        if self.se == 0.0:
            return 0.5 if centre == threshold else float(centre > threshold)
        t = (centre - threshold) / self.se
        return float(stats.t.cdf(t, self.df) if math.isfinite(self.df) else stats.norm.cdf(t))

    def p_above(self, threshold: float) -> float:
        """One-sided p of H0 "true value <= threshold" (small: shown above)."""
        return 1.0 - self._cdf(threshold)

    def p_below(self, threshold: float) -> float:
        """One-sided p of H0 "true value >= threshold" (small: shown below)."""
        return self._cdf(threshold)


def _untestable(test: str, effect: float, sd: float, n_a: int, n_b: int, why: str) -> Estimate:
    return Estimate(test, effect, math.nan, math.nan, sd, n_a, n_b, why)


def welch(a: Sequence[float], b: Sequence[float]) -> Estimate:
    """A − B of two independent samples over seeds (Welch's t)."""
    x, y = _values(a), _values(b)
    na, nb = int(x.size), int(y.size)
    effect = float(x.mean() - y.mean()) if na and nb else math.nan
    va = x.var(ddof=1) if na >= 2 else math.nan
    vb = y.var(ddof=1) if nb >= 2 else math.nan
    sd = math.sqrt((va + vb) / 2.0) if na >= 2 and nb >= 2 else math.nan
    if min(na, nb) < MIN_SEEDS:
        why = f"fewer than {MIN_SEEDS} seeds per side ({na} vs {nb}): no test, so inconclusive"
        return _untestable("Welch t", effect, sd, na, nb, why)
    ea, eb = va / na, vb / nb
    se = math.sqrt(ea + eb)
    df = (ea + eb) ** 2 / (ea**2 / (na - 1) + eb**2 / (nb - 1)) if se > 0 else float(na + nb - 2)
    return Estimate("Welch t", effect, se, df, sd, na, nb)


def paired(a: dict | Sequence[float], b: dict | Sequence[float]) -> Estimate:
    """A − B paired by seed: ``a``/``b`` map seed -> value (or equal-length sequences in seed
    order); seeds present on both sides (and not NaN) are used."""
    if isinstance(a, dict) and isinstance(b, dict):
        seeds = sorted(s for s in set(a) & set(b) if not (math.isnan(a[s]) or math.isnan(b[s])))
        d = np.array([a[s] - b[s] for s in seeds], dtype=np.float64)
    else:
        x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if x.shape != y.shape:
            raise ValueError(f"paired samples differ in length: {x.shape} vs {y.shape}")
        d = _values(x - y)
    n = int(d.size)
    effect = float(d.mean()) if n else math.nan
    sd = float(d.std(ddof=1)) if n >= 2 else math.nan
    if n < MIN_PAIRS:
        why = f"fewer than {MIN_PAIRS} seeds paired on both sides ({n}): no test, so inconclusive"
        return _untestable("paired t", effect, sd, n, n, why)
    return Estimate("paired t", effect, sd / math.sqrt(n), float(n - 1), sd, n, n)


def one_sample(x: Sequence[float]) -> Estimate:
    """The mean of one per-seed quantity (one-sample t)."""
    v = _values(x)
    n = int(v.size)
    effect = float(v.mean()) if n else math.nan
    sd = float(v.std(ddof=1)) if n >= 2 else math.nan
    if n < MIN_SEEDS:
        why = f"fewer than {MIN_SEEDS} seeds ({n}): no test, so inconclusive"
        return _untestable("one-sample t", effect, sd, n, 0, why)
    return Estimate("one-sample t", effect, sd / math.sqrt(n), float(n - 1), sd, n, 0)


def spearman_trend(x: Sequence[float], y: Sequence[float]) -> Estimate:
    """Spearman's ρ of y over x (a monotone trend); needs 4 points or more (Fisher's z needs
    n > 3). The standard error is Bonett–Wright's sqrt((1 + ρ²/2)/(n − 3)) on Fisher's z;
    ``sd`` is NaN (ρ is already unit-free)."""
    xv, yv = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    keep = ~(np.isnan(xv) | np.isnan(yv))
    xv, yv = xv[keep], yv[keep]
    n = int(xv.size)
    if n < 4 or np.unique(xv).size < 2:
        why = f"fewer than 4 points or one x value ({n} points): no trend test, so inconclusive"
        ranked = n >= 2 and np.unique(xv).size > 1 and np.unique(yv).size > 1
        rho = float(stats.spearmanr(xv, yv).statistic) if ranked else math.nan
        return _untestable("Spearman trend", rho, math.nan, n, 0, why)
    # constant y: no rank order at all (scipy would warn and return NaN)
    rho = float(stats.spearmanr(xv, yv).statistic) if np.unique(yv).size > 1 else 0.0
    rho = max(min(rho, 1.0 - 1e-12), -1.0 + 1e-12)
    se = math.sqrt((1.0 + rho**2 / 2.0) / (n - 3))
    return Estimate("Spearman trend", rho, se, math.inf, math.nan, n, 0, fisher_z=True)


# --- decisions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """One decided (sub-)claim: raw verdict at :data:`LEVEL`, both one-sided p-values, the
    estimate it rests on (effect, 90 % interval, seeds per side) and the stated margin."""

    verdict: str
    reason: str
    leaning: str = ""
    p_for: float = math.nan
    p_against: float = math.nan
    test: str = ""
    effect: float = math.nan
    effect_sd: float = math.nan
    low: float = math.nan
    high: float = math.nan
    margin: str = ""
    n_a: int = 0
    n_b: int = 0

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")

    @property
    def p(self) -> float:
        """The decision p-value: the smaller one-sided p (the direction the data point)."""
        if math.isnan(self.p_for) or math.isnan(self.p_against):
            return math.nan
        return min(self.p_for, self.p_against)

    def but(self, **changes: object) -> Decision:
        return replace(self, **changes)


def not_run(reason: str) -> Decision:
    return Decision(NOT_RUN, reason)


def _verdict(p_for: float, p_against: float, level: float = LEVEL) -> str:
    if p_for < level:
        return SUPPORTED
    if p_against < level:
        return CONTRADICTED
    return INCONCLUSIVE


def _region_text(low: float, high: float) -> str:
    if math.isinf(low) and math.isinf(high):
        return "anything"
    if math.isinf(low):
        return f"< {_fmt(high)}"
    if math.isinf(high):
        return f"> {_fmt(low)}"
    return f"in ({_fmt(low)}, {_fmt(high)})"


def decide(
    est: Estimate, low: float, high: float, *, what: str = "difference", margin: str = ""
) -> Decision:
    """The claim "the true value of ``est`` lies in ``(low, high)``" (either bound may be ±inf).

    ``p_for`` = the larger of the one-sided p-values of "≤ low" and "≥ high" (TOST; one of them
    for a half-line); ``p_against`` = the smaller of the one-sided p-values of "≥ low" and
    "≤ high" (shown beyond one edge). ``margin`` is the rule's stated margin, copied to the row.
    """
    if not low < high:
        raise ValueError(f"claimed region needs low < high, got ({low}, {high})")
    inside = low < est.effect < high if not math.isnan(est.effect) else None
    leaning = "" if inside is None else ("agrees" if inside else "disagrees")
    # no estimate: a side (or the quantity) not measured -- except a trend of too few points
    if math.isnan(est.effect) and (est.test != "Spearman trend" or est.n_a == 0):
        return not_run(f"{what} not measured in this run").but(test=est.test)
    if math.isnan(est.effect):  # measured, but too little to estimate (e.g. ρ of 2 points)
        return Decision(INCONCLUSIVE, est.why_untestable, test=est.test, n_a=est.n_a, n_b=est.n_b)
    # no seed-to-seed variation (sd 0, or float noise about 0): no effect size in seed sd
    tiny = math.isnan(est.sd) or est.sd <= 1e-12 * max(1.0, abs(est.effect))
    sd_units = math.nan if tiny else est.effect / est.sd
    common = {
        "leaning": leaning,
        "test": est.test,
        "effect": est.effect,
        "effect_sd": sd_units,
        "margin": margin,
        "n_a": est.n_a,
        "n_b": est.n_b,
    }
    if not est.testable:
        return Decision(INCONCLUSIVE, est.why_untestable, **common)
    lo_ci, hi_ci = est.interval()
    p_for = max(
        est.p_above(low) if math.isfinite(low) else 0.0,
        est.p_below(high) if math.isfinite(high) else 0.0,
    )
    p_against = min(
        est.p_below(low) if math.isfinite(low) else 1.0,
        est.p_above(high) if math.isfinite(high) else 1.0,
    )
    verdict = _verdict(p_for, p_against)
    region = _region_text(low, high)
    reason = {
        SUPPORTED: f"90 % interval of {what} [{_fmt(lo_ci)}, {_fmt(hi_ci)}] inside {region}",
        CONTRADICTED: f"90 % interval of {what} [{_fmt(lo_ci)}, {_fmt(hi_ci)}] outside {region}",
        INCONCLUSIVE: f"90 % interval of {what} [{_fmt(lo_ci)}, {_fmt(hi_ci)}] straddles {region}",
    }[verdict]
    return Decision(
        verdict, reason, p_for=p_for, p_against=p_against, low=lo_ci, high=hi_ci, **common
    )


def _combine(
    parts: Sequence[Decision],
    p_for: float,
    p_against: float,
    pick: Decision,
    reason: str,
    leaning: str,
) -> Decision:
    verdict = _verdict(p_for, p_against)
    return pick.but(
        verdict=verdict, reason=reason, leaning=leaning, p_for=p_for, p_against=p_against
    )


def _counts(run: Sequence[Decision]) -> str:
    v = [d.verdict for d in run]
    return f"{v.count(SUPPORTED)}/{len(run)} supported, {v.count(CONTRADICTED)} contradicted"


def all_of(parts: Sequence[Decision], what: str = "every case") -> Decision:
    """ "For every case": p_for = max over cases (intersection–union test), p_against =
    Bonferroni min over cases; a case without a test cannot be supported (p_for 1) nor
    contradicted (p_against 1). Cases not run are left out; none run: not run."""
    run = [d for d in parts if d.verdict != NOT_RUN]
    if not run:
        return not_run(parts[0].reason if parts else f"no {what} in this run")
    pf = [1.0 if math.isnan(d.p_for) else d.p_for for d in run]
    pa = [1.0 if math.isnan(d.p_against) else d.p_against for d in run]
    k = len(run)
    leanings = {d.leaning for d in run}
    leaning = (
        "disagrees" if "disagrees" in leanings else ("agrees" if leanings == {"agrees"} else "")
    )
    pick = run[int(np.argmax(pf))]
    if all(not d.p_for == d.p_for for d in run):  # no case has a test
        return pick.but(verdict=INCONCLUSIVE, reason=f"{what}: {pick.reason}", leaning=leaning)
    return _combine(run, max(pf), min(1.0, k * min(pa)), pick, f"{what}: {_counts(run)}", leaning)


def any_of(parts: Sequence[Decision], what: str = "some case") -> Decision:
    """ "There is a case": p_for = Bonferroni min over cases, p_against = max over cases."""
    run = [d for d in parts if d.verdict != NOT_RUN]
    if not run:
        return not_run(parts[0].reason if parts else f"no {what} in this run")
    pf = [1.0 if math.isnan(d.p_for) else d.p_for for d in run]
    pa = [1.0 if math.isnan(d.p_against) else d.p_against for d in run]
    k = len(run)
    leaning = "agrees" if any(d.leaning == "agrees" for d in run) else "disagrees"
    pick = run[int(np.argmin(pf))]
    if all(not d.p_for == d.p_for for d in run):  # no case has a test
        return pick.but(verdict=INCONCLUSIVE, reason=f"{what}: {pick.reason}", leaning=leaning)
    return _combine(run, min(1.0, k * min(pf)), max(pa), pick, f"{what}: {_counts(run)}", leaning)


def both(first: Decision, second: Decision, *, keep: str = "second") -> Decision:
    """Two conditions at once (C3: similar accuracy AND tighter clusters). Supported: both
    supported (p_for = max). Contradicted: ``first`` supported and ``second`` contradicted
    (p_against = max(p_for of first, p_against of second)) — the premise holds and the claim
    fails. The row keeps the estimate (effect, interval, margin, seeds) of ``keep``."""
    if keep not in ("first", "second"):
        raise ValueError(f"keep must be 'first' or 'second', got {keep!r}")
    if NOT_RUN in (first.verdict, second.verdict):
        missing = first if first.verdict == NOT_RUN else second
        return not_run(missing.reason)
    leaning = "agrees" if first.leaning == second.leaning == "agrees" else "disagrees"
    reason = f"premise {first.verdict}; claim {second.verdict}"
    kept = first if keep == "first" else second
    if any(math.isnan(p) for p in (first.p_for, second.p_for, second.p_against)):
        why = first.reason if math.isnan(first.p_for) else second.reason
        return kept.but(
            verdict=INCONCLUSIVE,
            reason=f"{reason}: {why}",
            leaning=leaning,
            p_for=math.nan,
            p_against=math.nan,
        )
    p_for = max(first.p_for, second.p_for)
    p_against = max(first.p_for, second.p_against)
    return kept.but(
        verdict=_verdict(p_for, p_against),
        reason=reason,
        leaning=leaning,
        p_for=p_for,
        p_against=p_against,
    )


# --- multiplicity --------------------------------------------------------------------------------


def holm(p: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaNs kept NaN and not counted in the family)."""
    p = np.asarray(p, dtype=np.float64)
    out = np.full_like(p, np.nan)
    idx = np.flatnonzero(~np.isnan(p))
    m = idx.size
    if m == 0:
        return out
    order = idx[np.argsort(p[idx], kind="stable")]
    adjusted = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(adjusted)
    return out


def adjust(decisions: Sequence[Decision], level: float = LEVEL) -> list[tuple[float, str]]:
    """Holm over the decision p-values of ``decisions`` (one family): per decision its adjusted
    p and verdict (the raw verdict's direction if the adjusted p is below ``level``, else
    inconclusive; not run and untested ones unchanged)."""
    adjusted = holm([d.p for d in decisions])
    out = []
    for d, ph in zip(decisions, adjusted, strict=True):
        if math.isnan(ph):
            out.append((ph, d.verdict))
        elif ph < level:
            out.append((float(ph), SUPPORTED if d.p_for <= d.p_against else CONTRADICTED))
        else:
            out.append((float(ph), INCONCLUSIVE))
    return out
