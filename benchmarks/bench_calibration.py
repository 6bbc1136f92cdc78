"""Speed of the calibration stage: every metric with 1,000 bootstrap resamples on 10,000 x 100.

Compares, on one synthetic input (CIFAR-100 validation-split size), the point-estimate ECE of
``lsrepro.calibration`` with torchmetrics' and netcal's, and times the vectorised bootstrap of
all metrics. Prints a table and writes ``benchmarks/results/calibration.md``.

Run from the repository root::

    python benchmarks/bench_calibration.py [--n 10000] [--k 100] [--resamples 1000] [--repeats 5]

Not part of the test suite; the agreement of the values is checked by tests/test_calibration.py.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

from lsrepro import calibration as cal  # noqa: E402

N_BINS = 15  # the paper's (Guo et al.'s) bin count


def synthetic(n: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Over-confident float32 logits (N, K) (true temperature 2.5) and labels (N,)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 2.0, size=(n, k))
    p = cal.softmax(z)
    labels = (p.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    return (2.5 * z).astype(np.float32), labels.astype(np.int64)


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Median wall-clock seconds of ``repeats`` calls after one warm-up call, and the result."""
    result = fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="examples")
    parser.add_argument("--k", type=int, default=100, help="classes")
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats (median)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/calibration.md")
    args = parser.parse_args()

    import torch
    from netcal.metrics import ECE as NetcalECE
    from torchmetrics.functional.classification import multiclass_calibration_error

    logits, labels = synthetic(args.n, args.k, seed=0)
    probs = cal.softmax(logits)  # float64
    probs_t, labels_t = torch.from_numpy(probs), torch.from_numpy(labels)
    linear = [m for m in cal.ALL_METRICS if m != "smece"]
    boot = dict(temperature=1.0, n_bins=N_BINS, n_resamples=args.resamples, seed=0)

    rows: list[tuple[str, float, str]] = []  # (what, seconds, value)
    t, v = timed(lambda: cal.ece(probs, labels, n_bins=N_BINS), args.repeats)
    rows.append(("ECE point estimate, lsrepro (numpy float64)", t, f"{v:.6f}"))
    t, v = timed(
        lambda: float(
            multiclass_calibration_error(
                probs_t, labels_t, num_classes=args.k, n_bins=N_BINS, norm="l1"
            )
        ),
        args.repeats,
    )
    rows.append(("ECE point estimate, torchmetrics (float32 bins)", t, f"{v:.6f}"))
    t, v = timed(lambda: float(NetcalECE(bins=N_BINS).measure(probs, labels)), args.repeats)
    rows.append(("ECE point estimate, netcal", t, f"{v:.6f}"))
    t, v = timed(lambda: cal.smooth_ece(probs, labels), args.repeats)
    rows.append(("smECE point estimate, relplot", t, f"{v:.6f}"))

    t, table = timed(
        lambda: cal.bootstrap_metrics(logits, labels, metrics=linear, **boot), args.repeats
    )
    ece_row = table.set_index("metric").loc["ece"]
    ci = f"{ece_row['estimate']:.4f} [{ece_row['lower']:.4f}, {ece_row['upper']:.4f}]"
    rows.append((f"all metrics but smECE, {args.resamples} resamples", t, f"ECE {ci}"))
    for name in linear:
        t, _ = timed(lambda n=name: cal.bootstrap_metrics(logits, labels, metrics=[n], **boot), 1)
        rows.append((f"  {name} alone, {args.resamples} resamples", t, ""))
    start = time.perf_counter()
    sm = cal.bootstrap_metrics(logits, labels, metrics=["smece"], **boot).iloc[0]
    t = time.perf_counter() - start
    sm_ci = f"{sm['estimate']:.4f} [{sm['lower']:.4f}, {sm['upper']:.4f}]"
    rows.append((f"smECE, {args.resamples} resamples (loop over relplot, 1 run)", t, sm_ci))

    command = "python benchmarks/bench_calibration.py " + " ".join(sys.argv[1:])
    header = (
        f"Input: {args.n} x {args.k} float32 logits, {N_BINS} bins, seed 0. "
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__}. "
        f"Times: median of {args.repeats} runs after a warm-up unless marked; 'alone' rows include "
        "the shared cost (softmax, index draw, multiplicities). Load average (1 min) at the end: "
        f"{os.getloadavg()[0]:.2f}."
    )
    width = max(len(r[0]) for r in rows)
    print(header)
    print(f"{'what':<{width}}  {'seconds':>8}  value")
    for what, secs, value in rows:
        print(f"{what:<{width}}  {secs:8.4f}  {value}")

    lines = [
        "# Calibration metrics benchmark",
        "",
        f"Command (repository root): `{command.strip()}`",
        "",
        header,
        "",
        "| what | seconds | value |",
        "|---|---:|---|",
        *[f"| {w.strip()} | {s:.4f} | {v} |" for w, s, v in rows],
        "",
        "Value columns: point estimate, and for bootstrap rows the 95 % percentile interval.",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
