"""The translation stage's plan: targets, inputs, params and config checks (torch-free:
Snakemake imports it while it builds the DAG).

A translation run is a :class:`lsrepro.runs.RunKey` ``(experiment, alpha, seed)`` of the config's
``translation.experiments``; its key, its ``{trun}`` wildcard and every path under
``results/translation/`` are spelled in :mod:`lsrepro.runs` (:func:`~lsrepro.runs.translation_runs`,
:func:`~lsrepro.runs.translation_path`, :func:`~lsrepro.runs.corpus_path`, ...). This module
says which of them a config makes and what each rule reads:

* the stage's targets (tables, Figs. 3, 4 and 7, the beam grid ★): :func:`targets`;
* the rules' inputs and params: :func:`corpus_params`, :func:`run_recipe`,
  :func:`reliability_inputs`, :func:`projection_inputs`, ...;
* its config checks: :func:`problems` (the section's cross-field rules) and
  :func:`built_problems` (against the vocabulary already built).

Splits: the corpus holds ``train``, ``val`` and every name in ``translation.test_splits``. In
the tables the first test split is called ``test`` (the split the verdicts judge) and any
further one keeps its own name; the column ``test_set`` always carries the corpus's name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lsrepro.data.corpus import MULTI30K_SPLITS
from lsrepro.models.registry import validate_model_spec
from lsrepro.paper import comparison_alpha
from lsrepro.runs import (
    RunKey,
    corpus_path,
    fmt_float,
    translation_path,
    translation_run_info,
    translation_runs,
    vocab_path,
    vocab_record_path,
)

MULTI30K = "multi30k"
#: Test splits of the Multi30k task-1 release (everything but train and val).
MULTI30K_TEST_SPLITS = tuple(s for s in MULTI30K_SPLITS if s not in ("train", "val"))
#: Smallest joint vocabulary sentencepiece trains on Multi30k's training split (en + de):
#: 100 characters at character_coverage 1.0 + 4 special pieces (tests/test_config_malformed.py
#: checks it against the mirror: 103 fails, 104 trains).
MULTI30K_MIN_VOCAB = 104
#: The beam length bias ★ (issue 18): every run decoded at T = 1 with each beam size of
#: ``translation.beams``, its tables and figure (val and test).
BEAM_TARGETS = [
    "results/tables/translation_beams_per_seed.csv",
    "results/tables/translation_beams_summary.csv",
    "results/figures/translation/beams.pdf",
    "results/figures/translation/beams_test.pdf",
]


def section(config: dict[str, Any]) -> dict[str, Any]:
    return config["translation"]


def built_problems(config: dict[str, Any]) -> list[str]:
    """Checks against the vocabulary already built (its record, if any), before any job: a
    ``vocab.size`` below the corpus's characters, or a recipe's ``max_tokens`` below the longest
    sentence pair in this vocabulary, would otherwise fail inside a job after Snakemake had
    deleted the valid outputs the change invalidates."""
    tr = section(config)
    record_path = Path(vocab_record_path(config))
    if not tr["run"] or not record_path.is_file():
        return []
    try:
        record = json.loads(record_path.read_text())
    except (OSError, ValueError) as e:
        return [f"{record_path}: unreadable vocabulary record ({e}); delete it and run again"]
    out = []
    want = tr["vocab"]
    if want["size"] < record.get("min_size", 0):
        out.append(
            f"translation.vocab.size: {want['size']} is below the {record['min_size']} pieces "
            f"corpus {tr['corpus']['name']!r} needs (its characters + 4 specials; {record_path})"
        )
    same_vocab = (
        record.get("size") == want["size"] and record.get("model_type") == want["model_type"]
    )
    # Training leaves longer pairs out; token evaluation must fit every val and test pair.
    longest_by_split = {
        k: v for k, v in (record.get("longest_pair_tokens") or {}).items() if k != "train"
    }
    if same_vocab and longest_by_split:
        split, longest = max(longest_by_split.items(), key=lambda kv: kv[1])
        for name in dict.fromkeys(tr["experiments"][e]["recipe"] for e in tr["run"]):
            max_tokens = tr["recipes"][name]["max_tokens"]
            if max_tokens < longest:
                out.append(
                    f"translation.recipes.{name}.max_tokens: {max_tokens} is below the longest "
                    f"sentence pair token evaluation must fit, {longest} tokens in split "
                    f"{split!r} with this vocabulary ({record_path})"
                )
    return out


def corpus_splits(config: dict[str, Any]) -> list[str]:
    """Splits the corpus artifact holds: train, val, then the test splits."""
    return ["train", "val", *section(config)["test_splits"]]


def split_labels(config: dict[str, Any]) -> dict[str, str]:
    """Corpus split -> table ``split``: val -> val, first test split -> test, others as named."""
    tests = section(config)["test_splits"]
    return {"val": "val", **{name: ("test" if i == 0 else name) for i, name in enumerate(tests)}}


def beam_grid_settings(config: dict[str, Any]) -> dict[str, Any]:
    """``translation.beam`` without its ``size``: what the beam-size grid (rule decode_beams)
    decodes with, each of ``translation.beams`` being its own size. A change of ``beam.size``
    alone then re-runs the main decoding, not the grid."""
    return {k: v for k, v in section(config)["beam"].items() if k != "size"}


def token_fit_params(config: dict[str, Any]) -> dict[str, Any]:
    """The ``calibration`` keys a Transformer's token evaluation fits its temperature with (on
    validation NLL only: ``fit_by_ece`` and its ``n_bins`` are the image models' second fit)."""
    return {key: config["calibration"][key] for key in ("tolerance", "temperature_bounds")}


def corpus_files(config: dict[str, Any]) -> list[str]:
    """Local files the corpus is read from (rule inputs): none for Multi30k (mirror/download,
    checksums fix the content), every listed file otherwise."""
    files = section(config)["corpus"]["files"]
    if not files:
        return []
    return [files[split][side] for split in corpus_splits(config) for side in ("src", "tgt")]


def corpus_params(config: dict[str, Any]) -> dict[str, Any]:
    """Rule prepare_corpus's ``corpus`` param: the config's corpus section and its splits."""
    return {**section(config)["corpus"], "splits": corpus_splits(config)}


def recipe(config: dict[str, Any], experiment: str) -> dict[str, Any]:
    tr = section(config)
    return tr["recipes"][tr["experiments"][experiment]["recipe"]]


def engine_recipe(recipe_cfg: dict[str, Any]) -> dict[str, Any]:
    """The config recipe in the form :meth:`lsrepro.training.recipe.Recipe.from_config` takes.

    A translation batch is counted in tokens: ``batch_size`` is set to ``max_tokens`` (padded
    source + target tokens per step; also what the registry's cost estimate takes), which stays
    in ``Recipe.extra`` as well; there is no image input pipeline (``input: None``).
    """
    return {**recipe_cfg, "batch_size": int(recipe_cfg["max_tokens"]), "input": None}


def run_recipe(config: dict[str, Any], key: RunKey) -> dict[str, Any]:
    """The engine recipe (:func:`engine_recipe`) a translation run trains with."""
    return engine_recipe(recipe(config, key.experiment))


def max_tokens(config: dict[str, Any], key: RunKey) -> int:
    """Padded tokens per batch of a run's recipe (training, and the token evaluation)."""
    return run_recipe(config, key)["max_tokens"]


def runs_info(config: dict[str, Any]) -> list[dict[str, Any]]:
    """Every run's identifying columns (:func:`lsrepro.runs.translation_run_info`), in
    :func:`lsrepro.runs.translation_runs` order: the tabulate rules' ``runs`` param."""
    return [translation_run_info(config, key) for key in translation_runs(config)]


def comparison_runs(config: dict[str, Any]) -> dict[str, RunKey] | None:
    """The three models of the Fig. 3 reliability diagram: the first run experiment's α = 0 and
    α (:func:`lsrepro.paper.comparison_alpha`: 0.1, else the smallest positive α), both at
    ``model_seed``; None when either is not configured."""
    tr = section(config)
    if not tr["run"]:
        return None
    name = tr["run"][0]
    exp = tr["experiments"][name]
    ls_alpha = comparison_alpha(exp["alphas"])
    if 0.0 not in exp["alphas"] or ls_alpha is None or tr["model_seed"] not in exp["seeds"]:
        return None
    return {
        "hard": RunKey(name, "0.0", tr["model_seed"]),
        "smooth": RunKey(name, fmt_float(ls_alpha), tr["model_seed"]),
    }


def reliability_inputs(config: dict[str, Any]) -> dict[str, str]:
    """Fig. 3's inputs: the reliability.csv of the ``hard`` and ``smooth`` comparison runs."""
    return {
        role: translation_path(key, "evaluate", "reliability.csv")
        for role, key in _need(comparison_runs(config), "Fig. 3").items()
    }


def ls_alpha(config: dict[str, Any]) -> float:
    """The α of Fig. 3's label-smoothed model."""
    return float(_need(comparison_runs(config), "Fig. 3")["smooth"].alpha)


def projection_models(config: dict[str, Any]) -> dict[str, RunKey] | None:
    """Fig. 7's models: α = 0 and ``translation.projection.alpha`` of the first run
    experiment, both at ``model_seed`` (as Fig. 3); None without an α = 0 / LS pair."""
    models = comparison_runs(config)
    if models is None:
        return None
    alpha = section(config)["projection"]["alpha"]
    hard = models["hard"]
    smooth = RunKey(hard.experiment, alpha, hard.seed)
    if smooth not in translation_runs(config):
        raise ValueError(
            f"translation.projection.alpha: {alpha} is not among the alphas of translation "
            f"experiment {hard.experiment!r} (seed {hard.seed})"
        )
    return {"hard": hard, "smooth": smooth}


def projection_inputs(config: dict[str, Any]) -> dict[str, str]:
    """Rule project_translation's inputs: both models, the corpus and the vocabulary."""
    models = _need(projection_models(config), "Fig. 7")
    inputs = {role: translation_path(key, "train", "model.pt") for role, key in models.items()}
    return {**inputs, "corpus": corpus_path(config), "vocab": vocab_path(config)}


def projection_alpha(config: dict[str, Any]) -> float:
    """The α of Fig. 7's label-smoothed model."""
    return float(_need(projection_models(config), "Fig. 7")["smooth"].alpha)


def projection_max_tokens(config: dict[str, Any]) -> int:
    """Padded tokens per forward pass of Fig. 7: the hard-target model's recipe's."""
    return max_tokens(config, _need(projection_models(config), "Fig. 7")["hard"])


def _need(models: dict[str, RunKey] | None, figure: str) -> dict[str, RunKey]:
    if models is None:
        raise ValueError(
            f"{figure} needs an alpha 0 and a label-smoothed model of the first experiment of "
            "translation.run at translation.model_seed"
        )
    return models


def targets(config: dict[str, Any]) -> list[str]:
    """Everything the stage produces; empty when ``translation.run`` is empty."""
    if not translation_runs(config):
        return []
    out = [
        "results/tables/translation_per_seed.csv",
        "results/tables/translation_summary.csv",
        "results/tables/translation_table3.csv",
    ]
    if fig4_wanted(config):
        out += ["results/figures/translation/fig4.pdf", "results/figures/translation/fig4_test.pdf"]
    if comparison_runs(config) is not None:
        out.append("results/figures/translation/fig3.pdf")
    out += BEAM_TARGETS
    if projection_models(config) is not None:
        out.append("results/figures/translation/fig7.pdf")
    return out


def fig4_wanted(config: dict[str, Any]) -> bool:
    """Fig. 4 needs α = 0 and a positive α among the runs."""
    alphas = {float(k.alpha) for k in translation_runs(config)}
    return 0.0 in alphas and any(a > 0 for a in alphas)


def problems(config: dict[str, Any]) -> list[str]:
    """Cross-field checks of the ``translation`` section (its schema checks the types)."""
    tr = config.get("translation")
    if tr is None:
        return []
    out: list[str] = []
    corpus = tr["corpus"]
    files = corpus.get("files")
    if corpus["name"] == MULTI30K and not files:
        for split in tr["test_splits"]:
            if split not in MULTI30K_TEST_SPLITS:
                out.append(
                    f"translation.test_splits: {split!r} is not a Multi30k test split "
                    f"({', '.join(MULTI30K_TEST_SPLITS)})"
                )
        for side in ("src", "tgt"):
            if corpus[side] not in ("en", "de"):
                out.append(f"translation.corpus.{side}: Multi30k task 1 has en and de only")
        if corpus["src"] == corpus["tgt"]:
            out.append("translation.corpus: src and tgt are the same language")
        if tr["vocab"]["size"] < MULTI30K_MIN_VOCAB:
            out.append(
                f"translation.vocab.size: {tr['vocab']['size']} is below the {MULTI30K_MIN_VOCAB} "
                f"pieces Multi30k needs (every character of its training split + 4 specials)"
            )
    elif not files:
        out.append(
            f"translation.corpus.files: corpus {corpus['name']!r} is not multi30k, so its files "
            f"must be given as {{split: {{src: path, tgt: path}}}}"
        )
    else:
        for split in ["train", "val", *tr["test_splits"]]:
            if split not in files:
                out.append(
                    f"translation.corpus.files: no split {split!r} (need train, val and "
                    f"every test split)"
                )
    if len(set(tr["test_splits"])) != len(tr["test_splits"]):
        out.append(f"translation.test_splits: duplicate names {tr['test_splits']}")
    for name, rec in tr["recipes"].items():
        key = f"translation.recipes.{name}"
        out += [f"{key}.model.{p}" for p in validate_model_spec(rec["model"])]
        if rec["model"]["name"] != "transformer":
            out.append(f"{key}.model.name: the translation stage trains a transformer")
        if rec["lr_schedule"]["name"] == "rsqrt" and "warmup_steps" not in rec["lr_schedule"]:
            out.append(f"{key}.lr_schedule: rsqrt needs warmup_steps")
        for s in rec.get("snapshot_steps", []):
            if s > rec["steps"]:
                out.append(f"{key}.snapshot_steps: {s} > steps ({rec['steps']})")
    for name, exp in tr["experiments"].items():
        if exp["recipe"] not in tr["recipes"]:
            out.append(f"translation.experiments.{name}.recipe: no recipe {exp['recipe']!r}")
        for field in ("alphas", "seeds"):
            if len(set(exp[field])) != len(exp[field]):
                out.append(f"translation.experiments.{name}.{field}: duplicate values")
    for name in tr["run"]:
        if name not in tr["experiments"]:
            out.append(
                f"translation.run: unknown experiment {name!r} "
                f"(defined: {', '.join(tr['experiments'])})"
            )
    out += _figure_problems(tr)
    if 1.0 not in tr["temperatures"]:
        out.append("translation.temperatures: the grid must contain 1.0 (the T = 1 rows)")
    if len(set(tr["temperatures"])) != len(tr["temperatures"]):
        out.append("translation.temperatures: duplicate values")
    beams = tr["beams"]
    if len(set(beams)) != len(beams):
        dup = sorted({b for b in beams if beams.count(b) > 1})
        out.append(f"translation.beams: duplicate beam sizes {dup} in {beams}")
    return out


def _figure_problems(tr: dict[str, Any]) -> list[str]:
    """Fig. 3 and Fig. 7 take models of the first run experiment at ``model_seed``: a seed or a
    projection alpha it does not train would drop them from the DAG without a word."""
    if not tr["run"] or tr["run"][0] not in tr["experiments"]:
        return []
    name = tr["run"][0]
    exp = tr["experiments"][name]
    out = []
    if tr["model_seed"] not in exp["seeds"]:
        out.append(
            f"translation.model_seed: {tr['model_seed']} is not a seed of translation experiment "
            f"{name!r} {exp['seeds']} (Fig. 3 and Fig. 7 show that seed's models)"
        )
    alpha = tr["projection"]["alpha"]
    pair = 0.0 in exp["alphas"] and any(a > 0 for a in exp["alphas"])  # else no Fig. 7
    if pair and alpha not in exp["alphas"]:
        out.append(
            f"translation.projection.alpha: {alpha} is not among the alphas of translation "
            f"experiment {name!r} {exp['alphas']} (Fig. 7 compares it with alpha 0)"
        )
    return out
