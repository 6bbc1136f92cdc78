"""Fig. 5: accuracy of teacher and students against the smoothness index γ (paper §4)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

STYLE = {  # the paper's encoding: solid = trained directly, dashed = distilled
    "teacher": ("teacher (ResNet) trained with α", "tab:blue", "-", "o"),
    "student_ls": ("student trained with α", "lightskyblue", "-", "s"),
    "student_hard_teacher": ("student of the α = 0 teacher at T", "tab:red", "--", "^"),
    "student_ls_teacher": ("student of LS teachers (T = 1)", "tab:blue", "--", "v"),
}


def fig5_figure(summary: pd.DataFrame, title: str, split: str = "val") -> Figure:
    """Mean accuracy vs γ per curve with the min–max band over seeds (the paper shows min, mean
    and max of 5 seeds). ``summary``: fig5_summary.csv."""
    column = f"{split}_accuracy"
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    acc = summary[summary["variable"] == column]
    gamma = summary[summary["variable"] == "gamma"]
    keys = ["curve", "teacher_alpha", "temperature", "alpha"]
    merged = acc.merge(
        gamma[[*keys, "mean"]].rename(columns={"mean": "gamma"}), on=keys, how="left"
    )
    for curve, (label, color, line, marker) in STYLE.items():
        part = merged[merged["curve"] == curve].sort_values("gamma")
        if part.empty:
            continue
        ax.plot(part["gamma"], 100 * part["mean"], line, color=color, marker=marker, label=label)
        ax.fill_between(
            part["gamma"],
            100 * part["min"],
            100 * part["max"],
            color=color,
            alpha=0.18,
            linewidth=0,
        )
        if curve == "student_hard_teacher":
            for _, row in part.iterrows():
                ax.annotate(
                    f"T={row['temperature']:g}",
                    (row["gamma"], 100 * row["mean"]),
                    textcoords="offset points",
                    xytext=(3, -10),
                    fontsize=7,
                    color=color,
                )
    ax.set_xlabel("smoothness index γ (= α for models trained directly)")
    ax.set_ylabel(f"{'validation' if split == 'val' else 'test'} accuracy (%)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig
