"""Reading the stage tables the verdicts rest on (one place for the input contract).

Input keys (:data:`INPUTS`) and their files; every judged value is **per seed**:

* ``geometry_per_seed`` (C1–C6, C5c★/C5d★), ``results/tables/geometry_per_seed.csv``:
  ``experiment, alpha, seed, split`` (train/val) and one column per
  :func:`lsrepro.representation.geometry.split_geometry` key (``gap_mean_over_optimal``,
  ``gap_mean``, ``gap_optimal``, ``incorrect_std_over_gap``, ``tightness_vs_class_means``,
  ``accuracy`` (fraction), ``projection.<triplet>.norm_mean``,
  ``projection.<triplet>.tightness``, and where measured ``separation_r2``, ``nc1``).
* ``calibration_per_seed`` (C8, C9, C8c★, C9b★): ``experiment, dataset, architecture, alpha,
  seed, split, scaling`` (``none`` = T 1, ``temperature`` = T fitted on val by NLL), ``metric``
  (``accuracy``, ``ece``, ``temperature``, ``aurc`` where measured), ``estimate``.
* ``calibration_summary`` (paper-vs-ours only): the same summarised over seeds.
* ``reliability`` (C7): one CSV or a list of per-run ``reliability.csv`` (``experiment, alpha,
  seed, split, scaling, count, mean_confidence, accuracy`` per bin).
* ``translation_per_seed`` (C10): ``alpha, seed, scaling_temperature, split, bleu, ece, nll,
  fitted`` (``scaling_temperature``: the T applied to the logits, as in the calibration files).
* ``translation_beams_per_seed`` (C10j★): ``alpha, seed, split, beam_size, length_ratio``
  (:func:`lsrepro.translation.files.tabulate_translation_beams`; ``bleu`` shown where present).
* ``mnist_toy_per_seed`` (C11): ``role, seed, test_error`` (fraction).
* ``fig5_distillation`` (C12): ``curve, teacher_alpha, temperature, alpha, seed, val_accuracy``.
* ``information_per_seed`` (C13a–d): ``experiment, alpha, seed, step, mi, mi_reference``.
* ``information_vs_distillation`` (C13e): ``teacher_alpha, mi_final_mean, accuracy`` (the
  correlated column's name, e.g. ``val_accuracy``) and ``student_<accuracy>_mean``
  (:func:`lsrepro.information.files.information_vs_distillation`).

A stage that is not in the run (its key absent, None, or the file missing) gives None and the
reason; its claims are "not run".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from lsrepro.claims.stats import Interval
from lsrepro.runs import DIRECT_TEACHER

__all__ = ["ATOL", "INPUTS", "Paths", "close", "load", "require", "seeds", "summary_interval"]

#: Input keys and the stage that writes each (the reason given when it is absent).
INPUTS: dict[str, str] = {
    "geometry_per_seed": "representation",
    "calibration_per_seed": "calibration",
    "calibration_summary": "calibration",
    "reliability": "calibration",
    "translation_per_seed": "translation",
    "translation_beams_per_seed": "translation beam grid",
    "mnist_toy_per_seed": "MNIST toy distillation",
    "fig5_distillation": "CIFAR-10 distillation (Fig. 5)",
    "information_per_seed": "mutual information",
    "information_vs_distillation": "mutual information vs distillation",
}

Paths = Mapping[str, "Path | str | Sequence[Path | str] | None"]
ATOL = 1e-9


def load(paths: Paths, key: str) -> tuple[pd.DataFrame | None, str]:
    """The table behind ``key`` and "" — or None and the reason it is not there. Rows of
    distilled students (``teacher`` column not "none") are dropped: C1–C9 are about models
    trained directly."""
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
    if "teacher" in frame.columns:
        frame = frame[frame["teacher"] == DIRECT_TEACHER].reset_index(drop=True)
    renames = {"ci_low": "ci_lower", "ci_high": "ci_upper"}
    return frame.rename(columns={k: v for k, v in renames.items() if k in frame.columns}), ""


def require(frame: pd.DataFrame, columns: Sequence[str], key: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"{key}: columns {missing} missing (columns: {list(frame.columns)})")


def close(series: pd.Series, value: float) -> pd.Series:
    return np.isclose(series.astype(float), float(value), rtol=0.0, atol=ATOL)


def _mask(frame: pd.DataFrame, where: Mapping[str, object]) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        if isinstance(value, float):
            mask &= close(frame[column], value)
        else:
            mask &= frame[column] == value
    return mask


def seeds(frame: pd.DataFrame, value: str, what: str, **where: object) -> dict[int, float]:
    """seed -> ``value`` of the rows matching ``where`` (floats compared with a tolerance);
    empty when none match; an error naming ``what`` when a seed has two rows."""
    if value not in frame.columns:
        return {}
    rows = frame.loc[_mask(frame, where)]
    dup = rows["seed"].duplicated()
    if dup.any():
        raise ValueError(
            f"{what}: seed {rows.loc[dup, 'seed'].iloc[0]} has several rows for "
            f"{where}; expected one per seed"
        )
    out = {int(s): float(v) for s, v in zip(rows["seed"], rows[value], strict=True)}
    return {s: v for s, v in out.items() if not math.isnan(v)}


def summary_interval(frame: pd.DataFrame, what: str, **where: object) -> Interval:
    """The one summary row matching ``where`` as an Interval; missing when there is none."""
    rows = frame.loc[_mask(frame, where)]
    if rows.empty:
        return Interval.missing()
    if len(rows) > 1:
        raise ValueError(f"{what}: {len(rows)} summary rows match {where}; expected one")
    r = rows.iloc[0]
    return Interval(float(r["mean"]), float(r["ci_lower"]), float(r["ci_upper"]), int(r["n"]))
