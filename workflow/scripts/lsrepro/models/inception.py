"""Inception-v4 (Szegedy et al. 2017) from timm, as the paper's ImageNet model (A.4).

The paper trained TF-slim's ``inception_v4.py`` "modified to use a scale parameter in batch
norm". timm's ``inception_v4`` is a port of that network (same stem, 4 x Inception-A,
7 x Inception-B, 3 x Inception-C blocks, 1536 penultimate features), with affine batch norm
(scale *and* offset, eps 1e-3 as TF-slim) everywhere: the modification the paper asks for. We
take the architecture only (``pretrained=False``: the paper trains from scratch) and split it
into the two pieces every classifier here exposes (``models/base.py``): ``features`` = global
average pool of the last block, then dropout (TF-slim: ``dropout_keep_prob`` 0.8 before the
logits), and ``classifier`` = the final linear layer.
"""

from __future__ import annotations

import torch

from lsrepro.models.base import Classifier


class InceptionV4(Classifier):
    def __init__(
        self, *, num_classes: int, in_channels: int, image_size: int, drop_rate: float
    ) -> None:
        super().__init__()
        import timm

        net = timm.create_model(
            "inception_v4",
            pretrained=False,
            num_classes=num_classes,
            in_chans=in_channels,
            drop_rate=drop_rate,
        )
        self.image_size = image_size  # informational: the network is fully convolutional
        self.body = net.features
        self.pool = net.global_pool  # adaptive average pool + flatten: (B, 1536)
        self.drop = net.head_drop
        self.classifier = net.last_linear

    def features(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, H, W) -> (B, 1536)
        return self.drop(self.pool(self.body(x)))


def build_inception_v4(
    *, num_classes: int, in_channels: int, image_size: int, drop_rate: float
) -> InceptionV4:
    return InceptionV4(
        num_classes=num_classes,
        in_channels=in_channels,
        image_size=image_size,
        drop_rate=drop_rate,
    )
