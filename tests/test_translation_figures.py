"""Fig. 4 (BLEU/ECE/NLL vs temperature) and the beam length bias figure (BLEU and length ratio
vs beam size): the curves drawn are the means over seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lsrepro.figures import save_figure
from lsrepro.figures.translation import (
    bleu_length_vs_beam_figure,
    bleu_nll_vs_temperature_figure,
)


def _table():
    rng = np.random.default_rng(0)
    temps = np.round(np.arange(0.5, 2.01, 0.1), 2)
    rows = []
    for alpha in (0.0, 0.1):
        for seed in range(3):
            for t in temps:
                rows += [
                    (alpha, seed, t, "bleu", 38 - 3 * (t - 1.1) ** 2 + alpha * 10 + rng.normal()),
                    (alpha, seed, t, "ece", abs(t - 1.2 + alpha) / 10 + 0.01 * rng.random()),
                    (alpha, seed, t, "nll", 1.5 + (t - 1) ** 2 + alpha + 0.01 * rng.random()),
                ]
            rows.append(
                (
                    alpha,
                    seed,
                    1.13 + 0.01 * seed,
                    "nll",
                    1.4,
                )
            )
    table = pd.DataFrame(rows, columns=["alpha", "seed", "scaling_temperature", "metric", "value"])
    table["fitted"] = table["value"].eq(1.4)
    return table


def test_fig4_draws_seed_means_and_fitted_points(tmp_path):
    table = _table()
    fig = bleu_nll_vs_temperature_figure(table)
    axes = fig.get_axes()
    assert len(axes) == 5  # three panels, two with a twin axis for ECE
    left = axes[0]
    bleu = table[(table.alpha == 0.0) & (table.metric == "bleu")]
    expected = bleu.groupby("scaling_temperature")["value"].mean()
    line = left.get_lines()[0]
    np.testing.assert_allclose(line.get_xdata(), expected.index)
    np.testing.assert_allclose(line.get_ydata(), expected.to_numpy())
    # the NLL panel: one curve per net, the LS one with markers, fitted stars not on the curve
    nll_lines = axes[2].get_lines()
    markers = [ln.get_marker() for ln in nll_lines]
    assert "o" in markers and "*" in markers
    curve = next(ln for ln in nll_lines if ln.get_marker() == "o")
    assert len(curve.get_xdata()) == 16 and 1.4 not in set(curve.get_ydata())
    save_figure(fig, tmp_path / "fig4.pdf", tmp_path / "fig4.png")
    assert (tmp_path / "fig4.png").stat().st_size > 10_000


def test_fig4_rejects_bad_tables():
    table = _table()
    with pytest.raises(ValueError, match="lacks column"):
        bleu_nll_vs_temperature_figure(table.drop(columns="seed"))
    with pytest.raises(ValueError, match="no rows for metric 'ece'"):
        bleu_nll_vs_temperature_figure(table[table.metric != "ece"])
    three = pd.concat([table, table.assign(alpha=0.2)])
    with pytest.raises(ValueError, match="pass ls_alpha"):
        bleu_nll_vs_temperature_figure(three)
    bleu_nll_vs_temperature_figure(three, ls_alpha=0.2)


def _beam_table() -> pd.DataFrame:
    """Per-seed BLEU and length ratio on the beam grid: LS outputs shrink with the beam."""
    rng = np.random.default_rng(1)
    rows = []
    for alpha in (0.0, 0.1, 0.2):
        for seed in range(3):
            for k in (1, 4, 10, 50):
                ratio = 1.0 - (alpha * np.log(k) / 4) + 0.01 * rng.standard_normal()
                rows.append((alpha, seed, "test", k, 30 + 5 * alpha + rng.normal(), ratio))
    return pd.DataFrame(
        rows, columns=["alpha", "seed", "split", "beam_size", "bleu", "length_ratio"]
    )


def test_beam_figure_draws_seed_means_per_alpha():
    table = _beam_table()
    fig = bleu_length_vs_beam_figure(table)
    left, right = fig.get_axes()
    assert left.get_xscale() == right.get_xscale() == "log"
    for ax, column in ((left, "bleu"), (right, "length_ratio")):
        lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 2]  # not the ratio-1 line
        assert [ln.get_label() for ln in lines] == [
            "α = 0 (hard targets)",
            "α = 0.1",
            "α = 0.2",
        ]
        for line, alpha in zip(lines, (0.0, 0.1, 0.2), strict=True):
            expected = table.loc[table["alpha"] == alpha].groupby("beam_size")[column].mean()
            np.testing.assert_allclose(line.get_xdata(), [1, 4, 10, 50])
            np.testing.assert_allclose(line.get_ydata(), expected.to_numpy())
        assert len({tuple(ln.get_color()) for ln in lines}) == 3  # alpha as hue
        # and as marker and line style, so that coinciding lines (equal outputs) stay visible
        assert len({ln.get_marker() for ln in lines}) == 3
        assert len({ln.get_linestyle() for ln in lines}) == 3
    reference = [ln for ln in right.get_lines() if list(ln.get_ydata()) == [1.0, 1.0]]
    assert len(reference) == 1  # the dotted line at length ratio 1
    assert [t.get_text() for t in left.get_xticklabels()] == ["1", "4", "10", "50"]


def test_beam_figure_rejects_bad_tables():
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['length_ratio'\]"):
        bleu_length_vs_beam_figure(_beam_table().drop(columns="length_ratio"))
    with pytest.raises(ValueError, match="beam sizes must be >= 1"):
        bleu_length_vs_beam_figure(_beam_table().assign(beam_size=0))
