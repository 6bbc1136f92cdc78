"""Snakemake adapter: rule tabulate_geometry."""

from lsrepro.representation.files import tabulate_geometry
from lsrepro.runtime import setup_logging

setup_logging(snakemake.log[0])
tabulate_geometry(
    snakemake.input.geometry,
    confidence=snakemake.params.confidence,
    per_seed_out=snakemake.output.per_seed,
    summary_out=snakemake.output.summary,
)
