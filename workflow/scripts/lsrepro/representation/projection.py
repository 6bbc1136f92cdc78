"""Penultimate-layer projection onto the plane through three class templates (paper §2, Fig. 1).

The paper (§1.1, §2) writes the logit of class k as ``x̃ᵀ w̃_k`` where ``x̃ = [x, 1]`` is the
penultimate activation with a constant 1 appended and ``w̃_k = [weight_k, bias_k]`` is the last
layer's weight row with the bias appended, so activations and templates live in the same
(D + 1)-dimensional space.  The visualisation then

1. picks three classes (a, b, c),
2. finds an orthonormal basis of the plane crossing their templates ``w̃_a, w̃_b, w̃_c``,
3. projects the activations of examples of those three classes onto that plane.

The paper leaves the plane's origin, axes and scale open.  This module fixes them, identically for
every panel, so that panels of different models and splits can be compared:

* the plane is the *affine* plane through the three templates (not the linear span), with basis
  from Gram–Schmidt of ``(w̃_b − w̃_a, w̃_c − w̃_a)``;
* the origin of the 2-D coordinates is the centroid ``(w̃_a + w̃_b + w̃_c) / 3`` of the templates;
* axis 1 points along ``w̃_b − w̃_a`` (so templates a and b share the same axis-2 coordinate, a on
  the left, b on the right); axis 2 is the Gram–Schmidt residual of ``w̃_c − w̃_a`` (so template c
  always has a positive axis-2 coordinate and the triangle points up);
* coordinates are in the units of the augmented activation space (no rescaling), which keeps the
  scale difference between hard targets and label smoothing visible (claim C4).

Projection is orthogonal: each point maps to its closest point on the plane.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lsrepro.data.images import select_examples

# A Gram–Schmidt residual shorter than this fraction of the longest template difference means the
# three templates are (numerically) collinear.  Real trained templates are far from this; the
# threshold only has to separate "a plane exists" from float64 round-off (~1e-16 relative).
COLLINEARITY_RTOL = 1e-9

REQUIRED_KEYS = ("features", "labels", "weight", "bias", "class_names")


@dataclass(frozen=True)
class PlaneBasis:
    """An affine plane in R^(D+1) with orthonormal in-plane axes.

    Attributes:
        origin: (D+1,) float64, centroid of the three templates.
        basis: (2, D+1) float64, orthonormal rows; row 0 along ``w̃_b − w̃_a``.
    """

    origin: np.ndarray
    basis: np.ndarray

    @property
    def dim(self) -> int:
        """Dimension D + 1 of the ambient (augmented) space."""
        return int(self.origin.shape[0])


@dataclass(frozen=True)
class ProjectionPanel:
    """Projected examples and templates of one model, one split and one class triplet.

    Attributes:
        points: one row per selected example with columns ``x``, ``y`` (plane coordinates),
            ``label`` (int class id), ``class_name``, ``index`` (row index into the split) and
            ``predicted`` (argmax of the full K-way logits, or -1 when logits were not given).
        templates: three rows (order a, b, c) with columns ``x``, ``y``, ``label``,
            ``class_name``.
        classes: the triplet's class names in order (a, b, c).
    """

    points: pd.DataFrame
    templates: pd.DataFrame
    classes: tuple[str, str, str]


def augment_features(features: np.ndarray) -> np.ndarray:
    """Append the constant 1 of the paper's ``x̃ = [x, 1]`` (§1.1).

    Args:
        features: (N, D) penultimate activations.

    Returns:
        (N, D+1) float64.
    """
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2:
        raise ValueError(f"features must be 2-D (N, D), got shape {features.shape}")
    return np.concatenate([features, np.ones((features.shape[0], 1))], axis=1)


def augment_templates(weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Templates ``w̃_k = [weight_k, bias_k]`` of the paper's §1.1.

    Args:
        weight: (K, D) last-layer weight, ``logits = x @ weight.T + bias``.
        bias: (K,) last-layer bias.

    Returns:
        (K, D+1) float64.
    """
    weight = np.asarray(weight, dtype=np.float64)
    bias = np.asarray(bias, dtype=np.float64)
    if weight.ndim != 2 or bias.shape != (weight.shape[0],):
        raise ValueError(
            f"weight must be (K, D) and bias (K,); got {weight.shape} and {bias.shape}"
        )
    return np.concatenate([weight, bias[:, None]], axis=1)


def plane_basis(templates: np.ndarray) -> PlaneBasis:
    """Orthonormal basis of the affine plane through three templates (paper §2, step 2).

    Args:
        templates: (3, D+1) templates ``w̃_a, w̃_b, w̃_c`` in the order that fixes the axes.

    Returns:
        PlaneBasis with origin = centroid and axis 1 along ``w̃_b − w̃_a`` (see module docstring).

    Raises:
        ValueError: wrong shape, non-finite values, or (numerically) collinear templates.
    """
    templates = np.asarray(templates, dtype=np.float64)
    if templates.ndim != 2 or templates.shape[0] != 3:
        raise ValueError(f"templates must have shape (3, D+1), got {templates.shape}")
    if not np.all(np.isfinite(templates)):
        raise ValueError("templates contain NaN or inf")
    w_a, w_b, w_c = templates
    u = w_b - w_a
    v = w_c - w_a
    scale = max(np.linalg.norm(u), np.linalg.norm(v))
    if scale == 0.0 or np.linalg.norm(u) <= COLLINEARITY_RTOL * scale:
        raise ValueError(
            "degenerate templates: w_a and w_b coincide, so the three templates do not span a plane"
        )
    e1 = u / np.linalg.norm(u)
    # Gram–Schmidt twice ("twice is enough") so that e2 is orthogonal to e1 to round-off even
    # when v is nearly parallel to u.
    r = v - (v @ e1) * e1
    r = r - (r @ e1) * e1
    if np.linalg.norm(r) <= COLLINEARITY_RTOL * scale:
        raise ValueError(
            "degenerate templates: the three templates are collinear (w_c - w_a is parallel to "
            "w_b - w_a), so no unique plane passes through them"
        )
    e2 = r / np.linalg.norm(r)
    return PlaneBasis(origin=templates.mean(axis=0), basis=np.stack([e1, e2]))


def project(points: np.ndarray, basis: PlaneBasis) -> np.ndarray:
    """2-D plane coordinates of the orthogonal projection of points onto the plane (§2, step 3).

    Args:
        points: (N, D+1) augmented activations (or any points of the ambient space).
        basis: the plane.

    Returns:
        (N, 2) float64 coordinates relative to ``basis.origin`` along ``basis.basis`` rows.
    """
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != basis.dim:
        raise ValueError(f"points must have shape (N, {basis.dim}), got {points.shape}")
    # Orthonormal rows make this the least-squares solution of origin + c @ basis ≈ point.
    return (points - basis.origin) @ basis.basis.T


def reconstruct(coords: np.ndarray, basis: PlaneBasis) -> np.ndarray:
    """Map 2-D plane coordinates back to the ambient space.

    Args:
        coords: (N, 2) plane coordinates.
        basis: the plane.

    Returns:
        (N, D+1) points on the plane.
    """
    coords = np.asarray(coords, dtype=np.float64)
    if coords.ndim != 2 or coords.shape[1] != 2:
        raise ValueError(f"coords must have shape (N, 2), got {coords.shape}")
    return basis.origin + coords @ basis.basis


def resolve_classes(class_names: Sequence[str], classes: Sequence[str]) -> list[int]:
    """Class ids of a triplet given by names.

    Args:
        class_names: (K,) names of all classes, in label order.
        classes: three distinct names.

    Returns:
        The three class ids, in the given order.

    Raises:
        ValueError: not exactly three names, duplicates, or a name not in ``class_names``.
    """
    names = [str(name) for name in class_names]
    classes = [str(name) for name in classes]
    if len(classes) != 3:
        raise ValueError(f"a projection needs exactly three classes, got {len(classes)}: {classes}")
    if len(set(classes)) != 3:
        raise ValueError(f"the three classes must be distinct, got {classes}")
    unknown = [name for name in classes if name not in names]
    if unknown:
        raise ValueError(f"unknown class name(s) {unknown}; valid names are: {', '.join(names)}")
    return [names.index(name) for name in classes]


def validate_arrays(arrays: Mapping[str, np.ndarray]) -> None:
    """Check the evaluation-artifact contract needed by the projection and geometry.

    Expected keys (shapes): features (N, D), labels (N,), weight (K, D), bias (K,),
    class_names (K,); optional index (N,), logits (N, K).

    Raises:
        ValueError: a missing key or inconsistent shapes, naming the key.
    """
    missing = [key for key in REQUIRED_KEYS if key not in arrays]
    if missing:
        raise ValueError(f"evaluation arrays lack key(s) {missing}; have {sorted(arrays)}")
    features = np.asarray(arrays["features"])
    labels = np.asarray(arrays["labels"])
    weight = np.asarray(arrays["weight"])
    n, k = labels.shape[0], weight.shape[0]
    expected = {
        "features": (n, weight.shape[1]),
        "labels": (n,),
        "bias": (k,),
        "class_names": (k,),
        "index": (n,),
        "logits": (n, k),
    }
    if features.ndim != 2 or weight.ndim != 2 or labels.ndim != 1:
        raise ValueError(
            f"features must be (N, D), labels (N,), weight (K, D); got {features.shape}, "
            f"{labels.shape}, {weight.shape}"
        )
    for key, shape in expected.items():
        if key in arrays and np.shape(arrays[key]) != shape:
            raise ValueError(f"{key} has shape {np.shape(arrays[key])}, expected {shape}")
    if n and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(f"labels must lie in [0, {k}), got range [{labels.min()}, {labels.max()}]")


def projection_panel(
    arrays: Mapping[str, np.ndarray],
    classes: Sequence[str],
    per_class: int,
    seed: int,
) -> ProjectionPanel:
    """Project one model's examples of three classes onto their template plane (Fig. 1 panel).

    Args:
        arrays: an evaluation artifact (e.g. ``np.load(".../val.npz")``) with features (N, D),
            labels (N,), weight (K, D), bias (K,), class_names (K,), optionally index (N,) and
            logits (N, K).
        classes: three class names (a, b, c); their order fixes the axes (module docstring).
        per_class: examples drawn per class (paper: 100).
        seed: seed of the example draw (see ``select_examples``).

    Returns:
        ProjectionPanel with plane coordinates of the selected examples and of the templates.
    """
    validate_arrays(arrays)
    class_names = [str(name) for name in np.asarray(arrays["class_names"])]
    ids = resolve_classes(class_names, classes)
    labels = np.asarray(arrays["labels"]).astype(np.int64)
    index = np.asarray(arrays["index"]) if "index" in arrays else np.arange(labels.shape[0])
    rows = select_examples(labels, ids, per_class, seed, index=index, class_names=class_names)

    templates = augment_templates(arrays["weight"], arrays["bias"])[ids]  # (3, D+1)
    basis = plane_basis(templates)
    xy = project(augment_features(np.asarray(arrays["features"])[rows]), basis)  # (3P, 2)
    txy = project(templates, basis)  # (3, 2)
    if "logits" in arrays:
        predicted = np.asarray(arrays["logits"])[rows].argmax(axis=1)
    else:
        predicted = np.full(rows.shape, -1)

    points = pd.DataFrame(
        {
            "x": xy[:, 0],
            "y": xy[:, 1],
            "label": labels[rows],
            "class_name": [class_names[c] for c in labels[rows]],
            "index": index[rows].astype(np.int64),
            "predicted": predicted.astype(np.int64),
        }
    )
    template_frame = pd.DataFrame(
        {
            "x": txy[:, 0],
            "y": txy[:, 1],
            "label": np.asarray(ids, dtype=np.int64),
            "class_name": [class_names[c] for c in ids],
        }
    )
    return ProjectionPanel(
        points=points, templates=template_frame, classes=tuple(class_names[c] for c in ids)
    )
