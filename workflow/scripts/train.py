"""Snakemake adapter: rules train and distill. Exit code 75 after SIGTERM/SIGUSR1 (checkpoint
saved; the retry resumes)."""

import logging
from pathlib import Path

from lsrepro.runtime import exit_for_retry, gpu_job
from lsrepro.training import Preempted
from lsrepro.training.files import train_classifier_files

log = logging.getLogger("train")
teacher = snakemake.params.get("teacher")  # distill only: {mode: cached | online}
if teacher is not None:
    teacher = {
        "mode": teacher["mode"],
        "cache": snakemake.input.get("teacher_cache"),
        "model": snakemake.input.get("teacher_model"),
    }
try:
    # Logs to the job log; binds the job to its own GPU (or none) before CUDA starts.
    with gpu_job(snakemake):
        train_classifier_files(
            prepared=snakemake.input.prepared,
            split=snakemake.input.split,
            recipe=snakemake.params.recipe,
            dataset=snakemake.params.dataset,
            objective=snakemake.params.objective,
            seed=int(snakemake.params.run["seed"]),
            out_dir=Path(snakemake.output.model).parent,
            threads=snakemake.threads,
            run=snakemake.params.run,
            teacher=teacher,
            gpus=snakemake.resources.get("gpu", 0),  # ImageNet on a cluster: data-parallel
        )
except Preempted as stop:
    exit_for_retry(stop)
