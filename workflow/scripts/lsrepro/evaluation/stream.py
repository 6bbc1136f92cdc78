"""Inference over image files (ImageNet): logits and penultimate features streamed batch by
batch from DataLoader workers into arrays of the split's size, saved as the same evaluation
artifacts as the in-memory path (``inference.py``). Nothing here holds more than one batch of
images; the largest arrays are a split's (N, 1536) features (val: 50,000 rows; the training
split is evaluated on a sample, ``evaluate.train_sample``, never all 1.28M rows)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from lsrepro.data.imagenet import CropSpec, ImageFiles, loader, to_device
from lsrepro.evaluation.inference import sample_indices, save_evaluation
from lsrepro.models import Classifier
from lsrepro.training import precision


@torch.no_grad()
def infer_files(
    model: Classifier,
    files: ImageFiles,
    rows: np.ndarray,
    normalize: str,
    batch_size: int,
    device: torch.device | str,
    workers: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Evaluation crops of ``rows`` -> logits (N, K), features (N, D), float32, in row order."""
    model.eval()
    device = torch.device(device)
    n = len(rows)
    logits = np.empty((n, model.classifier.out_features), np.float32)
    features = np.empty((n, model.classifier.in_features), np.float32)
    keys = [(int(r), None) for r in rows]
    batches = [keys[i : i + batch_size] for i in range(0, n, batch_size)]
    start = 0
    for images, _, _, _ in loader(files, batches, workers, device.type == "cuda"):
        feats = model.features(to_device(images, normalize, device))  # (B, D)
        stop = start + len(feats)
        features[start:stop] = feats.float().cpu().numpy()
        logits[start:stop] = model.classifier(feats).float().cpu().numpy()
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
    from lsrepro.artifacts.model import load_model
    from lsrepro.data.imagenet import load_manifest
    from lsrepro.data.images import DataIntegrityError, load_split
    from lsrepro.runtime import pick_device

    device = pick_device()
    model, meta = load_model(model_path, device)
    manifest = load_manifest(prepared)
    parts = load_split(Path(split))
    if meta["split_digest"] != parts.digest or meta.get("manifest_digest") != manifest.digest:
        raise DataIntegrityError(
            f"{model_path} was trained on split {meta['split_digest']} of manifest "
            f"{meta.get('manifest_digest')}, but {split} / {prepared} are split {parts.digest} "
            f"of manifest {manifest.digest}; re-run training"
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
