"""Batched augmentation: crops equal the slices they claim, flips, standardisation, batch order."""

import numpy as np
import torch

from lsrepro.data import augment
from lsrepro.training.batches import batch_indices


def test_random_crop_equals_padded_slice():
    x = torch.rand(6, 3, 8, 8)
    gen = torch.Generator().manual_seed(0)
    out = augment.random_crop(x, 8, 2, gen)
    gen = torch.Generator().manual_seed(0)
    oy = torch.randint(0, 5, (6,), generator=gen)
    ox = torch.randint(0, 5, (6,), generator=gen)
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    for i in range(6):
        torch.testing.assert_close(out[i], padded[i, :, oy[i] : oy[i] + 8, ox[i] : ox[i] + 8])


def test_mnist_shift_has_25_equiprobable_positions():
    gen = torch.Generator().manual_seed(0)
    x = torch.zeros(5000, 1, 28, 28)
    x[:, :, 14, 14] = 1.0  # one bright pixel: its position reveals the shift
    out = augment.random_crop(x, 28, 2, gen)
    pos = out.flatten(1).argmax(1)
    counts = np.bincount(pos.numpy(), minlength=28 * 28)
    assert (counts > 0).sum() == 25
    assert counts[counts > 0].min() > 5000 / 25 * 0.7


def test_flip_flips_about_half():
    x = torch.arange(4.0).reshape(1, 1, 1, 4).repeat(1000, 1, 1, 1)
    out, mask = augment.random_flip(x, torch.Generator().manual_seed(0))
    flipped = (out[:, 0, 0, 0] == 3).float().mean().item()
    assert 0.45 < flipped < 0.55
    assert set(out[:, 0, 0, 0].tolist()) == {0.0, 3.0}
    assert torch.equal(mask, out[:, 0, 0, 0] == 3)  # the mask says exactly which were mirrored


def test_eval_is_central_crop_and_per_image_standardised():
    images = torch.randint(0, 256, (4, 32, 32, 3), dtype=torch.uint8)
    spec = augment.InputSpec(crop=24, pad=0, flip=True, normalize="per_image")
    out = augment.eval_batch(images, spec)
    assert out.shape == (4, 3, 24, 24)
    raw = images.permute(0, 3, 1, 2).float()[:, :, 4:28, 4:28] / 255
    expected = (raw - raw.mean((1, 2, 3), keepdim=True)) / raw.std(
        (1, 2, 3), keepdim=True, unbiased=False
    )
    torch.testing.assert_close(out, expected)


def test_standardisation_guards_constant_images():
    x = torch.full((1, 3, 4, 4), 0.5)
    out = augment.normalize(x, "per_image")
    assert torch.isfinite(out).all() and out.abs().max() == 0


def test_train_batch_shapes_and_determinism():
    images = torch.randint(0, 256, (16, 32, 32, 3), dtype=torch.uint8)
    spec = augment.InputSpec(crop=24, pad=0, flip=True, distort=True)
    a, fa = augment.train_batch(images, spec, torch.Generator().manual_seed(5))
    b, fb = augment.train_batch(images, spec, torch.Generator().manual_seed(5))
    assert a.shape == (16, 3, 24, 24) and torch.equal(a, b) and torch.equal(fa, fb)


def test_batch_indices_cover_each_epoch_once():
    n, bs = 10, 4  # epochs end inside batches
    seen = np.concatenate([batch_indices(n, bs, s, seed=1) for s in range(5)])  # 20 = 2 epochs
    assert sorted(seen[:10]) == list(range(10)) and sorted(seen[10:]) == list(range(10))
    assert not np.array_equal(seen[:10], seen[10:])  # reshuffled each epoch
    np.testing.assert_array_equal(batch_indices(n, bs, 3, seed=1), batch_indices(n, bs, 3, seed=1))
