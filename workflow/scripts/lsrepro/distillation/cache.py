"""The teacher's outputs on every training-split image and its mirror image, computed once.

``logits`` float32 (N, 2, K): row i = the i-th image of the training split (the order of
``split.train``), column 0 = the image as is, 1 = mirrored left-right; each through the
teacher's own evaluation preprocessing (its full-image crop and normalisation, eval mode). A
student step looks up the row of each of its images and the column of its own flip: the
student's crop (AlexNet: 24×24) and distortions are not shown to the teacher. This is the
documented default of ``distillation.teacher_outputs: cached``; ``online`` runs the teacher on
the student's augmented batch instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from lsrepro.artifacts.model import load_model_on_split
from lsrepro.artifacts.teacher_cache import TeacherCache, save_teacher_cache
from lsrepro.data import augment
from lsrepro.data.images import load_prepared, load_split
from lsrepro.evaluation.inference import forward
from lsrepro.models import Classifier
from lsrepro.progress import progress
from lsrepro.runtime import pick_device
from lsrepro.training import precision

log = logging.getLogger(__name__)


def teacher_outputs(
    model: Classifier,
    images: np.ndarray,
    spec: augment.InputSpec,
    batch_size: int = 500,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """uint8 (N, H, W, C) images -> float32 (N, 2, K) logits on (image, mirrored image)."""

    def inputs() -> Iterator[torch.Tensor]:  # each batch as is, then mirrored
        for start in progress(range(0, len(images), batch_size), "teacher outputs", "batches"):
            x = torch.from_numpy(images[start : start + batch_size]).to(device)
            yield augment.eval_batch(x, spec)
            yield augment.eval_batch(x.flip(2), spec)  # (B, H, W, C): W is dim 2

    logits = [batch_logits.cpu() for batch_logits, _ in forward(model, inputs())]
    return torch.stack([torch.cat(logits[0::2]), torch.cat(logits[1::2])], dim=1).numpy()


def cache_teacher_outputs_file(
    *,
    model: Path | str,
    prepared: Path | str,
    split: Path | str,
    out: Path | str,
    threads: int,
    batch_size: int = 500,
) -> TeacherCache:
    """Workflow entry point (rule ``cache_teacher_outputs``)."""
    torch.set_num_threads(threads)
    device = pick_device()
    data = load_prepared(Path(prepared))
    parts = load_split(Path(split))
    teacher, meta = load_model_on_split(model, parts.digest, str(split), device)
    spec = augment.InputSpec(**meta["recipe"]["input"])
    with precision.inference(teacher, meta["recipe"], device):  # the teacher's own precision
        logits = teacher_outputs(teacher, data.x_train[parts.train], spec, batch_size, device)
    cache = TeacherCache(logits, parts.digest, meta["fingerprint"], str(model))
    save_teacher_cache(out, cache)
    log.info("teacher %s: outputs on %d images x 2 flips -> %s", model, len(logits), out)
    return cache
