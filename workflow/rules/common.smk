# Helpers for the stage files (config validation, targets, input and params functions).
# No rules here; the logic lives in the tested package (workflow/scripts/lsrepro).
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "workflow" / "scripts"))

from lsrepro import config as lsconfig  # noqa: E402

lsconfig.validate_config(
    config, Path(workflow.basedir) / "workflow/schemas/config.schema.yaml"
)

RUNS = lsconfig.runs(config)
RUN_DIR = "{experiment}/alpha~{alpha}/seed~{seed}"


wildcard_constraints:
    dataset="|".join(config["datasets"]),
    experiment="|".join(config["experiments"]),
    alpha=r"\d+\.\d+",
    seed=r"\d+",


def expand_runs(pattern):
    """``pattern`` filled in for every (experiment, alpha, seed) of the config."""
    return [
        pattern.format(experiment=r.experiment, alpha=r.alpha, seed=r.seed)
        for r in RUNS
    ]


def all_targets():
    return expand_runs(f"results/evaluate/{RUN_DIR}/test.npz")


def get_dataset(wildcards):
    return lsconfig.dataset_for(config, wildcards.experiment)


def get_prepared(wildcards):
    return f"results/data/{get_dataset(wildcards)}/prepared.npz"


def get_split(wildcards):
    return f"results/data/{get_dataset(wildcards)}/split.npz"


def get_split_params(wildcards):
    return config["datasets"][wildcards.dataset]


def get_recipe(wildcards):
    return lsconfig.recipe_for(config, wildcards.experiment)
