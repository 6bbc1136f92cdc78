"""The trained-model file: a model written with model_blob comes back equal, and a model is
only loaded for the split it was trained on."""

from __future__ import annotations

import pytest
import torch

from lsrepro.artifacts.model import load_model, load_model_on_split, model_blob
from lsrepro.data.images import DataIntegrityError
from lsrepro.integrity import ArtifactError
from lsrepro.io import atomic_torch_save
from lsrepro.models import build_model

SPEC = {"name": "mlp", "hidden": [8], "dropout": 0.0, "init_variance": 0.01}


def _write(path, split_digest="split-a", **extra):
    torch.manual_seed(0)
    model = build_model(SPEC, num_classes=3, in_channels=1)
    meta = {
        "recipe": {"model": SPEC, "input": {"crop": 4, "pad": 0, "flip": False}},
        "build_args": {"num_classes": 3, "in_channels": 1},
        "fingerprint": "fp",
        "split_digest": split_digest,
        **extra,
    }
    atomic_torch_save(model_blob(model, meta), path)
    return model


def test_model_file_round_trip(tmp_path):
    written = _write(tmp_path / "model.pt")
    loaded, meta = load_model(tmp_path / "model.pt")
    assert meta["split_digest"] == "split-a" and not loaded.training
    original = written.state_dict()
    assert all(torch.equal(original[k], v) for k, v in loaded.state_dict().items())


def test_model_loads_only_for_its_own_split(tmp_path):
    _write(tmp_path / "model.pt")
    model, meta = load_model_on_split(tmp_path / "model.pt", "split-a", "split.npz")
    assert meta["fingerprint"] == "fp"
    with pytest.raises(
        DataIntegrityError,
        match=r"model.pt was trained on split split-a but "
        r"split.npz is split split-b; re-run training",
    ):
        load_model_on_split(tmp_path / "model.pt", "split-b", "split.npz")


def test_a_model_of_image_files_loads_only_for_its_own_manifest(tmp_path):
    """ImageNet (a manifest of files): the same split digest of another manifest is refused."""
    _write(tmp_path / "model.pt", manifest_digest="manifest-a")
    where = "split.npz / manifest.json"
    _, meta = load_model_on_split(tmp_path / "model.pt", "split-a", where, "cpu", "manifest-a")
    assert meta["manifest_digest"] == "manifest-a"
    for split, manifest in (("split-a", "manifest-b"), ("split-b", "manifest-a")):
        with pytest.raises(
            DataIntegrityError,
            match=rf"model.pt was trained on split split-a of manifest manifest-a, but "
            rf"split.npz / manifest.json are split {split} of manifest {manifest}; re-run",
        ):
            load_model_on_split(tmp_path / "model.pt", split, where, "cpu", manifest)
    # a model trained before manifests carried a digest is not taken for this manifest's
    _write(tmp_path / "old.pt")
    with pytest.raises(DataIntegrityError, match="of manifest None"):
        load_model_on_split(tmp_path / "old.pt", "split-a", where, "cpu", "manifest-a")


def test_a_file_that_is_not_a_model_is_named(tmp_path):
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(
        ArtifactError,
        match=r"other\.pt: unreadable model file, or not one of this "
        r"workflow .*KeyError: 'metadata'; rebuild it with snakemake --forcerun",
    ):
        load_model(tmp_path / "other.pt")
