"""Workflow entry points of training: rules ``train`` (label smoothing) and ``distill`` (a
student towards a teacher's outputs) both come here; only the objective differs ("the only
difference is the targets used", paper A.1). Every run, the translation stage's Transformers
included, is built and trained by one helper, :func:`train_run`."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lsrepro.artifacts.model import load_model_on_split
from lsrepro.artifacts.teacher_cache import load_teacher_cache
from lsrepro.data.imagenet import is_manifest
from lsrepro.data.images import DataIntegrityError, load_prepared, load_split
from lsrepro.models import build_model
from lsrepro.runtime import configure_torch
from lsrepro.training import precision
from lsrepro.training.batches import ImageBatches
from lsrepro.training.loop import TrainResult, init_model, train
from lsrepro.training.objectives import Objective, TeacherOutputs, build_objective
from lsrepro.training.recipe import Recipe
from lsrepro.training.stream import train_streamed_files

log = logging.getLogger(__name__)


def load_teacher(
    *,
    mode: str,
    device: str,
    split_digest: str,
    cache: Path | str | None = None,
    model: Path | str | None = None,
) -> TeacherOutputs:
    """Teacher outputs for distillation: the cached ``[N, 2, K]`` logits or the teacher model."""
    if mode == "cached":
        cached = load_teacher_cache(Path(cache))
        if cached.split_digest != split_digest:
            raise DataIntegrityError(
                f"{cache} holds teacher outputs for split {cached.split_digest}, but the student "
                f"trains on split {split_digest}: re-run cache_teacher_outputs"
            )
        logits = torch.from_numpy(cached.logits).to(device)
        # The teacher's identity is its recipe fingerprint *and* its outputs: a teacher retrained
        # with the same recipe but other weights (e.g. on a GPU, not bitwise reproducible) makes
        # its students a new run instead of resuming or reusing one trained on the old targets.
        outputs = hashlib.sha256(np.ascontiguousarray(cached.logits).tobytes()).hexdigest()[:16]
        return TeacherOutputs(f"{cached.teacher_fingerprint}-{outputs}", cached=logits)
    if mode == "online":
        teacher, meta = load_model_on_split(
            Path(model), split_digest, "the student's split", device
        )
        weights = hashlib.sha256()
        for name, tensor in sorted(teacher.state_dict().items()):
            weights.update(name.encode())
            weights.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        return TeacherOutputs(
            f"{meta['fingerprint']}-{weights.hexdigest()[:16]}",
            teacher=teacher,
            autocast=precision.inference(teacher, meta["recipe"], device),
        )
    raise ValueError(f"teacher outputs must be 'cached' or 'online', got {mode!r}")


def train_run(
    *,
    recipe: Recipe,
    build_args: dict[str, Any],
    seed: int,
    device: str,
    objective: Objective,
    batches: Callable[[torch.nn.Module], Any],
    out_dir: Path | str,
    metadata: dict[str, Any],
    run: dict[str, Any],
    max_steps: int | None = None,
) -> TrainResult:
    """Build and train one run (rules ``train``, ``distill``, ``train_translation``).

    The registry's ``recipe.model`` is built with ``build_args`` under the run's initialisation
    seed (:func:`init_model`) on ``device``; ``batches(model)`` gives its batch source (the
    image batches choose channels-last from the model); :func:`train` runs the loop and writes
    the run's files into ``out_dir``, model.pt's metadata being ``metadata``, then
    ``build_args`` (what rebuilds the model) and ``run`` (the run key).
    """
    model = init_model(lambda: build_model(recipe.model, **build_args), seed).to(device)
    return train(
        model=model,
        objective=objective,
        batches=batches(model),
        recipe=recipe,
        seed=seed,
        out_dir=Path(out_dir),
        metadata={**metadata, "build_args": build_args, "run": run},
        device=device,
        max_steps=max_steps,
    )


def train_classifier_files(
    *,
    prepared: Path | str,
    split: Path | str,
    recipe: dict[str, Any],
    dataset: str,
    objective: dict[str, Any],
    seed: int,
    out_dir: Path | str,
    threads: int,
    run: dict[str, Any],
    teacher: dict[str, Any] | None = None,
    gpus: int = 1,
) -> TrainResult:
    """Read the prepared dataset and split, train on the train split, write the run's files.

    ``objective``: see :func:`build_objective`. ``teacher``: for distillation, ``{mode,
    cache | model}`` (see :func:`load_teacher`). ``run``: the run key, stored in model.pt.
    A manifest of image files (ImageNet) trains through :mod:`lsrepro.training.stream`,
    data-parallel over ``gpus`` GPUs when the job has them.
    """
    if is_manifest(prepared):
        if teacher is not None:
            raise ValueError(f"{prepared}: distillation from image files is not supported")
        return train_streamed_files(
            prepared=prepared,
            split=split,
            recipe=recipe,
            dataset=dataset,
            objective=objective,
            seed=seed,
            out_dir=out_dir,
            threads=threads,
            run=run,
            gpus=gpus,
        )

    device = configure_torch(threads)
    data = load_prepared(Path(prepared))
    parts = load_split(Path(split))
    spec = Recipe.from_config(recipe)
    log.info(
        "training %s on %s (%d train examples, split %s), objective %s, seed %d, device %s, "
        "%d threads",
        spec.model["name"],
        dataset,
        len(parts.train),
        parts.digest,
        objective,
        seed,
        device,
        threads,
    )
    x_train = data.x_train[parts.train]
    teacher_outputs = (
        load_teacher(device=device, split_digest=parts.digest, **teacher) if teacher else None
    )

    def batches(model: torch.nn.Module) -> ImageBatches:
        images = torch.from_numpy(np.ascontiguousarray(x_train)).to(device)  # resident on device
        labels = torch.from_numpy(np.asarray(data.y_train[parts.train], dtype=np.int64)).to(device)
        channels_last = precision.uses_channels_last(model, device, spec.precision)
        return ImageBatches(
            images, labels, spec.input, spec.batch_size, seed, channels_last=channels_last
        )

    return train_run(
        recipe=spec,
        build_args={"num_classes": data.num_classes, "in_channels": int(x_train.shape[-1])},
        seed=seed,
        device=device,
        objective=build_objective(objective, teacher_outputs),
        batches=batches,
        out_dir=out_dir,
        metadata={"dataset": dataset, "split_digest": parts.digest, "split_seed": parts.seed},
        run=run,
    )
