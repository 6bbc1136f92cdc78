"""Which files the distillation rules read and which targets they train towards (torch-free:
``common.smk`` calls these while Snakemake builds the DAG)."""

from __future__ import annotations

from typing import Any

from lsrepro import runs
from lsrepro.runs import RunKey


def students_of(config: dict[str, Any], key: RunKey) -> dict[str, Any]:
    return config["distillation"]["students"][key.experiment]


def objective(config: dict[str, Any], key: RunKey) -> dict[str, Any]:
    """The training objective of a distilled student (lsrepro.runs.training_objective)."""
    return runs.training_objective(config, key)


def teacher_mode(config: dict[str, Any]) -> str:
    return config["distillation"]["teacher_outputs"]


def teacher_cache_path(teacher: RunKey) -> str:
    return f"results/teacher_outputs/{teacher.fragment}/logits.npz"


def teacher_inputs(config: dict[str, Any], key: RunKey) -> dict[str, str]:
    teacher = key.teacher.run
    if teacher_mode(config) == "cached":
        return {"teacher_cache": teacher_cache_path(teacher)}
    return {"teacher_model": teacher.model_path}


def _evaluation(key: RunKey) -> dict[str, str]:
    return {split: key.path("evaluate", f"{split}.npz") for split in ("val", "test")}


def fig5_students(config: dict[str, Any]) -> dict[str, Any]:
    """The student set drawn in Fig. 5 (``distillation.fig5.students``)."""
    section = config["distillation"]
    return section["students"][section["fig5"]["students"]]


def fig5_records(config: dict[str, Any]) -> list[dict[str, Any]]:
    """One record per model of Fig. 5: the teacher experiment's and the student experiment's
    direct runs, and every distilled student of ``distillation.fig5.students``."""
    name = config["distillation"]["fig5"]["students"]
    students = fig5_students(config)
    records = []
    for curve, experiment in (
        ("teacher", students["teacher"]),
        ("student_ls", students["student"]),
    ):
        for key in runs.direct_runs(config):
            if key.experiment == experiment:
                records.append(
                    {"curve": curve, "run": runs.run_info(config, key), **_evaluation(key)}
                )
    for key in runs.distilled_runs(config):
        if key.experiment != name:
            continue
        records.append(
            {
                "curve": "student_hard_teacher"
                if float(key.teacher.alpha) == 0
                else "student_ls_teacher",
                "run": runs.run_info(config, key),
                **_evaluation(key),
                "teacher_val": key.teacher.run.path("evaluate", "val.npz"),
                "teacher_cache": teacher_cache_path(key.teacher.run),
            }
        )
    return records


def fig5_inputs(config: dict[str, Any]) -> dict[str, Any]:
    """tabulate_fig5's inputs: every evaluation and teacher cache of :func:`fig5_records` (once,
    sorted), and the student dataset's prepared file and split."""
    files = sorted(
        {
            path
            for record in fig5_records(config)
            for key, path in record.items()
            if key in ("val", "test", "teacher_val", "teacher_cache")
        }
    )
    dataset = runs.dataset_for(config, fig5_students(config)["student"])
    return {
        "evaluations": files,
        "prepared": runs.prepared_path(dataset),
        "split": runs.split_path(dataset),
    }


def fig5_student_flip(config: dict[str, Any]) -> bool:
    """Whether the Fig. 5 student's recipe mirrors its images (the teacher-cache column it sees)."""
    student = fig5_students(config)["student"]
    return bool(runs.recipe_for(config, student)["input"]["flip"])


def fig5_wanted(config: dict[str, Any]) -> bool:
    section = config.get("distillation") or {}
    fig5 = section.get("fig5")
    return bool(fig5) and fig5["students"] in section.get("run", [])


def mnist_toy_records(config: dict[str, Any]) -> list[dict[str, Any]]:
    """{role, experiment, seed, test} for every model of the MNIST toy table."""
    toy = config["distillation"]["mnist_toy"]
    students = config["distillation"]["students"]
    # A teacher row holds the models its students learn from: the teacher experiment may train
    # other alphas too (the CPU study trains teacher B's alpha = 0 twin in the same experiment).
    alphas = {
        f"teacher_{x}": {
            runs.fmt_float(a)
            for cell in students[toy[f"student_{x}"]]["grid"]
            for a in cell["teacher_alphas"]
        }
        for x in "AB"
    }
    records = []
    for role in ("teacher_A", "teacher_B", "student_alone"):
        for key in runs.direct_runs(config):
            if key.experiment == toy[role] and key.alpha in alphas.get(role, {key.alpha}):
                records.append(
                    {
                        "role": role,
                        "experiment": key.experiment,
                        "seed": key.seed,
                        "test": key.path("evaluate", "test.npz"),
                    }
                )
    for role in ("student_A", "student_B"):
        for key in runs.distilled_runs(config):
            if key.experiment == toy[role]:
                records.append(
                    {
                        "role": role,
                        "experiment": key.experiment,
                        "seed": key.seed,
                        "test": key.path("evaluate", "test.npz"),
                    }
                )
    return records


def mnist_toy_wanted(config: dict[str, Any]) -> bool:
    section = config.get("distillation") or {}
    toy = section.get("mnist_toy")
    if not toy:
        return False
    return {toy["student_A"], toy["student_B"]} <= set(section.get("run", [])) and {
        toy["teacher_A"],
        toy["teacher_B"],
        toy["student_alone"],
    } <= set(config["run"])


def mnist_toy_inputs(config: dict[str, Any]) -> list[str]:
    """The test evaluation of every model of the MNIST toy table."""
    return [record["test"] for record in mnist_toy_records(config)]
