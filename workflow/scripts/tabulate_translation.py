"""Snakemake adapter: rule tabulate_translation.

Its tables name the temperature each row applies ``scaling_temperature`` (2026-12-06; before,
``temperature``) and carry sacreBLEU's length ratio. Editing this file makes Snakemake rewrite
older tables (its script-mtime trigger) for the verdicts and Fig. 4; older tokens.csv and
bleu.csv files are read as they are (lsrepro.translation.files.read_run_table).
"""

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
