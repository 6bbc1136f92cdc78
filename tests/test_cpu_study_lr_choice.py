"""The CPU study's learning-rate rule (reference/cpu_study/PLAN.md, step 1) on planted grids."""

import importlib.util
import math
from pathlib import Path

import pandas as pd
import pytest

SCRIPT = Path(__file__).parents[1] / "reference" / "cpu_study" / "choose_lr.py"
spec = importlib.util.spec_from_file_location("choose_lr", SCRIPT)
choose_lr = importlib.util.module_from_spec(spec)
spec.loader.exec_module(choose_lr)


def plant(results: Path, run: str, val_accuracy: float, test_accuracy: float = 0.5) -> None:
    path = results / "calibration" / run / "metrics.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        {"split": split, "scaling": scaling, "metric": "accuracy", "estimate": acc}
        for split, acc in (("val", val_accuracy), ("test", test_accuracy))
        for scaling in ("none", "temperature")
    ]
    pd.DataFrame(rows).to_csv(path, index=False)


def diverge(results: Path, rule: str, run: str) -> None:
    log = results / "logs" / rule / f"{run}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("lsrepro.training.loop.DivergenceError: loss became nan at step 12\n")


def runs(objective: str, suffix: str) -> list[str]:
    return [run.format(s=suffix) for run in choose_lr.RUNS[objective]]


def test_lowest_validation_error_wins_and_the_test_split_is_not_read(tmp_path):
    # val errors: CE alone 1.6 / 1.4 / 1.5 %; the test split says the opposite (never read)
    for suffix, acc in (("01", 0.984), ("03", 0.986), ("1", 0.985)):
        plant(tmp_path, runs("cross-entropy alone", suffix)[0], acc, test_accuracy=1 - acc)
    # logit matching: A and B averaged: lr 0.1 -> (1.0 + 2.0)/2 = 1.5, lr 0.3 -> (1.2 + 1.6)/2 = 1.4
    for suffix, (a, b) in (("01", (0.990, 0.980)), ("03", (0.988, 0.984)), ("1", (0.97, 0.97))):
        run_a, run_b = runs("logit matching", suffix)
        plant(tmp_path, run_a, a)
        plant(tmp_path, run_b, b)
    lines = choose_lr.table(tmp_path)
    chosen = [line for line in lines[2:] if line.endswith("chosen |")]
    assert chosen == [
        "| cross-entropy alone | **0.3** | | | chosen |",
        "| logit matching | **0.3** | | | chosen |",
    ]


def test_ties_go_to_the_smaller_lr_and_a_diverged_run_is_the_worst():
    assert choose_lr.choose({"0.1": 1.5, "0.3": 1.5, "1.0": 1.4}) == "1.0"
    assert choose_lr.choose({"0.1": 1.5, "0.3": 1.5, "1.0": 1.6}) == "0.1"
    assert choose_lr.choose({"0.1": 9.0, "0.3": math.nan, "1.0": math.nan}) == "0.1"


def test_a_diverged_student_makes_its_lr_the_worst(tmp_path):
    for suffix, acc in (("01", 0.984), ("03", 0.986)):
        plant(tmp_path, runs("cross-entropy alone", suffix)[0], acc)
    diverge(tmp_path, "train", runs("cross-entropy alone", "1")[0])
    errors = {
        lr: choose_lr.validation_error(tmp_path, runs("cross-entropy alone", s)[0])
        for lr, s in choose_lr.GRID.items()
    }
    assert math.isnan(errors["1.0"]) and choose_lr.choose(errors) == "0.3"


def test_an_unfinished_run_stops_the_choice(tmp_path):
    plant(tmp_path, runs("cross-entropy alone", "01")[0], 0.984)
    with pytest.raises(choose_lr.NotFinished, match="grid_student_lr03"):
        choose_lr.table(tmp_path)
