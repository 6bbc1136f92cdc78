"""Snakemake adapter: rule tabulate_mnist_toy."""

from lsrepro.distillation.files import tabulate_mnist_toy
from lsrepro.runtime import setup_logging

setup_logging(snakemake.log[0])
tabulate_mnist_toy(
    records=snakemake.params.records,
    confidence=snakemake.params.confidence,
    per_seed_out=snakemake.output.per_seed,
    summary_out=snakemake.output.summary,
)
