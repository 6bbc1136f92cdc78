"""Snakemake adapter: rule plot_geometry_vs_alpha."""

from lsrepro.io import setup_logging
from lsrepro.representation.files import geometry_vs_alpha_figure

setup_logging(snakemake.log[0])
geometry_vs_alpha_figure(
    snakemake.input.per_seed,
    snakemake.wildcards.experiment,
    snakemake.output.pdf,
    snakemake.output.png,
)
