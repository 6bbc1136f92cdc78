"""The interface every image classifier shares: ``features(x) -> (B, D)``, then one linear layer.

The projection of Fig. 1 and the logit analysis read exactly these two pieces (paper §1.1:
x = penultimate activations with a 1 appended, w_k = the last layer's weights and bias).
Models are built on the CPU; the caller moves them (no ``.cuda()`` in constructors).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import nn

WEIGHT_DECAY_SCOPES = ("weights", "t2t", "hidden_dense", "none")


class Classifier(nn.Module):
    """Base class: ``forward(x) = classifier(features(x))``, logits (B, K)."""

    classifier: nn.Linear

    def features(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, H, W) -> (B, D)
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))

    def decay_parameters(self, scope: str) -> Iterator[nn.Parameter]:
        """Parameters that receive weight decay under ``scope``.

        ``weights``: every weight matrix / kernel (rank > 1); no biases, no batch-norm scale or
        offset. ``t2t``: what tensor2tensor's ``weight_decay`` hparam decays
        (``optimize.weight_decay``): every variable except those whose name ends in ``bias``;
        TF names batch norm's offset ``beta``, so batch-norm scale *and* offset are decayed and
        only conv/dense biases are spared. ``hidden_dense``: the weights of the hidden
        fully-connected layers only (the TF CIFAR-10 tutorial, paper A.1). ``none``: nothing.
        """
        if scope == "none":
            return iter(())
        if scope == "weights":
            return (p for p in self.parameters() if p.ndim > 1)
        if scope == "t2t":
            spared = {
                id(m.bias)
                for m in self.modules()
                if not isinstance(m, nn.modules.batchnorm._BatchNorm)
                and isinstance(getattr(m, "bias", None), nn.Parameter)
            }
            return (p for p in self.parameters() if id(p) not in spared)
        if scope == "hidden_dense":
            return iter(self.hidden_dense_weights())
        raise ValueError(
            f"unknown weight-decay scope {scope!r}; known: {', '.join(WEIGHT_DECAY_SCOPES)}"
        )

    def hidden_dense_weights(self) -> list[nn.Parameter]:
        raise ValueError(f"{type(self).__name__} has no hidden dense layers")
