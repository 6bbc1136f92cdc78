"""Tiny synthetic datasets written in the official on-disk formats, so the real readers run."""

from __future__ import annotations

import gzip
import hashlib
import pickle
import struct
import tarfile
from pathlib import Path

import numpy as np

CIFAR10_BATCHES = [f"data_batch_{i}" for i in range(1, 6)]


def md5(path: Path) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def random_images(rng: np.random.Generator, n: int, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(0, 256, size=(n, *shape), dtype=np.uint8)


def write_cifar(root: Path, name: str, n_per_batch: int = 6, seed: int = 0, archive: bool = True):
    """Write CIFAR-10 or CIFAR-100 as the official python pickles (optionally tar.gz'd).

    Returns (x_train, y_train, x_test, y_test, class_names, checksums by file name).
    """
    rng = np.random.default_rng(seed)
    k = 10 if name == "cifar10" else 100
    folder_name = "cifar-10-batches-py" if name == "cifar10" else "cifar-100-python"
    folder = root / "staging" / folder_name
    folder.mkdir(parents=True, exist_ok=True)
    train_files = CIFAR10_BATCHES if name == "cifar10" else ["train"]
    test_files = ["test_batch"] if name == "cifar10" else ["test"]
    label_key = "labels" if name == "cifar10" else "fine_labels"
    xs, ys = {}, {}
    for fname in train_files + test_files:
        x = random_images(rng, n_per_batch, (32, 32, 3))
        y = rng.integers(0, k, n_per_batch).tolist()
        entry = {"data": x.transpose(0, 3, 1, 2).reshape(n_per_batch, -1), label_key: y}
        with open(folder / fname, "wb") as f:
            pickle.dump(entry, f, protocol=2)
        xs[fname], ys[fname] = x, y
    class_names = [f"class{i}" for i in range(k)]
    meta_name, meta_key = (
        ("batches.meta", "label_names") if name == "cifar10" else ("meta", "fine_label_names")
    )
    with open(folder / meta_name, "wb") as f:
        pickle.dump({meta_key: class_names}, f, protocol=2)
    checksums = {p.name: md5(p) for p in folder.iterdir()}
    target = root / "mirror"
    target.mkdir(parents=True, exist_ok=True)
    if archive:
        tgz = target / f"{folder_name.replace('-batches-py', '-python')}.tar.gz"
        with tarfile.open(tgz, "w:gz") as tar:
            tar.add(folder, arcname=folder_name)
        checksums[tgz.name] = md5(tgz)
    else:
        import shutil

        shutil.copytree(folder, target / folder_name)
    x_train = np.concatenate([xs[f] for f in train_files])
    y_train = np.concatenate([ys[f] for f in train_files])
    x_test = np.concatenate([xs[f] for f in test_files])
    y_test = np.concatenate([ys[f] for f in test_files])
    return x_train, y_train, x_test, y_test, class_names, checksums


def write_mnist(mirror: Path, n_train: int = 12, n_test: int = 5, seed: int = 0):
    """Write the four MNIST IDX gzip files into ``mirror/MNIST/raw``."""
    rng = np.random.default_rng(seed)
    raw = mirror / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    out = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        x = random_images(rng, n, (28, 28))
        y = rng.integers(0, 10, n).astype(np.uint8)
        with gzip.open(raw / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(struct.pack(">IIII", 2051, n, 28, 28) + x.tobytes())
        with gzip.open(raw / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(struct.pack(">II", 2049, n) + y.tobytes())
        out[prefix] = (x, y)
    checksums = {p.name: md5(p) for p in raw.iterdir()}
    return out["train"][0], out["train"][1], out["t10k"][0], out["t10k"][1], checksums


def write_prepared(path: Path, class_names, n_train: int, n_test: int, shape=(32, 32, 3), seed=0):
    """A prepared.npz with class-dependent images, so tiny models can learn something."""
    k = len(class_names)
    rng = np.random.default_rng(seed)
    prototypes = rng.integers(0, 256, size=(k, *shape))

    def draw(n):
        y = np.arange(n) % k
        noise = rng.normal(0, 40, size=(n, *shape))
        return np.clip(prototypes[y] + noise, 0, 255).astype(np.uint8), y.astype(np.int64)

    x_train, y_train = draw(n_train)
    x_test, y_test = draw(n_test)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        path,
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        class_names=np.asarray(class_names),
    )


TOY_EN = ["the", "a", "red", "blue", "dog", "cat", "runs", "sleeps", "big", "small"]
TOY_DE = ["die", "eine", "rote", "blaue", "hund", "katze", "rennt", "schläft", "große", "kleine"]


def write_toy_corpus(
    folder: Path,
    en: list[str] = TOY_EN,
    de: list[str] = TOY_DE,
    sizes: tuple[tuple[str, int], ...] = (("train", 40), ("val", 8), ("test_a", 6)),
    lengths: tuple[int, int] = (2, 6),
) -> dict[str, dict[str, str]]:
    """A word-for-word EN→DE toy language (``en[i]`` translates as ``de[i]``) in the "other
    corpus" layout of ``translation.corpus.files``: ``n`` sentence pairs per ``(split, n)`` of
    ``sizes``, each of ``lengths[0]`` to ``lengths[1] - 1`` words, in plain-text files; returns
    split -> side -> path."""
    rng = np.random.default_rng(0)
    out: dict[str, dict[str, str]] = {}
    for split, n in sizes:
        words = [rng.integers(0, len(en), size=rng.integers(*lengths)) for _ in range(n)]
        for side, lexicon in (("src", en), ("tgt", de)):
            path = folder / f"{split}.{side}"
            path.write_text("".join(" ".join(lexicon[i] for i in s) + "\n" for s in words))
            out.setdefault(split, {})[side] = str(path)
    return out
