"""Workflow entry point of the evaluate rule: a trained model's logits and penultimate features
on its train sample, validation split and test set."""

from __future__ import annotations

from pathlib import Path

from lsrepro.artifacts.model import load_model
from lsrepro.data import augment
from lsrepro.data.images import DataIntegrityError, load_prepared, load_split
from lsrepro.evaluation.inference import infer, sample_indices, save_evaluation
from lsrepro.runtime import pick_device


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
        logits, features = infer(model, x[index], spec, batch_size, device, f"evaluate {name}")
        save_evaluation(
            Path(outputs[name]),
            model=model,
            logits=logits,
            features=features,
            labels=y[index],
            index=index,
            class_names=data.class_names,
        )
