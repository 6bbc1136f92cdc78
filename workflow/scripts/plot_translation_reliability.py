"""Snakemake adapter: rule plot_translation_reliability (Fig. 3)."""

from lsrepro.runtime import setup_logging
from lsrepro.translation.files import fig3_file

setup_logging(snakemake.log[0])
corpus = snakemake.params.corpus
fig3_file(
    hard=snakemake.input.hard,
    smooth=snakemake.input.smooth,
    alpha=snakemake.params.alpha,
    split="val",
    pdf=snakemake.output.pdf,
    png=snakemake.output.png,
    title=f"Transformer {corpus['name']} {corpus['src']}-{corpus['tgt']}: next-token "
    f"reliability, validation",
    min_count=snakemake.params.min_count,
)
