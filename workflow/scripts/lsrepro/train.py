"""Label-smoothed training with resumable, bit-exact checkpoints.

Every random choice of step ``s`` (batch composition, augmentation, dropout) is a pure function
of ``(seed, s)``, so a run resumed from the checkpoint of step ``s`` draws exactly what an
uninterrupted run draws; on the CPU with the same thread count the final weights are bitwise
identical (``tests/test_train.py``).

Artifacts (DESIGN.md §7), all written atomically into ``out_dir``:
``model.pt`` (weights + metadata), ``history.csv``, ``checkpoint.pt`` (while running; removed at
the end), ``snapshots/step~{s}.pt`` (weights at configured steps).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import logging
import math
import shutil
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lsrepro import augment
from lsrepro.io import atomic_torch_save, atomic_write, git_commit, library_versions
from lsrepro.models import Classifier, build_model
from lsrepro.smoothing import smoothed_cross_entropy

log = logging.getLogger(__name__)

HISTORY_FIELDS = ("step", "epoch", "loss", "accuracy", "lr", "images_per_s", "elapsed_s")


class DivergenceError(RuntimeError):
    """The training loss became NaN or infinite."""


class Preempted(RuntimeError):
    """SIGTERM/SIGUSR1 arrived; a checkpoint was saved and the job should be retried."""

    exit_code = 75  # EX_TEMPFAIL: "try again later"


@dataclass(frozen=True)
class Recipe:
    """One training recipe (config ``recipes.<name>``), in iterations. See config.yaml."""

    model: dict[str, Any]
    input: augment.InputSpec
    batch_size: int
    steps: int
    lr: float
    momentum: float
    nesterov: bool
    dampening: float
    lr_schedule: dict[str, Any]
    weight_decay: float
    weight_decay_scope: str
    loss_scale: float
    grad_clip: float | None
    last_layer_lr_scale: float = 1.0
    log_every: int = 100
    checkpoint_every: int = 1000
    snapshot_steps: tuple[int, ...] = ()
    version: int = 1

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> Recipe:
        cfg = dict(cfg)
        opt = cfg.pop("optimizer")
        wd = cfg.pop("weight_decay")
        return cls(
            model=dict(cfg.pop("model")),
            input=augment.InputSpec(**cfg.pop("input")),
            lr=float(opt["lr"]),
            momentum=float(opt.get("momentum", 0.0)),
            nesterov=bool(opt.get("nesterov", False)),
            dampening=float(opt.get("dampening", 0.0)),
            last_layer_lr_scale=float(opt.get("last_layer_lr_scale", 1.0)),
            weight_decay=float(wd["value"]),
            weight_decay_scope=str(wd["scope"]),
            snapshot_steps=tuple(sorted(set(cfg.pop("snapshot_steps", ())))),
            **cfg,
        )

    def lr_factor(self, step: int) -> float:
        """Multiplier of the base learning rate at ``step`` (0-based)."""
        sched = self.lr_schedule
        if sched["name"] == "piecewise":
            return float(sched["factor"]) ** sum(step >= m for m in sched["milestones"])
        if sched["name"] == "linear":  # linearly to 0 at the last step (MNIST toy, paper A.5)
            return 1.0 - step / self.steps
        if sched["name"] == "constant":
            return 1.0
        raise ValueError(f"unknown lr_schedule {sched['name']!r}")


@dataclass
class TrainResult:
    model: Classifier
    history: list[dict[str, float]] = field(default_factory=list)
    resumed_from: int = 0


def step_seed(seed: int, step: int, stream: int) -> int:
    """Independent 63-bit seed for (run seed, step, stream): SeedSequence mixes them."""
    return int(np.random.SeedSequence([seed, step, stream]).generate_state(2, np.uint64)[0] >> 1)


def batch_indices(n: int, batch_size: int, step: int, seed: int) -> np.ndarray:
    """Indices of step ``step``: consecutive slices of per-epoch permutations from (seed, epoch).

    Epoch boundaries fall inside a batch when ``n`` is not a multiple of ``batch_size``; the batch
    then takes the tail of one epoch's permutation and the head of the next.
    """
    start = step * batch_size
    out = np.empty(batch_size, dtype=np.int64)
    filled = 0
    while filled < batch_size:
        epoch, offset = divmod(start + filled, n)
        perm = np.random.default_rng(step_seed(seed, epoch, stream=0)).permutation(n)
        take = min(batch_size - filled, n - offset)
        out[filled : filled + take] = perm[offset : offset + take]
        filled += take
    return out


def recipe_fingerprint(**parts: Any) -> str:
    """sha256 of everything that determines the trained weights: a checkpoint's identity."""
    blob = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _param_groups(model: Classifier, recipe: Recipe) -> list[dict[str, Any]]:
    decay = {id(p) for p in model.decay_parameters(recipe.weight_decay_scope)}
    last = {id(p) for p in model.classifier.parameters()}
    groups: dict[tuple[bool, bool], list[torch.nn.Parameter]] = {}
    for p in model.parameters():
        groups.setdefault((id(p) in decay, id(p) in last), []).append(p)
    return [
        {
            "params": params,
            "weight_decay": recipe.weight_decay if is_decay else 0.0,
            "base_lr": recipe.lr * (recipe.last_layer_lr_scale if is_last else 1.0),
        }
        for (is_decay, is_last), params in sorted(groups.items())
    ]


class _SignalFlag:
    """Turns SIGTERM/SIGUSR1 into a flag the loop checks after each step (restored on exit)."""

    signals = (signal.SIGTERM, signal.SIGUSR1)

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _SignalFlag:
        for sig in self.signals:
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: leave signals alone
                pass
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        self.received = signum

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def train(
    *,
    recipe: Recipe,
    x_train: np.ndarray,
    y_train: np.ndarray,
    num_classes: int,
    alpha: float,
    seed: int,
    out_dir: Path,
    metadata: dict[str, Any],
    device: str | torch.device = "cpu",
    max_steps: int | None = None,
) -> TrainResult:
    """Train one model with label smoothing ``alpha`` and write its artifacts into ``out_dir``.

    x_train: uint8 (N, H, W, C) training images (the train split only); y_train: (N,) labels.
    ``metadata`` (dataset, split digest, ...) is stored in model.pt and enters the checkpoint
    fingerprint. ``max_steps`` stops early without writing model.pt (tests: a simulated crash).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    device = torch.device(device)
    fingerprint = recipe_fingerprint(
        recipe=dataclasses.asdict(recipe),
        alpha=alpha,
        seed=seed,
        num_classes=num_classes,
        n_train=len(x_train),
        metadata=metadata,
    )
    torch.manual_seed(step_seed(seed, 0, stream=1))  # weight initialisation
    model = build_model(recipe.model, num_classes, in_channels=x_train.shape[-1]).to(device)
    if device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    groups = _param_groups(model, recipe)
    optimizer = torch.optim.SGD(
        groups,
        lr=recipe.lr,
        momentum=recipe.momentum,
        nesterov=recipe.nesterov,
        dampening=recipe.dampening,
    )

    checkpoint_path = out_dir / "checkpoint.pt"
    partial_snapshots = out_dir / "partial_snapshots"  # not a declared output: survives failures
    history: list[dict[str, float]] = []
    window = _Window()
    start = _resume(checkpoint_path, fingerprint, model, optimizer, history, window)
    if start == 0 and 0 in recipe.snapshot_steps:
        atomic_torch_save(model.state_dict(), partial_snapshots / "step~0.pt")

    images = torch.from_numpy(np.ascontiguousarray(x_train)).to(device)  # resident on the device
    labels = torch.from_numpy(np.asarray(y_train, dtype=np.int64)).to(device)
    n = len(images)
    end = recipe.steps if max_steps is None else min(recipe.steps, max_steps)
    t0 = time.perf_counter()
    last_finite = (start, math.nan)
    model.train()
    with _SignalFlag() as flag:
        for step in range(start, end):
            factor = recipe.lr_factor(step)
            for group in optimizer.param_groups:
                group["lr"] = group["base_lr"] * factor
            idx = torch.from_numpy(batch_indices(n, recipe.batch_size, step, seed)).to(device)
            gen = torch.Generator().manual_seed(step_seed(seed, step, stream=2))
            x = augment.train_batch(images.index_select(0, idx), recipe.input, gen)
            if device.type == "cuda":
                x = x.contiguous(memory_format=torch.channels_last)
            torch.manual_seed(step_seed(seed, step, stream=3))  # dropout
            y = labels.index_select(0, idx)
            logits = model(x)
            loss = smoothed_cross_entropy(logits, y, alpha)
            optimizer.zero_grad(set_to_none=True)
            (recipe.loss_scale * loss).backward()
            if recipe.grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.grad_clip)
            optimizer.step()

            correct = (logits.argmax(-1) == y).sum()
            loss_value, n_correct = torch.stack([loss.detach(), correct.to(loss.dtype)]).tolist()
            if not math.isfinite(loss_value):
                raise DivergenceError(
                    f"loss became {loss_value} at step {step}; last finite loss "
                    f"{last_finite[1]:.6g} at step {last_finite[0]}. Lower the learning rate or "
                    f"check the inputs."
                )
            last_finite = (step, loss_value)
            window.add(loss_value, int(n_correct), len(y))
            done = step + 1
            if done % recipe.log_every == 0 or done == recipe.steps:
                row = window.row(done, done * recipe.batch_size / n, group_lr(optimizer), t0)
                history.append(row)
                _log_progress(row, start, end, recipe.steps)
            if done in recipe.snapshot_steps:
                atomic_torch_save(model.state_dict(), partial_snapshots / f"step~{done}.pt")
            if flag.received is not None:
                _save_checkpoint(
                    checkpoint_path, fingerprint, done, model, optimizer, history, window
                )
                raise Preempted(
                    f"received signal {signal.Signals(flag.received).name} at step {done}; "
                    f"checkpoint saved to {checkpoint_path}, the next run resumes from it"
                )
            if done % recipe.checkpoint_every == 0 and done < recipe.steps:
                _save_checkpoint(
                    checkpoint_path, fingerprint, done, model, optimizer, history, window
                )

    if end < recipe.steps:  # stopped early on purpose (max_steps): leave a checkpoint only
        _save_checkpoint(checkpoint_path, fingerprint, end, model, optimizer, history, window)
        return TrainResult(model, history, resumed_from=start)

    full_meta = {
        **metadata,
        "recipe": dataclasses.asdict(recipe),
        "alpha": alpha,
        "seed": seed,
        "num_classes": num_classes,
        "in_channels": int(x_train.shape[-1]),
        "fingerprint": fingerprint,
        "versions": library_versions(),
        "commit": git_commit(),
        "device": str(device),
        "threads": torch.get_num_threads(),
    }
    atomic_torch_save(
        {"state_dict": model.state_dict(), "metadata": full_meta}, out_dir / "model.pt"
    )
    write_history(history, out_dir / "history.csv")
    snapshots = out_dir / "snapshots"
    if snapshots.exists():
        shutil.rmtree(snapshots)
    if partial_snapshots.exists():
        partial_snapshots.rename(snapshots)
    else:
        snapshots.mkdir()
    checkpoint_path.unlink(missing_ok=True)
    return TrainResult(model, history, resumed_from=start)


def group_lr(optimizer: torch.optim.Optimizer) -> float:
    return max(g["lr"] for g in optimizer.param_groups)


class _Window:
    """Running loss/accuracy/throughput over the steps since the last log line."""

    def __init__(self) -> None:
        self.reset()
        self.t = time.perf_counter()

    def reset(self) -> None:
        self.loss_sum = 0.0
        self.steps = 0
        self.correct = 0
        self.seen = 0

    def add(self, loss: float, correct: int, seen: int) -> None:
        self.loss_sum += loss
        self.steps += 1
        self.correct += correct
        self.seen += seen

    def sums(self) -> dict[str, float]:
        return {
            "loss_sum": self.loss_sum,
            "steps": self.steps,
            "correct": self.correct,
            "seen": self.seen,
        }

    def restore(self, sums: dict[str, float]) -> None:
        self.loss_sum, self.steps = sums["loss_sum"], sums["steps"]
        self.correct, self.seen = sums["correct"], sums["seen"]

    def row(self, step: int, epoch: float, lr: float, t0: float) -> dict[str, float]:
        now = time.perf_counter()
        row = {
            "step": step,
            "epoch": round(epoch, 4),
            "loss": self.loss_sum / max(self.steps, 1),
            "accuracy": self.correct / max(self.seen, 1),
            "lr": lr,
            "images_per_s": self.seen / max(now - self.t, 1e-9),
            "elapsed_s": now - t0,
        }
        self.reset()
        self.t = now
        return row


def _log_progress(row: dict[str, float], start: int, end: int, total: int) -> None:
    seconds_per_step = row["elapsed_s"] / max(row["step"] - start, 1)
    eta = time.strftime("%H:%M:%S", time.gmtime((end - row["step"]) * seconds_per_step))
    log.info(
        "step %d/%d  loss %.4f  acc %.4f  lr %.4g  %.0f img/s  ETA %s",
        row["step"],
        total,
        row["loss"],
        row["accuracy"],
        row["lr"],
        row["images_per_s"],
        eta,
    )


def write_history(history: list[dict[str, float]], path: Path) -> None:
    def write(f: Any) -> None:
        import io

        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=HISTORY_FIELDS)
        writer.writeheader()
        writer.writerows(history)
        f.write(text.getvalue().encode())

    atomic_write(path, write)


def _save_checkpoint(
    path: Path,
    fingerprint: str,
    step: int,
    model: Classifier,
    optimizer: torch.optim.Optimizer,
    history: list[dict[str, float]],
    window: _Window,
) -> None:
    atomic_torch_save(
        {
            "fingerprint": fingerprint,
            "step": step,
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "history": history,
            "window": window.sums(),  # so the first log row after a resume averages the same steps
        },
        path,
    )
    log.info("checkpoint at step %d -> %s", step, path)


def _resume(
    path: Path,
    fingerprint: str,
    model: Classifier,
    optimizer: torch.optim.Optimizer,
    history: list[dict[str, float]],
    window: _Window,
) -> int:
    """Load ``path`` if it belongs to this exact run; a foreign checkpoint is set aside, unused."""
    if not path.exists():
        return 0
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:  # a torn file cannot happen (atomic writes) but a foreign one can
        aside = path.with_name(f"checkpoint.unreadable-{int(time.time())}.pt")
        path.rename(aside)
        log.warning("checkpoint %s unreadable (%s); moved to %s, starting fresh", path, err, aside)
        return 0
    if state.get("fingerprint") != fingerprint:
        aside = path.with_name(f"checkpoint.{state.get('fingerprint', 'unknown')}.pt")
        path.rename(aside)
        log.warning(
            "checkpoint %s belongs to another recipe/seed/split (fingerprint %s, this run %s); "
            "kept as %s, starting fresh",
            path,
            state.get("fingerprint"),
            fingerprint,
            aside,
        )
        return 0
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    history.extend(state["history"])
    window.restore(state["window"])
    log.info("resuming from %s at step %d", path, state["step"])
    return int(state["step"])


def load_model(path: Path | str, device: str | torch.device = "cpu") -> tuple[Classifier, dict]:
    """Rebuild a trained model from ``model.pt`` (weights + the recipe that built them)."""
    blob = torch.load(path, map_location="cpu", weights_only=False)
    meta = blob["metadata"]
    model = build_model(meta["recipe"]["model"], meta["num_classes"], meta["in_channels"])
    model.load_state_dict(blob["state_dict"])
    return model.to(device).eval(), meta


def train_from_files(
    *,
    prepared: Path | str,
    split: Path | str,
    recipe: dict[str, Any],
    dataset: str,
    alpha: float,
    seed: int,
    out_dir: Path | str,
    threads: int,
) -> TrainResult:
    """Workflow entry point: read the prepared dataset and split, train on the train split."""
    from lsrepro.data import load_prepared, load_split
    from lsrepro.io import pick_device

    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    device = pick_device()
    if device == "cuda":
        torch.backends.cudnn.benchmark = True
    data = load_prepared(Path(prepared))
    parts = load_split(Path(split))
    log.info(
        "training %s on %s (%d train examples, split %s), alpha=%s seed=%d, device %s, %d threads",
        recipe["model"]["name"],
        dataset,
        len(parts.train),
        parts.digest,
        alpha,
        seed,
        device,
        threads,
    )
    return train(
        recipe=Recipe.from_config(recipe),
        x_train=data.x_train[parts.train],
        y_train=data.y_train[parts.train],
        num_classes=data.num_classes,
        alpha=alpha,
        seed=seed,
        out_dir=Path(out_dir),
        metadata={"dataset": dataset, "split_digest": parts.digest, "split_seed": parts.seed},
        device=device,
    )
