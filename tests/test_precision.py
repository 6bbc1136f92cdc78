"""The fast path (lsrepro.training.precision): bf16 autocast with fp32 logits, channels_last,
torch.compile's fallback, and the recipe keys that choose them."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lsrepro.models import build_model
from lsrepro.training import LabelSmoothing, Recipe, init_model, precision, train
from lsrepro.training.batches import ImageBatches
from train_worker import RECIPE, tiny_data

RESNET = {"name": "resnet", "depth": 8}
MLP = {"name": "mlp", "hidden": [32, 32], "image_size": 16}


def _model(spec, seed=0):
    torch.manual_seed(seed)
    return build_model(spec, num_classes=4, in_channels=3).eval()


def _images(n=8, seed=0):
    return torch.randn(n, 3, 16, 16, generator=torch.Generator().manual_seed(seed))


def test_settings_read_recipes_and_old_model_files():
    assert precision.settings({"precision": "bf16", "compile": True}) == ("bf16", True)
    assert precision.settings({}) == ("fp32", False)  # model files written before the keys
    assert precision.settings(Recipe.from_config({**RECIPE, "precision": "bf16"})) == (
        "bf16",
        False,
    )


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [("precision", "fp16", "precision: must be one of fp32, bf16"), ("compile", "yes", "compile")],
)
def test_bad_recipe_values_name_the_key(key, value, message):
    with pytest.raises(ValueError, match=message):
        Recipe.from_config({**RECIPE, key: value})
    with pytest.raises(ValueError, match=message):
        precision.settings({key: value})


@torch.no_grad()
def test_fp32_is_plain_fp32():
    model, x = _model(MLP), _images()
    with precision.autocast("fp32", "cpu"):
        out = model(x)
    assert out.dtype == torch.float32 and torch.equal(out, model(x))


@torch.no_grad()
def test_bf16_autocast_runs_the_forward_pass_in_bf16_and_logits_leave_in_fp32():
    model, x = _model(RESNET), _images()
    reference = model(x)
    with precision.autocast("bf16", "cpu"):
        out = model(x)
    assert out.dtype == torch.bfloat16  # the matmuls ran in bf16 ...
    logits = precision.fp32_logits(out)
    assert logits.dtype == torch.float32  # ... the loss and metrics get fp32
    assert not torch.equal(logits, reference)
    # within bf16 rounding (8 significant bits) of the fp32 forward pass
    assert torch.allclose(logits, reference, rtol=0.05, atol=0.05 * float(reference.abs().max()))


def test_bf16_loss_and_gradients_are_fp32_and_close_to_fp32():
    x, y = _images(16), torch.arange(16) % 4
    grads = {}
    for name in precision.PRECISIONS:
        model = _model(RESNET).train()
        with precision.autocast(name, "cpu"):
            logits = model(x)
        loss = F.cross_entropy(precision.fp32_logits(logits), y)
        assert loss.dtype == torch.float32
        loss.backward()
        grads[name] = torch.cat([p.grad.flatten() for p in model.parameters()])
        assert all(p.grad.dtype == torch.float32 for p in model.parameters())
    cos = F.cosine_similarity(grads["fp32"], grads["bf16"], dim=0)
    assert 0.95 < cos < 1.0  # the same direction (bf16 keeps ~3 digits), not the same bits


def test_channels_last_policy():
    conv, mlp = _model(RESNET), _model(MLP)
    assert precision.is_convolutional(conv) and not precision.is_convolutional(mlp)
    assert precision.uses_channels_last(conv, "cpu", "bf16")
    assert precision.uses_channels_last(conv, "cuda", "fp32")
    assert not precision.uses_channels_last(conv, "cpu", "fp32")  # fp32 CPU results unchanged
    assert not precision.uses_channels_last(mlp, "cuda", "bf16")


@torch.no_grad()
def test_channels_last_changes_the_layout_not_the_function():
    model, x = _model(RESNET), _images()
    reference = model(x)
    prepared, channels_last = precision.prepare_model(model, precision="bf16", device="cpu")
    assert channels_last and prepared is model
    assert model.stem.weight.is_contiguous(memory_format=torch.channels_last)
    assert not model.stem.weight.is_contiguous()
    out = model(x)
    assert out.dtype == torch.float32  # prepare_model keeps fp32 parameters
    assert torch.allclose(out, reference, rtol=1e-5, atol=1e-5)


@torch.no_grad()
def test_inference_follows_the_recipe_of_the_model():
    model, x = _model(RESNET), _images()
    with precision.inference(model, {"precision": "bf16"}, "cpu"):
        assert model(x).dtype == torch.bfloat16
    assert model.stem.weight.is_contiguous(memory_format=torch.channels_last)
    fp32 = _model(RESNET)
    with precision.inference(fp32, {"model": RESNET}, "cpu"):  # a file without the key: fp32
        assert fp32(x).dtype == torch.float32
    assert fp32.stem.weight.is_contiguous()


@torch.no_grad()
def test_online_teacher_runs_in_its_own_precision():
    from lsrepro.training import TeacherOutputs
    from lsrepro.training.batches import Batch

    x = _images(8)
    batch = Batch(
        index=torch.arange(8), inputs=(x,), labels=torch.zeros(8, dtype=torch.long), size=8
    )
    fp32 = TeacherOutputs("t", teacher=_model(RESNET)).logits(batch)
    teacher = _model(RESNET)
    bf16 = TeacherOutputs(
        "t", teacher=teacher, autocast=precision.inference(teacher, {"precision": "bf16"}, "cpu")
    ).logits(batch)
    assert fp32.dtype == bf16.dtype == torch.float32
    assert not torch.equal(fp32, bf16)
    assert torch.allclose(bf16, fp32, rtol=0.05, atol=0.05 * float(fp32.abs().max()))


@torch.no_grad()
def test_compile_off_is_the_model_itself():
    model, x = _model(MLP), _images()
    step = precision.compiled(model, False)
    assert step.status == "eager" and torch.equal(step(x), model(x))


def test_compile_falls_back_to_eager_and_names_the_reason(caplog):
    """A real compiler failure (inductor pointed at a C++ compiler that does not exist), not a
    mock: the first call logs the reason, returns the eager result, and later calls stay eager."""
    from torch._functorch import config as functorch_config
    from torch._inductor import config as inductor_config

    model, x = _model(MLP), _images()
    torch._dynamo.reset()
    broken = {"cpp.cxx": ("no-such-c++-compiler",), "fx_graph_cache": False}
    # no cached kernels either: every compile must reach the (missing) compiler
    with inductor_config.patch(broken), functorch_config.patch(enable_autograd_cache=False):
        step = precision.compiled(model, True)
        assert step.status == "pending"
        with caplog.at_level("WARNING", logger="lsrepro.training.precision"):
            out = step(x)
    torch._dynamo.reset()
    assert step.status.startswith("fallback: InductorError: InvalidCxxCompiler")
    assert "torch.compile of MLP failed, running eagerly instead" in caplog.text
    assert torch.equal(out, model(x))
    assert torch.equal(step(x), model(x)) and step.status.startswith("fallback")


def test_bf16_mlp_trains_end_to_end(tmp_path):
    """An MLP recipe in bf16 through the real loop: the loss falls and it learns the task."""
    x, y = tiny_data(n=200)
    recipe = Recipe.from_config(
        {
            **RECIPE,
            "model": MLP,
            "input": {"crop": 16, "pad": 0, "flip": False, "distort": False, "normalize": "unit"},
            "steps": 120,
            "optimizer": {**RECIPE["optimizer"], "lr": 0.05},
            "lr_schedule": {"name": "linear"},
            "weight_decay": {"value": 0.0, "scope": "none"},
            "loss_scale": 1.0,
            "grad_clip": None,
            "log_every": 20,
            "checkpoint_every": 1000,
            "snapshot_steps": [],
            "precision": "bf16",
        }
    )
    model = init_model(lambda: build_model(recipe.model, num_classes=4, in_channels=3), 0)
    batches = ImageBatches(
        torch.from_numpy(x), torch.from_numpy(y.astype(np.int64)), recipe.input, 16, 0
    )
    result = train(
        model=model,
        objective=LabelSmoothing(0.0),
        batches=batches,
        recipe=recipe,
        seed=0,
        out_dir=tmp_path,
        metadata={"dataset": "tiny", "build_args": {}, "run": {}},
    )
    assert result.runtime == {"precision": "bf16", "channels_last": False, "compile": "eager"}
    loss = [row["loss"] for row in result.history]
    assert all(math.isfinite(v) for v in loss)
    assert loss[-1] < 0.5 * loss[0]
    assert result.history[-1]["accuracy"] > 0.9


def test_transformer_inference_in_bf16_token_metrics_and_beam_search():
    """Teacher-forced token metrics and beam search of a Transformer under bf16 autocast (what
    evaluate_tokens and decode_beam run for a bf16 recipe): fp32 outputs, close to fp32's."""
    from lsrepro.translation.beam import translate
    from lsrepro.translation.token_eval import token_predictions

    specials = {"pad_id": 0, "bos_id": 2, "eos_id": 3}
    spec = {"name": "transformer", "layers": 1, "d_model": 32, "heads": 2, "ffn": 64}
    torch.manual_seed(0)
    model = build_model({**spec, "dropout": 0.0}, vocab_size=50, pad_id=0).eval()
    rng = np.random.default_rng(0)
    src = [list(rng.integers(4, 50, n)) for n in (3, 5, 7, 4)]
    tgt = [list(rng.integers(4, 50, n)) for n in (4, 6, 5, 3)]
    out = {}
    for name in precision.PRECISIONS:
        with precision.autocast(name, "cpu"):
            preds = token_predictions(model, src, tgt, temperatures=[1.0], **specials)[1.0]
            decoded = translate(model, src, beam_size=3, max_len_b=4, **specials)
        out[name] = preds, decoded
    (p32, d32), (p16, d16) = out["fp32"], out["bf16"]
    assert p16.nll.dtype == np.float64 and not np.array_equal(p16.nll, p32.nll)
    np.testing.assert_allclose(p16.nll, p32.nll, rtol=0.05)
    assert len(d16.tokens) == len(src)
    assert all(len(t) <= len(s) + 4 for t, s in zip(d16.tokens, src, strict=True))
    assert sum(t == u for t, u in zip(d16.tokens, d32.tokens, strict=True)) >= 2
    np.testing.assert_allclose(  # the scores of the hypotheses both precisions found
        [s for s, t, u in zip(d16.scores, d16.tokens, d32.tokens, strict=True) if t == u],
        [s for s, t, u in zip(d32.scores, d16.tokens, d32.tokens, strict=True) if t == u],
        rtol=0.05,
    )
