"""What the issue-18 extensions add to each stage's work, on a finished run's evaluation files.

Per evaluated model and split of ``--workdir`` (e.g. the quick preset's run), times

- ``calibration_metrics``' full report (lsrepro.calibration.calibration_report, every metric with
  bootstrap intervals) and, apart, the selective-classification part it now includes (AURC and
  risk at fixed coverage, lsrepro.calibration.selective.selective_report), both at the config's
  ``n_resamples`` (quick preset: 1,000);
- ``measure_geometry``' erasure measures (class separation R², NC1) beside the logit geometry.

Calibratability (C8c) reads numbers the stage already wrote, and the C12 T-grid adds distillation
jobs (counted by the DAG, not here). Run on an idle machine:

    python benchmarks/bench_extension_cost.py --workdir <finished run> [--n-resamples 1000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "scripts"))

from lsrepro.calibration import calibration_report  # noqa: E402
from lsrepro.calibration.core import predictions_from_logits  # noqa: E402
from lsrepro.calibration.selective import selective_report  # noqa: E402
from lsrepro.representation.geometry import logit_geometry  # noqa: E402
from lsrepro.representation.separation import erasure_measures  # noqa: E402


def seconds(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def time_model(logits, labels, features, conf, correct, args) -> dict[str, float]:
    """Seconds of the stage computations and of their extension parts, for one model."""
    return {
        "report": seconds(
            lambda: calibration_report(
                logits,
                labels,
                temperature=1.0,
                n_bins=15,
                n_resamples=args.n_resamples,
                seed=0,
                confidence=0.95,
                smece_resamples=args.smece_resamples,
            ),
            repeat=1,
        ),
        "selective": seconds(
            lambda: selective_report(
                conf, correct, n_resamples=args.n_resamples, seed=0, confidence_level=0.95
            )
        ),
        "geometry": seconds(lambda: logit_geometry(logits, labels, 0.1)),
        "erasure": seconds(lambda: erasure_measures(features, labels)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--n-resamples", type=int, default=1000)
    parser.add_argument("--smece-resamples", type=int, default=100)
    args = parser.parse_args()
    files = sorted((args.workdir / "results" / "evaluate").glob("**/test.npz"))
    if not files:
        raise SystemExit(f"no evaluation files under {args.workdir}/results/evaluate")
    print(f"{len(files)} models, test split; bootstrap resamples {args.n_resamples}\n")
    print(
        "| model | examples | calibration report s | + selective s | share | "
        "logit geometry s | + erasure s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    total = {"report": 0.0, "selective": 0.0, "geometry": 0.0, "erasure": 0.0}
    for path in files:
        with np.load(path) as z:
            logits, labels, features = z["logits"], z["labels"], z["features"]
        pred = predictions_from_logits(logits, labels, 1.0)  # as calibration_metrics does
        conf, correct = pred.confidence, pred.correct
        row = time_model(logits, labels, features, conf, correct, args)
        for k, v in row.items():
            total[k] += v
        name = str(path.parent.relative_to(args.workdir / "results" / "evaluate"))
        share = row["selective"] / row["report"]
        print(
            f"| {name} | {len(labels)} | {row['report']:.2f} | {row['selective']:.2f} | "
            f"{share:.0%} | {row['geometry']:.3f} | {row['erasure']:.3f} |"
        )
    print(
        f"| **all** | | {total['report']:.1f} | {total['selective']:.1f} | "
        f"{total['selective'] / total['report']:.0%} | {total['geometry']:.2f} | "
        f"{total['erasure']:.2f} |"
    )


if __name__ == "__main__":
    main()
