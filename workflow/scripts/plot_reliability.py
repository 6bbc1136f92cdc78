"""Snakemake adapter: rule plot_reliability."""

from lsrepro.calibration.files import reliability_figure
from lsrepro.runtime import setup_logging

setup_logging(snakemake.log[0])
reliability_figure(
    hard=snakemake.input.hard,
    smooth=snakemake.input.smooth,
    alpha=snakemake.params.alpha,
    min_count=snakemake.params.min_count,
    split="val",
    title=f"{snakemake.wildcards.figure}: validation split",
    pdf=snakemake.output.pdf,
    png=snakemake.output.png,
)
