"""Training-step throughput: our device-resident batched pipeline vs a torchvision DataLoader loop.

Both sides train the same model with the same batch size, optimizer and loss; they differ only
in how a batch is made:

- ours: the whole train split as one uint8 tensor on the device, batch indices from
  :func:`lsrepro.training.batches.batch_indices`, augmentation by
  :func:`lsrepro.data.augment.train_batch`
  (pad-4 random crop + flip + per-image standardisation) as batched tensor operations;
- reference: ``torchvision`` ``RandomCrop(32, padding=4)``, ``RandomHorizontalFlip``,
  ``ToTensor`` and the same standardisation per image in a ``Dataset``, batched by a
  ``DataLoader`` (shuffle, ``--workers`` worker processes, pinned memory on CUDA).

It also times the input pipelines alone (no model), where the difference is not hidden behind
the model's compute. Usage (repository root):

    python benchmarks/bench_training_throughput.py --model resnet56 --steps 30
    python benchmarks/bench_training_throughput.py --model alexnet_tf --steps 50

Images come from ``--mirror`` (default ../shared/data) when it holds CIFAR-10, else random
uint8 images of the same shape (throughput does not depend on pixel values).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "scripts"))

from lsrepro.data import augment  # noqa: E402
from lsrepro.models import build_model  # noqa: E402
from lsrepro.training.batches import batch_indices, step_seed  # noqa: E402
from lsrepro.training.objectives import smoothed_cross_entropy  # noqa: E402

MODELS = {
    "resnet56": ({"name": "resnet", "depth": 56}, augment.InputSpec(crop=32, pad=4, flip=True)),
    "alexnet_tf": ({"name": "alexnet_tf"}, augment.InputSpec(crop=24, pad=0, flip=True)),
}


def load_images(mirror: Path, n: int) -> tuple[np.ndarray, np.ndarray, str]:
    npz = mirror / "cifar10" / "cifar10.npz"
    if npz.is_file():
        with np.load(npz) as z:
            return z["x_train"][:n], z["y_train"][:n].astype(np.int64), f"CIFAR-10 ({npz})"
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
    return x, rng.integers(0, 10, n), "random uint8 images"


class TorchvisionCifar(torch.utils.data.Dataset):
    def __init__(self, x: np.ndarray, y: np.ndarray, spec: augment.InputSpec) -> None:
        from torchvision import transforms

        self.x, self.y = x, y
        self.transform = transforms.Compose(
            [
                transforms.ToPILImage(),
                transforms.RandomCrop(spec.crop, padding=spec.pad),
                transforms.RandomHorizontalFlip(),
                transforms.ToTensor(),
                transforms.Lambda(standardise),
            ]
        )

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.transform(self.x[i]), int(self.y[i])


def standardise(img: torch.Tensor) -> torch.Tensor:
    return (img - img.mean()) / img.std(unbiased=False).clamp_min(img.numel() ** -0.5)


def ours_batches(x, y, spec, batch, device):
    images = torch.from_numpy(x).to(device)
    labels = torch.from_numpy(y).to(device)
    step = 0
    while True:
        idx = torch.from_numpy(batch_indices(len(x), batch, step, seed=0)).to(device)
        gen = torch.Generator().manual_seed(step_seed(0, step, 2))
        yield augment.train_batch(images[idx], spec, gen)[0], labels[idx]
        step += 1


def torchvision_batches(x, y, spec, batch, device, workers):
    loader = torch.utils.data.DataLoader(
        TorchvisionCifar(x, y, spec),
        batch_size=batch,
        shuffle=True,
        num_workers=workers,
        pin_memory=device.type == "cuda",
        drop_last=True,
        persistent_workers=workers > 0,
    )
    while True:
        for xb, yb in loader:
            yield xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)


def timed(batches, steps: int, warmup: int, step_fn, device) -> float:
    """Images per second over ``steps`` steps after ``warmup`` steps."""
    it = iter(batches)
    for _ in range(warmup):
        step_fn(*next(it))
    sync(device)
    t0 = time.perf_counter()
    seen = 0
    for _ in range(steps):
        xb, yb = next(it)
        step_fn(xb, yb)
        seen += len(yb)
    sync(device)
    return seen / (time.perf_counter() - t0)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=sorted(MODELS), default="resnet56")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--images", type=int, default=40000)
    parser.add_argument("--mirror", type=Path, default=Path(__file__).parents[2] / "shared/data")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()

    device = torch.device(args.device)
    x, y, source = load_images(args.mirror, args.images)
    spec_model, spec = MODELS[args.model]
    torch.manual_seed(0)
    model = build_model(spec_model, 10, 3).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)

    def train_step(xb: torch.Tensor, yb: torch.Tensor) -> None:
        loss = 3.0 * smoothed_cross_entropy(model(xb), yb, 0.1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def input_only(xb: torch.Tensor, yb: torch.Tensor) -> None:
        del xb, yb

    rows = []
    for what, fn, steps in (
        ("input pipeline only", input_only, args.steps * 5),
        ("training step", train_step, args.steps),
    ):
        ours = timed(ours_batches(x, y, spec, args.batch, device), steps, args.warmup, fn, device)
        ref = timed(
            torchvision_batches(x, y, spec, args.batch, device, args.workers),
            steps,
            args.warmup,
            fn,
            device,
        )
        rows.append((what, ours, ref))

    if device.type == "cuda":
        hardware = torch.cuda.get_device_name(device)
    else:
        hardware = f"{platform.machine()}, {torch.get_num_threads()} threads"
    print(
        f"# {args.model}, batch {args.batch}, {device} ({hardware}), torch {torch.__version__}, "
        f"DataLoader workers {args.workers}, data: {source}"
    )
    print("| what | ours (images/s) | torchvision DataLoader (images/s) | ratio |")
    print("|---|---:|---:|---:|")
    for what, ours, ref in rows:
        print(f"| {what} | {ours:,.0f} | {ref:,.0f} | {ours / ref:.2f} |")


if __name__ == "__main__":
    main()
