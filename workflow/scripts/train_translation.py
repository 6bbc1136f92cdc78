"""Snakemake adapter: rule train_translation. Exit code 75 after SIGTERM/SIGUSR1 (checkpoint
saved; the retry resumes)."""

import logging
from pathlib import Path

from lsrepro.runtime import exit_for_retry, gpu_job
from lsrepro.training import Preempted
from lsrepro.translation.files import train_translation_files

log = logging.getLogger("train_translation")
run = snakemake.params.run
try:
    # Logs to the job log; binds the job to its own GPU (or none) before CUDA starts.
    with gpu_job(snakemake):
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
