"""Snakemake adapter: rule tabulate_translation_beams."""

from lsrepro.runtime import setup_logging
from lsrepro.translation.files import tabulate_translation_beams

setup_logging(snakemake.log[0])
tabulate_translation_beams(
    snakemake.params.runs,
    beams=list(snakemake.input.beams),
    confidence=snakemake.params.confidence,
    per_seed_out=snakemake.output.per_seed,
    summary_out=snakemake.output.summary,
)
