"""Decision rules for the paper's claims C1–C13 (paper-spec §5), over numbers with intervals.

Every rule is a small pure function of :class:`Interval` values (a mean over training seeds with
its 95 % t-interval, as written by :func:`lsrepro.stats.summarize_over_seeds`) and returns a
:class:`Verdict`. Reading the stage tables and choosing which cells a rule sees is
:mod:`lsrepro.claims.tables`; nothing here reads files.

One way to decide (the primitives below; every rule is built from them):

* **ordered comparison** (:func:`compare`), "A > B": *supported* if the two intervals are
  disjoint with A above B, *contradicted* if disjoint with A below B, *inconclusive* if they
  overlap.
* **band** (:func:`band`), "A lies in [lo, hi]" (a closed form with a stated tolerance, or an
  equivalence margin around 0 for a difference): *supported* if the whole interval lies in the
  band, *contradicted* if the whole interval lies outside it, *inconclusive* otherwise.
* **difference** (:func:`difference`): A − B with half-width ``sqrt(h_A² + h_B²)`` (h = the
  half-widths of the two t-intervals). Each half-width uses its own t-quantile with n − 1
  degrees of freedom, fewer than Welch's, so this is slightly wider than a Welch interval.
* **conjunction / existence** (:func:`all_of`, :func:`any_of`) for "for every T" and "there is a
  teacher" claims.

Single seed (decided here, documented in every rule text): with fewer than two seeds on either
side there is no interval over seeds, and the verdict is **inconclusive** whatever the point
estimates say. No single-seed exception is made: a bootstrap interval over evaluation examples
says how well one trained model is measured, not whether another seed would agree. The
``leaning`` field still says which way the point estimates point ("agrees" with the paper,
"disagrees", or "" for a tie or no data), so a one-seed preset is readable without being judged.
A missing cell (no such α, T or experiment in the run) gives **not run** with the reason.

Verdict values: :data:`VERDICTS`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import stats

__all__ = [
    "CONTRADICTED",
    "INCONCLUSIVE",
    "NOT_RUN",
    "SUPPORTED",
    "VERDICTS",
    "Interval",
    "Outcome",
    "Verdict",
    "all_of",
    "any_of",
    "band",
    "compare",
    "difference",
    "not_run",
]

SUPPORTED = "supported"
CONTRADICTED = "contradicted"
INCONCLUSIVE = "inconclusive"
NOT_RUN = "not run"
VERDICTS: tuple[str, ...] = (SUPPORTED, CONTRADICTED, INCONCLUSIVE, NOT_RUN)

SINGLE_SEED = "fewer than 2 seeds: no interval over seeds, so inconclusive"


@dataclass(frozen=True)
class Interval:
    """A mean over seeds with its confidence interval ``[low, high]`` and the seed count ``n``.

    ``n == 0`` (or a NaN mean) is a missing cell; ``n == 1`` has NaN bounds.
    """

    mean: float
    low: float
    high: float
    n: int

    @classmethod
    def missing(cls) -> Interval:
        return cls(math.nan, math.nan, math.nan, 0)

    @classmethod
    def point(cls, value: float) -> Interval:
        """A single value with no interval (one seed)."""
        return cls(float(value), math.nan, math.nan, 1)

    @classmethod
    def from_values(cls, values: Sequence[float], confidence: float = 0.95) -> Interval:
        """Student-t interval of the mean of ``values`` (NaNs skipped), as
        :func:`lsrepro.stats.summarize_over_seeds` computes it."""
        x = np.asarray(values, dtype=np.float64)
        x = x[~np.isnan(x)]
        n = int(x.size)
        if n == 0:
            return cls.missing()
        if n == 1:
            return cls.point(float(x[0]))
        half = stats.t.ppf(0.5 + confidence / 2.0, n - 1) * x.std(ddof=1) / math.sqrt(n)
        mean = float(x.mean())
        return cls(mean, mean - half, mean + half, n)

    @property
    def is_missing(self) -> bool:
        return self.n == 0 or math.isnan(self.mean)

    @property
    def has_interval(self) -> bool:
        return self.n >= 2 and not (math.isnan(self.low) or math.isnan(self.high))

    def scaled(self, factor: float) -> Interval:
        lo, hi = sorted((self.low * factor, self.high * factor))
        return Interval(self.mean * factor, lo, hi, self.n)

    def __str__(self) -> str:
        if self.is_missing:
            return "missing"
        if not self.has_interval:
            return f"{_fmt(self.mean)} (n={self.n})"
        return f"{_fmt(self.mean)} [{_fmt(self.low)}, {_fmt(self.high)}] (n={self.n})"


def _fmt(x: float) -> str:
    if math.isnan(x):
        return "nan"
    return f"{x:.4g}" if abs(x) < 1e4 else f"{x:.3e}"


@dataclass(frozen=True)
class Outcome:
    """What a primitive decides: the verdict, why, and the point estimates' direction."""

    verdict: str
    reason: str
    leaning: str = ""


@dataclass(frozen=True)
class Verdict:
    """One judged (sub-)claim; one row of ``claims.csv``.

    ``measured`` maps a name to an :class:`Interval` (or a plain number/string);
    ``rule`` is the decision rule in words; ``paper`` the paper's number or statement;
    ``experiments`` and ``settings`` (α, T, split) say what the numbers rest on.
    """

    claim: str
    subclaim: str
    statement: str
    verdict: str
    measured: Mapping[str, object]
    rule: str
    paper: str
    reason: str = ""
    leaning: str = ""
    experiments: str = ""
    settings: str = ""

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")

    def measured_text(self) -> str:
        return "; ".join(f"{k} = {v}" for k, v in self.measured.items())

    def but(self, **changes: object) -> Verdict:
        return replace(self, **changes)


def not_run(reason: str) -> Outcome:
    return Outcome(NOT_RUN, reason)


def _lean(sign: float) -> str:
    if math.isnan(sign) or sign == 0:
        return ""
    return "agrees" if sign > 0 else "disagrees"


def compare(
    a: Interval, b: Interval, direction: str, names: tuple[str, str] = ("A", "B")
) -> Outcome:
    """Ordered comparison ``A > B`` or ``A < B`` of two intervals over seeds.

    Supported: intervals disjoint in the stated direction; contradicted: disjoint the other way;
    inconclusive: overlapping, or either side has fewer than two seeds.
    """
    if direction not in (">", "<"):
        raise ValueError(f"direction must be '>' or '<', got {direction!r}")
    na, nb = names
    for x, name in ((a, na), (b, nb)):
        if x.is_missing:
            return not_run(f"{name} not measured in this run")
    sign = 1.0 if direction == ">" else -1.0
    leaning = _lean(sign * (a.mean - b.mean))
    if not (a.has_interval and b.has_interval):
        return Outcome(INCONCLUSIVE, SINGLE_SEED, leaning)
    above, below = (a, b) if direction == ">" else (b, a)  # claim: above > below
    if above.low > below.high:
        return Outcome(SUPPORTED, f"intervals disjoint: {na} {direction} {nb}", leaning)
    if above.high < below.low:
        flipped = "<" if direction == ">" else ">"
        return Outcome(
            CONTRADICTED, f"intervals disjoint the other way: {na} {flipped} {nb}", leaning
        )
    return Outcome(INCONCLUSIVE, "intervals overlap", leaning)


def band(x: Interval, low: float, high: float, name: str = "value") -> Outcome:
    """``x`` lies in ``[low, high]`` (either bound may be ±inf).

    Supported: the whole interval inside the band; contradicted: the whole interval outside it
    (disjoint); inconclusive: it straddles an edge, or fewer than two seeds.
    """
    if not low <= high:
        raise ValueError(f"band needs low <= high, got [{low}, {high}]")
    if x.is_missing:
        return not_run(f"{name} not measured in this run")
    leaning = "agrees" if low <= x.mean <= high else "disagrees"
    if not x.has_interval:
        return Outcome(INCONCLUSIVE, SINGLE_SEED, leaning)
    if low <= x.low and x.high <= high:
        return Outcome(SUPPORTED, f"interval of {name} inside [{_fmt(low)}, {_fmt(high)}]", leaning)
    if x.high < low or x.low > high:
        return Outcome(
            CONTRADICTED, f"interval of {name} outside [{_fmt(low)}, {_fmt(high)}]", leaning
        )
    return Outcome(
        INCONCLUSIVE, f"interval of {name} straddles [{_fmt(low)}, {_fmt(high)}]", leaning
    )


def difference(a: Interval, b: Interval) -> Interval:
    """``A − B`` with half-width ``sqrt(h_A² + h_B²)``; n = the smaller seed count."""
    if a.is_missing or b.is_missing:
        return Interval.missing()
    mean = a.mean - b.mean
    n = min(a.n, b.n)
    if not (a.has_interval and b.has_interval):
        return Interval(mean, math.nan, math.nan, n)
    half = math.hypot((a.high - a.low) / 2.0, (b.high - b.low) / 2.0)
    # the intervals are symmetric about their means; re-centre on the difference of means
    return Interval(mean, mean - half, mean + half, n)


def all_of(outcomes: Sequence[Outcome], what: str = "every case") -> Outcome:
    """A claim "for every case": contradicted if any case is contradicted, supported if all are
    supported, not run if none was run, inconclusive otherwise."""
    run = [o for o in outcomes if o.verdict != NOT_RUN]
    if not run:
        return not_run(outcomes[0].reason if outcomes else f"no {what} in this run")
    leanings = {o.leaning for o in run}
    leaning = (
        "disagrees" if "disagrees" in leanings else ("agrees" if leanings == {"agrees"} else "")
    )
    verdicts = [o.verdict for o in run]
    counts = f"{verdicts.count(SUPPORTED)}/{len(run)} supported, " + (
        f"{verdicts.count(CONTRADICTED)} contradicted"
    )
    if CONTRADICTED in verdicts:
        return Outcome(CONTRADICTED, f"{what}: {counts}", leaning)
    if all(v == SUPPORTED for v in verdicts):
        return Outcome(SUPPORTED, f"{what}: {counts}", leaning)
    return Outcome(INCONCLUSIVE, f"{what}: {counts}", leaning)


def any_of(outcomes: Sequence[Outcome], what: str = "some case") -> Outcome:
    """A claim "there is a case": supported if any case is supported, contradicted if all run
    cases are contradicted, not run if none was run, inconclusive otherwise."""
    run = [o for o in outcomes if o.verdict != NOT_RUN]
    if not run:
        return not_run(outcomes[0].reason if outcomes else f"no {what} in this run")
    verdicts = [o.verdict for o in run]
    leaning = "agrees" if any(o.leaning == "agrees" for o in run) else "disagrees"
    counts = f"{verdicts.count(SUPPORTED)}/{len(run)} supported"
    if SUPPORTED in verdicts:
        return Outcome(SUPPORTED, f"{what}: {counts}", leaning)
    if all(v == CONTRADICTED for v in verdicts):
        return Outcome(CONTRADICTED, f"{what}: all {len(run)} contradicted", leaning)
    return Outcome(INCONCLUSIVE, f"{what}: {counts}", leaning)


@dataclass(frozen=True)
class _Claim:
    claim: str
    subclaim: str
    statement: str
    rule: str
    paper: str = ""
    measured: dict[str, object] = field(default_factory=dict)

    def judge(self, outcome: Outcome, measured: Mapping[str, object]) -> Verdict:
        return Verdict(
            claim=self.claim,
            subclaim=self.subclaim,
            statement=self.statement,
            verdict=outcome.verdict,
            measured=dict(measured),
            rule=self.rule,
            paper=self.paper,
            reason=outcome.reason,
            leaning=outcome.leaning,
        )


# Stated tolerances (the paper gives none; chosen here and written into every rule text).
GAP_TOLERANCE = 0.25  # C1a: LS mean gap within ±25 % of the closed-form optimum
ACCURACY_MARGIN = 1.0  # C3, C9: "similar accuracy" = difference within ±1 percentage point
ECE_MARGIN = 0.02  # C8b: LS ECE "similar to" TS ECE = difference within ±0.02
DISTILL_MARGIN = 0.5  # C12d: "no better" = LS-teacher student at most 0.5 points above
LOG2 = math.log(2.0)
LATE_MI_BAND = (LOG2, 1.5 * LOG2)  # C13d: "slightly above log 2" (nats)


# --- Representation (§2, Fig. 1) ----------------------------------------------------------------


def c1a_gap_near_optimum(ratio: Interval, alpha: float, optimum: float) -> Verdict:
    """C1a: with LS the mean logit gap approaches ``log((1−α+α/K)/(α/K))`` (training split).

    ``ratio``: ``gap_mean / gap_optimal`` of the LS model (geometry ``gap_mean_over_optimal``).
    """
    c = _Claim(
        "C1",
        "C1a",
        "With label smoothing the correct-minus-incorrect logit gap approaches an α-dependent "
        "constant log((1-α+α/K)/(α/K)).",
        f"band: training-split gap_mean/gap_optimal within 1 ± {GAP_TOLERANCE} (supported if "
        "the interval over seeds lies inside, contradicted if outside; <2 seeds: inconclusive)",
        f"gap optimum {optimum:.3g} at α = {alpha:g} (§1.1 derived: 4.51 for K=10, α=0.1)",
    )
    outcome = band(ratio, 1.0 - GAP_TOLERANCE, 1.0 + GAP_TOLERANCE, "gap_mean/gap_optimal")
    return c.judge(outcome, {"gap_mean/gap_optimal (LS)": ratio, "gap_optimal": round(optimum, 4)})


def c1b_hard_gap_larger(hard: Interval, ls: Interval) -> Verdict:
    """C1b: with hard targets the correct logit is much larger than the incorrect ones: mean gap
    of the hard-target model above the LS model's (training split)."""
    c = _Claim(
        "C1",
        "C1b",
        "With hard targets the correct logit is much larger than the incorrect logits.",
        "compare: training-split gap_mean(α=0) > gap_mean(LS), 95 % intervals over seeds "
        "disjoint (other way: contradicted; overlap or <2 seeds: inconclusive)",
        "Fig. 1, §2 (no number)",
    )
    outcome = compare(hard, ls, ">", ("gap(hard)", "gap(LS)"))
    return c.judge(outcome, {"gap_mean hard": hard, "gap_mean LS": ls})


def c1c_incorrect_logits_vary(hard: Interval, ls: Interval) -> Verdict:
    """C1c: with hard targets the incorrect logits vary a lot among themselves; with LS they are
    (nearly) equal, i.e. equidistant templates. Scale-free: per-example std of the incorrect
    logits divided by the mean gap (geometry ``incorrect_std_over_gap``), training split."""
    c = _Claim(
        "C1",
        "C1c",
        "Incorrect logits vary much more among themselves with hard targets than with LS "
        "(LS: equidistant to the incorrect templates).",
        "compare: training-split incorrect_std/gap(α=0) > incorrect_std/gap(LS), intervals "
        "disjoint",
        "Fig. 1, §2 (no number)",
    )
    outcome = compare(hard, ls, ">", ("spread(hard)", "spread(LS)"))
    return c.judge(outcome, {"incorrect_std/gap hard": hard, "incorrect_std/gap LS": ls})


def c2_tighter_clusters(hard: Interval, ls: Interval, split: str) -> Verdict:
    """C2: LS clusters are tighter than hard-target clusters on ``split`` ("train" → C2a,
    "val" → C2b): within-class distance over the mean distance between class means
    (geometry ``tightness_vs_class_means``, full feature space, scale-free)."""
    sub = {"train": "C2a", "val": "C2b"}[split]
    c = _Claim(
        "C2",
        sub,
        f"With LS the penultimate clusters are much tighter than with hard targets ({split}).",
        f"compare: {split} tightness_vs_class_means(LS) < (α=0), intervals disjoint",
        "Fig. 1 rows 1-3 (no number)",
    )
    outcome = compare(ls, hard, "<", ("tightness(LS)", "tightness(hard)"))
    return c.judge(outcome, {"tightness LS": ls, "tightness hard": hard})


def c3_similar_accuracy(hard_acc: Interval, ls_acc: Interval, tighter: Verdict) -> Verdict:
    """C3: the representational difference occurs at similar accuracy.

    ``hard_acc``/``ls_acc``: validation accuracy in percent; ``tighter``: the C2a verdict of the
    same models. Supported: accuracy difference within ±ACCURACY_MARGIN points *and* C2a
    supported; contradicted: accuracies similar but C2a contradicted; inconclusive otherwise
    (including accuracies not similar: the claim's premise does not hold in our runs).
    """
    c = _Claim(
        "C3",
        "C3",
        "The representation differs (C2a) while the accuracies are similar.",
        f"band + C2a: val accuracy(LS) - accuracy(α=0) within ±{ACCURACY_MARGIN:g} points and C2a "
        "supported; C2a contradicted at similar accuracy: contradicted",
        "AlexNet/CIFAR-10 86.8 vs 86.7 (Table 2)",
    )
    diff = difference(ls_acc, hard_acc)
    similar = band(diff, -ACCURACY_MARGIN, ACCURACY_MARGIN, "accuracy difference")
    measured = {"val accuracy % hard": hard_acc, "val accuracy % LS": ls_acc, "LS - hard": diff}
    measured["C2a"] = tighter.verdict
    if similar.verdict == NOT_RUN or tighter.verdict == NOT_RUN:
        return c.judge(
            not_run(similar.reason if similar.verdict == NOT_RUN else tighter.reason), measured
        )
    leaning = (
        "agrees" if similar.leaning == "agrees" and tighter.leaning == "agrees" else "disagrees"
    )
    if similar.verdict == SUPPORTED and tighter.verdict in (SUPPORTED, CONTRADICTED):
        return c.judge(
            Outcome(tighter.verdict, f"similar accuracy; C2a {tighter.verdict}", leaning), measured
        )
    why = {CONTRADICTED: "accuracies differ (premise not met)"}.get(similar.verdict, similar.reason)
    return c.judge(Outcome(INCONCLUSIVE, f"{why}; C2a {tighter.verdict}", leaning), measured)


def c4_larger_projections(hard: Interval, ls: Interval, triplet: str) -> Verdict:
    """C4: without LS the projections reach much larger absolute values: mean distance of the
    projected training examples from the template centroid (``projection.<triplet>.norm_mean``)."""
    c = _Claim(
        "C4",
        "C4",
        "Without LS the projections reach much larger absolute values.",
        f"compare: training-split projection.{triplet}.norm_mean(α=0) > (LS), intervals disjoint",
        "Fig. 1 row 2 (CIFAR-100; no number)",
    )
    outcome = compare(hard, ls, ">", ("norm(hard)", "norm(LS)"))
    return c.judge(outcome, {"projection norm hard": hard, "projection norm LS": ls})


def c5a_similar_classes_tighter(hard: Interval | None, ls: Interval | None) -> Verdict:
    """C5a: on two similar classes plus a third (the "similar" triplet), LS erases the spread
    that hard targets keep: in-plane tightness (``projection.similar.tightness``) of LS below
    hard, training split. ``None`` = no "similar" triplet was measured."""
    c = _Claim(
        "C5",
        "C5a",
        "Semantically similar classes: LS erases the within-class spread that hard targets keep "
        "(the paper's poodles; ImageNet-only in the paper, judged on our 'similar' triplet).",
        "compare: training-split projection.similar.tightness(LS) < (α=0), intervals disjoint",
        "Fig. 1 row 4 (ImageNet poodles/tench; no number)",
    )
    if hard is None or ls is None:
        return c.judge(not_run("no 'similar' triplet measured in this run"), {})
    outcome = compare(ls, hard, "<", ("tightness(LS)", "tightness(hard)"))
    return c.judge(
        outcome, {"similar-triplet tightness LS": ls, "similar-triplet tightness hard": hard}
    )


def c5b_graded_similarity() -> Verdict:
    """C5b: hard targets keep a graded similarity to the third class, LS lays the similar classes
    on an arc. Not measured: measure_geometry records no per-example distance to the third
    class's template, so this is always "not run" with that reason."""
    c = _Claim(
        "C5",
        "C5b",
        "Hard targets: graded similarity of the similar classes to a third class; LS: arc, "
        "graded similarity erased.",
        "not measurable from the recorded geometry numbers",
        "Fig. 1 row 4 (visual)",
    )
    reason = (
        "no metric of graded similarity is recorded (needs per-example distances to the third "
        "template)"
    )
    return c.judge(not_run(reason), {})


def c6a_validation_spreads(train: Interval, val: Interval, paired: Interval) -> Verdict:
    """C6a: the LS model's clusters are tight on training data but spread on validation data.

    ``train``/``val``: tightness_vs_class_means of the LS model; ``paired``: the per-seed
    difference val − train (same model), which decides.
    """
    c = _Claim(
        "C6",
        "C6a",
        "With LS, training clusters are tight but validation points spread out.",
        "band: per-seed paired difference tightness(val) - tightness(train) of the LS model > 0 "
        "(interval over seeds above 0: supported; below 0: contradicted)",
        "Fig. 1, §3 (no number)",
    )
    outcome = band(paired, 0.0, math.inf, "tightness val - train")
    if outcome.verdict == SUPPORTED and paired.low == 0.0:
        outcome = Outcome(INCONCLUSIVE, "interval touches 0", outcome.leaning)
    return c.judge(
        outcome, {"tightness train LS": train, "tightness val LS": val, "val - train": paired}
    )


def c6b_toward_centre(train: Interval, val: Interval, paired: Interval, triplet: str) -> Verdict:
    """C6b: the LS model's validation points move toward the centre: in-plane distance from the
    template centroid (``projection.<triplet>.norm_mean``) lower on val than on train (per-seed
    paired difference val − train < 0)."""
    c = _Claim(
        "C6",
        "C6b",
        "With LS, validation points spread toward the centre (lower confidences).",
        f"band: per-seed paired difference projection.{triplet}.norm_mean(val) - (train) of the "
        "LS model < 0 (interval below 0: supported; above 0: contradicted)",
        "§3 text on Fig. 1 (no number)",
    )
    outcome = band(paired, -math.inf, 0.0, "norm val - train")
    return c.judge(
        outcome,
        {"projection norm train LS": train, "projection norm val LS": val, "val - train": paired},
    )


# --- Calibration (§3, Table 3, Figs. 2-3) ---------------------------------------------------------


def c7_overconfident(gap: Interval, split: str) -> Verdict:
    """C7: hard-target nets are over-confident: mean confidence minus accuracy (the
    count-weighted mean of the reliability bins' ``mean_confidence − accuracy``) above 0."""
    c = _Claim(
        "C7",
        "C7",
        "Hard-target networks are over-confident (reliability curve below the diagonal).",
        f"band: {split} mean confidence - accuracy of the α=0 model at T=1 > 0 (interval above 0: "
        "supported; below 0: contradicted)",
        "Fig. 2 (visual); baseline ECE 0.150 / 0.071 / 0.056",
    )
    outcome = band(gap, 0.0, math.inf, "confidence - accuracy")
    if outcome.verdict == SUPPORTED and gap.low == 0.0:
        outcome = Outcome(INCONCLUSIVE, "interval touches 0", outcome.leaning)
    return c.judge(outcome, {"confidence - accuracy (α=0, T=1)": gap})


def c8a_ls_reduces_ece(baseline: Interval, ls: Interval, alpha: float, paper: str) -> Verdict:
    """C8a: LS (at α, T = 1) has lower ECE than the hard-target baseline (α = 0, T = 1)."""
    c = _Claim(
        "C8",
        "C8a",
        f"Label smoothing (α = {alpha:g}) reduces ECE below the hard-target baseline.",
        "compare: test ECE(LS, T=1) < ECE(α=0, T=1), intervals disjoint",
        paper,
    )
    outcome = compare(ls, baseline, "<", ("ECE(LS)", "ECE(baseline)"))
    return c.judge(outcome, {"ECE baseline": baseline, "ECE LS": ls})


def c8b_ls_like_temperature(ts: Interval, ls: Interval, alpha: float, paper: str) -> Verdict:
    """C8b: LS reaches an ECE similar to temperature scaling of the hard-target model
    (difference within ±ECE_MARGIN; T fitted on validation, ECE on test)."""
    c = _Claim(
        "C8",
        "C8b",
        f"Label smoothing (α = {alpha:g}) reaches an ECE similar to optimal temperature scaling.",
        f"band: test ECE(LS) - ECE(α=0, T fitted on val) within ±{ECE_MARGIN:g} (outside: "
        "contradicted)",
        paper,
    )
    diff = difference(ls, ts)
    outcome = band(diff, -ECE_MARGIN, ECE_MARGIN, "ECE(LS) - ECE(TS)")
    return c.judge(outcome, {"ECE TS": ts, "ECE LS": ls, "LS - TS": diff})


def c9_small_accuracy_effect(hard: Interval, ls: Interval, alpha: float, paper: str) -> Verdict:
    """C9: the accuracy effect of LS is small: val accuracy difference (percent points) within
    ±ACCURACY_MARGIN."""
    c = _Claim(
        "C9",
        "C9",
        f"The accuracy effect of label smoothing (α = {alpha:g}) is small.",
        f"band: val accuracy(LS) - accuracy(α=0) within ±{ACCURACY_MARGIN:g} points (outside: "
        "contradicted)",
        paper,
    )
    diff = difference(ls, hard)
    outcome = band(diff, -ACCURACY_MARGIN, ACCURACY_MARGIN, "accuracy difference")
    return c.judge(outcome, {"accuracy % hard": hard, "accuracy % LS": ls, "LS - hard": diff})


# --- Translation (§3, Fig. 4) -------------------------------------------------------------------


#: C10a–e: one ordered comparison of two cells of the translation table each.
#: sub -> (statement, direction, (name A, name B)); A and B are chosen in lsrepro.claims.tables.
C10_PAIRS: dict[str, tuple[str, str, tuple[str, str]]] = {
    "C10a": (
        "Label smoothing gives a better BLEU than hard targets (T = 1).",
        ">",
        ("BLEU(LS, T=1)", "BLEU(hard, T=1)"),
    ),
    "C10b": (
        "Label smoothing gives a lower ECE than hard targets (T = 1).",
        "<",
        ("ECE(LS, T=1)", "ECE(hard, T=1)"),
    ),
    "C10c": (
        "Label smoothing gives a worse NLL than hard targets (T = 1).",
        ">",
        ("NLL(LS, T=1)", "NLL(hard, T=1)"),
    ),
    "C10d": (
        "Temperature scaling the hard-target model improves its ECE.",
        "<",
        ("ECE(hard, fitted T)", "ECE(hard, T=1)"),
    ),
    "C10e": (
        "Temperature scaling the hard-target model does not reach the BLEU of the LS model.",
        "<",
        ("BLEU(hard, fitted T)", "BLEU(LS, T=1)"),
    ),
}

#: C10f–h: the same comparison at every temperature of the grid (T = 1 itself excluded for f, g).
C10_EVERY_T: dict[str, tuple[str, str, tuple[str, str]]] = {
    "C10f": (
        "Changing the temperature of the LS model makes its ECE worse.",
        ">",
        ("ECE(LS, T)", "ECE(LS, T=1)"),
    ),
    "C10g": (
        "Changing the temperature of the LS model makes its BLEU worse.",
        "<",
        ("BLEU(LS, T)", "BLEU(LS, T=1)"),
    ),
    "C10h": (
        "The hard-target model has a better NLL than the LS model at every temperature.",
        "<",
        ("NLL(hard, T)", "NLL(LS, T)"),
    ),
}


def c10_pair(sub: str, a: Interval, b: Interval, split: str) -> Verdict:
    """C10a–e (:data:`C10_PAIRS`): ``a`` vs ``b`` in the stated direction on ``split``."""
    statement, direction, names = C10_PAIRS[sub]
    rule = f"compare: {split} {names[0]} {direction} {names[1]}, intervals over seeds disjoint"
    c = _Claim("C10", sub, statement, rule, "Fig. 4, §3 text (no number)")
    return c.judge(compare(a, b, direction, names), {names[0]: a, names[1]: b})


def c10_every_temperature(
    sub: str, cases: Mapping[float, tuple[Interval, Interval]], split: str
) -> Verdict:
    """C10f–h (:data:`C10_EVERY_T`): the comparison at every temperature (``cases``: T -> (A, B));
    contradicted if any T contradicts, supported if every T supports."""
    statement, direction, names = C10_EVERY_T[sub]
    rule = (
        f"all_of over the T grid: {split} {names[0]} {direction} {names[1]}, intervals disjoint "
        "(any T the other way: contradicted)"
    )
    c = _Claim("C10", sub, statement, rule, "Fig. 4 (no number)")
    outcomes = [compare(a, b, direction, names) for a, b in cases.values()]
    measured = {f"T={t:g}": f"{a} vs {b}" for t, (a, b) in cases.items()}
    return c.judge(all_of(outcomes, "temperatures"), measured)


def c10i_ece_predicts_bleu(gain: Interval) -> Verdict:
    """C10i: choosing T by minimum ECE gives a better BLEU than choosing it by minimum NLL.

    ``gain``: over (model, seed), BLEU at argmin-ECE temperature minus BLEU at argmin-NLL
    temperature."""
    c = _Claim(
        "C10",
        "C10i",
        "The minimum of ECE predicts the top BLEU slightly better than the minimum of NLL.",
        "band: BLEU(T at min ECE) - BLEU(T at min NLL), per model and seed, interval above 0 "
        "(below 0: contradicted)",
        "Fig. 4 text (no number)",
    )
    outcome = band(gain, 0.0, math.inf, "BLEU gain")
    if outcome.verdict == SUPPORTED and gain.low == 0.0:
        outcome = Outcome(INCONCLUSIVE, "interval touches 0", outcome.leaning)
    return c.judge(outcome, {"BLEU(argmin ECE) - BLEU(argmin NLL)": gain})


# --- Distillation and information (§4, Figs. 5-6) -----------------------------------------------


def c11a_ls_teacher_better(dropout: Interval, ls: Interval) -> Verdict:
    """C11a: the LS teacher (B) has a lower test error than the dropout teacher (A), in %."""
    c = _Claim(
        "C11",
        "C11a",
        "MNIST toy: the LS teacher is more accurate than the dropout teacher.",
        "compare: test error(teacher B, LS) < test error(teacher A, dropout), intervals disjoint",
        "teacher A 0.67 %, teacher B 0.59 %",
    )
    outcome = compare(ls, dropout, "<", ("error(teacher B)", "error(teacher A)"))
    return c.judge(outcome, {"teacher A (dropout) error %": dropout, "teacher B (LS) error %": ls})


def c11b_ls_student_worse(student_a: Interval, student_b: Interval, alone: Interval) -> Verdict:
    """C11b: the student of the LS teacher has a higher test error than the dropout teacher's."""
    c = _Claim(
        "C11",
        "C11b",
        "MNIST toy: the LS teacher's student is worse than the dropout teacher's student.",
        "compare: test error(student of B) > test error(student of A), intervals disjoint",
        "student of A 0.74 %, student of B 0.91 %",
    )
    outcome = compare(student_b, student_a, ">", ("error(student B)", "error(student A)"))
    measured = {"student A error %": student_a, "student B error %": student_b}
    if not alone.is_missing:
        measured["student alone error %"] = alone
    return c.judge(outcome, measured)


def c12a_teacher_improves(teacher0: Interval, teacher_alpha: Interval, alpha: float) -> Verdict:
    """C12a: the ResNet-56 teacher's accuracy rises with α up to 0.6 (compared at α vs 0)."""
    c = _Claim(
        "C12",
        "C12a",
        "Teacher (ResNet-56) accuracy improves with α up to α = 0.6.",
        f"compare: val accuracy(teacher, α={alpha:g}) > (α=0), intervals disjoint",
        "Fig. 5 blue solid (no number)",
    )
    outcome = compare(teacher_alpha, teacher0, ">", (f"teacher(α={alpha:g})", "teacher(α=0)"))
    return c.judge(outcome, {"teacher α=0": teacher0, f"teacher α={alpha:g}": teacher_alpha})


def c12b_ls_hurts_student(student0: Interval, student_alpha: Interval, alpha: float) -> Verdict:
    """C12b: LS slightly degrades the student (AlexNet) trained alone."""
    c = _Claim(
        "C12",
        "C12b",
        "Label smoothing slightly degrades the student trained alone.",
        f"compare: val accuracy(student, α={alpha:g}) < (α=0), intervals disjoint",
        "Fig. 5 light blue (no number)",
    )
    outcome = compare(student_alpha, student0, "<", (f"student(α={alpha:g})", "student(α=0)"))
    return c.judge(outcome, {"student α=0": student0, f"student α={alpha:g}": student_alpha})


def c12c_hard_teacher_beats_ls(
    by_temperature: Mapping[float, Interval], best_ls: Interval, best_alpha: float
) -> Verdict:
    """C12c: every student distilled from the hard-target teacher (any T) beats the LS-trained
    student (its best α > 0)."""
    c = _Claim(
        "C12",
        "C12c",
        "Every student distilled from the hard-target teacher (any T) outperforms the "
        "LS-trained student.",
        "all_of over T: val accuracy(hard-teacher student, T) > accuracy(LS student at its best "
        "α > 0), intervals disjoint",
        "Fig. 5 red dashed above light blue (no number)",
    )
    outcomes = [
        compare(a, best_ls, ">", (f"distilled(T={t:g})", "LS student"))
        for t, a in by_temperature.items()
    ]
    measured: dict[str, object] = {f"LS student (α={best_alpha:g})": best_ls}
    measured |= {f"hard teacher T={t:g}": a for t, a in by_temperature.items()}
    return c.judge(all_of(outcomes, "temperatures"), measured)


def c12d_ls_teacher_no_better(pairs: Mapping[float, tuple[Interval, Interval]]) -> Verdict:
    """C12d: students of LS teachers are no better than the student trained with LS directly.

    ``pairs``: teacher α -> (LS-teacher student, LS-trained student at that α). Per α: supported
    if the difference's interval lies below +DISTILL_MARGIN, contradicted if it lies above 0
    (distillation from the LS teacher is better), inconclusive otherwise; all_of over α."""
    c = _Claim(
        "C12",
        "C12d",
        "Students of LS teachers are no better (sometimes worse) than students trained with LS.",
        f"all_of over teacher α: accuracy(LS-teacher student) - accuracy(LS student, same α): "
        f"interval below +{DISTILL_MARGIN:g} points supported, above 0 contradicted",
        "Fig. 5 blue dashed vs light blue (no number)",
    )
    outcomes, measured = [], {}
    for alpha, (distilled, alone) in pairs.items():
        diff = difference(distilled, alone)
        measured[f"α={alpha:g} distilled - LS"] = diff
        if diff.is_missing:
            outcomes.append(not_run(f"α={alpha:g} not measured"))
        elif not diff.has_interval:
            outcomes.append(Outcome(INCONCLUSIVE, SINGLE_SEED, _lean(DISTILL_MARGIN - diff.mean)))
        elif diff.low > 0:
            outcomes.append(Outcome(CONTRADICTED, "LS teacher distils better", "disagrees"))
        elif diff.high < DISTILL_MARGIN:
            outcomes.append(Outcome(SUPPORTED, "no better", "agrees"))
        else:
            outcomes.append(
                Outcome(INCONCLUSIVE, "interval too wide", _lean(DISTILL_MARGIN - diff.mean))
            )
    return c.judge(all_of(outcomes, "teacher α"), measured)


def c12e_accuracy_not_distillability(
    cases: Mapping[float, tuple[Interval, Interval]], teacher0: Interval, student0: Interval
) -> Verdict:
    """C12e: "a teacher with better accuracy is not necessarily the one that distills better".

    ``cases``: teacher α > 0 -> (teacher accuracy, its student's accuracy at T = 1);
    ``teacher0``/``student0``: the hard-target teacher and its T = 1 student. Supported if some
    teacher is better than the hard one (disjoint) while its student is worse (disjoint);
    contradicted if every teacher that is better also gives a better student; else inconclusive.
    """
    c = _Claim(
        "C12",
        "C12e",
        "A teacher with better accuracy is not necessarily the one that distills better.",
        "any_of over teacher α: accuracy(teacher α) > teacher(α=0) and accuracy(its student) < "
        "student of α=0 teacher (T=1), both disjoint; every better teacher with a better student: "
        "contradicted",
        "§4 conclusion from Fig. 5",
    )
    outcomes, measured = [], {"teacher α=0": teacher0, "student of α=0 teacher": student0}
    for alpha, (teacher, student) in cases.items():
        better = compare(teacher, teacher0, ">")
        worse = compare(student, student0, "<")
        measured[f"α={alpha:g} teacher / student"] = f"{teacher} / {student}"
        if NOT_RUN in (better.verdict, worse.verdict):
            outcomes.append(not_run("missing cell"))
        elif better.verdict == SUPPORTED and worse.verdict == SUPPORTED:
            outcomes.append(Outcome(SUPPORTED, "better teacher, worse student", "agrees"))
        elif better.verdict == SUPPORTED and worse.verdict == CONTRADICTED:
            outcomes.append(Outcome(CONTRADICTED, "better teacher, better student", "disagrees"))
        else:
            lean = (
                "agrees"
                if better.leaning == "agrees" and worse.leaning == "agrees"
                else "disagrees"
            )
            outcomes.append(Outcome(INCONCLUSIVE, "not decided", lean))
    # contradicted only when every run case is "better teacher, better student"
    return c.judge(any_of(outcomes, "teacher α"), measured)


def c13a_rises_from_init(initial: Interval, peak: Interval, alpha: float) -> Verdict:
    """C13a: MI is small at initialisation and rises: MI at the first step below the peak."""
    c = _Claim(
        "C13",
        "C13a",
        "Mutual information is very small after initialisation and first rises rapidly.",
        f"compare: MI(first step) < MI(peak step), α = {alpha:g}, intervals disjoint",
        "Fig. 6 (no number)",
    )
    outcome = compare(initial, peak, "<", ("MI(init)", "MI(peak)"))
    return c.judge(outcome, {"MI first step": initial, "MI peak": peak})


def c13b_then_decreases(peak: Interval, final: Interval, alpha: float) -> Verdict:
    """C13b: after its peak the MI slowly decreases: MI at the last step below the peak."""
    c = _Claim(
        "C13",
        "C13b",
        "After its peak the mutual information slowly decreases.",
        f"compare: MI(last step) < MI(peak step), α = {alpha:g}, intervals disjoint",
        "Fig. 6 (no number)",
    )
    outcome = compare(final, peak, "<", ("MI(last)", "MI(peak)"))
    return c.judge(outcome, {"MI peak": peak, "MI last step": final})


def c13c_decrease_larger_with_ls(drop_hard: Interval, drop_ls: Interval, alpha: float) -> Verdict:
    """C13c: the decrease (peak − last) is larger with LS (α) than with hard targets."""
    c = _Claim(
        "C13",
        "C13c",
        "The decrease of mutual information is stronger with label smoothing.",
        f"compare: MI(peak)-MI(last) at α={alpha:g} > at α=0, intervals disjoint (difference "
        "intervals: sqrt-sum of half-widths)",
        "Fig. 6 (no number)",
    )
    outcome = compare(drop_ls, drop_hard, ">", ("drop(LS)", "drop(hard)"))
    return c.judge(outcome, {"MI drop hard": drop_hard, "MI drop LS": drop_ls})


def c13d_late_above_log2(final: Interval, alpha: float) -> Verdict:
    """C13d: late in training with LS the MI stays slightly above log 2 (nats)."""
    lo, hi = LATE_MI_BAND
    c = _Claim(
        "C13",
        "C13d",
        "Late in training with label smoothing, MI stays slightly above log 2.",
        f"band: MI(last step), α = {alpha:g}, interval inside ({lo:.3f}, {hi:.3f}] nats = "
        "(log 2, 1.5 log 2]; outside: contradicted",
        "log 2 = 0.693 (Fig. 6 text)",
    )
    outcome = band(final, lo, hi, "MI(last)")
    if outcome.verdict == SUPPORTED and final.low == lo:
        outcome = Outcome(INCONCLUSIVE, "interval touches log 2", outcome.leaning)
    return c.judge(outcome, {"MI last step": final})


def c13e_mi_tracks_distillation(spearman: float, low: float, high: float, n: int) -> Verdict:
    """C13e: lower MI (more LS) goes with poorer distillation: Spearman correlation between a
    teacher's final MI and its student's accuracy, with its interval, above 0."""
    c = _Claim(
        "C13",
        "C13e",
        "Lower mutual information of the teacher goes with poorer distillation.",
        "band: Spearman(final MI, student accuracy) over teachers, interval above 0 (below 0: "
        "contradicted)",
        "§4 text (no number)",
    )
    x = Interval(float(spearman), float(low), float(high), int(n))
    outcome = band(x, 0.0, math.inf, "Spearman")
    if outcome.verdict == SUPPORTED and x.low == 0.0:
        outcome = Outcome(INCONCLUSIVE, "interval touches 0", outcome.leaning)
    return c.judge(outcome, {"Spearman": x})


def missing_stage(
    claim: str, subclaim: str, statement: str, reason: str, paper: str = ""
) -> Verdict:
    """A claim whose stage is not in this run."""
    return Verdict(claim, subclaim, statement, NOT_RUN, {}, "", paper, reason=reason)
