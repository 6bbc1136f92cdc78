"""The workflow as a user runs it: lint, a dry run of the paper DAG, a synthetic end-to-end run."""

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lsrepro.data import CIFAR10_CLASSES
from synthetic import write_prepared

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ["Snakefile", "config.yaml", "workflow", "presets", "profiles", "envs"]

PER_RUN = ("train", "evaluate", "fit_temperature", "calibration_metrics", "measure_geometry")
PER_EXPERIMENT = ("plot_calibration_vs_alpha", "plot_geometry_vs_alpha")
ONCE = ("tabulate_calibration", "tabulate_geometry", "all")


def expected_jobs(datasets: int, runs: int, experiments: int, reliability: int, projections: int):
    jobs = {"prepare_data": datasets, "split_data": datasets}
    jobs |= {rule: runs for rule in PER_RUN} | {rule: experiments for rule in PER_EXPERIMENT}
    jobs |= {rule: 1 for rule in ONCE}
    return jobs | {"plot_reliability": reliability, "project_penultimate": projections}


# 105 runs: CIFAR-10 ResNet-56 and AlexNet 8 alphas x 5 seeds, CIFAR-100 3 x 5, MNIST 2 x 5;
# 4 reliability diagrams (Fig. 2) and 4 Fig. 1 rows x 2 triplets.
PAPER_JOBS = expected_jobs(datasets=3, runs=105, experiments=5, reliability=4, projections=8)


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
    named = ["beaver", "dolphin", "otter", "maple_tree", "oak_tree"]  # the configured triplets
    cifar100 = named + [f"class{i}" for i in range(len(named), 100)]
    write_prepared(wd / "results/data/cifar10/prepared.npz", CIFAR10_CLASSES, 200, 60)
    write_prepared(wd / "results/data/cifar100/prepared.npz", cifar100, 800, 100)
    mnist = wd / "results/data/mnist/prepared.npz"
    write_prepared(mnist, list("0123456789"), 200, 60, shape=(28, 28, 1))
    return wd


CONFIG = ("--configfile", "synthetic.yaml")


@pytest.mark.slow
def test_synthetic_end_to_end(workdir):
    expected = expected_jobs(datasets=3, runs=11, experiments=5, reliability=4, projections=8)
    del expected["prepare_data"]  # the synthetic prepared files stand in for the downloads
    assert dry_run(workdir, *CONFIG) == expected
    snakemake("--cores", "2", *CONFIG, cwd=workdir)
    for run in [
        "cifar10_resnet56/alpha~0.1/seed~1",
        "cifar100_resnet56/alpha~0.05/seed~0",
        "mnist_fc_ls/alpha~0.1/seed~0",
        "cifar10_alexnet/alpha~0.0/seed~0",
    ]:
        k = 100 if run.startswith("cifar100") else 10
        sizes = (
            {"train": 500, "val": 300, "test": 100}
            if k == 100
            else {"train": 160, "val": 40, "test": 60}
        )
        for split, n in sizes.items():
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
    tables = workdir / "results/tables"
    per_seed = pd.read_csv(tables / "calibration_per_seed.csv")
    assert len(per_seed.groupby(["experiment", "alpha", "seed"])) == 11
    assert set(per_seed["scaling"]) == {"none", "temperature", "temperature_ece"}
    table3 = pd.read_csv(tables / "table3_calibration.csv")
    assert table3["dataset"].tolist() == ["CIFAR-100"]  # the only Table 3 row this config runs
    figures = sorted(
        p.relative_to(workdir / "results/figures").as_posix()
        for p in (workdir / "results/figures").rglob("*.png")
    )
    assert "reliability/cifar100_resnet56.png" in figures
    assert "projection/cifar100_resnet56/paper_free_axes.png" in figures
    assert len(figures) == 5 + 5 + 4 + 8 * 2
    assert dry_run(workdir, *CONFIG) == Counter()  # a second run does nothing
