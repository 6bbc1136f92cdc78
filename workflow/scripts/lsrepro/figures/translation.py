"""Translation figures: BLEU, ECE and NLL against the decoding temperature (paper Fig. 4).

The paper's Fig. 4 has three panels: left, the hard-target Transformer's BLEU (blue, left axis)
and ECE (red, right axis) against the temperature T; centre, the same for the label-smoothed
(α = 0.1) net; right, NLL against T for both nets. Curves with markers are the LS net (the paper's
caption calls the red curves NLL, its text ECE; we draw ECE in the first two panels, as the text
says, and NLL in the third). Lines are means over seeds; bands span min to max over seeds
(few seeds: no distributional assumption). Points with ``fitted = True`` (each seed's temperature
fitted on validation NLL) are drawn as separate stars, not joined into the curves.

:func:`bleu_length_vs_beam_figure` (the beam length bias ★, Liang et al. 2022): BLEU (left) and
sacreBLEU's length ratio sys_len / ref_len (right, a dotted line at 1) against the beam size
(log axis), one colour, marker and line style per α (lines that coincide stay visible); lines
are means over seeds, bands min to max over seeds.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from lsrepro.paper import comparison_alpha

__all__ = ["bleu_length_vs_beam_figure", "bleu_nll_vs_temperature_figure", "fig4_figure"]

_BLUE, _RED = "#1f77b4", "#d62728"
_LS_MARKER = "o"
_TITLE, _TEXT, _TICKS = 12, 11, 10  # font sizes (pt) of titles, axis labels, ticks and legend
REQUIRED = ("alpha", "seed", "scaling_temperature", "metric", "value")
LABELS = {
    "bleu": "BLEU (uncased, sacrebleu)",
    "ece": "token ECE (fraction, 15 bins)",
    "nll": "token NLL (nats)",
}


def _legend_handles(hard_alpha: float, ls_alpha: float, fitted: bool) -> list[Artist]:
    """The figure's one legend: what colour, marker, band (and star) stand for in every panel."""
    grey = "0.3"
    handles: list[Artist] = [
        Line2D([], [], color=_BLUE, label="BLEU (left axis)"),
        Line2D([], [], color=_RED, label="ECE (right axis); NLL in the right panel"),
        Patch(facecolor="0.5", alpha=0.3, label="min–max over seeds"),
        Line2D([], [], color=grey, label=f"hard targets (α = {hard_alpha:g})"),
        Line2D([], [], color=grey, marker=_LS_MARKER, label=f"label smoothing (α = {ls_alpha:g})"),
    ]
    if fitted:
        star = dict(marker="*", markersize=10, markerfacecolor=grey, markeredgecolor="black")
        handles.append(Line2D([], [], linestyle="none", label="each seed's fitted T", **star))
    return handles


def _check(table: pd.DataFrame) -> None:
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks column(s) {missing}; has {list(table.columns)}")
    for metric in ("bleu", "ece", "nll"):
        if metric not in set(table["metric"]):
            raise ValueError(f"table has no rows for metric {metric!r}")
    if not (table["scaling_temperature"] > 0).all():
        raise ValueError("temperatures must be > 0")


def _curve(ax: Axes, rows: pd.DataFrame, color: str, marker: str, label: str) -> None:
    """Mean over seeds with a min–max band; fitted-T points as stars."""
    fitted = rows["fitted"].astype(bool) if "fitted" in rows else pd.Series(False, rows.index)
    grid = rows.loc[~fitted].groupby("scaling_temperature")["value"].agg(["mean", "min", "max"])
    t = grid.index.to_numpy(dtype=float)
    ax.plot(t, grid["mean"], color=color, marker=marker, markersize=3.5, label=label)
    ax.fill_between(t, grid["min"], grid["max"], color=color, alpha=0.2, linewidth=0)
    pts = rows.loc[fitted]
    if len(pts):
        ax.plot(
            pts["scaling_temperature"],
            pts["value"],
            linestyle="none",
            marker="*",
            markersize=10,
            markerfacecolor=color,
            markeredgecolor="black",
            label=f"{label}, fitted T",
        )


def bleu_nll_vs_temperature_figure(
    table: pd.DataFrame,
    *,
    hard_alpha: float = 0.0,
    ls_alpha: float | None = None,
    title: str | None = None,
) -> Figure:
    """Paper Fig. 4 from a long table of per-seed numbers.

    Args:
        table: one row per (alpha, seed, T, metric) with columns ``alpha``, ``seed``,
            ``scaling_temperature`` (T > 0, applied to the logits), ``metric`` ∈ {``bleu``
            (0–100), ``ece`` (fraction), ``nll`` (nats per token)} and ``value``; optional bool
            ``fitted`` marks rows at a seed's fitted temperature. Filter to one split before
            calling.
        hard_alpha: α of the hard-target net (left panel).
        ls_alpha: α of the label-smoothed net (centre panel); default the only other α.

    Returns:
        The Figure (saving is :func:`lsrepro.figures.save_figure`).
    """
    _check(table)
    alphas = sorted(set(table["alpha"].astype(float)))
    if hard_alpha not in alphas:
        raise ValueError(f"no rows with alpha = {hard_alpha}; have {alphas}")
    if ls_alpha is None:
        others = [a for a in alphas if a != hard_alpha]
        if len(others) != 1:
            raise ValueError(f"pass ls_alpha: the table has alphas {alphas}")
        ls_alpha = others[0]
    elif ls_alpha not in alphas:
        raise ValueError(f"no rows with alpha = {ls_alpha}; have {alphas}")

    def rows(alpha: float, metric: str) -> pd.DataFrame:
        return table.loc[(table["alpha"].astype(float) == alpha) & (table["metric"] == metric)]

    with mpl.rc_context({"text.usetex": False}), sns.axes_style("whitegrid"):
        # sized for the report's width (about 10 in on screen): 11 pt text, one legend below
        fig = Figure(figsize=(11.0, 4.4), layout="constrained")
        axes = fig.subplots(1, 3)
        for ax, alpha, marker, name in (
            (axes[0], hard_alpha, "", f"hard targets (α = {hard_alpha:g})"),
            (axes[1], ls_alpha, _LS_MARKER, f"label smoothing (α = {ls_alpha:g})"),
        ):
            _curve(ax, rows(alpha, "bleu"), _BLUE, marker, "BLEU")
            ax.set_xlabel("temperature T", fontsize=_TEXT)
            ax.set_ylabel(LABELS["bleu"], fontsize=_TEXT, color=_BLUE)
            ax.set_title(name, fontsize=_TITLE)
            twin = ax.twinx()
            twin.grid(False)
            _curve(twin, rows(alpha, "ece"), _RED, marker, "ECE")
            twin.set_ylabel(LABELS["ece"], fontsize=_TEXT, color=_RED)
            twin.tick_params(labelsize=_TICKS, labelcolor=_RED)
        for alpha, marker, name in (
            (hard_alpha, "", "hard targets"),
            (ls_alpha, _LS_MARKER, f"label smoothing (α = {ls_alpha:g})"),
        ):
            _curve(axes[2], rows(alpha, "nll"), _RED, marker, name)
        axes[2].set_xlabel("temperature T", fontsize=_TEXT)
        axes[2].set_ylabel(LABELS["nll"], fontsize=_TEXT)
        axes[2].set_title("NLL, both nets", fontsize=_TITLE)
        for ax in axes:
            ax.tick_params(labelsize=_TICKS)
        fitted = "fitted" in table and bool(table["fitted"].astype(bool).any())
        fig.legend(
            handles=_legend_handles(hard_alpha, ls_alpha, fitted),
            loc="outside lower center",
            ncol=3,
            frameon=False,
            fontsize=_TICKS,
        )
        seeds = table.groupby("alpha")["seed"].nunique()
        fig.suptitle(
            title
            if title is not None
            else f"BLEU, ECE and NLL vs temperature; mean over seeds "
            f"({', '.join(f'α {a:g}: {n}' for a, n in seeds.items())}), "
            f"band = min-max",
            fontsize=_TITLE,
        )
        for ax in axes:
            ax.set_xlim(
                float(np.min(table["scaling_temperature"])) * 0.97,
                float(np.max(table["scaling_temperature"])) * 1.03,
            )
    return fig


def fig4_figure(per_seed: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Paper Fig. 4 from the per-seed table's rows of one split (``translation_per_seed.csv``:
    ``alpha, seed, scaling_temperature, fitted, bleu, ece, nll``): the hard-target net (α = 0)
    beside α = 0.1, or the smallest positive α when 0.1 was not trained
    (:func:`bleu_nll_vs_temperature_figure`)."""
    long = per_seed.melt(
        id_vars=["alpha", "seed", "scaling_temperature", "fitted"],
        value_vars=["bleu", "ece", "nll"],
        var_name="metric",
        value_name="value",
    )
    ls_alpha = comparison_alpha(set(long["alpha"].astype(float)))
    if ls_alpha is None:
        raise ValueError("Fig. 4 needs a label-smoothed net (alpha > 0); the table has none")
    return bleu_nll_vs_temperature_figure(long, hard_alpha=0.0, ls_alpha=ls_alpha, title=title)


BEAM_REQUIRED = ("alpha", "seed", "beam_size", "bleu", "length_ratio")
_BEAM_MARKERS = ("o", "s", "^", "D", "v", "P")
_BEAM_LINES = ("-", "--", ":", "-.")


def bleu_length_vs_beam_figure(table: pd.DataFrame, *, title: str | None = None) -> Figure:
    """BLEU and length ratio against the beam size, α as hue.

    Args:
        table: one row per (alpha, seed, beam_size) with ``bleu`` (0–100) and ``length_ratio``
            (sys_len / ref_len); filter to one split before calling.

    Returns:
        The Figure: two panels, one line per α (mean over seeds, in α order) with a min–max band.
    """
    missing = [c for c in BEAM_REQUIRED if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks column(s) {missing}; has {list(table.columns)}")
    if table.empty:
        raise ValueError("table has no rows")
    if not (table["beam_size"] >= 1).all():
        raise ValueError("beam sizes must be >= 1")
    alphas = sorted(set(table["alpha"].astype(float)))
    if len(alphas) > 2:
        colours = list(sns.color_palette("viridis", len(alphas)))
    else:
        colours = [_BLUE, _RED][: len(alphas)]
    with mpl.rc_context({"text.usetex": False}), sns.axes_style("whitegrid"):
        fig = Figure(figsize=(9.0, 3.6), layout="constrained")
        axes = fig.subplots(1, 2)
        for ax, column, label in (
            (axes[0], "bleu", LABELS["bleu"]),
            (axes[1], "length_ratio", "length ratio sys_len / ref_len (sacrebleu)"),
        ):
            for i, (alpha, colour) in enumerate(zip(alphas, colours, strict=True)):
                rows = table.loc[np.isclose(table["alpha"].astype(float), alpha)]
                agg = rows.groupby("beam_size")[column].agg(["mean", "min", "max"])
                k = agg.index.to_numpy(dtype=float)
                name = f"α = {alpha:g}" + (" (hard targets)" if alpha == 0 else "")
                # untrained (smoke) nets decode alike, so lines coincide: each α its own
                # marker and line style keeps every line visible under the others
                ax.plot(
                    k,
                    agg["mean"],
                    color=colour,
                    marker=_BEAM_MARKERS[i % len(_BEAM_MARKERS)],
                    markersize=7 - 2 * (i % 2),
                    markerfacecolor="none" if i % 2 else colour,
                    linestyle=_BEAM_LINES[i % len(_BEAM_LINES)],
                    label=name,
                )
                ax.fill_between(k, agg["min"], agg["max"], color=colour, alpha=0.2, linewidth=0)
            ax.set_xscale("log")
            beams = sorted(set(table["beam_size"].astype(int)))
            ax.set_xticks(beams, [str(b) for b in beams])
            ax.minorticks_off()
            ax.set(xlabel="beam size", ylabel=label)
        axes[1].axhline(1.0, color="grey", linestyle=":", linewidth=1)
        axes[0].legend(fontsize="small")
        seeds = table.groupby("alpha")["seed"].nunique()
        fig.suptitle(
            title
            if title is not None
            else f"BLEU and length ratio vs beam size; mean over seeds "
            f"({', '.join(f'α {a:g}: {n}' for a, n in seeds.items())}), band = min-max"
        )
    return fig
