"""Operating characteristics of the decision procedure, measured by simulation.

Planted effects in per-seed sd units are judged with the module's own tests
(:mod:`lsrepro.claims.stats`), many times over, and the share of "supported" verdicts counted:

* ``ordered Welch`` — A ~ N(δ, 1), B ~ N(0, 1), n seeds per side; claim A − B > 0.
* ``ordered paired`` — per-seed differences ~ N(δ, 1), n pairs; claim > 0.
* ``equivalence`` — Welch, true difference δ, claim |A − B| < margin (in seed sd); "supported"
  is false for δ ≥ margin.
* ``non-superiority`` — Welch, A − B = −δ (A worse by δ), claim A − B < 0 (margin 0, as C12d);
  "supported" is false at δ = 0.

For the ordered rules δ = 0 is the boundary of the null (the largest false-"supported" rate);
:func:`closed_form_supported` gives the noncentral-t rate as an independent reference (exact for
the paired test; for Welch with equal n and variances the statistic is Student's with 2n − 2
degrees of freedom approximately: Welch's df is a little smaller, so its rate a little lower).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sps

from lsrepro.claims import stats

__all__ = ["EFFECTS", "OLD_RULE", "RULES", "SEEDS", "closed_form_supported", "simulate"]

RULES: tuple[str, ...] = ("ordered Welch", "ordered paired", "equivalence", "non-superiority")
#: The ordered rule before issue 18, for comparison: supported when the two 95 % t-intervals
#: over seeds are disjoint.
OLD_RULE = "old: disjoint 95 % intervals"
EFFECTS: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0, 3.0)
SEEDS: tuple[int, ...] = (2, 3, 5, 10)


def _one(rule: str, effect: float, n: int, rng: np.random.Generator, margin: float) -> str:
    if rule == "ordered Welch":
        a, b = rng.normal(effect, 1.0, n), rng.normal(0.0, 1.0, n)
        return stats.decide(stats.welch(a, b), 0.0, math.inf).verdict
    if rule == "ordered paired":
        d = rng.normal(effect, 1.0, n)
        return stats.decide(stats.paired(d, np.zeros(n)), 0.0, math.inf).verdict
    if rule == "equivalence":
        a, b = rng.normal(effect, 1.0, n), rng.normal(0.0, 1.0, n)
        return stats.decide(stats.welch(a, b), -margin, margin).verdict
    if rule == OLD_RULE:
        ia = stats.Interval.from_values(rng.normal(effect, 1.0, n))
        ib = stats.Interval.from_values(rng.normal(0.0, 1.0, n))
        return stats.SUPPORTED if ia.low > ib.high else stats.INCONCLUSIVE
    if rule == "non-superiority":
        a, b = rng.normal(-effect, 1.0, n), rng.normal(0.0, 1.0, n)
        return stats.decide(stats.welch(a, b), -math.inf, 0.0).verdict
    raise ValueError(f"unknown rule {rule!r}; expected one of {RULES}")


def simulate(
    rule: str, effect: float, n: int, reps: int, seed: int = 0, margin: float = 1.0
) -> float:
    """Share of ``reps`` simulated studies judged "supported" (``margin``: equivalence only,
    in seed sd)."""
    if rule not in (*RULES, OLD_RULE):
        raise ValueError(f"unknown rule {rule!r}; expected one of {RULES}")
    rng = np.random.default_rng([seed, int(effect * 1000), n, (*RULES, OLD_RULE).index(rule)])
    verdicts = [_one(rule, effect, n, rng, margin) for _ in range(reps)]
    return verdicts.count(stats.SUPPORTED) / reps


def closed_form_supported(rule: str, effect: float, n: int) -> float:
    """Noncentral-t rate of "supported" for the ordered rules (one-sided 5 %)."""
    if rule == "ordered paired":
        df, ncp = n - 1, effect * math.sqrt(n)
    elif rule == "ordered Welch":
        df, ncp = 2 * n - 2, effect / math.sqrt(2.0 / n)
    else:
        raise ValueError(f"no closed form for {rule!r}")
    return float(sps.nct.sf(sps.t.ppf(1.0 - stats.LEVEL, df), df, ncp))


def false_supported(rule: str, effect: float, margin: float = 1.0) -> bool:
    """Whether "supported" is a wrong verdict at this planted effect."""
    if rule == "equivalence":
        return effect >= margin
    return effect == 0.0
