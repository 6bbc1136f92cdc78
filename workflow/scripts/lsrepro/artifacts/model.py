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

from lsrepro.data.images import DataIntegrityError
from lsrepro.integrity import ArtifactError
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


def check_split(
    meta: dict[str, Any],
    model_path: Path | str,
    split_digest: str,
    split: str,
    manifest_digest: str | None = None,
) -> None:
    """Raise DataIntegrityError unless the model of ``meta`` was trained on ``split_digest``
    (and, for a dataset of image files, on the manifest ``manifest_digest``).

    ``split`` says where those digests come from, for the message (a split file, or "the
    student's split"; with a manifest, ``split / manifest``)."""
    if manifest_digest is not None and (
        meta["split_digest"] != split_digest or meta.get("manifest_digest") != manifest_digest
    ):
        raise DataIntegrityError(
            f"{model_path} was trained on split {meta['split_digest']} of manifest "
            f"{meta.get('manifest_digest')}, but {split} are split {split_digest} of manifest "
            f"{manifest_digest}; re-run training"
        )
    if meta["split_digest"] != split_digest:
        raise DataIntegrityError(
            f"{model_path} was trained on split {meta['split_digest']} but {split} is split "
            f"{split_digest}; re-run training (the split changed underneath it)"
        )


def load_model_on_split(
    path: Path | str,
    split_digest: str,
    split: str,
    device: str | torch.device = "cpu",
    manifest_digest: str | None = None,
) -> tuple[torch.nn.Module, dict[str, Any]]:
    """:func:`load_model`, after :func:`check_split`: the model and its metadata."""
    model, meta = load_model(path, device)
    check_split(meta, path, split_digest, split, manifest_digest)
    return model, meta
