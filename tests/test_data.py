"""Dataset readers on synthetic files in the official formats, integrity errors, and the split."""

from pathlib import Path

import numpy as np
import pytest

from lsrepro.data import images as data
from lsrepro.data.images import DataIntegrityError
from synthetic import write_cifar, write_mnist


@pytest.mark.parametrize("name", ["cifar10", "cifar100"])
@pytest.mark.parametrize("archive", [True, False])
def test_cifar_mirror_reads_official_format(tmp_path, name, archive):
    x_train, y_train, x_test, y_test, classes, sums = write_cifar(tmp_path, name, archive=archive)
    got, source = data.load_dataset(name, tmp_path / "root", tmp_path / "mirror", checksums=sums)
    np.testing.assert_array_equal(got.x_train, x_train)  # (N, H, W, C), the official order
    np.testing.assert_array_equal(got.y_train, y_train)
    np.testing.assert_array_equal(got.x_test, x_test)
    np.testing.assert_array_equal(got.y_test, y_test)
    assert got.class_names == tuple(classes)
    assert "mirror" in source


def test_mnist_mirror_reads_idx(tmp_path):
    x_train, y_train, x_test, y_test, sums = write_mnist(tmp_path / "mirror")
    got, _ = data.load_dataset("mnist", tmp_path / "root", tmp_path / "mirror", checksums=sums)
    np.testing.assert_array_equal(got.x_train[..., 0], x_train)
    np.testing.assert_array_equal(got.y_train, y_train)
    np.testing.assert_array_equal(got.x_test[..., 0], x_test)
    assert got.x_train.shape[1:] == (28, 28, 1)
    assert got.class_names == tuple("0123456789")


def test_cifar10_npz_verified_by_array_digest(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (5, 32, 32, 3), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 5).astype(np.uint8),
        "x_test": rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 3).astype(np.uint8),
    }
    (tmp_path / "mirror" / "cifar10").mkdir(parents=True)
    path = tmp_path / "mirror" / "cifar10" / "cifar10.npz"
    np.savez_compressed(path, **arrays)
    digests = {k: data.array_sha256(v) for k, v in arrays.items()}
    got, source = data.load_dataset(
        "cifar10", tmp_path / "root", tmp_path / "mirror", npz_digests=digests
    )
    np.testing.assert_array_equal(got.x_train, arrays["x_train"])
    assert "sha256" in source
    bad = {**digests, "y_test": "0" * 64}
    with pytest.raises(DataIntegrityError, match=r"'y_test' sha256 mismatch, expected 0{64}, got"):
        data.load_dataset("cifar10", tmp_path / "root2", tmp_path / "mirror", npz_digests=bad)


def test_corrupted_archive_names_file_and_both_digests(tmp_path):
    *_, sums = write_cifar(tmp_path, "cifar10")
    tgz = tmp_path / "mirror" / "cifar-10-python.tar.gz"
    blob = bytearray(tgz.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    tgz.write_bytes(bytes(blob))
    actual = data.md5sum(tgz)
    with pytest.raises(DataIntegrityError) as err:
        data.load_dataset("cifar10", tmp_path / "root", tmp_path / "mirror", checksums=sums)
    msg = str(err.value)
    assert str(tgz) in msg and sums[tgz.name] in msg and actual in msg


def test_truncated_mnist_file_is_an_error(tmp_path):
    *_, sums = write_mnist(tmp_path / "mirror")
    f = tmp_path / "mirror" / "MNIST" / "raw" / "train-labels-idx1-ubyte.gz"
    f.write_bytes(f.read_bytes()[:10])
    with pytest.raises(DataIntegrityError, match="train-labels-idx1-ubyte.gz: md5 mismatch"):
        data.load_dataset("mnist", tmp_path / "root", tmp_path / "mirror", checksums=sums)


def test_truncated_npz_is_an_error(tmp_path):
    (tmp_path / "mirror" / "cifar10").mkdir(parents=True)
    path = tmp_path / "mirror" / "cifar10" / "cifar10.npz"
    np.savez(path, x_train=np.zeros((2, 32, 32, 3), np.uint8))
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(DataIntegrityError, match="unreadable or incomplete numpy archive"):
        data.load_dataset("cifar10", tmp_path / "root", tmp_path / "mirror")


def test_mirror_without_the_dataset_says_what_it_expected(tmp_path):
    (tmp_path / "mirror").mkdir()
    with pytest.raises(
        DataIntegrityError, match=r"holds no copy of cifar100.*cifar-100-python\.tar\.gz"
    ):
        data.load_dataset("cifar100", tmp_path / "root", tmp_path / "mirror")
    with pytest.raises(DataIntegrityError, match="does not exist"):
        data.load_dataset("mnist", tmp_path / "root", tmp_path / "nowhere")


def test_failed_prepare_leaves_no_output(tmp_path):
    *_, sums = write_mnist(tmp_path / "mirror")
    (tmp_path / "mirror" / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz").unlink()
    out = tmp_path / "prepared.npz"
    with pytest.raises(DataIntegrityError, match="t10k-images-idx3-ubyte.gz: file missing"):
        data.prepare("mnist", tmp_path / "root", tmp_path / "mirror", out, checksums=sums)
    assert list(tmp_path.glob("prepared*")) == []


def test_prepared_roundtrip(tmp_path):
    x_train, y_train, x_test, y_test, sums = write_mnist(tmp_path / "mirror")
    out = tmp_path / "out" / "prepared.npz"
    data.load_dataset("mnist", tmp_path / "root", tmp_path / "mirror", checksums=sums)
    prepared, _ = data.load_dataset("mnist", tmp_path / "root", tmp_path / "mirror", checksums=sums)
    data.save_prepared(prepared, out)
    back = data.load_prepared(out)
    np.testing.assert_array_equal(back.x_train, prepared.x_train)
    assert back.y_train.dtype == np.int64 and back.class_names == prepared.class_names
    assert [p.name for p in out.parent.iterdir()] == ["prepared.npz"]  # no temporary left


def test_split_is_deterministic_disjoint_and_complete():
    labels = np.arange(1000) % 10
    a, b = data.draw_split(labels, 200, seed=3), data.draw_split(labels, 200, seed=3)
    np.testing.assert_array_equal(a.train, b.train)
    assert a.digest == b.digest
    assert len(a.val) == 200 and len(a.train) == 800
    assert np.intersect1d(a.train, a.val).size == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([a.train, a.val])), np.arange(1000))
    c = data.draw_split(labels, 200, seed=4)
    assert c.digest != a.digest


def test_split_digest_is_pinned():
    """The same seed must give the same split on every platform and numpy version (PCG64)."""
    split = data.draw_split(np.zeros(50_000), 10_000, seed=0)
    assert split.val[:5].tolist() == [2, 9, 12, 21, 24]
    assert split.digest == "7ed185e155e5ed94"


def test_split_file_roundtrip_and_tamper_check(tmp_path):
    split = data.draw_split(np.zeros(100), 10, seed=1)
    data.save_split(split, tmp_path / "split.npz")
    back = data.load_split(tmp_path / "split.npz")
    assert back.digest == split.digest
    z = dict(np.load(tmp_path / "split.npz"))
    z["val"] = z["val"][::-1].copy()
    np.savez(tmp_path / "tampered.npz", **z)
    with pytest.raises(DataIntegrityError, match="digest does not match"):
        data.load_split(tmp_path / "tampered.npz")


def test_bad_val_size():
    with pytest.raises(ValueError, match=r"val_size must be in \(0, 10\)"):
        data.draw_split(np.zeros(10), 10, seed=0)


@pytest.mark.skipif(
    not Path(__file__).parents[2].joinpath("shared/data/MD5SUMS").exists(),
    reason="needs ../shared/data",
)
def test_real_cifar10_mirror_split_matches_paper_sizes(tmp_path):
    mirror = Path(__file__).parents[2] / "shared" / "data"
    got, _ = data.load_dataset("cifar10", tmp_path / "root", mirror)
    assert got.x_train.shape == (50_000, 32, 32, 3) and got.x_test.shape == (10_000, 32, 32, 3)
    split = data.draw_split(got.y_train, 10_000, seed=0)
    assert len(split.train) == 40_000


def test_split_is_stratified_by_class():
    labels = np.repeat(np.arange(100), 500)  # CIFAR-100's training set: 500 per class
    split = data.draw_split(labels, 10_000, seed=0)
    assert np.bincount(labels[split.val], minlength=100).tolist() == [100] * 100
    uneven = np.array([0] * 70 + [1] * 20 + [2] * 10)
    split = data.draw_split(uneven, 15, seed=0)  # quotas 10.5, 3, 1.5 -> 11, 3, 1 (or 10, 3, 2)
    counts = np.bincount(uneven[split.val], minlength=3)
    assert (
        counts.sum() == 15
        and counts[1] == 3
        and sorted([counts[0], counts[2]]) in ([1, 11], [2, 10])
    )
