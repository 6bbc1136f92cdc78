"""Snakemake adapter: rule tabulate_information."""

from lsrepro.information.files import tabulate_information
from lsrepro.runtime import setup_logging

setup_logging(snakemake.log[0])
tabulate_information(
    snakemake.input.curves,
    snakemake.params.runs,
    confidence=snakemake.params.confidence,
    per_seed_out=snakemake.output.per_seed,
    summary_out=snakemake.output.summary,
)
