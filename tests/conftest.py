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
