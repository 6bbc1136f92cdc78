"""Snakemake adapter: rule evaluate_tokens."""

from lsrepro.runtime import gpu_job
from lsrepro.translation.files import evaluate_tokens_files

metrics, fit = snakemake.params.metrics, snakemake.params.fit
# Logs to the job log; binds the job to its own GPU (or none) before CUDA starts.
with gpu_job(snakemake):
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
