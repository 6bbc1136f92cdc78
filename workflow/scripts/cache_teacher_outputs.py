"""Snakemake adapter: rule cache_teacher_outputs."""

import logging

from lsrepro.distillation.cache import cache_teacher_outputs_file
from lsrepro.runtime import bind_gpu, describe, setup_logging

setup_logging(snakemake.log[0], attempt=snakemake.resources.get("attempt"))
# Bind before anything touches CUDA: this job sees only its own GPU (or none).
with bind_gpu(snakemake.resources.get("gpu", 0)) as binding:
    logging.getLogger("cache_teacher_outputs").info("%s", describe(binding))
    cache_teacher_outputs_file(
        model=snakemake.input.model,
        prepared=snakemake.input.prepared,
        split=snakemake.input.split,
        out=snakemake.output.logits,
        threads=snakemake.threads,
    )
