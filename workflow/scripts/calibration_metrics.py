"""Snakemake adapter: rule calibration_metrics.

Its files name the temperature each row applies ``scaling_temperature`` (2026-12-05; before, it
shared the name ``temperature`` with a student's distillation T). Editing this file makes
Snakemake rewrite older metrics and reliability files (its script-mtime trigger), so Fig. 2 can
read them.
"""

from lsrepro.calibration.files import calibration_metrics_files
from lsrepro.runtime import setup_logging

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
