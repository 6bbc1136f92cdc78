"""Run identity and result paths: the one place that spells them (torch-free).

A run is one trained model. Its key carries the factors that decide it:

- a model trained directly (rule ``train``): ``(experiment, alpha, seed)``,
  path fragment ``{experiment}/alpha~{alpha}/seed~{seed}``;
- a distilled student (rule ``distill``): the student set's name, the teacher's
  ``(experiment, alpha, seed)`` and the temperature T, path fragment
  ``{students}/teacher~{teacher}~alpha~{teacher_alpha}~seed~{teacher_seed}/T~{T}/seed~{seed}``.

Rules use one wildcard ``{run}`` for the fragment (constrained to the configured runs), input
functions call :func:`parse`, tables carry :meth:`RunKey.columns`. Floats are written by
:func:`fmt_float` (``0.1``, ``0.0``, ``4.0``), so a path never reads ``0.10000001``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

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
