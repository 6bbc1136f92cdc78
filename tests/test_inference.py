"""The one inference pass (lsrepro.evaluation.inference.forward) that evaluate, teacher caching
and the MI experiment share: it must give exactly what the network gives when called by hand."""

from __future__ import annotations

import numpy as np
import torch

from lsrepro.data import augment
from lsrepro.distillation.cache import teacher_outputs
from lsrepro.evaluation.inference import forward, infer
from lsrepro.information.experiment import augmentation_generator, logit_differences
from lsrepro.models import build_model
from lsrepro.training import precision

RESNET = {"name": "resnet", "depth": 8}
SPEC = augment.InputSpec(crop=16, pad=2, flip=True, normalize="per_image")


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    model = build_model(RESNET, num_classes=5, in_channels=3)
    return model.train()  # forward must switch to eval mode itself (batch norm statistics)


def _images(n: int = 10) -> np.ndarray:
    return np.random.default_rng(1).integers(0, 256, size=(n, 16, 16, 3), dtype=np.uint8)


def _by_hand(model, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    with torch.no_grad():
        model.eval()
        feats = model.features(x)
        return model.classifier(feats), feats


def test_forward_is_the_networks_own_output_in_eval_mode_without_gradients():
    model, images = _model(), torch.from_numpy(_images())
    batches = [augment.eval_batch(images[:4], SPEC), augment.eval_batch(images[4:], SPEC)]
    outputs = list(forward(model, batches))
    assert not model.training
    for x, (logits, features) in zip(batches, outputs, strict=True):
        want_logits, want_features = _by_hand(model, x)
        assert not logits.requires_grad and logits.dtype == torch.float32
        assert torch.equal(logits, want_logits) and torch.equal(features, want_features)
        assert torch.equal(logits, model(x))  # forward(x) = classifier(features(x))


def test_forward_casts_bf16_outputs_to_fp32():
    model, x = _model(), augment.eval_batch(torch.from_numpy(_images(4)), SPEC)
    with precision.inference(model, {"precision": "bf16"}, "cpu"):
        [(logits, features)] = list(forward(model, [x]))
        with torch.no_grad():
            raw = model(x)
    assert raw.dtype == torch.bfloat16
    assert logits.dtype == features.dtype == torch.float32
    assert torch.equal(logits, raw.float())


def test_the_three_users_equal_the_network_called_by_hand():
    model, images = _model(), _images()
    x = torch.from_numpy(images)
    plain, plain_features = _by_hand(model, augment.eval_batch(x, SPEC))
    mirrored, _ = _by_hand(model, augment.eval_batch(x.flip(2), SPEC))
    # evaluate: every batch size gives the whole-batch values up to BLAS round-off
    logits, features = infer(model, images, SPEC, batch_size=10)
    np.testing.assert_array_equal(logits, plain.numpy())
    np.testing.assert_array_equal(features, plain_features.numpy())
    # teacher caching: column 0 the image, column 1 its mirror image
    cache = teacher_outputs(model, images, SPEC, batch_size=10)
    np.testing.assert_array_equal(cache[:, 0], plain.numpy())
    np.testing.assert_array_equal(cache[:, 1], mirrored.numpy())
    # MI: logit a - logit b on the draw's training augmentation, in float64
    y = logit_differences(model, images, SPEC, (1, 3), draws=2, seed=4, batch_size=10)
    for draw in range(2):
        batch, _ = augment.train_batch(x, SPEC, augmentation_generator(4, draw))
        want, _ = _by_hand(model, batch)
        np.testing.assert_array_equal(y[draw], (want[:, 1].double() - want[:, 3].double()).numpy())
