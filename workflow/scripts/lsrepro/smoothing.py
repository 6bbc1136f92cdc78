"""Label smoothing exactly as the paper defines it (§1.1): y_LS = y (1 - alpha) + alpha / K."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def smoothed_targets(labels: torch.Tensor, num_classes: int, alpha: float) -> torch.Tensor:
    """(B,) int labels -> (B, K) targets y_k (1 - alpha) + alpha / K; alpha = 0 gives one-hot."""
    if not 0.0 <= alpha < 1.0:
        raise ValueError(f"label smoothing alpha must be in [0, 1), got {alpha}")
    onehot = F.one_hot(labels, num_classes).to(torch.float32)
    return onehot * (1.0 - alpha) + alpha / num_classes


def smoothed_cross_entropy(
    logits: torch.Tensor, labels: torch.Tensor, alpha: float
) -> torch.Tensor:
    """Mean over the batch of H(y_LS, softmax(logits)) = -sum_k y_LS_k log p_k. logits: (B, K)."""
    targets = smoothed_targets(labels, logits.shape[-1], alpha)
    return -(targets * F.log_softmax(logits.float(), dim=-1)).sum(dim=-1).mean()
