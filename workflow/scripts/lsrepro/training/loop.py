"""The training loop: one loop for every objective, batch source and model.

A step is: learning rate for the step → the step's batch (a pure function of (seed, step)) →
forward (dropout seeded by (seed, step); bf16 autocast, channels_last and torch.compile as the
recipe's ``precision`` and ``compile`` say, :mod:`.precision`) → fp32 logits → objective → scaled
loss backward → clip → optimiser step. Around it the loop owns what every stage needs: resume
from the checkpoint of an identical run (bitwise identical weights on the CPU with the same
thread count, in fp32 or bf16), snapshots, SIGTERM/SIGUSR1 → checkpoint + exit 75, a divergence
error that names the exact step, and progress lines with an ETA. Two recipe keys of large-batch
training (``recipe.extra``; the paper's Inception-v4, A.4): ``accumulate: k`` splits each step's
batch into k equal micro-batches whose gradients add up before the one optimiser step (a batch
of 4096 on one GPU), and ``ema_decay: d`` keeps an exponential moving average of the weights (and
batch-norm statistics) after every step, which is what the finished checkpoint and ``model.pt``
hold ("EMA weights are evaluated"). Nothing in a step waits for the device: per-step loss and
accuracy stay on the device and are read once per log window (and before any checkpoint, which
is never written from a diverged state).
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import logging
import math
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from lsrepro.io import atomic_write
from lsrepro.runtime import git_commit, library_versions
from lsrepro.training import optim, precision
from lsrepro.training.batches import (
    IGNORE_INDEX,
    STREAM_DROPOUT,
    STREAM_INIT,
    BatchSource,
    step_seed,
)
from lsrepro.training.checkpoints import (
    Checkpointer,
    check_writable,
    clear_stale_temp_files,
    fingerprint,
)
from lsrepro.training.objectives import Objective
from lsrepro.training.recipe import Recipe

log = logging.getLogger(__name__)

HISTORY_FIELDS = ("step", "epoch", "loss", "accuracy", "lr", "images_per_s", "elapsed_s")


class DivergenceError(RuntimeError):
    """The training loss became NaN or infinite."""


class Preempted(RuntimeError):
    """SIGTERM/SIGUSR1 arrived; a checkpoint was saved and the job should be retried."""

    exit_code = 75  # EX_TEMPFAIL: "try again later"


@dataclass
class TrainResult:
    model: torch.nn.Module
    history: list[dict[str, float]] = field(default_factory=list)
    resumed_from: int = 0
    fingerprint: str = ""
    # what ran: precision, channels_last and the compile status (precision.Compiled.status)
    runtime: dict[str, Any] = field(default_factory=dict)


class WeightAverage:
    """Exponential moving average of a model's floating-point state (weights and batch-norm
    statistics), ``avg <- decay * avg + (1 - decay) * current`` after each optimiser step: TF's
    ``ExponentialMovingAverage`` as TF-slim's training script applies it (without its
    ``num_updates`` warm-up). Integer state (batch counters) is copied."""

    def __init__(self, model: torch.nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"ema_decay must be in (0, 1), got {decay}")
        self.decay = decay
        self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        current = model.state_dict()
        floats = [k for k, v in self.state.items() if v.is_floating_point()]
        torch._foreach_lerp_(
            [self.state[k] for k in floats], [current[k].detach() for k in floats], 1 - self.decay
        )
        for k, v in self.state.items():
            if not v.is_floating_point():
                v.copy_(current[k])


def init_model(build: Any, seed: int) -> torch.nn.Module:
    """``build()`` under the run's weight-initialisation seed (stream 1 of :func:`step_seed`)."""
    torch.manual_seed(step_seed(seed, 0, STREAM_INIT))
    return build()


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


class _Window:
    """Loss/accuracy/throughput since the last log line. Per-step statistics stay on the
    device until :meth:`flush`, which reads them in one transfer and checks them in step order."""

    def __init__(self) -> None:
        self.reset()
        self.t = time.perf_counter()
        self.pending: list[tuple[int, torch.Tensor]] = []
        self.last_finite = (0, math.nan)

    def reset(self) -> None:
        self.loss_sum = 0.0
        self.steps = 0
        self.correct = 0
        self.seen = 0

    def add(self, step: int, stats: torch.Tensor) -> None:
        """stats: (3,) [loss, correct, counted] on the device."""
        self.pending.append((step, stats))

    def flush(self) -> None:
        if not self.pending:
            return
        values = torch.stack([s for _, s in self.pending]).tolist()  # the one host sync
        for (step, _), (loss, correct, counted) in zip(self.pending, values, strict=True):
            if not math.isfinite(loss):
                self.pending = []
                raise DivergenceError(
                    f"loss became {loss} at step {step}; last finite loss "
                    f"{self.last_finite[1]:.6g} at step {self.last_finite[0]}. Lower the "
                    f"learning rate or check the inputs."
                )
            self.last_finite = (step, loss)
            self.loss_sum += loss
            self.steps += 1
            self.correct += int(correct)
            self.seen += int(counted)
        self.pending = []

    def sums(self) -> dict[str, float]:
        self.flush()
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
        self.flush()
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


def _step_stats(logits: torch.Tensor, labels: torch.Tensor, loss: torch.Tensor) -> torch.Tensor:
    """[loss, correct, counted] of one step, on the device (no sync)."""
    counted = labels != IGNORE_INDEX
    correct = ((logits.argmax(-1) == labels) & counted).sum()
    return torch.stack([loss.detach().float(), correct.float(), counted.sum().float()])


def train(
    *,
    model: torch.nn.Module,
    objective: Objective,
    batches: BatchSource,
    recipe: Recipe,
    seed: int,
    out_dir: Path | str,
    metadata: dict[str, Any],
    device: str | torch.device = "cpu",
    max_steps: int | None = None,
    parallel: Any | None = None,
) -> TrainResult:
    """Train ``model`` (already built under :func:`init_model` and on ``device``) towards
    ``objective`` on ``batches`` and write the run's artifacts into ``out_dir``.

    ``metadata`` (dataset, split digest, build_args, run key, ...) is stored in every model file
    and enters the checkpoint fingerprint together with the recipe, the objective's identity
    (for a teacher, its fingerprint), the batch source and the seed. ``max_steps`` stops early
    with a checkpoint and no model.pt (tests: a simulated crash). ``parallel``: this process's
    :class:`~lsrepro.training.parallel.Parallel` rank in data-parallel training (``batches``
    then gives this rank's shard of each step); only rank 0 writes files.
    """
    out_dir = Path(out_dir)
    device = torch.device(device)
    main = parallel is None or parallel.main
    world = 1 if parallel is None else parallel.world
    model, channels_last = precision.prepare_model(model, precision=recipe.precision, device=device)
    if main:
        check_writable(out_dir)
        clear_stale_temp_files(out_dir)
    recipe_dict = dataclasses.asdict(recipe)
    fp = fingerprint(
        recipe=recipe_dict,
        objective=objective.identity(),
        batches=batches.identity(),
        seed=seed,
        metadata=metadata,
    )
    file_meta = {**metadata, "recipe": recipe_dict, "seed": seed, "objective": objective.identity()}
    ckpt = Checkpointer(out_dir, fp, file_meta)
    optimizer = optim.build_optimizer(model, recipe)
    accumulate = int(recipe.extra.get("accumulate", 1))
    ema_decay = recipe.extra.get("ema_decay")
    average = WeightAverage(model, float(ema_decay)) if ema_decay else None
    history: list[dict[str, float]] = []
    window = _Window()
    if parallel is None:
        state = ckpt.load()
    else:  # rank 0 resumes, sets aside or clears first; then the others read what is left
        state = ckpt.load() if main else None
        parallel.barrier()
        state = state if main else ckpt._read()
    start = 0
    if state is not None:
        model.load_state_dict(state["model"])
        history.extend(state["history"])
        window.restore(state["window"])
        start = int(state["step"])
        if not state.get("finished"):
            optimizer.load_state_dict(state["optimizer"])
            if average is not None:
                average.state = {k: v.to(device) for k, v in state["ema"].items()}
    elif 0 in recipe.snapshot_steps and main:
        ckpt.snapshot(0, model)

    ddp = None
    if world > 1:
        if accumulate % world:
            raise ValueError(f"accumulate {accumulate} is not a multiple of {world} processes")
        ids = [device.index] if device.type == "cuda" else None
        ddp = torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)
    step_model = precision.compiled(ddp if ddp is not None else model, recipe.compile)
    autocast = precision.autocast(recipe.precision, device)
    end = recipe.steps if max_steps is None else min(recipe.steps, max_steps)
    t0 = time.perf_counter()
    window.last_finite = (start, math.nan)
    model.train()
    with _SignalFlag() as flag:
        for step in range(start, end):
            optim.set_learning_rate(
                optimizer, optim.lr_factor(recipe.lr_schedule, step, recipe.steps)
            )
            batch = batches.batch(step)
            torch.manual_seed(step_seed(seed, step, STREAM_DROPOUT))
            if accumulate == 1 and world == 1:
                with autocast:
                    logits = step_model(*batch.inputs)
                logits = precision.fp32_logits(logits)  # the loss and the statistics in fp32
                loss = objective(logits, batch)
                optimizer.zero_grad(set_to_none=True)
                (recipe.loss_scale * loss).backward()
                stats = _step_stats(logits.detach(), batch.labels, loss)
            else:  # equal micro-batches: the mean of their mean losses is the batch's mean loss
                optimizer.zero_grad(set_to_none=True)
                stats = 0
                parts = accumulate // world  # DDP averages the ranks' gradients
                for j, micro in enumerate(batch.split(parts)):
                    last = j == parts - 1  # DDP all-reduces the gradients once, at the last
                    sync = contextlib.nullcontext() if ddp is None or last else ddp.no_sync()
                    with sync:
                        with autocast:
                            logits = step_model(*micro.inputs)
                        logits = precision.fp32_logits(logits)
                        loss = objective(logits, micro) / parts
                        (recipe.loss_scale * loss).backward()
                    stats = stats + _step_stats(logits.detach(), micro.labels, loss)
            if recipe.grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.grad_clip)
            optimizer.step()
            if average is not None:
                average.update(model)
            window.add(step, stats)

            done = step + 1
            if done % recipe.log_every == 0 or done == recipe.steps:
                epoch = batches.epoch(done)
                row = window.row(done, epoch, optim.current_lr(optimizer), t0)
                history.append(row)
                if main:
                    _log_progress(row, start, end, recipe.steps)
            if done in recipe.snapshot_steps:
                window.flush()  # never keep weights of a diverged step
                if main:
                    ckpt.snapshot(done, model)
            stop = flag.received is not None
            if parallel is not None:  # every rank stops after the same step
                stop = parallel.any(stop)
            if stop:
                if main:
                    ckpt.save(done, model, optimizer, history, window.sums(), extra=_ema(average))
                name = signal.Signals(flag.received).name if flag.received else "on another rank"
                raise Preempted(
                    f"received signal {name} at step {done}; "
                    f"checkpoint saved to {ckpt.path}, the next run resumes from it"
                )
            if done % recipe.checkpoint_every == 0 and done < recipe.steps and main:
                ckpt.save(done, model, optimizer, history, window.sums(), extra=_ema(average))

    window.flush()
    runtime = {
        "precision": recipe.precision,
        "channels_last": channels_last,
        "compile": step_model.status,
    }
    if end < recipe.steps:  # stopped early on purpose (max_steps): leave a checkpoint only
        if end > start and main:
            ckpt.save(end, model, optimizer, history, window.sums(), extra=_ema(average))
        return TrainResult(model, history, resumed_from=start, fingerprint=fp, runtime=runtime)
    if not main:
        return TrainResult(model, history, resumed_from=start, fingerprint=fp, runtime=runtime)

    if state is None or not state.get("finished"):
        if average is not None:  # from here on the model *is* its average (model.pt, evaluate)
            model.load_state_dict(average.state)
        # Kept small (no optimizer state) until the next run of this job: if Snakemake does not
        # accept the outputs below, the re-run rewrites them from here instead of training.
        ckpt.save(recipe.steps, model, None, history, window.sums(), finished=True)
    ckpt.publish(
        model,
        {
            "versions": library_versions(),
            "commit": git_commit(),
            "device": str(device),
            "threads": torch.get_num_threads(),
            "runtime": runtime,
        },
    )
    write_history(history, out_dir / "history.csv")
    return TrainResult(model, history, resumed_from=start, fingerprint=fp, runtime=runtime)


def _ema(average: WeightAverage | None) -> dict[str, Any] | None:
    return None if average is None else {"ema": average.state}


def _log_progress(row: dict[str, float], start: int, end: int, total: int) -> None:
    seconds_per_step = row["elapsed_s"] / max(row["step"] - start, 1)
    eta = time.strftime("%H:%M:%S", time.gmtime(max(end - row["step"], 0) * seconds_per_step))
    log.info(
        "step %d/%d  loss %.4f  acc %.4f  lr %.4g  %.0f/s  ETA %s",
        row["step"],
        total,
        row["loss"],
        row["accuracy"],
        row["lr"],
        row["images_per_s"],
        eta,
    )


def write_history(history: list[dict[str, float]], path: Path) -> None:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=HISTORY_FIELDS)
    writer.writeheader()
    writer.writerows(history)
    atomic_write(path, lambda f: f.write(text.getvalue().encode()))
