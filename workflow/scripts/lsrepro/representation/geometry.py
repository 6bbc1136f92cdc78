"""Numbers behind Fig. 1: logit gaps, equidistance and cluster tightness (paper §1.1–§2, C1–C6).

Everything here is computed in the full space (all K logits, all D feature dimensions), not only in
the 2-D projection; ``projection_geometry`` adds the in-plane numbers of one projection panel.

All functions return flat ``dict[str, float | int | None]`` ready for ``json.dump``.  Values that
are not finite (the infinite optimal gap of hard targets, or a ratio whose denominator is 0) are
stored as ``None``, because ``NaN``/``Infinity`` are not valid JSON.

Definitions (N examples, K classes, logits z, true label y_i):

* gap: ``z_{i,y_i} − z_{i,k}`` for every example i and every incorrect class k ≠ y_i, pooled over
  all N (K − 1) pairs.  With label smoothing α the cross-entropy against
  ``y^LS = y (1 − α) + α/K`` is minimised over free logits exactly when every gap equals
  ``log((1 − α + α/K) / (α/K))`` (§1.1, "a constant dependent on α", claim C1); for α = 0 the
  minimiser does not exist (gap → ∞).
* equidistance: the per-example standard deviation (ddof = 0) over the K − 1 incorrect logits,
  averaged over examples.  Because ``‖x̃ − w̃_k‖² = ‖x̃‖² − 2 z_k + ‖w̃_k‖²`` (§2), equal incorrect
  logits mean equal distances to the incorrect templates when template norms are equal; the
  latter assumption is reported as ``template_sqnorm_cv``.
* cluster tightness: mean Euclidean distance of each example's features to the mean of its
  class's features (in the same split), divided by either the mean pairwise distance between the
  augmented templates ``w̃_k = [weight_k, bias_k]`` or the mean pairwise distance between the
  class means.  The template version follows the paper's picture of activations and templates
  in one space, but is not invariant to rescaling x by s and w by 1/s (logits unchanged, ratio
  scales by s²); the class-mean version is invariant to that and to any uniform feature scale.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from lsrepro.representation.projection import (
    ProjectionPanel,
    augment_features,
    augment_templates,
    projection_panel,
    validate_arrays,
)
from lsrepro.representation.separation import erasure_measures

Number = float | int | None

GAP_QUANTILES = (0.05, 0.25, 0.75, 0.95)


def _json_float(value: float) -> float | None:
    """Plain float, or None for NaN/inf (not representable in JSON)."""
    value = float(value)
    return value if math.isfinite(value) else None


def _ratio(numerator: float, denominator: float) -> float | None:
    return _json_float(numerator / denominator) if denominator > 0 else None


def _pairwise_distance_mean(points: np.ndarray) -> float:
    """Mean Euclidean distance over all unordered pairs of rows of an (M, D) array (M ≥ 2)."""
    sq = np.sum(points**2, axis=1)
    # Gram trick; clip tiny negative round-off before the square root.
    d2 = np.clip(sq[:, None] + sq[None, :] - 2.0 * points @ points.T, 0.0, None)
    upper = np.triu_indices(points.shape[0], k=1)
    return float(np.sqrt(d2[upper]).mean())


def optimal_logit_gap(alpha: float, num_classes: int) -> float:
    """Loss-minimising correct-minus-incorrect logit gap under label smoothing (§1.1, §2).

    ``log((1 − α + α/K) / (α/K))``; ``math.inf`` for α = 0 (hard targets have no finite
    minimiser).  K = 10, α = 0.1 gives 4.51; K = 100, α = 0.1 gives 6.80.

    Args:
        alpha: smoothing parameter in [0, 1).
        num_classes: K ≥ 2.
    """
    if not 0.0 <= alpha < 1.0:
        raise ValueError(f"alpha must lie in [0, 1), got {alpha}")
    if num_classes < 2:
        raise ValueError(f"num_classes must be >= 2, got {num_classes}")
    if alpha == 0.0:
        return math.inf
    incorrect = alpha / num_classes
    return math.log((1.0 - alpha + incorrect) / incorrect)


def logit_geometry(logits: np.ndarray, labels: np.ndarray, alpha: float) -> dict[str, Number]:
    """Logit-gap and equidistance statistics of one model on one split (claim C1).

    Args:
        logits: (N, K) pre-softmax outputs.
        labels: (N,) int true classes.
        alpha: the model's training smoothing α in [0, 1), for the closed-form gap.

    Returns:
        Flat dict: ``n_examples``, ``num_classes``, ``alpha``, ``accuracy``; pooled gap
        statistics ``gap_mean``, ``gap_std``, ``gap_median``, ``gap_q05`` … ``gap_q95``;
        ``gap_optimal`` (None for α = 0) and ``gap_mean_over_optimal`` (None for α = 0);
        ``margin_mean`` (correct minus largest incorrect logit); ``incorrect_std_mean`` and
        ``incorrect_std_median`` (per-example std of incorrect logits); ``incorrect_std_over_gap``
        (``incorrect_std_mean / gap_mean``, scale-free).
    """
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels).astype(np.int64)
    if logits.ndim != 2 or labels.shape != (logits.shape[0],):
        raise ValueError(
            f"logits must be (N, K) and labels (N,); got {logits.shape}, {labels.shape}"
        )
    n, k = logits.shape
    if n == 0:
        raise ValueError("logit_geometry needs at least one example")
    if k < 2:
        raise ValueError(f"logit_geometry needs K >= 2 classes, got {k}")
    if labels.min() < 0 or labels.max() >= k:
        raise ValueError(f"labels must lie in [0, {k}), got [{labels.min()}, {labels.max()}]")
    if not np.all(np.isfinite(logits)):
        raise ValueError("logits contain NaN or inf")

    rows = np.arange(n)
    correct = logits[rows, labels]  # (N,)
    incorrect_mask = np.ones_like(logits, dtype=bool)
    incorrect_mask[rows, labels] = False
    incorrect = logits[incorrect_mask].reshape(n, k - 1)  # (N, K-1)
    gaps = correct[:, None] - incorrect  # (N, K-1)
    optimal = optimal_logit_gap(alpha, k)
    incorrect_std = incorrect.std(axis=1)  # (N,)

    result: dict[str, Number] = {
        "n_examples": int(n),
        "num_classes": int(k),
        "alpha": float(alpha),
        "accuracy": float(np.mean(logits.argmax(axis=1) == labels)),
        "gap_mean": float(gaps.mean()),
        "gap_std": float(gaps.std()),
        "gap_median": float(np.median(gaps)),
    }
    for q in GAP_QUANTILES:
        result[f"gap_q{round(100 * q):02d}"] = float(np.quantile(gaps, q))
    result.update(
        {
            "gap_optimal": _json_float(optimal),
            # None for α = 0 (inf optimum), rather than a misleading 0.
            "gap_mean_over_optimal": (
                _json_float(gaps.mean() / optimal) if math.isfinite(optimal) else None
            ),
            "margin_mean": float(gaps.min(axis=1).mean()),
            "incorrect_std_mean": float(incorrect_std.mean()),
            "incorrect_std_median": float(np.median(incorrect_std)),
            "incorrect_std_over_gap": _ratio(incorrect_std.mean(), gaps.mean()),
        }
    )
    return result


def feature_geometry(
    features: np.ndarray, labels: np.ndarray, weight: np.ndarray, bias: np.ndarray
) -> dict[str, Number]:
    """Cluster tightness of penultimate features relative to the class templates (claims C2, C6).

    Args:
        features: (N, D) penultimate activations x (input of the last linear layer).
        labels: (N,) int true classes.
        weight: (K, D) last-layer weight.
        bias: (K,) last-layer bias.

    Returns:
        Flat dict (definitions in the module docstring): ``classes_present``,
        ``within_class_distance_mean``, ``template_distance_mean``, ``class_mean_distance_mean``
        (None if fewer than two classes are present), ``tightness_vs_templates``,
        ``tightness_vs_class_means``, ``feature_norm_mean`` (mean ‖x̃‖), ``template_norm_mean``
        (mean ‖w̃_k‖) and ``template_sqnorm_cv`` (std / mean of ‖w̃_k‖² over classes).
    """
    features = np.asarray(features, dtype=np.float64)
    labels = np.asarray(labels).astype(np.int64)
    templates = augment_templates(weight, bias)  # (K, D+1)
    if features.ndim != 2 or features.shape[1] + 1 != templates.shape[1]:
        raise ValueError(
            f"features must be (N, {templates.shape[1] - 1}) to match weight; got {features.shape}"
        )
    if labels.shape != (features.shape[0],) or features.shape[0] == 0:
        raise ValueError(f"labels must be (N,) with N >= 1; got {labels.shape}")
    if templates.shape[0] < 2:
        raise ValueError("feature_geometry needs K >= 2 templates")

    present = np.unique(labels)
    # Class means of this split's features, indexed by position in `present`.
    inverse = np.searchsorted(present, labels)
    counts = np.bincount(inverse, minlength=present.size)
    means = np.zeros((present.size, features.shape[1]))
    np.add.at(means, inverse, features)
    means /= counts[:, None]
    within = float(np.linalg.norm(features - means[inverse], axis=1).mean())
    template_distance = _pairwise_distance_mean(templates)
    class_mean_distance = _pairwise_distance_mean(means) if present.size >= 2 else math.nan
    sqnorms = np.sum(templates**2, axis=1)

    return {
        "classes_present": int(present.size),
        "within_class_distance_mean": within,
        "template_distance_mean": template_distance,
        "class_mean_distance_mean": _json_float(class_mean_distance),
        "tightness_vs_templates": _ratio(within, template_distance),
        "tightness_vs_class_means": (
            _ratio(within, class_mean_distance) if present.size >= 2 else None
        ),
        "feature_norm_mean": float(np.linalg.norm(augment_features(features), axis=1).mean()),
        "template_norm_mean": float(np.sqrt(sqnorms).mean()),
        "template_sqnorm_cv": _ratio(sqnorms.std(), sqnorms.mean()),
    }


def projection_geometry(panel: ProjectionPanel) -> dict[str, Number]:
    """In-plane numbers of one projection panel (claims C2, C4, C6).

    Coordinates are relative to the centroid of the three templates (see
    ``lsrepro.representation.projection``).

    Args:
        panel: output of ``projection_panel``.

    Returns:
        Flat dict: ``norm_mean`` (mean distance of projected points from the template centroid,
        the "absolute values" of C4), ``abs_max`` (largest absolute coordinate),
        ``template_side_mean`` (mean side of the template triangle), ``template_side_ratio``
        (shortest / longest side; 1 = equilateral), ``within_class_distance_mean`` (mean
        in-plane distance to the in-plane class centroid), ``tightness``
        (``within_class_distance_mean / template_side_mean``), ``norm_over_side``
        (``norm_mean / template_side_mean``) and ``accuracy`` (K-way, of the projected examples;
        None when logits were not available).
    """
    xy = panel.points[["x", "y"]].to_numpy(dtype=np.float64)  # (3P, 2)
    txy = panel.templates[["x", "y"]].to_numpy(dtype=np.float64)  # (3, 2)
    sides = np.linalg.norm(txy[[0, 1, 2]] - txy[[1, 2, 0]], axis=1)  # (3,)
    centroids = panel.points.groupby("label")[["x", "y"]].transform("mean").to_numpy()
    within = float(np.linalg.norm(xy - centroids, axis=1).mean())
    norm_mean = float(np.linalg.norm(xy, axis=1).mean())
    predicted = panel.points["predicted"].to_numpy()
    accuracy = (
        float(np.mean(predicted == panel.points["label"].to_numpy()))
        if np.all(predicted >= 0)
        else None
    )
    return {
        "norm_mean": norm_mean,
        "abs_max": float(np.abs(xy).max()),
        "template_side_mean": float(sides.mean()),
        "template_side_ratio": _ratio(sides.min(), sides.max()),
        "within_class_distance_mean": within,
        "tightness": _ratio(within, sides.mean()),
        "norm_over_side": _ratio(norm_mean, sides.mean()),
        "accuracy": accuracy,
    }


def logit_reconstruction_error(arrays: Mapping[str, np.ndarray]) -> float:
    """Relative max error of ``features @ weight.T + bias`` against the saved logits.

    A contract check on the evaluation artifact: the projection is only meaningful if the saved
    features are exactly the input of the saved last layer.  Small values (~1e-6 in float32,
    ~1e-2 under bf16 autocast) are round-off; values near 1 mean the wrong activations were saved.

    Args:
        arrays: features (N, D), weight (K, D), bias (K,), logits (N, K).

    Returns:
        ``max |recomputed − logits| / max(1, max |logits|)``.
    """
    features = np.asarray(arrays["features"], dtype=np.float64)
    weight = np.asarray(arrays["weight"], dtype=np.float64)
    bias = np.asarray(arrays["bias"], dtype=np.float64)
    logits = np.asarray(arrays["logits"], dtype=np.float64)
    recomputed = features @ weight.T + bias  # (N, K)
    return float(np.abs(recomputed - logits).max() / max(1.0, float(np.abs(logits).max())))


def split_geometry(
    arrays: Mapping[str, np.ndarray],
    alpha: float,
    triplets: Mapping[str, Sequence[str]],
    per_class: int,
    seed: int,
) -> dict[str, Number]:
    """All Fig. 1 numbers of one model on one split, as one flat JSON-ready dict.

    Args:
        arrays: an evaluation artifact with logits (N, K), labels (N,), features (N, D),
            weight (K, D), bias (K,), class_names (K,), optionally index (N,).
        alpha: the model's training smoothing α.
        triplets: name -> three class names, e.g. ``{"different": ["airplane", "automobile",
            "bird"]}``.
        per_class: examples per class in each projection (paper: 100).
        seed: seed of the example draw.

    Returns:
        ``logit_geometry`` and ``feature_geometry`` keys unprefixed,
        ``logit_reconstruction_error``, ``separation_r2`` and ``nc1``
        (:func:`lsrepro.representation.separation.erasure_measures`), and
        ``projection.<triplet>.<key>`` for each triplet's ``projection_geometry``.
    """
    validate_arrays(arrays)
    if "logits" not in arrays:
        raise ValueError("split_geometry needs the 'logits' array of the evaluation artifact")
    result: dict[str, Number] = {}
    result.update(logit_geometry(arrays["logits"], arrays["labels"], alpha))
    result.update(
        feature_geometry(arrays["features"], arrays["labels"], arrays["weight"], arrays["bias"])
    )
    result["logit_reconstruction_error"] = logit_reconstruction_error(arrays)
    # erasure measured (issue 18, C5c/C5d): class separation R² and NC1 of the features
    result.update(erasure_measures(arrays["features"], arrays["labels"]))
    for name, classes in triplets.items():
        panel = projection_panel(arrays, classes, per_class, seed)
        for key, value in projection_geometry(panel).items():
            result[f"projection.{name}.{key}"] = value
    return result
