"""Tests of the Fig. 1 projection (paper §2) against geometry facts and an independent solver."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lsrepro.representation.projection import (
    augment_features,
    augment_templates,
    plane_basis,
    project,
    projection_panel,
    reconstruct,
    resolve_classes,
    select_examples,
)

DIM = 9  # ambient D + 1


@pytest.fixture
def templates() -> np.ndarray:
    """(3, DIM) generic templates, deliberately far from the origin and of unequal norms."""
    rng = np.random.default_rng(0)
    return rng.normal(size=(3, DIM)) * np.array([[1.0], [2.0], [0.5]]) + 3.0


def _closest_point_lstsq(templates: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Closest point on the affine plane, by least squares in the non-orthogonal parametrisation
    ``w_a + s (w_b − w_a) + t (w_c − w_a)`` — independent of the Gram–Schmidt basis."""
    w_a, w_b, w_c = templates
    design = np.stack([w_b - w_a, w_c - w_a], axis=1)  # (DIM, 2)
    coef, *_ = np.linalg.lstsq(design, (points - w_a).T, rcond=None)  # (2, N)
    return w_a + (design @ coef).T


def test_basis_is_orthonormal(templates: np.ndarray) -> None:
    basis = plane_basis(templates)
    assert basis.basis.shape == (2, DIM)
    np.testing.assert_allclose(basis.basis @ basis.basis.T, np.eye(2), atol=1e-12)


def test_templates_project_to_their_triangle(templates: np.ndarray) -> None:
    basis = plane_basis(templates)
    txy = project(templates, basis)
    for i, j in itertools.combinations(range(3), 2):
        np.testing.assert_allclose(
            np.linalg.norm(txy[i] - txy[j]), np.linalg.norm(templates[i] - templates[j]), rtol=1e-12
        )
    # Templates lie on the plane: reconstruction returns them exactly.
    np.testing.assert_allclose(reconstruct(txy, basis), templates, atol=1e-12)


def test_documented_origin_and_orientation(templates: np.ndarray) -> None:
    txy = project(templates, plane_basis(templates))
    np.testing.assert_allclose(txy.mean(axis=0), 0.0, atol=1e-12)  # origin = centroid
    assert txy[0, 1] == pytest.approx(txy[1, 1], abs=1e-12)  # a and b on one horizontal line
    assert txy[0, 0] < txy[1, 0]  # a left of b
    assert txy[2, 1] > txy[0, 1]  # c above


def test_projection_is_idempotent(templates: np.ndarray) -> None:
    basis = plane_basis(templates)
    points = np.random.default_rng(1).normal(size=(50, DIM)) * 4
    coords = project(points, basis)
    np.testing.assert_allclose(project(reconstruct(coords, basis), basis), coords, atol=1e-10)


def test_projection_is_closest_point_on_plane(templates: np.ndarray) -> None:
    basis = plane_basis(templates)
    points = np.random.default_rng(2).normal(size=(50, DIM)) * 4
    ours = reconstruct(project(points, basis), basis)
    np.testing.assert_allclose(ours, _closest_point_lstsq(templates, points), atol=1e-10)
    # The residual is orthogonal to the plane.
    np.testing.assert_allclose((points - ours) @ basis.basis.T, 0.0, atol=1e-10)


def test_in_plane_points_keep_their_distances(templates: np.ndarray) -> None:
    basis = plane_basis(templates)
    rng = np.random.default_rng(3)
    on_plane = reconstruct(rng.normal(size=(20, 2)), basis)
    coords = project(on_plane, basis)
    d_ambient = np.linalg.norm(on_plane[:, None] - on_plane[None], axis=-1)
    d_plane = np.linalg.norm(coords[:, None] - coords[None], axis=-1)
    np.testing.assert_allclose(d_plane, d_ambient, atol=1e-10)


@pytest.mark.parametrize(
    "make",
    [
        lambda t: np.stack([t[0], t[1], t[0] + 2.5 * (t[1] - t[0])]),  # c on the line a-b
        lambda t: np.stack([t[0], t[0], t[2]]),  # a = b
        lambda t: np.stack([t[0], t[0], t[0]]),  # all equal
        lambda t: np.stack([t[0], t[1], t[0] + 0.3 * (t[1] - t[0]) + 1e-14]),  # round-off only
    ],
)
def test_collinear_templates_raise(templates: np.ndarray, make) -> None:
    with pytest.raises(ValueError, match="degenerate templates"):
        plane_basis(make(templates))


def test_nearly_collinear_but_genuine_plane_is_accepted(templates: np.ndarray) -> None:
    # Guards against an over-strict threshold: a thin but real triangle still defines a plane.
    thin = np.stack(
        [templates[0], templates[1], templates[0] + 0.5 * (templates[1] - templates[0])]
    )
    thin[2, 0] += 1e-4
    basis = plane_basis(thin)
    np.testing.assert_allclose(reconstruct(project(thin, basis), basis), thin, atol=1e-9)


def test_wrong_template_shape_raises() -> None:
    with pytest.raises(ValueError, match=r"\(3, D\+1\)"):
        plane_basis(np.zeros((4, DIM)))


def test_augmentation_reproduces_logits() -> None:
    rng = np.random.default_rng(4)
    x, weight, bias = rng.normal(size=(6, 5)), rng.normal(size=(3, 5)), rng.normal(size=3)
    np.testing.assert_allclose(
        augment_features(x) @ augment_templates(weight, bias).T, x @ weight.T + bias, atol=1e-12
    )


def test_select_examples_deterministic_and_balanced() -> None:
    labels = np.random.default_rng(5).integers(0, 4, size=400)
    first = select_examples(labels, [2, 0, 3], per_class=20, seed=7)
    again = select_examples(labels, [2, 0, 3], per_class=20, seed=7)
    other = select_examples(labels, [2, 0, 3], per_class=20, seed=8)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert first.dtype == np.int64 and len(set(first.tolist())) == 60
    np.testing.assert_array_equal(labels[first], np.repeat([2, 0, 3], 20))


def test_select_examples_same_class_same_examples_in_any_triplet() -> None:
    labels = np.random.default_rng(6).integers(0, 5, size=500)
    in_one = select_examples(labels, [1, 2, 3], per_class=10, seed=0)[:10]
    in_other = select_examples(labels, [4, 0, 1], per_class=10, seed=0)[20:]
    np.testing.assert_array_equal(in_one, in_other)


def test_select_examples_invariant_to_row_order() -> None:
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 3, size=300)
    index = np.arange(300)
    perm = rng.permutation(300)
    picked = index[select_examples(labels, [0, 1, 2], 15, seed=3, index=index)]
    picked_shuffled = index[perm][
        select_examples(labels[perm], [0, 1, 2], 15, seed=3, index=index[perm])
    ]
    np.testing.assert_array_equal(picked, picked_shuffled)


def test_select_examples_too_few_raises() -> None:
    labels = np.array([0] * 50 + [1] * 5 + [2] * 50)
    with pytest.raises(ValueError, match=r"class 1 has only 5 examples.*10 requested"):
        select_examples(labels, [0, 1, 2], per_class=10, seed=0)


def test_resolve_classes_errors() -> None:
    names = ["airplane", "automobile", "bird", "cat"]
    assert resolve_classes(names, ["bird", "airplane", "cat"]) == [2, 0, 3]
    with pytest.raises(ValueError, match="unknown class name.*'dgo'.*valid names are: airplane"):
        resolve_classes(names, ["airplane", "cat", "dgo"])
    with pytest.raises(ValueError, match="distinct"):
        resolve_classes(names, ["cat", "cat", "bird"])
    with pytest.raises(ValueError, match="exactly three"):
        resolve_classes(names, ["cat", "bird"])


def _synthetic_arrays(seed: int = 8, n: int = 240, k: int = 4, d: int = 6) -> dict:
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(k), n // k)
    weight = rng.normal(size=(k, d)).astype(np.float32)
    bias = rng.normal(size=k).astype(np.float32)
    features = (weight[labels] * 2 + rng.normal(size=(n, d))).astype(np.float32)
    return {
        "features": features,
        "labels": labels.astype(np.int64),
        "weight": weight,
        "bias": bias,
        "logits": features @ weight.T + bias,
        "index": np.arange(n, dtype=np.int64) + 1000,
        "class_names": np.array(["ant", "bee", "cow", "dog"]),
    }


def test_projection_panel_matches_direct_projection() -> None:
    arrays = _synthetic_arrays()
    panel = projection_panel(arrays, ["cow", "ant", "dog"], per_class=25, seed=1)
    assert panel.classes == ("cow", "ant", "dog")
    assert len(panel.points) == 75
    assert panel.points["class_name"].value_counts().to_dict() == {"cow": 25, "ant": 25, "dog": 25}
    templates = augment_templates(arrays["weight"], arrays["bias"])[[2, 0, 3]]
    basis = plane_basis(templates)
    rows = panel.points["index"].to_numpy() - 1000
    expected = project(augment_features(arrays["features"][rows]), basis)
    np.testing.assert_allclose(panel.points[["x", "y"]].to_numpy(), expected, atol=1e-9)
    np.testing.assert_allclose(
        panel.templates[["x", "y"]].to_numpy(), project(templates, basis), atol=1e-12
    )
    np.testing.assert_array_equal(panel.points["predicted"], arrays["logits"][rows].argmax(axis=1))


def test_projection_panel_errors() -> None:
    arrays = _synthetic_arrays()
    with pytest.raises(ValueError, match="valid names are: ant, bee, cow, dog"):
        projection_panel(arrays, ["ant", "bee", "eel"], per_class=5, seed=0)
    with pytest.raises(ValueError, match="fewer than the 100 requested"):
        projection_panel(arrays, ["ant", "bee", "cow"], per_class=100, seed=0)
    broken = dict(arrays, bias=arrays["bias"][:3])
    with pytest.raises(ValueError, match="bias has shape"):
        projection_panel(broken, ["ant", "bee", "cow"], per_class=5, seed=0)
    missing = {key: value for key, value in arrays.items() if key != "weight"}
    with pytest.raises(ValueError, match="lack key.*weight"):
        projection_panel(missing, ["ant", "bee", "cow"], per_class=5, seed=0)
