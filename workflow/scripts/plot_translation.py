"""Snakemake adapter: rule plot_translation (Fig. 4 on val, as the paper, and on test)."""

from lsrepro.runtime import setup_logging
from lsrepro.translation.files import fig4_file

setup_logging(snakemake.log[0])
corpus = snakemake.params.corpus
name = f"{corpus['name']} {corpus['src']}-{corpus['tgt']}"
for split, pdf, png in (
    ("val", snakemake.output.pdf, snakemake.output.png),
    ("test", snakemake.output.test_pdf, snakemake.output.test_png),
):
    fig4_file(
        snakemake.input.per_seed,
        split=split,
        pdf=pdf,
        png=png,
        title=f"Transformer {name}, {split} split: BLEU, token ECE and NLL vs temperature",
    )
