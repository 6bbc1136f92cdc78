"""The fast path of every network the workflow trains or runs: bf16 autocast, channels_last and
torch.compile, from the recipe keys ``precision`` and ``compile`` (DESIGN.md §6).

One mechanism, the same on the CPU and the GPU:

* ``precision: bf16``: the forward pass runs under ``torch.autocast(device.type, bfloat16)``;
  the parameters, the optimiser state and the gradients stay fp32. Call sites cast the logits to
  fp32 as they leave the forward pass (:func:`fp32_logits`), so the loss, the softmax of every
  metric and the saved logits are computed in fp32 (their values carry bf16 rounding).
  ``fp32`` (the default) is plain fp32, the path that resumes bitwise on the CPU with the same
  thread count; bf16 resumes bitwise too (same threads, same device), but its weights differ
  from fp32's.
* channels_last: convolutional models (any ``Conv2d``) are converted when they run on a GPU or
  in bf16 (:func:`uses_channels_last`); an fp32 model on the CPU stays contiguous, so fp32 CPU
  results stay identical to those of earlier versions.
* ``compile: true``: :func:`compiled` wraps the model in ``torch.compile``; when the compiler is
  missing or fails (no C++ compiler, an unsupported Python, an op inductor cannot lower), the
  first call logs the reason and the run continues eagerly. The wrapper says which happened
  (:attr:`Compiled.status`), and the training loop stores it in model.pt's ``runtime``.

Inference (rules ``evaluate``, ``cache_teacher_outputs``, ``estimate_information``,
``evaluate_tokens``, ``decode_beam``, the online teacher of distillation) follows the recipe of
the model it runs: its precision and channels_last (:func:`inference`), never compile. That is
our choice: a compile costs tens of seconds per model (more on a CPU), more than the whole pass
it would speed up (evaluate: at most ~70k images; the MI experiment loads a new model per
snapshot; beam decoding has a new prefix shape at every step).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

log = logging.getLogger(__name__)

PRECISIONS = ("fp32", "bf16")
DEFAULTS = {"precision": "fp32", "compile": False}


def settings(recipe: Mapping[str, Any] | Any) -> tuple[str, bool]:
    """``(precision, compile)`` of a recipe: a config dict, a model file's ``metadata["recipe"]``
    (files written before these keys existed: fp32, no compile) or a :class:`Recipe`."""
    get = recipe.get if isinstance(recipe, Mapping) else lambda k, d: getattr(recipe, k, d)
    precision = get("precision", DEFAULTS["precision"])
    use_compile = get("compile", DEFAULTS["compile"])
    return check_precision(precision), check_compile(use_compile)


def check_precision(precision: Any) -> str:
    if precision not in PRECISIONS:
        raise ValueError(f"precision: must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    return precision


def check_compile(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"compile: must be true or false, got {value!r}")
    return value


def autocast(precision: str, device: str | torch.device) -> contextlib.AbstractContextManager:
    """The context every forward pass of ``precision`` runs in: bf16 autocast on ``device``'s
    type (cpu, cuda), or nothing for fp32."""
    if check_precision(precision) == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(torch.device(device).type, dtype=torch.bfloat16)


def fp32_logits(logits: torch.Tensor) -> torch.Tensor:
    """Logits leaving an autocast forward pass, as fp32 (a no-op for fp32 logits)."""
    return logits.float()


def is_convolutional(model: nn.Module) -> bool:
    return any(isinstance(m, nn.Conv2d) for m in model.modules())


def uses_channels_last(model: nn.Module, device: str | torch.device, precision: str) -> bool:
    """channels_last for a convolutional model on a GPU, or in bf16 on either device."""
    on_gpu = torch.device(device).type == "cuda"
    return is_convolutional(model) and (on_gpu or check_precision(precision) == "bf16")


def prepare_model(
    model: nn.Module, *, precision: str, device: str | torch.device
) -> tuple[nn.Module, bool]:
    """Convert ``model`` (already on ``device``) in place to channels_last when
    :func:`uses_channels_last` says so; returns ``(model, channels_last)``. Parameters keep
    their values and dtype (fp32), only their memory layout changes."""
    channels_last = uses_channels_last(model, device, precision)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    return model, channels_last


def inference(
    model: nn.Module, recipe: Mapping[str, Any], device: str | torch.device
) -> contextlib.AbstractContextManager:
    """Prepare a loaded model to run as its recipe says (module docstring) and return the
    autocast context its forward passes run in: ``with precision.inference(m, meta["recipe"],
    device): ...``. Outputs still need ``.float()`` (every inference function casts them)."""
    precision, _ = settings(recipe)
    prepare_model(model, precision=precision, device=device)
    return autocast(precision, device)


def _compile_errors() -> tuple[type[BaseException], ...]:
    from torch._dynamo.exc import TorchDynamoException

    return (TorchDynamoException,)


class Compiled:
    """``torch.compile(fn)`` that falls back to ``fn`` itself, with the reason logged, when the
    compiler is unavailable or fails; call it as you would ``fn``.

    ``status``: ``"eager"`` (compile not asked for), ``"pending"`` (not called yet),
    ``"compiled"``, or ``"fallback: <reason>"``. A failure in compiling surfaces at the first
    call (torch.compile is lazy) and then happens before any kernel runs, so the eager retry
    of that call sees the same inputs and module state.
    """

    def __init__(self, fn: Callable[..., Any], enabled: bool, what: str = "the model") -> None:
        self.fn, self.what = fn, what
        self._compiled: Callable[..., Any] | None = None
        self.status = "eager"
        if not enabled:
            return
        try:
            self._compiled = torch.compile(fn)
            self.status = "pending"
        except Exception as err:  # e.g. "torch.compile is not supported on Python 3.x"
            self._fall_back(err)

    def _fall_back(self, err: BaseException) -> None:
        reason = f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err) else ''}"
        self.status = f"fallback: {reason}"
        self._compiled = None
        log.warning("torch.compile of %s failed, running eagerly instead (%s)", self.what, reason)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._compiled is not None:
            try:
                out = self._compiled(*args, **kwargs)
            except _compile_errors() as err:
                self._fall_back(err)
            else:
                if self.status == "pending":
                    self.status = "compiled"
                    log.info("torch.compile of %s: compiled", self.what)
                return out
        return self.fn(*args, **kwargs)


def compiled(model: nn.Module, enabled: bool) -> Compiled:
    """The callable a training step runs: ``model`` through torch.compile when ``enabled``
    (falling back to eager with the reason logged), else ``model`` itself."""
    return Compiled(model, enabled, type(model).__name__)
