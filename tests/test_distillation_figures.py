"""Fig. 5 (accuracy against the smoothness index γ) draws the seed summaries it is given."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from lsrepro.distillation import tables
from lsrepro.figures.distillation import STYLE, fig5_figure


def _per_seed():
    """Teachers and students over 3 seeds; each curve has its own level, so a swap would show."""
    level = {"teacher": 0.80, "student_ls": 0.70, "student_hard_teacher": 0.75}
    rows = []
    for curve, settings in (
        ("teacher", [(np.nan, np.nan, a, a) for a in (0.0, 0.1, 0.2)]),
        ("student_ls", [(np.nan, np.nan, a, a) for a in (0.0, 0.1, 0.2)]),
        # distilled from the alpha = 0 teacher at T = 2, 4: gamma measured per seed
        ("student_hard_teacher", [(0.0, t, 0.0, g) for t, g in ((2.0, 0.05), (4.0, 0.15))]),
    ):
        for teacher_alpha, t, alpha, gamma in settings:
            for seed in range(3):
                rows.append(
                    {
                        "curve": curve,
                        "experiment": "cifar10_resnet56",
                        "teacher_alpha": teacher_alpha,
                        "temperature": t,
                        "alpha": alpha,
                        "gamma": gamma + 0.01 * seed * (curve == "student_hard_teacher"),
                        "seed": seed,
                        "val_accuracy": level[curve] + alpha / 10 + 0.02 * seed,
                        "test_accuracy": 0.5,
                        "teacher_agreement": 0.9 if curve.startswith("student_hard") else np.nan,
                    }
                )
    return pd.DataFrame(rows, columns=list(tables.FIG5_COLUMNS))


def test_fig5_draws_seed_means_against_gamma_with_min_max_band():
    per_seed = _per_seed()
    fig = fig5_figure(tables.summarize(per_seed, 0.95), title="t")
    try:
        (ax,) = fig.axes
        lines = {ln.get_label(): ln for ln in ax.get_lines()}
        for curve in ("teacher", "student_ls", "student_hard_teacher"):
            label, colour, style, marker = STYLE[curve]
            line = lines[label]
            assert (line.get_color(), line.get_linestyle(), line.get_marker()) == (
                colour,
                style,
                marker,
            )
            # one point per temperature (distilled) or per alpha (trained directly)
            key = "temperature" if curve == "student_hard_teacher" else "alpha"
            seeds = per_seed[per_seed["curve"] == curve].groupby(key)
            expected = seeds[["gamma", "val_accuracy"]].mean().sort_values("gamma")
            np.testing.assert_allclose(line.get_xdata(), expected["gamma"])
            np.testing.assert_allclose(line.get_ydata(), 100 * expected["val_accuracy"])
        assert STYLE["student_ls_teacher"][0] not in lines  # no rows, no curve
        # bands: min to max over seeds (0.02 * 2 apart), in percent
        bands = [c for c in ax.collections if len(c.get_paths())]
        assert len(bands) == 3
        for band in bands:
            ys = band.get_paths()[0].vertices[:, 1]
            assert ys.max() - ys.min() >= 4.0 - 1e-9
        teacher_band = bands[0].get_paths()[0].vertices[:, 1]
        assert teacher_band.min() == pytest.approx(80.0) and teacher_band.max() == pytest.approx(
            80.0 + 2.0 + 4.0
        )
        texts = sorted(t.get_text() for t in ax.texts)
        assert texts == ["T=2", "T=4"]
        assert ax.get_ylabel() == "validation accuracy (%)"
    finally:
        plt.close(fig)
