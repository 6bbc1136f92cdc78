"""File-level entry points of the MI stage (called by the workflow scripts; paper §4, Fig. 6, C13).

Artifacts:

* examples ``.npz`` (:func:`select_examples_file`): ``rows`` (N,) int64 rows of the official
  training set (all inside the train part of the split), ``labels`` (N,) int64, ``classes`` (2,)
  int64 class ids (a, b) with y = logit_a − logit_b, ``class_names`` (2,), ``per_class``,
  ``seed``, ``split_digest``;
* ``mi.csv`` (:func:`estimate_information_file`): one row per snapshot, columns
  :data:`lsrepro.information.experiment.CURVE_COLUMNS`;
* per-seed and summary tables (:func:`tabulate_information`);
* the teacher-MI vs student-accuracy table (:func:`information_vs_distillation`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from lsrepro.data.images import load_prepared, load_split
from lsrepro.information.experiment import CURVE_COLUMNS, information_curve, select_examples
from lsrepro.integrity import reading
from lsrepro.io import atomic_savez, write_csv
from lsrepro.runtime import pick_device
from lsrepro.stats import summarize_over_seeds

log = logging.getLogger(__name__)

__all__ = [
    "SUMMARY_VALUES",
    "estimate_information_file",
    "information_vs_distillation",
    "select_examples_file",
    "snapshot_paths",
    "spearman_bootstrap",
    "tabulate_information",
]

#: Columns of ``mi.csv`` summarised over seeds by :func:`tabulate_information`.
SUMMARY_VALUES: tuple[str, ...] = (
    "mi",
    "mi_insample",
    "mi_lower",
    "mi_upper",
    "var_between",
    "var_within",
    "mi_reference",
    "log_n",
)

_RUN_KEYS = ("experiment", "alpha", "seed")
_SNAPSHOT = re.compile(r"step~(\d+)\.pt")


def select_examples_file(
    prepared: Path | str,
    split: Path | str,
    classes_by_name: Sequence[str],
    per_class: int,
    seed: int,
    out: Path | str,
) -> np.ndarray:
    """Draw the MI examples (paper: 300 "airplane" + 300 "dog") from the training split; save them.

    Args:
        prepared: the prepared dataset ``.npz`` (:func:`lsrepro.data.images.save_prepared`).
        split: the train/validation split ``.npz`` (:func:`lsrepro.data.images.save_split`).
        classes_by_name: the two class names (a, b), in the order of the logit difference.
        per_class: examples per class.
        seed: draw seed.
        out: the examples ``.npz`` (see the module docstring).

    Returns:
        (2 · per_class,) int64 rows of the official training set.
    """
    data = load_prepared(Path(prepared))
    names = [str(c) for c in data.class_names]
    wanted = [str(c) for c in classes_by_name]
    if len(wanted) != 2 or wanted[0] == wanted[1]:
        raise ValueError(f"the MI needs two distinct class names, got {wanted}")
    unknown = [c for c in wanted if c not in names]
    if unknown:
        raise ValueError(f"unknown class name(s) {unknown}; valid names are: {', '.join(names)}")
    classes = (names.index(wanted[0]), names.index(wanted[1]))
    sp = load_split(Path(split))
    pool = np.asarray(sp.train, dtype=np.int64)
    positions = select_examples(data.y_train[pool], classes, per_class, seed)
    rows = pool[positions]
    atomic_savez(
        out,
        rows=rows,
        labels=data.y_train[rows].astype(np.int64),
        classes=np.asarray(classes, dtype=np.int64),
        class_names=np.asarray(wanted),
        per_class=np.int64(per_class),
        seed=np.int64(seed),
        split_digest=np.asarray(sp.digest),
    )
    return rows


def snapshot_paths(snapshots_dir: Path | str) -> list[Path]:
    """All ``step~{k}.pt`` files of a run's snapshot directory, in increasing step order."""
    found = [
        (int(m.group(1)), p)
        for p in Path(snapshots_dir).iterdir()
        if (m := _SNAPSHOT.fullmatch(p.name))
    ]
    if not found:
        raise FileNotFoundError(
            f"no step~*.pt snapshots in {snapshots_dir}; the recipe needs snapshot_steps"
        )
    return [p for _, p in sorted(found)]


def estimate_information_file(
    snapshots_dir: Path | str,
    prepared: Path | str,
    examples: Path | str,
    out_csv: Path | str,
    draws: int,
    reference_draws: int,
    seed: int,
    threads: int = 1,
    reference_at: Sequence[str] = ("first", "peak", "last"),
) -> pd.DataFrame:
    """Fig. 6 curve of one run: MI at each of its snapshots, written to ``out_csv`` (``mi.csv``).

    Runs on CUDA when present (the job's GPU), else on the CPU with ``threads`` threads.
    """
    import torch

    torch.set_num_threads(int(threads))
    paths = snapshot_paths(snapshots_dir)
    with reading(examples, "MI examples", "select_information_examples"), np.load(examples) as z:
        rows, labels = z["rows"], z["labels"]
        classes = (int(z["classes"][0]), int(z["classes"][1]))
    data = load_prepared(Path(prepared))
    if not np.array_equal(data.y_train[rows], labels):
        raise ValueError(f"{examples}: labels do not match {prepared}; re-draw the examples")
    device = pick_device()
    log.info("MI of %d snapshots on %s, N=%d, L=%d", len(paths), device, rows.size, draws)
    curve = information_curve(
        paths,
        data.x_train[rows],
        classes,
        draws=draws,
        reference_draws=reference_draws,
        reference_at=tuple(reference_at),
        seed=seed,
        device=device,
    )
    write_csv(curve, out_csv)
    return curve


def tabulate_information(
    files: Sequence[Path | str],
    runs: Sequence[Mapping[str, object]],
    confidence: float,
    per_seed_out: Path | str,
    summary_out: Path | str,
) -> pd.DataFrame:
    """Collect the runs' ``mi.csv`` and summarise them over seeds (Fig. 6 bands, claim C13).

    Args:
        files: one ``mi.csv`` per run.
        runs: the run keys of each file, in the same order; must contain ``experiment``,
            ``alpha`` and ``seed``; every key but ``seed`` becomes a grouping column.
        confidence: coverage of the t-interval.
        per_seed_out: all rows with the run keys in front.
        summary_out: per (run keys without seed, step) and variable of :data:`SUMMARY_VALUES`:
            ``n``, ``mean``, ``std``, ``ci_lower``, ``ci_upper`` (from
            :func:`lsrepro.stats.summarize_over_seeds`), ``min``, ``max``.

    Returns:
        The summary.
    """
    if len(files) != len(runs):
        raise ValueError(f"{len(files)} files but {len(runs)} run descriptions")
    if not files:
        raise ValueError("no mi.csv files to tabulate")
    tables = []
    for path, run in zip(files, runs, strict=True):
        missing = [k for k in _RUN_KEYS if k not in run]
        if missing:
            raise ValueError(f"run {dict(run)} of {path} lacks key(s) {missing}")
        curve = pd.read_csv(path)
        absent = [c for c in CURVE_COLUMNS if c not in curve.columns]
        if absent:
            raise ValueError(f"{path} lacks column(s) {absent}; is it an mi.csv?")
        clash = [k for k in run if k in curve.columns]
        if clash:
            raise ValueError(f"run key(s) {clash} clash with mi.csv columns")
        tables.append(curve.assign(**dict(run))[[*run, *CURVE_COLUMNS]])
    per_seed = pd.concat(tables, ignore_index=True)
    by = [k for k in runs[0] if k != "seed"] + ["step"]
    summary = summarize_over_seeds(per_seed, by, list(SUMMARY_VALUES), confidence=confidence)
    long = per_seed.melt(id_vars=by, value_vars=list(SUMMARY_VALUES), var_name="variable")
    extremes = (
        long.groupby([*by, "variable"], sort=True, dropna=False)["value"]
        .agg(min="min", max="max")
        .reset_index()
    )
    summary = summary.merge(extremes, on=[*by, "variable"], how="left", validate="one_to_one")
    write_csv(per_seed, per_seed_out)
    write_csv(summary, summary_out)
    return summary


def _final_mi(summary: pd.DataFrame, experiment: str | None) -> pd.DataFrame:
    """Per α: the ``mi`` summary row at the last step (``mean``, ``min``, ``max``, ``n``)."""
    missing = [
        c
        for c in ("alpha", "step", "variable", "mean", "min", "max", "n")
        if c not in summary.columns
    ]
    if missing:
        raise ValueError(f"MI summary lacks column(s) {missing}; use tabulate_information's")
    mi = summary.loc[summary["variable"] == "mi"]
    if "experiment" in mi.columns:
        experiments = sorted(mi["experiment"].astype(str).unique())
        if experiment is None and len(experiments) > 1:
            raise ValueError(f"MI summary has experiments {experiments}; name one")
        if experiment is not None:
            if experiment not in experiments:
                raise ValueError(f"experiment {experiment!r} not in the summary ({experiments})")
            mi = mi.loc[mi["experiment"].astype(str) == experiment]
    last = mi.loc[mi.groupby("alpha")["step"].idxmax()]
    return pd.DataFrame(
        {
            "teacher_alpha": last["alpha"].astype(float).to_numpy(),
            "mi_step": last["step"].astype(int).to_numpy(),
            "mi_final_mean": last["mean"].to_numpy(),
            "mi_final_min": last["min"].to_numpy(),
            "mi_final_max": last["max"].to_numpy(),
            "mi_seeds": last["n"].astype(int).to_numpy(),
        }
    )


def _students(fig5: pd.DataFrame) -> pd.DataFrame:
    """Per teacher α: mean/min/max student accuracy (T = 1) over seeds."""
    needed = ("curve", "teacher_alpha", "temperature", "seed", "val_accuracy", "test_accuracy")
    missing = [c for c in needed if c not in fig5.columns]
    if missing:
        raise ValueError(f"Fig. 5 per-seed table lacks column(s) {missing}")
    t1 = np.isclose(fig5["temperature"].astype(float), 1.0)
    alpha0 = np.isclose(fig5["teacher_alpha"].astype(float), 0.0)
    keep = ((fig5["curve"] == "student_ls_teacher") & t1) | (
        (fig5["curve"] == "student_hard_teacher") & t1 & alpha0
    )
    students = fig5.loc[keep].copy()
    students["teacher_alpha"] = students["teacher_alpha"].astype(float).round(9)
    out = students.groupby("teacher_alpha").agg(
        student_seeds=("seed", "nunique"),
        student_val_accuracy_mean=("val_accuracy", "mean"),
        student_val_accuracy_min=("val_accuracy", "min"),
        student_val_accuracy_max=("val_accuracy", "max"),
        student_test_accuracy_mean=("test_accuracy", "mean"),
        student_test_accuracy_min=("test_accuracy", "min"),
        student_test_accuracy_max=("test_accuracy", "max"),
    )
    return out.reset_index()


def spearman_bootstrap(
    x: np.ndarray, y: np.ndarray, *, n_boot: int, confidence: float, seed: int
) -> tuple[float, float, float]:
    """Spearman ρ of (x, y) and its percentile bootstrap interval over pairs (teachers).

    Resamples with fewer than 3 distinct pairs or a constant coordinate (ρ undefined) are
    dropped. Fewer than 3 pairs: all NaN.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = x.size
    if n < 3:
        return np.nan, np.nan, np.nan
    rho = float(stats.spearmanr(x, y).statistic)
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        idx = rng.integers(0, n, n)
        if np.unique(idx).size < 3 or np.ptp(x[idx]) == 0 or np.ptp(y[idx]) == 0:
            continue
        boots.append(stats.spearmanr(x[idx], y[idx]).statistic)
    boots_arr = np.asarray(boots, dtype=float)
    boots_arr = boots_arr[np.isfinite(boots_arr)]
    if boots_arr.size == 0:
        return rho, np.nan, np.nan
    tail = 100.0 * (1.0 - confidence) / 2.0
    lo, hi = np.percentile(boots_arr, [tail, 100.0 - tail])
    return rho, float(lo), float(hi)


def information_vs_distillation(
    mi_summary_csv: Path | str,
    fig5_csv: Path | str,
    out_csv: Path | str,
    *,
    experiment: str | None = None,
    accuracy: str = "val_accuracy",
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Second half of C13: the teacher's final MI against its students' accuracy, per teacher α.

    Teachers are the α values present in both inputs: the MI summary's last step (mean over the
    teacher's seeds) and the Fig. 5 students distilled at T = 1 (``student_ls_teacher``, plus the
    α = 0 teacher's ``student_hard_teacher`` at T = 1). The paper's reading predicts a positive
    rank correlation (lower MI ⇔ poorer distillation).

    Args:
        mi_summary_csv: :func:`tabulate_information`'s summary.
        fig5_csv: Fig. 5 per-seed table (columns curve, teacher_alpha, temperature, gamma, seed,
            val_accuracy, test_accuracy; accuracies as fractions).
        out_csv: the table below.
        experiment: the MI experiment of the distillation teachers (needed when the summary
            holds several).
        accuracy: ``val_accuracy`` (the paper's protocol) or ``test_accuracy``: the column the
            rank correlation uses.
        confidence, n_boot, seed: percentile bootstrap over teachers.

    Returns:
        One row per teacher α: ``teacher_alpha``, ``mi_step``, ``mi_final_mean/min/max``,
        ``mi_seeds``, ``student_seeds``, ``student_{val,test}_accuracy_{mean,min,max}``, and,
        the same on every row, ``accuracy`` (the correlated column), ``spearman_rho``,
        ``spearman_ci_lower``, ``spearman_ci_upper``, ``n_teachers``.
    """
    if accuracy not in ("val_accuracy", "test_accuracy"):
        raise ValueError(f"accuracy must be 'val_accuracy' or 'test_accuracy', got {accuracy!r}")
    mi = _final_mi(pd.read_csv(mi_summary_csv), experiment)
    mi["teacher_alpha"] = mi["teacher_alpha"].round(9)
    students = _students(pd.read_csv(fig5_csv))
    table = mi.merge(students, on="teacher_alpha", how="inner").sort_values("teacher_alpha")
    rho, lo, hi = spearman_bootstrap(
        table["mi_final_mean"].to_numpy(),
        table[f"student_{accuracy}_mean"].to_numpy(),
        n_boot=n_boot,
        confidence=confidence,
        seed=seed,
    )
    table = table.assign(
        accuracy=accuracy,
        spearman_rho=rho,
        spearman_ci_lower=lo,
        spearman_ci_upper=hi,
        n_teachers=len(table),
    ).reset_index(drop=True)
    write_csv(table, out_csv)
    return table
