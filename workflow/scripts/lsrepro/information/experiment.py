"""The MI experiment of paper §4 / Fig. 6: logit differences of a teacher's snapshots on augmented
copies of N fixed training examples, and the estimator of :mod:`.estimator` at every snapshot.

Choices where the paper is silent (paper-spec §1.6), fixed here:

* y = logit[a] − logit[b] (no absolute value) of the network in eval mode (batch norm uses its
  running statistics, dropout off), so the only randomness is the augmentation;
* the augmentation is the teacher's training augmentation, :func:`lsrepro.data.augment.train_batch`
  with the recipe's ``input`` spec (ResNet-56: pad 4, random 32×32 crop, random flip);
* draw l of every snapshot uses the generator seeded from ``SeedSequence([seed, l])``: the same
  augmentations at every snapshot (common random numbers, so the curve's steps differ by the
  network, not by the draw), independent of the batch size and of which snapshots are evaluated;
* draws 0..L−1 give μ_x and draw L is the fresh y_x of the main estimate; the L = 100 reference
  uses draws 0..99 for μ_x and draw 100 as its fresh y_x.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from lsrepro.artifacts.model import load_model
from lsrepro.data import augment
from lsrepro.data.images import select_examples as _select_examples
from lsrepro.evaluation.inference import forward
from lsrepro.information.estimator import estimate_information
from lsrepro.models import Classifier
from lsrepro.progress import progress
from lsrepro.training import precision

__all__ = [
    "CURVE_COLUMNS",
    "augmentation_generator",
    "information_curve",
    "logit_differences",
    "select_examples",
]

#: Columns of :func:`information_curve` (and of ``mi.csv``), in order.
CURVE_COLUMNS: tuple[str, ...] = (
    "step",
    "n_examples",
    "draws",
    "mi",
    "mi_insample",
    "mi_lower",
    "mi_upper",
    "var_between",
    "var_within",
    "mi_reference",
    "log_n",
)

_REFERENCE_POINTS = ("first", "peak", "last")


def select_examples(
    labels: np.ndarray, classes: tuple[int, int], per_class: int, seed: int
) -> np.ndarray:
    """``per_class`` examples of each of two classes, drawn once from ``seed`` (paper: 300 each).

    The same stratified draw as Fig. 1's
    (:func:`lsrepro.data.images.select_examples`): class c is drawn with its own
    generator seeded by ``(seed, c)``.

    Args:
        labels: (M,) int class ids of the candidate pool (e.g. the training split).
        classes: the pair (a, b) of distinct class ids; y = logit[a] − logit[b].
        per_class: examples per class (without replacement).
        seed: non-negative seed.

    Returns:
        (2 · per_class,) int64 positions into ``labels``: class a's first, then class b's, each
        group sorted.
    """
    pair = tuple(int(c) for c in classes)
    if len(pair) != 2 or pair[0] == pair[1]:
        raise ValueError(f"classes must be two distinct class ids, got {classes}")
    return _select_examples(labels, pair, per_class, seed)


def augmentation_generator(seed: int, draw: int) -> torch.Generator:
    """CPU generator of augmentation draw ``draw``: seeded from ``SeedSequence([seed, draw])``."""
    state = np.random.SeedSequence([int(seed), int(draw)]).generate_state(2, np.uint64)
    return torch.Generator().manual_seed(int(state[0] >> np.uint64(1)))


def logit_differences(
    model: Classifier,
    images_uint8_nhwc: np.ndarray,
    spec: augment.InputSpec,
    classes: tuple[int, int],
    draws: int,
    seed: int,
    batch_size: int = 256,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """y_{x,l} = logit_a − logit_b of ``model`` on randomly augmented copies of each image.

    Every draw augments all N images at once with the generator of
    :func:`augmentation_generator` ``(seed, l)`` (so the augmentations do not depend on
    ``batch_size``; the float32 forward pass may differ in its last bits between batch sizes),
    then runs the network in eval mode in batches. The model is left in eval mode.

    Args:
        model: the classifier (logits (B, K)), run by :func:`lsrepro.evaluation.inference.forward`.
        images_uint8_nhwc: (N, H, W, C) uint8 images.
        spec: the training augmentation (the recipe's ``input`` block).
        classes: (a, b) logit indices.
        draws: number of draws L.
        seed: augmentation seed.
        batch_size: forward batch size (memory only).
        device: where the augmentation and the network run.

    Returns:
        (draws, N) float64 logit differences (logits cast to float64 before subtracting).
    """
    images = np.asarray(images_uint8_nhwc)
    if images.dtype != np.uint8 or images.ndim != 4:
        raise ValueError(
            f"images must be uint8 (N, H, W, C), got {images.dtype} with shape {images.shape}"
        )
    a, b = (int(c) for c in classes)
    if draws < 1 or batch_size < 1:
        raise ValueError(f"draws and batch_size must be >= 1, got {draws}, {batch_size}")
    device = torch.device(device)
    x = torch.from_numpy(images).to(device)
    out = np.empty((draws, images.shape[0]), dtype=np.float64)
    for draw in progress(range(draws), f"logit differences ({draws} draws)", "draws"):
        # (N, C, h, w); which images were mirrored does not matter here
        batch, _ = augment.train_batch(x, spec, augmentation_generator(seed, draw))
        starts = range(0, len(batch), batch_size)
        chunks = (batch[start : start + batch_size] for start in starts)
        for start, (logits, _) in zip(starts, forward(model, chunks), strict=True):
            logits = logits.double()  # (B, K)
            if logits.ndim != 2 or max(a, b) >= logits.shape[1]:
                raise ValueError(
                    f"model returned logits of shape {tuple(logits.shape)}; "
                    f"classes {classes} need (B, K) with K > {max(a, b)}"
                )
            diff = logits[:, a] - logits[:, b]
            out[draw, start : start + batch_size] = diff.cpu().numpy()
    return out


def information_curve(
    snapshot_paths: Sequence[str | Path],
    images: np.ndarray,
    classes: tuple[int, int],
    *,
    draws: int = 5,
    reference_draws: int = 100,
    reference_at: Sequence[str] = _REFERENCE_POINTS,
    seed: int = 0,
    batch_size: int = 256,
    device: str | torch.device = "cpu",
    spec: augment.InputSpec | None = None,
) -> pd.DataFrame:
    """MI between example index and logit difference at every snapshot of one run (Fig. 6).

    Args:
        snapshot_paths: snapshot files of one run (any order; sorted by their metadata step),
            read with :func:`lsrepro.artifacts.model.load_model`.
        images: (N, H, W, C) uint8 examples (paper: 300 airplane + 300 dog training images).
        classes: (a, b): y = logit_a − logit_b (paper: airplane − dog).
        draws: L Monte-Carlo augmentations for μ_x (paper: 5), plus one fresh draw.
        reference_draws: L of the reference estimate (``mi_reference``).
        reference_at: which snapshots get the reference: any of "first", "peak" (largest
            ``mi``), "last"; empty for none.
        seed: augmentation seed (see the module docstring).
        batch_size, device: forward pass settings.
        spec: augmentation; default: the snapshot's recipe ``input`` block (must agree across
            snapshots).

    Returns:
        One row per snapshot, sorted by step, columns :data:`CURVE_COLUMNS`: ``step``,
        ``n_examples`` (N), ``draws`` (L), ``mi`` (fresh draw, nats, the main value),
        ``mi_insample``, ``mi_lower``/``mi_upper`` (Kolchinsky–Tracey bounds), ``var_between``,
        ``var_within`` (logit units²), ``mi_reference`` (fresh draw at L = reference_draws; NaN
        except at the reference snapshots), ``log_n``.
    """
    unknown = sorted(set(reference_at) - set(_REFERENCE_POINTS))
    if unknown:
        raise ValueError(f"reference_at: unknown point(s) {unknown}; use {_REFERENCE_POINTS}")
    if not snapshot_paths:
        raise ValueError("no snapshots given")
    if draws < 2 or (reference_at and reference_draws < 2):
        raise ValueError(f"draws and reference_draws must be >= 2, got {draws}, {reference_draws}")
    images = np.asarray(images)

    def run(path: Path, n_draws: int) -> tuple[np.ndarray, dict[str, Any]]:
        model, meta = load_model(path, device=device)
        use = spec or _spec_from_metadata(meta, path)
        with precision.inference(model, meta["recipe"], device):  # the snapshot's precision
            y = logit_differences(
                model, images, use, classes, n_draws + 1, seed, batch_size, device
            )
        return y, meta

    rows, specs = [], set()
    for path in progress(list(map(Path, snapshot_paths)), "MI per snapshot", "snapshots"):
        y, meta = run(path, draws)
        if "step" not in meta:
            raise ValueError(f"{path}: snapshot metadata has no 'step'")
        specs.add(repr(spec or _spec_from_metadata(meta, path)))
        est = estimate_information(y[:draws], y[draws])
        rows.append(
            {
                "step": int(meta["step"]),
                "n_examples": est.n_examples,
                "draws": draws,
                "mi": est.mi,
                "mi_insample": est.mi_insample,
                "mi_lower": est.mi_lower,
                "mi_upper": est.mi_upper,
                "var_between": est.var_between,
                "var_within": est.var_within,
                "mi_reference": np.nan,
                "log_n": float(np.log(est.n_examples)),
                "_path": path,
            }
        )
    if len(specs) > 1:
        raise ValueError(f"snapshots disagree on the input spec: {sorted(specs)}")
    curve = pd.DataFrame(rows).sort_values("step", kind="stable").reset_index(drop=True)
    if curve["step"].duplicated().any():
        raise ValueError(f"two snapshots with the same step: {curve['step'].tolist()}")
    positions = {"first": 0, "last": len(curve) - 1, "peak": int(curve["mi"].to_numpy().argmax())}
    for i in sorted({positions[p] for p in reference_at}):
        y, _ = run(curve.at[i, "_path"], reference_draws)
        ref = estimate_information(y[:reference_draws], y[reference_draws], insample=False)
        curve.at[i, "mi_reference"] = ref.mi
    return curve[list(CURVE_COLUMNS)]


def _spec_from_metadata(meta: dict[str, Any], path: Path) -> augment.InputSpec:
    try:
        return augment.InputSpec(**meta["recipe"]["input"])
    except (KeyError, TypeError) as err:
        raise ValueError(
            f"{path}: snapshot metadata lacks recipe.input (the training augmentation): {err}"
        ) from err
