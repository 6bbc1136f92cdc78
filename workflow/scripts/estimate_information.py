"""Snakemake adapter: rule estimate_information."""

import logging

from lsrepro.information.files import estimate_information_file
from lsrepro.runtime import bind_gpu, describe, setup_logging

setup_logging(snakemake.log[0], attempt=snakemake.resources.get("attempt"))
# Bind before anything touches CUDA: this job sees only its own GPU (or none).
with bind_gpu(snakemake.resources.get("gpu", 0)) as binding:
    logging.getLogger("estimate_information").info("%s", describe(binding))
    estimate_information_file(
        snakemake.input.snapshots,
        snakemake.input.prepared,
        snakemake.input.examples,
        snakemake.output.curve,
        draws=snakemake.params.draws,
        reference_draws=snakemake.params.reference_draws,
        reference_at=snakemake.params.reference_at,
        seed=snakemake.params.seed,
        threads=snakemake.threads,
    )
