"""Inference over image files (ImageNet): logits and penultimate features streamed batch by
batch from DataLoader workers into arrays of the split's size, saved as the same evaluation
artifacts as the in-memory path (``inference.py``). Nothing here holds more than one batch of
images; the largest arrays are a split's (N, 1536) features (val: 50,000 rows; the training
split is evaluated on a sample, ``evaluate.train_sample``, never all 1.28M rows)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from lsrepro.artifacts.model import load_model_on_split
from lsrepro.data.imagenet import CropSpec, ImageFiles, load_manifest, loader, to_device
from lsrepro.data.images import load_split
from lsrepro.evaluation.inference import forward, sample_indices, save_evaluation
from lsrepro.models import Classifier
from lsrepro.runtime import pick_device
from lsrepro.training import precision


def infer_files(
    model: Classifier,
    files: ImageFiles,
    rows: np.ndarray,
    normalize: str,
    batch_size: int,
    device: torch.device | str,
    workers: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Evaluation crops of ``rows`` -> logits (N, K), features (N, D), float32, in row order
    (:func:`lsrepro.evaluation.inference.forward` over the DataLoader's batches)."""
    device = torch.device(device)
    n = len(rows)
    logits = np.empty((n, model.classifier.out_features), np.float32)
    features = np.empty((n, model.classifier.in_features), np.float32)
    keys = [(int(r), None) for r in rows]
    batches = [keys[i : i + batch_size] for i in range(0, n, batch_size)]
    inputs = (
        to_device(images, normalize, device)
        for images, _, _, _ in loader(files, batches, workers, device.type == "cuda")
    )
    start = 0
    for batch_logits, batch_features in forward(model, inputs):  # (B, K), (B, D)
        stop = start + len(batch_features)
        features[start:stop] = batch_features.cpu().numpy()
        logits[start:stop] = batch_logits.cpu().numpy()
        start = stop
    return logits, features


def evaluate_streamed_files(
    *,
    model_path: Path | str,
    prepared: Path | str,
    split: Path | str,
    train_sample: int,
    sample_seed: int,
    max_examples: int | None,
    outputs: dict[str, Path | str],
    workers: int,
    batch_size: int = 250,
) -> None:
    """``evaluate_files`` for a manifest: train sample and val from the training images, test =
    the official val set. ``index`` in each file = rows of the manifest's split."""
    device = pick_device()
    manifest = load_manifest(prepared)
    parts = load_split(Path(split))
    model, meta = load_model_on_split(
        model_path, parts.digest, f"{split} / {prepared}", device, manifest.digest
    )
    recipe = meta["recipe"]
    crop = CropSpec.from_recipe(recipe["input"], recipe["extra"]["resized_crop"])
    y_train, y_test = manifest.train.labels, manifest.test.labels
    rows = {
        "train": parts.train[sample_indices(y_train[parts.train], train_sample, sample_seed)],
        "val": parts.val[sample_indices(y_train[parts.val], max_examples, sample_seed)],
        "test": sample_indices(y_test, max_examples, sample_seed),
    }
    fast_path = precision.inference(model, recipe, device)  # the model's own precision
    for name, index in rows.items():
        split_name, labels = ("test", y_test) if name == "test" else ("train", y_train)
        files = ImageFiles(manifest, split_name, crop)
        with fast_path:
            logits, features = infer_files(
                model, files, index, recipe["input"]["normalize"], batch_size, device, workers
            )
        save_evaluation(
            Path(outputs[name]),
            model=model,
            logits=logits,
            features=features,
            labels=labels[index],
            index=index,
            class_names=manifest.class_names,
        )
