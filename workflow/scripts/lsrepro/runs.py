"""Run identity and result paths: the one place that spells them (torch-free).

A run is one trained model. Its key carries the factors that decide it:

- a model trained directly (rule ``train``): ``(experiment, alpha, seed)``,
  path fragment ``{experiment}/alpha~{alpha}/seed~{seed}``;
- a distilled student (rule ``distill``): the student set's name, the teacher's
  ``(experiment, alpha, seed)`` and the temperature T, path fragment
  ``{students}/teacher~{teacher}~alpha~{teacher_alpha}~seed~{teacher_seed}/T~{T}/seed~{seed}``;
- a Transformer of the translation stage (rule ``train_translation``): ``(experiment, alpha,
  seed)`` of ``translation.experiments``, the direct fragment, under ``results/translation/``.

Image rules use one wildcard ``{run}`` for the fragment (constrained to the configured runs),
translation rules their own ``{trun}`` (so no translation output can match an image rule);
input functions call :func:`parse`, tables carry :meth:`RunKey.columns`. Floats are written by
:func:`fmt_float` (``0.1``, ``0.0``, ``4.0``), so a path never reads ``0.10000001``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from lsrepro.models.registry import display_name

#: The identifying columns of a run in every per-run table, and the ones a summary over seeds
#: groups by. Directly trained runs have teacher "none" and NaN teacher_alpha / temperature.
RUN_COLUMNS = (
    "experiment",
    "dataset",
    "architecture",
    "alpha",
    "seed",
    "teacher",
    "teacher_alpha",
    "teacher_seed",
    "temperature",
)
GROUP_COLUMNS = tuple(c for c in RUN_COLUMNS if c not in ("seed", "teacher_seed"))
DIRECT_TEACHER = "none"


def fmt_float(value: float | str) -> str:
    """The one float formatter for paths and tables: shortest round-trip, e.g. 0.1, 0.0, 0.05."""
    return np.format_float_positional(float(value), trim="0")


@dataclass(frozen=True)
class TeacherKey:
    experiment: str
    alpha: str
    seed: int

    @property
    def run(self) -> RunKey:
        return RunKey(self.experiment, self.alpha, self.seed)


@dataclass(frozen=True)
class RunKey:
    """``experiment`` is the experiment (direct training) or the student set (distillation)."""

    experiment: str
    alpha: str  # the model's own label smoothing (students: "0.0")
    seed: int
    teacher: TeacherKey | None = None
    temperature: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "alpha", fmt_float(self.alpha))
        object.__setattr__(self, "seed", int(self.seed))
        if self.temperature is not None:
            object.__setattr__(self, "temperature", fmt_float(self.temperature))
        if (self.teacher is None) != (self.temperature is None):
            raise ValueError("a distilled run needs both a teacher and a temperature")

    @property
    def distilled(self) -> bool:
        return self.teacher is not None

    @property
    def stage(self) -> str:
        """The stage whose rule trains this run: ``train`` or ``distill``."""
        return "distill" if self.distilled else "train"

    @property
    def fragment(self) -> str:
        if self.teacher is None:
            return f"{self.experiment}/alpha~{self.alpha}/seed~{self.seed}"
        t = self.teacher
        return (
            f"{self.experiment}/teacher~{t.experiment}~alpha~{t.alpha}~seed~{t.seed}"
            f"/T~{self.temperature}/seed~{self.seed}"
        )

    def path(self, stage: str, artifact: str) -> str:
        """``results/{stage}/{fragment}/{artifact}``."""
        return f"results/{stage}/{self.fragment}/{artifact}"

    @property
    def model_path(self) -> str:
        return self.path(self.stage, "model.pt")

    def columns(self) -> dict[str, object]:
        """The identifying columns of this run in every table."""
        t = self.teacher
        return {
            "experiment": self.experiment,
            "alpha": float(self.alpha),
            "seed": self.seed,
            "teacher": t.experiment if t else DIRECT_TEACHER,
            "teacher_alpha": float(t.alpha) if t else float("nan"),
            "teacher_seed": t.seed if t else -1,
            "temperature": float(self.temperature) if self.temperature else float("nan"),
        }

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "experiment": self.experiment,
            "alpha": self.alpha,
            "seed": self.seed,
        }
        if self.teacher is not None:
            out["teacher"] = {
                "experiment": self.teacher.experiment,
                "alpha": self.teacher.alpha,
                "seed": self.teacher.seed,
            }
            out["temperature"] = self.temperature
        return out


_NAME = r"[A-Za-z0-9_\-]+"
_NUM = r"\d+(?:\.\d+)?"
_DIRECT = re.compile(rf"(?P<experiment>{_NAME})/alpha~(?P<alpha>{_NUM})/seed~(?P<seed>\d+)")
_DISTILLED = re.compile(
    rf"(?P<experiment>{_NAME})/teacher~(?P<teacher>{_NAME})~alpha~(?P<talpha>{_NUM})"
    rf"~seed~(?P<tseed>\d+)/T~(?P<T>{_NUM})/seed~(?P<seed>\d+)"
)


def parse(fragment: str) -> RunKey:
    """The RunKey of a path fragment written by :attr:`RunKey.fragment`."""
    m = _DIRECT.fullmatch(fragment)
    if m:
        return RunKey(m["experiment"], m["alpha"], int(m["seed"]))
    m = _DISTILLED.fullmatch(fragment)
    if m:
        teacher = TeacherKey(m["teacher"], fmt_float(m["talpha"]), int(m["tseed"]))
        return RunKey(m["experiment"], "0.0", int(m["seed"]), teacher, m["T"])
    raise ValueError(f"not a run path fragment: {fragment!r}")


def wildcard_pattern(keys: list[RunKey]) -> str:
    """A regex matching exactly the fragments of ``keys`` (the ``{run}`` wildcard constraint)."""
    if not keys:
        return "(?!)"  # matches nothing
    return "|".join(re.escape(k.fragment) for k in keys)


# --- The job grid: every run of a config (common.smk, the stage plans and config's checks) ----


def comparisons(config: dict[str, Any], section: str) -> dict[str, dict[str, Any]]:
    """The figures of ``section`` whose two experiments are both in ``run``."""
    return {
        name: fig
        for name, fig in config[section]["figures"].items()
        if {fig["hard"], fig["smooth"]} <= set(config["run"])
    }


def direct_runs(config: dict[str, Any]) -> list[RunKey]:
    """Every (experiment, alpha, seed) trained directly, in config order."""
    return [
        RunKey(name, fmt_float(alpha), int(seed))
        for name in config["run"]
        for alpha in config["experiments"][name]["alphas"]
        for seed in config["experiments"][name]["seeds"]
    ]


def student_sets(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The distillation student sets to produce: listed in ``distillation.run`` (and with
    their teacher and student experiments in ``run``, which validation checks)."""
    section = config.get("distillation") or {}
    return {name: section["students"][name] for name in section.get("run", [])}


def teacher_seed(students: dict[str, Any], seed: int) -> int:
    """Pairing of student and teacher seeds: null = the same seed, an int = that teacher."""
    fixed = students.get("teacher_seed")
    return int(seed) if fixed is None else int(fixed)


def distilled_runs(config: dict[str, Any]) -> list[RunKey]:
    """Every distilled student: (student set, teacher alpha, T, seed) of ``distillation.run``."""
    keys = []
    for name, students in student_sets(config).items():
        for cell in students["grid"]:
            for teacher_alpha in cell["teacher_alphas"]:
                for temperature in cell["temperatures"]:
                    for seed in students["seeds"]:
                        teacher = TeacherKey(
                            students["teacher"],
                            fmt_float(teacher_alpha),
                            teacher_seed(students, seed),
                        )
                        keys.append(RunKey(name, "0.0", seed, teacher, fmt_float(temperature)))
    return keys


def all_runs(config: dict[str, Any]) -> list[RunKey]:
    """Every trained model of the config: direct runs, then distilled students."""
    return direct_runs(config) + distilled_runs(config)


def experiment_of(config: dict[str, Any], key: RunKey) -> str:
    """The experiment whose dataset and recipe a run uses (a student set's ``student``)."""
    if key.distilled:
        return config["distillation"]["students"][key.experiment]["student"]
    return key.experiment


def run_info(config: dict[str, Any], key: RunKey) -> dict[str, Any]:
    """The identifying columns of a run in every table (torch-free)."""
    experiment = experiment_of(config, key)
    columns = key.columns()
    return {
        "experiment": columns.pop("experiment"),
        "dataset": dataset_for(config, experiment),
        "architecture": display_name(recipe_for(config, experiment)["model"]),
        **columns,
    }


def recipe_for(config: dict[str, Any], experiment: str) -> dict[str, Any]:
    return config["recipes"][config["experiments"][experiment]["recipe"]]


def dataset_for(config: dict[str, Any], experiment: str) -> str:
    return config["experiments"][experiment]["dataset"]


# --- Paths of the data and evaluation artifacts every stage reads -----------------------------


def prepared_path(dataset: str) -> str:
    """The prepared dataset (rule ``prepare_data``)."""
    return f"results/data/{dataset}/prepared.npz"


def split_path(dataset: str) -> str:
    """The train/validation split with its digest (rule ``split_data``)."""
    return f"results/data/{dataset}/split.npz"


def dataset_of(config: dict[str, Any], key: RunKey) -> str:
    """The dataset a run trains on (a student set's: its student experiment's)."""
    return dataset_for(config, experiment_of(config, key))


def evaluation_path(key: RunKey, split: str) -> str:
    """The evaluation artifact of one split (``train``, ``val`` or ``test``; rule ``evaluate``)."""
    return key.path("evaluate", f"{split}.npz")


def expand(pattern: str, keys: list[RunKey]) -> list[str]:
    """``pattern`` with its ``{run}`` filled in by every key's fragment, in order."""
    return [pattern.format(run=key.fragment) for key in keys]


def training_objective(config: dict[str, Any], key: RunKey) -> dict[str, Any]:
    """The objective a run trains towards (lsrepro.training.objectives): label smoothing at the
    run's alpha, or for a distilled student its student set's objective at the run's T."""
    if not key.distilled:
        return {"name": "label_smoothing", "alpha": float(key.alpha)}
    spec = dict(config["distillation"]["students"][key.experiment]["objective"])
    if spec["name"] == "soft_targets":
        spec["temperature"] = float(key.temperature)
    return spec


# --- Translation runs and paths (rules in translation.smk; the stage's plan in
# lsrepro.translation.plan). Everything lives under results/translation/:
#   {corpus}/corpus.json.gz, vocab.model, vocab.json     one corpus per config
#   train/{trun}/model.pt (+ history.csv, snapshots/)
#   evaluate/{trun}/tokens.csv, temperature.json, reliability.csv, bleu.csv, hypotheses/,
#       beams.csv, beam_hypotheses/
TRANSLATION_ROOT = "results/translation"


def translation_runs(config: dict[str, Any]) -> list[RunKey]:
    """Every (experiment, alpha, seed) of ``translation.run``, in config order."""
    tr = config["translation"]
    return [
        RunKey(name, fmt_float(alpha), int(seed))
        for name in tr["run"]
        for alpha in tr["experiments"][name]["alphas"]
        for seed in tr["experiments"][name]["seeds"]
    ]


def translation_run_info(config: dict[str, Any], key: RunKey) -> dict[str, Any]:
    """The identifying columns of a translation run in every translation table."""
    corpus = config["translation"]["corpus"]
    return {
        "experiment": key.experiment,
        "corpus": corpus["name"],
        "direction": f"{corpus['src']}-{corpus['tgt']}",
        "alpha": float(key.alpha),
        "seed": key.seed,
    }


def translation_path(key: RunKey, stage: str, artifact: str) -> str:
    """``results/translation/{stage}/{fragment}/{artifact}`` (stage: train | evaluate)."""
    return f"{TRANSLATION_ROOT}/{stage}/{key.fragment}/{artifact}"


def expand_translation(pattern: str, keys: list[RunKey]) -> list[str]:
    """``pattern`` with its ``{trun}`` filled in by every key's fragment, in order."""
    return [pattern.format(trun=key.fragment) for key in keys]


def corpus_dir(config: dict[str, Any]) -> str:
    return f"{TRANSLATION_ROOT}/{config['translation']['corpus']['name']}"


def corpus_path(config: dict[str, Any]) -> str:
    """The parallel corpus artifact (rule ``prepare_corpus``)."""
    return f"{corpus_dir(config)}/corpus.json.gz"


def vocab_path(config: dict[str, Any]) -> str:
    """The joint sentencepiece model (rule ``train_vocabulary``)."""
    return f"{corpus_dir(config)}/vocab.model"


def vocab_record_path(config: dict[str, Any]) -> str:
    """The record train_vocabulary writes beside the model (lsrepro.data.vocab.save_vocab)."""
    return f"{corpus_dir(config)}/vocab.json"
