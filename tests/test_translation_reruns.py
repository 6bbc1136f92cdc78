"""What a change of a `translation.*` key re-runs (README, "Re-runs"), job by job: a small
workflow run to the end (two tiny MLPs on synthetic MNIST, as the workflow needs an image
experiment, and two tiny Transformers on a toy corpus in the "other corpus" layout), then a dry
run per change.
The image-side keys are checked the same way on the synthetic run (tests/test_workflow.py)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from synthetic import write_toy_corpus
from test_translation_stage import RECIPE
from workflow_runs import (
    assert_schedules,
    changed_dry_runs,
    dry_run,
    fresh_copy,
    snakemake,
    write_prepared,
)

TOY = {
    "run": ["mnist_fc_ls"],
    "datasets": {"mnist": {"val_size": 40, "split_seed": 0}},
    "recipes": {
        "mlp1200": {
            "model": {"hidden": [32, 32]},
            "batch_size": 16,
            "steps": 6,
            "log_every": 2,
            "checkpoint_every": 2,
        }
    },
    "experiments": {"mnist_fc_ls": {"alphas": [0.0, 0.1], "seeds": [0]}},
    "distillation": {"run": [], "fig5": None, "mnist_toy": None},
    "information": {"experiments": []},
    "calibration": {"n_resamples": 100, "smece_resamples": 5, "figures": {}},
    "representation": {"per_class": 3, "figures": {}},
    "translation": {
        "corpus": {"name": "toy", "src": "en", "tgt": "de"},  # + files, written per run
        "test_splits": ["test_a"],
        "vocab": {"size": 64, "model_type": "bpe"},  # whole-word pieces for the projection
        "recipes": {"tiny": RECIPE},
        "experiments": {"toy_transformer": {"recipe": "tiny", "alphas": [0.0, 0.1], "seeds": [0]}},
        "run": ["toy_transformer"],
        "beam": {"size": 2, "length_penalty": 0.6, "max_len_b": 5, "batch_sentences": 4},
        "beams": [1, 2],
        "temperatures": [0.5, 1.0, 2.0],
        "max_sentences": 5,
        "projection": {"alpha": 0.1, "per_class": 1, "seed": 0, "tokens": None},
    },
}

# Read by every translation change: the verdicts, the cost table and the target list.
ALWAYS = {"judge_claims": 1, "tabulate_cost": 1, "all": 1}
DECODE = {"decode_beam": 2, "tabulate_translation": 1, "plot_translation": 1}
GRID = {"decode_beams": 2, "tabulate_translation_beams": 1, "plot_translation_beams": 1}

CHANGES = [
    pytest.param(  # the beam-size grid only; the main decoding keeps its beam
        "translation: {beams: [1, 2, 3]}", {**GRID, **ALWAYS}, id="beams"
    ),
    pytest.param(  # the main decoding only; the grid decodes with its own sizes
        "translation: {beam: {size: 3}}", {**DECODE, **ALWAYS}, id="beam-size"
    ),
    pytest.param(  # a setting both decodings share
        "translation: {beam: {length_penalty: 1.0}}",
        {**DECODE, **GRID, **ALWAYS},
        id="beam-length-penalty",
    ),
    pytest.param(  # token evaluation (its metrics at each T) and the decoding at each T
        "translation: {temperatures: [0.5, 1.0, 1.5]}",
        {"evaluate_tokens": 2, "plot_translation_reliability": 1, **DECODE, **ALWAYS},
        id="temperatures",
    ),
    pytest.param(  # which columns head the table: tables and figures only
        "translation: {tokens_with_eos: false}",
        {"tabulate_translation": 1, "plot_translation": 1, **ALWAYS},
        id="tokens-with-eos",
    ),
    pytest.param(  # Fig. 7 only
        "translation: {projection: {seed: 1}}",
        {"project_translation": 1, "all": 1},
        id="projection",
    ),
    pytest.param(  # a Transformer recipe: both models and everything after them
        "translation: {recipes: {tiny: {steps: 7}}}",
        {
            "train_translation": 2,
            "evaluate_tokens": 2,
            "plot_translation_reliability": 1,
            "project_translation": 1,
            **DECODE,
            **GRID,
            **ALWAYS,
        },
        id="translation-recipe",
    ),
    pytest.param(  # the image models' second temperature fit (by ECE): no Transformer job
        "calibration: {fit_by_ece: false}",
        {
            "fit_temperature": 2,
            "calibration_metrics": 2,
            "tabulate_calibration": 1,
            "plot_calibration_vs_alpha": 1,
            **ALWAYS,
        },
        id="fit-by-ece",
    ),
    pytest.param(  # a calibration setting: the Transformers' token metrics too (README)
        "calibration: {n_bins: 10}",
        {
            "fit_temperature": 2,
            "calibration_metrics": 2,
            "tabulate_calibration": 1,
            "plot_calibration_vs_alpha": 1,
            # a Transformer's token evaluation fits T itself with calibration.* (README)
            "evaluate_tokens": 2,
            "plot_translation_reliability": 1,
            **DECODE,
            **ALWAYS,
        },
        id="calibration-setting",
    ),
]


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory) -> Path:
    workdir = fresh_copy(tmp_path_factory.mktemp("translation_reruns"))
    write_prepared(
        workdir / "results/data/mnist/prepared.npz", list("0123456789"), 200, 60, shape=(28, 28, 1)
    )
    corpus = workdir / "corpus"
    corpus.mkdir()
    config = {**TOY, "translation": {**TOY["translation"]}}
    config["translation"]["corpus"] = {
        **TOY["translation"]["corpus"],
        "files": write_toy_corpus(corpus),
    }
    (workdir / "toy.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    snakemake("--cores", "2", "--configfile", "toy.yaml", cwd=workdir)
    assert dry_run(workdir, "--configfile", "toy.yaml") == Counter()  # nothing left
    return workdir


@pytest.fixture(scope="module")
def changed_dags(toy_run, tmp_path_factory) -> dict[str, Counter | AssertionError]:
    changes = [param.values[0] for param in CHANGES]
    return changed_dry_runs(toy_run, "toy.yaml", changes, tmp_path_factory)


@pytest.mark.slow
@pytest.mark.parametrize("change, expected", CHANGES)
def test_a_translation_change_schedules_exactly_what_it_touches(changed_dags, change, expected):
    assert_schedules(changed_dags[change], expected)
