"""Calibration figures are written as PDF and PNG from real metric tables (no mocks)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lsrepro import calibration as cal
from lsrepro.figures.calibration import (
    fig2_curves,
    paper_points,
    plot_metrics_vs_alpha,
    plot_reliability_diagram,
)
from lsrepro.stats import summarize_over_seeds


def test_reliability_diagram_writes_pdf_and_png(tmp_path):
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, size=(500, 10))
    labels = rng.integers(0, 10, size=500)
    bins = [cal.reliability_bins(cal.softmax(logits, t), labels) for t in (1.0, 2.0, 1.5)]
    curves = fig2_curves(*bins, temperature=2.0, alpha=0.05, ece=(0.3, 0.1, 0.2))
    pdf, png = tmp_path / "a" / "rel.pdf", tmp_path / "a" / "rel.png"
    plot_reliability_diagram(curves, pdf, png)
    assert pdf.read_bytes().startswith(b"%PDF") and png.read_bytes().startswith(b"\x89PNG")


def test_metrics_vs_alpha_writes_files_and_checks_metrics(tmp_path):
    rows = [
        {"alpha": a, "split": "val", "scaling": s, "seed": seed, "metric": m, "estimate": v}
        for a in (0.0, 0.1)
        for s in ("none", "temperature")
        for seed in range(3)
        for m, v in (("ece", 0.1 - a + 0.01 * seed), ("accuracy", 0.7 + 0.01 * seed))
    ]
    summary = summarize_over_seeds(
        pd.DataFrame(rows), by=["alpha", "split", "scaling", "metric"], values=["estimate"]
    )
    paper = paper_points("CIFAR-100", "ResNet-56")
    assert set(paper["metric"]) == {"accuracy", "ece"} and len(paper) == 5
    pdf, png = tmp_path / "alpha.pdf", tmp_path / "alpha.png"
    plot_metrics_vs_alpha(summary, pdf, png, paper=paper)
    assert pdf.stat().st_size > 0 and png.stat().st_size > 0
    with pytest.raises(ValueError, match="smece"):
        plot_metrics_vs_alpha(summary, pdf, png, metrics=("smece",))
