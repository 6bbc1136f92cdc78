"""Workflow entry point of the evaluate rule: a trained model's logits and penultimate features
on its train sample, validation split and test set."""

from __future__ import annotations

from pathlib import Path

from lsrepro.artifacts.model import load_model_on_split
from lsrepro.data import augment
from lsrepro.data.imagenet import is_manifest
from lsrepro.data.images import load_prepared, load_split
from lsrepro.evaluation.inference import infer, sample_indices, save_evaluation
from lsrepro.evaluation.stream import evaluate_streamed_files
from lsrepro.runtime import pick_device
from lsrepro.training import precision


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
    threads: int = 1,
) -> None:
    """Workflow entry point: write ``outputs['train' | 'val' | 'test']`` for one trained model.
    A manifest of image files (ImageNet) is read by ``threads - 1`` DataLoader workers."""
    if is_manifest(prepared):
        return evaluate_streamed_files(
            model_path=model_path,
            prepared=prepared,
            split=split,
            train_sample=train_sample,
            sample_seed=sample_seed,
            max_examples=max_examples,
            outputs=outputs,
            workers=max(threads - 1, 0),
        )
    device = pick_device()
    data = load_prepared(Path(prepared))
    parts = load_split(Path(split))
    model, meta = load_model_on_split(model_path, parts.digest, str(split), device)
    spec = augment.InputSpec(**meta["recipe"]["input"])
    y_train = data.y_train
    rows = {
        "train": parts.train[sample_indices(y_train[parts.train], train_sample, sample_seed)],
        "val": parts.val[sample_indices(y_train[parts.val], max_examples, sample_seed)],
        "test": sample_indices(data.y_test, max_examples, sample_seed),
    }
    fast_path = precision.inference(model, meta["recipe"], device)  # the model's own precision
    for name, index in rows.items():
        x, y = (data.x_test, data.y_test) if name == "test" else (data.x_train, data.y_train)
        with fast_path:
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
