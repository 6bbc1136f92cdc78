"""Operating characteristics: false "supported" at most 5 % (+ Monte Carlo error) per rule under
no effect, and the simulated power of the ordered tests against the noncentral-t closed form."""

from __future__ import annotations

import math

import pytest

from lsrepro.claims import power

REPS = 1500
MC = 3 * math.sqrt(0.05 * 0.95 / REPS)  # 3 binomial standard errors at 5 %


@pytest.mark.parametrize("rule", power.RULES)
def test_false_supported_at_most_five_percent(rule):
    # the boundary of the null: no effect (ordered, non-superiority) or a difference of exactly
    # the margin (equivalence)
    effect = 1.0 if rule == "equivalence" else 0.0
    n = 10 if rule == "equivalence" else 5  # equivalence at 1 sd needs seeds to say anything
    assert power.false_supported(rule, effect, margin=1.0)
    rate = power.simulate(rule, effect, n, REPS, seed=1, margin=1.0)
    assert rate <= 0.05 + MC, (rule, rate)


@pytest.mark.parametrize(
    "rule, n, effect",
    [("ordered paired", 5, 1.0), ("ordered paired", 3, 2.0), ("ordered Welch", 5, 1.0)],
)
def test_power_matches_the_noncentral_t(rule, n, effect):
    rate = power.simulate(rule, effect, n, REPS, seed=2)
    ref = power.closed_form_supported(rule, effect, n)
    se = math.sqrt(ref * (1 - ref) / REPS)
    # paired: exact; Welch: its df is at most 2n - 2, so it is a little less powerful
    slack = 0.0 if rule == "ordered paired" else 0.04
    assert ref - 3 * se - slack <= rate <= ref + 3 * se, (rate, ref)


def test_closed_form_is_five_percent_at_no_effect_and_rejects_unknown_rules():
    assert power.closed_form_supported("ordered paired", 0.0, 5) == pytest.approx(0.05)
    with pytest.raises(ValueError, match="no closed form"):
        power.closed_form_supported("equivalence", 0.0, 5)
    with pytest.raises(ValueError, match="unknown rule"):
        power.simulate("ordered", 0.0, 5, 1)
