"""The calibration stage's files: per-run metrics and reliability tables, and Fig. 2's inputs."""

import csv
import json

import numpy as np
import pytest

from lsrepro.artifacts import evaluation as artifact
from lsrepro.calibration.files import (
    calibration_metrics_files,
    fit_temperature_file,
    reliability_curves,
)
from lsrepro.runs import RUN_COLUMNS, RunKey, TeacherKey

K, N, D = 4, 400, 3


def _evaluation(path, seed: int, scale: float) -> None:
    """A model whose logits are ``scale`` x a calibrated model's: over-confident for scale > 1."""
    rng = np.random.default_rng(seed)
    true = rng.normal(size=(N, K)) * 2.0
    labels = np.array([rng.choice(K, p=np.exp(z) / np.exp(z).sum()) for z in true])
    features = rng.normal(size=(N, D))
    artifact.save(
        path,
        logits=true * scale,
        labels=labels,
        features=features,
        weight=np.zeros((K, D)),
        bias=np.zeros(K),
        index=np.arange(N),
        class_names=np.array(list("abcd")),
    )


def _run_columns(key: RunKey) -> dict:
    return {"dataset": "cifar10", "architecture": "toy", **key.columns()}


DIRECT = RunKey("cifar10_alexnet", "0.0", 0)
STUDENT = RunKey("kd", "0.0", 0, TeacherKey("cifar10_resnet56", "0.0", 0), "4.0")


def _calibrated_run(tmp_path, key: RunKey) -> float:
    """Evaluation files of a model 2 x over-confident, its T fit, and its metric and reliability
    files in ``tmp_path``; returns the fitted T."""
    for split, seed in (("val", 0), ("test", 1)):
        _evaluation(tmp_path / f"{split}.npz", seed, scale=2.0)
    fit = fit_temperature_file(
        tmp_path / "val.npz",
        tmp_path / "t.json",
        tol=1e-8,
        bounds=(0.05, 20),
        fit_by_ece=False,
        n_bins=15,
    )
    fitted = fit["nll"]["temperature"]
    assert json.loads((tmp_path / "t.json").read_text())["nll"]["temperature"] == fitted
    calibration_metrics_files(
        val=tmp_path / "val.npz",
        test=tmp_path / "test.npz",
        fit=tmp_path / "t.json",
        run=_run_columns(key),
        n_bins=15,
        n_resamples=20,
        seed=0,
        confidence=0.95,
        smece_resamples=None,
        metrics_out=tmp_path / "metrics.csv",
        reliability_out=tmp_path / "reliability.csv",
    )
    return fitted


@pytest.mark.parametrize("key", [DIRECT, STUDENT], ids=["direct", "student"])
def test_metric_and_reliability_files_keep_the_run_and_the_scaling_temperature_apart(tmp_path, key):
    fitted = _calibrated_run(tmp_path, key)
    assert fitted == pytest.approx(2.0, rel=0.25)  # logits were 2 x calibrated ones
    for name in ("metrics.csv", "reliability.csv"):
        with open(tmp_path / name) as f:
            rows = list(csv.DictReader(f))
        header = list(rows[0])
        assert len(header) == len(set(header)), f"{name}: duplicate columns {header}"
        assert header[: len(RUN_COLUMNS)] == list(RUN_COLUMNS)
        run_t = np.array([float(r["temperature"] or "nan") for r in rows])  # a student's T
        if key.distilled:
            assert (run_t == float(key.temperature)).all()
        else:
            assert np.isnan(run_t).all()
        scaled = [float(r["scaling_temperature"]) for r in rows if r["scaling"] == "temperature"]
        assert scaled and np.allclose(scaled, fitted, rtol=1e-12)
        assert {float(r["scaling_temperature"]) for r in rows if r["scaling"] == "none"} == {1.0}
        if name == "metrics.csv":  # selective classification rows (issue 18, C9b), per scaling
            aurc = [r for r in rows if r["metric"] == "aurc"]
            assert {(r["split"], r["scaling"]) for r in aurc} == {
                (s, t) for s in ("val", "test") for t in {r["scaling"] for r in rows}
            }


def test_fig2_legend_names_the_fitted_temperature(tmp_path):
    fitted = _calibrated_run(tmp_path, DIRECT)
    rel = tmp_path / "reliability.csv"
    curves = reliability_curves(hard=rel, smooth=rel, alpha=0.1, split="test")
    assert f"T = {fitted:.2f}" in curves[1].label, [c.label for c in curves]


def test_a_table_with_two_columns_of_one_name_is_not_written(tmp_path):
    import pandas as pd

    from lsrepro.io import write_csv

    frame = pd.DataFrame([[1.0, 2.0, 3.0]], columns=["temperature", "metric", "temperature"])
    with pytest.raises(ValueError, match=r"\['temperature'\] appear more than once"):
        write_csv(frame, tmp_path / "t.csv")
    assert not (tmp_path / "t.csv").exists()
