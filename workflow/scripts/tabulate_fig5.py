"""Snakemake adapter: rule tabulate_fig5."""

from lsrepro.distillation.files import tabulate_fig5
from lsrepro.runtime import setup_logging

setup_logging(snakemake.log[0])
tabulate_fig5(
    records=snakemake.params.records,
    prepared=snakemake.input.prepared,
    split=snakemake.input.split,
    student_flip=snakemake.params.student_flip,
    confidence=snakemake.params.confidence,
    per_seed_out=snakemake.output.per_seed,
    summary_out=snakemake.output.summary,
)
