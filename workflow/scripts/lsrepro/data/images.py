"""Datasets: fetch or take from a local mirror, verify, and save one canonical prepared form.

Sources, in order of preference:
1. a local mirror directory (``mirror:`` in the config) holding the official files in
   torchvision's layout (``cifar-10-python.tar.gz`` or ``cifar-10-batches-py/``,
   ``cifar-100-python.tar.gz`` or ``cifar-100-python/``, ``MNIST/raw/*.gz``), md5-verified against
   torchvision's own checksum tables; for CIFAR-10 also the numpy archive ``cifar10/cifar10.npz``
   (see shared/data/SOURCES.md), verified by the sha256 of each array;
2. otherwise torchvision's dataset classes download into ``root`` and verify their checksums.

The prepared form (``save_prepared``) is one ``.npz`` per dataset: ``x_train`` / ``x_test`` uint8
(N, H, W, C), ``y_train`` / ``y_test`` int64 (N,), ``class_names`` str (K,). The paper's split of
the training set into train/validation is a separate artifact (``draw_split``) with its own digest.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lsrepro.data.imagenet import prepare_imagenet
from lsrepro.integrity import DataIntegrityError, reading, rebuild
from lsrepro.io import atomic_path, atomic_savez

DATASETS = ("cifar10", "cifar100", "mnist")

# sha256 of the raw array bytes (C order) of shared/data/cifar10/cifar10.npz (SOURCES.md).
CIFAR10_NPZ_SHA256 = {
    "x_train": "47af8b02cfcfb6cdf3dbbd1969ad7f1b70f4413f6f80f437b020ee4e5bc8304a",
    "y_train": "2b7cd2f24487317614016b72ffd53071c3062f592f0eb300c18a770d41ae1253",
    "x_test": "f9b1e2130bab680db56eb06d886f7f1ad0f1183907ceff4659d1735c890f5b04",
    "y_test": "cec8a24a1e92aa2ecaa0bbd3dbfa86bf6cd8759fbd209a832824c8cf0afca9d5",
}
CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)


@dataclass(frozen=True)
class Prepared:
    x_train: np.ndarray  # (N, H, W, C) uint8
    y_train: np.ndarray  # (N,) int64
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def md5sum(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def array_sha256(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def verify_md5(path: Path, expected: str) -> None:
    if not path.is_file():
        raise DataIntegrityError(f"{path}: file missing (expected md5 {expected})")
    actual = md5sum(path)
    if actual != expected:
        raise DataIntegrityError(
            f"{path}: md5 mismatch, expected {expected}, got {actual} "
            f"({path.stat().st_size} bytes; a truncated or corrupted download?)"
        )


# --- readers --------------------------------------------------------------------------------------


def torchvision_class(name: str, checksums: dict[str, str] | None = None) -> type:
    """torchvision's dataset class for ``name``, or a subclass expecting other md5 ``checksums``.

    ``checksums`` maps file name -> md5 and exists for tests, which write tiny synthetic files in
    the official formats so that torchvision's real readers run on them; the workflow never sets it.
    """
    from torchvision import datasets

    base = {"cifar10": datasets.CIFAR10, "cifar100": datasets.CIFAR100, "mnist": datasets.MNIST}[
        name
    ]
    if checksums is None:
        return base
    if name == "mnist":
        attrs = {"resources": [(f, checksums[f]) for f, _ in base.resources]}
    else:
        attrs = {
            "tgz_md5": checksums.get(base.filename, base.tgz_md5),
            "train_list": [[f, checksums[f]] for f, _ in base.train_list],
            "test_list": [[f, checksums[f]] for f, _ in base.test_list],
            "meta": {**base.meta, "md5": checksums[base.meta["filename"]]},
        }
    return type(base.__name__, (base,), attrs)  # same name: torchvision derives folders from it


def _read_cifar_torchvision(name: str, root: Path, download: bool, checksums=None) -> Prepared:
    """Read CIFAR-10/100 through torchvision (which re-checks every batch file's md5)."""
    cls = torchvision_class(name, checksums)
    if not download:
        # torchvision says only "Dataset not found or corrupted"; name the file that is wrong.
        folder = root / cls.base_folder
        for filename, md5 in [
            *cls.train_list,
            *cls.test_list,
            (cls.meta["filename"], cls.meta["md5"]),
        ]:
            verify_md5(folder / filename, md5)
    train = cls(str(root), train=True, download=download)
    test = cls(str(root), train=False, download=download)
    return Prepared(
        x_train=np.asarray(train.data, dtype=np.uint8),
        y_train=np.asarray(train.targets, dtype=np.int64),
        x_test=np.asarray(test.data, dtype=np.uint8),
        y_test=np.asarray(test.targets, dtype=np.int64),
        class_names=tuple(train.classes),
    )


def _read_mnist_torchvision(root: Path, download: bool, checksums=None) -> Prepared:
    cls = torchvision_class("mnist", checksums)
    if not download:
        raw = root / "MNIST" / "raw"
        for filename, md5 in cls.resources:
            verify_md5(raw / filename, md5)
            _extract_gz(raw / filename)
    train = cls(str(root), train=True, download=download)
    test = cls(str(root), train=False, download=download)
    return Prepared(
        x_train=train.data.numpy().astype(np.uint8)[..., None],
        y_train=train.targets.numpy().astype(np.int64),
        x_test=test.data.numpy().astype(np.uint8)[..., None],
        y_test=test.targets.numpy().astype(np.int64),
        class_names=tuple(str(i) for i in range(10)),
    )


def _extract_gz(path: Path) -> None:
    with (
        atomic_path(path.with_suffix("")) as tmp,
        gzip.open(path, "rb") as src,
        open(tmp, "wb") as dst,
    ):
        shutil.copyfileobj(src, dst)


def read_cifar10_npz(path: Path, digests: dict[str, str] = CIFAR10_NPZ_SHA256) -> Prepared:
    """Read shared/data's ``cifar10.npz``, verifying each array's sha256 (SOURCES.md)."""
    if not path.is_file():
        raise DataIntegrityError(f"{path}: file missing")
    try:
        with np.load(path) as z:
            arrays = {k: z[k] for k in digests}
    except Exception as err:  # BadZipFile, EOFError, KeyError, ValueError: truncated or wrong file
        raise DataIntegrityError(
            f"{path}: unreadable or incomplete numpy archive ({type(err).__name__}: {err}); "
            f"expected arrays {', '.join(digests)}"
        ) from err
    for key, expected in digests.items():
        actual = array_sha256(arrays[key])
        if actual != expected:
            raise DataIntegrityError(
                f"{path}: array {key!r} sha256 mismatch, expected {expected}, got {actual}"
            )
    return Prepared(
        x_train=arrays["x_train"],
        y_train=arrays["y_train"].astype(np.int64),
        x_test=arrays["x_test"],
        y_test=arrays["y_test"].astype(np.int64),
        class_names=CIFAR10_CLASSES,
    )


# --- sources --------------------------------------------------------------------------------------


def _stage_cifar_archive(name: str, mirror: Path, root: Path, checksums=None) -> bool:
    """Copy (and extract) the official CIFAR archive or batch folder from ``mirror`` into ``root``.

    Returns False when the mirror holds neither form of this dataset.
    """
    cls = torchvision_class(name, checksums)
    for base in (mirror, mirror / name):
        folder = base / cls.base_folder
        if folder.is_dir():
            shutil.copytree(folder, root / cls.base_folder, dirs_exist_ok=True)
            return True
        archive = base / cls.filename
        if archive.is_file():
            verify_md5(archive, cls.tgz_md5)
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(root, filter="data")
            return True
    return False


def _stage_mnist(mirror: Path, root: Path, checksums=None) -> bool:
    for base in (mirror / "MNIST" / "raw", mirror / "mnist" / "MNIST" / "raw"):
        if base.is_dir():
            raw = root / "MNIST" / "raw"
            raw.mkdir(parents=True, exist_ok=True)
            for filename, md5 in torchvision_class("mnist", checksums).resources:
                verify_md5(base / filename, md5)
                shutil.copyfile(base / filename, raw / filename)
            return True
    return False


def load_dataset(
    name: str,
    root: Path,
    mirror: Path | None,
    checksums: dict[str, str] | None = None,
    npz_digests: dict[str, str] = CIFAR10_NPZ_SHA256,
) -> tuple[Prepared, str]:
    """Return the verified dataset and a sentence saying where it came from.

    ``checksums`` / ``npz_digests`` replace the official tables (tests with synthetic files only).
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    if mirror is not None:
        mirror = Path(mirror)
        if not mirror.is_dir():
            raise DataIntegrityError(f"mirror directory {mirror} does not exist")
        if name == "mnist" and _stage_mnist(mirror, root, checksums):
            data = _read_mnist_torchvision(root, download=False, checksums=checksums)
            return data, f"mirror {mirror} (official IDX files, md5-verified)"
        if name != "mnist" and _stage_cifar_archive(name, mirror, root, checksums):
            data = _read_cifar_torchvision(name, root, download=False, checksums=checksums)
            return data, f"mirror {mirror} (official files, md5-verified)"
        npz = mirror / "cifar10" / "cifar10.npz"
        if name == "cifar10" and npz.is_file():
            return read_cifar10_npz(
                npz, npz_digests
            ), f"mirror {npz} (numpy arrays, sha256-verified)"
        raise DataIntegrityError(
            f"mirror {mirror} holds no copy of {name}: expected torchvision's layout "
            f"({_expected_layout(name)})"
        )
    if name == "mnist":
        return _read_mnist_torchvision(root, download=True), "downloaded by torchvision"
    return _read_cifar_torchvision(name, root, download=True), "downloaded by torchvision"


def _expected_layout(name: str) -> str:
    if name == "mnist":
        return "MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz"
    cls = torchvision_class(name)
    extra = " or cifar10/cifar10.npz" if name == "cifar10" else ""
    return f"{cls.filename} or {cls.base_folder}/{extra}"


# --- prepared form and split ----------------------------------------------------------------------


def check_prepared(data: Prepared) -> None:
    """Sanity checks that catch a wrong or mixed-up file before any training starts."""
    for split, x, y in (("train", data.x_train, data.y_train), ("test", data.x_test, data.y_test)):
        if x.dtype != np.uint8 or x.ndim != 4:
            raise DataIntegrityError(
                f"{split} images must be uint8 (N, H, W, C), got {x.dtype} {x.shape}"
            )
        if len(x) != len(y):
            raise DataIntegrityError(f"{split}: {len(x)} images but {len(y)} labels")
        if y.min() < 0 or y.max() >= data.num_classes:
            raise DataIntegrityError(f"{split}: labels outside [0, {data.num_classes})")


def save_prepared(data: Prepared, path: Path) -> None:
    check_prepared(data)
    atomic_savez(
        path,
        x_train=data.x_train,
        y_train=data.y_train,
        x_test=data.x_test,
        y_test=data.y_test,
        class_names=np.asarray(data.class_names),
    )


def load_prepared(path: Path) -> Prepared:
    with reading(path, "prepared dataset", "prepare_data"), np.load(path) as z:
        return Prepared(
            x_train=z["x_train"],
            y_train=z["y_train"],
            x_test=z["x_test"],
            y_test=z["y_test"],
            class_names=tuple(str(c) for c in z["class_names"]),
        )


@dataclass(frozen=True)
class Split:
    train: np.ndarray  # (N_train,) int64 indices into the official training set
    val: np.ndarray  # (N_val,) int64
    seed: int

    @property
    def digest(self) -> str:
        """Short sha256 over both index arrays: travels with every model trained on this split."""
        h = hashlib.sha256()
        h.update(self.train.astype(np.int64).tobytes())
        h.update(b"|")
        h.update(self.val.astype(np.int64).tobytes())
        return h.hexdigest()[:16]


def class_quotas(counts: np.ndarray | list[int], size: int) -> np.ndarray:
    """Examples of each class in a stratified subset of ``size``: size * n_c / n rounded by
    largest remainder (torch-free: config validation uses it to bound per-class draws)."""
    counts = np.asarray(counts)
    exact = size * counts / counts.sum()
    quota = np.floor(exact).astype(int)
    shortfall = size - quota.sum()
    quota[np.argsort(-(exact - quota), kind="stable")[:shortfall]] += 1
    return quota


def stratified_subset(labels: np.ndarray, size: int, seed: int) -> np.ndarray:
    """Sorted indices of ``size`` examples drawn uniformly within each class from ``seed``.

    Class quotas are size * n_c / n rounded by largest remainder, so every class keeps its share
    (numpy PCG64: the same seed gives the same subset on every platform).
    """
    labels = np.asarray(labels)
    n = len(labels)
    classes, counts = np.unique(labels, return_counts=True)
    quota = class_quotas(counts, size)
    perm = np.random.default_rng(seed).permutation(n)
    shuffled = labels[perm]
    chosen = [perm[shuffled == c][:q] for c, q in zip(classes, quota, strict=True)]
    return np.sort(np.concatenate(chosen))


def select_examples(
    labels: np.ndarray,
    classes: Sequence[int],
    per_class: int,
    seed: int,
    index: np.ndarray | None = None,
    class_names: Sequence[str] | None = None,
) -> np.ndarray:
    """Draw ``per_class`` examples of each class, deterministically from a seed (Fig. 1, paper
    A.1: 100 per class; the MI examples of Fig. 6, A.2: 300).

    The draw for class c uses its own generator seeded with ``(seed, c)``, so the examples of a
    class do not depend on which triplet it appears in.  When ``index`` is given, candidates are
    ordered by their row index into the split before drawing, so models whose evaluation files
    list the same examples in a different order still get the same examples.

    Args:
        labels: (N,) int class ids.
        classes: class ids to draw from.
        per_class: number of examples per class (without replacement).
        seed: non-negative integer seed.
        index: optional (N,) row index of each example into its split.
        class_names: optional (K,) names, only used in error messages.

    Returns:
        (len(classes) * per_class,) int64 row positions into ``labels``, grouped by class in the
        order of ``classes``, each group sorted by ``index`` (or by position).

    Raises:
        ValueError: a class has fewer than ``per_class`` examples, or bad arguments.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {labels.shape}")
    if per_class < 1:
        raise ValueError(f"per_class must be >= 1, got {per_class}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    order_key = np.arange(labels.shape[0]) if index is None else np.asarray(index)
    if order_key.shape != labels.shape:
        raise ValueError(f"index must have shape {labels.shape}, got {order_key.shape}")
    chosen = []
    for c in classes:
        rows = np.flatnonzero(labels == c)
        if rows.size < per_class:
            name = f" ({class_names[c]!r})" if class_names is not None else ""
            raise ValueError(
                f"class {c}{name} has only {rows.size} examples in this split, fewer than the "
                f"{per_class} requested per class; lower per_class or evaluate more examples"
            )
        rows = rows[np.argsort(order_key[rows], kind="stable")]
        rng = np.random.default_rng([int(seed), int(c)])
        picked = rows[rng.permutation(rows.size)[:per_class]]
        chosen.append(picked[np.argsort(order_key[picked], kind="stable")])
    return np.concatenate(chosen).astype(np.int64)


def draw_split(labels: np.ndarray, val_size: int, seed: int) -> Split:
    """Hold out ``val_size`` training examples as the validation split, stratified by class.

    The paper (A.1, A.2) splits CIFAR's 50k training images into 40k train / 10k validation; how is
    not stated. We stratify (:func:`stratified_subset`), so every class keeps its share in both
    parts: CIFAR-10 gets exactly 1,000 validation images per class and CIFAR-100 exactly 100,
    which Fig. 1's 100 examples per class need. Both index lists are sorted.
    """
    n = len(labels)
    if not 0 < val_size < n:
        raise ValueError(f"val_size must be in (0, {n}), got {val_size}")
    val = stratified_subset(labels, val_size, seed)
    is_val = np.zeros(n, dtype=bool)
    is_val[val] = True
    return Split(train=np.flatnonzero(~is_val), val=val, seed=seed)


def save_split(split: Split, path: Path) -> None:
    atomic_savez(
        path,
        train=split.train,
        val=split.val,
        seed=np.int64(split.seed),
        digest=np.asarray(split.digest),
    )


def load_split(path: Path) -> Split:
    """The split, checked against the digest split_data wrote (models carry it too)."""
    with reading(path, "split", "split_data"), np.load(path) as z:
        split = Split(train=z["train"], val=z["val"], seed=int(z["seed"]))
        stored = str(z["digest"])
    if stored != split.digest:
        raise DataIntegrityError(
            f"{path}: split digest does not match its indices (changed after split_data wrote "
            f"it); {rebuild(path, 'split_data')}"
        )
    return split


# --- file-level entry points (called by the workflow scripts) ---------------------------------


def prepare(
    name: str,
    data_dir: Path | str,
    mirror: Path | str | None,
    out: Path | str,
    checksums: dict[str, str] | None = None,
    options: dict | None = None,
    threads: int = 1,
) -> str:
    """Load + verify ``name`` and save its prepared form to ``out``; return where it came from.

    ImageNet (``options``: its ``datasets.imagenet`` config) is read from a local copy and
    prepared as a manifest of its files (:mod:`lsrepro.data.imagenet`), never as pixels.
    """
    if name == "imagenet":
        return prepare_imagenet(options or {}, out, threads)
    data, source = load_dataset(name, Path(data_dir), Path(mirror) if mirror else None, checksums)
    save_prepared(data, Path(out))
    return source


def make_split(prepared: Path | str, val_size: int, seed: int, out: Path | str) -> Split:
    with reading(prepared, "prepared dataset", "prepare_data"), np.load(prepared) as z:
        labels = z["y_train"]
    split = draw_split(labels, val_size, seed)
    save_split(split, Path(out))
    return split
