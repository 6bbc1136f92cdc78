"""Temperature scaling: planted temperatures, an independent optimiser, and every error path."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax

from lsrepro import calibration as cal
from lsrepro.calibration import (
    DEFAULT_ECE_GRID,
    ConvergenceError,
    TemperatureFitError,
    fit_temperature,
    fit_temperature_chunks,
    fit_temperature_ece,
    fit_temperature_ece_chunks,
)


def planted(n: int, k: int, seed: int, scale: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """Logits ``z ~ N(0, scale^2)`` ``(N, K)`` and labels drawn from ``softmax(z)``."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, scale, size=(n, k))
    p = cal.softmax(z)
    labels = (p.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    return z, labels


@pytest.fixture(scope="module")
def large_planted():
    # 100k x 10: the MLE of 1/T has a relative sampling error of about 0.3 %, so 1 % is > 3 sigma
    return planted(100_000, 10, seed=0)


@pytest.mark.parametrize("t_star", [0.5, 1.0, 2.0, 4.0])
def test_recovers_planted_temperature(large_planted, t_star):
    z, labels = large_planted
    fit = fit_temperature(z * t_star, labels)  # softmax(z T* / T) is the truth at T = T*
    assert fit.temperature == pytest.approx(t_star, rel=0.01)
    assert abs(fit.gradient) < 1e-6
    assert fit.nll_after <= fit.nll_before
    assert fit.temperature > 0
    assert json.loads(json.dumps(fit.as_dict())) == fit.as_dict()


def test_matches_independent_optimiser():
    z, labels = planted(5000, 10, seed=1)
    logits = 2.5 * z
    fit = fit_temperature(logits, labels)

    def nll_of_log_t(u: float) -> float:
        return -log_softmax(logits / np.exp(u), axis=1)[np.arange(len(labels)), labels].mean()

    ref = minimize_scalar(nll_of_log_t, bounds=(-5, 5), method="bounded", options={"xatol": 1e-9})
    assert fit.temperature == pytest.approx(np.exp(ref.x), rel=1e-6)
    assert fit.nll_after == pytest.approx(ref.fun, abs=1e-12)
    assert fit.nll_before == pytest.approx(cal.nll(logits, labels), abs=1e-12)
    # the reported gradient is dNLL/dlog T at the solution (central difference)
    h = 1e-5
    u = np.log(fit.temperature)
    numeric = (nll_of_log_t(u + h) - nll_of_log_t(u - h)) / (2 * h)
    assert fit.gradient == pytest.approx(numeric, abs=1e-7)


def test_small_temperature_reachable_for_underconfident_model():
    z, labels = planted(5000, 10, seed=2)
    fit = fit_temperature(z / 20.0, labels)  # under-confident by a factor 20
    assert fit.temperature == pytest.approx(1 / 20.0, rel=0.05)


@pytest.mark.parametrize("scale", [1e-3, 1e3])
def test_extreme_logit_scales_give_positive_finite_temperature(scale):
    z, labels = planted(2000, 5, seed=3)
    fit = fit_temperature(z * scale, labels)
    assert 0 < fit.temperature < np.inf
    assert fit.temperature == pytest.approx(scale, rel=0.1)
    assert abs(fit.gradient) < 1e-6


def test_accepts_float32_logits():
    z, labels = planted(2000, 10, seed=4)
    a = fit_temperature(z.astype(np.float32), labels)
    assert a.temperature == pytest.approx(fit_temperature(z, labels).temperature, rel=1e-5)


# --- error paths ----------------------------------------------------------------------------


def test_perfect_accuracy_has_no_finite_temperature():
    z, _ = planted(100, 4, seed=5)
    with pytest.raises(TemperatureFitError, match="T -> 0"):
        fit_temperature(z, z.argmax(axis=1))


def test_anti_correlated_logits_have_no_finite_temperature():
    z, _ = planted(100, 4, seed=6)
    with pytest.raises(TemperatureFitError, match="T -> inf"):
        fit_temperature(z, z.argmin(axis=1))


def test_failed_convergence_reports_gradient_and_iterations():
    z, labels = planted(500, 10, seed=7)
    with pytest.raises(ConvergenceError, match=r"after 2 iterations: \|dNLL/dlog T\| = \S+ >= tol"):
        fit_temperature(3 * z, labels, max_iter=2)


@pytest.mark.parametrize(
    ("logits", "labels", "error", "message"),
    [
        (np.zeros((0, 3)), np.zeros(0, dtype=int), cal.EmptyInputError, "empty split"),
        (np.zeros((4, 3)), np.zeros(5, dtype=int), cal.ShapeError, "shape mismatch"),
        (np.zeros(3), np.zeros(3, dtype=int), cal.ShapeError, "2-D"),
        (np.zeros((4, 3)), np.array([0, 1, 2, 3]), cal.LabelRangeError, "outside"),
        (np.zeros((4, 3)), np.array([0, -1, 2, 1]), cal.LabelRangeError, "outside"),
    ],
)
def test_bad_input_raises(logits, labels, error, message):
    with pytest.raises(error, match=message):
        fit_temperature(logits, labels)
    assert issubclass(error, ValueError)


def test_non_finite_logits_are_counted():
    z, labels = planted(50, 4, seed=8)
    z[3, 1] = np.nan
    z[7, :2] = np.inf
    with pytest.raises(cal.NonFiniteError, match="3 non-finite values .* in 2 rows"):
        fit_temperature(z, labels)


# --- ECE grid search (the paper's a-posteriori tuning) ---------------------------------------


def test_ece_grid_search_is_brute_force_minimum():
    z, labels = planted(3000, 10, seed=9)
    grid = np.array([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0])
    fit = fit_temperature_ece(2.0 * z, labels, n_bins=15, grid=grid)
    brute = [cal.ece(cal.softmax(2.0 * z, t), labels, n_bins=15) for t in grid]
    assert fit.ece_grid == pytest.approx(brute, abs=1e-12)
    assert fit.temperature == grid[int(np.argmin(brute))]
    assert fit.ece_before == pytest.approx(cal.ece(cal.softmax(2.0 * z), labels), abs=1e-12)
    assert fit.temperature == 2.0  # the planted temperature is on the grid
    assert not fit.at_edge
    assert "a-posteriori" in fit.method
    assert json.loads(json.dumps(fit.as_dict()))["grid"] == grid.tolist()


def test_ece_grid_must_be_positive():
    z, labels = planted(100, 4, seed=10)
    with pytest.raises(ValueError, match="grid"):
        fit_temperature_ece(z, labels, n_bins=15, grid=np.array([0.0, 1.0]))


def test_bounds_clamp_a_model_no_better_than_chance():
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(2000, 10))
    labels = logits.argmin(1)  # worse than chance: uniform predictions (T -> inf) are best
    with pytest.raises(TemperatureFitError):
        fit_temperature(logits, labels)
    fit = fit_temperature(logits, labels, bounds=(0.01, 100.0))
    assert fit.at_bound and fit.temperature == pytest.approx(100.0)
    assert fit.nll_after <= fit.nll_before


def test_bounds_clamp_a_model_that_is_always_right():
    logits = np.eye(5)[np.arange(50) % 5] * 3.0
    fit = fit_temperature(logits, np.arange(50) % 5, bounds=(0.05, 20.0))
    assert fit.at_bound and fit.temperature == pytest.approx(0.05)


def test_bounds_do_not_change_an_interior_optimum():
    rng = np.random.default_rng(4)
    z = rng.normal(scale=2.0, size=(5000, 10))
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    labels = (p.cumsum(1) > rng.random((5000, 1))).argmax(1)
    free = fit_temperature(z * 2.0, labels)
    bounded = fit_temperature(z * 2.0, labels, bounds=(0.01, 100.0))
    assert not bounded.at_bound
    assert bounded.temperature == pytest.approx(free.temperature, rel=1e-6)
    with pytest.raises(ValueError, match="bounds must satisfy"):
        fit_temperature(z, labels, bounds=(2.0, 1.0))


def test_default_ece_grid_is_wide_and_log_spaced():
    grid = DEFAULT_ECE_GRID
    assert grid[0] == 0.05 and grid[-1] == 20.0 and 1.0 in grid
    ratios = grid[1:] / grid[:-1]
    assert ratios.min() > 1.008 and ratios.max() < 1.012  # about 1 % steps everywhere


def test_ece_grid_reaches_small_temperatures_and_flags_edges():
    z, labels = planted(10_000, 10, seed=11)
    # T* = 0.46 (the MNIST LS model's NLL fit, below the old grid's 0.5 edge) is found inside
    inside = fit_temperature_ece(z * 0.46, labels, n_bins=15)
    assert inside.temperature == pytest.approx(0.46, rel=0.05)
    assert not inside.at_edge
    # T* = 0.02 lies below the grid: the fit stops at its edge and says so
    edge = fit_temperature_ece(z * 0.02, labels, n_bins=15)
    assert edge.temperature == DEFAULT_ECE_GRID[0] and edge.at_edge
    assert json.loads(json.dumps(edge.as_dict()))["at_edge"] is True
    top = fit_temperature_ece(z * 40.0, labels, n_bins=15, grid=np.array([0.5, 1.0, 2.0]))
    assert top.temperature == 2.0 and top.at_edge


# --- streamed logits and masked classes ------------------------------------------------------


def test_chunked_fit_equals_the_whole_array_fit():
    z, labels = planted(3000, 10, seed=12)
    logits = 1.7 * z
    whole = fit_temperature(logits, labels)
    small = fit_temperature(logits, labels, chunk_rows=97)
    assert small.temperature == pytest.approx(whole.temperature, rel=1e-12)
    assert small.nll_after == pytest.approx(whole.nll_after, abs=1e-13)
    blocks = [(logits[i : i + 500], labels[i : i + 500]) for i in range(0, 3000, 500)]
    streamed = fit_temperature_chunks(lambda: iter(blocks))
    assert streamed.temperature == pytest.approx(whole.temperature, rel=1e-12)
    import torch

    tensors = [(torch.from_numpy(a).float(), torch.from_numpy(b)) for a, b in blocks]
    from_torch = fit_temperature_chunks(lambda: iter(tensors))
    assert from_torch.temperature == pytest.approx(whole.temperature, rel=1e-5)
    by_ece = fit_temperature_ece_chunks(lambda: iter(blocks), n_bins=15)
    assert by_ece.ece_grid == pytest.approx(
        fit_temperature_ece(logits, labels, n_bins=15).ece_grid, abs=1e-14
    )
    with pytest.raises(TypeError, match="fresh iterable"):
        fit_temperature_chunks(iter(blocks))
    one_shot = iter(blocks)
    with pytest.raises(ValueError, match="rows on one pass"):
        fit_temperature_chunks(lambda: one_shot)


def test_masked_classes_drop_out_of_the_fit():
    z, labels = planted(4000, 8, seed=13)
    labels = labels % 6
    masked = 2.0 * z
    masked[:, 6:] = -np.inf  # a vocabulary entry no example can produce
    reduced = masked[:, :6]
    a = fit_temperature(masked, labels)
    b = fit_temperature(reduced, labels)
    assert a.temperature == pytest.approx(b.temperature, rel=1e-10)
    assert a.nll_after == pytest.approx(b.nll_after, abs=1e-12)
    ea = fit_temperature_ece(masked, labels, n_bins=15)
    assert ea.ece_grid == pytest.approx(
        fit_temperature_ece(reduced, labels, n_bins=15).ece_grid, abs=1e-14
    )
