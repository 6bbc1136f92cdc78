"""File-level entry points of the representation stage (rules ``measure_geometry``,
``tabulate_geometry``, ``project_penultimate``, ``plot_geometry_vs_alpha``): each reads the files
its rule declares as input and writes the ones it declares as output; the maths lives in
:mod:`.geometry` and :mod:`.projection`, the summaries in :mod:`lsrepro.stats`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from lsrepro import aggregate
from lsrepro.artifacts.evaluation import load as load_evaluation
from lsrepro.figures import representation as figs
from lsrepro.figures import save_figure
from lsrepro.io import write_csv, write_json
from lsrepro.representation import geometry, projection

log = logging.getLogger(__name__)
RUN_KEYS = ("experiment", "dataset", "architecture", "alpha", "seed")  # direct runs only


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
    table = pd.read_csv(per_seed)
    table = table[table["experiment"] == experiment]
    metrics = ["accuracy", "gap_mean", "incorrect_std_mean", "tightness_vs_class_means"]
    fig = figs.geometry_vs_alpha_figure(table, metrics, title=experiment)
    save_figure(fig, pdf, png)
