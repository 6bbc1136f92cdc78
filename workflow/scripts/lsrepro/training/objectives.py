"""Training objectives: what a step minimises, given the model's logits and the step's batch.

An objective is a callable ``objective(logits, batch) -> scalar loss`` with an ``identity()``
that enters the checkpoint fingerprint (a checkpoint trained towards other targets is never
resumed). The loop multiplies the returned loss by the recipe's ``loss_scale`` (the paper's
"cross-entropy multiplied by 3", A.1/A.2, applied to the distillation loss too).

- :class:`LabelSmoothing` (paper §1.1): H(y_LS, p), y_LS = y (1 - α) + α/K. Positions labelled
  ``IGNORE_INDEX`` (padding) count nowhere; the mean is over counted positions.
- :class:`SoftTargets` (paper §4): (1 - β) H(y, p) + β H(p_t(T), p(T_s)), p_t(T) the teacher's
  softmax at temperature T, p(T_s) the student's at T_s (the paper fixes T_s = 1, A.1). No T²
  factor: the paper's loss has none, and with β = 1 a constant factor is a learning-rate change
  the recipe does not make.
- :class:`LogitMatching` (paper A.5, MNIST toy): (1 - β) H(y, p) + β · ½ Σ_k (z_s,k − z_t,k)²,
  the squared difference summed over classes and averaged over the batch.

Teacher outputs come from a :class:`TeacherOutputs`: the cached logits of the teacher on every
training image and on its mirror image ``[N, 2, K]`` (row = the image's index in the training
split, column = flipped), or an online forward pass of the teacher on the student's own batch.
"""

from __future__ import annotations

import contextlib
from typing import Any, Protocol

import torch
import torch.nn.functional as F

from lsrepro.training.batches import IGNORE_INDEX, Batch


class Objective(Protocol):
    def identity(self) -> dict[str, Any]: ...

    def __call__(self, logits: torch.Tensor, batch: Batch) -> torch.Tensor: ...


def smoothed_targets(labels: torch.Tensor, num_classes: int, alpha: float) -> torch.Tensor:
    """(M,) int labels -> (M, K) targets y_k (1 - alpha) + alpha / K; alpha = 0 gives one-hot."""
    if not 0.0 <= alpha < 1.0:
        raise ValueError(f"label smoothing alpha must be in [0, 1), got {alpha}")
    onehot = F.one_hot(labels, num_classes).to(torch.float32)
    return onehot * (1.0 - alpha) + alpha / num_classes


def soft_cross_entropy(targets: torch.Tensor, log_probs: torch.Tensor) -> torch.Tensor:
    """Per-row H(targets, p) = -Σ_k t_k log p_k; a zero target contributes 0 even where
    log p_k = -inf (masked vocabulary entries), instead of 0 · (-inf) = NaN. (M, K) -> (M,)."""
    terms = targets * log_probs
    # only exact zeros are dropped: a NaN target must still poison the loss (divergence check)
    return -torch.where(targets == 0, torch.zeros_like(terms), terms).sum(dim=-1)


def _rows(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(..., K) logits and (...) labels -> (M, K), (M,): positions flattened."""
    return logits.reshape(-1, logits.shape[-1]), labels.reshape(-1)


def masked_mean(per_position: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean over positions whose label is not IGNORE_INDEX, without a host sync."""
    counted = labels != IGNORE_INDEX
    total = torch.where(counted, per_position, torch.zeros_like(per_position)).sum()
    return total / counted.sum().clamp_min(1)


def smoothed_cross_entropy(
    logits: torch.Tensor, labels: torch.Tensor, alpha: float
) -> torch.Tensor:
    """Mean of H(y_LS, softmax(logits)) over counted positions.

    logits (B, K) with labels (B,): the plain batch mean (every image counts). logits (B, T, V)
    with labels (B, T): positions labelled IGNORE_INDEX are excluded from the mean.
    """
    if labels.dim() == 1 and logits.dim() == 2:  # images: no padding, the plain mean
        targets = smoothed_targets(labels, logits.shape[-1], alpha)
        return soft_cross_entropy(targets, F.log_softmax(logits.float(), dim=-1)).mean()
    flat_logits, flat_labels = _rows(logits, labels)
    safe = flat_labels.clamp_min(0)  # IGNORE_INDEX rows get class 0, then are masked out
    targets = smoothed_targets(safe, flat_logits.shape[-1], alpha)
    per_position = soft_cross_entropy(targets, F.log_softmax(flat_logits.float(), dim=-1))
    return masked_mean(per_position, flat_labels)


class LabelSmoothing:
    """H(y_LS, p) with y_LS = y (1 - α) + α/K (paper §1.1); α = 0 is plain cross-entropy."""

    def __init__(self, alpha: float) -> None:
        if not 0.0 <= alpha < 1.0:
            raise ValueError(f"label smoothing alpha must be in [0, 1), got {alpha}")
        self.alpha = float(alpha)

    def identity(self) -> dict[str, Any]:
        return {"objective": "label_smoothing", "alpha": self.alpha}

    def __call__(self, logits: torch.Tensor, batch: Batch) -> torch.Tensor:
        return smoothed_cross_entropy(logits, batch.labels, self.alpha)


class TeacherOutputs:
    """The teacher's logits for a batch: from a cache ``[N, 2, K]`` or an online forward pass.

    cached: float32 (N, 2, K) on the training device, row i = training-split image i, column
    0 = as is, 1 = mirrored; the student's crop and distortions are not shown to the teacher
    (its own preprocessing of the whole image, see the config key ``distillation.teacher_outputs``).
    online: ``teacher(*batch.inputs)`` in eval mode without gradients: the teacher sees exactly
    the student's augmented input (which must then fit the teacher's input size), inside
    ``autocast`` (the teacher's own precision, :func:`lsrepro.training.precision.inference`;
    default none: fp32), its logits returned as fp32.
    """

    def __init__(
        self,
        fingerprint: str,
        cached: torch.Tensor | None = None,
        teacher: torch.nn.Module | None = None,
        autocast: contextlib.AbstractContextManager | None = None,
    ) -> None:
        if (cached is None) == (teacher is None):
            raise ValueError("TeacherOutputs needs exactly one of cached logits or a teacher")
        self.fingerprint, self.cached, self.teacher = fingerprint, cached, teacher
        self.autocast = autocast if autocast is not None else contextlib.nullcontext()
        if teacher is not None:
            teacher.eval()
            for p in teacher.parameters():
                p.requires_grad_(False)

    @property
    def mode(self) -> str:
        return "cached" if self.cached is not None else "online"

    def identity(self) -> dict[str, Any]:
        return {"teacher": self.fingerprint, "teacher_outputs": self.mode}

    def logits(self, batch: Batch) -> torch.Tensor:
        if self.cached is not None:
            flipped = (
                batch.flipped.long() if batch.flipped is not None else torch.zeros_like(batch.index)
            )
            return self.cached[batch.index, flipped].float()  # (B, K)
        with torch.no_grad(), self.autocast:
            logits = self.teacher(*batch.inputs)
        return logits.float()


class SoftTargets:
    """(1 - β) H(y, p) + β H(p_t(T), p(T_s)): distillation from a teacher's softened outputs."""

    def __init__(
        self,
        teacher: TeacherOutputs,
        temperature: float,
        beta: float,
        student_temperature: float = 1.0,
    ) -> None:
        if temperature <= 0 or student_temperature <= 0:
            raise ValueError(
                f"temperatures must be > 0, got T={temperature}, student T={student_temperature}"
            )
        if not 0.0 <= beta <= 1.0:
            raise ValueError(f"beta must be in [0, 1], got {beta}")
        self.teacher, self.temperature, self.beta = teacher, float(temperature), float(beta)
        self.student_temperature = float(student_temperature)

    def identity(self) -> dict[str, Any]:
        return {
            "objective": "soft_targets",
            "temperature": self.temperature,
            "beta": self.beta,
            "student_temperature": self.student_temperature,
            **self.teacher.identity(),
        }

    def __call__(self, logits: torch.Tensor, batch: Batch) -> torch.Tensor:
        logits = logits.float()
        soft = F.softmax(self.teacher.logits(batch) / self.temperature, dim=-1)
        student = F.log_softmax(logits / self.student_temperature, dim=-1)
        loss = self.beta * soft_cross_entropy(soft, student).mean()
        if self.beta < 1.0:
            loss = loss + (1.0 - self.beta) * F.cross_entropy(logits, batch.labels)
        return loss


class LogitMatching:
    """(1 - β) H(y, p) + β · ½ Σ_k (z_s − z_t)², averaged over the batch (paper A.5)."""

    def __init__(self, teacher: TeacherOutputs, beta: float) -> None:
        if not 0.0 <= beta <= 1.0:
            raise ValueError(f"beta must be in [0, 1], got {beta}")
        self.teacher, self.beta = teacher, float(beta)

    def identity(self) -> dict[str, Any]:
        return {"objective": "logit_matching", "beta": self.beta, **self.teacher.identity()}

    def __call__(self, logits: torch.Tensor, batch: Batch) -> torch.Tensor:
        logits = logits.float()
        squared = 0.5 * (logits - self.teacher.logits(batch)).pow(2).sum(dim=-1).mean()
        return self.beta * squared + (1.0 - self.beta) * F.cross_entropy(logits, batch.labels)


def build_objective(spec: dict[str, Any], teacher: TeacherOutputs | None = None) -> Objective:
    """``spec``: {name: label_smoothing, alpha} | {name: soft_targets, temperature, beta,
    student_temperature} | {name: logit_matching, beta}."""
    name = spec["name"]
    if name == "label_smoothing":
        return LabelSmoothing(spec["alpha"])
    if teacher is None:
        raise ValueError(f"objective {name!r} needs a teacher")
    if name == "soft_targets":
        return SoftTargets(
            teacher,
            temperature=spec["temperature"],
            beta=spec["beta"],
            student_temperature=spec.get("student_temperature", 1.0),
        )
    if name == "logit_matching":
        return LogitMatching(teacher, beta=spec["beta"])
    raise ValueError(f"unknown objective {name!r}")
