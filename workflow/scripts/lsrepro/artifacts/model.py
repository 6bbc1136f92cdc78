"""The trained-model file (``model.pt`` and every snapshot): write, load, and check its split.

Every model file is ``{"state_dict": ..., "metadata": {...}}`` where metadata holds ``recipe``
(with ``model``, the registry spec, and ``input``), ``build_args`` (e.g. ``num_classes`` and
``in_channels``), ``fingerprint``, ``split_digest`` and, for snapshots, ``step``;
:func:`load_model` rebuilds any of them on its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from lsrepro.artifacts.checks import ArtifactError
from lsrepro.models import build_model


def build_args_of(metadata: dict[str, Any]) -> dict[str, Any]:
    """The builder's keyword arguments beyond the spec (older files: num_classes/in_channels)."""
    if "build_args" in metadata:
        return dict(metadata["build_args"])
    return {"num_classes": metadata["num_classes"], "in_channels": metadata["in_channels"]}


def model_blob(model: torch.nn.Module, metadata: dict[str, Any]) -> dict[str, Any]:
    return {"state_dict": plain_state_dict(model), "metadata": metadata}


def plain_state_dict(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """state_dict without torch.compile's ``_orig_mod.`` prefix, on the CPU."""
    inner = getattr(model, "_orig_mod", model)
    return {k: v.detach().cpu() for k, v in inner.state_dict().items()}


def load_model(
    path: Path | str, device: str | torch.device = "cpu"
) -> tuple[torch.nn.Module, dict[str, Any]]:
    """Rebuild a model from ``model.pt`` or any snapshot; returned in eval mode on ``device``."""
    path = Path(path)
    try:
        blob = torch.load(path, map_location="cpu", weights_only=False)
        meta = blob["metadata"]
        spec = meta["recipe"]["model"]
    except Exception as err:
        raise ArtifactError(
            f"{path}: unreadable model file, or not one of this workflow (state_dict + metadata "
            f"with the recipe): {type(err).__name__}: {err}; rebuild it with snakemake "
            f"--forcerun on the rule that wrote it (train, distill or train_translation)"
        ) from err
    model = build_model(spec, **build_args_of(meta))
    model.load_state_dict(blob["state_dict"])
    return model.to(device).eval(), meta
