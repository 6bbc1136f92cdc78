"""Snakemake adapter: rule evaluate."""

import logging

import torch

from lsrepro.evaluation.files import evaluate_files
from lsrepro.runtime import bind_gpu, describe, setup_logging

setup_logging(snakemake.log[0], attempt=snakemake.resources.get("attempt"))
torch.set_num_threads(snakemake.threads)
settings = snakemake.params.evaluate
# Bind before anything touches CUDA: this job sees only its own GPU (or none).
with bind_gpu(snakemake.resources.get("gpu", 0)) as binding:
    logging.getLogger("evaluate").info("%s", describe(binding))
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
