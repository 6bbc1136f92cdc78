"""Snakemake adapter: rule estimate_information."""

from lsrepro.information.files import estimate_information_file
from lsrepro.runtime import gpu_job

# Logs to the job log; binds the job to its own GPU (or none) before CUDA starts.
with gpu_job(snakemake):
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
