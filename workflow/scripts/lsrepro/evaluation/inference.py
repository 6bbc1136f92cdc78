"""Inference: logits and penultimate features of a trained model on a split, saved for CPU rules
as evaluation artifacts (:mod:`lsrepro.evaluation.artifact`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from lsrepro import augment
from lsrepro.evaluation import artifact
from lsrepro.models import Classifier


@torch.no_grad()
def infer(
    model: Classifier,
    images: np.ndarray,
    spec: augment.InputSpec,
    batch_size: int = 500,
    device: str | torch.device = "cpu",
) -> tuple[np.ndarray, np.ndarray]:
    """Un-augmented forward pass. images: uint8 (N, H, W, C) -> logits (N, K), features (N, D)."""
    model.eval()
    logits, features = [], []
    for start in range(0, len(images), batch_size):
        x = torch.from_numpy(images[start : start + batch_size]).to(device)
        feats = model.features(augment.eval_batch(x, spec))  # (B, D)
        features.append(feats.float().cpu())
        logits.append(model.classifier(feats).float().cpu())
    return torch.cat(logits).numpy(), torch.cat(features).numpy()


def sample_indices(labels: np.ndarray, size: int | None, seed: int) -> np.ndarray:
    """A fixed class-stratified subset of ``size`` rows (all rows when size is None or >= n)."""
    from lsrepro.data import stratified_subset

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


def evaluate_files(
    *,
    model_path: Path | str,
    prepared: Path | str,
    split: Path | str,
    train_sample: int,
    sample_seed: int,
    max_examples: int | None,
    outputs: dict[str, Path | str],
    batch_size: int = 500,
) -> None:
    """Workflow entry point: write ``outputs['train' | 'val' | 'test']`` for one trained model."""
    from lsrepro.data import DataIntegrityError, load_prepared, load_split
    from lsrepro.io import pick_device
    from lsrepro.training.checkpoints import load_model

    device = pick_device()
    model, meta = load_model(model_path, device)
    data = load_prepared(Path(prepared))
    parts = load_split(Path(split))
    if meta["split_digest"] != parts.digest:
        raise DataIntegrityError(
            f"{model_path} was trained on split {meta['split_digest']} but {split} is split "
            f"{parts.digest}; re-run training (the split changed underneath it)"
        )
    spec = augment.InputSpec(**meta["recipe"]["input"])
    y_train = data.y_train
    rows = {
        "train": parts.train[sample_indices(y_train[parts.train], train_sample, sample_seed)],
        "val": parts.val[sample_indices(y_train[parts.val], max_examples, sample_seed)],
        "test": sample_indices(data.y_test, max_examples, sample_seed),
    }
    for name, index in rows.items():
        x, y = (data.x_test, data.y_test) if name == "test" else (data.x_train, data.y_train)
        logits, features = infer(model, x[index], spec, batch_size, device)
        save_evaluation(
            Path(outputs[name]),
            model=model,
            logits=logits,
            features=features,
            labels=y[index],
            index=index,
            class_names=data.class_names,
        )
