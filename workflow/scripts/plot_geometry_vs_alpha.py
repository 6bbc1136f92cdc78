"""Snakemake adapter: rule plot_geometry_vs_alpha."""

from lsrepro.representation.files import geometry_vs_alpha_figure
from lsrepro.runtime import setup_logging

setup_logging(snakemake.log[0])
geometry_vs_alpha_figure(
    snakemake.input.per_seed,
    snakemake.wildcards.experiment,
    snakemake.output.pdf,
    snakemake.output.png,
)
