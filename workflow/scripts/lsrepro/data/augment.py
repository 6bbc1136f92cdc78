"""Input pipeline as batched tensor operations on the training device (no per-image Python loop).

One generic pipeline covers the paper's three recipes (``input:`` block of a recipe):

- ResNet-56 / CIFAR (t2t ``cifar_image_augmentation``): pad 4, random 32x32 crop, random flip.
- AlexNet / CIFAR (TF tutorial): random 24x24 crop, random flip, optional random brightness
  (max delta 63/255) and contrast ([0.2, 1.8]); evaluation takes the central 24x24 crop.
- MLP / MNIST teacher (paper A.5): random shifts of +-2 px (pad 2, random 28x28 crop = 25
  equiprobable centerings); the student sees untranslated digits (pad 0).

Then ``per_image`` standardisation ((x - mean) / max(std, 1/sqrt(n)), as
``tf.image.per_image_standardization`` and t2t's ``standardize_images``), ``unit`` scaling to
[0, 1] or ``inception`` scaling to [-1, 1] (ImageNet, whose crops are decoded per image in
DataLoader workers: ``data/imagenet.py``). Images arrive as uint8 (B, H, W, C) and leave as float32
(B, C, h, w).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

NORMALIZATIONS = ("per_image", "unit", "inception")


@dataclass(frozen=True)
class InputSpec:
    crop: int  # output side length
    pad: int = 0  # zero padding before a random crop (training only)
    flip: bool = False  # random left-right flip (training only)
    distort: bool = False  # TF tutorial's random brightness/contrast (training only)
    normalize: str = "per_image"  # per_image | unit | inception

    def __post_init__(self) -> None:
        if self.normalize not in NORMALIZATIONS:
            raise ValueError(
                f"input.normalize must be one of {', '.join(NORMALIZATIONS)}, "
                f"got {self.normalize!r}"
            )


def random_crop(x: torch.Tensor, size: int, pad: int, generator: torch.Generator) -> torch.Tensor:
    """Zero-pad by ``pad`` and take one random ``size`` x ``size`` window per image.

    x: (B, C, H, W). Offsets are drawn on the CPU generator so that the crop is the same on every
    device for the same seed; the crop itself is one ``gather`` over the flattened padded image
    on x's device.
    """
    b, c, h, w = x.shape
    if pad:
        x = F.pad(x, (pad, pad, pad, pad))
    height, width = h + 2 * pad, w + 2 * pad
    if size > height or size > width:
        raise ValueError(f"crop {size} larger than padded image {height}x{width}")
    oy = torch.randint(0, height - size + 1, (b,), generator=generator).to(x.device)
    ox = torch.randint(0, width - size + 1, (b,), generator=generator).to(x.device)
    ar = torch.arange(size, device=x.device)
    rows = oy[:, None] + ar  # (B, size)
    cols = ox[:, None] + ar  # (B, size)
    flat = (rows[:, :, None] * width + cols[:, None, :]).reshape(b, 1, size * size)
    out = x.reshape(b, c, height * width).gather(2, flat.expand(b, c, -1))
    return out.reshape(b, c, size, size)


def center_crop(x: torch.Tensor, size: int) -> torch.Tensor:
    h, w = x.shape[-2:]
    top, left = (h - size) // 2, (w - size) // 2
    return x[..., top : top + size, left : left + size]


def random_flip(x: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Mirror each image left-right with probability 1/2; also return which were mirrored (B,)."""
    flip = (torch.rand(x.shape[0], generator=generator) < 0.5).to(x.device)
    return torch.where(flip[:, None, None, None], x.flip(-1), x), flip


def random_distort(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """TF tutorial distortions on [0, 1] images: brightness +-63/255, then contrast x[0.2, 1.8]."""
    b = x.shape[0]
    delta = ((torch.rand(b, generator=generator) * 2 - 1) * 63 / 255).to(x.device)
    factor = (0.2 + torch.rand(b, generator=generator) * 1.6).to(x.device)
    x = x + delta[:, None, None, None]
    mean = x.mean(dim=(2, 3), keepdim=True)  # per image and channel, as tf.image.adjust_contrast
    return (x - mean) * factor[:, None, None, None] + mean


def normalize(x: torch.Tensor, how: str) -> torch.Tensor:
    """x: float images in [0, 1], (B, C, H, W). ``inception``: scaled to [-1, 1] (TF-slim's
    inception preprocessing, the Inception-v4 input)."""
    if how == "unit":
        return x
    if how == "inception":
        return x * 2.0 - 1.0
    n = x[0].numel()
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    std = x.std(dim=(1, 2, 3), keepdim=True, unbiased=False)
    return (x - mean) / std.clamp_min(n**-0.5)


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 (B, H, W, C) -> float32 (B, C, H, W) in [0, 1] (a view in channels-last layout)."""
    return images.float().div_(255.0).permute(0, 3, 1, 2)


def train_batch(
    images: torch.Tensor, spec: InputSpec, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Augment one training batch. images: uint8 (B, H, W, C) on the training device.

    Returns the float32 (B, C, h, w) batch and a (B,) bool tensor saying which images were
    mirrored (all False without ``spec.flip``): distillation looks up the teacher's output for
    the same image and flip.
    """
    x = to_float(images)
    x = random_crop(x, spec.crop, spec.pad, generator)
    flipped = torch.zeros(x.shape[0], dtype=torch.bool, device=x.device)
    if spec.flip:
        x, flipped = random_flip(x, generator)
    if spec.distort:
        x = random_distort(x, generator)
    return normalize(x, spec.normalize), flipped


def eval_batch(images: torch.Tensor, spec: InputSpec) -> torch.Tensor:
    """Deterministic evaluation input: central crop, no padding, flips or distortions."""
    return normalize(center_crop(to_float(images), spec.crop), spec.normalize)
