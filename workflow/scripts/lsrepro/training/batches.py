"""What a training step consumes: a :class:`Batch`, drawn by a :class:`BatchSource`.

Every random choice of step ``s`` (which rows, which crop, which flip) is a pure function of
``(seed, s)``. This is what makes a resumed run draw exactly what an uninterrupted run draws.
Streams of :func:`step_seed`: 0 = epoch permutations, 1 = weight initialisation, 2 = augmentation,
3 = dropout (and any other randomness inside the forward pass).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch

from lsrepro.data import augment

IGNORE_INDEX = -100  # a label position that counts in no loss, accuracy or metric (padding)

STREAM_PERMUTATION, STREAM_INIT, STREAM_AUGMENT, STREAM_DROPOUT = 0, 1, 2, 3


@dataclass
class Batch:
    index: torch.Tensor  # (B,) int64 rows of the training set
    inputs: tuple[torch.Tensor, ...]  # the loop calls model(*inputs)
    labels: torch.Tensor  # (B,) or (B, T) int64; IGNORE_INDEX marks padding
    size: int  # examples (images) or target tokens, for throughput
    flipped: torch.Tensor | None = None  # (B,) bool: the image was mirrored by augmentation

    def split(self, parts: int) -> list[Batch]:
        """``parts`` equal micro-batches (gradient accumulation), in order; ``[self]`` for 1."""
        if parts == 1:
            return [self]
        n = self.labels.shape[0]
        if n % parts:
            raise ValueError(f"a batch of {n} does not split into {parts} equal micro-batches")

        def chunks(t: torch.Tensor) -> tuple[torch.Tensor, ...]:
            return t.split(n // parts)

        columns = [chunks(self.index), *map(chunks, self.inputs), chunks(self.labels)]
        flips = chunks(self.flipped) if self.flipped is not None else (None,) * parts
        return [
            Batch(
                index=columns[0][j],
                inputs=tuple(c[j] for c in columns[1:-1]),
                labels=columns[-1][j],
                size=self.size // parts,
                flipped=flips[j],
            )
            for j in range(parts)
        ]


class BatchSource(Protocol):
    num_examples: int

    def identity(self) -> dict[str, Any]:
        """JSON-able description of everything that decides the batches (fingerprint part)."""

    def batch(self, step: int) -> Batch:
        """The batch of ``step``: a pure function of (seed, step)."""

    def epoch(self, steps_done: int) -> float:
        """Passes over the training set after ``steps_done`` steps (for the history)."""


def step_seed(seed: int, step: int, stream: int) -> int:
    """Independent 63-bit seed for (run seed, step, stream): SeedSequence mixes them."""
    return int(np.random.SeedSequence([seed, step, stream]).generate_state(2, np.uint64)[0] >> 1)


def batch_indices(n: int, batch_size: int, step: int, seed: int) -> np.ndarray:
    """Indices of step ``step``: consecutive slices of per-epoch permutations from (seed, epoch).

    Epoch boundaries fall inside a batch when ``n`` is not a multiple of ``batch_size``; the batch
    then takes the tail of one epoch's permutation and the head of the next.
    """
    start = step * batch_size
    out = np.empty(batch_size, dtype=np.int64)
    filled = 0
    while filled < batch_size:
        epoch, offset = divmod(start + filled, n)
        perm = np.random.default_rng(step_seed(seed, epoch, STREAM_PERMUTATION)).permutation(n)
        take = min(batch_size - filled, n - offset)
        out[filled : filled + take] = perm[offset : offset + take]
        filled += take
    return out


class ImageBatches:
    """Augmented image batches from device-resident uint8 images (DESIGN.md §6).

    images: uint8 (N, H, W, C) on the training device; labels: (N,) int64 on the same device.
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        spec: augment.InputSpec,
        batch_size: int,
        seed: int,
        channels_last: bool = False,
    ) -> None:
        self.images, self.labels, self.spec = images, labels, spec
        self.batch_size, self.seed, self.channels_last = batch_size, seed, channels_last
        self.num_examples = len(images)

    def identity(self) -> dict[str, Any]:
        return {"kind": "images", "n": self.num_examples, "batch_size": self.batch_size}

    def epoch(self, steps_done: int) -> float:
        return steps_done * self.batch_size / self.num_examples

    def batch(self, step: int) -> Batch:
        device = self.images.device
        rows = batch_indices(self.num_examples, self.batch_size, step, self.seed)
        idx = torch.from_numpy(rows).to(device)
        gen = torch.Generator().manual_seed(step_seed(self.seed, step, STREAM_AUGMENT))
        x, flipped = augment.train_batch(self.images.index_select(0, idx), self.spec, gen)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        y = self.labels.index_select(0, idx)
        return Batch(index=idx, inputs=(x,), labels=y, size=len(rows), flipped=flipped)
