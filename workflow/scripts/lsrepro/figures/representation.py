"""Fig. 1 of the paper: penultimate-layer projections, and the geometry numbers across α.

Layout of one figure row (paper §2, Fig. 1): training set without label smoothing (α = 0),
validation set without, training set with the configured α, validation set with.  Each panel is a
``ProjectionPanel`` from ``lsrepro.representation.projection``; classes keep the same colour in
every panel and the three templates are drawn as stars joined by a dashed triangle.

Two versions are written: with shared axis limits across the row (so the larger absolute values
of hard-target projections, claim C4, are visible at a glance) and with per-panel limits (so the
shape of each panel's clusters, claims C2 and C6, is visible whatever its scale).  Every panel
uses an equal aspect ratio, since the plane coordinates are Euclidean and the triangle's shape
(regular or not) is part of the claim.

Figures are built as bare ``matplotlib.figure.Figure`` objects (no pyplot), which render with the
Agg/PDF canvases regardless of the session's backend and leave no global figure state behind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from lsrepro.figures import save_figure

if TYPE_CHECKING:  # annotations only: lsrepro.representation imports this module
    from lsrepro.representation.projection import ProjectionPanel

# Relative margin around the data so that markers at the extremes are not clipped.
LIMIT_PADDING = 0.08


@dataclass(frozen=True)
class PanelSpec:
    """One panel of a Fig. 1 row: a projection and its title (e.g. "train, α = 0")."""

    panel: ProjectionPanel
    title: str


def _square_limits(frames: Sequence[pd.DataFrame]) -> tuple[tuple[float, float], ...]:
    """Square (x, y) limits covering all points of the frames, padded by ``LIMIT_PADDING``."""
    xy = np.concatenate([frame[["x", "y"]].to_numpy(dtype=float) for frame in frames])
    low, high = xy.min(axis=0), xy.max(axis=0)
    center = (low + high) / 2
    half = max(float((high - low).max()) / 2, 1e-12) * (1 + LIMIT_PADDING)
    return (center[0] - half, center[0] + half), (center[1] - half, center[1] + half)


def class_palette(classes: Sequence[str]) -> dict[str, tuple[float, float, float]]:
    """Fixed colour per class name, by position in the triplet (a, b, c)."""
    colours = sns.color_palette("colorblind", n_colors=max(3, len(classes)))
    return {name: colours[i] for i, name in enumerate(classes)}


def _draw_panel(ax: Axes, spec: PanelSpec, palette: Mapping[str, tuple]) -> None:
    points, templates = spec.panel.points, spec.panel.templates
    for name in spec.panel.classes:
        sub = points[points["class_name"] == name]
        ax.scatter(sub["x"], sub["y"], s=9, color=palette[name], alpha=0.6, linewidths=0)
    triangle = templates[["x", "y"]].to_numpy()
    closed = np.vstack([triangle, triangle[:1]])
    ax.plot(closed[:, 0], closed[:, 1], color="0.35", linestyle="--", linewidth=0.8, zorder=3)
    for _, row in templates.iterrows():
        ax.scatter(
            row["x"],
            row["y"],
            marker="*",
            s=160,
            color=palette[row["class_name"]],
            edgecolors="black",
            linewidths=0.8,
            zorder=4,
        )
    ax.set_title(spec.title, fontsize=10)
    ax.set_aspect("equal", adjustable="box")
    ax.grid(True, linewidth=0.3, alpha=0.5)


def representation_figure(
    panels: Sequence[PanelSpec],
    shared_limits: bool,
    title: str = "",
) -> Figure:
    """One row of Fig. 1: projections side by side.

    Args:
        panels: the panels in column order (paper: train α=0, val α=0, train α, val α); all
            must use the same class triplet in the same order.
        shared_limits: True for one set of axis limits for the whole row, False for per-panel
            limits.
        title: figure title (e.g. experiment and triplet).

    Returns:
        The matplotlib figure (save it with ``save_figure``).
    """
    if not panels:
        raise ValueError("representation_figure needs at least one panel")
    classes = panels[0].panel.classes
    for spec in panels:
        if spec.panel.classes != classes:
            raise ValueError(
                f"all panels must show the same classes in the same order; got {classes} and "
                f"{spec.panel.classes}"
            )
    palette = class_palette(classes)
    a, b, _ = classes
    fig = Figure(figsize=(3.3 * len(panels), 4.1), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)
    shared = (
        _square_limits([frame for s in panels for frame in (s.panel.points, s.panel.templates)])
        if shared_limits
        else None
    )
    for ax, spec in zip(axes[0], panels, strict=True):
        _draw_panel(ax, spec, palette)
        xlim, ylim = shared or _square_limits([spec.panel.points, spec.panel.templates])
        ax.set_xlim(xlim)
        ax.set_ylim(ylim)
        ax.set_xlabel(f"axis 1 (along w[{b}] − w[{a}])", fontsize=8)
    axes[0, 0].set_ylabel("axis 2 (in-plane, perpendicular to axis 1)", fontsize=8)

    handles = [
        Line2D([], [], marker="o", linestyle="", color=palette[name], label=name)
        for name in classes
    ]
    handles.append(
        Line2D(
            [],
            [],
            marker="*",
            linestyle="",
            markersize=11,
            markerfacecolor="white",
            markeredgecolor="black",
            label="class template w̃ = [w, b]",
        )
    )
    fig.legend(
        handles=handles, loc="outside lower center", ncol=len(handles), frameon=False, fontsize=9
    )
    limits = "shared axis limits" if shared_limits else "per-panel axis limits"
    units = "plane coordinates in penultimate-activation units, origin = template centroid"
    fig.suptitle(f"{title}\n({limits}; {units})" if title else f"{limits}; {units}", fontsize=10)
    return fig


def fig1_panel_specs(
    hard_train: ProjectionPanel,
    hard_val: ProjectionPanel,
    smooth_train: ProjectionPanel,
    smooth_val: ProjectionPanel,
    alpha: float,
) -> list[PanelSpec]:
    """The paper's column order and titles for one Fig. 1 row (α = 0 first, then α)."""
    return [
        PanelSpec(hard_train, "training, α = 0"),
        PanelSpec(hard_val, "validation, α = 0"),
        PanelSpec(smooth_train, f"training, α = {alpha:g}"),
        PanelSpec(smooth_val, f"validation, α = {alpha:g}"),
    ]


def write_representation_figures(
    panels: Sequence[PanelSpec],
    title: str,
    shared_pdf: str | Path,
    shared_png: str | Path,
    free_pdf: str | Path,
    free_png: str | Path,
) -> None:
    """Write both versions of one Fig. 1 row: shared limits and per-panel limits."""
    save_figure(
        representation_figure(panels, shared_limits=True, title=title), shared_pdf, shared_png
    )
    save_figure(representation_figure(panels, shared_limits=False, title=title), free_pdf, free_png)


def geometry_vs_alpha_figure(
    table: pd.DataFrame,
    metrics: Sequence[str],
    title: str = "",
) -> Figure:
    """Geometry numbers against α, one panel per metric, one line per split.

    Args:
        table: long table with one row per (model, split): columns ``alpha``, ``split``, ``seed``
            and the metric columns (e.g. records of
            ``lsrepro.representation.geometry.split_geometry``).
            Several seeds per α are drawn as mean with a min–max band (as the paper's A.1).
        metrics: metric columns to plot.  For ``gap_mean`` the closed-form optimum
            ``gap_optimal`` (§1.1) is drawn beside the measured values when present.
        title: figure title.

    Returns:
        The matplotlib figure.
    """
    missing = [c for c in ("alpha", "split", *metrics) if c not in table.columns]
    if missing:
        raise ValueError(f"geometry table lacks column(s) {missing}; has {list(table.columns)}")
    fig = Figure(figsize=(3.6 * len(metrics), 3.4), layout="constrained")
    axes = fig.subplots(1, len(metrics), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        data = table.dropna(subset=[metric])
        sns.lineplot(
            data=data,
            x="alpha",
            y=metric,
            hue="split",
            estimator="mean",
            errorbar=("pi", 100),
            marker="o",
            ax=ax,
        )
        if metric == "gap_mean" and "gap_optimal" in table.columns:
            optimum = table.dropna(subset=["gap_optimal"]).groupby("alpha")["gap_optimal"].first()
            if not optimum.empty:
                ax.plot(
                    optimum.index,
                    optimum.to_numpy(),
                    color="black",
                    linestyle=":",
                    marker="x",  # one finite α > 0 (e.g. α ∈ {0, 0.1}) draws no line
                    label="loss minimiser log((1−α+α/K)/(α/K))",
                )
                ax.legend(fontsize=7)
        ax.set_xlabel("label smoothing α")
        ax.set_ylabel(metric.replace("_", " "))
        ax.grid(True, linewidth=0.3, alpha=0.5)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
