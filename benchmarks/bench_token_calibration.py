"""Token-level calibration in bounded memory: 200k positions x 32k vocabulary, streamed.

The logits of a translation model's evaluation (paper §5: Transformer on WMT'14 EN-DE, a 32k
shared vocabulary) are far too large to hold (200,000 x 32,000 float32 = 25.6 GB). This script
generates them block by block (``--chunk`` rows at a time: the full matrix never exists),
reduces each block to the top-label vectors with
:func:`lsrepro.calibration.predictions_from_logits`, and computes the calibration report
(every vector metric with ``--resamples`` bootstrap resamples) from the vectors. It records the
wall time of each phase and the peak resident set size (``resource.getrusage``) in
``benchmarks/results/token_calibration.md``.

Synthetic logits: each row is a row of a fixed pool of standard-normal float32 rows (so that
generating a block costs a gather, not 8 M normal draws), scaled by a per-row factor in
[0.5, 2.5], with the label's logit raised by a per-row boost in [0, 12]: confidences from near
uniform to near one.

Run from the repository root::

    python benchmarks/bench_token_calibration.py [--rows 200000] [--vocab 32000] [--chunk 256]
        [--resamples 1000] [--smece-resamples 0]

Not part of the test suite; the equality of the streamed vectors with the dense softmax is
checked by tests/test_calibration.py.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

from lsrepro import calibration as cal  # noqa: E402

N_BINS = 15
POOL_ROWS = 256


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def blocks(rows: int, vocab: int, chunk: int, seed: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``(logits (r, V) float32, labels (r,))`` blocks of the synthetic token evaluation."""
    rng = np.random.default_rng(seed)
    pool = rng.standard_normal((POOL_ROWS, vocab), dtype=np.float32)  # (P, V)
    for r0 in range(0, rows, chunk):
        r = min(chunk, rows - r0)
        z = pool[rng.integers(0, POOL_ROWS, r)]  # (r, V), a fresh array
        z *= rng.uniform(0.5, 2.5, (r, 1)).astype(np.float32)
        labels = rng.integers(0, vocab, r)
        z[np.arange(r), labels] += rng.uniform(0.0, 12.0, r).astype(np.float32)
        yield z, labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="token positions")
    parser.add_argument("--vocab", type=int, default=32_000, help="vocabulary size")
    parser.add_argument("--chunk", type=int, default=256, help="rows generated at once")
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--smece-resamples", type=int, default=0, help="smECE resamples")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks/results/token_calibration.md"
    )
    args = parser.parse_args()

    rss_start = peak_rss_mib()
    gen_s = reduce_s = 0.0
    parts = []
    start = time.perf_counter()
    it = blocks(args.rows, args.vocab, args.chunk, args.seed)
    while True:
        t0 = time.perf_counter()
        block = next(it, None)
        t1 = time.perf_counter()
        gen_s += t1 - t0
        if block is None:
            break
        parts.append(cal.predictions_from_logits(*block))
        reduce_s += time.perf_counter() - t1
        del block
    pred = cal.concat_predictions(parts)
    stream_s = time.perf_counter() - start
    rss_stream = peak_rss_mib()

    t0 = time.perf_counter()
    report = cal.calibration_report_from_predictions(
        pred,
        n_bins=N_BINS,
        n_resamples=args.resamples,
        seed=args.seed,
        smece_resamples=args.smece_resamples,
    )
    report_s = time.perf_counter() - t0
    rss_end = peak_rss_mib()

    dense_gb = args.rows * args.vocab * 4 / 1e9
    command = "python benchmarks/bench_token_calibration.py " + " ".join(sys.argv[1:])
    header = (
        f"Input: {args.rows} x {args.vocab} synthetic float32 logits generated {args.chunk} rows "
        f"at a time (the dense matrix would be {dense_gb:.1f} GB as float32), {N_BINS} bins, "
        f"{args.resamples} bootstrap resamples, seed {args.seed}. Machine: "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, numpy {np.__version__}; OMP_NUM_THREADS="
        f"{os.environ.get('OMP_NUM_THREADS', 'unset')}. Load average (1 min) at the end: "
        f"{os.getloadavg()[0]:.2f} (the machine is shared; times are wall clock)."
    )
    rows = [
        ("generate blocks (synthetic logits)", gen_s),
        ("reduce blocks to top-label vectors (predictions_from_logits)", reduce_s),
        ("stream total (generate + reduce + concatenate)", stream_s),
        (f"report from vectors, {args.resamples} resamples", report_s),
    ]
    rss = [
        ("after imports", rss_start),
        ("after streaming", rss_stream),
        ("after the report (peak of the run)", rss_end),
    ]
    table = report[["metric", "estimate", "lower", "upper"]]
    print(header)
    for what, secs in rows:
        print(f"{what:<64} {secs:9.2f} s")
    for what, mib in rss:
        print(f"peak RSS {what:<40} {mib:9.1f} MiB")
    print(table.to_string(index=False))

    lines = [
        "# Token-level calibration benchmark (bounded memory)",
        "",
        f"Command (repository root): `OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '')} "
        f"{command.strip()}`",
        "",
        header,
        "",
        "| phase | wall seconds |",
        "|---|---:|",
        *[f"| {w} | {s:.2f} |" for w, s in rows],
        "",
        "| peak resident set size (`resource.getrusage`, ru_maxrss) | MiB |",
        "|---|---:|",
        *[f"| {w} | {m:.1f} |" for w, m in rss],
        "",
        "Metrics of the synthetic evaluation (95 % percentile intervals):",
        "",
        "| metric | estimate | lower | upper |",
        "|---|---:|---:|---:|",
        *[
            f"| {m} | {e:.5f} | {lo:.5f} | {hi:.5f} |"
            for m, e, lo, hi in table.itertuples(index=False)
        ],
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
