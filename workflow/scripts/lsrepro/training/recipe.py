"""A training recipe (config ``recipes.<name>``) as a typed, frozen value. See config.yaml."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lsrepro.data import augment
from lsrepro.training import precision


@dataclass(frozen=True)
class Recipe:
    """One training recipe, in iterations (steps). ``optimizer`` and ``lr_schedule`` are the
    config's dicts, interpreted by :mod:`lsrepro.training.optim`."""

    model: dict[str, Any]
    input: augment.InputSpec | None
    batch_size: int
    steps: int
    optimizer: dict[str, Any]
    lr_schedule: dict[str, Any]
    weight_decay: float
    weight_decay_scope: str
    loss_scale: float
    grad_clip: float | None
    log_every: int = 100
    checkpoint_every: int = 1000
    snapshot_steps: tuple[int, ...] = ()
    precision: str = "fp32"  # fp32 | bf16 (autocast; logits and loss in fp32), :mod:`.precision`
    compile: bool = False  # torch.compile the training step (eager fallback when unavailable)
    version: int = 1
    extra: dict[str, Any] = field(default_factory=dict)  # stage-specific keys (e.g. max_tokens)

    def __post_init__(self) -> None:
        precision.check_precision(self.precision)
        precision.check_compile(self.compile)

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> Recipe:
        cfg = dict(cfg)
        wd = cfg.pop("weight_decay")
        spec = cfg.pop("input", None)
        known = {f for f in cls.__dataclass_fields__} - {"extra"}
        extra = {k: cfg.pop(k) for k in list(cfg) if k not in known}
        return cls(
            model=dict(cfg.pop("model")),
            input=augment.InputSpec(**spec) if spec is not None else None,
            optimizer=dict(cfg.pop("optimizer")),
            lr_schedule=dict(cfg.pop("lr_schedule")),
            weight_decay=float(wd["value"]),
            weight_decay_scope=str(wd["scope"]),
            snapshot_steps=tuple(sorted(set(cfg.pop("snapshot_steps", ())))),
            extra=extra,
            **cfg,
        )
