"""Snakemake adapter: rule plot_calibration_vs_alpha."""

from lsrepro.calibration.files import calibration_vs_alpha_figure
from lsrepro.runtime import setup_logging

setup_logging(snakemake.log[0])
calibration_vs_alpha_figure(
    snakemake.input.summary,
    snakemake.wildcards.experiment,
    snakemake.output.pdf,
    snakemake.output.png,
)
