"""Figure functions: matplotlib/seaborn, no LaTeX, each writes PDF (vector) and PNG."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure


def save_figure(fig: Figure, pdf: str | Path, png: str | Path, dpi: int = 200) -> None:
    """Write ``fig`` as PDF and PNG (tight bounding box), creating parent directories."""
    for path in (Path(pdf), Path(png)):
        path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(pdf, format="pdf", bbox_inches="tight")
    fig.savefig(png, format="png", dpi=dpi, bbox_inches="tight")
