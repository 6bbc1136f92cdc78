"""Training core: one loop (:mod:`.loop`) driven by an objective (:mod:`.objectives`), a batch
source (:mod:`.batches`), an optimiser and schedule (:mod:`.optim`) and a checkpointer
(:mod:`.checkpoints`). Stage entry points: :mod:`.files` (image classifiers, distilled or not)."""

from lsrepro.training.batches import IGNORE_INDEX, Batch, BatchSource, step_seed
from lsrepro.training.loop import DivergenceError, Preempted, TrainResult, init_model, train
from lsrepro.training.objectives import LabelSmoothing, LogitMatching, SoftTargets, TeacherOutputs
from lsrepro.training.recipe import Recipe

__all__ = [
    "IGNORE_INDEX",
    "Batch",
    "BatchSource",
    "DivergenceError",
    "LabelSmoothing",
    "LogitMatching",
    "Preempted",
    "Recipe",
    "SoftTargets",
    "TeacherOutputs",
    "TrainResult",
    "init_model",
    "step_seed",
    "train",
]
