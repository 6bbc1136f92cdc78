"""Running copies of the workflow in tests: a fresh copy, synthetic inputs, snakemake itself."""

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lsrepro.data.images import CIFAR10_CLASSES
from synthetic import write_prepared

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ["Snakefile", "config.yaml", "workflow", "presets", "profiles", "envs", "reference"]


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


def changed_dry_runs(
    workdir: Path, configfile: str, changes: list[str], tmp_path_factory
) -> dict[str, Counter | AssertionError]:
    """Change (YAML) -> the jobs a dry run schedules with it overlaid on ``configfile``, in a
    finished run's ``workdir``; one per core at a time (a dry run is mostly snakemake's start-up
    on one core and writes nothing, no lock either, so they can share the directory). A failed
    dry run is kept, for its own test to raise."""

    def one(i_change: tuple[int, str]) -> tuple[str, Counter | AssertionError]:
        i, change = i_change
        extra = tmp_path_factory.mktemp(f"change{i}") / "change.yaml"
        extra.write_text(change)
        try:
            return change, dry_run(workdir, "--configfile", configfile, str(extra))
        except AssertionError as error:
            return change, error

    return dict(in_parallel(one, enumerate(changes)))


def assert_schedules(scheduled: Counter | AssertionError, expected: dict[str, int]) -> None:
    """One of :func:`changed_dry_runs`' results is exactly ``expected`` (a failed dry run raises
    with its output)."""
    if isinstance(scheduled, AssertionError):
        raise scheduled
    assert scheduled == Counter(expected)


def in_parallel(fn, items) -> list:
    """``[fn(item) for item in items]``, one item per core at a time: for snakemake runs that
    each keep one core busy (a dry run is mostly snakemake's start-up) and write apart."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return list(pool.map(fn, items))


def paper_dry_run_without_torch(wd: Path) -> subprocess.CompletedProcess:
    """``snakemake -n --quiet rules`` on the shipped config in ``wd`` with ``import torch`` made
    to fail: its job stats are the paper DAG's, and that it ran proves no torch on the way."""
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from snakemake.cli import main\n"
        "sys.argv = ['snakemake', '-n', '--quiet', 'rules']\n"
        "main()\n"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=wd, capture_output=True, text=True)


def fresh_copy(wd: Path) -> Path:
    """The shipped workflow files, as in a fresh clone (no results/)."""
    for name in SHIPPED:
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, wd / name)
    return wd


def write_synthetic_inputs(wd: Path) -> Path:
    """Put the synthetic preset (``synthetic.yaml``) and tiny class-dependent prepared datasets,
    in place of the downloads, into a fresh workflow copy ``wd``."""
    shutil.copy(ROOT / "tests" / "synthetic_preset.yaml", wd / "synthetic.yaml")
    named = ["beaver", "dolphin", "otter", "maple_tree", "oak_tree"]  # the configured triplets
    cifar100 = named + [f"class{i}" for i in range(len(named), 100)]
    write_prepared(wd / "results/data/cifar10/prepared.npz", CIFAR10_CLASSES, 200, 60)
    write_prepared(wd / "results/data/cifar100/prepared.npz", cifar100, 800, 100)
    mnist = wd / "results/data/mnist/prepared.npz"
    write_prepared(mnist, list("0123456789"), 200, 60, shape=(28, 28, 1))
    return wd
