"""The paper's image models, behind a registry the config names.

Every model has the same shape: ``features(x) -> (B, D)`` penultimate activations, then one
``classifier = nn.Linear(D, K, bias=True)``. The projection of Fig. 1 and the logit analysis read
exactly these two pieces (paper §1.1: x = penultimate activations with a 1 appended, w_k = the
last layer's weights and bias).

Models are built on the CPU; the caller moves them (no ``.cuda()`` in constructors).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

ModelBuilder = Callable[..., "Classifier"]
_REGISTRY: dict[str, ModelBuilder] = {}


def register(name: str) -> Callable[[ModelBuilder], ModelBuilder]:
    def wrap(builder: ModelBuilder) -> ModelBuilder:
        _REGISTRY[name] = builder
        return builder

    return wrap


def model_names() -> list[str]:
    return sorted(_REGISTRY)


def display_name(spec: dict[str, Any]) -> str:
    """The architecture's name in tables, as the paper writes it (``ResNet-56``, ``AlexNet``)."""
    if spec["name"] == "resnet":
        return f"ResNet-{spec.get('depth', 56)}"
    if spec["name"] == "alexnet_tf":
        return "AlexNet"
    if spec["name"] == "mlp":
        return "MLP " + "-".join(str(h) for h in spec["hidden"])
    return spec["name"]


def build_model(spec: dict[str, Any], num_classes: int, in_channels: int) -> Classifier:
    """Build the model a recipe's ``model:`` block names, e.g. ``{name: resnet, depth: 56}``."""
    spec = dict(spec)
    name = spec.pop("name")
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(model_names())}")
    return _REGISTRY[name](num_classes=num_classes, in_channels=in_channels, **spec)


class Classifier(nn.Module):
    """Base class: ``forward(x) = classifier(features(x))``."""

    classifier: nn.Linear

    def features(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, H, W) -> (B, D)
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))

    def decay_parameters(self, scope: str) -> Iterator[nn.Parameter]:
        """Parameters that receive weight decay under ``scope``.

        ``weights``: every weight matrix / kernel (rank > 1), no biases or norm scales — as
        tensor2tensor's ``weight_decay`` hparam. ``hidden_dense``: the weights of the hidden
        fully-connected layers only (the TF CIFAR-10 tutorial, paper A.1). ``none``: nothing.
        """
        if scope == "none":
            return iter(())
        if scope == "weights":
            return (p for p in self.parameters() if p.ndim > 1)
        if scope == "hidden_dense":
            return iter(self.hidden_dense_weights())
        raise ValueError(f"unknown weight-decay scope {scope!r}")

    def hidden_dense_weights(self) -> list[nn.Parameter]:
        raise ValueError(f"{type(self).__name__} has no hidden dense layers")


# --- ResNet (tensor2tensor pre-activation ResNet for CIFAR, paper A.2) --------------------------


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

    Widths 16/32/64 (t2t ``filter_sizes [16, 16, 32, 64]``); the stem is a single 3x3 conv with
    stride 1 and no max-pool: the paper changed t2t's initial kernel from 7 to 3 "to resemble the
    original ResNet for CIFAR" and that network has no stem down-sampling (paper-spec §2.2 leaves
    the stride open; this is the documented choice).
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int = 3,
        depth: int = 56,
        widths: tuple[int, int, int, int] = (16, 16, 32, 64),
    ) -> None:
        super().__init__()
        if (depth - 2) % 6 != 0 or depth < 8:
            raise ValueError(f"ResNet depth must be 6n + 2 (20, 32, 44, 56, 110, ...), got {depth}")
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
        self.bn = nn.BatchNorm2d(channels)
        self.classifier = nn.Linear(channels, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def features(self, x: torch.Tensor) -> torch.Tensor:
        out = self.blocks(self.stem(x))  # (B, 64, 8, 8)
        out = F.relu(self.bn(out))
        return out.mean(dim=(2, 3))  # (B, 64)


@register("resnet")
def resnet(num_classes: int, in_channels: int, depth: int = 56) -> ResNetCifar:
    return ResNetCifar(num_classes, in_channels, depth)


# --- AlexNet as the TF CIFAR-10 tutorial (paper A.1) --------------------------------------------


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


@register("alexnet_tf")
def alexnet_tf(num_classes: int, in_channels: int, image_size: int = 24) -> AlexNetTF:
    return AlexNetTF(num_classes, in_channels, image_size)


# --- Fully connected nets for MNIST (paper §4, A.5) ---------------------------------------------


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

    def features(self, x: torch.Tensor) -> torch.Tensor:
        out = self.input_dropout(x.flatten(1))
        for layer in self.hidden:
            out = self.dropout(F.relu(layer(out)))
        return out

    def hidden_dense_weights(self) -> list[nn.Parameter]:
        return [layer.weight for layer in self.hidden]


@register("mlp")
def mlp(
    num_classes: int,
    in_channels: int,
    hidden: list[int],
    dropout: float = 0.0,
    input_dropout: float = 0.0,
    init_variance: float | None = None,
    image_size: int = 28,
) -> MLP:
    return MLP(
        num_classes,
        in_channels * image_size * image_size,
        hidden,
        dropout,
        input_dropout,
        init_variance,
    )
