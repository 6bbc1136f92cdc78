"""Checkpoints, snapshots and trained-model files: save, resume, set aside, load.

File layout of one run directory (DESIGN.md §7):

``checkpoint.pt``
    the latest resumable state ``{fingerprint, step, model, optimizer, history, window}``. When a
    run finishes, it is rewritten *without* the optimizer state (``finished: True``): if the
    job's outputs are then not accepted (Snakemake interrupted between the job's end and its
    bookkeeping), the re-run rewrites them from it instead of training again.
``checkpoint.<fingerprint>.pt`` / ``checkpoint.unreadable-<time>.pt``
    a checkpoint of another recipe/seed/objective, or an unreadable file: set aside, never used,
    never deleted (delete them by hand when you no longer want them).
``partial_snapshots/step~{k}.pt`` → ``snapshots/step~{k}.pt``
    weights at the recipe's ``snapshot_steps``, each self-describing (see
    :func:`lsrepro.artifacts.model.model_blob`); they belong to the checkpoint's fingerprint: a
    fresh start clears them, a resume drops any of another fingerprint, and they appear in
    ``snapshots/`` (hard links, no extra space) only when the run finishes.
``model.pt``
    the final weights with the metadata that rebuilds them.

Every model file is ``{"state_dict": ..., "metadata": {...}}`` where metadata holds ``recipe``
(with ``model``, the registry spec, and ``input``), ``build_args`` (e.g. ``num_classes`` and
``in_channels``), ``fingerprint`` and, for snapshots, ``step``;
:func:`lsrepro.artifacts.model.load_model` rebuilds any of them on its own.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any

import torch

from lsrepro.artifacts.model import model_blob
from lsrepro.io import atomic_torch_save

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"
PARTIAL_SNAPSHOTS = "partial_snapshots"
SNAPSHOTS = "snapshots"


def fingerprint(**parts: Any) -> str:
    """sha256 of everything that determines the trained weights: a checkpoint's identity."""
    blob = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def clear_stale_temp_files(out_dir: Path) -> list[Path]:
    """Remove hidden ``.name.XXXX.tmp`` files a killed atomic write left in ``out_dir`` (and
    below). Safe because one job owns a run directory; returns what was removed."""
    removed = []
    for tmp in Path(out_dir).rglob(".*.tmp"):
        if tmp.is_file():
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    if removed:
        log.info("removed %d stale temporary file(s) of an interrupted write", len(removed))
    return removed


def check_writable(out_dir: Path) -> None:
    """Fail before the first step, not at the first checkpoint, if ``out_dir`` is read-only."""
    probe = out_dir / f".write-test-{os.getpid()}.tmp"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
    except OSError as err:
        raise PermissionError(
            f"cannot write into the run directory {out_dir} ({err.strerror}); checkpoints and "
            f"the model would be lost: fix its permissions or free space, then re-run"
        ) from err
    probe.unlink(missing_ok=True)


def _unused(path: Path) -> Path:
    """``path``, or ``path`` with a numbered suffix if it exists: a set-aside checkpoint is never
    overwritten by the next one set aside under the same name."""
    candidate, n = path, 1
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}.{n}{path.suffix}")
        n += 1
    return candidate


class Checkpointer:
    """Owns ``checkpoint.pt`` and the snapshots of one run directory (one fingerprint)."""

    def __init__(self, out_dir: Path, fingerprint: str, metadata: dict[str, Any]) -> None:
        self.out_dir = Path(out_dir)
        self.path = self.out_dir / CHECKPOINT
        self.partial = self.out_dir / PARTIAL_SNAPSHOTS
        self.fingerprint = fingerprint
        self.metadata = {**metadata, "fingerprint": fingerprint}

    # -- resume -------------------------------------------------------------------------------

    def load(self) -> dict[str, Any] | None:
        """The state to resume from, or None (fresh start: partial snapshots are cleared)."""
        state = self._read()
        if state is None:
            if self.partial.exists():
                shutil.rmtree(self.partial)
                log.info("fresh start: cleared partial snapshots of an earlier run")
            return None
        self._drop_foreign_snapshots()
        log.info("resuming from %s at step %d", self.path, state["step"])
        return state

    def _read(self) -> dict[str, Any] | None:
        if not self.path.exists():
            return None
        try:
            state = torch.load(self.path, map_location="cpu", weights_only=False)
        except (OSError, MemoryError):
            raise  # the file may be fine (network file system, memory): never set it aside
        except Exception as err:  # torn files cannot happen (atomic writes); foreign ones can
            aside = _unused(self.path.with_name(f"checkpoint.unreadable-{int(time.time())}.pt"))
            self.path.rename(aside)
            log.warning(
                "checkpoint %s unreadable (%s); moved to %s (delete it by hand if unwanted), "
                "starting fresh",
                self.path,
                err,
                aside,
            )
            return None
        if not isinstance(state, dict) or state.get("fingerprint") != self.fingerprint:
            other = state.get("fingerprint", "unknown") if isinstance(state, dict) else "unknown"
            aside = _unused(self.path.with_name(f"checkpoint.{other}.pt"))
            self.path.rename(aside)
            log.warning(
                "checkpoint %s belongs to another recipe/seed/objective/data (fingerprint %s, "
                "this run %s); kept as %s (delete it by hand if unwanted), starting fresh",
                self.path,
                other,
                self.fingerprint,
                aside,
            )
            return None
        return state

    def _drop_foreign_snapshots(self) -> None:
        if not self.partial.exists():
            return
        for snap in sorted(self.partial.glob("step~*.pt")):
            meta = torch.load(snap, map_location="cpu", weights_only=False).get("metadata", {})
            if meta.get("fingerprint") != self.fingerprint:
                snap.unlink()
                log.warning(
                    "dropped snapshot %s of another run (fingerprint %s)",
                    snap,
                    meta.get("fingerprint"),
                )

    # -- save ---------------------------------------------------------------------------------

    def save(
        self,
        step: int,
        model: torch.nn.Module,
        optimizer: torch.optim.Optimizer | None,
        history: list[dict[str, float]],
        window: dict[str, float],
        finished: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """``extra``: more resumable state (e.g. ``ema``: the weight average of the loop)."""
        atomic_torch_save(
            {
                **(extra or {}),
                "fingerprint": self.fingerprint,
                "step": step,
                "finished": finished,
                "model": model.state_dict(),
                "optimizer": None if optimizer is None else optimizer.state_dict(),
                "history": history,
                "window": window,  # so the first log row after a resume averages the same steps
            },
            self.path,
        )
        log.info("checkpoint at step %d -> %s", step, self.path)

    def snapshot(self, step: int, model: torch.nn.Module) -> None:
        blob = model_blob(model, {**self.metadata, "step": step})
        atomic_torch_save(blob, self.partial / f"step~{step}.pt")

    def publish(self, model: torch.nn.Module, metadata: dict[str, Any]) -> None:
        """Write model.pt and move the snapshots into place (the run's declared outputs)."""
        atomic_torch_save(
            model_blob(model, {**self.metadata, **metadata}), self.out_dir / "model.pt"
        )
        snapshots = self.out_dir / SNAPSHOTS
        if snapshots.exists():
            shutil.rmtree(snapshots)
        snapshots.mkdir()
        for snap in sorted(self.partial.glob("step~*.pt")) if self.partial.exists() else []:
            try:  # a hard link: no extra space, and the partial copy survives a rejected job
                os.link(snap, snapshots / snap.name)
            except OSError:  # file systems without hard links
                shutil.copy2(snap, snapshots / snap.name)
