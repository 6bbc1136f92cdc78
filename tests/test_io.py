"""A full disk (issue 20, item 5): the error and the job log's last line name the real cause
(No space left on device) and the path, whatever the writer raised on top of ENOSPC; nothing
finished is lost and no temporary file stays behind."""

import errno
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from lsrepro.io import DiskFullError, atomic_torch_save, atomic_write, disk_full_cause

SCRIPTS = Path(__file__).resolve().parents[1] / "workflow" / "scripts"


@pytest.fixture
def full_fs(tmp_path):
    """A 64 KiB tmpfs (a real full file system); skipped where mounting is not allowed."""
    where = tmp_path / "tiny"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield where
    subprocess.run(["umount", str(where)], check=True)


def _write_dev_full(f):
    """The write boundary failing with a real ENOSPC from the kernel (/dev/full)."""
    fd = os.open("/dev/full", os.O_WRONLY)
    try:
        os.write(fd, b"x")
    finally:
        os.close(fd)


def test_a_torch_save_on_a_full_disk_names_the_cause_and_the_path(full_fs):
    out = full_fs / "model.pt"
    atomic_torch_save({"w": torch.ones(4)}, out)  # a finished output ...
    with pytest.raises(DiskFullError, match=r"No space left on device while writing .*model\.pt"):
        atomic_torch_save({"w": torch.zeros(100_000)}, out)  # ... and its rewrite runs out
    assert torch.equal(torch.load(out)["w"], torch.ones(4))  # the finished one is untouched
    assert sorted(p.name for p in full_fs.iterdir()) == ["model.pt"]  # no temporary left


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_enospc_under_another_error_is_found(tmp_path):
    with pytest.raises(DiskFullError) as error:
        atomic_write(tmp_path / "a.bin", _write_dev_full)
    assert error.value.errno == errno.ENOSPC and error.value.filename == str(tmp_path / "a.bin")
    assert list(tmp_path.iterdir()) == []
    wrapped = RuntimeError("unexpected pos 704 vs 598")
    wrapped.__context__ = OSError(errno.ENOSPC, "No space left on device")
    assert disk_full_cause(wrapped) is wrapped.__context__
    assert disk_full_cause(RuntimeError("other")) is None


def _job_log(tmp_path, body: str) -> list[str]:
    """Run ``body`` as a job script (setup_logging as every adapter does); its log's lines."""
    log = tmp_path / "job.log"
    script = f"from lsrepro.runtime import setup_logging\nsetup_logging({str(log)!r})\n{body}"
    env = {**os.environ, "PYTHONPATH": str(SCRIPTS)}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True)
    assert proc.returncode != 0
    return [line for line in log.read_text().splitlines() if line.strip()]


def test_the_last_log_line_of_a_job_that_filled_the_disk_says_so(tmp_path, full_fs):
    body = textwrap.dedent(f"""
        import torch
        from lsrepro.io import atomic_torch_save
        atomic_torch_save({{"w": torch.zeros(100_000)}}, {str(full_fs / "model.pt")!r})
    """)
    last = _job_log(tmp_path, body)[-1]
    assert "DiskFullError" in last and "No space left on device while writing" in last
    assert str(full_fs / "model.pt") in last


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_a_full_disk_outside_the_atomic_writers_is_named_last(tmp_path):
    body = "open('/dev/full', 'w', buffering=1).write('row\\n')\n"  # e.g. a figure or a log
    lines = _job_log(tmp_path, body)
    assert "job failed because the disk is full: No space left on device" in lines[-1]


# --- stale temporary files (issue 20, item 7) ---------------------------------------------------


def _temporary(directory: Path, name: str, age_s: float) -> Path:
    """A temporary file exactly as atomic_path makes it, last written ``age_s`` ago."""
    import tempfile
    import time

    directory.mkdir(parents=True, exist_ok=True)
    fd, path = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    os.write(fd, b"half-written")
    os.close(fd)
    os.utime(path, (time.time() - age_s, time.time() - age_s))
    return Path(path)


def test_stale_temporaries_are_swept_and_live_ones_kept(tmp_path):
    from lsrepro.io import STALE_AFTER_S, sweep_stale_temporaries

    old = _temporary(tmp_path / "teacher_outputs/a/seed~0", "logits.npz", STALE_AFTER_S + 60)
    live = _temporary(tmp_path / "evaluate/b", "val.npz", 5)  # a writer still at work
    kept = [tmp_path / "evaluate/b/.hidden.tmp", tmp_path / "evaluate/b/val.npz"]
    for path in kept:
        path.write_text("not a temporary of atomic_path")
        os.utime(path, (0, 0))
    assert sweep_stale_temporaries(tmp_path) == [old]
    assert not old.exists() and live.exists() and all(p.exists() for p in kept)


@pytest.mark.slow
def test_snakemake_sweeps_them_before_the_jobs_start(tmp_path):
    from lsrepro.io import STALE_AFTER_S
    from workflow_runs import fresh_copy, snakemake, write_synthetic_inputs

    wd = write_synthetic_inputs(fresh_copy(tmp_path))
    # A killed cache_teacher_outputs of a teacher this config no longer wants.
    gone = _temporary(wd / "results/teacher_outputs/x/alpha~0.3/seed~9", "logits.npz", 2 * 3600)
    assert 2 * 3600 > STALE_AFTER_S
    snakemake(
        "results/data/mnist/split.npz",
        *("--cores", "1", "--configfile", "synthetic.yaml"),
        cwd=wd,
    )
    assert not gone.exists()
