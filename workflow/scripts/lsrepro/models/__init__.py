"""The paper's models: a torch-free registry the config names, and the builders behind it.

``lsrepro.models.registry`` says what each model name accepts (arguments, constraints, display
name, cost estimate) and can be imported without torch, so Snakemake builds the DAG without it.
This package's ``__init__`` stays torch-free too: :func:`build_model` imports a model's module
only when it builds one, and ``Classifier`` (the image models' base class, ``models/base.py``)
is loaded on first access.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from lsrepro.models import registry
from lsrepro.models.registry import display_name, model_names, resolve, validate_model_spec

if TYPE_CHECKING:
    from torch import nn

    from lsrepro.models.base import Classifier

__all__ = [
    "Classifier",
    "build_model",
    "display_name",
    "model_names",
    "validate_model_spec",
]


def build_model(spec: dict[str, Any], /, *args: Any, **build_args: Any) -> nn.Module:
    """Build the model a recipe's ``model:`` block names, e.g. ``{name: resnet, depth: 56}``.

    ``build_args`` are what the config does not say: ``num_classes`` and ``in_channels`` for the
    image models, ``vocab_size`` and ``pad_id`` for the Transformer; they may also be given
    positionally in that order (``build_model(spec, 10, 3)``). Missing config arguments take the
    registry's defaults; an invalid spec raises ValueError naming the argument.
    """
    entry = registry.entry(spec["name"])
    if len(args) > len(entry.build_args):
        raise TypeError(f"model {entry.name!r} takes build arguments {entry.build_args}")
    for key, value in zip(entry.build_args, args, strict=False):
        if key in build_args:
            raise TypeError(f"build argument {key!r} given twice")
        build_args[key] = value
    if set(build_args) != set(entry.build_args):
        raise TypeError(
            f"model {entry.name!r} needs build arguments {', '.join(entry.build_args)}; "
            f"got {', '.join(sorted(build_args)) or 'none'}"
        )
    arguments = resolve(spec)
    del arguments["name"]
    module, function = entry.builder.split(":")
    builder = getattr(importlib.import_module(module), function)
    return builder(**build_args, **arguments)


def __getattr__(name: str) -> Any:
    # Classifier needs torch: load it on first use, not when the registry is imported.
    if name == "Classifier":
        from lsrepro.models.base import Classifier  # torch: not at DAG time

        return Classifier
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
