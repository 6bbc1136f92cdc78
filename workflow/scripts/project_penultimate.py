"""Snakemake adapter: rule project_penultimate."""

from lsrepro.representation.files import projection_figure
from lsrepro.runtime import setup_logging

setup_logging(snakemake.log[0])
classes = snakemake.params.classes
projection_figure(
    hard_train=snakemake.input.hard_train,
    hard_val=snakemake.input.hard_val,
    smooth_train=snakemake.input.smooth_train,
    smooth_val=snakemake.input.smooth_val,
    classes=classes,
    alpha=snakemake.params.alpha,
    per_class=snakemake.params.per_class,
    seed=snakemake.params.example_seed,
    title=f"{snakemake.wildcards.figure}: {', '.join(classes)}",
    outputs=snakemake.output,
)
