"""Local GPU binding, tested with fake device ids: no GPU needed for the bookkeeping."""

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from lsrepro import runtime
from workflow_runs import ROOT, snakemake

SCRIPTS = ROOT / "workflow" / "scripts"

# A job that binds, reports its device, then holds the slot until told to stop (or killed).
HOLDER = """
import sys, time
from pathlib import Path
from lsrepro.runtime import bind_gpu
with bind_gpu(1) as b:
    Path(sys.argv[1]).write_text(f"{b.device} {b.sharing}")
    while not Path(sys.argv[2]).exists():
        time.sleep(0.02)
"""


def no_probe() -> list[str]:
    raise AssertionError("nvidia-smi must not be consulted when the pool is given")


def test_device_pool_sources_in_order():
    assert runtime.device_pool({"LSREPRO_GPU_IDS": "a, b,c"}, no_probe) == ["a", "b", "c"]
    env = {"LSREPRO_GPU_IDS": "3", "CUDA_VISIBLE_DEVICES": "0,1"}
    assert runtime.device_pool(env, no_probe) == ["3"]
    assert runtime.device_pool({"CUDA_VISIBLE_DEVICES": "2,GPU-ab12"}, no_probe) == [
        "2",
        "GPU-ab12",
    ]
    assert runtime.device_pool({"CUDA_VISIBLE_DEVICES": ""}, no_probe) == []
    assert runtime.device_pool({"CUDA_VISIBLE_DEVICES": "1,-1,2"}, no_probe) == ["1"]  # as CUDA
    assert runtime.device_pool({}, lambda: ["0", "1"]) == ["0", "1"]


def test_no_nvidia_smi_means_no_gpu(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi anywhere
    assert runtime.nvidia_smi_ids() == []
    assert runtime.slot_count({}) == 0


def test_slot_count_is_gpus_times_jobs_per_gpu():
    probe = lambda: ["0", "1", "2"]  # noqa: E731
    assert runtime.slot_count({}, probe) == 3
    assert runtime.slot_count({"LSREPRO_JOBS_PER_GPU": "2"}, probe) == 6
    for bad in ("0", "-1", "two"):
        with pytest.raises(runtime.GpuConfigError, match="LSREPRO_JOBS_PER_GPU"):
            runtime.slot_count({"LSREPRO_JOBS_PER_GPU": bad}, probe)


def test_binding_narrows_cuda_visible_devices_and_releases(tmp_path):
    env = {"LSREPRO_GPU_IDS": "g0,g1"}
    with runtime.bind_gpu(1, env=env, lock_dir=tmp_path) as first:
        assert (first.device, first.how, env["CUDA_VISIBLE_DEVICES"]) == ("g0", "slot", "g0")
        inner = {"LSREPRO_GPU_IDS": "g0,g1"}
        with runtime.bind_gpu(1, env=inner, lock_dir=tmp_path) as second:
            assert second.device == "g1" and inner["CUDA_VISIBLE_DEVICES"] == "g1"
        with runtime.bind_gpu(1, env=inner, lock_dir=tmp_path) as third:
            assert third.device == "g1"  # g1 was released when `second` ended
    with runtime.bind_gpu(1, env=env, lock_dir=tmp_path) as again:
        assert again.device == "g0" and again.sharing == 0


def test_gpu_0_hides_devices_and_slurm_is_left_alone(tmp_path):
    env = {"LSREPRO_GPU_IDS": "g0"}
    with runtime.bind_gpu(0, env=env, lock_dir=tmp_path) as b:
        assert b.device is None and env["CUDA_VISIBLE_DEVICES"] == ""
    env = {"SLURM_JOB_ID": "17", "CUDA_VISIBLE_DEVICES": "3", "LSREPRO_GPU_IDS": "g0"}
    with runtime.bind_gpu(1, env=env, lock_dir=tmp_path / "slurm") as b:
        assert (b.device, b.how, env["CUDA_VISIBLE_DEVICES"]) == ("3", "slurm", "3")
    assert not (tmp_path / "slurm").exists()  # no locks taken under SLURM
    with runtime.bind_gpu(1, env={"CUDA_VISIBLE_DEVICES": ""}, lock_dir=tmp_path) as b:
        assert b.device is None and b.how == "cpu"
    with pytest.raises(runtime.GpuConfigError, match="one GPU"):
        with runtime.bind_gpu(2, env={"LSREPRO_GPU_IDS": "g0,g1"}, lock_dir=tmp_path):
            pass


def test_describe():
    assert "bound to GPU 1" in runtime.describe(runtime.Binding("1", "slot"))
    assert "shared with 2 other job(s)" in runtime.describe(runtime.Binding("1", "slot", 2))
    assert "CPU" in runtime.describe(runtime.Binding(None, "cpu"))
    assert "left to SLURM" in runtime.describe(runtime.Binding("0", "slurm"))


def start_holders(n: int, tmp_path: Path, ids: str, jobs_per_gpu: int = 1, tag: str = ""):
    env = {
        **os.environ,
        "PYTHONPATH": str(SCRIPTS),
        "LSREPRO_GPU_IDS": ids,
        "LSREPRO_JOBS_PER_GPU": str(jobs_per_gpu),
        "LSREPRO_GPU_LOCK_DIR": str(tmp_path / "locks"),
    }
    stop = tmp_path / f"stop{tag}"
    reports = [tmp_path / f"holder{tag}{i}.txt" for i in range(n)]
    procs = [
        subprocess.Popen([sys.executable, "-c", HOLDER, str(r), str(stop)], env=env)
        for r in reports
    ]
    return procs, reports, stop


def wait_reports(reports: list[Path], timeout: float = 60) -> list[tuple[str, int]]:
    deadline = time.time() + timeout
    while not all(r.exists() and r.read_text() for r in reports):
        assert time.time() < deadline, "holders did not report"
        time.sleep(0.05)
    return [(d, int(s)) for d, s in (r.read_text().split() for r in reports)]


def test_concurrent_processes_get_distinct_gpus_and_crashes_free_them(tmp_path):
    procs, reports, stop = start_holders(3, tmp_path, "fake0,fake1,fake2")
    try:
        got = wait_reports(reports)
        assert sorted(d for d, _ in got) == ["fake0", "fake1", "fake2"]
        assert all(s == 0 for _, s in got)
        # A job killed without any chance to clean up frees its GPU: the kernel drops the lock.
        victim = procs[1]
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        late, late_reports, late_stop = start_holders(1, tmp_path, "fake0,fake1,fake2", tag="L")
        assert wait_reports(late_reports) == [(got[1][0], 0)]
        late_stop.touch()
        assert late[0].wait(30) == 0
    finally:
        stop.touch()
        for p in procs:
            p.wait(30)


def test_two_jobs_per_gpu_fill_the_gpus_evenly(tmp_path):
    procs, reports, stop = start_holders(4, tmp_path, "fake0,fake1", jobs_per_gpu=2)
    try:
        got = wait_reports(reports)
        assert Counter(d for d, _ in got) == {"fake0": 2, "fake1": 2}
        assert sorted(s for _, s in got) == [0, 0, 1, 1]  # the second on each shares it
    finally:
        stop.touch()
        assert all(p.wait(30) == 0 for p in procs)


# Four runs (8 GPU jobs, 4 ready at once) of the synthetic preset's cheapest models: what is
# checked is the binding, which is the same for every model (ResNet-56 cost 3x the CPU time)
TARGETS = [
    "results/evaluate/cifar10_alexnet/alpha~0.0/seed~0/test.npz",
    "results/evaluate/mnist_fc_dropout/alpha~0.0/seed~0/test.npz",
    "results/evaluate/mnist_fc_student/alpha~0.0/seed~0/test.npz",
    "results/evaluate/mnist_fc_ls/alpha~0.1/seed~0/test.npz",
]


def bindings(wd: Path) -> list[str]:
    logs = sorted((wd / "results/logs/train").rglob("*.log"))
    logs += sorted((wd / "results/logs/evaluate").rglob("*.log"))
    lines = [line for log in logs for line in log.read_text().splitlines() if "GPU" in line]
    assert len(lines) == len(logs) == 2 * len(TARGETS)
    return [line.split(": ", 1)[1] for line in lines]


@pytest.mark.slow
def test_workflow_runs_one_job_per_fake_gpu_whatever_cores_says(synthetic_workflow, monkeypatch):
    """--cores 8 and one thread per job would run 8 GPU jobs at once; 2 fake GPUs allow 2."""
    monkeypatch.setenv("LSREPRO_GPU_IDS", "fake0,fake1")
    monkeypatch.delenv("LSREPRO_JOBS_PER_GPU", raising=False)
    monkeypatch.delenv("LSREPRO_GPU_LOCK_DIR", raising=False)
    args = ("--cores", "8", "--set-threads", "train=1", "evaluate=1")
    snakemake(*TARGETS, *args, "--configfile", "synthetic.yaml", cwd=synthetic_workflow)
    lines = bindings(synthetic_workflow)
    # Every GPU job got a fake GPU of its own: nobody shared a device.
    assert all(line.startswith("bound to GPU fake") for line in lines), lines
    assert not any("shared" in line for line in lines), lines
    assert {line.split()[3] for line in lines} == {"fake0", "fake1"}
    assert (synthetic_workflow / ".snakemake/gpu-slots").is_dir()


@pytest.mark.slow
def test_workflow_on_a_machine_without_gpus_runs_on_the_cpu(synthetic_workflow, monkeypatch):
    for var in ("LSREPRO_GPU_IDS", "CUDA_VISIBLE_DEVICES", "SLURM_JOB_ID"):
        monkeypatch.delenv(var, raising=False)
    if shutil.which("nvidia-smi"):
        pytest.skip("this machine has nvidia-smi: not a machine without GPUs")
    snakemake(TARGETS[-1], "--cores", "2", "--configfile", "synthetic.yaml", cwd=synthetic_workflow)
    run = "mnist_fc_ls/alpha~0.1/seed~0.log"
    for rule in ("train", "evaluate"):
        log = (synthetic_workflow / "results/logs" / rule / run).read_text()
        assert "no GPU for this job: running on the CPU" in log
    assert "device cpu" in (synthetic_workflow / "results/logs/train" / run).read_text()


def test_gpu_job_logs_to_the_job_log_and_binds(tmp_path, monkeypatch):
    """The frame of the GPU rules' scripts: the binding (here: no GPU asked for) is in the log."""
    from types import SimpleNamespace

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # setup_logging replaces it
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    job = SimpleNamespace(
        log=[str(tmp_path / "logs" / "job.log")], resources={"gpu": 0}, rule="evaluate"
    )
    with runtime.gpu_job(job) as binding:
        assert binding.how == "cpu" and os.environ["CUDA_VISIBLE_DEVICES"] == ""
    text = (tmp_path / "logs" / "job.log").read_text()
    assert "evaluate: no GPU for this job: running on the CPU" in text
