"""Models and their registry: exact parameter counts from closed forms, weights unchanged by the
move into a package, shapes, weight-decay scopes, and the torch-free registry's contract."""

import hashlib
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from lsrepro.models import build_model, display_name, model_names, validate_model_spec
from lsrepro.models.alexnet_tf import AlexNetTF, TFLocalResponseNorm, _max_pool_same
from lsrepro.models.registry import train_minutes

HE = (16, 16, 32, 64)
T2T_2019 = (16, 32, 64, 128)  # tensor2tensor resnet_cifar_15/32 filter_sizes


def resnet_params(depth: int, k: int, widths=HE, final_bn: bool = True) -> int:
    """Closed form for the pre-activation CIFAR ResNet (bias-free 3x3 convs, BN = 2 per channel)."""
    n = (depth - 2) // 6
    total = 3 * widths[0] * 9  # stem
    c_in = widths[0]
    for w in widths[1:]:
        for _ in range(n):
            total += 2 * c_in + c_in * w * 9 + 2 * w + w * w * 9
            total += c_in * w if c_in != w else 0  # 1x1 projection shortcut
            c_in = w
    return total + (2 * c_in if final_bn else 0) + c_in * k + k  # final BN + classifier


def transformer(**args) -> dict:
    return {"name": "transformer", "ffn": 32, "dropout": 0.0, **args}


def count(model) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("depth", [20, 32, 56, 110])
@pytest.mark.parametrize("k", [10, 100])
def test_resnet_parameter_count(depth, k):
    model = build_model({"name": "resnet", "depth": depth}, k, 3)  # positional build args
    assert count(model) == resnet_params(depth, k)


def test_resnet56_is_the_usual_size():
    assert resnet_params(56, 10) == 855_578  # 0.86M, as He et al. (2016) report for ResNet-56


@pytest.mark.parametrize("final_bn", [True, False])
def test_resnet_widths_and_final_bn_relu_are_config_keys(final_bn):
    spec = {"name": "resnet", "depth": 20, "widths": list(T2T_2019), "final_bn_relu": final_bn}
    model = build_model(spec, num_classes=10, in_channels=3)
    assert count(model) == resnet_params(20, 10, T2T_2019, final_bn)
    model.eval()
    x = torch.randn(2, 3, 32, 32)
    out = model.blocks(model.stem(x))
    if final_bn:
        out = F.relu(model.bn(out))
    torch.testing.assert_close(model.features(x), out.mean(dim=(2, 3)))
    assert model.features(x).shape == (2, 128)


def test_alexnet_tf_parameter_count():
    model = build_model({"name": "alexnet_tf"}, num_classes=10, in_channels=3)
    expected = (5 * 5 * 3 * 64 + 64) + (5 * 5 * 64 * 64 + 64) + (6 * 6 * 64 * 384 + 384)
    expected += (384 * 192 + 192) + (192 * 10 + 10)
    assert count(model) == expected


@pytest.mark.parametrize("hidden", [[1200, 1200], [800, 800]])
def test_mlp_parameter_count(hidden):
    model = build_model({"name": "mlp", "hidden": hidden, "dropout": 0.5}, 10, 1)
    widths = [784, *hidden, 10]
    assert count(model) == sum(a * b + b for a, b in zip(widths[:-1], widths[1:], strict=True))


def _digest(model) -> str:
    h = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        h.update(name.encode())
        h.update(tensor.contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


@pytest.mark.parametrize(
    "spec, k, channels, digest",
    [
        ({"name": "resnet", "depth": 20}, 10, 3, "4d852f769362cfbb"),
        ({"name": "alexnet_tf"}, 10, 3, "5165876f1ba9f22d"),
        ({"name": "mlp", "hidden": [64, 32], "init_variance": 0.0009}, 10, 1, "6ae60adb11f7ca69"),
    ],
)
def test_initial_weights_are_bitwise_those_of_the_flat_module(spec, k, channels, digest):
    # Digests of the state_dicts that lsrepro/models.py (before the registry package) built for
    # seed 0: names, order and every bit of every tensor.
    torch.manual_seed(0)
    assert _digest(build_model(spec, k, channels)) == digest


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


def _tf_name(module_name: str, module: torch.nn.Module, param: str) -> str:
    """The variable name TF gives a PyTorch parameter: BN weight/bias are gamma/beta."""
    if isinstance(module, torch.nn.BatchNorm2d):
        return f"{module_name}/{'gamma' if param == 'weight' else 'beta'}:0"
    return f"{module_name}/{'kernel' if param == 'weight' else 'bias'}:0"


def test_weight_decay_scopes():
    alex = AlexNetTF(10)
    assert [p.shape for p in alex.decay_parameters("hidden_dense")] == [(384, 2304), (192, 384)]
    resnet = build_model({"name": "resnet", "depth": 20}, 10, 3)
    weights = list(resnet.decay_parameters("weights"))
    assert weights and all(p.ndim > 1 for p in weights)
    assert len(weights) == sum(p.ndim > 1 for p in resnet.parameters())
    assert list(resnet.decay_parameters("none")) == []
    with pytest.raises(ValueError, match="has no hidden dense layers"):
        list(resnet.decay_parameters("hidden_dense"))
    with pytest.raises(ValueError, match="unknown weight-decay scope 'bn'"):
        list(resnet.decay_parameters("bn"))


@pytest.mark.parametrize(
    "spec",
    [{"name": "resnet", "depth": 20}, {"name": "alexnet_tf"}, {"name": "mlp", "hidden": [8]}],
)
def test_t2t_scope_is_t2ts_name_rule(spec):
    # t2t's optimize.weight_decay: skip a variable iff it is 1-D and its name ends in "bias:0".
    model = build_model(spec, 10, 3 if spec["name"] != "mlp" else 1)
    expected = {
        id(p)
        for mod_name, mod in model.named_modules()
        for name, p in mod.named_parameters(recurse=False)
        if not (p.ndim == 1 and _tf_name(mod_name, mod, name).endswith("bias:0"))
    }
    got = {id(p) for p in model.decay_parameters("t2t")}
    assert got == expected
    if spec["name"] == "resnet":  # batch-norm scale and offset are decayed, unlike "weights"
        assert id(model.bn.weight) in got and id(model.bn.bias) in got
        assert id(model.classifier.bias) not in got


def test_registry_names_and_errors():
    assert model_names() == ["alexnet_tf", "inception_v4", "mlp", "resnet", "transformer"]
    with pytest.raises(ValueError, match="unknown model .vgg.; known models: alexnet_tf, incep"):
        build_model({"name": "vgg"}, 10, 3)
    with pytest.raises(ValueError, match="depth: ResNet depth must be 6n \\+ 2"):
        build_model({"name": "resnet", "depth": 51}, 10, 3)
    with pytest.raises(TypeError, match="needs build arguments num_classes, in_channels"):
        build_model({"name": "resnet"}, num_classes=10)


@pytest.mark.parametrize(
    "spec, problem",
    [
        ({"name": "mlp", "hidden": [10], "depth": 56}, "depth: model 'mlp' takes no argument"),
        ({"name": "mlp"}, "hidden: required by model 'mlp'"),
        ({"name": "mlp", "hidden": []}, "hidden: must be a non-empty list of integers"),
        ({"name": "mlp", "hidden": [10, 0]}, "hidden: every entry must be >= 1"),
        ({"name": "mlp", "hidden": [10], "dropout": 1.0}, "dropout: must be in [0, 1)"),
        ({"name": "resnet", "depth": 56.0}, "depth: must be an integer, got 56.0"),
        ({"name": "resnet", "depth": 51}, "depth: ResNet depth must be 6n + 2"),
        ({"name": "resnet", "widths": [16, 32, 64]}, "widths: must list 4 widths"),
        ({"name": "resnet", "widths": [16, 0, 32, 64]}, "widths: every entry must be >= 1"),
        ({"name": "resnet", "final_bn_relu": 1}, "final_bn_relu: must be true or false"),
        ({"name": "alexnet_tf", "image_size": 0}, "image_size: must be > 0"),
        (
            transformer(layers=2, d_model=30, heads=4),
            "heads: d_model 30 is not divisible by heads 4",
        ),
        (
            transformer(layers=0, d_model=32, heads=4),
            "layers: must be >= 1, got 0",
        ),
    ],
)
def test_validate_model_spec_names_the_argument(spec, problem):
    problems = validate_model_spec(spec)
    assert len(problems) == 1 and problems[0].startswith(problem), problems


def test_display_names():
    assert display_name({"name": "resnet", "depth": 56}) == "ResNet-56"
    assert display_name({"name": "resnet", "widths": list(T2T_2019)}) == "ResNet-56 (16-32-64-128)"
    assert display_name({"name": "alexnet_tf"}) == "AlexNet"
    assert display_name({"name": "mlp", "hidden": [1200, 1200]}) == "MLP 1200-1200"
    assert display_name(transformer(layers=2, d_model=32, heads=4)) == "Transformer"


def test_transformer_entry_builds_the_translation_model():
    model = build_model(transformer(layers=1, d_model=16, heads=2), vocab_size=50, pad_id=0)
    assert count(model) > 0


def old_train_minutes(recipe: dict, attempt: int) -> int:
    """common.smk's formula before the registry (GPU_SECONDS_PER_STEP, ResNets per layer)."""
    per_layer = {"resnet": 0.08 / 56, "alexnet_tf": 0.015, "mlp": 0.005}
    per_step = per_layer[recipe["model"]["name"]] * recipe["model"].get("depth", 1)
    per_step *= recipe["batch_size"] / 128
    minutes = recipe["steps"] * per_step * 2.0 / 60 + 10
    return int(minutes * 2 ** (attempt - 1)) + 1


@pytest.mark.parametrize(
    "model, batch, steps, minutes",
    [
        ({"name": "resnet", "depth": 56}, 128, 64000, 181),  # 64k x 0.08 s x 2 / 60 + 10
        ({"name": "alexnet_tf"}, 128, 390000, 206),  # 390k x 0.015 s x 2 / 60 + 10 + 1
        ({"name": "mlp", "hidden": [1200, 1200]}, 100, 50000, 17),
    ],
)
@pytest.mark.parametrize("attempt", [1, 2])
def test_train_minutes_keeps_the_previous_estimates(model, batch, steps, minutes, attempt):
    recipe = {"model": model, "batch_size": batch, "steps": steps}
    assert train_minutes(recipe, attempt) == old_train_minutes(recipe, attempt)
    if attempt == 1:
        assert train_minutes(recipe, attempt) == minutes


def test_train_minutes_scales_with_resnet_width():
    he = {"model": {"name": "resnet", "depth": 56}, "batch_size": 128, "steps": 64000}
    t2t = {**he, "model": {"name": "resnet", "depth": 56, "widths": list(T2T_2019)}}
    # Doubling every stage's width quadruples the conv work: (181 - 1 - 10) x 4 + 10 + 1.
    assert train_minutes(t2t, 1) == int(170.6667 * 4 + 10) + 1


def test_registry_and_config_import_without_torch():
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import lsrepro.config, lsrepro.models, lsrepro.models.registry as r\n"
        "print(r.display_name({'name': 'resnet'}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ResNet-56"
