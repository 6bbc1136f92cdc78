"""The calibration rules' params and Fig. 2's inputs (torch-free: ``common.smk`` calls these
while Snakemake builds the DAG)."""

from __future__ import annotations

from typing import Any

from lsrepro.runs import RunKey

#: What fit_temperature reads of ``calibration`` (lsrepro.calibration.temperature).
FIT_KEYS = ("tolerance", "temperature_bounds", "fit_by_ece", "n_bins")
#: What calibration_metrics (and the token evaluation) read of ``calibration``.
METRIC_KEYS = ("n_bins", "n_resamples", "smece_resamples", "bootstrap_seed", "confidence")
ROLES = ("hard", "smooth")


def fit_params(config: dict[str, Any]) -> dict[str, Any]:
    return {key: config["calibration"][key] for key in FIT_KEYS}


def metric_params(config: dict[str, Any]) -> dict[str, Any]:
    return {key: config["calibration"][key] for key in METRIC_KEYS}


def reliability_input(config: dict[str, Any], figure: str, role: str) -> str:
    """The reliability table of Fig. 2 entry ``figure``'s hard-target (alpha 0) or smoothed
    (the entry's alpha) model, both at ``calibration.model_seed``."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    fig = config["calibration"]["figures"][figure]
    alpha = 0.0 if role == "hard" else fig["alpha"]
    key = RunKey(fig[role], alpha, config["calibration"]["model_seed"])
    return key.path("calibration", "reliability.csv")
