"""Which runs the mutual-information rules measure, their inputs and targets (torch-free:
``common.smk`` calls these while Snakemake builds the DAG)."""

from __future__ import annotations

from typing import Any

from lsrepro import runs as lsruns
from lsrepro.runs import RunKey

#: The columns of a run that the information tables carry (lsrepro.information.files).
RUN_INFO_KEYS = ("experiment", "dataset", "architecture", "alpha", "seed")


def experiments(config: dict[str, Any]) -> list[str]:
    """``information.experiments`` that are trained (in ``run``), in config order."""
    return [e for e in config["information"]["experiments"] if e in config["run"]]


def runs(config: dict[str, Any]) -> list[RunKey]:
    """Every directly trained run of those experiments: one MI curve each."""
    chosen = experiments(config)
    return [key for key in lsruns.direct_runs(config) if key.experiment in chosen]


def snapshots(key: RunKey) -> str:
    """The weight snapshots of a run (rule ``train``'s ``snapshots/``)."""
    return key.path("train", "snapshots")


def examples_path(dataset: str) -> str:
    """The MI examples of ``dataset`` (rule ``select_information_examples``)."""
    return f"results/information/{dataset}/examples.npz"


def run_info(config: dict[str, Any]) -> list[dict[str, Any]]:
    """The identifying columns (:data:`RUN_INFO_KEYS`) of every measured run."""
    return [
        {k: v for k, v in lsruns.run_info(config, key).items() if k in RUN_INFO_KEYS}
        for key in runs(config)
    ]


def targets(config: dict[str, Any]) -> list[str]:
    """The stage's summary table and one Fig. 6 per experiment; none without a measured run.
    (Whether the table relating MI to distillation is made: lsrepro.targets.)"""
    if not runs(config):
        return []
    return ["results/tables/information_summary.csv"] + [
        f"results/figures/information/{e}.pdf" for e in experiments(config)
    ]
