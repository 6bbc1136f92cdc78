"""Snakemake adapter: rule plot_calibration_vs_alpha."""

from lsrepro.io import setup_logging
from lsrepro.stages import calibration_vs_alpha_figure

setup_logging(snakemake.log[0])
calibration_vs_alpha_figure(
    snakemake.input.summary,
    snakemake.wildcards.experiment,
    snakemake.output.pdf,
    snakemake.output.png,
)
