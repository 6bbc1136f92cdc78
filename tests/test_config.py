"""Config validation: the paper config and presets pass; every kind of bad value names its key."""

import copy
from pathlib import Path

import pytest
import yaml

from lsrepro.config import ConfigError, fmt_float, runs, validate_config

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def merged(*files: str) -> dict:
    """Deep-merge like snakemake --configfile (dicts merge, everything else replaces)."""

    def update(base: dict, new: dict) -> None:
        for key, value in new.items():
            if isinstance(value, dict) and isinstance(base.get(key), dict):
                update(base[key], value)
            else:
                base[key] = value

    config: dict = {}
    for f in files:
        update(config, yaml.safe_load((ROOT / f).read_text()))
    return config


@pytest.fixture
def paper() -> dict:
    return merged("config.yaml")


@pytest.mark.parametrize(
    "files",
    [
        ("config.yaml",),
        ("config.yaml", "presets/quick.yaml"),
        ("config.yaml", "presets/quick.yaml", "presets/smoke.yaml"),
    ],
)
def test_shipped_configs_are_valid(files):
    validate_config(merged(*files), SCHEMA)


def test_paper_grid(paper):
    grid = runs(paper)
    assert len(grid) == 8 * 5 + 8 * 5 + 3 * 5 + 5 + 5
    assert {r.alpha for r in grid if r.experiment == "cifar100_resnet56"} == {"0.0", "0.05", "0.1"}


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda c: c["experiments"]["cifar10_resnet56"]["alphas"].append(1.0),
            r"experiments\.cifar10_resnet56\.alphas\[8\]: 1\.0 is greater than or equal to the max",
        ),
        (
            lambda c: c["experiments"]["cifar10_alexnet"]["alphas"].__setitem__(0, -0.1),
            r"experiments\.cifar10_alexnet\.alphas\[0\]: -0\.1 is less than the minimum of 0",
        ),
        (
            lambda c: c.__setitem__("learning_rate", 0.1),
            r"<top level>: Additional properties are not allowed \('learning_rate' was unexp",
        ),
        (
            lambda c: c["recipes"]["resnet56"]["optimizer"].__setitem__("lr", "fast"),
            r"recipes\.resnet56\.optimizer\.lr: 'fast' is not of type 'number'",
        ),
        (
            lambda c: c["recipes"]["resnet56"].pop("steps"),
            r"recipes\.resnet56: 'steps' is a required property",
        ),
        (
            lambda c: c["run"].append("imagenet_inception"),
            r"run: unknown experiment 'imagenet_inception'",
        ),
        (
            lambda c: c["experiments"]["mnist_fc_ls"].__setitem__("recipe", "nope"),
            r"experiments\.mnist_fc_ls\.recipe: no recipe 'nope'",
        ),
        (
            lambda c: c["recipes"]["resnet56"]["lr_schedule"].__setitem__("milestones", [70000]),
            r"recipes\.resnet56\.lr_schedule\.milestones: 70000 >= steps \(64000\)",
        ),
        (
            lambda c: c["experiments"]["cifar10_resnet56"].__setitem__("seeds", [0, 0]),
            r"experiments\.cifar10_resnet56\.seeds: duplicate values",
        ),
    ],
)
def test_bad_config_names_the_key(paper, edit, message):
    config = copy.deepcopy(paper)
    edit(config)
    with pytest.raises(ConfigError, match=message):
        validate_config(config, SCHEMA)


def test_fmt_float_is_the_one_formatter():
    assert [fmt_float(a) for a in (0, 0.0, 0.05, 0.1, 0.15, 0.3, 0.75)] == [
        "0.0",
        "0.0",
        "0.05",
        "0.1",
        "0.15",
        "0.3",
        "0.75",
    ]
    assert fmt_float(0.1 + 0.2) == "0.30000000000000004"  # honest, not rounded
