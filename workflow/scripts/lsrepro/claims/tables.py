"""The verdict tables: ``claims.csv`` (one row per sub-claim and comparison) and the front page.

Picks the per-seed values each rule of :mod:`lsrepro.claims.rules` needs from the stage tables
(:mod:`lsrepro.claims.read`), then adjusts every decision for multiplicity (Holm over all judged
sub-claims of the table, :func:`lsrepro.claims.stats.adjust`): ``verdict_raw`` is each test on
its own, ``verdict`` the Holm-adjusted decision.

Splits (decided here): geometry on the training split except C2b and C6 (train vs val), C5c★/C5d★
on val; C3 and C9 compare validation accuracy (Table 2's protocol); C7, C8, C8c★, C9b★ use the
test split (T is fitted on validation); C10 and C10j★ ``translation_split`` (test by default);
C12 validation accuracy (Fig. 5).

Comparisons: C1–C9 are judged for every configured hard-vs-smooth pair (the config's
``representation.figures`` / ``calibration.figures`` restricted to the run); both sides in one
experiment -> paired by seed; two experiments (e.g. MNIST dropout vs LS) -> Welch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from lsrepro import paper
from lsrepro.claims import rules, stats
from lsrepro.claims.read import ATOL, INPUTS, Paths, close, load, require, seeds
from lsrepro.claims.reference import reference_text
from lsrepro.claims.rules import CLAIMS, Verdict
from lsrepro.io import write_csv

__all__ = ["CLAIMS_COLUMNS", "INPUTS", "VERDICT_TABLE_COLUMNS", "judge_claims", "verdict_table"]

CLAIMS_COLUMNS: tuple[str, ...] = (
    "claim",
    "subclaim",
    "extension",
    "statement",
    "experiments",
    "settings",
    "scale",
    "measured",
    "rule",
    "test",
    "margin",
    "effect",
    "effect_sd",
    "ci90_low",
    "ci90_high",
    "n_a",
    "n_b",
    "p_for",
    "p_against",
    "p",
    "p_holm",
    "verdict_raw",
    "verdict",
    "leaning",
    "reason",
    "paper",
)

TABLE2_ALPHA = 0.1  # Table 2's label-smoothing column


def _alphas(frame: pd.DataFrame, experiment: str) -> list[float]:
    return sorted({float(a) for a in frame.loc[frame["experiment"] == experiment, "alpha"]})


def _has(alphas: Sequence[float], alpha: float) -> bool:
    return any(math.isclose(a, alpha, abs_tol=ATOL) for a in alphas)


def _default_pairs(frame: pd.DataFrame, preferred: Callable[[str], float | None]) -> dict:
    """α = 0 against the preferred α (else 0.1, else the smallest positive α) for every
    experiment that has both."""
    pairs = {}
    for experiment in sorted(frame["experiment"].unique()):
        alphas = _alphas(frame, experiment)
        alpha = paper.comparison_alpha(alphas, preferred(experiment), atol=ATOL)
        if not _has(alphas, 0.0) or alpha is None:
            continue
        pairs[experiment] = {"hard": experiment, "smooth": experiment, "alpha": alpha}
    return pairs


def _pair_label(pair: Mapping[str, object]) -> str:
    hard, smooth = pair["hard"], pair["smooth"]
    return str(hard) if hard == smooth else f"{hard} vs {smooth}"


def _scale_of(scale: Mapping[str, str], *experiments: str) -> str:
    labels = list(dict.fromkeys(scale[e] for e in experiments if e in scale))
    return "; ".join(labels)


# --- C1-C6: representation ------------------------------------------------------------------------


def _primary_triplet(frame: pd.DataFrame) -> str | None:
    """ "paper", else "different", else the first non-"similar" triplet measured."""
    names = {
        c.split(".")[1]
        for c in frame.columns
        if c.startswith("projection.") and c.endswith(".norm_mean") and frame[c].notna().any()
    }
    for name in ("paper", "different", *sorted(names - {"similar"})):
        if name in names:
            return name
    return None


def _representation(per_seed, reason, pairs, scale) -> list[Verdict]:
    subs = ("C1a", "C1b", "C1c", "C2a", "C2b", "C3", "C4", "C5a", "C5b", "C5c", "C5d", "C6a", "C6b")
    if per_seed is None:
        return [rules.missing(s, reason) for s in subs]
    require(per_seed, ("experiment", "alpha", "seed", "split"), "geometry_per_seed")
    pairs = (
        dict(pairs) if pairs is not None else _default_pairs(per_seed, lambda e: paper.FIG1_ALPHA)
    )
    if not pairs:
        why = "no experiment has both α = 0 and a positive α in the geometry table"
        return [rules.missing(s, why) for s in subs]
    out: list[Verdict] = []
    for pair in pairs.values():
        hard_exp, ls_exp, alpha = pair["hard"], pair["smooth"], float(pair["alpha"])
        paired = hard_exp == ls_exp
        triplet = _primary_triplet(per_seed.loc[per_seed["experiment"] == hard_exp])

        def cell(variable, split, ls, _h=hard_exp, _l=ls_exp, _a=alpha) -> dict[int, float]:
            exp, a = (_l, _a) if ls else (_h, 0.0)
            return seeds(per_seed, variable, "geometry", experiment=exp, alpha=a, split=split)

        def spread(variable, ls) -> dict[int, float]:
            val, train = cell(variable, "val", ls), cell(variable, "train", ls)
            return {s: val[s] - train[s] for s in val if s in train}

        label = _pair_label(pair)
        settings = f"α = 0 vs {alpha:g}"
        tag = {"experiments": label, "scale": _scale_of(scale, hard_exp, ls_exp)}
        optimum = cell("gap_optimal", "train", True)
        opt = float(np.mean(list(optimum.values()))) if optimum else math.nan
        rows = [
            rules.c1a_gap_near_optimum(
                cell("gap_mean_over_optimal", "train", True), alpha, opt
            ).but(settings=f"α = {alpha:g}, train split"),
            rules.c1b_hard_gap_larger(
                cell("gap_mean", "train", False), cell("gap_mean", "train", True), paired
            ).but(settings=f"{settings}, train split"),
            rules.c1c_incorrect_logits_vary(
                cell("incorrect_std_over_gap", "train", False),
                cell("incorrect_std_over_gap", "train", True),
                paired,
            ).but(settings=f"{settings}, train split"),
        ]
        tight = "tightness_vs_class_means"
        c2 = {
            split: rules.c2_tighter_clusters(
                cell(tight, split, False), cell(tight, split, True), split, paired
            ).but(settings=f"{settings}, {split}")
            for split in ("train", "val")
        }
        rows += [c2["train"], c2["val"]]
        acc = {
            ls: {s: 100.0 * v for s, v in cell("accuracy", "val", ls).items()}
            for ls in (False, True)
        }
        rows.append(
            rules.c3_similar_accuracy(acc[False], acc[True], c2["train"], paired).but(
                settings=f"{settings}, val accuracy"
            )
        )
        if triplet is None:
            rows.append(rules.missing("C4", "no projection measured"))
        else:
            norm = f"projection.{triplet}.norm_mean"
            rows.append(
                rules.c4_larger_projections(
                    cell(norm, "train", False), cell(norm, "train", True), triplet, paired
                ).but(settings=f"{settings}, triplet {triplet}")
            )
        sim = "projection.similar.tightness"
        has_sim = sim in per_seed.columns and per_seed[sim].notna().any()
        rows.append(
            rules.c5a_similar_classes_tighter(
                cell(sim, "train", False) if has_sim else None,
                cell(sim, "train", True) if has_sim else None,
                paired,
            ).but(settings=f"{settings}, triplet similar")
        )
        rows.append(rules.c5b_graded_similarity())
        rows.append(
            rules.c5c_separation(
                cell("separation_r2", "val", False), cell("separation_r2", "val", True), paired
            ).but(settings=f"{settings}, val split")
        )
        rows.append(
            rules.c5d_nc1(cell("nc1", "val", False), cell("nc1", "val", True), paired).but(
                settings=f"{settings}, val split"
            )
        )
        rows.append(
            rules.c6_contrast(
                "C6a", spread(tight, False), spread(tight, True), paired, "tightness"
            ).but(settings=f"{settings}, val − train")
        )
        if triplet is None:
            rows.append(rules.missing("C6b", "no projection measured"))
        else:
            norm = f"projection.{triplet}.norm_mean"
            rows.append(
                rules.c6_contrast(
                    "C6b", spread(norm, False), spread(norm, True), paired, f"norm ({triplet})"
                ).but(settings=f"{settings}, val − train")
            )
        out += [v.but(**tag) for v in rows]
    return out


# --- C7-C9: calibration ---------------------------------------------------------------------------


def _paper_rows_for(frame: pd.DataFrame, experiment: str) -> tuple[object, object]:
    """The Table 2 and Table 3 rows of an experiment's dataset/architecture (or None)."""
    if not {"dataset", "architecture"} <= set(frame.columns):
        return None, None
    rows = frame.loc[frame["experiment"] == experiment]
    if rows.empty:
        return None, None
    row = rows.iloc[0]
    key = (paper.normalise_name(row["dataset"]), paper.normalise_name(row["architecture"]))

    def match(table):
        return next(
            (
                r
                for r in table
                if (paper.normalise_name(r.dataset), paper.normalise_name(r.architecture)) == key
            ),
            None,
        )

    return match(paper.TABLE2), match(paper.TABLE3)


def _table3_alpha(frame: pd.DataFrame) -> Callable[[str], float | None]:
    def alpha(experiment: str) -> float | None:
        _, t3 = _paper_rows_for(frame, experiment)
        return None if t3 is None else t3.ls_alpha

    return alpha


def _overconfidence(reliability: pd.DataFrame) -> pd.DataFrame:
    """Mean confidence − accuracy per run, split and scaling: the count-weighted mean of the
    bins' ``mean_confidence − accuracy``."""
    cols = ("experiment", "alpha", "seed", "split", "scaling", "count", "mean_confidence")
    require(reliability, (*cols, "accuracy"), "reliability")
    r = reliability.assign(
        weighted=(reliability["mean_confidence"] - reliability["accuracy"]).fillna(0.0)
        * reliability["count"]
    )
    g = r.groupby(["experiment", "alpha", "seed", "split", "scaling"], as_index=False)
    out = g.agg(weighted=("weighted", "sum"), count=("count", "sum"))
    out["gap"] = out["weighted"] / out["count"]
    return out


def _calibration(per_seed, reliability, reasons, pairs, scale) -> list[Verdict]:
    out: list[Verdict] = []
    if reliability is None:
        out.append(rules.missing("C7", reasons[1]))
    else:
        gaps = _overconfidence(reliability)
        hard = gaps.loc[
            close(gaps["alpha"], 0.0) & (gaps["scaling"] == "none") & (gaps["split"] == "test")
        ]
        for experiment in sorted(hard["experiment"].unique()):
            g = seeds(hard, "gap", "reliability", experiment=experiment)
            out.append(
                rules.c7_overconfident(g, "test").but(
                    experiments=experiment,
                    settings="α = 0, T = 1, test split",
                    scale=_scale_of(scale, experiment),
                )
            )
        if hard.empty:
            out.append(rules.missing("C7", "no hard-target (α = 0) test reliability table"))
    subs = ("C8a", "C8b", "C8c", "C9", "C9b")
    if per_seed is None:
        return out + [rules.missing(s, reasons[0]) for s in subs]
    require(
        per_seed,
        ("experiment", "alpha", "seed", "split", "scaling", "metric", "estimate"),
        "calibration_per_seed",
    )
    pairs = dict(pairs) if pairs is not None else _default_pairs(per_seed, _table3_alpha(per_seed))
    if not pairs:
        why = "no experiment has both α = 0 and a positive α in the calibration table"
        return out + [rules.missing(s, why) for s in subs]
    for pair in pairs.values():
        hard_exp, ls_exp, alpha = pair["hard"], pair["smooth"], float(pair["alpha"])
        paired = hard_exp == ls_exp

        def cell(metric, split, scaling, exp, a) -> dict[int, float]:
            return seeds(
                per_seed,
                "estimate",
                "calibration",
                experiment=exp,
                alpha=a,
                split=split,
                scaling=scaling,
                metric=metric,
            )

        t2, t3 = _paper_rows_for(per_seed, hard_exp)
        tag = {"experiments": _pair_label(pair), "scale": _scale_of(scale, hard_exp, ls_exp)}
        ece_paper = (
            f"ECE {t3.baseline_ece} -> LS {t3.ls_ece} (α={t3.ls_alpha:g}) vs TS {t3.ts_ece} "
            f"(T={t3.ts_temperature:g}), {t3.dataset}"
            if t3 is not None
            else "no Table 3 row for this dataset"
        )
        base = cell("ece", "test", "none", hard_exp, 0.0)
        ls = cell("ece", "test", "none", ls_exp, alpha)
        ts = cell("ece", "test", "temperature", hard_exp, 0.0)
        ls_ts = cell("ece", "test", "temperature", ls_exp, alpha)
        out.append(
            rules.c8a_ls_reduces_ece(base, ls, alpha, paired, ece_paper).but(
                settings=f"α = 0 vs {alpha:g}, T = 1, test split", **tag
            )
        )
        out.append(
            rules.c8b_ls_like_temperature(ts, ls, alpha, paired, ece_paper).but(
                settings=f"α = 0 at fitted T vs α = {alpha:g} at T = 1, test split", **tag
            )
        )
        out.append(
            rules.c8c_calibratability(ts, ls_ts, alpha, paired).but(
                settings=f"α = 0 vs {alpha:g}, both at their fitted T, test split", **tag
            )
        )
        # C9 at Table 2's α (0.1), whatever α the pair (Table 3) uses
        smooth_alphas = _alphas(per_seed, ls_exp)
        c9_alpha = TABLE2_ALPHA if _has(smooth_alphas, TABLE2_ALPHA) else alpha
        acc_paper = (
            f"{t2.accuracy_alpha0} vs {t2.accuracy_alpha01} (α=0.1), {t2.dataset}"
            if t2 is not None
            else "no Table 2 row for this dataset"
        )
        note = "" if math.isclose(c9_alpha, TABLE2_ALPHA) else " (Table 2's α = 0.1 not run)"
        hard_acc = {s: 100 * v for s, v in cell("accuracy", "val", "none", hard_exp, 0.0).items()}
        ls_acc = {s: 100 * v for s, v in cell("accuracy", "val", "none", ls_exp, c9_alpha).items()}
        out.append(
            rules.c9_small_accuracy_effect(hard_acc, ls_acc, c9_alpha, paired, acc_paper).but(
                settings=f"α = 0 vs {c9_alpha:g}{note}, val split", **tag
            )
        )
        out.append(
            rules.c9b_selective(
                cell("aurc", "test", "none", hard_exp, 0.0),
                cell("aurc", "test", "none", ls_exp, alpha),
                alpha,
                paired,
                {
                    m: (
                        cell(m, "test", "none", hard_exp, 0.0),
                        cell(m, "test", "none", ls_exp, alpha),
                    )
                    for m in sorted(set(per_seed["metric"]))
                    if str(m).startswith("risk_at_coverage_")
                },
            ).but(settings=f"α = 0 vs {alpha:g}, T = 1, test split", **tag)
        )
    return out


# --- C10: translation -----------------------------------------------------------------------------


def _translation(frame, reason, split, scale=None) -> list[Verdict]:
    subs = [*rules.C10_PAIRS, *rules.C10_EVERY_T, "C10i"]
    if frame is None:
        return [rules.missing(s, reason) for s in subs]
    require(
        frame,
        ("alpha", "seed", "scaling_temperature", "split", "bleu", "ece", "nll", "fitted"),
        "translation_per_seed",
    )
    frame = frame.assign(fitted=frame["fitted"].astype(str).str.lower().isin(["true", "1"]))
    alpha = paper.comparison_alpha(frame["alpha"].astype(float), atol=ATOL)
    if not _has(frame["alpha"].astype(float).tolist(), 0.0) or alpha is None:
        return [rules.missing(s, "translation table lacks α = 0 or a positive α") for s in subs]
    on_split = frame.loc[frame["split"] == split]
    grid = on_split.loc[~on_split["fitted"]]
    fitted = on_split.loc[on_split["fitted"]]

    def at(a: float, metric: str, t: float | None) -> dict[int, float]:
        """seed -> value; t None = each seed's fitted T."""
        if t is None:
            return seeds(fitted, metric, "translation", alpha=a)
        return seeds(grid, metric, "translation", alpha=a, scaling_temperature=t)

    best_bleu = {
        int(s): float(v)
        for s, v in grid.loc[close(grid["alpha"], 0.0)].groupby("seed")["bleu"].max().items()
    }
    cells = {
        "C10a": (at(alpha, "bleu", 1.0), at(0.0, "bleu", 1.0)),
        "C10b": (at(alpha, "ece", 1.0), at(0.0, "ece", 1.0)),
        "C10c": (at(alpha, "nll", 1.0), at(0.0, "nll", 1.0)),
        "C10d": (at(0.0, "ece", None), at(0.0, "ece", 1.0)),
        "C10e": (best_bleu, at(alpha, "bleu", 1.0)),
    }
    tag = {
        "experiments": "translation",
        "settings": f"α = 0 vs {alpha:g}, {split} split",
        "scale": (scale or {}).get("translation", ""),
    }
    out = [rules.c10_pair(sub, a, b, split).but(**tag) for sub, (a, b) in cells.items()]
    temps = sorted({float(t) for t in grid["scaling_temperature"]})
    others = [t for t in temps if not math.isclose(t, 1.0, abs_tol=ATOL)]
    every = {
        "C10f": {t: (at(alpha, "ece", t), at(alpha, "ece", 1.0)) for t in others},
        "C10g": {t: (at(alpha, "bleu", t), at(alpha, "bleu", 1.0)) for t in others},
        "C10h": {t: (at(0.0, "nll", t), at(alpha, "nll", t)) for t in temps},
    }
    grid_tag = {**tag, "settings": tag["settings"] + f", T in {[round(t, 3) for t in temps]}"}
    for sub, cases in every.items():
        out.append(rules.c10_every_temperature(sub, cases, split).but(**grid_tag))
    gains = []
    for _, rows in grid.groupby(["alpha", "seed"]):
        by_t = rows.groupby("scaling_temperature")[["bleu", "ece", "nll"]].mean()
        if len(by_t) >= 2:
            gains.append(
                by_t.loc[by_t["ece"].idxmin(), "bleu"] - by_t.loc[by_t["nll"].idxmin(), "bleu"]
            )
    n_seeds = grid["seed"].nunique()
    out.append(rules.c10i_ece_predicts_bleu(gains, n_seeds).but(**grid_tag))
    return out


def _beam_length(frame, reason, split, scale=None) -> list[Verdict]:
    """C10j★ per positive α of the beam-grid table against α = 0, at its largest beam size;
    paired by seed where both sides have the same seeds (one experiment), else Welch."""
    if frame is None:
        return [rules.missing("C10j", reason)]
    require(
        frame,
        ("alpha", "seed", "split", "beam_size", "length_ratio"),
        "translation_beams_per_seed",
    )
    on_split = frame.loc[frame["split"] == split]
    alphas = sorted({float(a) for a in on_split["alpha"]})
    positive = [a for a in alphas if a > 0]
    if not _has(alphas, 0.0) or not positive:
        return [rules.missing("C10j", f"beam-grid table lacks α = 0 or a positive α on {split}")]
    beams = sorted({int(b) for b in on_split["beam_size"]})
    top, low = beams[-1], beams[0]

    def at(a: float, column: str, beam: int) -> dict[int, float]:
        return seeds(on_split, column, "translation beams", alpha=a, beam_size=beam)

    out = []
    for alpha in positive:
        hard, ls = at(0.0, "length_ratio", top), at(alpha, "length_ratio", top)
        shown = {}
        if "bleu" in on_split.columns:
            shown[f"BLEU beam {top}"] = (at(0.0, "bleu", top), at(alpha, "bleu", top))
        if low != top:
            shown[f"length ratio beam {low}"] = (
                at(0.0, "length_ratio", low),
                at(alpha, "length_ratio", low),
            )
        paired = bool(hard) and set(hard) == set(ls)
        verdict = rules.c10j_beam_length_bias(hard, ls, alpha, top, split, paired, shown)
        out.append(
            verdict.but(
                experiments="translation",
                settings=f"α = 0 vs {alpha:g}, {split} split, beam {top} (grid {beams}), T = 1",
                scale=(scale or {}).get("translation", ""),
            )
        )
    return out


# --- C11-C13: distillation and information --------------------------------------------------------


def _mnist_toy(frame, reason, scale) -> list[Verdict]:
    if frame is None:
        return [rules.missing("C11a", reason), rules.missing("C11b", reason)]
    require(frame, ("role", "seed", "test_error"), "mnist_toy_per_seed")
    tag = {
        "experiments": "mnist_fc_dropout, mnist_fc_ls (+ students)",
        "settings": "test error",
        "scale": _scale_of(scale, "mnist_fc_dropout", "mnist_fc_ls", "mnist_fc_student"),
    }

    def role(name: str) -> dict[int, float]:
        return {s: 100 * v for s, v in seeds(frame, "test_error", "mnist toy", role=name).items()}

    return [
        rules.c11a_ls_teacher_better(role("teacher_A"), role("teacher_B")).but(**tag),
        rules.c11b_ls_student_worse(
            role("student_A"), role("student_B"), role("student_alone")
        ).but(**tag),
    ]


def _fig5(frame, reason, scale) -> list[Verdict]:
    subs = ("C12a", "C12b", "C12c", "C12d", "C12e", "C12f", "C12g")
    if frame is None:
        return [rules.missing(s, reason) for s in subs]
    require(
        frame,
        ("curve", "teacher_alpha", "temperature", "alpha", "seed", "val_accuracy"),
        "fig5_distillation",
    )
    tag = {
        "experiments": "ResNet-56 -> AlexNet, CIFAR-10",
        "settings": "val accuracy",
        "scale": _scale_of(scale, "cifar10_resnet56", "cifar10_alexnet"),
    }

    def acc(curve: str, **where: float) -> dict[int, float]:
        rows = frame.loc[frame["curve"] == curve]
        return {s: 100 * v for s, v in seeds(rows, "val_accuracy", curve, **where).items()}

    def alphas(curve: str, column: str = "alpha") -> list[float]:
        return sorted(
            {
                float(a)
                for a in frame.loc[frame["curve"] == curve, column]
                if not math.isnan(float(a))
            }
        )

    teachers = frame.loc[frame["curve"] == "teacher"]
    out = [
        rules.c12a_teacher_trend(
            teachers["alpha"].astype(float).to_numpy(),
            100 * teachers["val_accuracy"].astype(float).to_numpy(),
            paper.FIG5_BEST_TEACHER_ALPHA,
        )
    ]
    student_alphas = [a for a in alphas("student_ls") if a > 0]
    ref = 0.1 if _has(student_alphas, 0.1) else (student_alphas[0] if student_alphas else 0.1)
    out.append(
        rules.c12b_ls_hurts_student(acc("student_ls", alpha=0.0), acc("student_ls", alpha=ref), ref)
    )
    ls_students = {a: acc("student_ls", alpha=a) for a in student_alphas}
    best_alpha = (
        max(ls_students, key=lambda a: np.mean(list(ls_students[a].values()) or [-1]))
        if ls_students
        else math.nan
    )
    best_ls = ls_students.get(best_alpha, {})
    hard_rows = frame.loc[
        (frame["curve"] == "student_hard_teacher") & close(frame["teacher_alpha"], 0.0)
    ]
    temps = sorted({float(t) for t in hard_rows["temperature"]})
    hard_at = {t: acc("student_hard_teacher", teacher_alpha=0.0, temperature=t) for t in temps}
    out.append(rules.c12c_hard_teacher_beats_ls(hard_at, best_ls, best_alpha))
    lst = frame.loc[frame["curve"] == "student_ls_teacher"]
    ls_teacher_alphas = sorted({float(a) for a in lst["teacher_alpha"] if a > 0})

    def ls_teacher(a: float, t: float) -> dict[int, float]:
        return acc("student_ls_teacher", teacher_alpha=a, temperature=t)

    at_t1 = [a for a in ls_teacher_alphas if ls_teacher(a, 1.0)]
    out.append(
        rules.c12d_ls_teacher_no_better(
            {a: (ls_teacher(a, 1.0), acc("student_ls", alpha=a)) for a in at_t1}
        )
    )
    cases = {a: (acc("teacher", alpha=a), ls_teacher(a, 1.0)) for a in at_t1}
    out.append(
        rules.c12e_accuracy_not_distillability(
            cases, acc("teacher", alpha=0.0), hard_at.get(1.0, {})
        )
    )
    # ★ C12f/g per LS teacher α that has students at some T >= 2
    high = {
        a: sorted(
            {
                float(t)
                for t in lst.loc[close(lst["teacher_alpha"], a), "temperature"]
                if t >= 2.0 - ATOL
            }
        )
        for a in ls_teacher_alphas
    }
    with_high = [a for a in ls_teacher_alphas if high[a]]
    if not with_high:
        why = "no LS-teacher students at T ≥ 2 in this run (distillation grid)"
        out += [rules.missing("C12f", why), rules.missing("C12g", why)]
    for a in with_high:
        cases_t = {t: (ls_teacher(a, t), hard_at.get(t, {})) for t in high[a]}
        out.append(rules.c12f_worse_at_high_t(cases_t, a).but(settings=f"teacher α = {a:g}"))
        out.append(
            rules.c12g_not_worse_at_t1(ls_teacher(a, 1.0), hard_at.get(1.0, {}), a).but(
                settings=f"teacher α = {a:g}, T = 1"
            )
        )
    return [
        v.but(**{k: val for k, val in tag.items() if k != "settings" or not v.settings})
        for v in out
    ]


def _information(per_seed, versus, reasons, scale) -> list[Verdict]:
    out: list[Verdict] = []
    mi_experiments = [] if per_seed is None else sorted(per_seed["experiment"].unique())
    if per_seed is None:
        out += [rules.missing(s, reasons[0]) for s in ("C13a", "C13b", "C13c", "C13d")]
    else:
        require(per_seed, ("experiment", "alpha", "seed", "step", "mi"), "information_per_seed")
        for experiment in sorted(per_seed["experiment"].unique()):
            rows = per_seed.loc[per_seed["experiment"] == experiment]
            drops = {}
            for alpha in sorted({float(a) for a in rows["alpha"]}):
                curve = rows.loc[close(rows["alpha"], alpha)]
                means = curve.groupby("step")["mi"].mean()
                first, peak, last = (
                    int(means.index.min()),
                    int(means.idxmax()),
                    int(means.index.max()),
                )

                def at(step: int, value: str = "mi", _c=curve) -> dict[int, float]:
                    return seeds(_c, value, "information", step=step)

                # settings name the comparison only (a reference study is matched on them); the
                # peak step is measured, so it goes with the measurements
                tag = {
                    "experiments": experiment,
                    "scale": _scale_of(scale, experiment),
                    "settings": f"α = {alpha:g}, first/peak/last snapshot",
                }
                steps = {"steps first/peak/last": f"{first}/{peak}/{last}"}
                for v in (
                    rules.c13a_rises_from_init(at(first), at(peak)),
                    rules.c13b_then_decreases(at(peak), at(last)),
                ):
                    out.append(v.but(measured={**steps, **v.measured}, **tag))
                pk, ls_ = at(peak), at(last)
                drops[alpha] = {s: pk[s] - ls_[s] for s in pk if s in ls_}
                if alpha > 0:
                    ref = at(last, "mi_reference") if "mi_reference" in curve.columns else {}
                    draws = None
                    out.append(rules.c13d_late_above_log2(ref, at(last), draws).but(**tag))
            if 0.0 in drops:
                for alpha, drop in drops.items():
                    if alpha > 0:
                        out.append(
                            rules.c13c_decrease_larger_with_ls(drops[0.0], drop, alpha).but(
                                experiments=experiment,
                                settings=f"α = 0 vs {alpha:g}",
                                scale=_scale_of(scale, experiment),
                            )
                        )
    if versus is None:
        out.append(rules.missing("C13e", reasons[1]))
    else:
        # lsrepro.information.files.information_vs_distillation: one row per teacher α, the
        # student accuracy column it correlates named in "accuracy"
        require(
            versus,
            ("teacher_alpha", "mi_final_mean", "accuracy"),
            "information_vs_distillation",
        )
        column = f"student_{versus['accuracy'].iloc[0]}_mean"
        require(versus, (column,), "information_vs_distillation")
        out.append(
            rules.c13e_mi_tracks_distillation(
                versus["mi_final_mean"].to_numpy(float), versus[column].to_numpy(float)
            ).but(
                experiments="teachers of Fig. 5",
                settings=f"teacher α ∈ {sorted(round(a, 3) for a in versus['teacher_alpha'])}, "
                f"{versus['accuracy'].iloc[0]} at T = 1",
                # the scale of the MI runs (the teachers whose MI is correlated)
                scale=_scale_of(scale, *mi_experiments),
            )
        )
    return out


# --- the tables -----------------------------------------------------------------------------------


def _frame(verdicts: Sequence[Verdict]) -> pd.DataFrame:
    decisions = [v.decision for v in verdicts]
    adjusted = stats.adjust(decisions)
    rows = []
    for v, d, (p_holm, verdict) in zip(verdicts, decisions, adjusted, strict=True):
        rows.append(
            {
                "claim": v.claim,
                "subclaim": v.subclaim,
                "extension": v.extension,
                "statement": v.statement,
                "experiments": v.experiments,
                "settings": v.settings,
                "scale": v.scale,
                "measured": v.measured_text(),
                "rule": v.rule,
                "test": d.test,
                "margin": d.margin,
                "effect": d.effect,
                "effect_sd": d.effect_sd,
                "ci90_low": d.low,
                "ci90_high": d.high,
                "n_a": d.n_a,
                "n_b": d.n_b,
                "p_for": d.p_for,
                "p_against": d.p_against,
                "p": d.p,
                "p_holm": p_holm,
                "verdict_raw": d.verdict,
                "verdict": verdict,
                "leaning": d.leaning,
                "reason": d.reason,
                "paper": v.paper,
            }
        )
    return pd.DataFrame(rows, columns=list(CLAIMS_COLUMNS))


def judge_claims(
    paths: Paths,
    *,
    representation_pairs: Mapping[str, Mapping[str, object]] | None = None,
    calibration_pairs: Mapping[str, Mapping[str, object]] | None = None,
    translation_split: str = "test",
    scale: Mapping[str, str] | None = None,
    out: Path | str | None = None,
    verdicts_out: Path | str | None = None,
    references: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Judge every claim C1–C13 and the extensions from the stage tables in ``paths``.

    Args:
        paths: input key (:data:`lsrepro.claims.read.INPUTS`) -> CSV path (``reliability``: one
            path or a list); absent, None or a missing file makes that stage's claims "not run".
        representation_pairs, calibration_pairs: ``{name: {"hard": experiment, "smooth":
            experiment, "alpha": α}}`` (the config's figures restricted to the run); None derives
            one per experiment with α = 0 and a positive α.
        translation_split: split of the translation table C10 is judged on.
        scale: experiment (or "translation") -> a label of the scale it ran at
            (:func:`lsrepro.claims.scale.scale_labels`), copied to each row's ``scale``.
        out: where to write ``claims.csv`` (columns :data:`CLAIMS_COLUMNS`).
        verdicts_out: where to write the compact front-page table (:func:`verdict_table`).
        references: reference study -> its shipped claims.csv
            (:func:`lsrepro.claims.reference.load_references`), quoted on the front page.

    Returns:
        One row per judged (sub-)claim and comparison, in claim order; ``verdict`` is Holm-
        adjusted over all rows with a test, ``verdict_raw`` is each test alone.
    """
    unknown = sorted(set(paths) - set(INPUTS))
    if unknown:
        raise KeyError(f"unknown inputs {unknown}; expected keys among {sorted(INPUTS)}")
    scale = dict(scale or {})
    tables = {key: load(paths, key) for key in INPUTS}
    verdicts: list[Verdict] = []
    verdicts += _representation(*tables["geometry_per_seed"], representation_pairs, scale)
    verdicts += _calibration(
        tables["calibration_per_seed"][0],
        tables["reliability"][0],
        (tables["calibration_per_seed"][1], tables["reliability"][1]),
        calibration_pairs,
        scale,
    )
    verdicts += _translation(*tables["translation_per_seed"], translation_split, scale)
    verdicts += _beam_length(*tables["translation_beams_per_seed"], translation_split, scale)
    verdicts += _mnist_toy(*tables["mnist_toy_per_seed"], scale)
    verdicts += _fig5(*tables["fig5_distillation"], scale)
    verdicts += _information(
        tables["information_per_seed"][0],
        tables["information_vs_distillation"][0],
        (tables["information_per_seed"][1], tables["information_vs_distillation"][1]),
        scale,
    )
    order = {sub: i for i, sub in enumerate(CLAIMS)}
    verdicts.sort(key=lambda v: order[v.subclaim])  # stable within a sub-claim
    frame = _frame(verdicts)
    if out is not None:
        write_csv(frame, out)
    if verdicts_out is not None:
        write_csv(verdict_table(frame, references), verdicts_out)
    return frame


VERDICT_TABLE_COLUMNS: tuple[str, ...] = (
    "claim",
    "statement",
    "verdict",
    "raw",
    "where",
    "reference",
)


def verdict_table(
    claims: pd.DataFrame, references: Mapping[str, pd.DataFrame] | None = None
) -> pd.DataFrame:
    """The front page: one row per sub-claim (★ marks an extension), in claim order.

    Columns: ``claim``, ``statement``, ``verdict`` (the Holm-adjusted verdicts over its
    comparisons, counted), ``raw`` (the same without adjustment), ``where`` (each comparison's
    experiments, verdict and p-values, or why it was not run), ``reference`` (the verdicts of
    the shipped reference studies on the same comparison at the same scale,
    :func:`lsrepro.claims.reference.reference_text`; empty where none applies)."""
    references = references or {}
    rows = []
    for sub, group in claims.groupby("subclaim", sort=False):

        def counted(column: str, g=group) -> str:
            parts = []
            for verdict in rules.VERDICTS:
                chosen = g.loc[g[column] == verdict]
                if chosen.empty:
                    continue
                text = f"{len(chosen)} {verdict}"
                leans = chosen["leaning"].loc[chosen["leaning"].fillna("") != ""].value_counts()
                if verdict == rules.INCONCLUSIVE and len(leans):
                    text += " (" + ", ".join(f"{n} {lean}" for lean, n in leans.items()) + ")"
                parts.append(text)
            return ", ".join(parts)

        if (group["verdict"] == rules.NOT_RUN).all() and group["reason"].nunique() == 1:
            where = group["reason"].iloc[0]
        else:
            where = "; ".join(
                f"{r.experiments or '-'}: {r.verdict}"
                + (f" (p = {r.p:.3g}, Holm {r.p_holm:.3g})" if not pd.isna(r.p) else "")
                + (f" ({r.leaning})" if r.verdict == rules.INCONCLUSIVE and r.leaning else "")
                for r in group.itertuples()
            )
        star = "★ " if bool(group["extension"].iloc[0]) else ""
        rows.append(
            {
                "claim": sub,
                "statement": star + group["statement"].iloc[0].removeprefix("★ "),
                "verdict": counted("verdict"),
                "raw": counted("verdict_raw"),
                "where": where,
                "reference": reference_text(str(sub), group, references),
            }
        )
    return pd.DataFrame(rows, columns=list(VERDICT_TABLE_COLUMNS))
