"""File-level entry points of the distillation tables and figure (rules ``tabulate_fig5``,
``plot_distillation``, ``tabulate_mnist_toy``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lsrepro.data.images import load_prepared, load_split
from lsrepro.distillation import tables
from lsrepro.figures import distillation as figs
from lsrepro.figures import save_figure
from lsrepro.io import write_csv


def tabulate_fig5(
    *,
    records: Sequence[Mapping[str, Any]],
    prepared: Path | str,
    split: Path | str,
    student_flip: bool,
    confidence: float,
    per_seed_out: Path | str,
    summary_out: Path | str,
) -> pd.DataFrame:
    """``records``: one per model, {curve, run (columns), val, test} and for students also
    {teacher_val, teacher_cache}. Writes fig5_distillation.csv and fig5_summary.csv."""
    train_labels = load_prepared(Path(prepared)).y_train[load_split(Path(split)).train]
    rows = []
    for r in records:
        if r["curve"] in ("teacher", "student_ls"):
            rows.append(tables.direct_row(r["curve"], r["run"], r["val"], r["test"]))
        else:
            rows.append(
                tables.student_row(
                    r["run"],
                    val=r["val"],
                    test=r["test"],
                    teacher_val=r["teacher_val"],
                    teacher_cache=r["teacher_cache"],
                    train_labels=np.asarray(train_labels),
                    flip=student_flip,
                )
            )
    per_seed = pd.DataFrame(rows, columns=list(tables.FIG5_COLUMNS))
    write_csv(per_seed, per_seed_out)
    write_csv(tables.summarize(per_seed, confidence), summary_out)
    return per_seed


def fig5_figure(summary: Path | str, pdf: Path | str, png: Path | str, title: str) -> None:
    save_figure(figs.fig5_figure(pd.read_csv(summary), title=title), pdf, png)


def tabulate_mnist_toy(
    *,
    records: Sequence[Mapping[str, Any]],
    confidence: float,
    per_seed_out: Path | str,
    summary_out: Path | str,
) -> pd.DataFrame:
    per_seed, summary = tables.mnist_toy_tables(records, confidence)
    write_csv(per_seed, per_seed_out)
    write_csv(summary, summary_out)
    return summary
