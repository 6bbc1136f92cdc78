"""Snakemake adapter: rule tabulate_translation."""

from lsrepro.runtime import setup_logging
from lsrepro.translation.files import tabulate_translation

setup_logging(snakemake.log[0])
tabulate_translation(
    snakemake.params.runs,
    tokens=list(snakemake.input.tokens),
    temperatures=list(snakemake.input.temperatures),
    bleu=list(snakemake.input.bleu),
    tokens_with_eos=snakemake.params.tokens_with_eos,
    confidence=snakemake.params.confidence,
    per_seed_out=snakemake.output.per_seed,
    summary_out=snakemake.output.summary,
    table3_out=snakemake.output.table3,
)
