"""Where a training step of the MNIST 1200-1200 teacher spends its time, fp32 vs bf16 (CPU).

The workflow's step as bench_training_throughput.py builds it (ImageBatches with the +-2 px
shifts, dropout 0.5, label-smoothing loss in fp32, SGD), 100 steps under torch.profiler after 20
untimed ones, one thread; prints each precision's top operators by self CPU time. Proportions
are what to read here; rates come from bench_training_throughput.py on an idle machine.

    python benchmarks/profile_mlp_step.py [--mirror ../shared/data] [--steps 100]
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_training_throughput as bench  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=Path(__file__).parents[2] / "shared/data")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--rows", type=int, default=12)
    args = parser.parse_args()
    torch.set_num_threads(1)
    case = bench.CASES["mlp1200"]
    x, y, source_name = bench.load_images(case, args.mirror, 20000)
    device = torch.device("cpu")
    print(f"# {case.name} {case.spec}, batch {case.batch}, 1 thread, data: {source_name}")
    for name in ("fp32", "bf16"):
        model = bench.build(case, case.spec, device)
        step = bench.train_step_fn(
            model, bench.Variant(name, name), device, bench.optimizer_for(case, model)
        )
        batches = bench.ImageBatches(
            torch.from_numpy(x), torch.from_numpy(y), case.input, case.batch, 0
        )
        counter = itertools.count()
        for _ in range(20):
            step(batches.batch(next(counter)))
        with profile(activities=[ProfilerActivity.CPU]) as trace:
            for _ in range(args.steps):
                step(batches.batch(next(counter)))
        print(f"\n## {name}\n")
        print(trace.key_averages().table(sort_by="self_cpu_time_total", row_limit=args.rows))


if __name__ == "__main__":
    main()
