"""File-level entry points of the calibration stage (``workflow/rules/calibration.smk``).

Each function reads the files a rule declares as input and writes the files it declares as
output; the maths lives beside it in this package. Inputs are the evaluation ``.npz`` artifacts
(arrays ``logits`` ``(N, K)`` and ``labels`` ``(N,)``). A run is identified in every table by
``experiment, dataset, architecture, alpha, seed``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from lsrepro import aggregate, paper
from lsrepro.artifacts.evaluation import load as load_evaluation
from lsrepro.calibration.bootstrap import calibration_report
from lsrepro.calibration.core import predictions_from_logits
from lsrepro.calibration.metrics import ece_from_bins, reliability_bins_from_vectors
from lsrepro.calibration.selective import selective_report
from lsrepro.calibration.temperature import fit_temperature, fit_temperature_ece
from lsrepro.figures import calibration as figs
from lsrepro.io import concat_csv, write_csv, write_json
from lsrepro.runs import DIRECT_TEACHER, GROUP_COLUMNS, RUN_COLUMNS

__all__ = [
    "calibration_metrics_files",
    "calibration_vs_alpha_figure",
    "fit_temperature_file",
    "reliability_curves",
    "reliability_figure",
    "scalings",
    "tabulate_calibration",
]

log = logging.getLogger(__name__)


def fit_temperature_file(
    val: Path | str,
    out: Path | str,
    *,
    tol: float,
    bounds: tuple[float, float],
    fit_by_ece: bool,
    n_bins: int,
) -> dict[str, Any]:
    """Fit T on the validation split by NLL (and, if asked, by ECE: the paper's a-posteriori way).

    A model whose NLL minimiser lies outside ``bounds`` (e.g. one no better than chance, which
    wants T -> inf) gets the bound, flagged ``at_bound`` in the JSON and warned about in the log;
    an ECE minimum on the grid's edge is flagged ``at_edge`` and warned about likewise.
    """
    arrays = load_evaluation(val)
    fit = fit_temperature(arrays["logits"], arrays["labels"], tol=tol, bounds=bounds)
    if fit.at_bound:
        log.warning("%s: %s (T = %g)", val, fit.method, fit.temperature)
    result: dict[str, Any] = {"fitted_on": "val", "n_examples": int(len(arrays["labels"]))}
    result["nll"] = fit.as_dict()
    if fit_by_ece:
        by_ece = fit_temperature_ece(arrays["logits"], arrays["labels"], n_bins=n_bins)
        if by_ece.at_edge:
            log.warning(
                "%s: the ECE-minimising T = %g is on the edge of the grid [%g, %g]",
                val,
                by_ece.temperature,
                by_ece.grid.min(),
                by_ece.grid.max(),
            )
        result["ece"] = {k: v for k, v in by_ece.as_dict().items() if k not in ("grid", "ece_grid")}
    write_json(out, result)
    return result


def scalings(fit: Mapping[str, Any]) -> dict[str, float]:
    """The temperatures a model is reported at: T = 1 and each fitted T, by name."""
    out = {"none": 1.0, "temperature": float(fit["nll"]["temperature"])}
    if "ece" in fit:
        out["temperature_ece"] = float(fit["ece"]["temperature"])
    return out


def calibration_metrics_files(
    *,
    val: Path | str,
    test: Path | str,
    fit: Path | str,
    run: Mapping[str, Any],
    n_bins: int,
    n_resamples: int,
    seed: int,
    confidence: float,
    smece_resamples: int | None,
    metrics_out: Path | str,
    reliability_out: Path | str,
) -> pd.DataFrame:
    """Every metric with bootstrap intervals for (val, test) x (T = 1, fitted T) of one model."""
    temps = scalings(json.loads(Path(fit).read_text()))
    tables, bins = [], []
    for split, path in (("val", val), ("test", test)):
        arrays = load_evaluation(path)
        for scaling, t in temps.items():
            report = calibration_report(
                arrays["logits"],
                arrays["labels"],
                temperature=t,
                n_bins=n_bins,
                n_resamples=n_resamples,
                seed=seed,
                confidence=confidence,
                smece_resamples=smece_resamples,
            )
            # the run's own columns hold "temperature" (a student's distillation T): the
            # temperature this report applies is "scaling_temperature"
            report = report.rename(columns={"temperature": "scaling_temperature"})
            tables.append(report.assign(split=split, scaling=scaling))
            pred = predictions_from_logits(arrays["logits"], arrays["labels"], t)
            # selective classification (issue 18, C9b): AURC, risk at fixed coverage
            sel = selective_report(
                pred.confidence,
                pred.correct,
                n_resamples=n_resamples,
                seed=seed,
                confidence_level=confidence,
            )
            tables.append(sel.assign(split=split, scaling=scaling, scaling_temperature=t))
            rel = reliability_bins_from_vectors(pred.confidence, pred.correct, n_bins)
            bins.append(rel.assign(split=split, scaling=scaling, scaling_temperature=t))
    table = _with_run(pd.concat(tables, ignore_index=True), run)
    write_csv(table, metrics_out)
    write_csv(_with_run(pd.concat(bins, ignore_index=True), run), reliability_out)
    return table


def _with_run(frame: pd.DataFrame, run: Mapping[str, Any]) -> pd.DataFrame:
    ids = pd.DataFrame({key: [run[key]] * len(frame) for key in RUN_COLUMNS})
    return pd.concat([ids, frame.reset_index(drop=True)], axis=1)


def tabulate_calibration(
    metric_files: Sequence[Path | str],
    *,
    confidence: float,
    per_seed_out: Path | str,
    summary_out: Path | str,
    table2_out: Path | str,
    table3_out: Path | str,
) -> pd.DataFrame:
    """Gather per-run metrics, summarise over seeds, and build the paper's Tables 2 and 3."""
    per_seed = concat_csv(metric_files)
    write_csv(per_seed, per_seed_out)
    by = [*GROUP_COLUMNS, "split", "scaling", "metric"]
    summary = aggregate.summarize_over_seeds(
        per_seed, by=by, values=["estimate"], confidence=confidence
    )
    direct = summary[summary["teacher"] == DIRECT_TEACHER]  # Tables 2, 3: no distilled students
    write_csv(summary, summary_out)
    for table, out in (
        (aggregate.table2_accuracy(direct, paper.TABLE2), table2_out),
        (aggregate.table3_calibration(direct, paper.TABLE3), table3_out),
    ):
        # no row when the config runs none of the table's dataset/architecture pairs
        write_csv(
            table if len(table.columns) else pd.DataFrame(columns=["dataset", "architecture"]), out
        )
    return summary


def reliability_figure(
    *,
    hard: Path | str,
    smooth: Path | str,
    alpha: float,
    split: str,
    title: str,
    pdf: Path | str,
    png: str | Path,
    min_count: int | None = None,
) -> None:
    """Fig. 2: hard targets, hard targets + TS (T fitted on val), and the LS model, on ``split``.

    ``min_count``: fewest examples of a bin joined into a curve (config
    ``calibration.min_bin_count``; None: :data:`lsrepro.figures.calibration.MIN_BIN_COUNT`).
    """
    curves = reliability_curves(hard=hard, smooth=smooth, alpha=alpha, split=split)
    count = figs.MIN_BIN_COUNT if min_count is None else min_count
    figs.plot_reliability_diagram(curves, pdf, png, title=title, min_count=count)


def reliability_curves(
    *, hard: Path | str, smooth: Path | str, alpha: float, split: str
) -> list[Any]:
    """The three curves of Fig. 2 from two ``reliability.csv`` files (labels carry T and ECE)."""
    hard_bins, smooth_bins = pd.read_csv(hard), pd.read_csv(smooth)

    def pick(frame: pd.DataFrame, scaling: str) -> pd.DataFrame:
        return frame[(frame["split"] == split) & (frame["scaling"] == scaling)]

    curves = [pick(hard_bins, "none"), pick(hard_bins, "temperature"), pick(smooth_bins, "none")]
    ece = [ece_from_bins(c) for c in curves]
    t = float(curves[1]["scaling_temperature"].iloc[0])
    return figs.fig2_curves(*curves, temperature=t, alpha=alpha, ece=ece)


def calibration_vs_alpha_figure(
    summary: Path | str, experiment: str, pdf: Path | str, png: Path | str
) -> None:
    """ECE, accuracy and NLL against alpha for one experiment (validation split, over seeds)."""
    table = pd.read_csv(summary)
    table = table[(table["experiment"] == experiment) & (table["variable"] == "estimate")]
    dataset, architecture = table["dataset"].iloc[0], table["architecture"].iloc[0]
    points = figs.paper_points(dataset, architecture)
    figs.plot_metrics_vs_alpha(
        table,
        pdf,
        png,
        metrics=("ece", "accuracy", "nll"),
        split="val",
        paper=points,
        title=f"{experiment}: validation split, mean and 95 % interval over seeds",
    )
