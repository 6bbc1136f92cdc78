"""Fully connected nets for MNIST (paper §4, A.5)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from lsrepro.models.base import Classifier


class MLP(Classifier):
    """Flatten, then ``hidden`` ReLU layers with dropout, then a linear classifier.

    Weights are drawn from N(0, init_variance) as the paper's MNIST toy (variance 0.03) when
    ``init_variance`` is set, else PyTorch's default; biases start at 0.
    """

    def __init__(
        self,
        num_classes: int,
        in_features: int,
        hidden: list[int],
        dropout: float = 0.0,
        input_dropout: float = 0.0,
        init_variance: float | None = None,
    ) -> None:
        super().__init__()
        self.input_dropout = nn.Dropout(input_dropout)
        width = in_features
        self.hidden = nn.ModuleList()
        for h in hidden:
            self.hidden.append(nn.Linear(width, h))
            width = h
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(width, num_classes)
        if init_variance is not None:
            for layer in [*self.hidden, self.classifier]:
                nn.init.normal_(layer.weight, std=init_variance**0.5)
                nn.init.zeros_(layer.bias)

    def features(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, H, W) -> (B, hidden[-1])
        out = self.input_dropout(x.flatten(1))
        for layer in self.hidden:
            out = self.dropout(F.relu(layer(out)))
        return out

    def hidden_dense_weights(self) -> list[nn.Parameter]:
        return [layer.weight for layer in self.hidden]


def build_mlp(
    num_classes: int,
    in_channels: int,
    hidden: list[int],
    dropout: float,
    input_dropout: float,
    init_variance: float | None,
    image_size: int,
) -> MLP:
    return MLP(
        num_classes,
        in_channels * image_size * image_size,
        hidden,
        dropout,
        input_dropout,
        init_variance,
    )
