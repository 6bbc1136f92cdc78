"""Throughput of the fast path, side by side in one run: training steps and inference of every
model the workflow trains (ResNet-56, AlexNet-TF, MLP 1200-1200, Transformer) in fp32 eager,
bf16, channels_last and torch.compile, against a torchvision DataLoader loop.

Every variant runs the workflow's own code: batches from :class:`ImageBatches` /
:class:`TokenBatches` (device-resident data, batched augmentation), the label-smoothing
objective, and the fast path of :mod:`lsrepro.training.precision` (bf16 autocast with fp32
logits and loss, channels_last, torch.compile with its eager fallback). Variants:

- ``fp32 eager``: what the paper-scale CPU config runs;
- ``fp32 + channels_last`` (conv models): the layout a GPU gets in fp32;
- ``bf16``, ``bf16 + channels_last`` (conv models; the workflow's ``precision: bf16``);
- ``compile fp32``, ``compile bf16``: ``compile: true``, channels_last as the workflow would
  choose it; the first steps (the compilation) are timed apart as ``warm-up s``;
- ``DataLoader fp32 eager`` (image models): the same model and step fed by ``torchvision``
  transforms in a ``Dataset`` and a ``DataLoader`` (``--workers`` processes), the usual loop.

Training: images/s (target tokens/s for the Transformer), each row's ratio to fp32 eager and to
the DataLoader loop, and the input pipelines alone (no model). Inference: evaluation's forward
pass (un-augmented images/s, batches of 500, as ``evaluate``) in fp32, bf16 (channels_last as
the workflow) and compiled, and beam decoding (beam 4, sentences/s, as ``decode_beam``) in fp32
and bf16. The Transformer is untrained here, so beam search runs every sentence to its length
limit (source length + ``--max-len-b``): a worst case, the same for both precisions.

Usage (repository root; the lead records results on an idle machine only):

    python benchmarks/bench_training_throughput.py                 # every model, every variant
    python benchmarks/bench_training_throughput.py --models resnet56 alexnet_tf --steps 20
    python benchmarks/bench_training_throughput.py --quick  # a check: tiny models, no compile

Images come from ``--mirror`` (default ../shared/data) when it holds CIFAR-10 / MNIST, sentence
lengths from its Multi30k training file; otherwise random data of the same shapes (throughput
does not depend on pixel values or token ids).
"""

from __future__ import annotations

import argparse
import gzip
import platform
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "scripts"))

from lsrepro.data import augment  # noqa: E402
from lsrepro.models import build_model  # noqa: E402
from lsrepro.training import precision  # noqa: E402
from lsrepro.training.batches import ImageBatches  # noqa: E402
from lsrepro.training.objectives import LabelSmoothing  # noqa: E402
from lsrepro.translation.batching import TokenBatches  # noqa: E402
from lsrepro.translation.beam import translate  # noqa: E402

SPECIALS = {"pad_id": 0, "bos_id": 2, "eos_id": 3}  # lsrepro.translation.vocab's fixed ids
VOCAB = 8000  # config.yaml translation.vocab.size


@dataclass(frozen=True)
class Case:
    """One model as the workflow's recipe trains it (config.yaml), and its --quick stand-in."""

    name: str
    spec: dict[str, Any]
    quick_spec: dict[str, Any]
    batch: int  # images, or max_tokens for the Transformer
    dataset: str = ""  # cifar10 | mnist | multi30k
    input: augment.InputSpec | None = None
    optimizer: str = "sgd"
    unit: str = "images/s"


CASES = {
    c.name: c
    for c in (
        Case(
            "resnet56",
            {"name": "resnet", "depth": 56},
            {"name": "resnet", "depth": 8},
            128,
            "cifar10",
            augment.InputSpec(crop=32, pad=4, flip=True),
        ),
        Case(
            "alexnet_tf",
            {"name": "alexnet_tf"},
            {"name": "alexnet_tf"},
            128,
            "cifar10",
            augment.InputSpec(crop=24, flip=True),
        ),
        Case(
            "mlp1200",
            {"name": "mlp", "hidden": [1200, 1200], "dropout": 0.5, "init_variance": 0.0009},
            {"name": "mlp", "hidden": [64, 64], "dropout": 0.5},
            100,
            "mnist",
            augment.InputSpec(crop=28, pad=2, normalize="unit"),
        ),
        Case(
            "transformer",
            {"name": "transformer", "layers": 4, "d_model": 256, "heads": 4, "ffn": 1024,
             "dropout": 0.3},
            {"name": "transformer", "layers": 1, "d_model": 32, "heads": 2, "ffn": 64,
             "dropout": 0.1},
            4096,
            "multi30k",
            optimizer="adam",
            unit="target tokens/s",
        ),
    )
}


@dataclass(frozen=True)
class Variant:
    name: str
    precision: str = "fp32"
    channels_last: bool = False
    compile: bool = False
    dataloader: bool = False


def training_variants(conv: bool, device: torch.device, with_compile: bool) -> list[Variant]:
    out = [Variant("fp32 eager")]
    if conv:
        out.append(Variant("fp32 + channels_last", channels_last=True))
    out.append(Variant("bf16", "bf16"))
    if conv:
        out.append(Variant("bf16 + channels_last", "bf16", channels_last=True))
    if with_compile:
        for p in precision.PRECISIONS:
            cl = conv and (device.type == "cuda" or p == "bf16")  # the workflow's choice
            out.append(Variant(f"compile {p}" + (" + channels_last" if cl else ""), p, cl, True))
    return out


@dataclass
class Row:
    what: str
    rate: float  # items per second after the warm-up
    warmup_s: float
    extra: dict[str, Any] = field(default_factory=dict)


# --- data ----------------------------------------------------------------------------------------


def load_images(case: Case, mirror: Path, n: int) -> tuple[np.ndarray, np.ndarray, str]:
    """uint8 (N, H, W, C) images and int64 labels of the case's dataset, or random stand-ins."""
    rng = np.random.default_rng(0)
    if case.dataset == "cifar10":
        npz = mirror / "cifar10" / "cifar10.npz"
        if npz.is_file():
            with np.load(npz) as z:
                return z["x_train"][:n], z["y_train"][:n].astype(np.int64), f"CIFAR-10 ({npz})"
        shape = (n, 32, 32, 3)
    else:
        raw = mirror / "MNIST" / "raw" / "train-images-idx3-ubyte.gz"
        labels = raw.with_name("train-labels-idx1-ubyte.gz")
        if raw.is_file() and labels.is_file():  # idx files: 16- and 8-byte headers
            x = np.frombuffer(gzip.decompress(raw.read_bytes()), np.uint8, offset=16)
            y = np.frombuffer(gzip.decompress(labels.read_bytes()), np.uint8, offset=8)
            x = x.reshape(-1, 28, 28, 1)[:n].copy()  # frombuffer is read-only
            return x, y[:n].astype(np.int64), f"MNIST ({raw})"
        shape = (n, 28, 28, 1)
    x = rng.integers(0, 256, shape, dtype=np.uint8)
    return x, rng.integers(0, 10, n).astype(np.int64), "random uint8 images"


def load_pairs(mirror: Path, n: int) -> tuple[list[list[int]], list[list[int]], str]:
    """Random token ids with Multi30k's sentence lengths (~1.3 pieces per word of an 8k BPE)."""
    rng = np.random.default_rng(0)
    files = [mirror / "multi30k" / f"train.{lang}.gz" for lang in ("en", "de")]
    if all(f.is_file() for f in files):
        lengths = []
        for f in files:
            with gzip.open(f, "rt", encoding="utf-8") as lines:
                lengths.append([max(1, round(1.3 * len(s.split()))) for s in lines][:n])
        source = f"Multi30k sentence lengths ({files[0].parent})"
    else:
        lengths = [list(rng.integers(8, 30, n)) for _ in files]
        source = "random lengths 8-29"
    src, tgt = ([list(rng.integers(4, VOCAB, k)) for k in ls] for ls in lengths)
    return src, tgt, source


class TorchvisionImages(torch.utils.data.Dataset):
    """The usual per-image pipeline: PIL crop/flip, ToTensor, then the recipe's normalisation."""

    def __init__(self, x: np.ndarray, y: np.ndarray, spec: augment.InputSpec) -> None:
        from torchvision import transforms

        steps = [transforms.ToPILImage(), transforms.RandomCrop(spec.crop, padding=spec.pad)]
        if spec.flip:
            steps.append(transforms.RandomHorizontalFlip())
        steps.append(transforms.ToTensor())  # [0, 1]: the "unit" normalisation
        if spec.normalize == "per_image":
            steps.append(transforms.Lambda(standardise))
        self.x, self.y, self.transform = x, y, transforms.Compose(steps)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.transform(self.x[i]), int(self.y[i])


def standardise(img: torch.Tensor) -> torch.Tensor:
    return (img - img.mean()) / img.std(unbiased=False).clamp_min(img.numel() ** -0.5)


def dataloader_batches(x, y, spec, batch, device, workers) -> Iterator[tuple[torch.Tensor, ...]]:
    loader = torch.utils.data.DataLoader(
        TorchvisionImages(x, y, spec),
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


# --- timing --------------------------------------------------------------------------------------


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(step: Callable[[], int], steps: int, warmup: int, device: torch.device) -> Row:
    """``step()`` returns the items it processed; rate over ``steps`` calls after ``warmup``."""
    t0 = time.perf_counter()
    for _ in range(warmup):
        step()
    sync(device)
    t1 = time.perf_counter()
    seen = sum(step() for _ in range(steps))
    sync(device)
    return Row("", seen / (time.perf_counter() - t1), t1 - t0)


# --- training ------------------------------------------------------------------------------------


def build(case: Case, spec: dict[str, Any], device: torch.device) -> torch.nn.Module:
    torch.manual_seed(0)
    if case.name == "transformer":
        model = build_model(spec, vocab_size=VOCAB, pad_id=SPECIALS["pad_id"])
    else:
        channels = 1 if case.dataset == "mnist" else 3
        model = build_model(spec, num_classes=10, in_channels=channels)
    return model.to(device)


def optimizer_for(case: Case, model: torch.nn.Module) -> torch.optim.Optimizer:
    if case.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=5e-4, betas=(0.9, 0.98), eps=1e-9)
    return torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)


def train_step_fn(model, variant: Variant, device, optimizer) -> Callable:
    """The training loop's step (lsrepro.training.loop) for one variant: (inputs, labels) -> n."""
    if variant.channels_last:
        model.to(memory_format=torch.channels_last)
    forward = precision.compiled(model, variant.compile)
    autocast = precision.autocast(variant.precision, device)
    objective = LabelSmoothing(0.1)
    model.train()

    def step(batch) -> int:
        with autocast:
            logits = forward(*batch.inputs)
        loss = objective(precision.fp32_logits(logits), batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return batch.size

    step.forward = forward  # type: ignore[attr-defined]
    return step


@dataclass
class _Plain:
    """A DataLoader batch in the shape of lsrepro's Batch (what the step reads)."""

    inputs: tuple[torch.Tensor, ...]
    labels: torch.Tensor
    size: int


def bench_training(case: Case, spec, data, args, device) -> tuple[list[Row], list[Row]]:
    """Rows of the training table and of the input-pipeline table."""
    conv = precision.is_convolutional(build(case, spec, torch.device("cpu")))
    variants = training_variants(conv, device, args.compile)
    if case.name != "transformer":
        variants.append(Variant("DataLoader fp32 eager", dataloader=True))
    rows, pipeline = [], []
    batch = case.batch if not args.quick else case.batch // 8
    if case.name == "transformer":
        src, tgt = data
        source = TokenBatches(src, tgt, batch, seed=0, device=device, **SPECIALS)
    else:
        x, y = data
        images = torch.from_numpy(np.ascontiguousarray(x)).to(device)
        labels = torch.from_numpy(y).to(device)
    for variant in variants:
        model = build(case, spec, device)
        step = train_step_fn(model, variant, device, optimizer_for(case, model))
        if variant.dataloader:
            it = dataloader_batches(x, y, case.input, batch, device, args.workers)

            def loader_step(it=it, step=step) -> int:
                xb, yb = next(it)
                return step(_Plain((xb,), yb, len(yb)))

            row = timed(loader_step, args.steps, args.warmup, device)
        else:
            if case.name != "transformer":
                source = ImageBatches(images, labels, case.input, batch, 0,
                                      channels_last=variant.channels_last)

            counter = iter(range(10**9))

            def source_step(source=source, step=step, counter=counter) -> int:
                return step(source.batch(next(counter)))

            row = timed(source_step, args.steps, args.warmup, device)
        row.what = variant.name
        row.extra["compile"] = step.forward.status
        rows.append(row)
        print(f"  {case.name} train {variant.name}: {row.rate:,.1f} {case.unit}", flush=True)
    if case.name != "transformer":  # the input pipelines alone (no model)
        source = ImageBatches(images, labels, case.input, batch, 0)
        counter = iter(range(10**9))
        ours = timed(lambda: source.batch(next(counter)).size, args.steps * 5, args.warmup, device)
        it = dataloader_batches(x, y, case.input, batch, device, args.workers)
        ref = timed(lambda: len(next(it)[1]), args.steps * 5, args.warmup, device)
        ours.what, ref.what = "ours (ImageBatches)", "torchvision DataLoader"
        pipeline = [ours, ref]
    return rows, pipeline


# --- inference -----------------------------------------------------------------------------------


def inference_variants(conv: bool, device: torch.device, with_compile: bool) -> list[Variant]:
    out = []
    for p in precision.PRECISIONS:
        cl = conv and (device.type == "cuda" or p == "bf16")  # as precision.inference does
        out.append(Variant(p + (" + channels_last" if cl else ""), p, cl))
    if with_compile:
        out += [replace(v, name=f"compile {v.name}", compile=True) for v in out]
    return out


def bench_evaluate(case: Case, spec, x: np.ndarray, args, device) -> list[Row]:
    """evaluate's forward pass: eval-mode logits of un-augmented images, batches of 500."""
    conv = precision.is_convolutional(build(case, spec, torch.device("cpu")))
    images = torch.from_numpy(np.ascontiguousarray(x[: args.eval_images])).to(device)
    batch = 500 if not args.quick else 100
    rows = []
    for variant in inference_variants(conv, device, args.compile):
        model = build(case, spec, device).eval()
        if variant.channels_last:
            model.to(memory_format=torch.channels_last)
        forward = precision.compiled(model, variant.compile)
        autocast = precision.autocast(variant.precision, device)

        @torch.no_grad()
        def one_pass(forward=forward, autocast=autocast) -> int:
            for start in range(0, len(images), batch):
                with autocast:
                    logits = forward(augment.eval_batch(images[start : start + batch], case.input))
                logits.float().cpu()
            return len(images)

        row = timed(one_pass, args.eval_passes, 1, device)
        row.what, row.extra["compile"] = variant.name, forward.status
        rows.append(row)
        print(f"  {case.name} evaluate {variant.name}: {row.rate:,.1f} images/s", flush=True)
    return rows


def bench_beam(case: Case, spec, src: list[list[int]], args, device) -> list[Row]:
    """decode_beam: beam 4, GNMT length penalty 0.6, batches of 128 sentences."""
    sentences = src[: args.beam_sentences]
    rows = []
    for variant in inference_variants(False, device, False):
        model = build(case, spec, device).eval()
        autocast = precision.autocast(variant.precision, device)

        def decode(model=model, autocast=autocast) -> int:
            with autocast:
                translate(model, sentences, beam_size=4, alpha=0.6, max_len_b=args.max_len_b,
                          max_sentences=128, device=device, **SPECIALS)
            return len(sentences)

        row = timed(decode, 1, 0, device)
        row.what = variant.name
        rows.append(row)
        print(f"  transformer beam {variant.name}: {row.rate:,.2f} sentences/s", flush=True)
    return rows


# --- report --------------------------------------------------------------------------------------


def table(title: str, unit: str, rows: list[Row], baselines: dict[str, float]) -> list[str]:
    head = f"| variant | {unit} | warm-up s |" + "".join(f" ÷ {b} |" for b in baselines)
    lines = [f"### {title}", "", head, "|---|---:|---:|" + "---:|" * len(baselines)]
    for r in rows:
        status = r.extra.get("compile", "eager")
        note = "" if status in ("eager", "compiled") else f" ({status})"
        ratios = "".join(f" {r.rate / v:.2f} |" for v in baselines.values())
        lines.append(f"| {r.what}{note} | {r.rate:,.1f} | {r.warmup_s:.1f} |{ratios}")
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", choices=sorted(CASES), default=list(CASES))
    parser.add_argument("--steps", type=int, default=20, help="timed training steps per variant")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps (compile included)")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader worker processes")
    parser.add_argument("--images", type=int, default=40000, help="training images held")
    parser.add_argument("--eval-images", type=int, default=5000)
    parser.add_argument("--eval-passes", type=int, default=2)
    parser.add_argument("--beam-sentences", type=int, default=128)
    parser.add_argument("--max-len-b", type=int, default=50)
    parser.add_argument("--compile", action=argparse.BooleanOptionalAction, default=None,
                        help="the torch.compile variants (default: on, off with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="seconds: tiny stand-in models, few steps, no compile variants")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--mirror", type=Path, default=Path(__file__).parents[2] / "shared/data")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.warmup, args.images = 3, 1, 512
        args.eval_images, args.eval_passes, args.beam_sentences, args.max_len_b = 200, 1, 8, 5
    if args.compile is None:
        args.compile = not args.quick
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)

    if device.type == "cuda":
        hardware = torch.cuda.get_device_name(device)
    else:
        hardware = f"{platform.processor() or platform.machine()}, {args.threads} threads"
    out = [
        f"## Fast-path throughput: {device} ({hardware}), torch {torch.__version__}"
        + (" (--quick: tiny stand-in models, not the paper's)" if args.quick else ""),
        "",
        f"Training: {args.steps} timed steps after {args.warmup} warm-up steps; DataLoader "
        f"workers {args.workers}. Evaluate: {args.eval_images} images x {args.eval_passes} "
        f"passes after one warm-up pass. Beam: {args.beam_sentences} sentences, beam 4, "
        f"max_len_b {args.max_len_b} (untrained model: every sentence runs to its limit).",
        "",
    ]
    for name in args.models:
        case = CASES[name]
        spec = case.quick_spec if args.quick else case.spec
        print(f"# {name}: {spec}", flush=True)
        if name == "transformer":
            src, tgt, source = load_pairs(args.mirror, 30000 if not args.quick else 200)
            data = (src, tgt)
        else:
            x, y, source = load_images(case, args.mirror, args.images)
            data = (x, y)
        train_rows, pipeline = bench_training(case, spec, data, args, device)
        base = {"fp32 eager": train_rows[0].rate}
        loader = [r for r in train_rows if r.what.startswith("DataLoader")]
        if loader:
            base["DataLoader"] = loader[0].rate
        batch = case.batch if not args.quick else case.batch // 8
        out += [f"## {name}: {spec}, batch {batch}, data: {source}", ""]
        out += table("training step", case.unit, train_rows, base)
        if pipeline:
            out += table("input pipeline only (no model)", "images/s", pipeline,
                         {"DataLoader": pipeline[1].rate})
        if name == "transformer":
            beam = bench_beam(case, spec, src, args, device)
            out += table("beam decoding (decode_beam)", "sentences/s", beam,
                         {"fp32": beam[0].rate})
        else:
            evaluate = bench_evaluate(case, spec, data[0], args, device)
            out += table("evaluate forward pass", "images/s", evaluate,
                         {"fp32": evaluate[0].rate})
    print("\n".join(out))


if __name__ == "__main__":
    main()
