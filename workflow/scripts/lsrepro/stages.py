"""Artifact-level entry points of the CPU stages (calibration, representation, tables, figures).

Each function reads the files a rule declares as input and writes the files it declares as
output; the math lives in :mod:`lsrepro.calibration`, :mod:`lsrepro.temperature`,
:mod:`lsrepro.geometry`, :mod:`lsrepro.projection` and :mod:`lsrepro.aggregate`.

A run is identified in every table by ``experiment, dataset, architecture, alpha, seed``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lsrepro import aggregate, calibration, geometry, paper, projection, temperature
from lsrepro.io import atomic_write, write_json

log = logging.getLogger(__name__)
RUN_KEYS = ("experiment", "dataset", "architecture", "alpha", "seed")


def load_evaluation(path: Path | str) -> dict[str, np.ndarray]:
    """An evaluate artifact (see :mod:`lsrepro.evaluate`) as a dict of arrays."""
    with np.load(path) as z:
        return {key: z[key] for key in z.files}


def write_csv(frame: pd.DataFrame, path: Path | str) -> None:
    text = frame.to_csv(index=False)
    atomic_write(path, lambda f: f.write(text.encode()))


# --- calibration ------------------------------------------------------------------------------


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
    wants T -> inf) gets the bound, flagged ``at_bound`` in the JSON and warned about in the log.
    """
    arrays = load_evaluation(val)
    fit = temperature.fit_temperature(arrays["logits"], arrays["labels"], tol=tol, bounds=bounds)
    if fit.at_bound:
        log.warning("%s: %s (T = %g)", val, fit.method, fit.temperature)
    result: dict[str, Any] = {"fitted_on": "val", "n_examples": int(len(arrays["labels"]))}
    result["nll"] = fit.as_dict()
    if fit_by_ece:
        by_ece = temperature.fit_temperature_ece(arrays["logits"], arrays["labels"], n_bins=n_bins)
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
            report = calibration.calibration_report(
                arrays["logits"],
                arrays["labels"],
                temperature=t,
                n_bins=n_bins,
                n_resamples=n_resamples,
                seed=seed,
                confidence=confidence,
                smece_resamples=smece_resamples,
            )
            tables.append(report.assign(split=split, scaling=scaling))
            probs = calibration.softmax(arrays["logits"], t)
            rel = calibration.reliability_bins(probs, arrays["labels"], n_bins)
            bins.append(rel.assign(split=split, scaling=scaling, temperature=t))
    table = _with_run(pd.concat(tables, ignore_index=True), run)
    write_csv(table, metrics_out)
    write_csv(_with_run(pd.concat(bins, ignore_index=True), run), reliability_out)
    return table


def _with_run(frame: pd.DataFrame, run: Mapping[str, Any]) -> pd.DataFrame:
    ids = pd.DataFrame({key: [run[key]] * len(frame) for key in RUN_KEYS})
    return pd.concat([ids, frame.reset_index(drop=True)], axis=1)


def concat_csv(paths: Sequence[Path | str]) -> pd.DataFrame:
    if not paths:
        raise ValueError("nothing to tabulate: no per-run files")
    return pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)


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
    by = ["experiment", "dataset", "architecture", "alpha", "split", "scaling", "metric"]
    summary = aggregate.summarize_over_seeds(
        per_seed, by=by, values=["estimate"], confidence=confidence
    )
    write_csv(summary, summary_out)
    for table, out in (
        (aggregate.table2_accuracy(summary, paper.TABLE2), table2_out),
        (aggregate.table3_calibration(summary, paper.TABLE3), table3_out),
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
) -> None:
    """Fig. 2: hard targets, hard targets + TS (T fitted on val), and the LS model, on ``split``."""
    from lsrepro.figures import calibration as figs

    hard_bins, smooth_bins = pd.read_csv(hard), pd.read_csv(smooth)

    def pick(frame: pd.DataFrame, scaling: str) -> pd.DataFrame:
        return frame[(frame["split"] == split) & (frame["scaling"] == scaling)]

    curves = [pick(hard_bins, "none"), pick(hard_bins, "temperature"), pick(smooth_bins, "none")]
    ece = [calibration.ece_from_bins(c) for c in curves]
    t = float(curves[1]["temperature"].iloc[0])
    figs.plot_reliability_diagram(
        figs.fig2_curves(*curves, temperature=t, alpha=alpha, ece=ece), pdf, png, title=title
    )


def calibration_vs_alpha_figure(
    summary: Path | str, experiment: str, pdf: Path | str, png: Path | str
) -> None:
    from lsrepro.figures import calibration as figs

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


# --- representation -----------------------------------------------------------------------------


def geometry_file(
    *,
    train: Path | str,
    val: Path | str,
    run: Mapping[str, Any],
    triplets: Mapping[str, Sequence[str]],
    per_class: int,
    seed: int,
    out: Path | str,
) -> list[dict[str, Any]]:
    """Fig. 1 numbers of one model on its training sample and validation split (JSON records)."""
    records = []
    for split, path in (("train", train), ("val", val)):
        numbers = geometry.split_geometry(
            load_evaluation(path), float(run["alpha"]), triplets, per_class, seed
        )
        records.append({**{k: run[k] for k in RUN_KEYS}, "split": split, **numbers})
    write_json(out, records)
    return records


def tabulate_geometry(
    files: Sequence[Path | str],
    *,
    confidence: float,
    per_seed_out: Path | str,
    summary_out: Path | str,
) -> pd.DataFrame:
    per_seed = pd.DataFrame([r for f in files for r in json.loads(Path(f).read_text())])
    write_csv(per_seed, per_seed_out)
    values = [c for c in per_seed.columns if c not in (*RUN_KEYS, "split")]
    numeric = [c for c in values if pd.api.types.is_numeric_dtype(per_seed[c])]
    by = ["experiment", "dataset", "architecture", "alpha", "split"]
    summary = aggregate.summarize_over_seeds(per_seed, by=by, values=numeric, confidence=confidence)
    write_csv(summary, summary_out)
    return summary


def projection_figure(
    *,
    hard_train: Path | str,
    hard_val: Path | str,
    smooth_train: Path | str,
    smooth_val: Path | str,
    classes: Sequence[str],
    alpha: float,
    per_class: int,
    seed: int,
    title: str,
    outputs: Mapping[str, Path | str],
) -> None:
    """One row of Fig. 1 (shared axis limits) and its per-panel-limits twin."""
    from lsrepro.figures import representation as figs

    panels = [
        projection.projection_panel(load_evaluation(p), classes, per_class, seed)
        for p in (hard_train, hard_val, smooth_train, smooth_val)
    ]
    figs.write_representation_figures(
        figs.fig1_panel_specs(*panels, alpha=alpha),
        title,
        outputs["shared_pdf"],
        outputs["shared_png"],
        outputs["free_pdf"],
        outputs["free_png"],
    )


def geometry_vs_alpha_figure(
    per_seed: Path | str, experiment: str, pdf: Path | str, png: Path | str
) -> None:
    from lsrepro.figures import representation as figs
    from lsrepro.figures import save_figure

    table = pd.read_csv(per_seed)
    table = table[table["experiment"] == experiment]
    metrics = ["accuracy", "gap_mean", "incorrect_std_mean", "tightness_vs_class_means"]
    fig = figs.geometry_vs_alpha_figure(table, metrics, title=experiment)
    save_figure(fig, pdf, png)
