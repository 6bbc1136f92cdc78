"""Pre-activation ResNet for CIFAR (tensor2tensor's ``resnet`` with a 3x3 stem, paper A.2)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from lsrepro.models.base import Classifier


class PreActBlock(nn.Module):
    """BN-ReLU-conv3x3-BN-ReLU-conv3x3 with an identity or 1x1 projection shortcut (He et al. 2016).

    The shortcut projection takes the pre-activated input, as in tensor2tensor's ``residual_block``.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, padding=1, bias=False)
        self.shortcut: nn.Module | None = None
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Conv2d(in_channels, out_channels, 1, stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(x))
        residual = x if self.shortcut is None else self.shortcut(out)
        out = self.conv1(out)
        out = self.conv2(F.relu(self.bn2(out)))
        return out + residual


class ResNetCifar(Classifier):
    """Pre-activation ResNet for 32x32 inputs: depth = 6n + 2, three stages of n blocks.

    ``widths`` = [stem, stage 1, stage 2, stage 3] channels, t2t's ``filter_sizes`` convention.
    The default [16, 16, 32, 64] is He et al.'s CIFAR ResNet; tensor2tensor's ``resnet_cifar_15``
    / ``resnet_cifar_32`` hparams (2019) used [16, 32, 64, 128]. The stem is a single 3x3 conv
    with stride 1 and no max-pool: the paper changed t2t's initial kernel from 7 to 3 "to
    resemble the original ResNet for CIFAR" (paper-spec §2.2 leaves the stride open; t2t's CIFAR
    mode uses stride 1 and no pool). ``final_bn_relu`` adds a BN-ReLU after the last block, before
    global average pooling, as He et al. (2016b) do; t2t's CIFAR ResNet pools the last block's
    raw sum (``final_bn_relu: false``).
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int = 3,
        depth: int = 56,
        widths: Sequence[int] = (16, 16, 32, 64),
        final_bn_relu: bool = True,
    ) -> None:
        super().__init__()
        if (depth - 2) % 6 != 0 or depth < 8:
            raise ValueError(f"ResNet depth must be 6n + 2 (20, 32, 44, 56, 110, ...), got {depth}")
        if len(widths) != 4:
            raise ValueError(f"widths must be [stem, stage 1, stage 2, stage 3], got {widths}")
        n = (depth - 2) // 6
        self.stem = nn.Conv2d(in_channels, widths[0], 3, 1, padding=1, bias=False)
        blocks = []
        channels = widths[0]
        for stage, width in enumerate(widths[1:]):
            for i in range(n):
                stride = 2 if stage > 0 and i == 0 else 1
                blocks.append(PreActBlock(channels, width, stride))
                channels = width
        self.blocks = nn.Sequential(*blocks)
        self.bn = nn.BatchNorm2d(channels) if final_bn_relu else None
        self.classifier = nn.Linear(channels, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def features(self, x: torch.Tensor) -> torch.Tensor:
        out = self.blocks(self.stem(x))  # (B, widths[3], 8, 8)
        if self.bn is not None:
            out = F.relu(self.bn(out))
        return out.mean(dim=(2, 3))  # (B, widths[3])


def build_resnet(
    num_classes: int, in_channels: int, depth: int, widths: list[int], final_bn_relu: bool
) -> ResNetCifar:
    return ResNetCifar(num_classes, in_channels, depth, tuple(widths), final_bn_relu)
