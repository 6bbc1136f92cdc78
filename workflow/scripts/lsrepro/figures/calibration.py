"""Calibration figures: reliability diagram in the style of paper Fig. 2, and metrics vs α.

Figures are built on ``matplotlib.figure.Figure`` directly (Agg canvas, no pyplot state, no
LaTeX) and written as PDF (vector) and PNG. Inputs are tables produced elsewhere:
:func:`lsrepro.calibration.reliability_bins` and :func:`lsrepro.stats.summarize_over_seeds`.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from lsrepro.figures import save_figure
from lsrepro.paper import TABLE2, TABLE3, normalise_name

__all__ = [
    "METRIC_LABELS",
    "MIN_BIN_COUNT",
    "ReliabilityCurve",
    "fig2_curves",
    "metrics_vs_alpha_figure",
    "paper_points",
    "plot_metrics_vs_alpha",
    "plot_reliability_diagram",
    "reliability_diagram",
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

#: Default fewest examples a reliability bin needs to be joined into its curve (config key
#: ``calibration.min_bin_count``); sparser bins are drawn as open circles off the line.
MIN_BIN_COUNT = 10
# circle area (points^2) of a bin: _MIN_AREA (a bin of one example stays visible) plus
# _FULL_AREA times its share of the examples
_MIN_AREA, _FULL_AREA = 6.0, 400.0


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
        ReliabilityCurve(f"label smoothing (α = {alpha:g})", smoothed, _GREEN, "", ece[2]),
    ]


def _style() -> AbstractContextManager[None]:
    """No LaTeX, seaborn's whitegrid: entered to build a figure and again to save it (ticks are
    made when drawn, with the rc settings of that moment)."""
    return mpl.rc_context({"text.usetex": False, **sns.axes_style("whitegrid")})


def _bin_marker_area(share: np.ndarray) -> np.ndarray:
    """Marker area (points^2) of a reliability bin: a small floor, so that a bin of one example
    still shows, plus a part proportional to its share of the examples."""
    return _MIN_AREA + _FULL_AREA * share


def reliability_diagram(
    curves: Sequence[ReliabilityCurve],
    *,
    title: str | None = None,
    min_count: int = MIN_BIN_COUNT,
) -> Figure:
    """Reliability diagram (paper Fig. 2) with the confidence histogram beneath it.

    Top: accuracy against mean confidence of each non-empty bin, one line per curve, and the
    dashed diagonal of perfect calibration (a curve below it is over-confident). Each non-empty
    bin is also a circle whose area grows in proportion to its share of the examples (above a
    small floor that keeps a one-example bin visible), so a bin of one example does not weigh
    like a bin of thousands; the line joins only bins holding at least
    ``min_count`` examples, the others are open circles off the line (one example moves a bin's
    accuracy by ``1 / count``). Bottom: fraction of examples in each confidence bin, one step
    outline per curve. A curve drawn with markers (the temperature-scaled one, which shares its
    colour with the unscaled curve) is dashed in both panels.

    Args:
        curves: the curves to draw (e.g. :func:`fig2_curves`), all with the same bins.
        title: axes title; default names the number of bins.
        min_count: fewest examples a bin needs to be joined into its curve (``>= 1``).

    Returns:
        The Figure (:func:`plot_reliability_diagram` writes it as PDF and PNG).
    """
    if not curves:
        raise ValueError("no curves to plot")
    if isinstance(min_count, bool) or not isinstance(min_count, int | np.integer) or min_count < 1:
        raise ValueError(f"min_count must be an integer >= 1, got {min_count!r}")
    with _style():
        fig = Figure(figsize=(7.6, 5.2), layout="constrained")
        top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
        top.plot(
            [0, 1], [0, 1], linestyle="--", color="0.5", linewidth=1, label="perfect calibration"
        )
        for curve in curves:
            b = curve.bins
            count = b["count"].to_numpy()
            conf, acc = b["mean_confidence"].to_numpy(), b["accuracy"].to_numpy()
            full, joined = count > 0, count >= min_count
            label = curve.label if curve.ece is None else f"{curve.label}, ECE {curve.ece:.3f}"
            # a curve drawn with markers (the temperature-scaled one) shares its colour with the
            # unscaled curve: dashed, in the diagram, its legend entry and the histogram
            style = "--" if curve.marker else "-"
            top.plot(
                conf[joined],
                acc[joined],
                color=curve.color,
                marker=curve.marker or None,
                linestyle=style,
                label=label,
            )
            share = count / max(int(count.sum()), 1)
            face = np.array([to_rgba(curve.color, 0.3)] * len(count))
            face[~joined] = 0.0  # open circle: too few examples to be part of the curve
            top.scatter(
                conf[full],
                acc[full],
                s=_bin_marker_area(share[full]),
                facecolors=face[full],
                edgecolors=curve.color,
                linewidths=0.8,
                zorder=3,
                clip_on=False,  # a bin at accuracy 1.0 or 0.0 shows as a whole circle
            )
            edges = np.append(b["lower"].to_numpy(), b["upper"].to_numpy()[-1])
            bottom.stairs(share, edges, color=curve.color, linewidth=1.2, linestyle=style)
        grey = "0.35"
        top.plot(
            [],
            [],
            "o",
            color=grey,
            alpha=0.5,
            markersize=7,
            label="circle area grows with examples",
        )
        top.plot(
            [],
            [],
            "o",
            markerfacecolor="none",
            markeredgecolor=grey,
            markersize=5,
            label=f"bin of < {min_count} examples (not joined)",
        )
        n_bins = len(curves[0].bins)
        top.set(xlim=(0, 1), ylim=(0, 1), ylabel="accuracy (fraction correct)")
        top.set_title(title if title is not None else f"Reliability diagram ({n_bins} bins)")
        # beside the axes: inside, it would hide bins (under-confident curves run upper left)
        fig.legend(*top.get_legend_handles_labels(), loc="outside right center", fontsize="small")
        bottom.set(xlabel="confidence (top-label probability)", ylabel="fraction of examples")
        bottom.set_ylim(bottom=0)
    return fig


def plot_reliability_diagram(
    curves: Sequence[ReliabilityCurve],
    pdf_path: Path | str,
    png_path: Path | str,
    *,
    title: str | None = None,
    min_count: int = MIN_BIN_COUNT,
) -> Figure:
    """:func:`reliability_diagram` written to ``pdf_path`` and ``png_path``; returns it."""
    with _style():
        fig = reliability_diagram(curves, title=title, min_count=min_count)
        save_figure(fig, pdf_path, png_path)
    return fig


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
    """:func:`metrics_vs_alpha_figure` written to ``pdf_path`` and ``png_path``."""
    with _style():
        fig = metrics_vs_alpha_figure(
            summary, metrics=metrics, split=split, paper=paper, title=title
        )
        save_figure(fig, pdf_path, png_path)


def metrics_vs_alpha_figure(
    summary: pd.DataFrame,
    *,
    metrics: Sequence[str] = ("ece", "accuracy"),
    split: str = "val",
    paper: pd.DataFrame | None = None,
    title: str | None = None,
) -> Figure:
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

    Returns:
        The Figure (:func:`plot_metrics_vs_alpha` writes it as PDF and PNG).
    """
    data = summary.loc[summary["split"] == split]
    missing = [m for m in metrics if m not in set(data["metric"])]
    if missing:
        raise ValueError(f"metrics {missing} not in the summary for split {split!r}")
    palette = dict(
        zip(sorted(data["scaling"].unique()), sns.color_palette("colorblind"), strict=False)
    )
    with _style():
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
    return fig
