"""A tiny real training run, as a separate process that tests can kill or signal.

python train_worker.py OUT_DIR [STEPS [PRECISION]]
"""

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "scripts"))

from lsrepro.models import build_model  # noqa: E402
from lsrepro.runtime import setup_logging  # noqa: E402
from lsrepro.training import LabelSmoothing, Preempted, Recipe, init_model, train  # noqa: E402
from lsrepro.training.batches import ImageBatches  # noqa: E402

RECIPE = {
    "version": 1,
    "model": {"name": "resnet", "depth": 8},
    "input": {"crop": 16, "pad": 2, "flip": True, "distort": False, "normalize": "per_image"},
    "batch_size": 16,
    "steps": 60,
    "optimizer": {
        "lr": 0.1,
        "momentum": 0.9,
        "nesterov": True,
        "dampening": 0.0,
        "last_layer_lr_scale": 1.0,
    },
    "lr_schedule": {"name": "piecewise", "milestones": [30, 45], "factor": 0.1},
    "weight_decay": {"value": 1e-4, "scope": "weights"},
    "loss_scale": 3.0,
    "grad_clip": 1.0,
    "log_every": 5,
    "checkpoint_every": 4,
    "snapshot_steps": [0, 20, 60],
}
SEED = 7


def tiny_data(n: int = 120, k: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    protos = rng.integers(0, 256, (k, 16, 16, 3))
    x = np.clip(protos[y] + rng.normal(0, 30, (n, 16, 16, 3)), 0, 255).astype(np.uint8)
    return x, y


def run(
    out_dir: Path,
    steps: int | None = None,
    max_steps: int | None = None,
    alpha: float = 0.1,
    objective=None,
    **overrides,
):
    """Train the tiny model; ``objective`` defaults to label smoothing ``alpha``."""
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    x, y = tiny_data()
    recipe = Recipe.from_config({**RECIPE, **({"steps": steps} if steps else {}), **overrides})
    build_args = {"num_classes": 4, "in_channels": 3}
    model = init_model(lambda: build_model(recipe.model, **build_args), SEED)
    batches = ImageBatches(
        torch.from_numpy(x),
        torch.from_numpy(y.astype(np.int64)),
        recipe.input,
        recipe.batch_size,
        SEED,
    )
    return train(
        model=model,
        objective=objective if objective is not None else LabelSmoothing(alpha),
        batches=batches,
        recipe=recipe,
        seed=SEED,
        out_dir=out_dir,
        metadata={"dataset": "tiny", "build_args": build_args, "run": {"alpha": alpha}},
        max_steps=max_steps,
    )


if __name__ == "__main__":
    setup_logging(None)
    try:
        steps = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] != "-" else None
        extra = {"precision": sys.argv[3]} if len(sys.argv) > 3 else {}
        run(Path(sys.argv[1]), steps, **extra)
    except Preempted as stop:
        print(stop, file=sys.stderr)
        sys.exit(Preempted.exit_code)
