"""The workflow as a user runs it: lint, a dry run of the paper DAG, a synthetic end-to-end run."""

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from synthetic import write_prepared

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ["Snakefile", "config.yaml", "workflow", "presets", "profiles", "envs"]

PAPER_JOBS = {"prepare_data": 3, "split_data": 3, "train": 105, "evaluate": 105, "all": 1}


def snakemake(*args: str, cwd: Path = ROOT, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", *args], cwd=cwd, text=True, capture_output=True
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def job_counts(output: str) -> Counter:
    """Parse snakemake's 'Job stats' table."""
    table = output.split("Job stats:")[1]
    counts = Counter()
    for line in table.splitlines()[3:]:
        m = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if not m:
            break
        if m.group(1) != "total":
            counts[m.group(1)] = int(m.group(2))
    return counts


def dry_run(cwd: Path, *args: str) -> Counter:
    proc = snakemake("-n", "--quiet", "rules", *args, cwd=cwd)
    if "Nothing to be done" in proc.stdout + proc.stderr:
        return Counter()
    return job_counts(proc.stdout + proc.stderr)


def test_lint_is_silent():
    proc = snakemake("--lint", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Lints for" not in proc.stdout + proc.stderr


def fresh_copy(wd: Path) -> Path:
    """The shipped workflow files, as in a fresh clone (no results/)."""
    for name in SHIPPED:
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, wd / name)
    return wd


def test_paper_dag_dry_run(tmp_path):
    assert dry_run(fresh_copy(tmp_path)) == PAPER_JOBS


def test_bad_config_fails_before_any_job(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("experiments:\n  cifar10_resnet56:\n    alphas: [0.0, 1.5]\n")
    proc = snakemake("-n", "--configfile", str(bad), check=False)
    assert proc.returncode != 0
    assert (
        "experiments.cifar10_resnet56.alphas[1]: 1.5 is greater than or equal to the maximum"
        in (proc.stdout + proc.stderr)
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A copy of the workflow with tiny synthetic prepared datasets in place of the downloads."""
    wd = fresh_copy(tmp_path_factory.mktemp("workflow"))
    shutil.copy(ROOT / "tests" / "synthetic_preset.yaml", wd / "synthetic.yaml")
    write_prepared(wd / "results/data/cifar10/prepared.npz", k=10, n_train=200, n_test=60)
    write_prepared(wd / "results/data/cifar100/prepared.npz", k=100, n_train=400, n_test=100)
    write_prepared(
        wd / "results/data/mnist/prepared.npz", k=10, n_train=200, n_test=60, shape=(28, 28, 1)
    )
    return wd


CONFIG = ("--configfile", "synthetic.yaml")


@pytest.mark.slow
def test_synthetic_end_to_end(workdir):
    expected = {"split_data": 3, "train": 10, "evaluate": 10, "all": 1}
    assert dry_run(workdir, *CONFIG) == expected
    snakemake("--cores", "2", *CONFIG, cwd=workdir)
    for run in [
        "cifar10_resnet56/alpha~0.1/seed~1",
        "cifar100_resnet56/alpha~0.05/seed~0",
        "mnist_fc_ls/alpha~0.1/seed~0",
        "cifar10_alexnet/alpha~0.0/seed~0",
    ]:
        k = 100 if run.startswith("cifar100") else 10
        for split, n in (
            ("train", 30),
            ("val", 100 if k == 100 else 40),
            ("test", 100 if k == 100 else 60),
        ):
            z = np.load(workdir / "results/evaluate" / run / f"{split}.npz")
            assert z["logits"].shape == (n, k) and z["labels"].shape == (n,)
            np.testing.assert_allclose(
                z["logits"], z["features"] @ z["weight"].T + z["bias"], rtol=1e-4, atol=1e-4
            )
        assert (workdir / "results/train" / run / "history.csv").exists()
        assert (workdir / "results/logs/train" / f"{run}.log").read_text().count("step ") >= 3
    snaps = sorted(
        p.name
        for p in (workdir / "results/train/cifar10_resnet56/alpha~0.0/seed~0/snapshots").glob(
            "*.pt"
        )
    )
    assert snaps == ["step~0.pt", "step~4.pt", "step~6.pt"]
    assert dry_run(workdir, *CONFIG) == Counter()  # a second run does nothing
