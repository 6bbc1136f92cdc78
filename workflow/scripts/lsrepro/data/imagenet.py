"""ImageNet (ILSVRC-2012) from a local copy: scan, verify, a manifest instead of pixels, and the
per-image decode + crop that the streaming input path (``training/stream.py``) and evaluation run
in DataLoader workers.

Accepted copies of the data (``datasets.imagenet.root`` in the config), checked in this order:

1. ImageFolder layout: ``root/train/<wnid>/*.JPEG`` and ``root/val/<wnid>/*.JPEG``;
2. the official archives: ``root/ILSVRC2012_img_train.tar`` (one ``<wnid>.tar`` per class),
   ``root/ILSVRC2012_img_val.tar`` (flat ``ILSVRC2012_val_00000001.JPEG`` ...) and the devkit
   ``root/ILSVRC2012_devkit_t12.tar.gz`` whose ``data/ILSVRC2012_validation_ground_truth.txt``
   and ``data/meta.mat`` give the val labels. Images are read in place, straight out of the tar
   files (each image's byte offset is in the manifest): nothing is extracted or copied.

The prepared form (``results/data/imagenet/prepared.npz``) is a *manifest*, never pixels: per
split the file names, byte offsets (-1 for loose files), sizes and labels, the class WNIDs, the
root and a sha256 digest of all of it. ``split_data`` reads ``y_train`` from it exactly as from
a CIFAR file; the official val set is the test set (as the CIFAR test sets).

Verification runs once, in ``prepare_data``, and writes nothing unless every check passes:
class directories (WNIDs, the same classes in train and val), image counts per class against
``expect``, no empty file, every file starting with a JPEG or PNG signature (ImageNet holds one
PNG named .JPEG), and with ``verify: decode`` a full decode of every image. Hashing 140 GB on
every run is what the manifest digest replaces: it travels with every model trained from it.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import tarfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lsrepro.integrity import DataIntegrityError
from lsrepro.io import atomic_savez

WNID = re.compile(r"^n\d{8}$")
IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png")
TRAIN_TAR = "ILSVRC2012_img_train.tar"
VAL_TAR = "ILSVRC2012_img_val.tar"
DEVKIT = "ILSVRC2012_devkit_t12.tar.gz"
GROUND_TRUTH = "ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt"
META = "ILSVRC2012_devkit_t12/data/meta.mat"
SPLITS = ("train", "test")  # the manifest's names: official train, official val (= our test)
EXPECTED_LAYOUT = (
    f"train/<wnid>/*.JPEG and val/<wnid>/*.JPEG (ImageFolder layout), or {TRAIN_TAR}, "
    f"{VAL_TAR} and {DEVKIT} (the official archives)"
)


@dataclass(frozen=True)
class Expect:
    """What a complete copy holds (ILSVRC-2012: 1000 classes, 1,281,167 train, 50,000 val)."""

    classes: int = 1000
    train_images: int = 1_281_167
    val_images: int = 50_000


@dataclass(frozen=True)
class Files:
    """One split's images: where each one's bytes are and its label."""

    names: np.ndarray  # str (N,): path relative to root (folder) or tar member name
    offsets: np.ndarray  # int64 (N,): byte offset inside ``archive``; -1 for a loose file
    sizes: np.ndarray  # int64 (N,)
    labels: np.ndarray  # int64 (N,)
    archive: str  # tar file relative to root, "" for loose files

    def __len__(self) -> int:
        return len(self.names)

    def where(self, root: Path | str, i: int) -> str:
        """Human-readable location of image ``i`` for error messages."""
        if self.archive:
            return f"{Path(root) / self.archive}:{self.names[i]}"
        return str(Path(root) / str(self.names[i]))


@dataclass(frozen=True)
class Manifest:
    root: str
    layout: str  # folder | tar
    class_names: tuple[str, ...]
    train: Files
    test: Files

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def digest(self) -> str:
        """sha256 over classes and every image's name, offset, size and label (16 hex digits).
        The root is left out: moving the copy does not change the data."""
        h = hashlib.sha256()
        h.update("\n".join(self.class_names).encode())
        for files in (self.train, self.test):
            h.update(b"|" + files.archive.encode() + b"|")
            h.update("\n".join(map(str, files.names)).encode())
            for array in (files.offsets, files.sizes, files.labels):
                h.update(np.ascontiguousarray(array, dtype=np.int64).tobytes())
        return h.hexdigest()[:16]


# --- scanning the two layouts ---------------------------------------------------------------------


def _is_image_name(name: str) -> bool:
    return name.lower().endswith(IMAGE_SUFFIXES)


def _class_dirs(split_dir: Path) -> list[str]:
    names = []
    for entry in sorted(os.scandir(split_dir), key=lambda e: e.name):
        if entry.name.startswith("."):
            continue
        if not entry.is_dir():
            raise DataIntegrityError(
                f"{entry.path}: a file where ImageNet has only class directories (<wnid>/)"
            )
        if not WNID.match(entry.name):
            raise DataIntegrityError(
                f"{entry.path}: not an ImageNet class directory (a WNID such as n01440764); "
                f"is {split_dir.parent} an ImageNet copy? Expected {EXPECTED_LAYOUT}"
            )
        names.append(entry.name)
    return names


def _scan_split_dir(root: Path, split: str, classes: list[str]) -> Files:
    names, sizes, labels = [], [], []
    for label, wnid in enumerate(classes):
        folder = root / split / wnid
        if not folder.is_dir():
            raise DataIntegrityError(
                f"{folder}: missing class directory ({wnid} is in {root / 'train'})"
            )
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.name.startswith("."):
                continue
            if not entry.is_file() or not _is_image_name(entry.name):
                raise DataIntegrityError(
                    f"{entry.path}: not an image file (expected *.JPEG in class directories)"
                )
            names.append(f"{split}/{wnid}/{entry.name}")
            sizes.append(entry.stat().st_size)
            labels.append(label)
    return Files(
        names=np.asarray(names, dtype=str),
        offsets=np.full(len(names), -1, dtype=np.int64),
        sizes=np.asarray(sizes, dtype=np.int64),
        labels=np.asarray(labels, dtype=np.int64),
        archive="",
    )


def scan_folder(root: Path) -> Manifest:
    """ImageFolder layout: the classes are the train directory's WNIDs, sorted."""
    classes = _class_dirs(root / "train")
    if not classes:
        raise DataIntegrityError(f"{root / 'train'}: no class directories")
    extra = sorted(set(_class_dirs(root / "val")) - set(classes))
    if extra:
        raise DataIntegrityError(
            f"{root / 'val' / extra[0]}: class directory missing from {root / 'train'}"
        )
    train = _scan_split_dir(root, "train", classes)
    test = _scan_split_dir(root, "val", classes)
    return Manifest(str(root), "folder", tuple(classes), train, test)


def _tar_members(tar: tarfile.TarFile, where: str) -> Iterable[tarfile.TarInfo]:
    try:
        yield from (m for m in tar if m.isfile())
    except (tarfile.TarError, OSError, EOFError) as err:
        raise DataIntegrityError(f"{where}: unreadable tar archive ({err})") from err


def _read_devkit(devkit: Path) -> tuple[list[int], dict[int, str]]:
    """(ILSVRC2012 id of each val image in file order, id -> WNID of the leaf classes), read
    from the devkit archive as torchvision's ``parse_devkit_archive`` reads it (the 1000
    classes are the synsets of ``meta.mat`` without children)."""
    import scipy.io

    try:
        with tarfile.open(devkit, "r:gz") as tar:
            blobs = {}
            for name in (GROUND_TRUTH, META):
                try:
                    blobs[name] = tar.extractfile(name).read()
                except KeyError as err:
                    raise DataIntegrityError(f"{devkit}: has no {name}") from err
        synsets = scipy.io.loadmat(io.BytesIO(blobs[META]), squeeze_me=True)["synsets"]
        id_to_wnid = {int(s[0]): str(s[1]) for s in np.atleast_1d(synsets) if int(s[4]) == 0}
        ids = [int(line) for line in blobs[GROUND_TRUTH].split()]
    except DataIntegrityError:
        raise
    except Exception as err:
        raise DataIntegrityError(
            f"{devkit}: unreadable devkit ({type(err).__name__}: {err})"
        ) from err
    return ids, id_to_wnid


def scan_tars(root: Path) -> Manifest:
    """The official archives, indexed in place (offsets of every JPEG inside the tars)."""
    train_tar, val_tar, devkit = root / TRAIN_TAR, root / VAL_TAR, root / DEVKIT
    names, offsets, sizes, wnids = [], [], [], []
    with tarfile.open(train_tar, "r:") as outer:
        for member in _tar_members(outer, str(train_tar)):
            wnid = member.name.removesuffix(".tar")
            if not member.name.endswith(".tar") or not WNID.match(wnid):
                raise DataIntegrityError(
                    f"{train_tar}:{member.name}: not a per-class archive (<wnid>.tar)"
                )
            where = f"{train_tar}:{member.name}"
            with tarfile.open(fileobj=outer.extractfile(member), mode="r:") as inner:
                for image in _tar_members(inner, where):
                    if not _is_image_name(image.name):
                        raise DataIntegrityError(f"{where}:{image.name}: not an image file")
                    names.append(f"{wnid}/{image.name}")
                    offsets.append(member.offset_data + image.offset_data)
                    sizes.append(image.size)
                    wnids.append(wnid)
    classes = sorted(set(wnids))
    if not classes:
        raise DataIntegrityError(f"{train_tar}: no per-class archives")
    label_of = {w: i for i, w in enumerate(classes)}
    order = np.lexsort((np.asarray(names), np.asarray([label_of[w] for w in wnids])))
    train = Files(
        names=np.asarray(names, dtype=str)[order],
        offsets=np.asarray(offsets, dtype=np.int64)[order],
        sizes=np.asarray(sizes, dtype=np.int64)[order],
        labels=np.asarray([label_of[w] for w in wnids], dtype=np.int64)[order],
        archive=TRAIN_TAR,
    )

    ids, id_to_wnid = _read_devkit(devkit)
    val_names, val_offsets, val_sizes = [], [], []
    with tarfile.open(val_tar, "r:") as tar:
        for member in _tar_members(tar, str(val_tar)):
            if not _is_image_name(member.name):
                raise DataIntegrityError(f"{val_tar}:{member.name}: not an image file")
            val_names.append(member.name)
            val_offsets.append(member.offset_data)
            val_sizes.append(member.size)
    order = np.argsort(np.asarray(val_names, dtype=str), kind="stable")  # val_00000001 ... order
    if len(ids) != len(val_names):
        raise DataIntegrityError(
            f"{devkit}: {GROUND_TRUTH} has {len(ids)} labels but {val_tar} holds "
            f"{len(val_names)} images: the val labels do not match the val archive"
        )
    unknown = sorted({i for i in ids if i not in id_to_wnid})
    if unknown:
        raise DataIntegrityError(
            f"{devkit}: val labels {unknown[:5]} are not ILSVRC2012 ids of {META}"
        )
    missing = sorted({id_to_wnid[i] for i in ids} - set(classes))
    if missing:
        raise DataIntegrityError(
            f"{devkit}: val labels name classes {missing[:5]} that {train_tar} does not hold"
        )
    test = Files(
        names=np.asarray(val_names, dtype=str)[order],
        offsets=np.asarray(val_offsets, dtype=np.int64)[order],
        sizes=np.asarray(val_sizes, dtype=np.int64)[order],
        labels=np.asarray([label_of[id_to_wnid[i]] for i in ids], dtype=np.int64),
        archive=VAL_TAR,
    )
    return Manifest(str(root), "tar", tuple(classes), train, test)


def scan(root: Path | str) -> Manifest:
    root = Path(root)
    if not root.is_dir():
        raise DataIntegrityError(f"{root}: ImageNet directory does not exist")
    if (root / "train").is_dir() and (root / "val").is_dir():
        return scan_folder(root)
    tars = [root / TRAIN_TAR, root / VAL_TAR, root / DEVKIT]
    if any(p.exists() for p in tars):
        for path in tars:
            if not path.is_file():
                raise DataIntegrityError(f"{path}: missing (the official archives need all three)")
        return scan_tars(root)
    raise DataIntegrityError(f"{root}: not an ImageNet directory: expected {EXPECTED_LAYOUT}")


# --- verification ---------------------------------------------------------------------------------


def check_counts(manifest: Manifest, expect: Expect) -> None:
    """Class and image counts against ``expect``; val images evenly spread over the classes."""
    root = Path(manifest.root)
    where = {"train": "train", "test": "val"}
    if manifest.num_classes != expect.classes:
        raise DataIntegrityError(
            f"{root}: {manifest.num_classes} classes, expected {expect.classes}"
        )
    for split, total in (("train", expect.train_images), ("test", expect.val_images)):
        files: Files = getattr(manifest, split)
        if len(files) != total:
            raise DataIntegrityError(
                f"{root}: {len(files)} {where[split]} images, expected {total} "
                f"(datasets.imagenet.expect)"
            )
        counts = np.bincount(files.labels, minlength=manifest.num_classes)
        for label in np.flatnonzero(counts == 0):
            raise DataIntegrityError(
                f"{root / where[split] / manifest.class_names[label]}: no images of class "
                f"{manifest.class_names[label]} in {where[split]}"
            )
    per_class = expect.val_images / expect.classes
    counts = np.bincount(manifest.test.labels, minlength=manifest.num_classes)
    if per_class == int(per_class) and (counts != per_class).any():
        label = int(np.flatnonzero(counts != per_class)[0])
        raise DataIntegrityError(
            f"{root / 'val' / manifest.class_names[label]}: {counts[label]} val images of class "
            f"{manifest.class_names[label]}, expected {int(per_class)} (every class has the same "
            f"number of val images)"
        )


def read_bytes(root: Path | str, files: Files, i: int, handle: int | None = None) -> bytes:
    """The encoded bytes of image ``i``; ``handle`` is an open fd of the archive (tar layout)."""
    size = int(files.sizes[i])
    if files.archive:
        fd = handle if handle is not None else os.open(Path(root) / files.archive, os.O_RDONLY)
        try:
            data = os.pread(fd, size, int(files.offsets[i]))
        finally:
            if handle is None:
                os.close(fd)
    else:
        with open(Path(root) / str(files.names[i]), "rb") as f:
            data = f.read()
    if len(data) != size:
        raise DataIntegrityError(
            f"{files.where(root, i)}: read {len(data)} bytes, the manifest says {size} "
            f"(the copy changed since prepare_data: re-run it)"
        )
    return data


def _signature_ok(head: bytes) -> bool:
    return head.startswith(b"\xff\xd8\xff") or head.startswith(b"\x89PNG\r\n\x1a\n")


def check_files(manifest: Manifest, decode: bool, threads: int) -> None:
    """No empty file; every file a JPEG or PNG by its signature (``decode``: decodes fully)."""
    root = Path(manifest.root)
    splits = (manifest.train, manifest.test)
    fds = {f.archive: os.open(root / f.archive, os.O_RDONLY) for f in splits if f.archive}

    def check(args: tuple[Files, int]) -> None:
        files, i = args
        if files.sizes[i] == 0:
            raise DataIntegrityError(f"{files.where(root, i)}: empty image file")
        fd = fds.get(files.archive)
        data = read_bytes(root, files, i, fd) if decode else _head(root, files, i, fd)
        if not _signature_ok(data[:8]):
            raise DataIntegrityError(
                f"{files.where(root, i)}: not a JPEG or PNG image (first bytes {data[:4]!r})"
            )
        if decode:
            decode_rgb(data, files.where(root, i))

    jobs = [(files, i) for files in splits for i in range(len(files))]
    try:
        with ThreadPoolExecutor(max(1, threads)) as pool:
            for _ in pool.map(check, jobs, chunksize=256):
                pass
    finally:
        for fd in fds.values():
            os.close(fd)


def _head(root: Path, files: Files, i: int, fd: int | None) -> bytes:
    """The first 8 bytes of image ``i`` (``fd``: the open archive of the tar layout)."""
    if files.archive:
        return os.pread(fd, 8, int(files.offsets[i]))
    with open(root / str(files.names[i]), "rb") as f:
        return f.read(8)


# --- the prepared manifest ------------------------------------------------------------------------


def save_manifest(manifest: Manifest, path: Path | str) -> None:
    arrays: dict[str, Any] = {
        "layout": np.asarray(manifest.layout),
        "root": np.asarray(manifest.root),
        "class_names": np.asarray(manifest.class_names),
        "digest": np.asarray(manifest.digest),
    }
    for split in SPLITS:
        files: Files = getattr(manifest, split)
        arrays |= {
            f"files_{split}": files.names,
            f"offsets_{split}": files.offsets,
            f"sizes_{split}": files.sizes,
            f"y_{split}": files.labels,
            f"archive_{split}": np.asarray(files.archive),
        }
    atomic_savez(path, **arrays)


def is_manifest(path: Path | str) -> bool:
    """True for an ImageNet manifest, False for a CIFAR/MNIST prepared file (pixels)."""
    with np.load(path) as z:
        return "layout" in z.files


def load_manifest(path: Path | str) -> Manifest:
    with np.load(path) as z:
        splits = {
            split: Files(
                names=z[f"files_{split}"],
                offsets=z[f"offsets_{split}"],
                sizes=z[f"sizes_{split}"],
                labels=z[f"y_{split}"],
                archive=str(z[f"archive_{split}"]),
            )
            for split in SPLITS
        }
        manifest = Manifest(
            root=str(z["root"]),
            layout=str(z["layout"]),
            class_names=tuple(str(c) for c in z["class_names"]),
            **splits,
        )
        if str(z["digest"]) != manifest.digest:
            raise DataIntegrityError(f"{path}: manifest digest does not match its contents")
    if not Path(manifest.root).is_dir():
        raise DataIntegrityError(
            f"{path}: its ImageNet copy {manifest.root} is gone; point datasets.imagenet.root "
            f"at the copy and re-run prepare_data (snakemake --forcerun prepare_data)"
        )
    return manifest


def prepare_imagenet(options: dict[str, Any], out: Path | str, threads: int = 1) -> str:
    """Scan + verify the copy under ``options['root']``, write the manifest; say what was read.

    ``options``: ``datasets.imagenet`` of the config (root, expect, verify).
    """
    root = options.get("root")
    if not root:
        raise DataIntegrityError(
            "datasets.imagenet.root: not set; give the directory of your ImageNet copy "
            f"({EXPECTED_LAYOUT})"
        )
    manifest = scan(Path(root).absolute())
    check_counts(manifest, Expect(**options.get("expect", {})))
    check_files(manifest, decode=options.get("verify", "header") == "decode", threads=threads)
    save_manifest(manifest, out)
    return (
        f"{manifest.root} ({manifest.layout} layout): {manifest.num_classes} classes, "
        f"{len(manifest.train)} train / {len(manifest.test)} val images, manifest "
        f"{manifest.digest}, files checked by {options.get('verify', 'header')}"
    )


# --- decode and crop (one image; runs in DataLoader workers) ------------------------------------


def decode_rgb(data: bytes, where: str):  # -> PIL.Image.Image
    """Decode JPEG/PNG bytes to an RGB image (CMYK and greyscale ImageNet files converted)."""
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(data))
        image = image.convert("RGB")  # forces the full decode
    except Exception as err:
        raise DataIntegrityError(
            f"{where}: cannot decode image ({type(err).__name__}: {err})"
        ) from err
    return image


@dataclass(frozen=True)
class CropSpec:
    """Inception-style crops (recipe key ``resized_crop``; sources in config.yaml).

    Training: a random box of ``scale`` x the image area and aspect ratio in ``ratio``
    (log-uniform), resized to ``size`` x ``size``, mirrored with probability 1/2 when ``flip``.
    Evaluation: the central ``central_fraction`` of each side, resized (TF-slim's
    ``preprocess_for_eval``).
    """

    size: int
    scale: tuple[float, float] = (0.08, 1.0)
    ratio: tuple[float, float] = (3 / 4, 4 / 3)
    flip: bool = True
    central_fraction: float = 0.875

    @classmethod
    def from_recipe(cls, recipe_input: dict[str, Any], resized_crop: dict[str, Any]) -> CropSpec:
        return cls(
            size=int(recipe_input["crop"]),
            scale=tuple(float(s) for s in resized_crop["scale"]),
            ratio=tuple(float(r) for r in resized_crop["ratio"]),
            flip=bool(recipe_input["flip"]),
            central_fraction=float(resized_crop["central_fraction"]),
        )


def random_box(
    width: int, height: int, scale: tuple[float, float], ratio: tuple[float, float], rng
) -> tuple[int, int, int, int]:
    """(left, top, w, h) of a random box: torchvision's ``RandomResizedCrop.get_params`` (10
    tries at area in ``scale`` and log-uniform aspect ratio, then the central box clamped to
    ``ratio``), drawn from a numpy Generator so that a step's crops depend on its seed only."""
    area = width * height
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target = area * rng.uniform(scale[0], scale[1])
        aspect = math.exp(rng.uniform(*log_ratio))
        w = int(round(math.sqrt(target * aspect)))
        h = int(round(math.sqrt(target / aspect)))
        if 0 < w <= width and 0 < h <= height:
            top = int(rng.integers(0, height - h + 1))
            left = int(rng.integers(0, width - w + 1))
            return left, top, w, h
    in_ratio = width / height
    if in_ratio < min(ratio):
        w, h = width, int(round(width / min(ratio)))
    elif in_ratio > max(ratio):
        h, w = height, int(round(height * max(ratio)))
    else:
        w, h = width, height
    return (width - w) // 2, (height - h) // 2, w, h


def train_crop(image, spec: CropSpec, rng) -> tuple[np.ndarray, bool]:
    """uint8 (size, size, 3) random resized crop (bilinear), and whether it was mirrored."""
    from PIL import Image

    left, top, w, h = random_box(image.width, image.height, spec.scale, spec.ratio, rng)
    out = image.resize(
        (spec.size, spec.size), Image.Resampling.BILINEAR, box=(left, top, left + w, top + h)
    )
    flipped = bool(spec.flip and rng.random() < 0.5)
    if flipped:
        out = out.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return np.array(out, dtype=np.uint8), flipped  # a writable copy (torch tensors)


def eval_crop(image, spec: CropSpec) -> np.ndarray:
    """uint8 (size, size, 3): the central fraction of each side, resized (bilinear)."""
    from PIL import Image

    w = image.width * spec.central_fraction
    h = image.height * spec.central_fraction
    left, top = (image.width - w) / 2, (image.height - h) / 2
    out = image.resize(
        (spec.size, spec.size), Image.Resampling.BILINEAR, box=(left, top, left + w, top + h)
    )
    return np.array(out, dtype=np.uint8)


class ImageFiles:
    """Map-style dataset over one split of a manifest (picklable: DataLoader workers).

    ``dataset[(row, image_seed)]``: training crop of image ``row`` drawn from
    ``numpy.random.default_rng(image_seed)``; ``image_seed`` None: the evaluation crop.
    Returns (uint8 (size, size, 3) array, label, row, flipped).
    """

    def __init__(self, manifest: Manifest, split: str, spec: CropSpec) -> None:
        self.root = manifest.root
        self.files: Files = getattr(manifest, split)
        self.spec = spec
        self._fd: int | None = None

    def __len__(self) -> int:
        return len(self.files)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_fd": None}  # every worker opens its own handle

    def __getitem__(self, key: tuple[int, Any]) -> tuple[np.ndarray, int, int, bool]:
        row, image_seed = key
        if self.files.archive and self._fd is None:
            self._fd = os.open(Path(self.root) / self.files.archive, os.O_RDONLY)
        where = self.files.where(self.root, row)
        image = decode_rgb(read_bytes(self.root, self.files, row, self._fd), where)
        if image_seed is None:
            return eval_crop(image, self.spec), int(self.files.labels[row]), row, False
        rng = np.random.default_rng(image_seed)
        pixels, flipped = train_crop(image, self.spec, rng)
        return pixels, int(self.files.labels[row]), row, flipped

    def __del__(self) -> None:
        if self._fd is not None:
            os.close(self._fd)


def loader(dataset: ImageFiles, batch_sampler: Any, workers: int, pin: bool):
    """DataLoader over ``dataset`` in the order of ``batch_sampler`` (lists of keys)."""
    import torch

    return torch.utils.data.DataLoader(
        dataset,
        batch_sampler=batch_sampler,
        num_workers=workers,
        pin_memory=pin,
        prefetch_factor=4 if workers else None,
    )


def to_device(images, normalize: str, device, channels_last: bool = False):
    """uint8 (B, H, W, C) host tensor -> normalised float32 (B, C, H, W) on ``device`` (the
    copy does not block when ``images`` is in pinned memory)."""
    import torch

    from lsrepro.data import augment  # imports torch; this module is read at DAG time

    x = augment.normalize(augment.to_float(images.to(device, non_blocking=True)), normalize)
    memory = torch.channels_last if channels_last else torch.contiguous_format
    return x.contiguous(memory_format=memory)
