"""Inference: logits and penultimate features of a trained model on a split, saved for CPU rules
as evaluation artifacts (:mod:`lsrepro.artifacts.evaluation`).

:func:`forward` is the one inference pass of every image network the workflow runs after
training: evaluate (:func:`infer`, and the streamed ``stream.infer_files``), teacher caching
(:func:`lsrepro.distillation.cache.teacher_outputs`) and the MI experiment
(:func:`lsrepro.information.experiment.logit_differences`). Callers bring the batches (their
preprocessing differs) and run it inside the model's precision
(:func:`lsrepro.training.precision.inference`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import torch

from lsrepro.artifacts import evaluation as artifact
from lsrepro.data import augment
from lsrepro.data.images import stratified_subset
from lsrepro.models import Classifier
from lsrepro.progress import progress


@torch.no_grad()
def forward(
    model: Classifier, inputs: Iterable[torch.Tensor]
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Each preprocessed batch (B, C, H, W) through ``model`` in eval mode, without gradients:
    yields (logits (B, K), penultimate features (B, D)), fp32 on the batch's device."""
    model.eval()
    for x in inputs:
        feats = model.features(x)  # (B, D)
        yield model.classifier(feats).float(), feats.float()


def infer(
    model: Classifier,
    images: np.ndarray,
    spec: augment.InputSpec,
    batch_size: int = 500,
    device: str | torch.device = "cpu",
    what: str = "inference",
) -> tuple[np.ndarray, np.ndarray]:
    """Un-augmented forward pass. images: uint8 (N, H, W, C) -> logits (N, K), features (N, D)."""
    inputs = (
        augment.eval_batch(torch.from_numpy(images[start : start + batch_size]).to(device), spec)
        for start in progress(range(0, len(images), batch_size), what, unit="batches")
    )
    logits, features = [], []
    for batch_logits, batch_features in forward(model, inputs):
        features.append(batch_features.cpu())
        logits.append(batch_logits.cpu())
    return torch.cat(logits).numpy(), torch.cat(features).numpy()


def sample_indices(labels: np.ndarray, size: int | None, seed: int) -> np.ndarray:
    """A fixed class-stratified subset of ``size`` rows (all rows when size is None or >= n)."""
    if size is None or size >= len(labels):
        return np.arange(len(labels))
    return stratified_subset(labels, size, seed)


def save_evaluation(
    path: Path,
    *,
    model: Classifier,
    logits: np.ndarray,
    features: np.ndarray,
    labels: np.ndarray,
    index: np.ndarray,
    class_names: tuple[str, ...],
) -> None:
    artifact.save(
        path,
        logits=logits,
        labels=labels,
        features=features,
        weight=model.classifier.weight.detach().float().cpu().numpy(),
        bias=model.classifier.bias.detach().float().cpu().numpy(),
        index=index,
        class_names=np.asarray(class_names),
    )
