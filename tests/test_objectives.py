"""Objectives against independent formulations, and the loop driving each one (resume, NaN)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lsrepro.training import LabelSmoothing, LogitMatching, SoftTargets, TeacherOutputs
from lsrepro.training.batches import IGNORE_INDEX, Batch, batch_indices
from lsrepro.training.loop import DivergenceError
from train_worker import RECIPE, SEED, run, tiny_data


def _batch(labels, index=None, flipped=None):
    index = torch.arange(len(labels)) if index is None else index
    return Batch(index=index, inputs=(), labels=labels, size=len(labels), flipped=flipped)


def test_label_smoothing_with_padding_matches_torch():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 5, 11, generator=g)
    labels = torch.randint(0, 11, (3, 5), generator=g)
    labels[0, 3:] = IGNORE_INDEX
    labels[2, 1:] = IGNORE_INDEX
    ours = LabelSmoothing(0.1)(logits, _batch(labels))
    ref = F.cross_entropy(
        logits.reshape(-1, 11),
        labels.reshape(-1),
        ignore_index=IGNORE_INDEX,
        label_smoothing=0.1,
    )
    torch.testing.assert_close(ours, ref)


def test_hard_targets_accept_minus_inf_in_other_classes():
    logits = torch.tensor([[2.0, -float("inf"), 0.5], [0.0, 1.0, -float("inf")]])
    labels = torch.tensor([0, 1])
    loss = LabelSmoothing(0.0)(logits, _batch(labels))
    ref = -np.mean([2.0 - np.log(np.exp(2.0) + np.exp(0.5)), 1.0 - np.log(1 + np.e)])
    assert torch.isfinite(loss) and abs(loss.item() - ref) < 1e-6


@pytest.mark.parametrize("beta", [1.0, 0.4])
@pytest.mark.parametrize("temperature", [1.0, 4.0])
def test_soft_targets_match_cross_entropy_with_probability_targets(beta, temperature):
    g = torch.Generator().manual_seed(1)
    cache = torch.randn(8, 2, 10, generator=g) * 3
    logits = torch.randn(4, 10, generator=g)
    index, flipped = torch.tensor([5, 0, 7, 5]), torch.tensor([True, False, False, False])
    labels = torch.tensor([1, 2, 3, 4])
    teacher = TeacherOutputs("t", cached=cache)
    ours = SoftTargets(teacher, temperature, beta)(logits, _batch(labels, index, flipped))
    rows = cache[index, flipped.long()]
    soft = F.softmax(rows / temperature, dim=-1)
    ref = beta * F.cross_entropy(logits, soft) + (1 - beta) * F.cross_entropy(logits, labels)
    torch.testing.assert_close(ours, ref)


def test_logit_matching_matches_hand_formula():
    rng = np.random.default_rng(2)
    z_t, z_s = rng.normal(size=(6, 2, 10)), rng.normal(size=(3, 10))
    labels, index = np.array([0, 4, 9]), np.array([5, 1, 1])
    teacher = TeacherOutputs("t", cached=torch.tensor(z_t, dtype=torch.float32))
    ours = LogitMatching(teacher, beta=0.6)(
        torch.tensor(z_s, dtype=torch.float32),
        _batch(torch.tensor(labels), torch.tensor(index)),
    )
    log_p = z_s - np.log(np.exp(z_s).sum(1, keepdims=True))
    ce = -log_p[np.arange(3), labels].mean()
    squared = np.mean([0.5 * np.sum((z_s[i] - z_t[index[i], 0]) ** 2) for i in range(3)])
    assert abs(ours.item() - (0.4 * ce + 0.6 * squared)) < 1e-4


def test_online_teacher_sees_the_student_batch():
    teacher_net = torch.nn.Linear(4, 3)
    x = torch.randn(5, 4)
    online = TeacherOutputs("t", teacher=teacher_net)
    batch = Batch(
        index=torch.arange(5), inputs=(x,), labels=torch.zeros(5, dtype=torch.long), size=5
    )
    torch.testing.assert_close(online.logits(batch), teacher_net(x))
    assert not any(p.requires_grad for p in teacher_net.parameters())


def _teacher_cache(seed=0):
    x, _ = tiny_data()
    g = torch.Generator().manual_seed(seed)
    return torch.randn(len(x), 2, 4, generator=g) * 2


@pytest.mark.parametrize("kind", ["soft_targets", "logit_matching"])
def test_distilled_student_resumes_bit_exactly(tmp_path, kind):
    def objective():
        teacher = TeacherOutputs("teacher-fp", cached=_teacher_cache())
        if kind == "soft_targets":
            return SoftTargets(teacher, temperature=4.0, beta=1.0)
        return LogitMatching(teacher, beta=0.6)

    ref, resumed = tmp_path / "ref", tmp_path / "resumed"
    run(ref, objective=objective(), steps=24)
    run(resumed, objective=objective(), steps=24, max_steps=10)
    assert run(resumed, objective=objective(), steps=24).resumed_from == 10
    a = torch.load(ref / "model.pt", weights_only=False)["state_dict"]
    b = torch.load(resumed / "model.pt", weights_only=False)["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_another_teacher_is_another_fingerprint(tmp_path):
    first = TeacherOutputs("teacher-A", cached=_teacher_cache())
    run(tmp_path, objective=SoftTargets(first, 2.0, 1.0), steps=24, max_steps=8)
    second = TeacherOutputs("teacher-B", cached=_teacher_cache())
    assert run(tmp_path, objective=SoftTargets(second, 2.0, 1.0), steps=24).resumed_from == 0


def test_deferred_divergence_check_names_the_exact_step(tmp_path):
    # A NaN teacher row makes the loss NaN at the first step whose batch draws that row; the
    # loop reads losses once per log window (log_every 50) but must still name that step.
    cache = _teacher_cache()
    cache[17] = float("nan")
    x, _ = tiny_data()
    first = next(
        s for s in range(100) if 17 in batch_indices(len(x), RECIPE["batch_size"], s, SEED)
    )
    with pytest.raises(DivergenceError, match=rf"at step {first};"):
        run(
            tmp_path,
            objective=SoftTargets(TeacherOutputs("t", cached=cache), 1.0, 1.0),
            log_every=50,
            checkpoint_every=50,
        )
    assert not (tmp_path / "model.pt").exists() and not (tmp_path / "checkpoint.pt").exists()


def test_bf16_autocast_trains_and_differs_from_fp32(tmp_path):
    fp32 = run(tmp_path / "fp32", steps=8)
    bf16 = run(tmp_path / "bf16", steps=8, precision="bf16")
    assert all(torch.isfinite(p).all() for p in bf16.model.parameters())
    a, b = fp32.model.state_dict(), bf16.model.state_dict()
    assert any(not torch.equal(a[k], b[k]) for k in a)  # the forward really ran in bf16
    assert all(p.dtype == torch.float32 for p in bf16.model.parameters())  # weights stay fp32
