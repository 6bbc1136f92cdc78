"""Model registry: exact parameter counts from closed forms, shapes, and the shared interface."""

import pytest
import torch
import torch.nn.functional as F

from lsrepro.models import AlexNetTF, TFLocalResponseNorm, _max_pool_same, build_model, model_names


def resnet_params(depth: int, k: int, widths=(16, 32, 64)) -> int:
    """Closed form for the pre-activation CIFAR ResNet (bias-free 3x3 convs, BN = 2 per channel)."""
    n = (depth - 2) // 6
    total = 3 * widths[0] * 9  # stem
    c_in = widths[0]
    for w in widths:
        for _ in range(n):
            total += 2 * c_in + c_in * w * 9 + 2 * w + w * w * 9
            total += c_in * w if c_in != w else 0  # 1x1 projection shortcut
            c_in = w
    return total + 2 * c_in + c_in * k + k  # final BN + classifier


def count(model) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("depth", [20, 32, 56, 110])
@pytest.mark.parametrize("k", [10, 100])
def test_resnet_parameter_count(depth, k):
    model = build_model({"name": "resnet", "depth": depth}, k, 3)
    assert count(model) == resnet_params(depth, k)


def test_resnet56_is_the_usual_size():
    assert resnet_params(56, 10) == 855_578  # 0.86M, as He et al. (2016) report for ResNet-56


def test_alexnet_tf_parameter_count():
    model = build_model({"name": "alexnet_tf"}, 10, 3)
    expected = (5 * 5 * 3 * 64 + 64) + (5 * 5 * 64 * 64 + 64) + (6 * 6 * 64 * 384 + 384)
    expected += (384 * 192 + 192) + (192 * 10 + 10)
    assert count(model) == expected


@pytest.mark.parametrize("hidden", [[1200, 1200], [800, 800]])
def test_mlp_parameter_count(hidden):
    model = build_model({"name": "mlp", "hidden": hidden, "dropout": 0.5}, 10, 1)
    widths = [784, *hidden, 10]
    assert count(model) == sum(a * b + b for a, b in zip(widths[:-1], widths[1:], strict=True))


@pytest.mark.parametrize(
    "spec, shape, dim",
    [
        ({"name": "resnet", "depth": 20}, (2, 3, 32, 32), 64),
        ({"name": "alexnet_tf"}, (2, 3, 24, 24), 192),
        ({"name": "mlp", "hidden": [32, 16]}, (2, 1, 28, 28), 16),
    ],
)
def test_features_then_one_linear_with_bias(spec, shape, dim):
    torch.manual_seed(0)
    model = build_model(spec, 7, shape[1]).eval()
    x = torch.randn(shape)
    feats = model.features(x)
    assert feats.shape == (2, dim)
    assert isinstance(model.classifier, torch.nn.Linear) and model.classifier.bias is not None
    assert model.classifier.weight.shape == (7, dim)
    torch.testing.assert_close(model(x), feats @ model.classifier.weight.T + model.classifier.bias)


def test_tf_lrn_matches_the_tensorflow_formula():
    x = torch.rand(2, 64, 5, 5)
    r, bias, alpha, beta = 4, 1.0, 0.001 / 9.0, 0.75
    sq = F.pad(x.pow(2), (0, 0, 0, 0, r, r))  # pad channels
    window = torch.stack([sq[:, i : i + 64] for i in range(2 * r + 1)]).sum(0)
    expected = x / (bias + alpha * window) ** beta
    torch.testing.assert_close(TFLocalResponseNorm()(x), expected)


def test_same_max_pool_matches_tf_output_size_and_padding():
    x = torch.arange(24 * 24, dtype=torch.float32).reshape(1, 1, 24, 24)
    out = _max_pool_same(x)
    assert out.shape == (1, 1, 12, 12)
    # TF SAME pads 1 at the bottom/right for 24 -> 12: the first window is rows/cols 0..2.
    assert out[0, 0, 0, 0] == x[0, 0, 2, 2]
    assert out[0, 0, -1, -1] == x[0, 0, 23, 23]


def test_weight_decay_scopes():
    alex = AlexNetTF(10)
    assert [p.shape for p in alex.decay_parameters("hidden_dense")] == [(384, 2304), (192, 384)]
    resnet = build_model({"name": "resnet", "depth": 20}, 10, 3)
    assert all(p.ndim > 1 for p in resnet.decay_parameters("weights"))
    assert list(resnet.decay_parameters("none")) == []
    with pytest.raises(ValueError, match="has no hidden dense layers"):
        list(resnet.decay_parameters("hidden_dense"))


def test_registry_errors():
    assert model_names() == ["alexnet_tf", "mlp", "resnet"]
    with pytest.raises(
        ValueError, match="unknown model 'vgg'; known models: alexnet_tf, mlp, resnet"
    ):
        build_model({"name": "vgg"}, 10, 3)
    with pytest.raises(ValueError, match="6n \\+ 2"):
        build_model({"name": "resnet", "depth": 51}, 10, 3)
