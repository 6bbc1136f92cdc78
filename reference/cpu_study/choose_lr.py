"""Step 1 of the CPU study's plan (PLAN.md): the students' learning rates, chosen on validation.

For each student objective the lr with the lowest validation error (split ``val``, T = 1, from
each grid run's ``results/calibration/{run}/metrics.csv``) is chosen; for logit matching the
error is the mean over the students of teachers A and B; ties go to the smaller lr; a run that
diverged or has no metrics counts as the worst. The test split is never read.

    python reference/cpu_study/choose_lr.py /work/study/code/results
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

GRID = {"0.1": "01", "0.3": "03", "1.0": "1"}  # lr -> the suffix of its grid runs
RUNS = {  # objective -> the runs whose validation errors it averages, {s}: the lr suffix
    "cross-entropy alone": ["grid_student_lr{s}/alpha~0.0/seed~0"],
    "logit matching": [
        "grid_of_A_lr{s}/teacher~mnist_fc_dropout~alpha~0.0~seed~0/T~1.0/seed~0",
        "grid_of_B_lr{s}/teacher~mnist_fc_ls~alpha~0.1~seed~0/T~1.0/seed~0",
    ],
}


class NotFinished(RuntimeError):
    """A grid run has neither metrics nor a divergence in its log: no choice can be made yet."""


def validation_error(results: Path, run: str) -> float:
    """Validation error at T = 1 in percent; NaN for a run whose training diverged."""
    metrics_csv = results / "calibration" / run / "metrics.csv"
    if not metrics_csv.is_file():
        logs = [results / "logs" / rule / f"{run}.log" for rule in ("train", "distill")]
        if any(log.is_file() and "DivergenceError" in log.read_text() for log in logs):
            return math.nan
        raise NotFinished(f"{run}: no {metrics_csv} and no divergence in its log yet")
    table = pd.read_csv(metrics_csv)
    rows = table[
        (table["split"] == "val") & (table["scaling"] == "none") & (table["metric"] == "accuracy")
    ]
    if len(rows) != 1:
        raise ValueError(f"{metrics_csv}: expected one val/none/accuracy row, found {len(rows)}")
    return 100.0 * (1.0 - float(rows["estimate"].iloc[0]))


def choose(errors: Mapping[str, float]) -> str:
    """The lr (a key of ``errors``) with the lowest error; NaN (diverged) is the worst; ties go
    to the smaller lr."""

    def key(lr: str) -> tuple[float, float]:
        err = errors[lr]
        return (math.inf if math.isnan(err) else err, float(lr))

    return min(errors, key=key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="the study's results/ directory")
    args = parser.parse_args()
    try:
        print("\n".join(table(args.results)))
    except NotFinished as err:
        raise SystemExit(f"no choice yet: {err}") from None


def table(results: Path) -> list[str]:
    """The grid's markdown table, each objective's chosen lr in bold."""
    lines = [
        "| objective | lr | validation error (%) per run | mean | chosen |",
        "|---|---:|---|---:|---|",
    ]
    for objective, runs in RUNS.items():
        means = {}
        for lr, suffix in GRID.items():
            errs = [validation_error(results, run.format(s=suffix)) for run in runs]
            means[lr] = math.nan if any(math.isnan(e) for e in errs) else sum(errs) / len(errs)
            cells = ", ".join("diverged" if math.isnan(e) else f"{e:.2f}" for e in errs)
            means_text = "–" if math.isnan(means[lr]) else f"{means[lr]:.3f}"
            lines.append(f"| {objective} | {lr} | {cells} | {means_text} | |")
        lines.append(f"| {objective} | **{choose(means)}** | | | chosen |")
    return lines


if __name__ == "__main__":
    main()
