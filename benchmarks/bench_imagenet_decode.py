"""CPU decode throughput of the ImageNet input path: images/s per core, and with N workers.

Times exactly what a DataLoader worker does per training image
(``lsrepro.data.imagenet.ImageFiles``: read the bytes, decode the JPEG with Pillow, Inception
random-resized crop to 299 x 299 and flip) and per evaluation image (central 87.5 % crop,
resized), first in one process (= one core), then through ``torch.utils.data.DataLoader`` with
``--workers`` processes as training runs it (worker start-up included: use --n >= 512).
Divide the GPU's images/s (Inception-v4 training) by the per-core figure to size ``threads``.

Images: ``--manifest results/data/imagenet/prepared.npz`` (your prepared ImageNet copy: the real
size and quality mix) or, without it, synthetic JPEGs of ImageNet's typical size (500 x 375,
quality 90, ~110 kB of smooth noise) written to a temporary ImageFolder. Prints a table and
writes ``benchmarks/results/imagenet_decode.md``. Run from the repository root::

    python benchmarks/bench_imagenet_decode.py [--manifest PATH] [--n 512] [--workers 4]

Measure on an idle machine: timings of a loaded machine say nothing. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

from lsrepro.data import imagenet  # noqa: E402


def synthetic_copy(root: Path, n: int, seed: int = 0) -> imagenet.Manifest:
    """An ImageFolder of ``n`` synthetic 500 x 375 JPEGs (2 classes), scanned."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:375, 0:500]
    for i in range(n):
        for split in ("train", "val"):
            folder = root / split / f"n0000000{i % 2}"
            folder.mkdir(parents=True, exist_ok=True)
            phase = rng.uniform(0, 6.3, 3)
            smooth = [128 + 90 * np.sin(xx / (20 + 10 * c) + phase[c]) for c in range(3)]
            noisy = np.stack(smooth, -1) + rng.normal(0, 12, (375, 500, 3))
            buffer = io.BytesIO()
            Image.fromarray(noisy.clip(0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=90)
            (folder / f"{i}.JPEG").write_bytes(buffer.getvalue())
    return imagenet.scan(root)


def per_core(files: imagenet.ImageFiles, rows: np.ndarray, train: bool) -> float:
    """Images/s of one process doing the worker's work on ``rows`` (one warm-up image)."""
    files[(int(rows[0]), [0, 0] if train else None)]
    start = time.perf_counter()
    for i, row in enumerate(rows):
        files[(int(row), [1, i] if train else None)]
    return len(rows) / (time.perf_counter() - start)


def with_workers(files: imagenet.ImageFiles, rows: np.ndarray, workers: int) -> float:
    """Images/s through the training DataLoader (chunks of 128, uint8 tensors)."""
    keys = [(int(r), [2, i]) for i, r in enumerate(rows)]
    chunks = [keys[i : i + 128] for i in range(0, len(keys), 128)]
    start = time.perf_counter()
    count = sum(len(batch[0]) for batch in imagenet.loader(files, chunks, workers, pin=False))
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, help="prepared.npz of an ImageNet copy")
    parser.add_argument("--n", type=int, default=512, help="images timed")
    parser.add_argument("--size", type=int, default=299, help="crop side (Inception-v4: 299)")
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/imagenet_decode.md")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.manifest:
            manifest, source = imagenet.load_manifest(args.manifest), f"{args.manifest}"
        else:
            manifest = synthetic_copy(Path(tmp), args.n)
            source = "synthetic 500 x 375 JPEGs, quality 90"
        spec = imagenet.CropSpec(size=args.size, scale=(0.05, 1.0), ratio=(0.75, 1.33))
        files = imagenet.ImageFiles(manifest, "train", spec)
        rng = np.random.default_rng(0)
        rows = rng.choice(len(files), size=min(args.n, len(files)), replace=False)
        mean_kb = float(files.files.sizes[rows].mean()) / 1e3
        results = {
            "train crop, 1 process (per core)": per_core(files, rows, train=True),
            "eval crop, 1 process (per core)": per_core(files, rows, train=False),
            f"train crop, DataLoader {args.workers} workers": with_workers(
                files, rows, args.workers
            ),
        }
    lines = [
        "# ImageNet decode throughput (lsrepro.data.imagenet, Pillow)",
        "",
        f"{len(rows)} images of {source} (mean {mean_kb:.0f} kB), crop {args.size} px; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Pillow decode + bilinear resize.",
        "",
        "| path | images/s |",
        "|---|---|",
        *[f"| {name} | {rate:.0f} |" for name, rate in results.items()],
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)


if __name__ == "__main__":
    main()
