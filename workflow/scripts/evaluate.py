"""Snakemake adapter: rule evaluate."""

import torch

from lsrepro.evaluation.files import evaluate_files
from lsrepro.runtime import gpu_job

torch.set_num_threads(snakemake.threads)
settings = snakemake.params.evaluate
# Logs to the job log; binds the job to its own GPU (or none) before CUDA starts.
with gpu_job(snakemake):
    evaluate_files(
        model_path=snakemake.input.model,
        prepared=snakemake.input.prepared,
        split=snakemake.input.split,
        train_sample=settings["train_sample"],
        sample_seed=settings["sample_seed"],
        max_examples=settings["max_examples"],
        outputs={name: snakemake.output[name] for name in ("train", "val", "test")},
        threads=snakemake.threads,
    )
