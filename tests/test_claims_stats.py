"""The tests behind the verdicts, against scipy's own tests and hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from lsrepro.claims import stats
from lsrepro.claims.stats import CONTRADICTED, INCONCLUSIVE, NOT_RUN, SUPPORTED

S, C, U, N = SUPPORTED, CONTRADICTED, INCONCLUSIVE, NOT_RUN
rng = np.random.default_rng(3)
A = rng.normal(1.0, 1.0, 6)
B = rng.normal(0.0, 2.0, 5)


def test_welch_p_values_match_scipy():
    est = stats.welch(A, B)
    for low, high, alt in ((0.0, math.inf, "greater"), (-math.inf, 0.0, "less")):
        d = stats.decide(est, low, high)
        ref = sps.ttest_ind(A, B, equal_var=False, alternative=alt).pvalue
        assert d.p_for == pytest.approx(ref, rel=1e-10)
        assert d.p_for + d.p_against == pytest.approx(1.0)
    assert est.effect == pytest.approx(A.mean() - B.mean())
    assert est.sd == pytest.approx(math.sqrt((A.var(ddof=1) + B.var(ddof=1)) / 2))
    assert (est.n_a, est.n_b) == (6, 5)


def test_paired_matches_scipy_and_uses_common_seeds():
    a = dict(enumerate(A[:5]))
    b = dict(enumerate(B))
    b[9] = 100.0  # a seed only one side has: ignored
    est = stats.paired(a, b)
    ref = sps.ttest_rel(A[:5], B, alternative="greater").pvalue
    assert stats.decide(est, 0.0, math.inf).p_for == pytest.approx(ref, rel=1e-10)
    assert est.n_a == est.n_b == 5
    lo, hi = est.interval()
    half = sps.t.ppf(0.95, 4) * (A[:5] - B).std(ddof=1) / math.sqrt(5)
    assert (lo, hi) == pytest.approx(((A[:5] - B).mean() - half, (A[:5] - B).mean() + half))


def test_one_sample_matches_scipy():
    est = stats.one_sample(A)
    ref = sps.ttest_1samp(A, 0.3, alternative="greater").pvalue
    assert est.p_above(0.3) == pytest.approx(ref, rel=1e-10)


def test_equivalence_is_tost_and_the_90_interval():
    x = np.array([0.1, -0.2, 0.05, 0.15, -0.05, 0.0])
    est = stats.one_sample(x)
    m = 0.3
    d = stats.decide(est, -m, m, margin="±0.3")
    p_low = sps.ttest_1samp(x, -m, alternative="greater").pvalue
    p_high = sps.ttest_1samp(x, m, alternative="less").pvalue
    assert d.p_for == pytest.approx(max(p_low, p_high), rel=1e-10)
    assert d.verdict == S and -m < d.low and d.high < m and d.margin == "±0.3"
    # the decision is the interval: supported iff the 90 % interval lies inside the margins
    for margin in np.linspace(0.05, 0.5, 19):
        dm = stats.decide(est, -margin, margin)
        assert (dm.verdict == S) == (-margin < dm.low and dm.high < margin)
    # shown beyond the margin: contradicted
    far = stats.decide(stats.one_sample(x + 1.0), -m, m)
    assert far.verdict == C and far.low > m


def test_too_few_seeds_is_inconclusive_with_the_leaning():
    d = stats.decide(stats.welch([1.0], [0.0, 0.1]), 0.0, math.inf)
    assert d.verdict == U and "fewer than 2 seeds" in d.reason and d.leaning == "agrees"
    d = stats.decide(stats.paired({0: 1.0, 1: 2.0}, {0: 0.0, 1: 0.5}), 0.0, math.inf)
    assert d.verdict == U and "fewer than 3 seeds" in d.reason and math.isnan(d.p)
    assert stats.decide(stats.welch([], [1.0, 2.0]), 0.0, math.inf).verdict == N


def test_spearman_trend_matches_scipy():
    x = np.repeat([0.0, 0.1, 0.3, 0.6], 5)
    y = 0.5 * x + rng.normal(0, 0.1, x.size)
    est = stats.spearman_trend(x, y)
    ref = sps.spearmanr(x, y)
    assert est.effect == pytest.approx(ref.statistic)
    d = stats.decide(est, 0.0, 1.0)
    z, se = math.atanh(ref.statistic), math.sqrt((1 + ref.statistic**2 / 2) / (x.size - 3))
    assert d.p_for == pytest.approx(sps.norm.sf(z / se), rel=1e-9)
    assert d.low == pytest.approx(math.tanh(z - sps.norm.ppf(0.95) * se))


def test_a_trend_of_too_few_points_is_inconclusive_not_missing():
    d = stats.decide(stats.spearman_trend([0.0, 0.1], [0.9, 0.8]), 0.0, 1.0)
    assert d.verdict == U and "fewer than 4 points" in d.reason and d.n_a == 2
    assert stats.decide(stats.spearman_trend([], []), 0.0, 1.0).verdict == N
    assert stats.decide(stats.welch([1.0, 2.0], []), 0.0, 1.0).verdict == N


def test_holm_against_a_hand_computed_family():
    # sorted p: 0.01, 0.02, 0.03, 0.5 (m = 4): 0.04, 0.06, 0.06 (monotone), 0.5
    got = stats.holm([0.03, 0.01, np.nan, 0.5, 0.02])
    assert got[[1, 4, 0, 3]] == pytest.approx([0.04, 0.06, 0.06, 0.5])
    assert math.isnan(got[2])
    decisions = [
        stats.Decision(S, "", p_for=0.01, p_against=0.99),
        stats.Decision(C, "", p_for=0.98, p_against=0.02),
        stats.Decision(S, "", p_for=0.03, p_against=0.97),
        stats.Decision(U, "x"),  # untested: unchanged, not counted
    ]
    adj = stats.adjust(decisions)
    # family of 3: 0.01 -> 0.03, 0.02 -> 0.04, 0.03 -> 0.04 (monotone)
    assert [v for _, v in adj] == [S, C, S, U]
    assert [p for p, _ in adj[:3]] == pytest.approx([0.03, 0.04, 0.04])
    weaker = stats.adjust([*decisions[:3], stats.Decision(S, "", p_for=0.02, p_against=0.98)])
    assert [v for _, v in weaker] == [S, U, U, U]  # 0.04, 0.06, 0.06, 0.06


def test_all_of_any_of_both():
    s = stats.Decision(S, "", "agrees", p_for=0.01, p_against=0.99)
    s2 = stats.Decision(S, "", "agrees", p_for=0.04, p_against=0.96)
    c = stats.Decision(C, "", "disagrees", p_for=0.999, p_against=0.001)
    u = stats.Decision(U, "too few", "agrees")
    n = stats.not_run("absent")
    d = stats.all_of([s, s2, n])
    assert d.verdict == S and d.p_for == 0.04
    d = stats.all_of([s, c])
    assert d.verdict == C and d.p_against == pytest.approx(0.002)  # Bonferroni over 2 cases
    assert stats.all_of([s, u]).verdict == U  # a case without a test cannot be supported
    assert stats.all_of([u, u]).reason.endswith("too few")
    assert stats.all_of([n]).verdict == N
    d = stats.any_of([s2, c])
    assert d.verdict == INCONCLUSIVE and d.p_for == pytest.approx(0.08)
    assert stats.any_of([s, c]).verdict == S
    assert stats.any_of([c, c]).verdict == C
    assert stats.both(s, c).verdict == C  # premise shown, claim shown false
    assert stats.both(c, s).verdict == U  # premise fails: neither
    assert stats.both(s, s2).verdict == S and stats.both(n, s).verdict == N
    # the row keeps one side's estimate; the p-values are the conjunction's
    kept = stats.both(s.but(effect=0.1, margin="±1"), c.but(effect=-5.0), keep="first")
    assert (kept.effect, kept.margin, kept.verdict) == (0.1, "±1", C)
    assert (kept.p_for, kept.p_against) == (0.999, 0.01)
    with pytest.raises(ValueError, match="keep"):
        stats.both(s, c, keep="third")


def test_decide_rejects_an_empty_region():
    with pytest.raises(ValueError, match="low < high"):
        stats.decide(stats.one_sample([1.0, 2.0]), 1.0, 1.0)
