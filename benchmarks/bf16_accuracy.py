"""bf16's accuracy effect on the MNIST 1200-1200 teachers: fp32 and bf16 side by side.

The two arms come from two results directories trained from the same recipes, split and seeds
(presets/cpu_study.yaml in fp32; presets/mnist_bf16.yaml on top of it in bf16):

    python benchmarks/bf16_accuracy.py --fp32 /path/to/study/results --bf16 /path/to/bf16/results

Per teacher (A: dropout, hard targets; B: alpha = 0.1) and seed: test error and test ECE at T = 1
(15 bins) from each run's calibration metrics.csv, and the training wall time from its
``history.csv``, every resumed segment counted (``lsrepro.claims.reference.training_seconds``).
The decision rule was written before the bf16 runs (presets/mnist_bf16.yaml): bf16 is blocked
for a teacher when |mean(bf16) - mean(fp32)| exceeds 2 pooled within-arm seed standard
deviations, in test error or in test ECE.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pandas as pd

from lsrepro.claims.reference import training_seconds

TEACHERS = {  # name: (fp32 experiment, bf16 experiment, alpha)
    "A (dropout, hard targets)": ("mnist_fc_dropout", "mnist_fc_dropout_bf16", 0.0),
    "B (label smoothing 0.1)": ("mnist_fc_ls", "mnist_fc_ls_bf16", 0.1),
}
METRICS = {  # column: (metric of calibration metrics.csv, its value in percent)
    "test error (%)": ("accuracy", lambda a: 100 * (1 - a)),
    "test ECE (%)": ("ece", lambda e: 100 * e),
}


def run_values(root: Path, experiment: str, alpha: float, seed: int) -> dict[str, float] | None:
    """Test error, test ECE (T = 1) and training wall time of one run; None if not trained yet."""
    run = f"{experiment}/alpha~{alpha}/seed~{seed}"
    path = root / "calibration" / run / "metrics.csv"
    if not path.exists():
        return None
    table = pd.read_csv(path)
    rows = table[(table["split"] == "test") & (table["scaling"] == "none")].set_index("metric")
    out = {name: fn(float(rows.loc[metric, "estimate"])) for name, (metric, fn) in METRICS.items()}
    history = root / "train" / run / "history.csv"
    wall = training_seconds(pd.read_csv(history)) / 60 if history.exists() else math.nan
    out["train wall (min)"] = wall
    return out


def pooled_sd(a: list[float], b: list[float]) -> float:
    def ss(x: list[float]) -> float:
        m = sum(x) / len(x)
        return sum((v - m) ** 2 for v in x)

    dof = len(a) + len(b) - 2
    return math.sqrt((ss(a) + ss(b)) / dof) if dof > 0 else math.nan


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fp32", type=Path, required=True, help="fp32 (CPU study) results/")
    parser.add_argument("--bf16", type=Path, required=True, help="presets/mnist_bf16.yaml results/")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args()

    print("| teacher | seed | precision | " + " | ".join([*METRICS, "train wall (min)"]) + " |")
    print("|---|---:|---|" + "---:|" * (len(METRICS) + 1))
    decisions = []
    for teacher, (exp32, exp16, alpha) in TEACHERS.items():
        arms: dict[str, list[dict[str, float]]] = {"fp32": [], "bf16": []}
        for seed in args.seeds:
            for precision, root, exp in (("fp32", args.fp32, exp32), ("bf16", args.bf16, exp16)):
                values = run_values(root, exp, alpha, seed)
                if values is None:
                    print(f"| {teacher} | {seed} | {precision} | not trained yet |")
                    continue
                arms[precision].append(values)
                cells = " | ".join(f"{values[k]:.3f}" for k in [*METRICS, "train wall (min)"])
                print(f"| {teacher} | {seed} | {precision} | {cells} |")
        for name in METRICS:
            a = [v[name] for v in arms["fp32"]]
            b = [v[name] for v in arms["bf16"]]
            if len(a) < 2 or len(b) < 2:
                decisions.append(f"- {teacher}, {name}: fewer than 2 seeds per arm, no decision")
                continue
            diff = sum(b) / len(b) - sum(a) / len(a)
            sd = pooled_sd(a, b)
            blocked = abs(diff) > 2 * sd
            decisions.append(
                f"- {teacher}, {name}: bf16 - fp32 = {diff:+.3f} points, pooled seed sd {sd:.3f} "
                f"({diff / sd:+.2f} sd) -> {'BLOCKS bf16' if blocked else 'within seed noise'}"
            )
    print(
        "\ntrain wall: the training's wall time over all its resumed segments, as it ran beside "
        "other jobs (one thread each, nice 19): a record, not a speed measurement "
        "(bench_training_throughput.py measures speed)."
    )
    print("\nDecision (|difference| > 2 pooled seed sd blocks bf16):\n")
    print("\n".join(decisions))


if __name__ == "__main__":
    main()
