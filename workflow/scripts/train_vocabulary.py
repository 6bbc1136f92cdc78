"""Snakemake adapter: rule train_vocabulary."""

from lsrepro.runtime import setup_logging
from lsrepro.translation.files import train_vocabulary_file

setup_logging(snakemake.log[0])
train_vocabulary_file(
    corpus=snakemake.input.corpus,
    size=snakemake.params.vocab["size"],
    model_type=snakemake.params.vocab["model_type"],
    out=snakemake.output.vocab,
)
