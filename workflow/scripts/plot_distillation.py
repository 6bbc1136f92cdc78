"""Snakemake adapter: rule plot_distillation."""

from lsrepro.distillation.files import fig5_figure
from lsrepro.runtime import setup_logging

setup_logging(snakemake.log[0])
fig5_figure(
    snakemake.input.summary,
    snakemake.output.pdf,
    snakemake.output.png,
    title="Distillation ResNet-56 -> AlexNet, CIFAR-10 (mean, min-max over seeds)",
)
