"""The representation rules' params, Fig. 1's inputs and targets (torch-free: ``common.smk``
calls these while Snakemake builds the DAG)."""

from __future__ import annotations

from typing import Any

from lsrepro import runs
from lsrepro.runs import RunKey


def per_class(config: dict[str, Any], dataset: str) -> int:
    """Fig. 1 examples per class of ``dataset`` (``representation.per_class_by_dataset``, else
    ``representation.per_class``)."""
    settings = config["representation"]
    return settings.get("per_class_by_dataset", {}).get(dataset, settings["per_class"])


def figure_dataset(config: dict[str, Any], figure: str) -> str:
    """The dataset of Fig. 1 entry ``figure`` (its hard-target experiment's)."""
    return runs.dataset_for(config, config["representation"]["figures"][figure]["hard"])


def triplets(config: dict[str, Any], dataset: str) -> dict[str, list[str]]:
    """Class triplets of ``dataset`` (``representation.triplets``; none configured: empty)."""
    return config["representation"]["triplets"].get(dataset, {})


def triplet_names(config: dict[str, Any]) -> list[str]:
    """Every triplet name of every dataset, once (the ``{triplet}`` wildcard's values)."""
    names = [t for by_dataset in config["representation"]["triplets"].values() for t in by_dataset]
    return list(dict.fromkeys(names))


def triplet_classes(config: dict[str, Any], figure: str, triplet: str) -> list[str]:
    return config["representation"]["triplets"][figure_dataset(config, figure)][triplet]


def projection_inputs(config: dict[str, Any], figure: str) -> dict[str, str]:
    """``{hard,smooth}_{train,val}`` evaluation files of Fig. 1 entry ``figure``: its hard-target
    (alpha 0) and smoothed (the entry's alpha) models at ``representation.model_seed``."""
    fig = config["representation"]["figures"][figure]
    seed = config["representation"]["model_seed"]
    models = {"hard": (fig["hard"], 0.0), "smooth": (fig["smooth"], fig["alpha"])}
    return {
        f"{role}_{split}": runs.evaluation_path(RunKey(exp, alpha, seed), split)
        for role, (exp, alpha) in models.items()
        for split in ("train", "val")
    }


def figure_targets(config: dict[str, Any]) -> list[str]:
    """Fig. 1 of every entry whose two experiments run, one file per triplet of its dataset."""
    return [
        f"results/figures/projection/{name}/{triplet}.pdf"
        for name in runs.comparisons(config, "representation")
        for triplet in triplets(config, figure_dataset(config, name))
    ]
