"""Make the package importable from a plain checkout (pip install -e . also works)."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))


def write_synthetic_inputs(wd: Path) -> Path:
    """Put the synthetic preset (``synthetic.yaml``) and tiny class-dependent prepared datasets,
    in place of the downloads, into a fresh workflow copy ``wd`` (test_workflow.fresh_copy)."""
    import shutil

    from lsrepro.data import CIFAR10_CLASSES
    from synthetic import write_prepared

    shutil.copy(ROOT / "tests" / "synthetic_preset.yaml", wd / "synthetic.yaml")
    named = ["beaver", "dolphin", "otter", "maple_tree", "oak_tree"]  # the configured triplets
    cifar100 = named + [f"class{i}" for i in range(len(named), 100)]
    write_prepared(wd / "results/data/cifar10/prepared.npz", CIFAR10_CLASSES, 200, 60)
    write_prepared(wd / "results/data/cifar100/prepared.npz", cifar100, 800, 100)
    mnist = wd / "results/data/mnist/prepared.npz"
    write_prepared(mnist, list("0123456789"), 200, 60, shape=(28, 28, 1))
    return wd


@pytest.fixture
def synthetic_workflow(tmp_path) -> Path:
    """A fresh copy of the workflow with the synthetic preset and datasets (function scope)."""
    from test_workflow import fresh_copy

    wd = tmp_path / "workflow"
    wd.mkdir()
    return write_synthetic_inputs(fresh_copy(wd))
