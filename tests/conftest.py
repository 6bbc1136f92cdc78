"""Make the package importable from a plain checkout (pip install -e . also works)."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))


@pytest.fixture
def synthetic_workflow(tmp_path) -> Path:
    """A fresh copy of the workflow with the synthetic preset and datasets (function scope)."""
    from workflow_runs import fresh_copy, write_synthetic_inputs

    wd = tmp_path / "workflow"
    wd.mkdir()
    return write_synthetic_inputs(fresh_copy(wd))


SYNTHETIC_CONFIG = ("--configfile", "synthetic.yaml")


@pytest.fixture(scope="session")
def synthetic_run(tmp_path_factory):
    """The synthetic workflow (every stage, tiny models), run to the end once per test session.

    Returns (workdir, the job counts its dry run planned before the run). Shared by the
    end-to-end, incremental re-run and report tests: they read, dry-run or report, never modify.
    """
    from workflow_runs import dry_run, fresh_copy, snakemake, write_synthetic_inputs

    wd = write_synthetic_inputs(fresh_copy(tmp_path_factory.mktemp("synthetic")))
    planned = dry_run(wd, *SYNTHETIC_CONFIG)
    snakemake("--cores", "2", *SYNTHETIC_CONFIG, cwd=wd)
    return wd, planned


@pytest.fixture(scope="session")
def paper_dag(tmp_path_factory):
    """The paper DAG's dry run (``-n --quiet rules``, shipped config) in a fresh copy, with
    ``import torch`` made to fail (workflow_runs.paper_dry_run_without_torch), once per session:
    test_workflow reads its job counts, test_config that it ran without torch."""
    from workflow_runs import fresh_copy, paper_dry_run_without_torch

    return paper_dry_run_without_torch(fresh_copy(tmp_path_factory.mktemp("paper_dag")))
