"""Retries (issue 20, item 6): Snakemake re-runs only what a retry can fix, and keeps every
attempt's log. Real snakemake runs: a tiny workflow whose jobs behave like the project's
(preempted: exit 75 after a checkpoint; divergence: an uncaught error), and the project's own
train rule diverging on the synthetic data."""

import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml

from workflow_runs import fresh_copy, snakemake, write_synthetic_inputs

SCRIPTS = Path(__file__).resolve().parents[1] / "workflow" / "scripts"

SNAKEFILE = f"""
import sys
sys.path.insert(0, {str(SCRIPTS)!r})


def attempt_number(wildcards, attempt):
    return attempt


rule all:
    input:
        expand("{{name}}.out", name=["preempted", "diverges", "flaky"]),


rule job:
    output:
        "{{name}}.out",
    log:
        "logs/{{name}}.log",
    resources:
        attempt=attempt_number,
    script:
        "job.py"
"""

JOB = """
import logging
from pathlib import Path

from lsrepro.runtime import exit_for_retry, setup_logging
from lsrepro.training import DivergenceError

setup_logging(snakemake.log[0], attempt=snakemake.resources.get("attempt"))
name = snakemake.wildcards.name
runs = Path(f"{name}.runs")
n = int(runs.read_text()) + 1 if runs.exists() else 1
runs.write_text(str(n))
logging.getLogger("job").info("%s: run %d", name, n)
if name == "preempted" and n == 1:
    exit_for_retry("SIGTERM at step 3: checkpoint saved")
if name == "diverges":
    raise DivergenceError("loss is nan at step 7 (last finite loss 2.3)")
if name == "flaky" and n == 1:
    raise ConnectionError("mirror unreachable")
Path(snakemake.output[0]).write_text("done")
"""


def run(wd: Path, *args: str):
    return snakemake("--cores", "1", "--keep-going", "--retries", "2", *args, cwd=wd, check=False)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """The tiny workflow run once for the module: the first test reads it, the second goes on
    from a copy of it (each of its jobs starts a Python that imports torch: not cheap)."""
    wd = tmp_path_factory.mktemp("tiny")
    (wd / "Snakefile").write_text(SNAKEFILE)
    (wd / "job.py").write_text(textwrap.dedent(JOB))
    return wd, run(wd)


def test_only_what_a_retry_can_fix_is_retried_and_every_log_is_kept(first_run):
    tiny, proc = first_run
    assert proc.returncode != 0  # the diverging job fails
    runs = {n: int((tiny / f"{n}.runs").read_text()) for n in ("preempted", "diverges", "flaky")}
    # Preempted (exit 75) and a transient error are retried and finish on the second attempt;
    # divergence runs once: the two retries stop before the job's work (the counter).
    assert runs == {"preempted": 2, "diverges": 1, "flaky": 2}
    assert (tiny / "preempted.out").is_file() and (tiny / "flaky.out").is_file()
    logs = tiny / "logs"
    # Both attempts' logs survive Snakemake deleting the log before each retry.
    assert "exit 75, a retry resumes" in (logs / "preempted.attempt~1.log").read_text()
    assert "attempt 2: the previous attempt was stopped" in (logs / "preempted.log").read_text()
    assert "preempted: run 2" in (logs / "preempted.log").read_text()
    first = (logs / "diverges.attempt~1.log").read_text()
    assert "DivergenceError: loss is nan at step 7" in first
    last = (logs / "diverges.log").read_text().strip().splitlines()[-1]
    assert (
        "not retried, it would fail the same way: attempt 1 failed with DivergenceError: "
        "loss is nan at step 7" in last
    )
    assert str(Path("logs/diverges.attempt~1.log")) in last


def test_a_new_run_tries_again_after_the_cause_is_fixed(first_run, tmp_path):
    tiny = Path(shutil.copytree(first_run[0], tmp_path / "tiny"))  # after the failed run
    job = tiny / "job.py"
    job.write_text(job.read_text().replace('name == "diverges"', "False"))
    proc = run(tiny)
    assert proc.returncode == 0, proc.stderr
    assert (tiny / "diverges.out").is_file()
    assert int((tiny / "diverges.runs").read_text()) == 2  # once per snakemake run
    assert not (tiny / "logs" / "diverges.failed.json").exists()


@pytest.mark.slow
def test_the_train_rule_does_not_retry_a_divergence(tmp_path):
    """The project's own rule: a learning rate of 1e30 diverges; the profile's retry stops."""
    wd = write_synthetic_inputs(fresh_copy(tmp_path))
    (wd / "diverge.yaml").write_text(
        yaml.safe_dump({"recipes": {"mlp800": {"optimizer": {"lr": 1.0e30}}}})
    )
    experiment = "mnist_fc_student"  # recipe mlp800
    run_dir = f"results/train/{experiment}/alpha~0.0/seed~0"
    proc = snakemake(
        f"{run_dir}/model.pt",
        *("--cores", "1", "--retries", "1"),
        *("--configfile", "synthetic.yaml", "diverge.yaml"),
        cwd=wd,
        check=False,
    )
    assert proc.returncode != 0
    log = wd / f"results/logs/train/{experiment}/alpha~0.0/seed~0.log"
    first = log.with_name("seed~0.attempt~1.log").read_text()
    assert "DivergenceError" in first
    assert (
        "not retried, it would fail the same way: attempt 1 failed with DivergenceError"
        in log.read_text().splitlines()[-1]
    )
    assert not (wd / run_dir / "model.pt").exists()
