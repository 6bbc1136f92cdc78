"""Training from image files that do not fit in memory (ImageNet): the same loop, fed by
DataLoader workers.

:class:`StreamedImageBatches` is a :class:`~lsrepro.training.batches.BatchSource` like
``ImageBatches``: step ``s`` takes the rows :func:`batch_indices` gives for ``(seed, s)`` and
image ``i`` of the step is cropped and mirrored from ``default_rng([step_seed(seed, s,
STREAM_AUGMENT), i])``, so a resumed run draws exactly the batches of an uninterrupted one,
whatever the number of workers. Workers decode and crop (PIL) into uint8 tensors in pinned
memory; the main process copies them to the device without blocking and converts and normalises
them there. The loader runs ahead by ``prefetch`` batches per worker; a call for any other step
than the next one (a resume) restarts it at that step.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lsrepro.data.imagenet import CropSpec, ImageFiles, Manifest, load_manifest, loader, to_device
from lsrepro.data.images import load_split
from lsrepro.models import build_model
from lsrepro.runtime import configure_torch
from lsrepro.training.batches import STREAM_AUGMENT, Batch, batch_indices, step_seed
from lsrepro.training.loop import init_model, train
from lsrepro.training.objectives import build_objective
from lsrepro.training.parallel import launch
from lsrepro.training.recipe import Recipe

log = logging.getLogger(__name__)


CHUNK = 128  # images one worker decodes at a time (host memory: workers x prefetch x chunk)


class _Steps:
    """Batch sampler: for each step from ``start`` on, the ``(row, image seed)`` keys of its
    images (rows of the manifest split), in chunks of at most ``CHUNK`` images so that a batch
    of 4096 is decoded by many workers at once."""

    def __init__(
        self, rows: np.ndarray, batch_size: int, seed: int, start: int, shard: slice
    ) -> None:
        self.rows, self.batch_size, self.seed, self.start = rows, batch_size, seed, start
        self.shard = shard

    def __iter__(self):
        step = self.start
        while True:
            positions = batch_indices(len(self.rows), self.batch_size, step, self.seed)
            base = step_seed(self.seed, step, STREAM_AUGMENT)
            keys = [(int(self.rows[p]), [base, i]) for i, p in enumerate(positions)][self.shard]
            for start in range(0, len(keys), CHUNK):
                yield keys[start : start + CHUNK]
            step += 1


class StreamedImageBatches:
    """Augmented batches of the train split of a manifest, decoded by ``workers`` processes."""

    def __init__(
        self,
        manifest: Manifest,
        train_rows: np.ndarray,
        crop: CropSpec,
        normalize: str,
        batch_size: int,
        seed: int,
        device: torch.device | str,
        workers: int,
        channels_last: bool = False,
        rank: int = 0,
        world: int = 1,
    ) -> None:
        """``rank`` of ``world`` data-parallel processes: each step gives images
        ``rank * batch_size / world`` ... of the step's batch (with their one-process crops)."""
        if batch_size % world:
            raise ValueError(f"batch_size {batch_size} does not split over {world} processes")
        share = batch_size // world
        self.shard = slice(rank * share, (rank + 1) * share)
        self.manifest, self.rows, self.crop = manifest, np.asarray(train_rows), crop
        self.normalize, self.batch_size, self.seed = normalize, batch_size, seed
        self.device, self.workers = torch.device(device), workers
        self.channels_last = channels_last
        self.num_examples = len(self.rows)
        self.dataset = ImageFiles(manifest, "train", crop)
        self._iter: Any = None
        self._next = -1

    def identity(self) -> dict[str, Any]:
        return {
            "kind": "image_files",
            "manifest": self.manifest.digest,
            "n": self.num_examples,
            "batch_size": self.batch_size,
            "crop": vars(self.crop),
            "normalize": self.normalize,
        }

    def epoch(self, steps_done: int) -> float:
        return steps_done * self.batch_size / self.num_examples

    def batch(self, step: int) -> Batch:
        if step != self._next:
            sampler = _Steps(self.rows, self.batch_size, self.seed, step, self.shard)
            pin = self.device.type == "cuda"
            self._iter = iter(loader(self.dataset, sampler, self.workers, pin))
            log.info("input pipeline (re)started at step %d, %d workers", step, self.workers)
        positions = batch_indices(self.num_examples, self.batch_size, step, self.seed)
        positions = positions[self.shard]
        chunks = [next(self._iter) for _ in range(0, len(positions), CHUNK)]
        self._next = step + 1
        x = torch.cat([to_device(c[0], self.normalize, self.device) for c in chunks])
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return Batch(
            index=torch.from_numpy(positions).to(self.device),
            inputs=(x,),
            labels=torch.cat([c[1] for c in chunks]).to(self.device),
            size=len(positions),
            flipped=torch.cat([c[3] for c in chunks]).to(self.device),
        )


def train_streamed_files(
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
    gpus: int = 1,
    world: int | None = None,
    parallel: Any = None,
):
    """``train_classifier_files`` for a manifest: ``threads - 1`` decode workers (none for 1).

    With more than one process (``world``; default: the job's ``gpus`` when CUDA is present),
    data-parallel over them (:mod:`lsrepro.training.parallel`); ``parallel`` is set inside a
    rank. Returns the TrainResult of a one-process run, None after a data-parallel one.
    """
    if parallel is None:
        if world is None:
            world = min(gpus, torch.cuda.device_count()) if torch.cuda.is_available() else 1
        if world > 1:
            launch(
                train_streamed_files,
                world,
                prepared=prepared,
                split=split,
                recipe=recipe,
                dataset=dataset,
                objective=objective,
                seed=seed,
                out_dir=out_dir,
                threads=threads,
                run=run,
            )
            return None
    rank, world = (0, 1) if parallel is None else (parallel.rank, parallel.world)
    device = configure_torch(max(threads // world, 1))
    if device == "cuda":
        device = f"cuda:{rank}"
    manifest = load_manifest(prepared)
    parts = load_split(Path(split))
    spec = Recipe.from_config(recipe)
    crop = CropSpec.from_recipe(recipe["input"], recipe["resized_crop"])
    workers = max(threads // world - 1, 0)
    log.info(
        "training %s on %s (%d train images of manifest %s, split %s), objective %s, seed %d, "
        "device %s (process %d of %d), %d decode workers, batch %d in %d micro-batches",
        spec.model["name"],
        dataset,
        len(parts.train),
        manifest.digest,
        parts.digest,
        objective,
        seed,
        device,
        rank + 1,
        world,
        workers,
        spec.batch_size,
        int(spec.extra.get("accumulate", 1)),
    )
    build_args = {"num_classes": manifest.num_classes, "in_channels": 3}
    model = init_model(lambda: build_model(spec.model, **build_args), seed).to(device)
    if device != "cpu":
        model = model.to(memory_format=torch.channels_last)
    batches = StreamedImageBatches(
        manifest,
        parts.train,
        crop,
        spec.input.normalize,
        spec.batch_size,
        seed,
        device,
        workers,
        channels_last=device != "cpu",
        rank=rank,
        world=world,
    )
    return train(
        model=model,
        objective=build_objective(objective),
        batches=batches,
        recipe=spec,
        seed=seed,
        out_dir=Path(out_dir),
        metadata={
            "dataset": dataset,
            "split_digest": parts.digest,
            "split_seed": parts.seed,
            "manifest_digest": manifest.digest,
            "build_args": build_args,
            "run": run,
        },
        device=device,
        parallel=parallel,
    )
