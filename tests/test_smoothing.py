"""Label smoothing against the paper's closed form and PyTorch's independent implementation."""

import pytest
import torch
import torch.nn.functional as F

from lsrepro.training.objectives import smoothed_cross_entropy, smoothed_targets


@pytest.mark.parametrize(
    "k, alpha, correct, incorrect",
    [
        (10, 0.1, 0.91, 0.01),  # paper-spec §1.1 derived values
        (100, 0.1, 0.901, 0.001),
        (100, 0.05, 0.9505, 0.0005),
        (10, 0.0, 1.0, 0.0),
    ],
)
def test_targets_closed_form(k, alpha, correct, incorrect):
    t = smoothed_targets(torch.tensor([3, 0]), k, alpha)
    assert t.shape == (2, k)
    torch.testing.assert_close(t[0, 3], torch.tensor(correct))
    torch.testing.assert_close(t[0, 0], torch.tensor(incorrect))
    torch.testing.assert_close(t.sum(-1), torch.ones(2))


@pytest.mark.parametrize("alpha", [0.0, 0.05, 0.1, 0.3, 0.75])
def test_loss_equals_torch_label_smoothing(alpha):
    torch.manual_seed(0)
    logits, labels = torch.randn(64, 10) * 3, torch.randint(0, 10, (64,))
    ours = smoothed_cross_entropy(logits, labels, alpha)
    reference = F.cross_entropy(logits, labels, label_smoothing=alpha)
    torch.testing.assert_close(ours, reference)


def test_alpha_zero_is_hard_targets():
    torch.manual_seed(1)
    logits, labels = torch.randn(8, 5), torch.randint(0, 5, (8,))
    torch.testing.assert_close(
        smoothed_cross_entropy(logits, labels, 0.0), F.cross_entropy(logits, labels)
    )


@pytest.mark.parametrize("alpha", [-0.1, 1.0, 1.5])
def test_alpha_out_of_range(alpha):
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\)"):
        smoothed_targets(torch.tensor([0]), 10, alpha)
