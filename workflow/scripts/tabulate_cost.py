"""Snakemake adapter: rule tabulate_cost."""

from lsrepro.aggregate import benchmark_cost
from lsrepro.io import write_csv
from lsrepro.runtime import setup_logging

setup_logging(snakemake.log[0])
write_csv(benchmark_cost(snakemake.params.benchmarks), snakemake.output.cost)
