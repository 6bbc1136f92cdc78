"""Fig. 4 stays legible at the report's width: text of at least 10 pt on a figure of at most
11 in, one legend for the three panels (no per-panel legends over the curves)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg

from lsrepro.figures.translation import bleu_nll_vs_temperature_figure


def _table():
    rows = [
        (alpha, seed, t, metric, value)
        for alpha in (0.0, 0.1)
        for seed in range(2)
        for t in (0.8, 1.0, 1.2)
        for metric, value in (("bleu", 30 + t), ("ece", 0.05 * t), ("nll", 1.5 + t))
    ]
    return pd.DataFrame(rows, columns=["alpha", "seed", "scaling_temperature", "metric", "value"])


def test_fig4_text_is_legible_at_report_width():
    fig = bleu_nll_vs_temperature_figure(_table())
    FigureCanvasAgg(fig).draw()  # ticks exist once drawn
    assert fig.get_figwidth() <= 11.0
    sizes = []
    for ax in fig.get_axes():
        assert ax.get_legend() is None
        label_sizes = [ax.xaxis.label.get_fontsize(), ax.yaxis.label.get_fontsize()]
        names = (ax.get_xlabel(), ax.get_ylabel())
        sizes += [s for s, text in zip(label_sizes, names, strict=True) if text]
        sizes += [t.get_fontsize() for t in ax.get_xticklabels() + ax.get_yticklabels()]
        if ax.get_title():
            sizes.append(ax.title.get_fontsize())
    (legend,) = fig.legends
    sizes += [t.get_fontsize() for t in legend.get_texts()]
    sizes.append(fig._suptitle.get_fontsize())
    assert min(sizes) >= 10, sorted(set(sizes))
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts[:2] == ["BLEU (left axis)", "ECE (right axis); NLL in the right panel"]
    assert "label smoothing (α = 0.1)" in texts
    assert "each seed's fitted T" not in texts  # no fitted rows, no star in the legend
    with_fitted = bleu_nll_vs_temperature_figure(_table().assign(fitted=lambda t: t.seed == 1))
    assert "each seed's fitted T" in [t.get_text() for t in with_fitted.legends[0].get_texts()]
    # panels keep their data: left panel's BLEU is the mean over seeds at each T
    bleu = fig.get_axes()[0].get_lines()[0]
    np.testing.assert_allclose(bleu.get_ydata(), [30.8, 31.0, 31.2])
