"""Fig. 6 of the paper (MI during teacher training) and the teacher-MI vs student-accuracy scatter.

Inputs are the tables of :mod:`lsrepro.information.files`; figures are bare matplotlib Figures
(no pyplot state, no LaTeX); save them with :func:`lsrepro.figures.save_figure`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

__all__ = ["information_figure", "information_vs_distillation_figure"]


def information_figure(summary: pd.DataFrame, title: str) -> Figure:
    """MI (nats) vs training step, one line per α: mean over seeds, min–max band (paper Fig. 6).

    Dashed reference lines at log 2 (two collapsed clusters: one bit about the class, the
    paper's late-training level) and log N (every example distinguishable, the maximum).

    Args:
        summary: :func:`lsrepro.information.files.tabulate_information`'s summary of one
            experiment (columns alpha, step, variable, mean, min, max; variables ``mi`` and
            ``log_n``).
        title: axes title.
    """
    needed = ("alpha", "step", "variable", "mean", "min", "max")
    missing = [c for c in needed if c not in summary.columns]
    if missing:
        raise ValueError(f"MI summary lacks column(s) {missing}")
    if "experiment" in summary.columns and summary["experiment"].nunique() > 1:
        raise ValueError(f"one experiment per figure, got {sorted(summary['experiment'].unique())}")
    mi = summary.loc[summary["variable"] == "mi"].sort_values(["alpha", "step"])
    if mi.empty:
        raise ValueError("MI summary has no 'mi' rows")
    log_n = summary.loc[summary["variable"] == "log_n", "mean"].dropna().unique()
    if log_n.size != 1:
        raise ValueError(f"expected one N across runs, got log N values {sorted(log_n)}")
    fig = Figure(figsize=(6.0, 4.0))
    ax = fig.add_subplot()
    alphas = sorted(mi["alpha"].astype(float).unique())
    colors = sns.color_palette("viridis", n_colors=len(alphas))
    for color, alpha in zip(colors, alphas, strict=True):
        rows = mi.loc[np.isclose(mi["alpha"].astype(float), alpha)]
        seeds = int(rows["n"].max()) if "n" in rows.columns else None
        label = f"α = {alpha:g}" + (f" ({seeds} seeds)" if seeds is not None else "")
        ax.plot(rows["step"], rows["mean"], color=color, marker="o", markersize=3, label=label)
        ax.fill_between(rows["step"], rows["min"], rows["max"], color=color, alpha=0.2, lw=0)
    n = int(round(float(np.exp(log_n[0]))))
    for value, text in ((np.log(2.0), "log 2"), (float(log_n[0]), f"log N = log {n}")):
        ax.axhline(value, color="0.4", ls="--", lw=1)
        ax.annotate(
            f"{text} = {value:.2f}",
            (0.01, value),
            xycoords=("axes fraction", "data"),
            xytext=(0, 3),
            textcoords="offset points",
            fontsize=8,
            color="0.3",
        )
    ax.set_ylim(bottom=min(0.0, float(mi["min"].min())), top=float(log_n[0]) * 1.06)
    ax.set_xlabel("training step")
    ax.set_ylabel("estimated mutual information (nats)")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="center right", title="mean, min–max over seeds", title_fontsize=8)
    fig.tight_layout()
    return fig


def information_vs_distillation_figure(table: pd.DataFrame) -> Figure:
    """Teacher's final MI (nats) vs its students' accuracy (%), one point per teacher α.

    Error bars span min–max over teacher seeds (x) and student seeds (y); the title gives
    Spearman's ρ with its bootstrap interval over teachers.

    Args:
        table: :func:`lsrepro.information.files.information_vs_distillation`'s table.
    """
    if table.empty:
        raise ValueError("no teacher has both an MI curve and distilled students")
    acc = str(table["accuracy"].iloc[0])
    y = 100.0 * table[f"student_{acc}_mean"].to_numpy(dtype=float)
    y_err = 100.0 * np.abs(
        table[[f"student_{acc}_min", f"student_{acc}_max"]].to_numpy(dtype=float).T
        - table[f"student_{acc}_mean"].to_numpy(dtype=float)
    )
    x = table["mi_final_mean"].to_numpy(dtype=float)
    x_err = np.abs(table[["mi_final_min", "mi_final_max"]].to_numpy(dtype=float).T - x)
    fig = Figure(figsize=(5.0, 4.0))
    ax = fig.add_subplot()
    ax.errorbar(x, y, xerr=x_err, yerr=y_err, fmt="o", color="#1f77b4", ecolor="0.6", capsize=2)
    for xi, yi, alpha in zip(x, y, table["teacher_alpha"], strict=True):
        ax.annotate(f"α={alpha:g}", (xi, yi), xytext=(4, 4), textcoords="offset points", fontsize=8)
    row = table.iloc[0]
    ax.set_title(
        f"Spearman ρ = {row['spearman_rho']:.2f} "
        f"[{row['spearman_ci_lower']:.2f}, {row['spearman_ci_upper']:.2f}], "
        f"{int(row['n_teachers'])} teachers",
        fontsize=9,
    )
    split = "validation" if acc == "val_accuracy" else "test"
    ax.set_xlabel("teacher's final estimated MI (nats)")
    ax.set_ylabel(f"student {split} accuracy, T = 1 (%)")
    fig.tight_layout()
    return fig
