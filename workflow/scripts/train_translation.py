"""Snakemake adapter: rule train_translation. Exit code 75 after SIGTERM/SIGUSR1 (checkpoint
saved; the retry resumes)."""

import logging
from pathlib import Path

from lsrepro.runtime import bind_gpu, describe, exit_for_retry, setup_logging
from lsrepro.training import Preempted
from lsrepro.translation.files import train_translation_files

setup_logging(snakemake.log[0], attempt=snakemake.resources.get("attempt"))
log = logging.getLogger("train_translation")
run = snakemake.params.run
try:
    # Bind before anything touches CUDA: this job sees only its own GPU (or none).
    with bind_gpu(snakemake.resources.get("gpu", 0)) as binding:
        log.info("%s", describe(binding))
        train_translation_files(
            corpus=snakemake.input.corpus,
            vocab=snakemake.input.vocab,
            recipe=snakemake.params.recipe,
            alpha=float(run["alpha"]),
            seed=int(run["seed"]),
            out_dir=Path(snakemake.output.model).parent,
            threads=snakemake.threads,
            run=run,
        )
except Preempted as stop:
    exit_for_retry(stop)
