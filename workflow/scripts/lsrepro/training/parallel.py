"""Data-parallel training (DDP) over the GPUs of one job, one process per GPU.

The train job (one SLURM job with ``--gpus=N``, or N CPU processes in tests) calls
:func:`launch`, which starts N processes with ``torch.multiprocessing.spawn`` (what ``torchrun
--nproc_per_node=N`` does, from inside the job's own script), joins them into one process group
(NCCL on GPUs, Gloo on CPUs) and runs the same training function in each with its
:class:`Parallel` rank. Each step's global batch is cut into N equal shards (rank r takes images
r*B/N ... (r+1)*B/N - 1 of the step, with the crops they would have had on one GPU); DDP averages
the gradients, so the step is the one-process step (``recipe.accumulate`` counts micro-batches
over all ranks: each rank runs accumulate / N of them). Rank 0 alone writes checkpoints,
snapshots, history and model.pt; a preemption signal on any rank stops all of them after the
same step.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from lsrepro.runtime import setup_logging
from lsrepro.training.loop import Preempted


@dataclass(frozen=True)
class Parallel:
    rank: int
    world: int

    @property
    def main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        dist.barrier()

    def any(self, flag: bool) -> bool:
        """True on every rank if ``flag`` is True on any rank (one small all-reduce)."""
        value = torch.tensor([1.0 if flag else 0.0], device=_collective_device())
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value.item())


def _collective_device() -> torch.device:
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(
    rank: int, world: int, port: int, fn: Callable, kwargs: dict, status, log_file: str | None
) -> None:
    setup_logging(log_file if rank == 0 else None)  # rank 0 writes the job's log
    os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(port)
    cuda = torch.cuda.is_available()
    if cuda:
        torch.cuda.set_device(rank)
    dist.init_process_group("nccl" if cuda else "gloo", rank=rank, world_size=world)
    try:
        fn(parallel=Parallel(rank, world), **kwargs)
        if rank == 0:
            status.put(("done", ""))
    except Exception as err:
        if rank == 0:
            status.put(("preempted" if isinstance(err, Preempted) else "failed", str(err)))
        if not isinstance(err, Preempted):
            raise
    finally:
        dist.destroy_process_group()


def launch(fn: Callable[..., Any], world: int, **kwargs: Any) -> None:
    """Run ``fn(parallel=Parallel(rank, world), **kwargs)`` in ``world`` processes."""
    context = torch.multiprocessing.get_context("spawn")
    status = context.SimpleQueue()
    files = [h.baseFilename for h in logging.getLogger().handlers if hasattr(h, "baseFilename")]
    args = (world, _free_port(), fn, kwargs, status, files[0] if files else None)
    # SIGTERM/SIGUSR1 (preemption, time limit) are for the ranks, which checkpoint and stop
    # after the same step: this process only waits for them, and reports what they did.
    stops = (signal.SIGTERM, signal.SIGUSR1)
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in stops}
    try:
        torch.multiprocessing.spawn(_worker, args=args, nprocs=world, join=True)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    outcome, message = status.get() if not status.empty() else ("failed", "no status")
    if outcome == "preempted":
        raise Preempted(message)
    if outcome != "done":
        raise RuntimeError(f"data-parallel training failed: {message}")
