"""Extensions of issue 18 against closed forms: class separation R², NC1 (planted features) and
the risk–coverage curve (hand-computed)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lsrepro.calibration import selective
from lsrepro.representation.separation import class_separation_r2, erasure_measures, nc1


def brute_force_r2(x: np.ndarray, y: np.ndarray) -> float:
    """Kornblith et al.'s definition, every pair of examples (m = n included)."""
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    d = 1.0 - u @ u.T
    classes = np.unique(y)
    within = np.mean([d[np.ix_(y == k, y == k)].mean() for k in classes])
    total = np.mean([d[np.ix_(y == j, y == k)].mean() for j in classes for k in classes])
    return 1.0 - within / total


def test_r2_matches_the_pairwise_definition_and_its_limits():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 60)
    x = rng.normal(size=(60, 5)) + 2.0 * np.eye(5)[y]
    assert class_separation_r2(x, y) == pytest.approx(brute_force_r2(x, y), abs=1e-12)
    # every example on its class's direction (orthogonal classes): perfectly separated
    assert class_separation_r2(np.eye(5)[y] * 3.0, y) == pytest.approx(1.0)
    # the same distribution for every class: nothing separates them (R² -> 0)
    z = rng.normal(size=(20000, 5))
    assert abs(class_separation_r2(z, rng.integers(0, 4, 20000))) < 0.01


def test_nc1_closed_form():
    # two classes at ±1 on axis 0, within-class spread ±a on axis 0 and ±b on axis 1:
    # Σ_B = e0 e0ᵀ, Σ_W = diag(a², b²), so NC1 = tr(Σ_W Σ_B⁺)/2 = a²/2 (axis 1 is not between)
    a, b = 0.3, 5.0
    x = np.array([[-1 - a, b], [-1 + a, -b], [1 - a, b], [1 + a, -b]])
    y = np.array([0, 0, 1, 1])
    assert nc1(x, y) == pytest.approx(a * a / 2)
    assert nc1(np.array([[-1.0, 0], [-1, 0], [1, 0], [1, 0]]), y) == pytest.approx(0.0)
    got = erasure_measures(x, y)
    assert set(got) == {"separation_r2", "nc1"}
    with pytest.raises(ValueError, match="at least 2 classes"):
        nc1(x, np.zeros(4))


def test_risk_coverage_curve_by_hand():
    confidence = np.array([0.9, 0.6, 0.8, 0.7, 0.95])
    correct = np.array([1, 0, 0, 1, 1])
    # most confident first: 0.95 (ok), 0.9 (ok), 0.8 (wrong), 0.7 (ok), 0.6 (wrong)
    # risk at i = 1..5: 0, 0, 1/3, 1/4, 2/5
    coverage, risk = selective.risk_coverage_curve(confidence, correct)
    assert coverage.tolist() == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert risk == pytest.approx([0, 0, 1 / 3, 1 / 4, 2 / 5])
    assert selective.aurc(confidence, correct) == pytest.approx((1 / 3 + 1 / 4 + 2 / 5) / 5)
    assert selective.risk_at_coverage(confidence, correct, 0.8) == pytest.approx(0.25)
    assert selective.risk_at_coverage(confidence, correct, 0.5) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="coverage"):
        selective.risk_at_coverage(confidence, correct, 0.0)


def test_selective_report_intervals_cover_the_estimate():
    rng = np.random.default_rng(1)
    conf = rng.random(2000)
    correct = (rng.random(2000) < conf).astype(float)  # calibrated: risk falls with confidence
    table = selective.selective_report(
        conf, correct, n_resamples=200, seed=0, confidence_level=0.95
    ).set_index("metric")
    assert list(table.index) == ["aurc", "risk_at_coverage_0.8", "risk_at_coverage_0.9"]
    for _, r in table.iterrows():
        assert r["lower"] <= r["estimate"] <= r["upper"] and r["n_resamples"] == 200
    # E[risk | top c of uniform confidences] = c/2 for the calibrated model; AURC -> 1/4
    assert table.loc["aurc", "estimate"] == pytest.approx(0.25, abs=0.03)
    assert math.isfinite(table.loc["aurc", "se"])
