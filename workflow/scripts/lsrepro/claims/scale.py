"""The scale each verdict was measured at: a reduced-scale verdict is not the paper's.

:func:`scale_labels` writes, per experiment of the run (and "translation"), its training steps,
seed count, precision where it is not fp32 (e.g. "bf16") and evaluation cap, and says "reduced"
where the run's steps or seeds are below the reference configuration (the repository's
``config.yaml``, which follows the paper) or its evaluation splits are capped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["scale_labels"]


def _label(
    steps: int,
    ref_steps: int | None,
    n_seeds: int,
    ref_seeds: int | None,
    eval_cap: object,
    unit: str = "examples",
    precision: str = "fp32",
) -> str:
    reduced = (
        (ref_steps is not None and steps < ref_steps)
        or (ref_seeds is not None and n_seeds < ref_seeds)
        or bool(eval_cap)  # capped evaluation splits: fewer examples than the paper's
    )
    text = f"{steps} steps" + (
        f" (reference {ref_steps})" if ref_steps not in (None, steps) else ""
    )
    text += f", {n_seeds} seed{'s' if n_seeds != 1 else ''}"
    text += f", {precision}" if precision != "fp32" else ""
    text += f", eval ≤ {eval_cap} {unit}" if eval_cap else ", full eval splits"
    return ("reduced scale: " if reduced else "paper scale: ") + text


def scale_labels(
    config: Mapping[str, Any], reference: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """experiment (and "translation") -> its scale label. ``reference``: the configuration at
    the paper's scale (None: every label says only what ran)."""
    ref = reference or {}
    out: dict[str, str] = {}
    cap = (config.get("evaluate") or {}).get("max_examples")
    for name in config.get("run", []):
        exp = config["experiments"][name]
        recipe = config["recipes"][exp["recipe"]]
        steps = int(recipe["steps"])
        ref_exp = (ref.get("experiments") or {}).get(name)
        ref_steps = ref_seeds = None
        if ref_exp is not None and exp["recipe"] in (ref.get("recipes") or {}):
            ref_steps = int(ref["recipes"][exp["recipe"]]["steps"])
            ref_seeds = len(ref_exp["seeds"])
        out[name] = f"{name}: " + _label(
            steps,
            ref_steps,
            len(exp["seeds"]),
            ref_seeds,
            cap,
            precision=recipe.get("precision", "fp32"),
        )
    tr = config.get("translation") or {}
    for name, recipe in (tr.get("recipes") or {}).items():
        ref_recipe = ((ref.get("translation") or {}).get("recipes") or {}).get(name)
        seeds = [s for e in (tr.get("experiments") or {}).values() for s in e.get("seeds", [])]
        ref_seeds = [
            s
            for e in ((ref.get("translation") or {}).get("experiments") or {}).values()
            for s in e.get("seeds", [])
        ]
        out["translation"] = "translation: " + _label(
            int(recipe["steps"]),
            int(ref_recipe["steps"]) if ref_recipe else None,
            len(set(seeds)),
            len(set(ref_seeds)) if ref_recipe else None,
            tr.get("max_sentences"),
            "sentences",
            precision=recipe.get("precision", "fp32"),
        )
        break
    return out
