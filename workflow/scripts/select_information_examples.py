"""Snakemake adapter: rule select_information_examples."""

from lsrepro.information.files import select_examples_file
from lsrepro.runtime import setup_logging

setup_logging(snakemake.log[0])
select_examples_file(
    snakemake.input.prepared,
    snakemake.input.split,
    classes_by_name=snakemake.params.classes,
    per_class=snakemake.params.per_class,
    seed=snakemake.params.seed,
    out=snakemake.output.examples,
)
