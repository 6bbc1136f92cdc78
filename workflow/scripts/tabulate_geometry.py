"""Snakemake adapter: rule tabulate_geometry."""

from lsrepro.io import setup_logging
from lsrepro.representation.files import tabulate_geometry

setup_logging(snakemake.log[0])
tabulate_geometry(
    snakemake.input.geometry,
    confidence=snakemake.params.confidence,
    per_seed_out=snakemake.output.per_seed,
    summary_out=snakemake.output.summary,
)
