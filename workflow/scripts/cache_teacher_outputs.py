"""Snakemake adapter: rule cache_teacher_outputs."""

from lsrepro.distillation.cache import cache_teacher_outputs_file
from lsrepro.runtime import gpu_job

# Logs to the job log; binds the job to its own GPU (or none) before CUDA starts.
with gpu_job(snakemake):
    cache_teacher_outputs_file(
        model=snakemake.input.model,
        prepared=snakemake.input.prepared,
        split=snakemake.input.split,
        out=snakemake.output.logits,
        threads=snakemake.threads,
    )
