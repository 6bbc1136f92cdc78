"""The verdict table (``claims.csv``) and the paper-vs-ours table (``paper_vs_ours.csv``).

Reads the tables the stages write, picks the cells each rule of :mod:`lsrepro.claims.rules`
needs, and writes one row per judged (sub-)claim and experiment. A stage that is not in the run
(its key absent, None, or the file missing) makes its claims "not run" with the reason.

Input contract (keys of ``paths``; every interval is 95 % over training seeds):

* ``geometry_summary`` (C1–C5), ``results/tables/geometry_summary.csv``: ``experiment,
  dataset, architecture, alpha, split`` (train/val), ``variable`` (a
  :func:`lsrepro.representation.geometry.split_geometry` key: ``gap_mean_over_optimal``,
  ``gap_mean``,
  ``gap_optimal``, ``incorrect_std_over_gap``, ``tightness_vs_class_means``, ``accuracy``
  (fraction), ``projection.<triplet>.norm_mean``, ``projection.<triplet>.tightness``), ``n,
  mean, std, ci_lower, ci_upper`` (:func:`lsrepro.stats.summarize_over_seeds`).
* ``geometry_per_seed`` (C6, paired train/val of the same model): ``experiment, alpha, seed,
  split`` and the same keys as columns.
* ``calibration_summary`` (C8, C9, Tables 2–3), ``results/tables/calibration_summary.csv``:
  ``experiment, dataset, architecture, alpha, split`` (val/test), ``scaling``
  (``none`` = T 1, ``temperature`` = T fitted on val by NLL), ``metric`` (``accuracy``
  fraction, ``ece`` fraction, ``temperature``), ``variable`` (``estimate``), ``n, mean, std,
  ci_lower, ci_upper``.
* ``reliability`` (C7): one gathered CSV or a list of the per-run
  ``results/calibration/<run>/reliability.csv`` (``experiment, alpha, seed, split, scaling,
  count, mean_confidence, accuracy`` per bin).
* ``translation_per_seed`` (C10, Table 3 EN-DE): ``alpha, seed, temperature, split`` (val/test),
  ``bleu, ece, nll, fitted`` (bool). Each model has grid rows (``fitted`` false, the same T values
  for every seed, T = 1 among them) and per split one row with ``fitted`` true at its own T.
* ``mnist_toy_per_seed`` (C11): ``role`` in {teacher_A, teacher_B, student_A, student_B,
  student_alone}, ``seed``, ``test_error`` (fraction).
* ``fig5_distillation`` (C12): ``curve`` in {teacher, student_ls, student_hard_teacher,
  student_ls_teacher}, ``teacher_alpha, temperature, alpha, gamma, seed, val_accuracy,
  test_accuracy, teacher_agreement``; accuracies as fractions.
* ``information_summary`` (C13a–d): ``experiment, alpha, step, variable`` (``mi``), ``mean,
  ci_low, ci_high`` (``ci_lower, ci_upper`` also accepted), ``min, max, n``; MI in nats.
* ``information_vs_distillation`` (C13e, optional): ``teacher_alpha, final_mi,
  student_mean_accuracy, spearman, ci_low, ci_high`` (one Spearman, repeated on every row).

Splits (decided here): geometry on the training split except C2b and C6 (validation); C3 and
C9 compare validation accuracy (the paper's Table 2 protocol); C7 and C8 use the test split
(the temperature is fitted on validation, so TS is not scored on its own fitting data); C10 uses
``translation_split`` (test by default); C12 validation accuracy (the paper's Fig. 5).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from lsrepro import paper
from lsrepro.claims import rules
from lsrepro.claims.rules import Interval, Verdict
from lsrepro.io import write_csv
from lsrepro.runs import DIRECT_TEACHER

__all__ = [
    "CLAIMS_COLUMNS",
    "INPUTS",
    "PAPER_COLUMNS",
    "judge_claims",
    "paper_vs_ours",
    "paper_vs_ours_frame",
    "verdict_table",
]

#: Input keys and the stage that writes each (the reason given when it is absent).
INPUTS: dict[str, str] = {
    "geometry_summary": "representation",
    "geometry_per_seed": "representation",
    "calibration_summary": "calibration",
    "reliability": "calibration",
    "translation_per_seed": "translation",
    "mnist_toy_per_seed": "MNIST toy distillation",
    "fig5_distillation": "CIFAR-10 distillation (Fig. 5)",
    "information_summary": "mutual information",
    "information_vs_distillation": "mutual information vs distillation",
}

CLAIMS_COLUMNS: tuple[str, ...] = (
    "claim",
    "subclaim",
    "statement",
    "experiments",
    "settings",
    "measured",
    "rule",
    "verdict",
    "leaning",
    "reason",
    "paper",
)

PAPER_COLUMNS: tuple[str, ...] = (
    "source",
    "quantity",
    "dataset",
    "architecture",
    "setting",
    "unit",
    "paper",
    "paper_pm",
    "val_mean",
    "val_low",
    "val_high",
    "val_n",
    "test_mean",
    "test_low",
    "test_high",
    "test_n",
    "difference",
    "difference_split",
    "within_band",
)

Paths = Mapping[str, "Path | str | Sequence[Path | str] | None"]
ATOL = 1e-9


# --- reading ------------------------------------------------------------------------------------


def _load(paths: Paths, key: str) -> tuple[pd.DataFrame | None, str]:
    """The table behind ``key`` and "" — or None and the reason it is not there."""
    if key not in INPUTS:
        raise KeyError(f"unknown input {key!r}; expected one of {sorted(INPUTS)}")
    value = paths.get(key)
    if value is None or (isinstance(value, Sequence) and not isinstance(value, str) and not value):
        return None, f"{INPUTS[key]} stage not in this run (no {key})"
    files = [value] if isinstance(value, str | Path) else list(value)
    absent = [str(f) for f in files if not Path(f).exists()]
    if absent:
        return None, f"{INPUTS[key]} stage not in this run ({absent[0]} not found)"
    frame = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    if "teacher" in frame.columns:  # C1-C9 are about models trained directly, not students
        frame = frame[frame["teacher"] == DIRECT_TEACHER].reset_index(drop=True)
    renames = {"ci_low": "ci_lower", "ci_high": "ci_upper"}
    return frame.rename(columns={k: v for k, v in renames.items() if k in frame.columns}), ""


def _require(frame: pd.DataFrame, columns: Sequence[str], key: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"{key}: columns {missing} missing (columns: {list(frame.columns)})")


def _close(series: pd.Series, value: float) -> pd.Series:
    return np.isclose(series.astype(float), float(value), rtol=0.0, atol=ATOL)


def _summary_interval(frame: pd.DataFrame, what: str, **where: object) -> Interval:
    """The one summary row matching ``where`` (floats compared with a tolerance) as an Interval;
    missing when there is none."""
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        if isinstance(value, float):
            mask &= _close(frame[column], value)
        else:
            mask &= frame[column] == value
    rows = frame.loc[mask]
    if rows.empty:
        return Interval.missing()
    if len(rows) > 1:
        raise ValueError(f"{what}: {len(rows)} summary rows match {where}; expected one")
    r = rows.iloc[0]
    return Interval(float(r["mean"]), float(r["ci_lower"]), float(r["ci_upper"]), int(r["n"]))


def _alphas(frame: pd.DataFrame, experiment: str) -> list[float]:
    return sorted({float(a) for a in frame.loc[frame["experiment"] == experiment, "alpha"]})


def _has(alphas: Sequence[float], alpha: float) -> bool:
    return any(math.isclose(a, alpha, abs_tol=ATOL) for a in alphas)


def _default_pairs(frame: pd.DataFrame, preferred: Callable[[str], float | None]) -> dict:
    """Within-experiment comparisons: α = 0 against the preferred α (else 0.1, else the smallest
    positive α) for every experiment that has both."""
    pairs = {}
    for experiment in sorted(frame["experiment"].unique()):
        alphas = _alphas(frame, experiment)
        positive = [a for a in alphas if a > 0]
        if not _has(alphas, 0.0) or not positive:
            continue
        alpha = next(
            (a for a in (preferred(experiment), 0.1) if a is not None and _has(positive, a)),
            positive[0],
        )
        pairs[experiment] = {"hard": experiment, "smooth": experiment, "alpha": alpha}
    return pairs


def _pair_label(pair: Mapping[str, object]) -> str:
    hard, smooth = pair["hard"], pair["smooth"]
    return str(hard) if hard == smooth else f"{hard} vs {smooth}"


# --- C1-C6: representation ----------------------------------------------------------------------


def _primary_triplet(frame: pd.DataFrame) -> str | None:
    """The triplet the paper's claims are about: "paper", else "different", else the first
    non-"similar" one measured."""
    measured = frame.loc[frame["n"] > 0, "variable"]  # the union table has n = 0 rows
    names = {
        v.split(".")[1]
        for v in measured.unique()
        if str(v).startswith("projection.") and str(v).endswith(".norm_mean")
    }
    for name in ("paper", "different", *sorted(names - {"similar"})):
        if name in names:
            return name
    return None


def _representation(
    summary: pd.DataFrame | None,
    per_seed: pd.DataFrame | None,
    reasons: tuple[str, str],
    pairs: Mapping[str, Mapping[str, object]] | None,
) -> list[Verdict]:
    if summary is None:
        return [
            rules.missing_stage(c, s, t, reasons[0])
            for c, s, t in (
                ("C1", "C1", "Logit gaps approach an α-dependent constant with LS."),
                ("C2", "C2", "LS gives tight, equidistant clusters (train and validation)."),
                ("C3", "C3", "The representational difference occurs at similar accuracy."),
                ("C4", "C4", "Without LS the projections reach much larger values."),
                ("C5", "C5", "Similar classes: graded similarity erased by LS."),
                ("C6", "C6", "LS: tight training clusters, validation spreads to the centre."),
            )
        ]
    _require(summary, ("experiment", "alpha", "split", "variable", "mean", "n"), "geometry")
    pairs = (
        dict(pairs) if pairs is not None else _default_pairs(summary, lambda e: paper.FIG1_ALPHA)
    )
    if not pairs:
        why = "no experiment has both α = 0 and a positive α in the geometry table"
        return [rules.missing_stage("C1", "C1-C6", "Fig. 1 comparisons", why)]
    out: list[Verdict] = []
    for pair in pairs.values():
        hard_exp, ls_exp, alpha = pair["hard"], pair["smooth"], float(pair["alpha"])
        # triplet names differ per dataset (CIFAR "paper", MNIST "different")
        triplet = _primary_triplet(summary.loc[summary["experiment"] == hard_exp])

        def cell(variable: str, split: str, ls: bool, _h=hard_exp, _l=ls_exp, _a=alpha) -> Interval:
            exp, a = (_l, _a) if ls else (_h, 0.0)
            return _summary_interval(
                summary, "geometry", experiment=exp, alpha=a, split=split, variable=variable
            )

        settings = f"α = 0 vs {alpha:g}"
        tag = {"experiments": _pair_label(pair), "settings": settings + ", train split"}
        optimum = cell("gap_optimal", "train", True)
        out.append(
            rules.c1a_gap_near_optimum(
                cell("gap_mean_over_optimal", "train", True), alpha, optimum.mean
            ).but(**tag)
        )
        out.append(
            rules.c1b_hard_gap_larger(
                cell("gap_mean", "train", False), cell("gap_mean", "train", True)
            ).but(**tag)
        )
        out.append(
            rules.c1c_incorrect_logits_vary(
                cell("incorrect_std_over_gap", "train", False),
                cell("incorrect_std_over_gap", "train", True),
            ).but(**tag)
        )
        c2 = {}
        for split in ("train", "val"):
            c2[split] = rules.c2_tighter_clusters(
                cell("tightness_vs_class_means", split, False),
                cell("tightness_vs_class_means", split, True),
                split,
            ).but(experiments=_pair_label(pair), settings=f"{settings}, {split} split")
            out.append(c2[split])
        out.append(
            rules.c3_similar_accuracy(
                cell("accuracy", "val", False).scaled(100.0),
                cell("accuracy", "val", True).scaled(100.0),
                c2["train"],
            ).but(experiments=_pair_label(pair), settings=f"{settings}, val accuracy")
        )
        if triplet is None:
            out.append(
                rules.missing_stage("C4", "C4", "Projections larger without LS.", "no projection")
            )
        else:
            norm = f"projection.{triplet}.norm_mean"
            out.append(
                rules.c4_larger_projections(
                    cell(norm, "train", False), cell(norm, "train", True), triplet
                ).but(experiments=_pair_label(pair), settings=f"{settings}, triplet {triplet}")
            )
        sim = "projection.similar.tightness"
        measured_similar = (summary["variable"] == sim).any()
        out.append(
            rules.c5a_similar_classes_tighter(
                cell(sim, "train", False) if measured_similar else None,
                cell(sim, "train", True) if measured_similar else None,
            ).but(experiments=_pair_label(pair), settings=f"{settings}, triplet similar")
        )
        out.append(rules.c5b_graded_similarity().but(experiments=_pair_label(pair)))
        out.extend(_c6(summary, per_seed, reasons[1], ls_exp, alpha, triplet, pair))
    return out


def _paired_val_minus_train(
    per_seed: pd.DataFrame, experiment: str, alpha: float, variable: str
) -> Interval:
    """Per-seed ``value(val) − value(train)`` of one model, as an Interval over seeds."""
    if variable not in per_seed.columns:
        return Interval.missing()
    rows = per_seed.loc[(per_seed["experiment"] == experiment) & _close(per_seed["alpha"], alpha)]
    wide = rows.pivot_table(index="seed", columns="split", values=variable, aggfunc="first")
    if not {"train", "val"} <= set(wide.columns):
        return Interval.missing()
    return Interval.from_values((wide["val"] - wide["train"]).to_numpy())


def _c6(summary, per_seed, reason, ls_exp, alpha, triplet, pair) -> list[Verdict]:
    tag = {"experiments": _pair_label(pair), "settings": f"α = {alpha:g}, train vs val"}
    statements = (
        ("C6a", "With LS, training clusters are tight but validation points spread out."),
        ("C6b", "With LS, validation points spread toward the centre."),
    )
    if per_seed is None:
        return [rules.missing_stage("C6", s, t, reason).but(**tag) for s, t in statements]
    _require(per_seed, ("experiment", "alpha", "seed", "split"), "geometry_per_seed")

    def ls(variable: str, split: str) -> Interval:
        return _summary_interval(
            summary, "geometry", experiment=ls_exp, alpha=alpha, split=split, variable=variable
        )

    tight = "tightness_vs_class_means"
    out = [
        rules.c6a_validation_spreads(
            ls(tight, "train"),
            ls(tight, "val"),
            _paired_val_minus_train(per_seed, ls_exp, alpha, tight),
        ).but(**tag)
    ]
    if triplet is None:
        out.append(rules.missing_stage("C6", "C6b", statements[1][1], "no projection").but(**tag))
    else:
        norm = f"projection.{triplet}.norm_mean"
        out.append(
            rules.c6b_toward_centre(
                ls(norm, "train"),
                ls(norm, "val"),
                _paired_val_minus_train(per_seed, ls_exp, alpha, norm),
                triplet,
            ).but(**tag)
        )
    return out


# --- C7-C9: calibration ---------------------------------------------------------------------------


def _table3_alpha(summary: pd.DataFrame) -> Callable[[str], float | None]:
    """Experiment -> the LS α of its Table 3 row (CIFAR-100: 0.05), None if not a Table 3 pair."""
    by_pair = {
        (paper.normalise_name(r.dataset), paper.normalise_name(r.architecture)): r.ls_alpha
        for r in paper.TABLE3
    }
    names = summary.drop_duplicates("experiment").set_index("experiment")

    def alpha(experiment: str) -> float | None:
        if "dataset" not in names.columns or "architecture" not in names.columns:
            return None
        row = names.loc[experiment]
        key = (paper.normalise_name(row["dataset"]), paper.normalise_name(row["architecture"]))
        return by_pair.get(key)

    return alpha


def _paper_rows_for(summary: pd.DataFrame, experiment: str) -> tuple[object, object]:
    """The Table 2 and Table 3 rows of an experiment's dataset/architecture (or None)."""
    if "dataset" not in summary.columns or "architecture" not in summary.columns:
        return None, None
    rows = summary.loc[summary["experiment"] == experiment]
    if rows.empty:
        return None, None
    row = rows.iloc[0]
    key = (paper.normalise_name(row["dataset"]), paper.normalise_name(row["architecture"]))

    def match(rows):
        return next(
            (
                r
                for r in rows
                if (paper.normalise_name(r.dataset), paper.normalise_name(r.architecture)) == key
            ),
            None,
        )

    return match(paper.TABLE2), match(paper.TABLE3)


def _overconfidence(reliability: pd.DataFrame) -> pd.DataFrame:
    """Mean confidence − accuracy per run, split and scaling: the count-weighted mean of the
    bins' ``mean_confidence − accuracy`` (exactly mean confidence minus accuracy, as the bins
    partition the examples)."""
    cols = ("experiment", "alpha", "seed", "split", "scaling", "count", "mean_confidence")
    _require(reliability, (*cols, "accuracy"), "reliability")
    r = reliability.assign(
        weighted=(reliability["mean_confidence"] - reliability["accuracy"]).fillna(0.0)
        * reliability["count"]
    )
    g = r.groupby(["experiment", "alpha", "seed", "split", "scaling"], as_index=False)
    out = g.agg(weighted=("weighted", "sum"), count=("count", "sum"))
    out["gap"] = out["weighted"] / out["count"]
    return out


def _calibration(
    summary: pd.DataFrame | None,
    reliability: pd.DataFrame | None,
    reasons: tuple[str, str],
    pairs: Mapping[str, Mapping[str, object]] | None,
) -> list[Verdict]:
    out: list[Verdict] = []
    # C7 from the reliability bins: every experiment with a hard-target model.
    if reliability is None:
        out.append(
            rules.missing_stage("C7", "C7", "Hard-target networks are over-confident.", reasons[1])
        )
    else:
        gaps = _overconfidence(reliability)
        hard = gaps.loc[_close(gaps["alpha"], 0.0) & (gaps["scaling"] == "none")]
        for experiment in sorted(hard["experiment"].unique()):
            rows = hard.loc[(hard["experiment"] == experiment) & (hard["split"] == "test")]
            out.append(
                rules.c7_overconfident(Interval.from_values(rows["gap"].to_numpy()), "test").but(
                    experiments=experiment, settings="α = 0, T = 1, test split"
                )
            )
        if hard.empty:
            why = "no hard-target (α = 0) reliability table"
            out.append(rules.missing_stage("C7", "C7", "Hard-target nets over-confident.", why))
    if summary is None:
        for c, t in (
            ("C8", "Label smoothing reduces ECE to the level of temperature scaling."),
            ("C9", "The accuracy effect of label smoothing is small."),
        ):
            out.append(rules.missing_stage(c, c, t, reasons[0]))
        return out
    _require(summary, ("experiment", "alpha", "split", "scaling", "metric", "mean", "n"), "cal")
    if "variable" in summary.columns:
        summary = summary.loc[summary["variable"] == "estimate"]
    pairs = dict(pairs) if pairs is not None else _default_pairs(summary, _table3_alpha(summary))
    if not pairs:
        why = "no experiment has both α = 0 and a positive α in the calibration table"
        out.append(rules.missing_stage("C8", "C8-C9", "Table 3 comparisons", why))
        return out
    for pair in pairs.values():
        hard_exp, ls_exp, alpha = pair["hard"], pair["smooth"], float(pair["alpha"])

        def cell(metric, split, scaling, ls, _h=hard_exp, _l=ls_exp, _a=alpha) -> Interval:
            exp, a = (_l, _a) if ls else (_h, 0.0)
            return _summary_interval(
                summary,
                "calibration",
                experiment=exp,
                alpha=a,
                split=split,
                scaling=scaling,
                metric=metric,
            )

        t2, t3 = _paper_rows_for(summary, hard_exp)
        label = _pair_label(pair)
        ece_paper = (
            f"ECE {t3.baseline_ece} -> LS {t3.ls_ece} (α={t3.ls_alpha:g}) vs TS {t3.ts_ece} "
            f"(T={t3.ts_temperature:g}), {t3.dataset}"
            if t3 is not None
            else "no Table 3 row for this dataset"
        )
        base = cell("ece", "test", "none", False)
        out.append(
            rules.c8a_ls_reduces_ece(base, cell("ece", "test", "none", True), alpha, ece_paper).but(
                experiments=label, settings=f"α = 0 vs {alpha:g}, T = 1, test split"
            )
        )
        out.append(
            rules.c8b_ls_like_temperature(
                cell("ece", "test", "temperature", False),
                cell("ece", "test", "none", True),
                alpha,
                ece_paper,
            ).but(experiments=label, settings=f"α = 0 at fitted T vs α = {alpha:g} at T = 1, test")
        )
        acc_paper = (
            f"{t2.accuracy_alpha0} vs {t2.accuracy_alpha01} (α=0.1), {t2.dataset}"
            if t2 is not None
            else "no Table 2 row for this dataset"
        )
        out.append(
            rules.c9_small_accuracy_effect(
                cell("accuracy", "val", "none", False).scaled(100.0),
                cell("accuracy", "val", "none", True).scaled(100.0),
                alpha,
                acc_paper,
            ).but(experiments=label, settings=f"α = 0 vs {alpha:g}, val split")
        )
    return out


# --- C10: translation ---------------------------------------------------------------------------


def _translation(frame: pd.DataFrame | None, reason: str, split: str) -> list[Verdict]:
    subs = [*rules.C10_PAIRS, *rules.C10_EVERY_T, "C10i"]
    if frame is None:
        return [rules.missing_stage("C10", s, _c10_statement(s), reason) for s in subs]
    _require(
        frame, ("alpha", "seed", "temperature", "split", "bleu", "ece", "nll", "fitted"), "transl"
    )
    frame = frame.assign(fitted=frame["fitted"].astype(str).str.lower().isin(["true", "1"]))
    positive = sorted({float(a) for a in frame["alpha"] if a > 0})
    if not _has(frame["alpha"].astype(float).tolist(), 0.0) or not positive:
        why = "translation table lacks α = 0 or a positive α"
        return [rules.missing_stage("C10", s, _c10_statement(s), why) for s in subs]
    alpha = 0.1 if _has(positive, 0.1) else positive[0]
    on_split = frame.loc[frame["split"] == split]
    grid = on_split.loc[~on_split["fitted"]]

    def at(a: float, metric: str, t: float | None) -> Interval:
        """Over seeds; t None = each seed's fitted T."""
        rows = (
            on_split.loc[on_split["fitted"]]
            if t is None
            else grid.loc[_close(grid["temperature"], t)]
        )
        return Interval.from_values(rows.loc[_close(rows["alpha"], a), metric].to_numpy())

    cells = {
        "C10a": (at(alpha, "bleu", 1.0), at(0.0, "bleu", 1.0)),
        "C10b": (at(alpha, "ece", 1.0), at(0.0, "ece", 1.0)),
        "C10c": (at(alpha, "nll", 1.0), at(0.0, "nll", 1.0)),
        "C10d": (at(0.0, "ece", None), at(0.0, "ece", 1.0)),
        "C10e": (at(0.0, "bleu", None), at(alpha, "bleu", 1.0)),
    }
    tag = {"experiments": "translation", "settings": f"α = 0 vs {alpha:g}, {split} split"}
    out = [rules.c10_pair(sub, a, b, split).but(**tag) for sub, (a, b) in cells.items()]
    temps = sorted({float(t) for t in grid["temperature"]})
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
        by_t = rows.groupby("temperature")[["bleu", "ece", "nll"]].mean()
        if len(by_t) >= 2:
            gains.append(
                by_t.loc[by_t["ece"].idxmin(), "bleu"] - by_t.loc[by_t["nll"].idxmin(), "bleu"]
            )
    out.append(rules.c10i_ece_predicts_bleu(Interval.from_values(gains)).but(**grid_tag))
    return out


def _c10_statement(sub: str) -> str:
    table = {**rules.C10_PAIRS, **rules.C10_EVERY_T}
    return table[sub][0] if sub in table else "ECE minimum predicts top BLEU better than NLL."


# --- C11-C13: distillation and information ------------------------------------------------------


def _mnist_toy(frame: pd.DataFrame | None, reason: str) -> list[Verdict]:
    tag = {"experiments": "mnist_fc_dropout, mnist_fc_ls (+ students)", "settings": "test error"}
    if frame is None:
        return [
            rules.missing_stage("C11", "C11a", "LS teacher better than dropout teacher.", reason),
            rules.missing_stage("C11", "C11b", "LS teacher's student is worse.", reason),
        ]
    _require(frame, ("role", "seed", "test_error"), "mnist_toy_per_seed")

    def role(name: str) -> Interval:
        return Interval.from_values(
            frame.loc[frame["role"] == name, "test_error"].to_numpy()
        ).scaled(100.0)

    return [
        rules.c11a_ls_teacher_better(role("teacher_A"), role("teacher_B")).but(**tag),
        rules.c11b_ls_student_worse(
            role("student_A"), role("student_B"), role("student_alone")
        ).but(**tag),
    ]


def _fig5(frame: pd.DataFrame | None, reason: str) -> list[Verdict]:
    subs = ("C12a", "C12b", "C12c", "C12d", "C12e")
    if frame is None:
        return [
            rules.missing_stage("C12", s, t, reason)
            for s, t in zip(subs, paper.FIG5_STATEMENTS, strict=True)
        ]
    _require(
        frame, ("curve", "teacher_alpha", "temperature", "alpha", "seed", "val_accuracy"), "fig5"
    )
    tag = {"experiments": "ResNet-56 -> AlexNet, CIFAR-10", "settings": "val accuracy"}

    def acc(curve: str, **where: float) -> Interval:
        rows = frame.loc[frame["curve"] == curve]
        for column, value in where.items():
            rows = rows.loc[_close(rows[column], value)]
        return Interval.from_values(rows["val_accuracy"].to_numpy()).scaled(100.0)

    def alphas(curve: str, column: str = "alpha") -> list[float]:
        return sorted({float(a) for a in frame.loc[frame["curve"] == curve, column]})

    teacher_alphas = [a for a in alphas("teacher") if 0 < a <= paper.FIG5_BEST_TEACHER_ALPHA + ATOL]
    best = teacher_alphas[-1] if teacher_alphas else paper.FIG5_BEST_TEACHER_ALPHA
    out = [rules.c12a_teacher_improves(acc("teacher", alpha=0.0), acc("teacher", alpha=best), best)]
    student_alphas = [a for a in alphas("student_ls") if a > 0]
    ref = 0.1 if _has(student_alphas, 0.1) else (student_alphas[0] if student_alphas else 0.1)
    out.append(
        rules.c12b_ls_hurts_student(acc("student_ls", alpha=0.0), acc("student_ls", alpha=ref), ref)
    )
    ls_students = {a: acc("student_ls", alpha=a) for a in student_alphas}
    best_alpha = max(ls_students, key=lambda a: ls_students[a].mean) if ls_students else math.nan
    best_ls = ls_students.get(best_alpha, Interval.missing())
    hard_teacher = frame.loc[
        (frame["curve"] == "student_hard_teacher") & _close(frame["teacher_alpha"], 0.0)
    ]
    temps = sorted({float(t) for t in hard_teacher["temperature"]})
    by_t = {t: acc("student_hard_teacher", teacher_alpha=0.0, temperature=t) for t in temps}
    out.append(rules.c12c_hard_teacher_beats_ls(by_t, best_ls, best_alpha))
    ls_teacher_alphas = [a for a in alphas("student_ls_teacher", "teacher_alpha") if a > 0]
    pairs = {
        a: (acc("student_ls_teacher", teacher_alpha=a), acc("student_ls", alpha=a))
        for a in ls_teacher_alphas
    }
    out.append(rules.c12d_ls_teacher_no_better(pairs))
    cases = {
        a: (acc("teacher", alpha=a), acc("student_ls_teacher", teacher_alpha=a))
        for a in ls_teacher_alphas
    }
    student0 = acc("student_hard_teacher", teacher_alpha=0.0, temperature=1.0)
    out.append(rules.c12e_accuracy_not_distillability(cases, acc("teacher", alpha=0.0), student0))
    return [v.but(**tag) for v in out]


def _information(
    summary: pd.DataFrame | None, versus: pd.DataFrame | None, reasons: tuple[str, str]
) -> list[Verdict]:
    out: list[Verdict] = []
    if summary is None:
        for sub, text in zip(
            ("C13a", "C13b", "C13c", "C13d"),
            (
                "MI small at initialisation, then rises.",
                "MI then slowly decreases.",
                "The decrease is stronger with LS.",
                "Late MI with LS slightly above log 2.",
            ),
            strict=True,
        ):
            out.append(rules.missing_stage("C13", sub, text, reasons[0]))
    else:
        _require(
            summary, ("experiment", "alpha", "step", "mean", "ci_lower", "ci_upper", "n"), "mi"
        )
        if "variable" in summary.columns:
            summary = summary.loc[summary["variable"] == "mi"]
        for experiment in sorted(summary["experiment"].unique()):
            rows = summary.loc[summary["experiment"] == experiment]
            phases = {}
            for alpha in sorted({float(a) for a in rows["alpha"]}):
                curve = rows.loc[_close(rows["alpha"], alpha)].sort_values("step")

                def iv(r) -> Interval:
                    return Interval(
                        float(r["mean"]), float(r["ci_lower"]), float(r["ci_upper"]), int(r["n"])
                    )

                first, last = curve.iloc[0], curve.iloc[-1]
                peak = curve.loc[curve["mean"].idxmax()]
                phases[alpha] = (iv(first), iv(peak), iv(last))
                tag = {
                    "experiments": experiment,
                    "settings": f"α = {alpha:g}, steps {int(first['step'])}/{int(peak['step'])}/"
                    f"{int(last['step'])} (first/peak/last)",
                }
                out.append(rules.c13a_rises_from_init(iv(first), iv(peak), alpha).but(**tag))
                out.append(rules.c13b_then_decreases(iv(peak), iv(last), alpha).but(**tag))
                if alpha > 0:
                    out.append(rules.c13d_late_above_log2(iv(last), alpha).but(**tag))
            if 0.0 in phases:
                _, peak0, last0 = phases[0.0]
                for alpha, (_, peak, last) in phases.items():
                    if alpha > 0:
                        out.append(
                            rules.c13c_decrease_larger_with_ls(
                                rules.difference(peak0, last0), rules.difference(peak, last), alpha
                            ).but(experiments=experiment, settings=f"α = 0 vs {alpha:g}")
                        )
    statement = "Lower MI of the teacher goes with poorer distillation."
    if versus is None:
        out.append(rules.missing_stage("C13", "C13e", statement, reasons[1]))
    else:
        # lsrepro.information.files.information_vs_distillation writes spearman_rho and its
        # bootstrap interval as spearman_ci_lower / spearman_ci_upper on every row
        versus = versus.rename(
            columns={
                "spearman_rho": "spearman",
                "spearman_ci_lower": "ci_lower",
                "spearman_ci_upper": "ci_upper",
            }
        )
        _require(versus, ("teacher_alpha", "spearman", "ci_lower", "ci_upper"), "mi_vs_distill")
        first = versus.iloc[0]
        out.append(
            rules.c13e_mi_tracks_distillation(
                first["spearman"], first["ci_lower"], first["ci_upper"], len(versus)
            ).but(experiments="teachers of Fig. 5", settings="teacher α > 0")
        )
    return out


# --- the tables ---------------------------------------------------------------------------------


def _frame(verdicts: Sequence[Verdict]) -> pd.DataFrame:
    rows = [
        {
            "claim": v.claim,
            "subclaim": v.subclaim,
            "statement": v.statement,
            "experiments": v.experiments,
            "settings": v.settings,
            "measured": v.measured_text(),
            "rule": v.rule,
            "verdict": v.verdict,
            "leaning": v.leaning,
            "reason": v.reason,
            "paper": v.paper,
        }
        for v in verdicts
    ]
    return pd.DataFrame(rows, columns=list(CLAIMS_COLUMNS))


def judge_claims(
    paths: Paths,
    *,
    representation_pairs: Mapping[str, Mapping[str, object]] | None = None,
    calibration_pairs: Mapping[str, Mapping[str, object]] | None = None,
    translation_split: str = "test",
    out: Path | str | None = None,
    verdicts_out: Path | str | None = None,
) -> pd.DataFrame:
    """Judge every claim C1–C13 from the stage tables in ``paths`` (keys: :data:`INPUTS`).

    Args:
        paths: input key -> CSV path (``reliability``: one path or a list); absent, None or a
            missing file makes that stage's claims "not run".
        representation_pairs, calibration_pairs: comparisons ``{name: {"hard": experiment,
            "smooth": experiment, "alpha": α}}`` (the config's ``representation.figures`` and
            ``calibration.figures`` restricted to the run); None derives one per experiment
            that has α = 0 and a positive α (representation: α = 0.1; calibration: the α of its
            Table 3 row, CIFAR-100 0.05; else 0.1; else the smallest positive α).
        translation_split: split of the translation table C10 is judged on.
        out: where to write ``claims.csv`` (columns :data:`CLAIMS_COLUMNS`).
        verdicts_out: where to write the compact front-page table (:func:`verdict_table`).

    Returns:
        One row per judged (sub-)claim and comparison, in claim order.
    """
    unknown = sorted(set(paths) - set(INPUTS))
    if unknown:
        raise KeyError(f"unknown inputs {unknown}; expected keys among {sorted(INPUTS)}")
    tables = {key: _load(paths, key) for key in INPUTS}
    verdicts: list[Verdict] = []
    verdicts += _representation(
        tables["geometry_summary"][0],
        tables["geometry_per_seed"][0],
        (tables["geometry_summary"][1], tables["geometry_per_seed"][1]),
        representation_pairs,
    )
    verdicts += _calibration(
        tables["calibration_summary"][0],
        tables["reliability"][0],
        (tables["calibration_summary"][1], tables["reliability"][1]),
        calibration_pairs,
    )
    verdicts += _translation(*tables["translation_per_seed"], translation_split)
    verdicts += _mnist_toy(*tables["mnist_toy_per_seed"])
    verdicts += _fig5(*tables["fig5_distillation"])
    verdicts += _information(
        tables["information_summary"][0],
        tables["information_vs_distillation"][0],
        (tables["information_summary"][1], tables["information_vs_distillation"][1]),
    )
    order = {f"C{i}": i for i in range(1, 14)}
    verdicts.sort(key=lambda v: (order[v.claim], v.subclaim))  # stable within a sub-claim
    frame = _frame(verdicts)
    if out is not None:
        write_csv(frame, out)
    if verdicts_out is not None:
        write_csv(verdict_table(frame), verdicts_out)
    return frame


def verdict_table(claims: pd.DataFrame) -> pd.DataFrame:
    """The compact table of the report's front page: one row per sub-claim, in claim order.

    Columns: ``claim`` (the sub-claim id), ``statement``, ``verdict`` (the verdicts over the
    comparisons it was judged on, counted, e.g. "2 supported, 1 inconclusive (1 agrees)"), and
    ``where`` (each comparison's experiments and verdict, or why it was not run). The per-
    comparison numbers and rules are in ``claims.csv``.
    """
    rows = []
    for sub, group in claims.groupby("subclaim", sort=False):
        counts = []
        for verdict in rules.VERDICTS:
            chosen = group.loc[group["verdict"] == verdict]
            if chosen.empty:
                continue
            text = f"{len(chosen)} {verdict}"
            leans = chosen["leaning"].loc[chosen["leaning"] != ""].value_counts()
            if verdict == rules.INCONCLUSIVE and len(leans):
                text += " (" + ", ".join(f"{n} {lean}" for lean, n in leans.items()) + ")"
            counts.append(text)
        if (group["verdict"] == rules.NOT_RUN).all() and group["reason"].nunique() == 1:
            where = group["reason"].iloc[0]
        else:
            where = "; ".join(
                f"{r.experiments or '-'}: {r.verdict}"
                + (f" ({r.leaning})" if r.verdict == rules.INCONCLUSIVE and r.leaning else "")
                for r in group.itertuples()
            )
        rows.append(
            {
                "claim": sub,
                "statement": group["statement"].iloc[0],
                "verdict": ", ".join(counts),
                "where": where,
            }
        )
    return pd.DataFrame(rows, columns=["claim", "statement", "verdict", "where"])


# --- paper vs ours ------------------------------------------------------------------------------


def _row(
    source: str,
    quantity: str,
    dataset: str,
    architecture: str,
    setting: str,
    unit: str,
    paper_value: float,
    pm: float | None,
    val: Interval,
    test: Interval,
) -> dict[str, object]:
    use, split = (val, "val") if not val.is_missing else (test, "test")
    diff = use.mean - paper_value if not use.is_missing else math.nan
    within = pd.NA if pm is None or use.is_missing else bool(abs(diff) <= pm + ATOL)
    return {
        "source": source,
        "quantity": quantity,
        "dataset": dataset,
        "architecture": architecture,
        "setting": setting,
        "unit": unit,
        "paper": paper_value,
        "paper_pm": math.nan if pm is None else pm,
        "val_mean": val.mean,
        "val_low": val.low,
        "val_high": val.high,
        "val_n": val.n,
        "test_mean": test.mean,
        "test_low": test.low,
        "test_high": test.high,
        "test_n": test.n,
        "difference": diff,
        "difference_split": split if not use.is_missing else "",
        "within_band": within,
    }


def paper_vs_ours_frame(
    calibration_summary: pd.DataFrame | None,
    mnist_toy: pd.DataFrame | None = None,
    translation: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every number the paper prints beside ours: Table 2, Table 3 (with its T and α), the MNIST
    toy test errors. One row per paper number; ours on val and test (mean and 95 % interval over
    seeds; NaN and n = 0 where we did not run it); ``difference`` = ours − paper on val (test
    where only test exists, e.g. the MNIST toy); ``within_band`` = |difference| ≤ the paper's ±
    (NA where the paper gives no ±). Units as the paper: accuracy and error in %, ECE fraction.
    """
    rows: list[dict[str, object]] = []
    cal = calibration_summary
    if cal is not None and "variable" in cal.columns:
        cal = cal.loc[cal["variable"] == "estimate"]
    if cal is not None:
        cal = cal.assign(
            _d=cal["dataset"].map(paper.normalise_name),
            _a=cal["architecture"].map(paper.normalise_name),
        )

    def cell(r, alpha: float, split: str, scaling: str, metric: str) -> Interval:
        if cal is None:
            return Interval.missing()
        return _summary_interval(
            cal,
            "calibration",
            _d=paper.normalise_name(r.dataset),
            _a=paper.normalise_name(r.architecture),
            alpha=alpha,
            split=split,
            scaling=scaling,
            metric=metric,
        )

    for r in paper.TABLE2:
        for alpha, value, pm in (
            (0.0, r.accuracy_alpha0, r.pm_alpha0),
            (0.1, r.accuracy_alpha01, r.pm_alpha01),
        ):
            val, test = (
                cell(r, alpha, s, "none", "accuracy").scaled(100.0) for s in ("val", "test")
            )
            rows.append(
                _row(
                    "Table 2",
                    "top-1 accuracy",
                    r.dataset,
                    r.architecture,
                    f"α = {alpha:g}",
                    "%",
                    value,
                    pm,
                    val,
                    test,
                )
            )
    tr = _translation_cells(translation)
    for r in paper.TABLE3:
        if paper.normalise_name(r.dataset) == "ende":
            get = tr
        else:

            def get(alpha, split, scaling, metric, _r=r):
                return cell(_r, alpha, split, scaling, metric)

        entries = (
            ("baseline ECE", "α = 0, T = 1", r.baseline_ece, (0.0, "none", "ece")),
            (
                "TS temperature T",
                "α = 0, T fitted on val",
                r.ts_temperature,
                (0.0, "temperature", "temperature"),
            ),
            ("TS ECE", "α = 0, T fitted on val", r.ts_ece, (0.0, "temperature", "ece")),
            ("LS ECE", f"α = {r.ls_alpha:g}, T = 1", r.ls_ece, (r.ls_alpha, "none", "ece")),
        )
        for quantity, setting, value, (alpha, scaling, metric) in entries:
            val, test = (get(alpha, s, scaling, metric) for s in ("val", "test"))
            unit = "" if metric == "temperature" else "fraction"
            rows.append(
                _row(
                    "Table 3",
                    quantity,
                    r.dataset,
                    r.architecture,
                    setting,
                    unit,
                    value,
                    None,
                    val,
                    test,
                )
            )
    for t in paper.MNIST_TOY:
        test = Interval.missing()
        if mnist_toy is not None:
            _require(mnist_toy, ("role", "seed", "test_error"), "mnist_toy_per_seed")
            values = mnist_toy.loc[mnist_toy["role"] == t.role, "test_error"].to_numpy()
            test = Interval.from_values(values).scaled(100.0)
        rows.append(
            _row(
                "§4 MNIST toy",
                f"test error, {t.description}",
                "MNIST",
                "fully connected",
                t.role,
                "%",
                t.test_error,
                None,
                Interval.missing(),
                test,
            )
        )
    return pd.DataFrame(rows, columns=list(PAPER_COLUMNS))


def _translation_cells(frame: pd.DataFrame | None) -> Callable[..., Interval]:
    """Table 3's EN-DE cells from the translation table: (α, split, scaling, metric) -> Interval;
    scaling "none" = the grid row at T = 1, "temperature" = each seed's fitted T."""

    def get(alpha: float, split: str, scaling: str, metric: str) -> Interval:
        if frame is None:
            return Interval.missing()
        fitted = frame["fitted"].astype(str).str.lower().isin(["true", "1"])
        rows = frame.loc[(frame["split"] == split) & _close(frame["alpha"], alpha)]
        rows = (
            rows.loc[fitted[rows.index]]
            if scaling == "temperature"
            else rows.loc[~fitted[rows.index] & _close(rows["temperature"], 1.0)]
        )
        return Interval.from_values(rows[metric].to_numpy())

    return get


def paper_vs_ours(paths: Paths, *, out: Path | str | None = None) -> pd.DataFrame:
    """:func:`paper_vs_ours_frame` from the files in ``paths`` (keys ``calibration_summary``,
    ``mnist_toy_per_seed``, ``translation_per_seed``; absent ones leave our columns empty);
    written to ``out`` (``results/tables/paper_vs_ours.csv``) if given."""
    cal, _ = _load(paths, "calibration_summary")
    toy, _ = _load(paths, "mnist_toy_per_seed")
    translation, _ = _load(paths, "translation_per_seed")
    frame = paper_vs_ours_frame(cal, toy, translation)
    if out is not None:
        write_csv(frame, out)
    return frame
