"""The workflow's config: validation with messages that name the key, and the job grid it implies.

``common.smk`` calls these; the package functions take explicit dicts and never read a global.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import yaml


class ConfigError(ValueError):
    """The config is invalid; the message names every offending key."""


def fmt_float(value: float) -> str:
    """The one float formatter for paths and tables: shortest round-trip, e.g. 0.1, 0.0, 0.05."""
    return np.format_float_positional(float(value), trim="0")


def _key_path(error: jsonschema.ValidationError) -> str:
    parts = []
    for p in error.absolute_path:
        parts.append(f"[{p}]" if isinstance(p, int) else (f".{p}" if parts else str(p)))
    return "".join(parts) or "<top level>"


def validate_config(config: dict[str, Any], schema_path: Path | str) -> None:
    """Check ``config`` against the JSON schema, then the cross-references the schema cannot see.

    Raises ConfigError listing every problem as ``key.path: message``.
    """
    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    problems = [
        f"{_key_path(e)}: {e.message}"
        for e in sorted(
            validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path))
        )
    ]
    if not problems:
        problems = _cross_reference_problems(config)
    if problems:
        raise ConfigError("invalid config:\n  " + "\n  ".join(problems))


def _cross_reference_problems(config: dict[str, Any]) -> list[str]:
    problems = []
    experiments = config["experiments"]
    for name in config["run"]:
        if name not in experiments:
            problems.append(f"run: unknown experiment {name!r} (defined: {', '.join(experiments)})")
    for name, exp in experiments.items():
        if exp["dataset"] not in config["datasets"]:
            problems.append(
                f"experiments.{name}.dataset: no dataset {exp['dataset']!r} in datasets"
            )
        if exp["recipe"] not in config["recipes"]:
            problems.append(f"experiments.{name}.recipe: no recipe {exp['recipe']!r} in recipes")
        for key in ("alphas", "seeds"):
            if len(set(exp[key])) != len(exp[key]):
                problems.append(f"experiments.{name}.{key}: duplicate values {exp[key]}")
    for name, recipe in config["recipes"].items():
        steps = recipe["steps"]
        for m in recipe["lr_schedule"].get("milestones", []):
            if m >= steps:
                problems.append(f"recipes.{name}.lr_schedule.milestones: {m} >= steps ({steps})")
        for s in recipe.get("snapshot_steps", []):
            if s > steps:
                problems.append(f"recipes.{name}.snapshot_steps: {s} > steps ({steps})")
    for section in ("calibration", "representation"):
        problems += _comparison_problems(config, section)
    return problems


def _comparison_problems(config: dict[str, Any], section: str) -> list[str]:
    problems = []
    experiments = config["experiments"]
    seed = config[section]["model_seed"]
    for name, fig in config[section]["figures"].items():
        key = f"{section}.figures.{name}"
        unknown = [
            f"{key}.{role}: unknown experiment {fig[role]!r}"
            for role in ("hard", "smooth")
            if fig[role] not in experiments
        ]
        problems += unknown
        if unknown or not {fig["hard"], fig["smooth"]} <= set(config["run"]):
            continue  # skipped figure: its experiments do not run
        hard, smooth = experiments[fig["hard"]], experiments[fig["smooth"]]
        if 0.0 not in hard["alphas"]:
            problems.append(f"{key}.hard: experiment {fig['hard']!r} has no alpha = 0 model")
        if fig["alpha"] not in smooth["alphas"]:
            problems.append(
                f"{key}.alpha: {fig['alpha']} is not in experiments.{fig['smooth']}.alphas "
                f"{smooth['alphas']}"
            )
        for role, exp in (("hard", hard), ("smooth", smooth)):
            if seed not in exp["seeds"]:
                problems.append(f"{section}.model_seed: {seed} is not a seed of {fig[role]!r}")
    return problems


def comparisons(config: dict[str, Any], section: str) -> dict[str, dict[str, Any]]:
    """The figures of ``section`` whose two experiments are both in ``run``."""
    return {
        name: fig
        for name, fig in config[section]["figures"].items()
        if {fig["hard"], fig["smooth"]} <= set(config["run"])
    }


@dataclass(frozen=True)
class Run:
    experiment: str
    alpha: str  # formatted with fmt_float: the path component
    seed: int


def runs(config: dict[str, Any]) -> list[Run]:
    """Every (experiment, alpha, seed) the config asks for, in config order."""
    return [
        Run(name, fmt_float(alpha), int(seed))
        for name in config["run"]
        for alpha in config["experiments"][name]["alphas"]
        for seed in config["experiments"][name]["seeds"]
    ]


def run_info(
    config: dict[str, Any], experiment: str, alpha: str, seed: str | int
) -> dict[str, Any]:
    """The identifying columns of a run in every table."""
    from lsrepro.models import display_name

    return {
        "experiment": experiment,
        "dataset": dataset_for(config, experiment),
        "architecture": display_name(recipe_for(config, experiment)["model"]),
        "alpha": float(alpha),
        "seed": int(seed),
    }


def recipe_for(config: dict[str, Any], experiment: str) -> dict[str, Any]:
    return config["recipes"][config["experiments"][experiment]["recipe"]]


def dataset_for(config: dict[str, Any], experiment: str) -> str:
    return config["experiments"][experiment]["dataset"]
