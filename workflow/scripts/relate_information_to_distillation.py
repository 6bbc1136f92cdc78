"""Snakemake adapter: rule relate_information_to_distillation."""

from lsrepro.figures import save_figure
from lsrepro.figures.information import information_vs_distillation_figure
from lsrepro.information.files import information_vs_distillation
from lsrepro.runtime import setup_logging

setup_logging(snakemake.log[0])
table = information_vs_distillation(
    snakemake.input.summary,
    snakemake.input.fig5,
    snakemake.output.table,
    experiment=snakemake.params.experiment,
    confidence=snakemake.params.confidence,
)
save_figure(information_vs_distillation_figure(table), snakemake.output.pdf, snakemake.output.png)
