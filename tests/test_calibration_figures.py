"""Calibration figures draw the data they are given: planted bins and seed summaries, read back
from the matplotlib artists (line data, circle sizes, step heights, the paper's points)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lsrepro import calibration as cal
from lsrepro.calibration.files import reliability_curves, reliability_figure
from lsrepro.figures.calibration import (
    fig2_curves,
    metrics_vs_alpha_figure,
    paper_points,
    plot_metrics_vs_alpha,
    plot_reliability_diagram,
    reliability_diagram,
)
from lsrepro.stats import summarize_over_seeds

N_BINS = 15


def _planted(groups):
    """Top-label vectors from ``(confidence, examples, correct)`` groups (all in one bin each)."""
    conf = np.concatenate([np.full(n, c) for c, n, _ in groups])
    correct = np.concatenate([np.arange(n) < k for _, n, k in groups]).astype(float)
    return conf, correct


# hard targets: ONE example at confidence 0.12 (right), 99 at 0.5 (40 right), 1000 at 0.95 (900)
HARD = [(0.12, 1, 1), (0.5, 99, 40), (0.95, 1000, 900)]
SCALED = [(0.3, 100, 30), (0.7, 1000, 700)]
SMOOTH = [(0.2, 5, 0), (0.6, 600, 360), (0.8, 495, 396)]


def _curves(ece=(None, None, None)):
    bins = [cal.reliability_bins_from_vectors(*_planted(g), N_BINS) for g in (HARD, SCALED, SMOOTH)]
    return fig2_curves(*bins, temperature=1.7, alpha=0.1, ece=ece)


def _bin_circles(top, k):
    """(offsets, sizes, face alphas) of the k-th curve's bin circles."""
    coll = top.collections[k]
    return np.asarray(coll.get_offsets()), coll.get_sizes(), coll.get_facecolors()[:, 3]


def test_reliability_diagram_draws_the_bins_weighted_by_count():
    fig = reliability_diagram(_curves(), min_count=10)
    top, bottom = fig.axes
    lines = top.get_lines()
    assert lines[0].get_linestyle() == "--"  # the diagonal
    hard, scaled, smooth = lines[1:4]
    # the curves join the bins of >= 10 examples: (mean confidence, accuracy) of each group
    np.testing.assert_allclose(hard.get_xydata(), [[0.5, 40 / 99], [0.95, 0.9]])
    np.testing.assert_allclose(scaled.get_xydata(), [[0.3, 0.3], [0.7, 0.7]])
    np.testing.assert_allclose(smooth.get_xydata(), [[0.6, 0.6], [0.8, 396 / 495]])
    assert hard.get_label().startswith("hard targets") and scaled.get_marker() == "x"
    assert hard.get_linestyle() == "-" and scaled.get_linestyle() == "--"  # same colour
    assert smooth.get_label().startswith("label smoothing (α = 0.1)")
    # every non-empty bin is a circle; the one-example bin is drawn, small and open
    xy, sizes, face = _bin_circles(top, 0)
    np.testing.assert_allclose(xy, [[0.12, 1.0], [0.5, 40 / 99], [0.95, 0.9]])
    assert face[0] == 0 and face[1] > 0 and face[2] > 0
    # area grows in proportion to the count: (s_i - s_1) / (s_j - s_1) = (n_i - 1) / (n_j - 1)
    assert sizes[0] < sizes[1] < sizes[2]
    assert (sizes[2] - sizes[0]) / (sizes[1] - sizes[0]) == pytest.approx(999 / 98)
    # circle areas compare across curves: one share of the examples, one area
    _, smooth_sizes, smooth_face = _bin_circles(top, 2)
    assert smooth_face[0] == 0  # 5 examples < 10
    assert (smooth_sizes[1] - sizes[0]) / (sizes[2] - sizes[0]) == pytest.approx(
        (600 / 1100 - 1 / 1100) / (1000 / 1100 - 1 / 1100)
    )
    # histogram: the fraction of examples per bin on the 15 equal-width bins
    steps = [p for p in bottom.patches if hasattr(p, "get_data")]
    assert len(steps) == 3
    # the scaled curve's histogram shares the hard curve's colour, so it is dashed
    assert steps[0].get_linestyle() == "-" and steps[1].get_linestyle() == "--"
    assert steps[0].get_edgecolor() == steps[1].get_edgecolor()
    values, edges, _ = steps[0].get_data()
    np.testing.assert_allclose(edges, np.linspace(0, 1, N_BINS + 1))
    expected = np.zeros(N_BINS)
    expected[[1, 7, 14]] = [1 / 1100, 99 / 1100, 1000 / 1100]  # 0.12, 0.5, 0.95
    np.testing.assert_allclose(values, expected)
    assert top.get_legend() is None  # beside the axes, not over the bins
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "bin of < 10 examples (not joined)" in legend


def test_min_count_one_joins_every_bin_and_bad_min_count_raises():
    fig = reliability_diagram(_curves(), min_count=1)
    top = fig.axes[0]
    np.testing.assert_allclose(top.get_lines()[1].get_xdata(), [0.12, 0.5, 0.95])
    _, sizes, face = _bin_circles(top, 0)
    assert (face > 0).all() and sizes[0] < sizes[2] / 50  # joined, still weighted by count
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="min_count must be an integer >= 1"):
            reliability_diagram(_curves(), min_count=bad)


def test_reliability_curves_from_files_carry_ece_and_temperature(tmp_path):
    """The Fig. 2 legend from reliability.csv files: ECE computed here by hand."""
    frames = []
    for scaling, groups, t in (("none", HARD, 1.0), ("temperature", SCALED, 1.7)):
        bins = cal.reliability_bins_from_vectors(*_planted(groups), N_BINS)
        frames.append(bins.assign(split="val", scaling=scaling, scaling_temperature=t))
        frames.append(bins.iloc[::-1].assign(split="test", scaling=scaling, scaling_temperature=t))
    pd.concat(frames).to_csv(tmp_path / "hard.csv", index=False)
    smooth = cal.reliability_bins_from_vectors(*_planted(SMOOTH), N_BINS)
    smooth.assign(split="val", scaling="none", scaling_temperature=1.0).to_csv(
        tmp_path / "ls.csv", index=False
    )
    curves = reliability_curves(
        hard=tmp_path / "hard.csv", smooth=tmp_path / "ls.csv", alpha=0.1, split="val"
    )
    # ECE = sum_m n_m |acc_m - conf_m| / N
    hard_ece = (1 * 0.88 + 99 * abs(40 / 99 - 0.5) + 1000 * 0.05) / 1100
    smooth_ece = (5 * 0.2 + 600 * 0.0 + 495 * abs(396 / 495 - 0.8)) / 1100
    assert [c.ece for c in curves] == pytest.approx([hard_ece, 0.0, smooth_ece], abs=1e-12)
    assert curves[1].label == "hard targets + TS (T = 1.70)"
    labels = [ln.get_label() for ln in reliability_diagram(curves).axes[0].get_lines()[1:4]]
    assert labels[0] == f"hard targets, ECE {hard_ece:.3f}"
    # the rule's entry point (min_count from config calibration.min_bin_count)
    out = {"pdf": tmp_path / "fig" / "r.pdf", "png": tmp_path / "fig" / "r.png"}
    reliability_figure(
        hard=tmp_path / "hard.csv",
        smooth=tmp_path / "ls.csv",
        alpha=0.1,
        split="val",
        title="t",
        min_count=5,
        **out,
    )
    assert out["png"].read_bytes().startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="min_count must be an integer >= 1, got 0"):
        reliability_figure(
            hard=tmp_path / "hard.csv",
            smooth=tmp_path / "ls.csv",
            alpha=0.1,
            split="val",
            title="t",
            min_count=0,
            **out,
        )


def test_reliability_diagram_writes_pdf_and_png(tmp_path):
    pdf, png = tmp_path / "a" / "rel.pdf", tmp_path / "a" / "rel.png"
    plot_reliability_diagram(_curves(ece=(0.3, 0.1, 0.2)), pdf, png, min_count=10)
    assert pdf.read_bytes().startswith(b"%PDF") and png.read_bytes().startswith(b"\x89PNG")


def _seed_rows():
    """ECE and accuracy per (alpha, scaling, seed); temperature scaling has the lower ECE."""
    return pd.DataFrame(
        [
            {"alpha": a, "split": sp, "scaling": s, "seed": seed, "metric": m, "estimate": v}
            for sp in ("val", "test")
            for a in (0.0, 0.05, 0.1)
            for s in ("none", "temperature")
            for seed in range(3)
            for m, v in (
                ("ece", (0.15 - a if s == "none" else 0.02 + a / 10) + 0.01 * seed),
                ("accuracy", 0.70 + a / 10 + 0.01 * seed + (0.05 if sp == "test" else 0.0)),
            )
        ]
    )


def _drawn_series(ax):
    """{legend label: (x, y, yerr low, yerr high)} of the error-bar series of one panel."""
    out = {}
    for container in ax.containers:
        line, _, (bars,) = container
        segments = np.array([seg[:, 1] for seg in bars.get_segments()])
        out[container.get_label()] = (line.get_xdata(), line.get_ydata(), *segments.T)
    return out


def test_metrics_vs_alpha_draws_seed_means_intervals_and_paper_points():
    rows = _seed_rows()
    by = ["alpha", "split", "scaling", "metric"]
    summary = summarize_over_seeds(rows, by=by, values=["estimate"])
    paper = paper_points("CIFAR-100", "ResNet-56")
    fig = metrics_vs_alpha_figure(summary, metrics=("ece", "accuracy"), split="val", paper=paper)
    ece_ax, acc_ax = fig.axes[:2]
    assert ece_ax.get_ylabel() == "ECE (fraction)" and acc_ax.get_ylabel() == "top-1 accuracy (%)"
    for ax, metric, scale in ((ece_ax, "ece", 1.0), (acc_ax, "accuracy", 100.0)):
        series = _drawn_series(ax)
        assert set(series) == {"T = 1", "temperature (T fitted on val)"}
        for label, scaling in (("T = 1", "none"), ("temperature (T fitted on val)", "temperature")):
            x, y, lo, hi = series[label]
            cell = (rows.split == "val") & (rows.scaling == scaling) & (rows.metric == metric)
            seeds = rows[cell]
            per_alpha = seeds.groupby("alpha")["estimate"]
            mean, sd = per_alpha.mean(), per_alpha.std(ddof=1)
            half = stats.t.ppf(0.975, 2) * sd / np.sqrt(3)
            np.testing.assert_allclose(x, [0.0, 0.05, 0.1])
            np.testing.assert_allclose(y, scale * mean.to_numpy())
            np.testing.assert_allclose(lo, scale * (mean - half).to_numpy())
            np.testing.assert_allclose(hi, scale * (mean + half).to_numpy())

    # the paper's numbers (Tables 2, 3: CIFAR-100 ResNet-56) where drawn: star T = 1, cross TS
    def points(ax, marker):
        return sorted(
            (float(ln.get_xdata()[0]), float(ln.get_ydata()[0]))
            for ln in ax.get_lines()
            if ln.get_marker() == marker
        )

    np.testing.assert_allclose(points(ece_ax, "*"), [(0.0, 0.150), (0.05, 0.024)])
    np.testing.assert_allclose(points(ece_ax, "X"), [(0.0, 0.021)])
    np.testing.assert_allclose(points(acc_ax, "*"), [(0.0, 72.1), (0.1, 72.7)])
    assert points(acc_ax, "X") == []


def test_metrics_vs_alpha_writes_files_and_checks_metrics(tmp_path):
    summary = summarize_over_seeds(
        _seed_rows(), by=["alpha", "split", "scaling", "metric"], values=["estimate"]
    )
    pdf, png = tmp_path / "alpha.pdf", tmp_path / "alpha.png"
    plot_metrics_vs_alpha(summary, pdf, png, paper=paper_points("CIFAR-100", "ResNet-56"))
    assert pdf.read_bytes().startswith(b"%PDF") and png.read_bytes().startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="smece"):
        plot_metrics_vs_alpha(summary, pdf, png, metrics=("smece",))
