"""Fig. 5 and the MNIST toy table from evaluation artifacts (paper §4, A.1, A.5).

Fig. 5 rows (``fig5_distillation.csv``), one per (curve, model, seed):

- ``teacher``: the teacher experiment trained directly at α (x = γ = α);
- ``student_ls``: the student architecture trained directly at α (x = γ = α);
- ``student_hard_teacher``: students distilled from the α = 0 teacher at temperature T;
- ``student_ls_teacher``: students distilled from teachers trained with α > 0 (at T).

Columns: curve, experiment, teacher_alpha, temperature, alpha, gamma, seed, val_accuracy,
test_accuracy, teacher_agreement (fraction of validation images where the student's top-1 equals
its own teacher's; NaN for directly trained models).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lsrepro.artifacts import evaluation as artifact
from lsrepro.artifacts.teacher_cache import load_teacher_cache
from lsrepro.distillation.gamma import student_gamma
from lsrepro.stats import summarize_over_seeds

FIG5_COLUMNS = (
    "curve",
    "experiment",
    "teacher_alpha",
    "temperature",
    "alpha",
    "gamma",
    "seed",
    "val_accuracy",
    "test_accuracy",
    "teacher_agreement",
)
CURVES = ("teacher", "student_ls", "student_hard_teacher", "student_ls_teacher")


def accuracy(arrays: Mapping[str, np.ndarray]) -> float:
    return float(np.mean(arrays["logits"].argmax(1) == arrays["labels"]))


def agreement(student: Mapping[str, np.ndarray], teacher: Mapping[str, np.ndarray]) -> float:
    """Fraction of shared examples where the two models' top-1 predictions agree."""
    if not np.array_equal(student["index"], teacher["index"]):
        raise ValueError("student and teacher were evaluated on different examples")
    return float(np.mean(student["logits"].argmax(1) == teacher["logits"].argmax(1)))


def direct_row(curve: str, run: Mapping[str, Any], val: str | Path, test: str | Path) -> dict:
    alpha = float(run["alpha"])
    return {
        "curve": curve,
        "experiment": run["experiment"],
        "teacher_alpha": np.nan,
        "temperature": np.nan,
        "alpha": alpha,
        "gamma": alpha,
        "seed": int(run["seed"]),
        "val_accuracy": accuracy(artifact.load(val)),
        "test_accuracy": accuracy(artifact.load(test)),
        "teacher_agreement": np.nan,
    }


def student_row(
    run: Mapping[str, Any],
    *,
    val: str | Path,
    test: str | Path,
    teacher_val: str | Path,
    teacher_cache: str | Path,
    train_labels: np.ndarray,
    flip: bool,
) -> dict:
    """``run``: the student's run columns (teacher_alpha, temperature, seed, ...)."""
    student_val = artifact.load(val)
    teacher_alpha, temperature = float(run["teacher_alpha"]), float(run["temperature"])
    cache = load_teacher_cache(teacher_cache)
    return {
        "curve": "student_hard_teacher" if teacher_alpha == 0 else "student_ls_teacher",
        "experiment": run["experiment"],
        "teacher_alpha": teacher_alpha,
        "temperature": temperature,
        "alpha": 0.0,
        "gamma": student_gamma(cache.logits, train_labels, temperature, flip),
        "seed": int(run["seed"]),
        "val_accuracy": accuracy(student_val),
        "test_accuracy": accuracy(artifact.load(test)),
        "teacher_agreement": agreement(student_val, artifact.load(teacher_val)),
    }


def summarize(per_seed: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """Per (curve, teacher_alpha, temperature, alpha): n, mean, std, t-interval, min, max."""
    by = ["curve", "experiment", "teacher_alpha", "temperature", "alpha"]
    values = ["gamma", "val_accuracy", "test_accuracy", "teacher_agreement"]
    summary = summarize_over_seeds(per_seed, by=by, values=values, confidence=confidence)
    long = per_seed.melt(id_vars=by, value_vars=values, var_name="variable")
    extremes = (
        long.groupby([*by, "variable"], dropna=False)["value"]
        .agg(min="min", max="max")
        .reset_index()
    )
    return summary.merge(extremes, on=[*by, "variable"], how="left")


MNIST_TOY_PAPER = {  # test error in %, paper §4 / A.5
    "teacher_A": 0.67,
    "student_A": 0.74,
    "teacher_B": 0.59,
    "student_B": 0.91,
    "student_alone": np.nan,  # not reported
}
MNIST_TOY_ROLES = {
    "teacher_A": "teacher trained with hard targets and dropout",
    "student_A": "800-800 student of teacher A (logit matching, beta 0.6)",
    "teacher_B": "teacher trained with label smoothing 0.1 instead of dropout",
    "student_B": "800-800 student of teacher B (logit matching, beta 0.6)",
    "student_alone": "800-800 student trained alone on hard targets",
}


def mnist_toy_tables(
    rows: Sequence[Mapping[str, Any]], confidence: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``rows``: {role, experiment, seed, test}: the test evaluation file of each model.

    Returns (per_seed, summary): test error (fraction) per seed; and per role the mean, min, max
    and t-interval over seeds in percent beside the paper's number.
    """
    per_seed = pd.DataFrame(
        [
            {
                "role": r["role"],
                "experiment": r["experiment"],
                "seed": int(r["seed"]),
                "test_error": 1.0 - accuracy(artifact.load(r["test"])),
            }
            for r in rows
        ]
    )
    summary = summarize_over_seeds(
        per_seed, by=["role", "experiment"], values=["test_error"], confidence=confidence
    )
    extremes = per_seed.groupby(["role", "experiment"])["test_error"].agg(["min", "max"])
    summary = summary.merge(extremes.reset_index(), on=["role", "experiment"])
    for column in ("mean", "std", "ci_lower", "ci_upper", "min", "max"):
        summary[f"{column}_pct"] = (100 * summary[column]).round(4)  # 1 example in 10k = 0.01
    summary["paper_pct"] = summary["role"].map(MNIST_TOY_PAPER)
    summary["difference_pct"] = summary["mean_pct"] - summary["paper_pct"]
    summary["description"] = summary["role"].map(MNIST_TOY_ROLES)
    order = {role: i for i, role in enumerate(MNIST_TOY_PAPER)}
    summary = summary.sort_values("role", key=lambda s: s.map(order)).reset_index(drop=True)
    keep = [
        "role",
        "description",
        "experiment",
        "n",
        "mean_pct",
        "ci_lower_pct",
        "ci_upper_pct",
        "min_pct",
        "max_pct",
        "paper_pct",
        "difference_pct",
    ]
    return per_seed, summary[keep]
