"""Snakemake adapter: rule calibration_metrics."""

from lsrepro.calibration.files import calibration_metrics_files
from lsrepro.io import setup_logging

setup_logging(snakemake.log[0])
settings = snakemake.params.metrics
calibration_metrics_files(
    val=snakemake.input.val,
    test=snakemake.input.test,
    fit=snakemake.input.fit,
    run=snakemake.params.run,
    n_bins=settings["n_bins"],
    n_resamples=settings["n_resamples"],
    seed=settings["bootstrap_seed"],
    confidence=settings["confidence"],
    smece_resamples=settings["smece_resamples"],
    metrics_out=snakemake.output.metrics,
    reliability_out=snakemake.output.reliability,
)
