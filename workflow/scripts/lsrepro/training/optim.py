"""Optimisers and learning-rate schedules from a recipe, through one factory.

``optimizer.name``: ``sgd`` (default; momentum, nesterov, dampening: the paper's image recipes)
or ``adam`` / ``adamw`` (betas, eps: the Transformer). ``last_layer_lr_scale`` scales the
learning rate of the final classifier layer (paper A.5: lr 1, last layer 0.1).

``lr_schedule.name``: ``piecewise`` (× factor at each milestone; with ``warmup_steps`` the
factor also rises linearly from 1/warmup_steps to 1 over the first steps), ``linear`` (to 0 at
the last step, paper A.5), ``constant``, or ``rsqrt`` (linear warm-up over ``warmup_steps``, then
∝ 1/sqrt(step): the Transformer's schedule, Vaswani et al. 2017, normalised to 1 at the end of
the warm-up so that ``lr`` is the peak learning rate).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from lsrepro.training.recipe import Recipe


def lr_factor(schedule: dict[str, Any], step: int, steps: int) -> float:
    """Multiplier of the base learning rate at ``step`` (0-based) of a ``steps``-step run."""
    name = schedule["name"]
    if name == "piecewise":
        factor = float(schedule["factor"]) ** sum(step >= m for m in schedule["milestones"])
        if schedule.get("warmup_steps"):  # linear warm-up (large batches, Goyal et al. 2017)
            factor *= min(1.0, (step + 1) / int(schedule["warmup_steps"]))
        return factor
    if name == "linear":  # linearly to 0 at the last step (MNIST toy, paper A.5)
        return 1.0 - step / steps
    if name == "constant":
        return 1.0
    if name == "rsqrt":
        warmup = int(schedule["warmup_steps"])
        s = step + 1
        return min(s / warmup, math.sqrt(warmup / s))
    raise ValueError(f"unknown lr_schedule {name!r}")


def decay_parameters(model: torch.nn.Module, scope: str) -> list[torch.nn.Parameter]:
    """Parameters that receive weight decay: the model's own rule when it has one."""
    if hasattr(model, "decay_parameters"):
        return list(model.decay_parameters(scope))
    if scope == "none":
        return []
    if scope == "weights":
        return [p for p in model.parameters() if p.ndim > 1]
    if scope == "all":
        return list(model.parameters())
    raise ValueError(f"{type(model).__name__} does not know weight-decay scope {scope!r}")


def param_groups(model: torch.nn.Module, recipe: Recipe) -> list[dict[str, Any]]:
    """Groups by (decayed, last layer), each with its ``base_lr``; the order is deterministic."""
    decay = {id(p) for p in decay_parameters(model, recipe.weight_decay_scope)}
    classifier = getattr(model, "classifier", None)
    last = {id(p) for p in classifier.parameters()} if classifier is not None else set()
    scale = float(recipe.optimizer.get("last_layer_lr_scale", 1.0))
    lr = float(recipe.optimizer["lr"])
    groups: dict[tuple[bool, bool], list[torch.nn.Parameter]] = {}
    seen: set[int] = set()
    for p in model.parameters():
        if id(p) in seen:  # tied weights appear once
            continue
        seen.add(id(p))
        groups.setdefault((id(p) in decay, id(p) in last), []).append(p)
    return [
        {
            "params": params,
            "weight_decay": recipe.weight_decay if is_decay else 0.0,
            "base_lr": lr * (scale if is_last else 1.0),
        }
        for (is_decay, is_last), params in sorted(groups.items())
    ]


def build_optimizer(model: torch.nn.Module, recipe: Recipe) -> torch.optim.Optimizer:
    spec = recipe.optimizer
    name = spec.get("name", "sgd")
    groups = param_groups(model, recipe)
    lr = float(spec["lr"])
    if name == "sgd":
        return torch.optim.SGD(
            groups,
            lr=lr,
            momentum=float(spec.get("momentum", 0.0)),
            nesterov=bool(spec.get("nesterov", False)),
            dampening=float(spec.get("dampening", 0.0)),
        )
    if name in ("adam", "adamw"):
        cls = torch.optim.Adam if name == "adam" else torch.optim.AdamW
        betas = tuple(float(b) for b in spec.get("betas", (0.9, 0.999)))
        return cls(groups, lr=lr, betas=betas, eps=float(spec.get("eps", 1e-8)))
    raise ValueError(f"unknown optimizer {name!r} (sgd, adam, adamw)")


def set_learning_rate(optimizer: torch.optim.Optimizer, factor: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = group["base_lr"] * factor


def current_lr(optimizer: torch.optim.Optimizer) -> float:
    return max(g["lr"] for g in optimizer.param_groups)
