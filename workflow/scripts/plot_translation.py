"""Snakemake adapter: rule plot_translation (Fig. 4 on val, as the paper, and on test)."""

from lsrepro.runtime import setup_logging
from lsrepro.translation.files import fig4_files

setup_logging(snakemake.log[0])
fig4_files(snakemake.input.per_seed, outputs=snakemake.output, corpus=snakemake.params.corpus)
