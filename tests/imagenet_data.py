"""Tiny ImageNet copies in both accepted layouts, of real JPEG files written with Pillow: the
five classes of the paper's Fig. 1 rows 3-4, by WNID, with class-dependent colours."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np
import scipy.io
from PIL import Image

# Fig. 1 rows 3-4 (paper §2, A.4), in label order (sorted WNIDs, as ImageNet's own order).
FIG1 = {
    "n01440764": "tench",
    "n02113624": "toy poodle",
    "n02113712": "miniature poodle",
    "n02138441": "meerkat",
    "n03041632": "cleaver",
}
WNIDS = sorted(FIG1)
# ILSVRC2012 ids in the devkit are not in WNID order: a permutation tests the mapping.
DEVKIT_IDS = {wnid: 5 - i for i, wnid in enumerate(WNIDS)}


def jpeg(rng: np.random.Generator, label: int, quality: int = 90) -> bytes:
    """A JPEG of random size whose colour says its class (learnable in a few steps)."""
    h, w = rng.integers(60, 100, size=2)
    base = np.array([(label * 50) % 256, (255 - label * 60) % 256, (label * 90 + 40) % 256])
    pixels = np.clip(base + rng.normal(0, 25, (h, w, 3)), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def images(n_train: int, n_val: int, seed: int = 0):
    """train: [(wnid, file name, bytes)], val: [(ILSVRC2012_val_* name, wnid, bytes)]."""
    rng = np.random.default_rng(seed)
    train = [
        (wnid, f"{wnid}_{i}.JPEG", jpeg(rng, label))
        for label, wnid in enumerate(WNIDS)
        for i in range(n_train)
    ]
    val = []
    for k in range(n_val * len(WNIDS)):
        label = (3 * k + 1) % len(WNIDS)  # classes interleaved, as in the official val set
        val.append((f"ILSVRC2012_val_{k + 1:08d}.JPEG", WNIDS[label], jpeg(rng, label)))
    return train, val


def write_folder(root: Path, n_train: int = 8, n_val: int = 2, seed: int = 0) -> Path:
    """ImageFolder layout: root/train/<wnid>/*.JPEG, root/val/<wnid>/*.JPEG."""
    train, val = images(n_train, n_val, seed)
    for wnid, name, data in train:
        (root / "train" / wnid).mkdir(parents=True, exist_ok=True)
        (root / "train" / wnid / name).write_bytes(data)
    for name, wnid, data in val:
        (root / "val" / wnid).mkdir(parents=True, exist_ok=True)
        (root / "val" / wnid / name).write_bytes(data)
    return root


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def write_devkit(path: Path, val_ids: list[int], ids: dict[str, int] = DEVKIT_IDS) -> None:
    """ILSVRC2012_devkit_t12.tar.gz with meta.mat (leaf synsets + one parent) and the val
    ground truth, in the official structure (torchvision's parse_devkit_archive reads it)."""
    fields = [("ILSVRC2012_ID", "O"), ("WNID", "O"), ("words", "O"), ("gloss", "O")]
    synsets = np.zeros(len(ids) + 1, dtype=[*fields, ("num_children", "O")])
    for i, (wnid, ilsvrc_id) in enumerate(ids.items()):
        synsets[i] = (ilsvrc_id, wnid, FIG1.get(wnid, wnid), "a class", 0)
    synsets[-1] = (1001, "n00001740", "entity", "the root", len(ids))
    meta = io.BytesIO()
    scipy.io.savemat(meta, {"synsets": synsets})
    truth = "".join(f"{i}\n" for i in val_ids).encode()
    with tarfile.open(path, "w:gz") as tar:
        _add(tar, "ILSVRC2012_devkit_t12/data/meta.mat", meta.getvalue())
        _add(tar, "ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt", truth)


def write_tars(root: Path, n_train: int = 8, n_val: int = 2, seed: int = 0) -> Path:
    """The official archives: train tar of per-class tars, flat val tar, devkit."""
    train, val = images(n_train, n_val, seed)
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(root / "ILSVRC2012_img_train.tar", "w") as outer:
        for wnid in WNIDS:
            inner = io.BytesIO()
            with tarfile.open(fileobj=inner, mode="w") as tar:
                for w, name, data in train:
                    if w == wnid:
                        _add(tar, name, data)
            _add(outer, f"{wnid}.tar", inner.getvalue())
    with tarfile.open(root / "ILSVRC2012_img_val.tar", "w") as tar:
        for name, _, data in val:
            _add(tar, name, data)
    write_devkit(root / "ILSVRC2012_devkit_t12.tar.gz", [DEVKIT_IDS[w] for _, w, _ in val])
    return root


def expect(n_train: int = 8, n_val: int = 2) -> dict[str, int]:
    return {"classes": len(WNIDS), "train_images": 5 * n_train, "val_images": 5 * n_val}
