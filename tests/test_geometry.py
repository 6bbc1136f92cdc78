"""Tests of the Fig. 1 numbers (paper §1.1–§2): closed forms, a trained model, hand-made cases."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from lsrepro.representation.geometry import (
    feature_geometry,
    logit_geometry,
    optimal_logit_gap,
    projection_geometry,
    split_geometry,
)
from lsrepro.representation.projection import projection_panel


@pytest.mark.parametrize(
    ("alpha", "k", "expected"),
    [(0.1, 10, 4.51), (0.1, 100, 6.80), (0.05, 100, 7.55)],  # paper-spec §1.1 [derived]
)
def test_optimal_gap_matches_spec_numbers(alpha: float, k: int, expected: float) -> None:
    assert optimal_logit_gap(alpha, k) == pytest.approx(expected, abs=0.005)


def test_optimal_gap_hard_targets_and_bounds() -> None:
    assert optimal_logit_gap(0.0, 10) == math.inf
    for bad in (-0.1, 1.0):
        with pytest.raises(ValueError, match="alpha"):
            optimal_logit_gap(bad, 10)


def _train_linear(features: torch.Tensor, labels: torch.Tensor, k: int, alpha: float):
    """Fit logits = x W^T + b to the smoothed targets y (1 − α) + α/K, no weight decay.

    Full-batch L-BFGS in float64 on a convex problem: converges to the global minimiser.
    """
    torch.manual_seed(0)
    layer = torch.nn.Linear(features.shape[1], k, dtype=torch.float64)
    targets = torch.nn.functional.one_hot(labels, k).double() * (1 - alpha) + alpha / k
    optimizer = torch.optim.LBFGS(
        layer.parameters(),
        lr=1.0,
        max_iter=2000,
        tolerance_grad=1e-10,
        tolerance_change=1e-15,
        history_size=50,
        line_search_fn="strong_wolfe",
    )

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = torch.sum(-targets * torch.log_softmax(layer(features), dim=1), dim=1).mean()
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        return layer(features).numpy()


def _separable_data(k: int, n: int, d: int, seed: int):
    """n examples in d ≥ n dims around k class centres (linearly separable).

    With d ≥ n the examples are linearly independent, so a linear layer with bias can realise
    *any* logit matrix on them; the minimiser of the smoothed loss then has every
    correct-minus-incorrect gap exactly at the closed form, and the only deviation left is the
    optimiser's.  Centres of the same scale as the noise keep X Xᵀ well conditioned, so L-BFGS
    converges in a few hundred iterations (well-separated, far-out centres need thousands).
    """
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(k, d, generator=g, dtype=torch.float64)
    labels = torch.arange(n) % k
    features = centres[labels] + torch.randn(n, d, generator=g, dtype=torch.float64)
    return features, labels


# Tolerance: with tolerance_grad = 1e-10 the measured deviation of every gap from the closed form
# is ~1e-5 (torch 2.x, float64); 1e-3 leaves a factor 100 for other BLAS/optimiser paths while
# the optimum of a neighbouring α (±20-25 %) differs by more than 0.2 nats, i.e. 100 tolerances
# (checked in the test), so a wrong formula or a wrong target construction fails.
GAP_ATOL = 1e-3


@pytest.mark.parametrize(("k", "alpha"), [(3, 0.1), (4, 0.3), (5, 0.05)])
def test_trained_linear_model_reaches_closed_form_gap(k: int, alpha: float) -> None:
    features, labels = _separable_data(k, n=40, d=48, seed=k)
    logits = _train_linear(features, labels, k, alpha)
    stats = logit_geometry(logits, labels.numpy(), alpha)
    optimum = optimal_logit_gap(alpha, k)
    assert stats["accuracy"] == 1.0
    assert stats["gap_optimal"] == pytest.approx(optimum)
    assert stats["gap_mean"] == pytest.approx(optimum, abs=GAP_ATOL)
    # Every gap, not only the mean, sits at the constant: incorrect logits are equidistant.
    assert stats["gap_q05"] == pytest.approx(optimum, abs=GAP_ATOL)
    assert stats["gap_q95"] == pytest.approx(optimum, abs=GAP_ATOL)
    assert stats["incorrect_std_mean"] < GAP_ATOL
    assert stats["gap_mean_over_optimal"] == pytest.approx(1.0, abs=GAP_ATOL)
    # The statistic discriminates: the optimum of a neighbouring α is far outside the tolerance.
    for other in (alpha * 0.8, alpha * 1.25):
        assert abs(stats["gap_mean"] - optimal_logit_gap(other, k)) > 100 * GAP_ATOL


def test_hard_targets_gap_exceeds_any_smoothed_optimum() -> None:
    # Claim C1's contrast: without LS the loss has no minimiser and the gap keeps growing until
    # L-BFGS stalls on round-off, far past even the α = 0.01 optimum; gap_optimal is None.
    features, labels = _separable_data(4, n=40, d=48, seed=1)
    stats = logit_geometry(_train_linear(features, labels, 4, 0.0), labels.numpy(), 0.0)
    assert stats["gap_optimal"] is None and stats["gap_mean_over_optimal"] is None
    assert stats["gap_mean"] > optimal_logit_gap(0.01, 4)


def test_logit_geometry_against_loops() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(7, 4)) * 3
    labels = np.array([0, 1, 2, 3, 0, 2, 1])
    gaps, stds, margins = [], [], []
    for z, y in zip(logits, labels, strict=True):
        wrong = [z[j] for j in range(4) if j != y]
        gaps += [z[y] - w for w in wrong]
        stds.append(np.sqrt(np.mean((np.array(wrong) - np.mean(wrong)) ** 2)))
        margins.append(z[y] - max(wrong))
    stats = logit_geometry(logits, labels, 0.1)
    assert stats["n_examples"] == 7 and stats["num_classes"] == 4
    assert stats["accuracy"] == pytest.approx(np.mean(logits.argmax(1) == labels))
    assert stats["gap_mean"] == pytest.approx(np.mean(gaps))
    assert stats["gap_std"] == pytest.approx(np.std(gaps))
    assert stats["gap_median"] == pytest.approx(np.median(gaps))
    assert stats["gap_q25"] == pytest.approx(np.quantile(gaps, 0.25))
    assert stats["margin_mean"] == pytest.approx(np.mean(margins))
    assert stats["incorrect_std_mean"] == pytest.approx(np.mean(stds))
    assert stats["gap_mean_over_optimal"] == pytest.approx(np.mean(gaps) / math.log(1 + 4 * 9))


def test_logit_geometry_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="labels must lie"):
        logit_geometry(np.zeros((2, 3)), np.array([0, 3]), 0.1)
    with pytest.raises(ValueError, match="NaN"):
        logit_geometry(np.array([[0.0, np.nan]]), np.array([0]), 0.1)


def test_feature_geometry_hand_made() -> None:
    # Templates: an equilateral triangle of side 2 in the (x1, x2) plane with zero bias, so the
    # augmented templates keep the same pairwise distances.
    side = 2.0
    weight = np.array([[0.0, 0.0], [side, 0.0], [side / 2, side * math.sqrt(3) / 2]])
    bias = np.zeros(3)
    # Each class: two points at ±0.5 along x1 around its template -> distance 0.5 to class mean.
    offsets = np.array([[0.5, 0.0], [-0.5, 0.0]])
    features = np.concatenate([w + offsets for w in weight])
    labels = np.repeat(np.arange(3), 2)
    stats = feature_geometry(features, labels, weight, bias)
    assert stats["classes_present"] == 3
    assert stats["within_class_distance_mean"] == pytest.approx(0.5)
    assert stats["template_distance_mean"] == pytest.approx(side)
    assert stats["class_mean_distance_mean"] == pytest.approx(side)
    assert stats["tightness_vs_templates"] == pytest.approx(0.25)
    assert stats["tightness_vs_class_means"] == pytest.approx(0.25)
    assert stats["template_sqnorm_cv"] == pytest.approx(
        np.std([0.0, 4.0, 4.0]) / np.mean([0.0, 4.0, 4.0])
    )
    # The bias is part of the template: a bias difference moves templates apart.
    shifted = feature_geometry(features, labels, weight, np.array([0.0, 0.0, 3.0]))
    assert shifted["template_distance_mean"] > side


def test_feature_geometry_against_loops_unbalanced() -> None:
    # Unequal class sizes and a class absent from the split (class 3 of 4).
    rng = np.random.default_rng(3)
    weight, bias = rng.normal(size=(4, 3)), rng.normal(size=4)
    labels = np.array([0] * 7 + [1] * 2 + [2] * 11)
    features = rng.normal(size=(20, 3)) + 2 * weight[labels]
    means = {c: features[labels == c].mean(axis=0) for c in (0, 1, 2)}
    within = np.mean([np.linalg.norm(x - means[y]) for x, y in zip(features, labels, strict=True)])
    between = np.mean([np.linalg.norm(means[i] - means[j]) for i, j in ((0, 1), (0, 2), (1, 2))])
    templates = np.concatenate([weight, bias[:, None]], axis=1)
    t_dist = np.mean(
        [np.linalg.norm(templates[i] - templates[j]) for i in range(4) for j in range(i + 1, 4)]
    )
    stats = feature_geometry(features, labels, weight, bias)
    assert stats["classes_present"] == 3
    assert stats["within_class_distance_mean"] == pytest.approx(within)
    assert stats["class_mean_distance_mean"] == pytest.approx(between)
    assert stats["template_distance_mean"] == pytest.approx(t_dist)
    assert stats["tightness_vs_class_means"] == pytest.approx(within / between)
    assert stats["feature_norm_mean"] == pytest.approx(
        np.mean(np.linalg.norm(np.c_[features, np.ones(20)], axis=1))
    )


def test_feature_geometry_tightness_scale_behaviour() -> None:
    rng = np.random.default_rng(1)
    weight, bias = rng.normal(size=(4, 5)), rng.normal(size=4)
    labels = np.repeat(np.arange(4), 10)
    features = weight[labels] * 3 + rng.normal(size=(40, 5))
    base = feature_geometry(features, labels, weight, bias)
    scaled = feature_geometry(features * 10, labels, weight, bias)
    # The class-mean ratio ignores a uniform feature scale; the template ratio does not.
    assert scaled["tightness_vs_class_means"] == pytest.approx(base["tightness_vs_class_means"])
    assert scaled["tightness_vs_templates"] == pytest.approx(10 * base["tightness_vs_templates"])


def _arrays(alpha_scale: float) -> dict:
    rng = np.random.default_rng(2)
    k, d, n = 5, 8, 200
    weight = rng.normal(size=(k, d)).astype(np.float32)
    bias = rng.normal(size=k).astype(np.float32)
    labels = np.arange(n) % k
    features = (alpha_scale * weight[labels] + rng.normal(size=(n, d))).astype(np.float32)
    return {
        "logits": features @ weight.T + bias,
        "labels": labels.astype(np.int64),
        "features": features,
        "weight": weight,
        "bias": bias,
        "index": np.arange(n, dtype=np.int64),
        "class_names": np.array(["a", "b", "c", "d", "e"]),
    }


def test_projection_geometry_and_scale() -> None:
    small = projection_geometry(projection_panel(_arrays(1.0), ["a", "b", "c"], 20, seed=0))
    # Scaling activations (not templates) scales the in-plane distances from the centroid.
    large = projection_geometry(projection_panel(_arrays(10.0), ["a", "b", "c"], 20, seed=0))
    assert large["norm_mean"] > 3 * small["norm_mean"]
    assert small["template_side_mean"] == pytest.approx(large["template_side_mean"])
    assert 0 < small["template_side_ratio"] <= 1
    assert 0 <= small["accuracy"] <= 1


def test_split_geometry_is_json_ready() -> None:
    arrays = _arrays(2.0)
    record = split_geometry(
        arrays, 0.0, {"first": ["a", "b", "c"], "other": ["e", "d", "a"]}, 10, 0
    )
    text = json.dumps(record, allow_nan=False)  # fails on NaN/inf
    assert json.loads(text)["gap_optimal"] is None
    assert record["logit_reconstruction_error"] < 1e-5
    assert "projection.first.norm_mean" in record and "projection.other.tightness" in record
    broken = dict(arrays, features=arrays["features"] + 1.0)
    assert split_geometry(broken, 0.0, {}, 10, 0)["logit_reconstruction_error"] > 1e-2
