"""The job's process: logging, device and threads, GPU binding, library versions.

Torch-free at import: ``common.smk`` imports this module when Snakemake builds the DAG, so the
functions that need torch import it themselves.

GPU binding: each GPU job sees only its own GPU, and the GPUs fill up evenly.

Snakemake counts GPU jobs (rules declare ``resources: gpu=1``; ``common.smk`` sets the global
limit to :func:`slot_count`, :func:`local_gpu_limit`) but never says *which* device a job gets,
so every job would open GPU 0. :func:`bind_gpu` closes that gap from inside the job: before
CUDA initialises, it takes a slot on the least-loaded device of the pool and narrows
``CUDA_VISIBLE_DEVICES`` to it.

Slots are ``flock`` locks on files in a lock directory, held for the life of the job process:
the kernel releases them when the process exits, however it exits (crash, SIGKILL, OOM), so a
slot is never leaked. A mutex file serialises allocators, so concurrent jobs never pick the
same free slot. The allocator never waits: if more jobs ask than there are slots (e.g. two
workflows share a machine), the extra one shares the least-loaded GPU and says so in its log.

Under SLURM (``SLURM_JOB_ID`` set) binding is left to SLURM: ``--gpus=1`` already gives the job
step its own device in ``CUDA_VISIBLE_DEVICES``.

Settings (environment variables, because they describe the machine, not the experiment):

``LSREPRO_GPU_IDS``
    The device pool, comma-separated (e.g. ``0,1,3`` or MIG/GPU UUIDs). Default: the entries of
    ``CUDA_VISIBLE_DEVICES`` if it is set, else the GPUs ``nvidia-smi`` lists, else none (CPU).
``LSREPRO_JOBS_PER_GPU``
    Jobs that may share one GPU (small models leave a GPU idle). Default 1.
``LSREPRO_GPU_LOCK_DIR``
    Where the slot locks live. Default ``.snakemake/gpu-slots`` in the working directory; point
    several workflows on one machine at the same local directory to spread them over the GPUs.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

import lsrepro
from lsrepro.io import DiskFullError, disk_full_cause, write_json

log = logging.getLogger(__name__)

ENV_IDS = "LSREPRO_GPU_IDS"
ENV_JOBS_PER_GPU = "LSREPRO_JOBS_PER_GPU"
ENV_LOCK_DIR = "LSREPRO_GPU_LOCK_DIR"
DEFAULT_LOCK_DIR = ".snakemake/gpu-slots"


class GpuConfigError(ValueError):
    """A GPU setting (environment variable) is malformed; the message names it."""


def _split_ids(text: str) -> list[str]:
    """Device ids of a ``CUDA_VISIBLE_DEVICES``-style list; CUDA ignores all from a negative one."""
    ids = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if part.startswith("-"):
            break
        ids.append(part)
    return ids


def nvidia_smi_ids() -> list[str]:
    """Indices of the GPUs ``nvidia-smi`` lists; ``[]`` without a driver or the tool."""
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in out.splitlines() if line.strip()]


def device_pool(
    env: Mapping[str, str] | None = None, probe: Callable[[], list[str]] = nvidia_smi_ids
) -> list[str]:
    """The GPUs local jobs are spread over (see the module docstring for the order of sources)."""
    env = os.environ if env is None else env
    if ENV_IDS in env:
        return _split_ids(env[ENV_IDS])
    if "CUDA_VISIBLE_DEVICES" in env:
        return _split_ids(env["CUDA_VISIBLE_DEVICES"])
    return probe()


def jobs_per_gpu(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    raw = env.get(ENV_JOBS_PER_GPU, "1")
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise GpuConfigError(f"{ENV_JOBS_PER_GPU}={raw!r}: expected a whole number >= 1")
    return value


def slot_count(
    env: Mapping[str, str] | None = None, probe: Callable[[], list[str]] = nvidia_smi_ids
) -> int:
    """How many GPU jobs may run at once on this machine: GPUs x jobs per GPU (0: no GPU)."""
    return len(device_pool(env, probe)) * jobs_per_gpu(env)


def in_slurm_job(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return "SLURM_JOB_ID" in env


# --- Machine policy of the jobs (common.smk's `threads:` and `resources:`, at DAG time) --------
# README "Local GPUs", "SLURM"; the profiles hold the rest (partitions, retries, default memory).

#: Datasets read from image files by DataLoader workers (lsrepro.data.imagenet): their jobs get
#: the CPUs to decode (~150-250 images/s per core; Inception-v4 trains at ~1500 images/s on one
#: H100 in bf16, an estimate) and the memory for the workers.
STREAMED_DATASETS = ("imagenet",)
#: GPUs of a streamed training job on a cluster: one 8-GPU node, data-parallel (DDP, one process
#: per GPU: lsrepro.training.parallel). Locally a job binds one GPU (:func:`bind_gpu`) and reaches
#: the batch by gradient accumulation alone.
STREAMED_GPUS = 8


def on_cluster(nodes: int | None, env: Mapping[str, str] | None = None) -> bool:
    """Whether SLURM assigns the GPUs: a cluster executor (``--jobs`` sets Snakemake's
    ``workflow.nodes``) or this process inside a SLURM job."""
    return nodes is not None or in_slurm_job(env)


def local_gpu_limit(
    nodes: int | None,
    global_resources: Mapping[str, Any],
    env: Mapping[str, str] | None = None,
    probe: Callable[[], list[str]] = nvidia_smi_ids,
) -> dict[str, int]:
    """The ``gpu`` entry a local run adds to Snakemake's global resources: at most (GPUs x
    LSREPRO_JOBS_PER_GPU) GPU jobs at once, whatever --cores says. Nothing (``{}``) when
    ``--resources gpu=N`` already set it, on a cluster (SLURM assigns the GPUs), or without a
    GPU (the GPU rules then run on the CPU, unlimited)."""
    if "gpu" in global_resources or on_cluster(nodes, env):
        return {}
    slots = slot_count(env, probe)
    return {"gpu": slots} if slots else {}


def streamed(dataset: str | None) -> bool:
    """Whether a job's images are decoded from files (None: not an image run, e.g. translation)."""
    return dataset in STREAMED_DATASETS


def train_gpus(streamed: bool, cluster: bool) -> int:
    """GPUs of one training job: a whole node for a streamed dataset on a cluster, else one."""
    return STREAMED_GPUS if cluster and streamed else 1


def train_threads(streamed: bool, gpus: int) -> int:
    """CPUs of one training job: 12 decoding workers per GPU for a streamed dataset, else 4."""
    return 12 * gpus if streamed else 4


def train_mem_mb(streamed: bool, gpus: int) -> int:
    return 32000 * gpus if streamed else 8000


def evaluate_threads(streamed: bool) -> int:
    return 16 if streamed else 2


def evaluate_mem_mb(streamed: bool) -> int:
    return 32000 if streamed else 8000


def evaluate_minutes(streamed: bool, attempt: int) -> int:
    """Minutes for one inference job (evaluate: val, test and a train sample; also teacher
    caching, MI and the token rules): ImageNet (~150k images through Inception-v4, decoded
    from JPEG) gets 3 h; each retry doubles, triples, ... the limit."""
    return (180 if streamed else 30) * attempt


@dataclass(frozen=True)
class Binding:
    """What :func:`bind_gpu` decided for this process."""

    device: str | None  # the device id now in CUDA_VISIBLE_DEVICES; None: run on the CPU
    how: str  # "slot" (local lock), "slurm" (left to SLURM), "cpu"
    sharing: int = 0  # other jobs holding a slot on the same device when this one bound


def _slot_path(lock_dir: Path, device: str, slot: int) -> Path:
    return lock_dir / f"gpu-{re.sub(r'[^A-Za-z0-9_.-]', '_', device)}.{slot}.lock"


def _try_lock(path: Path) -> IO[bytes] | None:
    """An open, exclusively flock-ed handle on ``path``, or None if another holder has it."""
    f = open(path, "ab")  # the handle is the lock: the caller closes it
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        return None
    return f


def acquire_slot(pool: list[str], lock_dir: Path) -> tuple[str, int, IO[bytes]]:
    """Lock a slot on the least-loaded device of ``pool``: (device, holders before us, handle).

    Keep the handle open for as long as the device is in use; closing it (or exiting) frees it.
    Ties go to the device listed first, so the first jobs land on distinct GPUs in pool order.
    """
    if not pool:
        raise ValueError("acquire_slot needs at least one device")
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / "allocator.lock", "ab") as mutex:
        fcntl.flock(mutex, fcntl.LOCK_EX)  # held for milliseconds; released on close
        best: tuple[int, int, str, int] | None = None  # (holders, pool index, device, free slot)
        for index, device in enumerate(pool):
            holders, free = 0, None
            slot = 0
            while (path := _slot_path(lock_dir, device, slot)).exists():
                handle = _try_lock(path)
                if handle is None:
                    holders += 1
                else:
                    handle.close()
                    if free is None:
                        free = slot
                slot += 1
            if free is None:
                free = slot  # every existing slot is held: the next one (created on locking)
            if best is None or (holders, index) < best[:2]:
                best = (holders, index, device, free)
        holders, _, device, free = best
        handle = _try_lock(_slot_path(lock_dir, device, free))
        assert handle is not None  # under the mutex nobody else can have taken it
        return device, holders, handle


@contextmanager
def bind_gpu(
    gpus: int,
    *,
    env: MutableMapping[str, str] | None = None,
    lock_dir: Path | str | None = None,
    probe: Callable[[], list[str]] = nvidia_smi_ids,
) -> Iterator[Binding]:
    """Give this process one GPU of the local pool for the duration of the block.

    Call it before anything initialises CUDA (``torch.cuda.*``); importing torch is fine.
    ``gpus`` is the job's ``resources.gpu``: 0 hides every GPU (the job runs on the CPU), 1 binds
    one device; more than one per job is not supported locally. ``env`` defaults to os.environ.
    """
    env = os.environ if env is None else env
    if "torch" in sys.modules and sys.modules["torch"].cuda.is_initialized():
        raise RuntimeError("bind_gpu() must run before CUDA is initialised in this process")
    if gpus <= 0:
        env["CUDA_VISIBLE_DEVICES"] = ""
        yield Binding(None, "cpu")
        return
    if in_slurm_job(env):
        yield Binding(env.get("CUDA_VISIBLE_DEVICES") or None, "slurm")
        return
    if gpus > 1:
        raise GpuConfigError(f"a local job can bind one GPU, not {gpus} (resources: gpu)")
    pool = device_pool(env, probe)
    if not pool:
        yield Binding(None, "cpu")
        return
    device, holders, handle = acquire_slot(
        pool, Path(lock_dir or env.get(ENV_LOCK_DIR) or DEFAULT_LOCK_DIR)
    )
    try:
        env["CUDA_VISIBLE_DEVICES"] = device  # stays narrowed: CUDA reads it once per process
        yield Binding(device, "slot", holders)
    finally:
        handle.close()


def describe(binding: Binding) -> str:
    """One log line about the binding."""
    if binding.how == "slurm":
        return f"GPU binding left to SLURM: CUDA_VISIBLE_DEVICES={binding.device or ''}"
    if binding.device is None:
        return "no GPU for this job: running on the CPU"
    shared = f", shared with {binding.sharing} other job(s)" if binding.sharing else ""
    return f"bound to GPU {binding.device} (CUDA_VISIBLE_DEVICES={binding.device}){shared}"


def git_commit(cwd: Path | str | None = None) -> str:
    """The workflow's git commit (with ``-dirty`` when the tree has changes), or ``unknown``."""
    cwd = Path(cwd) if cwd else Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


def library_versions() -> dict[str, str]:
    import torch
    import torchvision

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "numpy": np.__version__,
        "lsrepro": lsrepro.__version__,
    }


#: Exit code of a job that a retry can finish (EX_TEMPFAIL): preempted, checkpoint saved.
RETRY_EXIT_CODE = 75
# Errors a second attempt can get past; every other uncaught error fails the same way again.
_TRANSIENT = (ConnectionError, TimeoutError, KeyboardInterrupt)
_job: dict[str, Any] = {}  # the running job's log and attempt (set by setup_logging)


def attempt_log(log_file: Path | str, attempt: int) -> Path:
    """Where attempt ``attempt`` of a job keeps its log once it has failed (Snakemake deletes
    the declared log before the next attempt runs): ``train/x.log`` -> ``train/x.attempt~1.log``."""
    log = Path(log_file)
    return log.with_name(f"{log.stem}.attempt~{attempt}{log.suffix}")


def failure_record(log_file: Path | str) -> Path:
    """JSON beside the log: the attempt that failed in a way no retry can fix, and its error."""
    log = Path(log_file)
    return log.with_name(f"{log.stem}.failed.json")


def setup_logging(log_file: Path | str | None, attempt: int | None = None) -> None:
    """Log INFO to ``log_file`` (a Snakemake job's ``log:``) and to stderr.

    With ``attempt`` (the rule's ``resources: attempt``), retries are limited to what a retry
    can fix. A failed attempt keeps its log as :func:`attempt_log`; one that failed with an
    error that will recur (divergence, corrupt input, a full disk: any uncaught error but a
    transient one) also writes :func:`failure_record`, and a later attempt of the same run
    finds it and stops at once, saying why. Preemption (:func:`exit_for_retry`, exit 75) and
    a killed job (no record) are retried. Attempt 1 of a new ``snakemake`` run starts clean.
    """
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, mode="a"))
    logging.basicConfig(
        level=logging.INFO,
        handlers=handlers,
        force=True,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    _job.clear()
    if log_file and attempt is not None:
        _job.update(log=Path(log_file), attempt=int(attempt))
        _refuse_a_pointless_retry(Path(log_file), int(attempt))

    def log_uncaught(kind: type[BaseException], error: BaseException, tb: Any) -> None:
        # Snakemake points at a failed job's log file: the error must be in it, not only on stderr.
        log = logging.getLogger("lsrepro")
        log.critical("job failed", exc_info=(kind, error, tb))
        full = disk_full_cause(error)
        if full is not None and not isinstance(error, DiskFullError):
            # show-failed-logs shows the end of the log: say the real cause last, plainly.
            where = f" ({full.filename})" if full.filename else ""
            log.critical(
                "job failed because the disk is full: %s%s; free space and run again",
                os.strerror(full.errno),
                where,
            )
        if _job and not isinstance(error, _TRANSIENT):
            record = {"attempt": _job["attempt"], "error": f"{kind.__name__}: {error}"}
            write_json(failure_record(_job["log"]), record)
        _keep_attempt_log()

    sys.excepthook = log_uncaught


def _refuse_a_pointless_retry(log: Path, attempt: int) -> None:
    record = failure_record(log)
    if attempt <= 1:
        record.unlink(missing_ok=True)  # a new snakemake run: the user may have fixed it
        return
    if not record.is_file():
        logging.getLogger("lsrepro").info(
            "attempt %d: the previous attempt was stopped (preempted or killed); its log: %s",
            attempt,
            attempt_log(log, attempt - 1),
        )
        return
    failed = json.loads(record.read_text())
    logging.getLogger("lsrepro").critical(
        "not retried, it would fail the same way: attempt %d failed with %s (log: %s). Fix the "
        "cause and run the workflow again",
        failed["attempt"],
        failed["error"].splitlines()[0] if failed["error"] else "an error",
        attempt_log(log, failed["attempt"]),
    )
    raise SystemExit(1)


def _keep_attempt_log() -> None:
    if not _job or not _job["log"].is_file():
        return
    for handler in logging.getLogger().handlers:
        handler.flush()
    shutil.copyfile(_job["log"], attempt_log(_job["log"], _job["attempt"]))


def exit_for_retry(reason: object) -> None:
    """End a job that a retry can finish (preempted, checkpoint saved): log ``reason``, keep
    this attempt's log and exit with :data:`RETRY_EXIT_CODE`."""
    logging.getLogger("lsrepro").warning("%s; exit %d, a retry resumes", reason, RETRY_EXIT_CODE)
    _keep_attempt_log()
    sys.exit(RETRY_EXIT_CODE)


def pick_device() -> str:
    """CUDA when present (the GPU the job was bound to), CPU otherwise."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def configure_torch(threads: int) -> str:
    import torch  # not at module top: common.smk imports this module at DAG time

    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    device = pick_device()
    if device == "cuda":
        torch.backends.cudnn.benchmark = True
    return device


@contextmanager
def gpu_job(job: Any) -> Iterator[Binding]:
    """The frame of every GPU rule's script: log to the job's ``log:`` file, bind this process to
    one GPU of the local pool (:func:`bind_gpu`, before anything initialises CUDA) and log the
    binding under the rule's name. ``job``: Snakemake's ``snakemake`` object (``log``,
    ``resources``, ``rule``)."""
    setup_logging(job.log[0], attempt=job.resources.get("attempt"))
    with bind_gpu(job.resources.get("gpu", 0)) as binding:
        logging.getLogger(job.rule).info("%s", describe(binding))
        yield binding
