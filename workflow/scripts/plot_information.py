"""Snakemake adapter: rule plot_information."""

import pandas as pd

from lsrepro.figures import save_figure
from lsrepro.figures.information import information_figure
from lsrepro.runtime import setup_logging

setup_logging(snakemake.log[0])
experiment = snakemake.wildcards.experiment
summary = pd.read_csv(snakemake.input.summary)
fig = information_figure(
    summary[summary["experiment"] == experiment],
    title=f"{experiment}: MI(example index; logit difference) during training",
)
save_figure(fig, snakemake.output.pdf, snakemake.output.png)
