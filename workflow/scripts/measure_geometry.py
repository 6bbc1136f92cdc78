"""Snakemake adapter: rule measure_geometry."""

from lsrepro.representation.files import geometry_file
from lsrepro.runtime import setup_logging

setup_logging(snakemake.log[0])
geometry_file(
    train=snakemake.input.train,
    val=snakemake.input.val,
    run=snakemake.params.run,
    triplets=snakemake.params.triplets,
    per_class=snakemake.params.per_class,
    seed=snakemake.params.example_seed,
    out=snakemake.output.geometry,
)
