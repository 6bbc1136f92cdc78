"""Snakemake adapter: rule plot_translation_beams (BLEU and length ratio vs beam, val and test)."""

from lsrepro.runtime import setup_logging
from lsrepro.translation.files import beams_figure_file

setup_logging(snakemake.log[0])
corpus = snakemake.params.corpus
name = f"{corpus['name']} {corpus['src']}-{corpus['tgt']}"
for split, pdf, png in (
    ("val", snakemake.output.pdf, snakemake.output.png),
    ("test", snakemake.output.test_pdf, snakemake.output.test_png),
):
    beams_figure_file(
        snakemake.input.per_seed,
        split=split,
        pdf=pdf,
        png=png,
        title=f"Transformer {name}, {split} split: BLEU and length ratio vs beam size (T = 1)",
    )
