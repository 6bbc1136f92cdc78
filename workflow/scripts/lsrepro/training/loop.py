"""The training loop: one loop for every objective, batch source and model.

A step is: learning rate for the step → the step's batch (a pure function of (seed, step)) →
forward (dropout seeded by (seed, step); bf16 autocast, channels_last and torch.compile as the
recipe's ``precision`` and ``compile`` say, :mod:`.precision`) → fp32 logits → objective → scaled
loss backward → clip → optimiser step. Around it the loop owns what every stage needs: resume
from the checkpoint of an identical run (bitwise identical weights on the CPU with the same
thread count, in fp32 or bf16), snapshots, SIGTERM/SIGUSR1 → checkpoint + exit 75, a divergence
error that names the exact step, and progress lines with an ETA. Nothing in a step waits for the
device: per-step loss and accuracy stay on the device and are read once per log window (and
before any checkpoint, which is never written from a diverged state).
"""

from __future__ import annotations

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
) -> TrainResult:
    """Train ``model`` (already built under :func:`init_model` and on ``device``) towards
    ``objective`` on ``batches`` and write the run's artifacts into ``out_dir``.

    ``metadata`` (dataset, split digest, build_args, run key, ...) is stored in every model file
    and enters the checkpoint fingerprint together with the recipe, the objective's identity
    (for a teacher, its fingerprint), the batch source and the seed. ``max_steps`` stops early
    with a checkpoint and no model.pt (tests: a simulated crash).
    """
    out_dir = Path(out_dir)
    device = torch.device(device)
    model, channels_last = precision.prepare_model(model, precision=recipe.precision, device=device)
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
    history: list[dict[str, float]] = []
    window = _Window()
    state = ckpt.load()
    start = 0
    if state is not None:
        model.load_state_dict(state["model"])
        history.extend(state["history"])
        window.restore(state["window"])
        start = int(state["step"])
        if not state.get("finished"):
            optimizer.load_state_dict(state["optimizer"])
    elif 0 in recipe.snapshot_steps:
        ckpt.snapshot(0, model)

    step_model = precision.compiled(model, recipe.compile)
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
            with autocast:
                logits = step_model(*batch.inputs)
            logits = precision.fp32_logits(logits)  # the loss and the statistics in fp32
            loss = objective(logits, batch)
            optimizer.zero_grad(set_to_none=True)
            (recipe.loss_scale * loss).backward()
            if recipe.grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.grad_clip)
            optimizer.step()
            window.add(step, _step_stats(logits.detach(), batch.labels, loss))

            done = step + 1
            if done % recipe.log_every == 0 or done == recipe.steps:
                epoch = batches.epoch(done)
                row = window.row(done, epoch, optim.current_lr(optimizer), t0)
                history.append(row)
                _log_progress(row, start, end, recipe.steps)
            if done in recipe.snapshot_steps:
                window.flush()  # never keep weights of a diverged step
                ckpt.snapshot(done, model)
            if flag.received is not None:
                ckpt.save(done, model, optimizer, history, window.sums())
                raise Preempted(
                    f"received signal {signal.Signals(flag.received).name} at step {done}; "
                    f"checkpoint saved to {ckpt.path}, the next run resumes from it"
                )
            if done % recipe.checkpoint_every == 0 and done < recipe.steps:
                ckpt.save(done, model, optimizer, history, window.sums())

    window.flush()
    runtime = {
        "precision": recipe.precision,
        "channels_last": channels_last,
        "compile": step_model.status,
    }
    if end < recipe.steps:  # stopped early on purpose (max_steps): leave a checkpoint only
        if end > start:
            ckpt.save(end, model, optimizer, history, window.sums())
        return TrainResult(model, history, resumed_from=start, fingerprint=fp, runtime=runtime)

    if state is None or not state.get("finished"):
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
