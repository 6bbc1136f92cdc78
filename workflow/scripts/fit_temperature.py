"""Snakemake adapter: rule fit_temperature."""

import logging

from lsrepro.calibration.files import fit_temperature_file
from lsrepro.runtime import setup_logging

setup_logging(snakemake.log[0])
settings = snakemake.params.calibration
fit = fit_temperature_file(
    snakemake.input.val,
    snakemake.output.fit,
    tol=settings["tolerance"],
    bounds=settings["temperature_bounds"],
    fit_by_ece=settings["fit_by_ece"],
    n_bins=settings["n_bins"],
)
logging.getLogger("fit_temperature").info("%s", fit)
