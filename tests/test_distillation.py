"""Distillation: γ on planted teachers, teacher-output cache vs an online forward, tables."""

import numpy as np
import pytest
import torch

from lsrepro.artifacts import evaluation as artifact
from lsrepro.artifacts.teacher_cache import TeacherCache, load_teacher_cache, save_teacher_cache
from lsrepro.data import augment
from lsrepro.distillation.cache import teacher_outputs
from lsrepro.distillation.gamma import smoothness_index, student_gamma
from lsrepro.distillation.tables import mnist_toy_tables
from lsrepro.models import build_model
from lsrepro.training import TeacherOutputs
from lsrepro.training.batches import ImageBatches


@pytest.mark.parametrize("alpha", [0.0, 0.1, 0.3, 0.75])
@pytest.mark.parametrize("k", [2, 10, 100])
def test_gamma_of_a_label_smoothing_teacher_is_alpha(alpha, k):
    # A teacher whose softmax is exactly the LS target y(1-α)+α/K: logits = log of it.
    labels = np.arange(50) % k
    target = np.full((50, k), alpha / k)
    target[np.arange(50), labels] += 1 - alpha
    with np.errstate(divide="ignore"):
        logits = np.log(target)
    assert smoothness_index(logits, labels, temperature=1.0) == pytest.approx(alpha, abs=1e-12)


def test_gamma_grows_with_temperature_and_reaches_one_for_a_uniform_teacher():
    rng = np.random.default_rng(0)
    logits, labels = rng.normal(size=(200, 10)) * 4, rng.integers(0, 10, 200)
    values = [smoothness_index(logits, labels, t) for t in (1, 2, 4, 8, 16, 1e6)]
    assert all(a < b for a, b in zip(values, values[1:], strict=False))
    assert values[-1] == pytest.approx(1.0, abs=1e-5)


def test_student_gamma_uses_the_columns_the_student_sees():
    cache = np.zeros((4, 2, 3))
    cache[:, 1, 0] = 50.0  # mirrored images: all mass on class 0
    labels = np.array([1, 1, 1, 1])
    assert student_gamma(cache, labels, 1.0, flip=False) == pytest.approx(1.0)  # uniform
    assert student_gamma(cache, labels, 1.0, flip=True) == pytest.approx((1.0 + 1.5) / 2)


def test_cache_rows_equal_an_online_teacher_forward_on_the_same_image_and_flip(tmp_path):
    torch.manual_seed(0)
    teacher = build_model({"name": "resnet", "depth": 8}, num_classes=4, in_channels=3).eval()
    images = torch.randint(0, 256, (24, 16, 16, 3), dtype=torch.uint8)
    spec = augment.InputSpec(crop=16, pad=0, flip=True, normalize="per_image")
    cached = teacher_outputs(teacher, images.numpy(), spec, batch_size=7)
    assert cached.shape == (24, 2, 4)
    path = tmp_path / "logits.npz"
    save_teacher_cache(path, TeacherCache(cached, "split", "fp", "model.pt"))
    loaded = load_teacher_cache(path)
    assert loaded.teacher_fingerprint == "fp" and loaded.split_digest == "split"
    # a student batch without crop: its flip decides the column; online sees the same pixels
    batches = ImageBatches(images, torch.zeros(24, dtype=torch.long), spec, 10, seed=3)
    batch = batches.batch(5)
    assert batch.flipped.any() and not batch.flipped.all()
    from_cache = TeacherOutputs("fp", cached=torch.from_numpy(loaded.logits)).logits(batch)
    online = TeacherOutputs("fp", teacher=teacher).logits(batch)
    torch.testing.assert_close(from_cache, online, rtol=1e-5, atol=1e-5)


def _evaluation(path, logits, labels):
    artifact.save(
        path,
        logits=logits,
        labels=labels,
        features=np.zeros((len(labels), 2)),
        weight=np.zeros((logits.shape[1], 2)),
        bias=np.zeros(logits.shape[1]),
        index=np.arange(len(labels)),
        class_names=np.asarray([str(i) for i in range(logits.shape[1])]),
    )
    return str(path)


def test_mnist_toy_table_reports_test_error_in_percent_beside_the_paper(tmp_path):
    labels = np.arange(1000) % 10
    rows = []
    for role, wrong in (("teacher_A", 7), ("teacher_B", 6), ("student_A", 8), ("student_B", 9)):
        for seed in (0, 1):
            logits = np.eye(10)[labels] * 5
            logits[: wrong + seed, :] = np.eye(10)[(labels[: wrong + seed] + 1) % 10] * 5
            test = _evaluation(tmp_path / f"{role}{seed}.npz", logits, labels)
            rows.append({"role": role, "experiment": role, "seed": seed, "test": test})
    per_seed, summary = mnist_toy_tables(rows, confidence=0.95)
    errors = per_seed.loc[per_seed["role"] == "teacher_A", "test_error"]
    np.testing.assert_allclose(errors, [0.007, 0.008])
    a = summary.set_index("role").loc["teacher_A"]
    assert a["mean_pct"] == pytest.approx(0.75) and a["paper_pct"] == 0.67
    assert a["min_pct"] == pytest.approx(0.7) and a["max_pct"] == pytest.approx(0.8)
    assert list(summary["role"]) == ["teacher_A", "student_A", "teacher_B", "student_B"]


def test_a_retrained_teacher_with_other_weights_is_another_teacher(tmp_path):
    from lsrepro.training.files import load_teacher

    identities = []
    for i, seed in enumerate((0, 0, 1)):
        logits = np.random.default_rng(seed).normal(size=(6, 2, 3)).astype(np.float32)
        path = tmp_path / f"cache{i}.npz"
        save_teacher_cache(path, TeacherCache(logits, "split", "same-recipe", "model.pt"))
        teacher = load_teacher(mode="cached", device="cpu", split_digest="split", cache=path)
        identities.append(teacher.identity()["teacher"])
    assert identities[0] == identities[1]  # same recipe, same outputs: the same teacher
    assert identities[2] != identities[0]  # same recipe, other outputs: another teacher
    assert identities[0].startswith("same-recipe-")


def test_mnist_toy_teacher_rows_are_the_alphas_their_students_learn_from():
    """The CPU study trains teacher B's alpha = 0 twin inside teacher B's experiment: the toy
    table's teacher B rows must be the alpha = 0.1 models only (the old records took every alpha
    of the experiment, so the twin's test errors were averaged into teacher B)."""
    from pathlib import Path

    import yaml

    from lsrepro.distillation.plan import mnist_toy_records

    root = Path(__file__).resolve().parents[1]
    config = yaml.safe_load((root / "config.yaml").read_text())
    config["experiments"]["mnist_fc_ls"]["alphas"] = [0.0, 0.1]
    config["experiments"]["mnist_fc_student"]["alphas"] = [0.0]
    records = mnist_toy_records(config)
    by_role: dict = {}
    for r in records:
        by_role.setdefault(r["role"], []).append(r["test"])
    assert sorted(by_role["teacher_B"]) == [
        f"results/evaluate/mnist_fc_ls/alpha~0.1/seed~{s}/test.npz" for s in range(5)
    ]
    assert len(by_role["teacher_A"]) == len(by_role["student_alone"]) == 5
    assert len(by_role["student_A"]) == len(by_role["student_B"]) == 5
