"""What the config may say about each model, without importing torch.

Snakemake reads this module while it builds the DAG (display names for tables, cluster run
times), and ``lsrepro.config`` checks every recipe's ``model:`` block against it before any job
starts. One entry per model name holds:

- its config arguments: kind, default (or required) and constraint, e.g. ResNet depth = 6n + 2;
- cross-argument constraints (Transformer: d_model divisible by heads);
- the builder as a lazy ``"module:function"`` path, called by :func:`lsrepro.models.build_model`
  with the resolved arguments plus the caller's ``build_args`` (``num_classes``/``in_channels``
  for image models, ``vocab_size``/``pad_id`` for the Transformer);
- the display name that tables and figures use (``ResNet-56``, ``AlexNet``, ``MLP 1200-1200``);
- an estimate of GPU seconds per training step, from which :func:`train_minutes` sets cluster
  time limits.

Nothing here imports torch, numpy or the builders' modules.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

REQUIRED = object()  # default of an argument the config must give


# --- argument kinds and constraints --------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


_KINDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    # A whole-number float (56.0) is not an int: it would reach a constructor that needs one.
    "int": (_is_int, "an integer"),
    "float": (_is_number, "a number"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "int_list": (
        lambda v: isinstance(v, list) and len(v) > 0 and all(_is_int(x) for x in v),
        "a non-empty list of integers",
    ),
    "float_or_null": (lambda v: v is None or _is_number(v), "a number or null"),
}

Check = Callable[[Any], str | None]  # value -> problem (None = fine); runs after the kind check


def at_least(low: float) -> Check:
    return lambda v: None if v >= low else f"must be >= {low}, got {v}"


def positive(v: Any) -> str | None:
    return None if v > 0 else f"must be > 0, got {v}"


def all_positive(v: list[int]) -> str | None:
    return None if all(x >= 1 for x in v) else f"every entry must be >= 1, got {v}"


def probability_below_one(v: float) -> str | None:
    return None if 0 <= v < 1 else f"must be in [0, 1), got {v}"


def positive_or_null(v: float | None) -> str | None:
    return None if v is None or v > 0 else f"must be > 0 or null, got {v}"


@dataclass(frozen=True)
class Arg:
    """One config argument of a model."""

    kind: str  # a key of _KINDS
    default: Any = REQUIRED
    check: Check | None = None
    doc: str = ""

    def problem(self, value: Any) -> str | None:
        is_kind, wanted = _KINDS[self.kind]
        if not is_kind(value):
            return f"must be {wanted}, got {value!r}"
        return self.check(value) if self.check else None


@dataclass(frozen=True)
class ModelEntry:
    """Everything the workflow knows about one model name (see the module docstring)."""

    name: str
    builder: str  # "package.module:function", imported only when a model is built
    build_args: tuple[str, ...]  # supplied by the caller, not the config
    args: Mapping[str, Arg]
    display: Callable[[dict[str, Any]], str]  # resolved spec -> table name
    # (resolved spec, batch size) -> estimated seconds per training step on a slow data-centre
    # GPU (V100/T4 class). Estimates, not measurements: they only set cluster time limits.
    seconds_per_step: Callable[[dict[str, Any], int], float]
    check: Callable[[dict[str, Any]], list[str]] = field(default=lambda spec: [])
    doc: str = ""


_REGISTRY: dict[str, ModelEntry] = {}


def register(entry: ModelEntry) -> ModelEntry:
    """Add (or replace) the entry for ``entry.name``."""
    unknown = {a.kind for a in entry.args.values()} - set(_KINDS)
    if unknown:
        raise ValueError(f"model {entry.name!r}: unknown argument kinds {sorted(unknown)}")
    _REGISTRY[entry.name] = entry
    return entry


def model_names() -> list[str]:
    return sorted(_REGISTRY)


def entry(name: str) -> ModelEntry:
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(model_names())}")
    return _REGISTRY[name]


def validate_model_spec(spec: Any) -> list[str]:
    """Problems with a recipe's ``model:`` block, each starting with the argument it concerns
    (``"depth: ..."``), so that a caller can prefix the key path. Empty when the spec is valid."""
    if not isinstance(spec, Mapping):
        return [f"<model>: must be a mapping with a name, got {spec!r}"]
    name = spec.get("name")
    if not isinstance(name, str) or name not in _REGISTRY:
        return [f"name: unknown model {name!r}; known models: {', '.join(model_names())}"]
    model = _REGISTRY[name]
    problems = []
    for key in spec:
        if key != "name" and key not in model.args:
            problems.append(
                f"{key}: model {name!r} takes no argument {key!r} "
                f"(its arguments: {', '.join(model.args) or 'none'})"
            )
    for key, arg in model.args.items():
        if key not in spec:
            if arg.default is REQUIRED:
                problems.append(f"{key}: required by model {name!r} ({arg.doc})")
            continue
        problem = arg.problem(spec[key])
        if problem:
            problems.append(f"{key}: {problem}")
    if not problems:
        problems += model.check(resolve(spec, validate=False))
    return problems


def resolve(spec: Mapping[str, Any], validate: bool = True) -> dict[str, Any]:
    """``spec`` with every argument present (defaults filled in); ValueError if it is invalid."""
    if validate:
        problems = validate_model_spec(spec)
        if problems:
            raise ValueError(f"invalid model {dict(spec)}: " + "; ".join(problems))
    model = _REGISTRY[spec["name"]]
    resolved: dict[str, Any] = {"name": model.name}
    for key, arg in model.args.items():
        resolved[key] = spec[key] if key in spec else arg.default
    return resolved


def display_name(spec: Mapping[str, Any]) -> str:
    """The architecture's name in tables, as the paper writes it (``ResNet-56``, ``AlexNet``)."""
    return entry(spec["name"]).display(resolve(spec))


def seconds_per_step(spec: Mapping[str, Any], batch_size: int) -> float:
    return entry(spec["name"]).seconds_per_step(resolve(spec), batch_size)


RUNTIME_MARGIN = 2.0  # x the per-step estimate
RUNTIME_OVERHEAD_MIN = 10  # start-up, data loading, checkpoints


def train_minutes(recipe: Mapping[str, Any], attempt: int, gpus: int = 1) -> int:
    """Cluster time limit in minutes for one training job of ``recipe`` on ``gpus`` GPUs.

    steps x seconds_per_step / gpus x RUNTIME_MARGIN + RUNTIME_OVERHEAD_MIN, doubled on each
    retry (``attempt`` counts from 1; a retry resumes from its checkpoint, so a job that still
    hits its limit is not lost: SIGTERM checkpoints it). ``gpus`` > 1: data-parallel, each GPU
    takes 1/gpus of every batch (linear scaling assumed).
    """
    per_step = seconds_per_step(recipe["model"], recipe["batch_size"]) / gpus
    minutes = recipe["steps"] * per_step * RUNTIME_MARGIN / 60 + RUNTIME_OVERHEAD_MIN
    return int(minutes * 2 ** (attempt - 1)) + 1


# --- the models ----------------------------------------------------------------------------------

IMAGE_BUILD_ARGS = ("num_classes", "in_channels")
HE_WIDTHS = [16, 16, 32, 64]  # He et al. (2016) CIFAR ResNet: stem 16, stages 16/32/64


def _resnet_depth(depth: int) -> str | None:
    if depth >= 8 and (depth - 2) % 6 == 0:
        return None
    return f"ResNet depth must be 6n + 2 (20, 32, 44, 56, 110, ...), got {depth}"


def _resnet_widths(widths: list[int]) -> str | None:
    if len(widths) != 4:
        return f"must list 4 widths [stem, stage 1, stage 2, stage 3], got {widths}"
    return all_positive(widths)


def _resnet_display(spec: dict[str, Any]) -> str:
    name = f"ResNet-{spec['depth']}"
    if spec["widths"] != HE_WIDTHS:  # keep a wider network apart from ResNet-56 in tables
        name += " (" + "-".join(map(str, spec["widths"])) + ")"
    return name


def _resnet_seconds(spec: dict[str, Any], batch_size: int) -> float:
    # 0.08 s for ResNet-56 at batch 128 (He widths), linear in depth; conv FLOPs of the three
    # stages scale with width^2 x resolution (32^2, 16^2, 8^2), relative to He's 16/32/64.
    _, w1, w2, w3 = spec["widths"]
    width_factor = (16 * w1**2 + 4 * w2**2 + w3**2) / (3 * 64**2)
    return 0.08 / 56 * spec["depth"] * width_factor * batch_size / 128


register(
    ModelEntry(
        name="resnet",
        builder="lsrepro.models.resnet:build_resnet",
        build_args=IMAGE_BUILD_ARGS,
        args={
            "depth": Arg("int", 56, _resnet_depth, "layers, 6n + 2"),
            "widths": Arg(
                "int_list",
                HE_WIDTHS,
                _resnet_widths,
                "channels [stem, stage 1, stage 2, stage 3]",
            ),
            "final_bn_relu": Arg(
                "bool", True, doc="BN-ReLU after the last block, before global average pooling"
            ),
        },
        display=_resnet_display,
        seconds_per_step=_resnet_seconds,
        doc="pre-activation ResNet for CIFAR (paper A.2)",
    )
)

register(
    ModelEntry(
        name="alexnet_tf",
        builder="lsrepro.models.alexnet_tf:build_alexnet_tf",
        build_args=IMAGE_BUILD_ARGS,
        args={"image_size": Arg("int", 24, positive, "input side length = input.crop")},
        display=lambda spec: "AlexNet",
        seconds_per_step=lambda spec, batch: 0.015 * batch / 128,
        doc="the TF CIFAR-10 tutorial network (paper A.1)",
    )
)

register(
    ModelEntry(
        name="mlp",
        builder="lsrepro.models.mlp:build_mlp",
        build_args=IMAGE_BUILD_ARGS,
        args={
            "hidden": Arg("int_list", REQUIRED, all_positive, "hidden layer widths"),
            "dropout": Arg("float", 0.0, probability_below_one, "hidden-unit dropout"),
            "input_dropout": Arg("float", 0.0, probability_below_one, "input dropout"),
            "init_variance": Arg(
                "float_or_null", None, positive_or_null, "weight init variance (null = PyTorch's)"
            ),
            "image_size": Arg("int", 28, positive, "input side length = input.crop"),
        },
        display=lambda spec: "MLP " + "-".join(str(h) for h in spec["hidden"]),
        seconds_per_step=lambda spec, batch: 0.005 * batch / 128,
        doc="fully connected MNIST teacher (paper §4, A.5)",
    )
)


# Smallest side timm's Inception-v4 accepts in training (below it the stem's last feature map
# is 1 x 1 and batch norm fails on a batch of one); checked here so that a preset fails early.
INCEPTION_MIN_SIZE = 75


def _inception_seconds(spec: dict[str, Any], batch_size: int) -> float:
    # ~170 images/s for one fp32 training step of Inception-v4 at 299 x 299 on a V100 (timm's
    # and NVIDIA's published training throughputs are 150-200 img/s fp32, ~2x with AMP),
    # i.e. 6 ms per image; FLOPs scale with the pixel count.
    return 0.006 * (spec["image_size"] / 299) ** 2 * batch_size


register(
    ModelEntry(
        name="inception_v4",
        builder="lsrepro.models.inception:build_inception_v4",
        build_args=IMAGE_BUILD_ARGS,
        args={
            "image_size": Arg(
                "int", 299, at_least(INCEPTION_MIN_SIZE), "input side length = input.crop"
            ),
            "drop_rate": Arg(
                "float", 0.2, probability_below_one, "dropout before the logits (TF-slim 0.2)"
            ),
        },
        display=lambda spec: "Inception-v4",
        seconds_per_step=_inception_seconds,
        doc="timm's Inception-v4, affine batch norm (paper A.4)",
    )
)


def _transformer_check(spec: dict[str, Any]) -> list[str]:
    if spec["d_model"] % spec["heads"]:
        return [f"heads: d_model {spec['d_model']} is not divisible by heads {spec['heads']}"]
    return []


def _transformer_seconds(spec: dict[str, Any], batch_tokens: int) -> float:
    # ~0.2 s per step for Transformer-base (6 layers, d_model 512) at 4096 tokens per batch;
    # linear in layers and tokens, quadratic in d_model.
    return 0.2 * spec["layers"] / 6 * (spec["d_model"] / 512) ** 2 * batch_tokens / 4096


register(
    ModelEntry(
        name="transformer",
        builder="lsrepro.models.transformer:build_transformer",
        build_args=("vocab_size", "pad_id"),
        args={
            "layers": Arg("int", REQUIRED, at_least(1), "encoder and decoder layers"),
            "d_model": Arg("int", REQUIRED, at_least(1), "model width"),
            "heads": Arg("int", REQUIRED, at_least(1), "attention heads"),
            "ffn": Arg("int", REQUIRED, at_least(1), "feed-forward width"),
            "dropout": Arg("float", REQUIRED, probability_below_one, "dropout rate"),
            "max_len": Arg("int", 256, at_least(1), "longest sequence (positions)"),
        },
        display=lambda spec: "Transformer",
        seconds_per_step=_transformer_seconds,
        check=_transformer_check,
        doc="encoder-decoder Transformer for translation (paper §2, A.4)",
    )
)
