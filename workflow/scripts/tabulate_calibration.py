"""Snakemake adapter: rule tabulate_calibration."""

from lsrepro.calibration.files import tabulate_calibration
from lsrepro.runtime import setup_logging

setup_logging(snakemake.log[0])
tabulate_calibration(
    snakemake.input.metrics,
    confidence=snakemake.params.confidence,
    per_seed_out=snakemake.output.per_seed,
    summary_out=snakemake.output.summary,
    table2_out=snakemake.output.table2,
    table3_out=snakemake.output.table3,
)
