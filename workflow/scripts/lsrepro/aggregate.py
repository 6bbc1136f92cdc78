"""Aggregation over seeds and the paper's tables (Table 2 accuracy, Table 3 calibration).

Per-seed results are long tables with one row per (model, split, scaling, metric) and a value
column (``estimate`` from :func:`lsrepro.calibration.calibration_report`). They are summarised
over seeds with :func:`lsrepro.stats.summarize_over_seeds`; the table builders read that
summary, which must have the columns of :data:`SUMMARY_COLUMNS`:

* ``dataset``, ``architecture``: names, matched to the paper's after
  :func:`lsrepro.paper.normalise_name` (``cifar100`` matches ``CIFAR-100``);
* ``alpha``: label-smoothing α (float); ``split``: ``"val"`` or ``"test"``;
* ``scaling``: ``"none"`` (T = 1) or the name of a temperature-scaling method, by default
  ``"temperature"`` (T fitted on the validation split by NLL, applied to both splits);
* ``metric``: e.g. ``"accuracy"`` (fraction), ``"ece"`` (fraction), ``"temperature"``;
* ``mean``, ``std``, ``n``: from :func:`summarize_over_seeds`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from lsrepro.paper import AccuracyRow, CalibrationRow, normalise_name
from lsrepro.stats import summarize_over_seeds

__all__ = [
    "SUMMARY_COLUMNS",
    "summarize_over_seeds",
    "table2_accuracy",
    "table3_calibration",
    "to_markdown",
]

SUMMARY_COLUMNS: tuple[str, ...] = (
    "dataset",
    "architecture",
    "alpha",
    "split",
    "scaling",
    "metric",
    "mean",
    "std",
    "n",
)


def _pairs(summary: pd.DataFrame) -> set[tuple[str, str]]:
    return {
        (normalise_name(d), normalise_name(a))
        for d, a in zip(summary["dataset"], summary["architecture"], strict=True)
    }


def _cell(
    summary: pd.DataFrame,
    dataset: str,
    architecture: str,
    *,
    alpha: float,
    split: str,
    scaling: str,
    metric: str,
) -> tuple[float, float, int]:
    """``(mean, std, n)`` of one summary cell; ``(nan, nan, 0)`` when absent."""
    mask = (
        (summary["_dataset"] == normalise_name(dataset))
        & (summary["_architecture"] == normalise_name(architecture))
        & np.isclose(summary["alpha"].astype(float), alpha, rtol=0.0, atol=1e-9)
        & (summary["split"] == split)
        & (summary["scaling"] == scaling)
        & (summary["metric"] == metric)
    )
    rows = summary.loc[mask]
    if rows.empty:
        return np.nan, np.nan, 0
    if len(rows) > 1:
        raise ValueError(
            f"{len(rows)} summary rows for {dataset}/{architecture} alpha={alpha} split={split} "
            f"scaling={scaling} metric={metric}; expected one (summarise over seeds first)"
        )
    row = rows.iloc[0]
    return float(row["mean"]), float(row["std"]), int(row["n"])


def _prepare(summary: pd.DataFrame, variable: str | None) -> pd.DataFrame:
    missing = [c for c in SUMMARY_COLUMNS if c not in summary.columns]
    if missing:
        raise KeyError(f"summary lacks columns {missing}; expected {list(SUMMARY_COLUMNS)}")
    s = summary
    if variable is not None and "variable" in s.columns:
        s = s.loc[s["variable"] == variable]
    s = s.copy()
    s["_dataset"] = s["dataset"].map(normalise_name)
    s["_architecture"] = s["architecture"].map(normalise_name)
    return s


def _ours(
    row: dict[str, object],
    prefix: str,
    summary: pd.DataFrame,
    paper_value: float,
    key: tuple[str, str],
    *,
    alpha: float,
    scaling: str,
    metric: str,
    scale: float = 1.0,
) -> None:
    """Add ``{prefix} val``, ``val std``, ``test``, ``test std``, ``val - paper``, ``seeds``."""
    val = _cell(summary, *key, alpha=alpha, split="val", scaling=scaling, metric=metric)
    test = _cell(summary, *key, alpha=alpha, split="test", scaling=scaling, metric=metric)
    row[f"{prefix} val"] = scale * val[0]
    row[f"{prefix} val std"] = scale * val[1]
    row[f"{prefix} test"] = scale * test[0]
    row[f"{prefix} test std"] = scale * test[1]
    row[f"{prefix} val - paper"] = scale * val[0] - paper_value
    row[f"{prefix} seeds"] = val[2]


def table2_accuracy(
    summary: pd.DataFrame,
    paper_rows: Iterable[AccuracyRow],
    *,
    scaling: str = "none",
    variable: str | None = "estimate",
) -> pd.DataFrame:
    """Table 2 of the paper beside ours: top-1 accuracy (%) at α = 0.0 and α = 0.1.

    One row per paper row whose dataset/architecture pair occurs in ``summary``. For each α the
    columns are ``alpha=<α> paper``, ``alpha=<α> paper pm`` (the paper's ±), ``... val`` and
    ``... val std`` (ours on the validation split, the paper's protocol; mean and std over seeds),
    ``... test`` and ``... test std`` (ours on the held-out test set), ``... val - paper`` and
    ``... seeds`` (seeds behind the validation mean). Accuracies in percent; ours are the
    summary's fractions times 100.

    Args:
        summary: over-seed summary with :data:`SUMMARY_COLUMNS` (see the module docstring).
        paper_rows: :data:`lsrepro.paper.TABLE2`.
        scaling: which ``scaling`` rows hold the accuracy (argmax does not depend on T > 0).
        variable: keep only summary rows with this ``variable`` (if that column exists).
    """
    s = _prepare(summary, variable)
    present = _pairs(s)
    rows = []
    for pr in paper_rows:
        key = (pr.dataset, pr.architecture)
        if (normalise_name(pr.dataset), normalise_name(pr.architecture)) not in present:
            continue
        row: dict[str, object] = {"dataset": pr.dataset, "architecture": pr.architecture}
        for alpha, paper, pm in (
            (0.0, pr.accuracy_alpha0, pr.pm_alpha0),
            (0.1, pr.accuracy_alpha01, pr.pm_alpha01),
        ):
            prefix = f"alpha={alpha:g}"
            row[f"{prefix} paper"] = paper
            row[f"{prefix} paper pm"] = np.nan if pm is None else pm
            _ours(
                row,
                prefix,
                s,
                paper,
                key,
                alpha=alpha,
                scaling=scaling,
                metric="accuracy",
                scale=100.0,
            )
        rows.append(row)
    return pd.DataFrame(rows)


def table3_calibration(
    summary: pd.DataFrame,
    paper_rows: Iterable[CalibrationRow],
    *,
    ts_scaling: str = "temperature",
    metric: str = "ece",
    variable: str | None = "estimate",
) -> pd.DataFrame:
    """Table 3 of the paper beside ours: ECE of the baseline, of temperature scaling and of LS.

    One row per paper row whose dataset/architecture pair occurs in ``summary``; three blocks,
    each with the paper's number and ours on validation (the paper's protocol; for TS the
    temperature is fitted on the same validation split, as the paper's a-posteriori tuning),
    on test (temperature from validation), and validation minus paper:

    * ``baseline ECE ...``: α = 0, T = 1 (``scaling == "none"``);
    * ``TS T paper``, ``TS T ours`` (+ ``std``, mean of the validation-fitted temperatures) and
      ``TS ECE ...``: α = 0 with ``scaling == ts_scaling``;
    * ``LS alpha`` (the paper's α) and ``LS ECE ...``: α = paper's α, T = 1.

    ECE as a fraction. Missing cells are NaN (e.g. α = 0.05 not trained).

    Args:
        summary: over-seed summary with :data:`SUMMARY_COLUMNS`.
        paper_rows: :data:`lsrepro.paper.TABLE3`.
        ts_scaling: ``scaling`` label of the temperature-scaled rows.
        metric: the calibration metric to tabulate (the paper: 15-bin ``"ece"``).
        variable: keep only summary rows with this ``variable`` (if that column exists).
    """
    s = _prepare(summary, variable)
    present = _pairs(s)
    rows = []
    for pr in paper_rows:
        key = (pr.dataset, pr.architecture)
        if (normalise_name(pr.dataset), normalise_name(pr.architecture)) not in present:
            continue
        row: dict[str, object] = {"dataset": pr.dataset, "architecture": pr.architecture}
        row["baseline ECE paper"] = pr.baseline_ece
        _ours(
            row, "baseline ECE", s, pr.baseline_ece, key, alpha=0.0, scaling="none", metric=metric
        )
        t_mean, t_std, _ = _cell(
            s, *key, alpha=0.0, split="val", scaling=ts_scaling, metric="temperature"
        )
        row["TS T paper"] = pr.ts_temperature
        row["TS T ours"] = t_mean
        row["TS T ours std"] = t_std
        row["TS ECE paper"] = pr.ts_ece
        _ours(row, "TS ECE", s, pr.ts_ece, key, alpha=0.0, scaling=ts_scaling, metric=metric)
        row["LS alpha"] = pr.ls_alpha
        row["LS ECE paper"] = pr.ls_ece
        _ours(row, "LS ECE", s, pr.ls_ece, key, alpha=pr.ls_alpha, scaling="none", metric=metric)
        rows.append(row)
    return pd.DataFrame(rows)


def to_markdown(table: pd.DataFrame, digits: int | Sequence[int] = 3) -> str:
    """GitHub-flavoured Markdown of a table (no ``tabulate`` dependency); NaN prints as ``-``.

    ``digits``: decimals for every float column, or one entry per column.
    """
    cols = list(table.columns)
    per_col = [digits] * len(cols) if isinstance(digits, int) else list(digits)
    if len(per_col) != len(cols):
        raise ValueError(f"digits has {len(per_col)} entries for {len(cols)} columns")

    def fmt(value: object, d: int) -> str:
        if isinstance(value, float | np.floating):
            return "-" if np.isnan(value) else f"{value:.{d}f}"
        return str(value)

    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for record in table.itertuples(index=False):
        cells = [fmt(v, d) for v, d in zip(record, per_col, strict=True)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


#: The stage each benchmarked rule belongs to (the report's "cost" table sums per stage).
BENCHMARK_STAGES = {
    "train": "training",
    "evaluate": "evaluation",
    "distill": "distillation",
    "cache_teacher_outputs": "distillation",
    "estimate_information": "information",
    "train_translation": "translation",
    "evaluate_tokens": "translation",
    "decode_beam": "translation",
    "decode_beams": "translation",
    "project_translation": "translation",
}


def benchmark_cost(benchmarks_dir: Path | str) -> pd.DataFrame:
    """What a re-run costs: Snakemake's ``benchmark:`` files under ``benchmarks_dir``
    (``{rule}/.../*.tsv``) summed per rule and per stage.

    Columns: stage, rule, jobs, wall_s (sum of wall seconds), wall_s_max, cpu_s, max_rss_mb (the
    largest peak resident memory of one job); one row per rule and a ``total`` row per stage.
    """
    rows = []
    for path in sorted(Path(benchmarks_dir).rglob("*.tsv")):
        rule = path.relative_to(benchmarks_dir).parts[0]
        bench = pd.read_csv(path, sep="\t")
        if bench.empty:
            continue
        last = bench.iloc[-1]  # one row per repeat; the workflow runs each job once
        rows.append(
            {
                "stage": BENCHMARK_STAGES.get(rule, rule),
                "rule": rule,
                "wall_s": float(last["s"]),
                "cpu_s": float(last.get("cpu_time", np.nan)),
                "max_rss_mb": float(last["max_rss"]) if last["max_rss"] != "-" else np.nan,
            }
        )
    columns = ["stage", "rule", "jobs", "wall_s", "wall_s_max", "cpu_s", "max_rss_mb"]
    if not rows:
        return pd.DataFrame(columns=columns)
    jobs = pd.DataFrame(rows)
    jobs["max_rss_mb"] = pd.to_numeric(jobs["max_rss_mb"], errors="coerce")
    per_rule = (
        jobs.groupby(["stage", "rule"], sort=True)
        .agg(
            jobs=("wall_s", "size"),
            wall_s=("wall_s", "sum"),
            wall_s_max=("wall_s", "max"),
            cpu_s=("cpu_s", "sum"),
            max_rss_mb=("max_rss_mb", "max"),
        )
        .reset_index()
    )
    per_stage = (
        per_rule.groupby("stage", sort=True)
        .agg(
            jobs=("jobs", "sum"),
            wall_s=("wall_s", "sum"),
            wall_s_max=("wall_s_max", "max"),
            cpu_s=("cpu_s", "sum"),
            max_rss_mb=("max_rss_mb", "max"),
        )
        .reset_index()
        .assign(rule="total")
    )
    return pd.concat([per_rule, per_stage], ignore_index=True)[columns].round(2)
