"""Snakemake adapter: rule plot_translation_beams (BLEU and length ratio vs beam, val and test)."""

from lsrepro.runtime import setup_logging
from lsrepro.translation.files import beams_figure_files

setup_logging(snakemake.log[0])
beams_figure_files(
    snakemake.input.per_seed, outputs=snakemake.output, corpus=snakemake.params.corpus
)
