"""AlexNet as the TensorFlow CIFAR-10 tutorial network (paper A.1)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from lsrepro.models.base import Classifier


class TFLocalResponseNorm(nn.Module):
    """``tf.nn.lrn(depth_radius=4, bias=1.0, alpha=0.001 / 9.0, beta=0.75)`` from the tutorial.

    TF: x / (bias + alpha * sum_{|j-c| <= r} x_j^2) ** beta. PyTorch's LocalResponseNorm divides its
    alpha by the window size, so alpha_torch = alpha_tf * (2r + 1).
    """

    def __init__(
        self,
        depth_radius: int = 4,
        bias: float = 1.0,
        alpha: float = 0.001 / 9.0,
        beta: float = 0.75,
    ) -> None:
        super().__init__()
        size = 2 * depth_radius + 1
        self.lrn = nn.LocalResponseNorm(size, alpha=alpha * size, beta=beta, k=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lrn(x)


def _same_pool_size(size: int) -> int:
    """Output size of a stride-2 'SAME' pool: ceil(size / 2)."""
    return -(-size // 2)


def _max_pool_same(x: torch.Tensor) -> torch.Tensor:
    """3x3 / stride-2 max-pool with TF 'SAME' padding (extra padding at the bottom/right only)."""
    h, w = x.shape[-2:]
    pad_h = max((_same_pool_size(h) - 1) * 2 + 3 - h, 0)
    pad_w = max((_same_pool_size(w) - 1) * 2 + 3 - w, 0)
    x = F.pad(x, (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2), value=-torch.inf)
    return F.max_pool2d(x, 3, 2)


class AlexNetTF(Classifier):
    """conv5x5x64-ReLU, pool, LRN, conv5x5x64-ReLU, LRN, pool, FC384, FC192, linear (24x24 input).

    Initialisation as the tutorial: truncated normal std 5e-2 (conv), 0.04 (FC), 1/192 (logits);
    conv2/FC biases 0.1, others 0.
    """

    def __init__(self, num_classes: int, in_channels: int = 3, image_size: int = 24) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 64, 5, padding=2)
        self.conv2 = nn.Conv2d(64, 64, 5, padding=2)
        self.lrn = TFLocalResponseNorm()
        pooled = _same_pool_size(_same_pool_size(image_size))  # 24 -> 12 -> 6
        self.fc1 = nn.Linear(64 * pooled * pooled, 384)
        self.fc2 = nn.Linear(384, 192)
        self.classifier = nn.Linear(192, num_classes)
        for layer, std, bias in [
            (self.conv1, 5e-2, 0.0),
            (self.conv2, 5e-2, 0.1),
            (self.fc1, 0.04, 0.1),
            (self.fc2, 0.04, 0.1),
            (self.classifier, 1 / 192.0, 0.0),
        ]:
            nn.init.trunc_normal_(layer.weight, std=std, a=-2 * std, b=2 * std)
            nn.init.constant_(layer.bias, bias)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        out = self.lrn(_max_pool_same(F.relu(self.conv1(x))))  # (B, 64, 12, 12)
        out = _max_pool_same(self.lrn(F.relu(self.conv2(out))))  # (B, 64, 6, 6)
        out = F.relu(self.fc1(out.flatten(1)))
        return F.relu(self.fc2(out))  # (B, 192)

    def hidden_dense_weights(self) -> list[nn.Parameter]:
        return [self.fc1.weight, self.fc2.weight]


def build_alexnet_tf(num_classes: int, in_channels: int, image_size: int) -> AlexNetTF:
    return AlexNetTF(num_classes, in_channels, image_size)
