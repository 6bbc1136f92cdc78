"""Fig. 6 (MI during training) and the MI vs distillation scatter draw the tables they are given."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lsrepro.figures.information import information_figure, information_vs_distillation_figure


def _summary():
    """MI per (alpha, step): alpha = 0 ends higher than alpha = 0.1 (a swap would show)."""
    rows = []
    log_n = np.log(600)
    for alpha, final in ((0.0, 1.2), (0.1, 0.7)):
        for step, mi in ((0, 0.1), (50, 2.0), (100, final)):
            common = {"alpha": alpha, "step": step, "n": 3}
            rows.append(common | {"variable": "mi", "mean": mi, "min": mi - 0.05, "max": mi + 0.1})
            rows.append(common | {"variable": "log_n", "mean": log_n, "min": log_n, "max": log_n})
    return pd.DataFrame(rows)


def test_information_figure_draws_mean_lines_bands_and_references():
    summary = _summary()
    fig = information_figure(summary, "ResNet-56 / CIFAR-10")
    (ax,) = fig.axes
    curves = [ln for ln in ax.get_lines() if ln.get_marker() == "o"]
    assert [ln.get_label() for ln in curves] == ["α = 0 (3 seeds)", "α = 0.1 (3 seeds)"]
    for line, alpha in zip(curves, (0.0, 0.1), strict=True):
        mi = summary[(summary["alpha"] == alpha) & (summary["variable"] == "mi")]
        np.testing.assert_allclose(line.get_xdata(), mi["step"])
        np.testing.assert_allclose(line.get_ydata(), mi["mean"])
    assert curves[0].get_color() != curves[1].get_color()
    # min-max bands, one per alpha, spanning the planted extremes
    for band, alpha in zip(ax.collections, (0.0, 0.1), strict=True):
        mi = summary[(summary["alpha"] == alpha) & (summary["variable"] == "mi")]
        ys = band.get_paths()[0].vertices[:, 1]
        assert (ys.min(), ys.max()) == pytest.approx((mi["min"].min(), mi["max"].max()))
    # dashed references at log 2 and log N
    refs = sorted(ln.get_ydata()[0] for ln in ax.get_lines() if ln.get_linestyle() == "--")
    assert refs == pytest.approx([np.log(2.0), np.log(600)])


def test_information_vs_distillation_draws_one_point_per_teacher():
    table = pd.DataFrame(
        {
            "teacher_alpha": [0.0, 0.1, 0.2],
            "accuracy": "val_accuracy",
            "student_val_accuracy_mean": [0.80, 0.78, 0.75],
            "student_val_accuracy_min": [0.79, 0.77, 0.73],
            "student_val_accuracy_max": [0.82, 0.785, 0.76],
            "mi_final_mean": [1.5, 1.0, 0.6],
            "mi_final_min": [1.4, 0.9, 0.55],
            "mi_final_max": [1.55, 1.2, 0.7],
            "spearman_rho": 1.0,
            "spearman_ci_lower": 0.5,
            "spearman_ci_upper": 1.0,
            "n_teachers": 3,
        }
    )
    fig = information_vs_distillation_figure(table)
    (ax,) = fig.axes
    (container,) = ax.containers
    line, _, (xbars, ybars) = container
    np.testing.assert_allclose(line.get_xdata(), [1.5, 1.0, 0.6])
    np.testing.assert_allclose(line.get_ydata(), [80.0, 78.0, 75.0])
    # error bars span min to max over seeds: x (teacher MI) and y (student accuracy, %)
    x_ends = [s[:, 0] for s in xbars.get_segments()]
    np.testing.assert_allclose(x_ends, table[["mi_final_min", "mi_final_max"]].to_numpy())
    np.testing.assert_allclose(
        [s[:, 1] for s in ybars.get_segments()],
        100 * table[["student_val_accuracy_min", "student_val_accuracy_max"]].to_numpy(),
    )
    assert [t.get_text() for t in ax.texts] == ["α=0", "α=0.1", "α=0.2"]
    assert ax.get_title().startswith("Spearman ρ = 1.00 [0.50, 1.00], 3 teachers")
    assert ax.get_ylabel() == "student validation accuracy, T = 1 (%)"
