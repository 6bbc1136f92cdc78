"""What a config asks the workflow to make, and what the verdicts read (torch-free:
``common.smk`` calls these while Snakemake builds the DAG).

The stages' own plans say which files each stage makes (``<stage>/plan.py``); this module puts
them together into the targets of ``rule all`` and the inputs of ``judge_claims``. Translation
passes its own targets in (``common.smk``: ``translation_targets``).

The calibration rules' params and Fig. 2's inputs live here too, not in a
``calibration/plan.py``: ``lsrepro.calibration`` loads all of its maths (and scipy) on import,
which Snakemake would pay for on every DAG build.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsrepro import runs
from lsrepro.distillation import plan as distillation
from lsrepro.information import plan as information
from lsrepro.representation import plan as representation
from lsrepro.runs import RunKey

INFORMATION_VS_DISTILLATION = "results/tables/information_vs_distillation.csv"
#: What fit_temperature reads of ``calibration`` (lsrepro.calibration.temperature).
CALIBRATION_FIT_KEYS = ("tolerance", "temperature_bounds", "fit_by_ece", "n_bins")
#: What calibration_metrics (and the token evaluation) read of ``calibration``.
CALIBRATION_METRIC_KEYS = (
    "n_bins",
    "n_resamples",
    "smece_resamples",
    "bootstrap_seed",
    "confidence",
)
ROLES = ("hard", "smooth")


def calibration_fit_params(config: dict[str, Any]) -> dict[str, Any]:
    return {key: config["calibration"][key] for key in CALIBRATION_FIT_KEYS}


def calibration_metric_params(config: dict[str, Any]) -> dict[str, Any]:
    return {key: config["calibration"][key] for key in CALIBRATION_METRIC_KEYS}


def reliability_input(config: dict[str, Any], figure: str, role: str) -> str:
    """The reliability table of Fig. 2 entry ``figure``'s hard-target (alpha 0) or smoothed
    (the entry's alpha) model, both at ``calibration.model_seed``."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    fig = config["calibration"]["figures"][figure]
    alpha = 0.0 if role == "hard" else fig["alpha"]
    key = RunKey(fig[role], alpha, config["calibration"]["model_seed"])
    return key.path("calibration", "reliability.csv")


def information_vs_distillation(config: dict[str, Any]) -> bool:
    """Whether C13's second half is made: MI is measured and the Fig. 5 teacher is one of the
    measured experiments."""
    return (
        bool(information.runs(config))
        and distillation.fig5_wanted(config)
        and distillation.fig5_students(config)["teacher"] in information.experiments(config)
    )


def information_targets(config: dict[str, Any]) -> list[str]:
    targets = information.targets(config)
    if information_vs_distillation(config):
        targets.append(INFORMATION_VS_DISTILLATION)
    return targets


def all_targets(config: dict[str, Any], translation: list[str]) -> list[str]:
    """Every file of ``rule all``: each run's test evaluation, the tables, the figures of every
    stage the config runs (``translation``: the translation stage's targets)."""
    targets = runs.expand("results/evaluate/{run}/test.npz", runs.all_runs(config))
    targets += [
        "results/tables/table2_accuracy.csv",
        "results/tables/table3_calibration.csv",
        "results/tables/geometry_summary.csv",
        "results/tables/claims.csv",
        "results/tables/cost.csv",
    ]
    targets += [
        f"results/figures/{kind}/{experiment}.pdf"
        for kind in ("calibration_vs_alpha", "geometry_vs_alpha")
        for experiment in config["run"]
    ]
    targets += [
        f"results/figures/reliability/{figure}.pdf"
        for figure in runs.comparisons(config, "calibration")
    ]
    if distillation.fig5_wanted(config):
        targets += ["results/tables/fig5_summary.csv", "results/figures/distillation/fig5.pdf"]
    if distillation.mnist_toy_wanted(config):
        targets += ["results/tables/mnist_toy.csv"]
    targets += information_targets(config)
    targets += translation
    targets += representation.figure_targets(config)
    return targets


def reference_study_dirs(config: dict[str, Any], workflow_dir: Path | str) -> list[Path]:
    """``reference_studies`` as directories: a relative path is read from the workflow's
    directory (the studies ship with the workflow, wherever it runs)."""
    return [Path(workflow_dir) / d for d in config.get("reference_studies") or []]


def claims_inputs(
    config: dict[str, Any], translation: bool, workflow_dir: Path | str = "."
) -> dict[str, Any]:
    """The stage tables judge_claims reads (keys of lsrepro.claims.read.INPUTS); a stage not in
    this run is left out, and its claims say "not run". ``translation``: whether translation
    runs. ``reference``: the shipped claims.csv of each of the config's ``reference_studies``
    (read from ``workflow_dir`` when relative), quoted on the front page."""
    inputs: dict[str, Any] = {
        "geometry_per_seed": "results/tables/geometry_per_seed.csv",
        "calibration_per_seed": "results/tables/calibration_per_seed.csv",
        "calibration_summary": "results/tables/calibration_summary.csv",
        "reliability": runs.expand(
            "results/calibration/{run}/reliability.csv", runs.direct_runs(config)
        ),
    }
    if distillation.mnist_toy_wanted(config):
        inputs["mnist_toy_per_seed"] = "results/tables/mnist_toy_per_seed.csv"
    if distillation.fig5_wanted(config):
        inputs["fig5_distillation"] = "results/tables/fig5_distillation.csv"
    if information.runs(config):
        inputs["information_per_seed"] = "results/tables/information_per_seed.csv"
        if information_vs_distillation(config):
            inputs["information_vs_distillation"] = INFORMATION_VS_DISTILLATION
    if translation:
        inputs["translation_per_seed"] = "results/tables/translation_per_seed.csv"
        inputs["translation_beams_per_seed"] = "results/tables/translation_beams_per_seed.csv"
    inputs["reference"] = [
        str(d / "claims.csv") for d in reference_study_dirs(config, workflow_dir)
    ]
    return inputs
