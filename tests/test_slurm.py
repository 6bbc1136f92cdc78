"""The synthetic workflow through a real SLURM cluster with `--executor slurm` and fake GPUs.

Needs a running cluster (``.ci/slurm-up.sh`` brings one up: one node, 2 fake GPUs, no slurmdbd);
skipped when ``sinfo`` cannot reach one. Runs the shipped ``profiles/slurm`` with only what the
test cluster needs on top: its partition instead of the placeholders, small memory and one CPU
per job (2-CPU node), and ``squeue`` as the status command (no slurmdbd, so no sacct; a real
cluster keeps the plugin's sacct default). About 4 minutes on 2 cores.

    .ci/slurm-up.sh && python -m pytest -m slurm; .ci/slurm-down.sh
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import torch

from workflow_runs import fresh_copy, job_counts, snakemake, write_synthetic_inputs

pytestmark = pytest.mark.slurm

CIFAR = "cifar10_resnet56/alpha~0.0/seed~0"
MNIST = "mnist_fc_ls/alpha~0.1/seed~0"
# The plugin names a job's log folder and comment by its wildcards with "/" replaced by "_".
MNIST_SLURM = MNIST.replace("/", "_")
TARGETS = [f"results/evaluate/{run}/test.npz" for run in (CIFAR, MNIST)]
LOCAL_RULES = {"all", "prepare_data"}
TIMEOUT = 420  # per snakemake call; a status-command mistake makes snakemake hang forever

EXTRA_CONFIGS = {
    # a recipe change that touches the MNIST experiment only
    "changed.yaml": "recipes:\n  mlp1200:\n    steps: 8\n",
    # training that diverges at once: a failing job
    "diverge.yaml": "recipes:\n  mlp1200:\n    steps: 8\n    optimizer: {lr: 1.0e+30}\n",
    # training long enough (~20 s) to be preempted half-way
    "long.yaml": (
        "recipes:\n  mlp1200:\n    steps: 15000\n    log_every: 250\n    checkpoint_every: 5000\n"
    ),
}


def sinfo(fmt: str) -> str | None:
    try:
        proc = subprocess.run(
            ["sinfo", "-h", "-o", fmt], capture_output=True, text=True, timeout=15
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else None


@pytest.fixture(scope="module")
def partition() -> str:
    if sinfo("%P") is None:
        pytest.skip("no SLURM cluster reachable (sinfo failed); see .ci/slurm-up.sh")
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        pytest.fail("a SLURM cluster is up but not the executor plugin: pip install -e '.[slurm]'")
    gres = sinfo("%G") or ""
    assert "gpu" in gres, f"the test cluster needs GPUs (fake ones do: FAKE_GPUS=2), got {gres!r}"
    return sinfo("%P").split()[0].rstrip("*")


@pytest.fixture(scope="module")
def cluster_workdir(partition, tmp_path_factory):
    wd = tmp_path_factory.mktemp("slurm") / "workflow"
    wd.mkdir()
    write_synthetic_inputs(fresh_copy(wd))
    for name, text in EXTRA_CONFIGS.items():
        (wd / name).write_text(text)
    run_ids: list[str] = []
    yield wd, run_ids
    for run_id in run_ids:  # leave nothing queued behind, whatever happened
        subprocess.run(["scancel", "--name", run_id], capture_output=True)


def slurm_args(partition: str, *configs: str) -> list[str]:
    return [
        "--workflow-profile",
        "profiles/slurm",
        "--configfile",
        "synthetic.yaml",
        *configs,
        # Test cluster only: no slurmdbd, so poll squeue; poll early.
        "--slurm-status-command",
        "squeue",
        "--slurm-init-seconds-before-status-checks",
        "2",
        # Evidence that each job went through SLURM: its SLURM log, kept even on success.
        "--slurm-keep-successful-logs",
        # The test node (2 CPUs, a few GB, one partition) instead of the profile's placeholders.
        "--default-resources",
        f"slurm_partition={partition}",
        "runtime=10",
        "mem_mb=500",
        "--set-resources",
        f"train:slurm_partition={partition}",
        f"evaluate:slurm_partition={partition}",
        "train:mem_mb=500",
        "evaluate:mem_mb=500",
        "--set-threads",
        "train=1",
        "evaluate=1",
    ]


def run_slurm(cluster_workdir, partition, *targets, configs=(), extra=(), check=True):
    wd, run_ids = cluster_workdir
    cmd = [sys.executable, "-m", "snakemake", *targets, *slurm_args(partition, *configs), *extra]
    proc = subprocess.run(cmd, cwd=wd, text=True, capture_output=True, timeout=TIMEOUT)
    out = proc.stdout + proc.stderr
    run_ids += re.findall(r"SLURM run ID: (\S+)", out)
    if check:
        assert proc.returncode == 0, out
    return proc.returncode, out


def slurm_jobs(run_id: str) -> list[tuple[str, str, str]]:
    """(job id, state, comment) of every SLURM job of one snakemake run."""
    out = subprocess.run(
        ["squeue", "-h", "--states=all", "--name", run_id, "-o", "%i|%T|%k"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [tuple(line.split("|", 2)) for line in out.splitlines() if line.strip()]


def run_id(out: str) -> str:
    ids = re.findall(r"SLURM run ID: (\S+)", out)
    assert len(ids) == 1, out
    return ids[0]


def rule_of(comment: str) -> str:
    return comment.removeprefix("rule_").split("_wildcards_")[0]


def planned(wd: Path, *configs: str) -> Counter:
    """The jobs a (local) dry run schedules for TARGETS."""
    args = ("-n", "--quiet", "rules", "--configfile", "synthetic.yaml", *configs)
    out = snakemake(*TARGETS, *args, cwd=wd)
    text = out.stdout + out.stderr
    return Counter() if "Nothing to be done" in text else job_counts(text)


def weights(path: Path) -> dict[str, torch.Tensor]:
    return torch.load(path, map_location="cpu", weights_only=False)["state_dict"]


def test_every_job_goes_through_slurm_with_its_gpu(cluster_workdir, partition):
    wd, _ = cluster_workdir
    jobs_planned = planned(wd)
    assert jobs_planned == {"split_data": 2, "train": 2, "evaluate": 2}
    _, out = run_slurm(cluster_workdir, partition, *TARGETS)
    jobs = slurm_jobs(run_id(out))
    assert Counter(rule_of(c) for _, _, c in jobs) == jobs_planned
    assert {state for _, state, _ in jobs} == {"COMPLETED"}
    assert "localrule" not in out  # no job ran in this process
    for job_id, _, comment in jobs:  # and each left its SLURM log
        assert list((wd / ".snakemake/slurm_logs").glob(f"rule_{rule_of(comment)}/*/{job_id}.log"))
    # gpu=1 became --gpus=1: SLURM gave each GPU job a (fake) device, and binding was left to it.
    for rule in ("train", "evaluate"):
        for run in (CIFAR, MNIST):
            log = (wd / "results/logs" / rule / f"{run}.log").read_text()
            assert re.search(r"GPU binding left to SLURM: CUDA_VISIBLE_DEVICES=\d", log), log


def test_second_run_does_nothing(cluster_workdir, partition):
    wd, _ = cluster_workdir
    _, out = run_slurm(cluster_workdir, partition, *TARGETS)
    assert "Nothing to be done" in out, out


def test_changed_parameter_reruns_only_the_affected_jobs(cluster_workdir, partition):
    wd, _ = cluster_workdir
    jobs_planned = planned(wd, "changed.yaml")
    assert jobs_planned == {"train": 1, "evaluate": 1}
    cifar_model = wd / "results/train" / CIFAR / "model.pt"
    before = cifar_model.stat().st_mtime_ns
    _, out = run_slurm(cluster_workdir, partition, *TARGETS, configs=["changed.yaml"])
    jobs = slurm_jobs(run_id(out))
    assert sorted(c for _, _, c in jobs) == [
        f"rule_evaluate_wildcards_{MNIST_SLURM}",
        f"rule_train_wildcards_{MNIST_SLURM}",
    ]
    assert cifar_model.stat().st_mtime_ns == before
    assert "Params have changed" in out
    assert job_counts(out) == jobs_planned


def test_failing_job_fails_the_run_and_reports_its_logs(cluster_workdir, partition):
    wd, _ = cluster_workdir
    code, out = run_slurm(
        cluster_workdir,
        partition,
        *TARGETS,
        configs=["diverge.yaml"],
        extra=["--retries", "0"],
        check=False,
    )
    assert code != 0
    assert "Error in rule train" in out
    assert f"results/logs/train/{MNIST}.log" in out  # the rule's own log
    ((job_id, state, comment),) = slurm_jobs(run_id(out))
    assert (state, comment) == ("FAILED", f"rule_train_wildcards_{MNIST_SLURM}")
    slurm_log = f".snakemake/slurm_logs/rule_train/{MNIST_SLURM}/{job_id}.log"
    assert slurm_log in out  # the SLURM log, named in the error report
    assert "loss became nan" in (wd / slurm_log).read_text()
    # Nothing the failed job touched passes for finished: the next run trains it again.
    assert not (wd / "results/train" / MNIST / "model.pt").exists()
    assert planned(wd, "changed.yaml") == {"train": 1, "evaluate": 1}


def wait_for(predicate, timeout: float, what: str, proc: subprocess.Popen | None = None):
    deadline = time.time() + timeout
    while not predicate():
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"snakemake exited ({proc.returncode}) while waiting for {what}")
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_preempted_training_resumes_and_ends_bit_identical(cluster_workdir, partition, tmp_path):
    """SLURM's warning signal (SIGUSR1) reaches the training job: it saves a checkpoint and
    exits 75, the profile's retry resubmits it, and it resumes to the uninterrupted weights."""
    wd, run_ids = cluster_workdir
    target = f"results/train/{MNIST}/model.pt"
    log = wd / "results/logs/train" / f"{MNIST}.log"
    cmd = [sys.executable, "-m", "snakemake", target, *slurm_args(partition, "long.yaml")]
    out_path = tmp_path / "snakemake.out"
    with open(out_path, "w") as out_file:
        proc = subprocess.Popen(cmd, cwd=wd, stdout=out_file, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: log.exists() and "step 2000/" in log.read_text(), 180, "training", proc)
        running = subprocess.run(
            ["squeue", "-h", "-t", "RUNNING", "-o", "%i|%k"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        (job_id,) = [j for j, c in (r.split("|") for r in running) if "rule_train" in c]
        subprocess.run(["scancel", "--signal=USR1", job_id], check=True)
        proc.wait(TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        out = out_path.read_text()
        run_ids += re.findall(r"SLURM run ID: (\S+)", out)
    assert proc.returncode == 0, out

    first = (wd / f".snakemake/slurm_logs/rule_train/{MNIST_SLURM}/{job_id}.log").read_text()
    stopped = re.search(r"received signal SIGUSR1 at step (\d+); checkpoint saved", first)
    assert stopped, first
    assert f"resuming from results/train/{MNIST}/checkpoint.pt at step {stopped[1]}" in (
        log.read_text()
    )
    assert "Trying to restart job" in out
    states = sorted(s for _, s, _ in slurm_jobs(run_id(out)))
    assert states == ["COMPLETED", "FAILED"]
    # kept after the run, small: without optimizer state (a rejected job is not trained again)
    finished = torch.load(wd / "results/train" / MNIST / "checkpoint.pt", weights_only=False)
    assert finished["finished"] and finished["optimizer"] is None

    # The same training uninterrupted, locally on the CPU (gpu=0) with the same single thread.
    preempted = weights(wd / target)
    shutil.move(wd / target, tmp_path / "preempted.pt")
    # without the finished checkpoint, or the forced re-run would just rewrite the outputs from it
    (wd / "results/train" / MNIST / "checkpoint.pt").unlink()
    local = ("--cores", "1", "--set-threads", "train=1", "--set-resources", "train:gpu=0")
    local += ("--forcerun", "train")
    snakemake(target, *local, "--configfile", "synthetic.yaml", "long.yaml", cwd=wd)
    uninterrupted = weights(wd / target)
    assert "resuming" not in log.read_text()
    assert preempted.keys() == uninterrupted.keys()
    for name, tensor in uninterrupted.items():
        assert torch.equal(preempted[name], tensor), name
