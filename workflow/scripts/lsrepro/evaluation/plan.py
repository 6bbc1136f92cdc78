"""What the evaluate rule is given (torch-free: ``common.smk`` calls it while Snakemake builds
the DAG)."""

from __future__ import annotations

from typing import Any

from lsrepro import runs
from lsrepro.runs import RunKey


def params(config: dict[str, Any], key: RunKey) -> dict[str, Any]:
    """evaluate's settings for one run: ``train_sample`` of the run's dataset
    (``evaluate.train_sample_by_dataset``, else ``evaluate.train_sample``), ``sample_seed`` and
    ``max_examples``."""
    settings = config["evaluate"]
    by_dataset = settings.get("train_sample_by_dataset", {})
    train_sample = by_dataset.get(runs.dataset_of(config, key), settings["train_sample"])
    keys = ("sample_seed", "max_examples")
    return {"train_sample": train_sample, **{k: settings[k] for k in keys}}
