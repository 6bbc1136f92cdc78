"""Snakemake adapter: rule evaluate_tokens."""

import logging

from lsrepro.runtime import bind_gpu, describe, setup_logging
from lsrepro.translation.files import evaluate_tokens_files

setup_logging(snakemake.log[0], attempt=snakemake.resources.get("attempt"))
metrics, fit = snakemake.params.metrics, snakemake.params.fit
# Bind before anything touches CUDA: this job sees only its own GPU (or none).
with bind_gpu(snakemake.resources.get("gpu", 0)) as binding:
    logging.getLogger("evaluate_tokens").info("%s", describe(binding))
    evaluate_tokens_files(
        model=snakemake.input.model,
        corpus=snakemake.input.corpus,
        vocab=snakemake.input.vocab,
        splits=snakemake.params.splits,
        temperatures=snakemake.params.temperatures,
        max_tokens=snakemake.params.max_tokens,
        n_bins=metrics["n_bins"],
        n_resamples=metrics["n_resamples"],
        smece_resamples=metrics["smece_resamples"],
        bootstrap_seed=metrics["bootstrap_seed"],
        coverage=metrics["confidence"],
        tolerance=fit["tolerance"],
        temperature_bounds=fit["temperature_bounds"],
        threads=snakemake.threads,
        tokens_out=snakemake.output.tokens,
        temperature_out=snakemake.output.temperature,
        reliability_out=snakemake.output.reliability,
    )
