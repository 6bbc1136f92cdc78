"""Calibration figures: reliability diagram in the style of paper Fig. 2, and metrics vs α.

Figures are built on ``matplotlib.figure.Figure`` directly (Agg canvas, no pyplot state, no
LaTeX) and written as PDF (vector) and PNG. Inputs are tables produced elsewhere:
:func:`lsrepro.calibration.reliability_bins` and :func:`lsrepro.stats.summarize_over_seeds`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from lsrepro.figures import save_figure
from lsrepro.paper import TABLE2, TABLE3, normalise_name

__all__ = [
    "METRIC_LABELS",
    "ReliabilityCurve",
    "fig2_curves",
    "paper_points",
    "plot_metrics_vs_alpha",
    "plot_reliability_diagram",
]

#: Axis labels with units for the metrics of :mod:`lsrepro.calibration`.
METRIC_LABELS: dict[str, str] = {
    "accuracy": "top-1 accuracy (%)",
    "nll": "NLL (nats)",
    "brier": "Brier score",
    "ece": "ECE (fraction)",
    "mce": "MCE (fraction)",
    "adaptive_ece": "adaptive ECE (fraction)",
    "classwise_ece": "classwise ECE (fraction)",
    "smece": "smooth ECE (fraction)",
    "temperature": "temperature T",
}
# accuracy is stored as a fraction and drawn in percent, like the paper's Table 2
_PERCENT = {"accuracy"}

# Fig. 2: hard targets blue without markers, + temperature scaling blue with crosses, LS green
_BLUE, _GREEN = "#1f77b4", "#2ca02c"


@dataclass(frozen=True)
class ReliabilityCurve:
    """One curve of a reliability diagram.

    Attributes:
        label: legend text.
        bins: output of :func:`lsrepro.calibration.reliability_bins` (equal-width bins).
        color: matplotlib colour.
        marker: matplotlib marker or "" for none.
        ece: ECE shown in the legend (fraction), or None.
    """

    label: str
    bins: pd.DataFrame
    color: str = _BLUE
    marker: str = ""
    ece: float | None = None


def fig2_curves(
    hard: pd.DataFrame,
    scaled: pd.DataFrame,
    smoothed: pd.DataFrame,
    *,
    temperature: float,
    alpha: float,
    ece: Sequence[float | None] = (None, None, None),
) -> list[ReliabilityCurve]:
    """The three curves of paper Fig. 2 with its styles.

    Args:
        hard: reliability bins of the hard-target model (α = 0) at T = 1.
        scaled: reliability bins of the same model at the fitted temperature.
        smoothed: reliability bins of the label-smoothing model at T = 1.
        temperature: the fitted T (for the legend). alpha: the LS model's α (for the legend).
        ece: ECE of the three curves, in the same order, for the legend.
    """
    return [
        ReliabilityCurve("hard targets", hard, _BLUE, "", ece[0]),
        ReliabilityCurve(f"hard targets + TS (T = {temperature:.2f})", scaled, _BLUE, "x", ece[1]),
        ReliabilityCurve(f"label smoothing (alpha = {alpha:g})", smoothed, _GREEN, "", ece[2]),
    ]


def plot_reliability_diagram(
    curves: Sequence[ReliabilityCurve],
    pdf_path: Path | str,
    png_path: Path | str,
    *,
    title: str | None = None,
) -> None:
    """Reliability diagram (paper Fig. 2) with the confidence histogram beneath it.

    Top: accuracy against mean confidence of each non-empty bin, one line per curve, and the
    dashed diagonal of perfect calibration (a curve below it is over-confident). Bottom: fraction
    of examples in each confidence bin, one step outline per curve. Writes ``pdf_path`` and
    ``png_path``.
    """
    if not curves:
        raise ValueError("no curves to plot")
    with mpl.rc_context({"text.usetex": False}), sns.axes_style("whitegrid"):
        fig = Figure(figsize=(4.8, 5.6), layout="constrained")
        top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
        top.plot(
            [0, 1], [0, 1], linestyle="--", color="0.5", linewidth=1, label="perfect calibration"
        )
        for curve in curves:
            b = curve.bins
            full = b["count"].to_numpy() > 0
            label = curve.label if curve.ece is None else f"{curve.label}, ECE {curve.ece:.3f}"
            top.plot(
                b["mean_confidence"].to_numpy()[full],
                b["accuracy"].to_numpy()[full],
                color=curve.color,
                marker=curve.marker or None,
                label=label,
            )
            edges = np.append(b["lower"].to_numpy(), b["upper"].to_numpy()[-1])
            frac = b["count"].to_numpy() / max(int(b["count"].sum()), 1)
            bottom.stairs(frac, edges, color=curve.color, linewidth=1.2)
        n_bins = len(curves[0].bins)
        top.set(xlim=(0, 1), ylim=(0, 1), ylabel="accuracy (fraction correct)")
        top.set_title(title if title is not None else f"Reliability diagram ({n_bins} bins)")
        top.legend(loc="upper left", fontsize="small")
        bottom.set(xlabel="confidence (top-label probability)", ylabel="fraction of examples")
        bottom.set_ylim(bottom=0)
        save_figure(fig, pdf_path, png_path)


def paper_points(dataset: str, architecture: str) -> pd.DataFrame:
    """The paper's numbers for one dataset/architecture as plot points.

    Columns ``metric`` (``"accuracy"`` in percent, ``"ece"`` as a fraction), ``alpha``,
    ``scaling`` (``"none"`` or ``"temperature"``) and ``value``; empty when the paper has none.
    Sources: :data:`lsrepro.paper.TABLE2` and :data:`lsrepro.paper.TABLE3`.
    """
    key = (normalise_name(dataset), normalise_name(architecture))
    rows = []
    for r in TABLE2:
        if (normalise_name(r.dataset), normalise_name(r.architecture)) == key:
            rows.append(("accuracy", 0.0, "none", r.accuracy_alpha0))
            rows.append(("accuracy", 0.1, "none", r.accuracy_alpha01))
    for r in TABLE3:
        if (normalise_name(r.dataset), normalise_name(r.architecture)) == key:
            rows.append(("ece", 0.0, "none", r.baseline_ece))
            rows.append(("ece", 0.0, "temperature", r.ts_ece))
            rows.append(("ece", r.ls_alpha, "none", r.ls_ece))
    return pd.DataFrame(rows, columns=["metric", "alpha", "scaling", "value"])


def plot_metrics_vs_alpha(
    summary: pd.DataFrame,
    pdf_path: Path | str,
    png_path: Path | str,
    *,
    metrics: Sequence[str] = ("ece", "accuracy"),
    split: str = "val",
    paper: pd.DataFrame | None = None,
    title: str | None = None,
) -> None:
    """Metrics against the label-smoothing α, mean over seeds with their t-interval.

    One panel per metric; one line per ``scaling`` (``"none"``: T = 1, others: temperature
    scaled), error bars from ``ci_lower``/``ci_upper`` (95 % t-interval over seeds). Where the
    paper has a number (``paper``, e.g. :func:`paper_points`) it is drawn as a black-edged marker
    beside ours, filled with the colour of the matching ``scaling`` (star: T = 1, cross:
    temperature scaling). Accuracy is drawn in percent.

    Args:
        summary: output of :func:`lsrepro.stats.summarize_over_seeds` for one experiment,
            with columns ``alpha``, ``split``, ``scaling``, ``metric``, ``mean``, ``ci_lower``,
            ``ci_upper`` (and ``n``).
        metrics: metrics to draw, one panel each.
        split: which split to draw (``"val"``: the paper's protocol; ``"test"``: held out).
        paper: optional paper points with columns ``metric, alpha, scaling, value``.
    """
    data = summary.loc[summary["split"] == split]
    missing = [m for m in metrics if m not in set(data["metric"])]
    if missing:
        raise ValueError(f"metrics {missing} not in the summary for split {split!r}")
    palette = dict(
        zip(sorted(data["scaling"].unique()), sns.color_palette("colorblind"), strict=False)
    )
    with mpl.rc_context({"text.usetex": False}), sns.axes_style("whitegrid"):
        fig = Figure(figsize=(4.2 * len(metrics), 3.6), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(metrics)))
        for ax, metric in zip(axes, metrics, strict=True):
            scale = 100.0 if metric in _PERCENT else 1.0
            rows = data.loc[data["metric"] == metric]
            for scaling, group in rows.groupby("scaling", sort=True):
                g = group.sort_values("alpha")
                mean = scale * g["mean"].to_numpy(dtype=float)
                err = np.vstack(
                    [
                        mean - scale * g["ci_lower"].to_numpy(dtype=float),
                        scale * g["ci_upper"].to_numpy(dtype=float) - mean,
                    ]
                )
                label = "T = 1" if scaling == "none" else f"{scaling} (T fitted on val)"
                ax.errorbar(
                    g["alpha"].to_numpy(dtype=float),
                    mean,
                    yerr=np.nan_to_num(err),
                    color=palette[scaling],
                    marker="o",
                    markersize=4,
                    capsize=3,
                    label=label,
                )
            if paper is not None:
                for _, p in paper.loc[paper["metric"] == metric].iterrows():
                    ts = p["scaling"] != "none"
                    ax.plot(
                        p["alpha"],
                        p["value"],
                        marker="X" if ts else "*",
                        markersize=12,
                        markerfacecolor=palette.get(p["scaling"], "white"),
                        markeredgecolor="black",
                        linestyle="none",
                        label=f"paper ({'TS' if ts else 'T = 1'})",
                    )
            ax.set(xlabel="label smoothing alpha", ylabel=METRIC_LABELS.get(metric, metric))
            handles, labels = ax.get_legend_handles_labels()
            unique = dict(zip(labels, handles, strict=True))
            ax.legend(unique.values(), unique.keys(), fontsize="small")
        split_name = "validation" if split == "val" else split
        fig.suptitle(
            title if title is not None else f"Mean over seeds with 95% t-interval ({split_name})"
        )
        save_figure(fig, pdf_path, png_path)
