"""Reference studies: verdicts shipped with the project (``reference/<study>/``), shown beside a
user's own verdicts, and how a finished study is packaged for shipping.

A reference study is a directory holding what one pre-registered run of the workflow concluded:
``claims.csv``, ``verdicts.csv``, ``paper_vs_ours.csv`` (exactly as ``judge_claims`` wrote them),
the stage tables behind them (``tables/``), its key figures (``figures/``, PNG) and
``provenance.json`` (the code commit, the digest of the config files, torch, the machine and the
wall time per stage).

**Matching.** The front page (:func:`lsrepro.claims.tables.verdict_table`) gives each of a
user's comparisons the reference verdict of the same sub-claim, the same comparison
(``experiments`` and ``settings``) and the same scale, where "same scale" means the same steps
and evaluation size per experiment (:func:`scale_key`). The number of seeds is left out of the
key on purpose: a user's 2-seed run at paper steps is exactly what a 5-seed reference at paper
steps should be read beside.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lsrepro.aggregate import BENCHMARK_STAGES
from lsrepro.claims.rules import NOT_RUN
from lsrepro.io import write_csv, write_json

__all__ = [
    "PROVENANCE_KEYS",
    "SHIPPED_TABLES",
    "ReferenceError",
    "load_references",
    "reference_text",
    "scale_key",
    "ship",
    "training_seconds",
]

#: The verdict tables a reference study ships at its top level (as ``judge_claims`` writes them).
SHIPPED_TABLES: tuple[str, ...] = ("claims.csv", "verdicts.csv", "paper_vs_ours.csv")
#: The columns of claims.csv the front page matches and quotes.
_NEEDED = ("subclaim", "experiments", "settings", "scale", "verdict", "effect", "n_a", "n_b")
PROVENANCE_KEYS: tuple[str, ...] = (
    "study",
    "commit",
    "config_files",
    "config_digest",
    "versions",
    "runs",
    "machine",
    "judged_with",
    "wall_s",
)


class ReferenceError(ValueError):
    """A reference study directory that cannot be read (missing, or not a shipped study)."""


def scale_key(scale: object) -> str:
    """The part of a row's scale label that must agree for a reference verdict to apply: each
    experiment's steps and evaluation size, without its seed count and without the
    "paper/reduced scale" word (which depends on the seed count).

    >>> scale_key("mnist_fc_ls: reduced scale: 50000 steps, 2 seeds, full eval splits")
    'mnist_fc_ls: 50000 steps, full eval splits'
    """
    if not isinstance(scale, str) or not scale:
        return ""
    parts = []
    for part in scale.split("; "):
        part = re.sub(r"\b(paper|reduced) scale: ", "", part)
        part = re.sub(r", \d+ seeds?\b", "", part)
        parts.append(part)
    return "; ".join(parts)


def load_references(directories: Sequence[Path | str]) -> dict[str, pd.DataFrame]:
    """Study name (the directory's name) -> its shipped ``claims.csv``.

    Raises:
        ReferenceError: a directory that does not exist, holds no claims.csv, or whose
            claims.csv lacks a column the front page needs (named).
    """
    out: dict[str, pd.DataFrame] = {}
    for directory in directories:
        path = Path(directory)
        claims = path / "claims.csv"
        if not path.is_dir():
            raise ReferenceError(f"reference study {path}: no such directory")
        if not claims.is_file():
            raise ReferenceError(
                f"reference study {path}: no claims.csv (a shipped study holds "
                f"{', '.join(SHIPPED_TABLES)}; see reference/README.md)"
            )
        frame = pd.read_csv(claims)
        missing = [c for c in _NEEDED if c not in frame.columns]
        if missing:
            raise ReferenceError(f"{claims}: missing columns {missing}")
        if path.name in out:
            raise ReferenceError(f"reference study {path}: a second study named {path.name!r}")
        out[path.name] = frame
    return out


def _effect(value: object) -> str:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    return "" if np.isnan(x) else f", effect {x:+.3g}"


def _seeds(row: Any) -> str:
    n = [int(v) for v in (row.n_a, row.n_b) if not pd.isna(v) and int(v) > 0]
    if not n:
        return ""
    return f", {'/'.join(map(str, n))} seed{'' if n == [1] else 's'}"


def reference_text(
    subclaim: str,
    comparisons: pd.DataFrame,
    references: Mapping[str, pd.DataFrame],
) -> str:
    """The front page's ``reference`` cell of one sub-claim: for each of the user's comparisons
    (rows of ``comparisons``: ``experiments``, ``settings``, ``scale``), the verdicts of every
    reference study on the same sub-claim, comparison and scale (:func:`scale_key`) that it
    judged ("not run" rows conclude nothing and are left out), e.g.
    ``"cpu_study: mnist_fc_ls: supported (effect -0.21, 5 seeds)"``; "" when none applies."""
    parts: list[str] = []
    for study, ref in references.items():
        mine = ref.loc[(ref["subclaim"] == subclaim) & (ref["verdict"] != NOT_RUN)]
        if mine.empty:
            continue
        for row in comparisons.itertuples():
            key = (
                str(row.experiments),
                str(row.settings),
                scale_key(row.scale),
            )
            for r in mine.itertuples():
                if (str(r.experiments), str(r.settings), scale_key(r.scale)) != key:
                    continue
                text = f"{study}: {r.experiments}: {r.verdict}{_effect(r.effect)}{_seeds(r)}"
                if text not in parts:
                    parts.append(text)
    return "; ".join(parts)


# --- Shipping a finished study ------------------------------------------------------------------


def training_seconds(history: pd.DataFrame) -> float:
    """Wall seconds a training run spent, summed over its resumed segments: ``elapsed_s`` restarts
    from 0 when a run resumes from its checkpoint, so each segment contributes its last value
    (:data:`lsrepro.training.loop.HISTORY_FIELDS`)."""
    elapsed = pd.to_numeric(history["elapsed_s"], errors="coerce").to_numpy(dtype=float)
    elapsed = elapsed[~np.isnan(elapsed)]
    if elapsed.size == 0:
        return 0.0
    restarts = np.flatnonzero(np.diff(elapsed) < 0)  # last row of every segment but the last
    return float(elapsed[restarts].sum() + elapsed[-1])


def wall_time(results: Path) -> pd.DataFrame:
    """Wall seconds per stage: training and distillation from each run's ``history.csv`` (every
    resumed segment counted), every other benchmarked rule from its Snakemake benchmark file
    (``results/benchmarks/<rule>/...tsv``, last attempt). Columns: stage, rule, jobs, wall_s."""
    rows = []
    trained = {"train": "train", "distill": "distill", "train_translation": "translation/train"}
    for rule, folder in trained.items():
        for history in sorted((results / folder).rglob("history.csv")):
            rows.append(
                {
                    "stage": BENCHMARK_STAGES.get(rule, rule),
                    "rule": rule,
                    "wall_s": training_seconds(pd.read_csv(history)),
                }
            )
    bench_dir = results / "benchmarks"
    for path in sorted(bench_dir.rglob("*.tsv")) if bench_dir.is_dir() else []:
        rule = path.relative_to(bench_dir).parts[0]
        if rule in trained:
            continue
        bench = pd.read_csv(path, sep="\t")
        if not bench.empty:
            rows.append(
                {
                    "stage": BENCHMARK_STAGES.get(rule, rule),
                    "rule": rule,
                    "wall_s": float(bench.iloc[-1]["s"]),
                }
            )
    if not rows:
        return pd.DataFrame(columns=["stage", "rule", "jobs", "wall_s"])
    jobs = pd.DataFrame(rows)
    return (
        jobs.groupby(["stage", "rule"], sort=True)
        .agg(jobs=("wall_s", "size"), wall_s=("wall_s", "sum"))
        .reset_index()
    )


def _digest(files: Sequence[Path]) -> str:
    h = hashlib.sha256()
    for path in files:
        h.update(path.name.encode())
        h.update(b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()


def _distinct(metadata: Sequence[Mapping[str, Any]], key: str) -> list[Any]:
    """The distinct values of one metadata field over the runs (one expected; several are
    recorded, not hidden)."""
    seen: list[Any] = []
    for m in metadata:
        value = m.get(key)
        if value not in seen:
            seen.append(value)
    return seen


def _machine() -> dict[str, Any]:
    cpu = platform.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "system": platform.system(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
    }


def ship(
    results: Path | str,
    out: Path | str,
    *,
    config_files: Sequence[Path | str],
    commit: str,
    judged_with: str,
    run_metadata: Sequence[Mapping[str, Any]],
    figures: Sequence[str] = ("*.png",),
) -> dict[str, Any]:
    """Copy a finished study's verdicts, stage tables and figures from ``results`` (the study's
    ``results/``) to ``out`` (``reference/<study>/``) and write ``provenance.json``.

    Args:
        config_files: the config files the study ran with, in order (their digest is recorded).
        commit: the commit the study's runs were made with (its pre-registered clone).
        judged_with: the commit whose ``judge_claims`` wrote the verdicts.
        run_metadata: the ``metadata`` of every trained model.pt of the study (library
            versions, code commit, device and threads each run recorded).
        figures: glob patterns (under ``results/figures``) of the figures to ship.

    Raises:
        ReferenceError: a verdict table is missing (the study has not been judged).
    Returns:
        The provenance record.
    """
    results, out = Path(results), Path(out)
    tables = results / "tables"
    missing = [name for name in SHIPPED_TABLES if not (tables / name).is_file()]
    if missing:
        raise ReferenceError(
            f"{tables}: no {', '.join(missing)}: judge the study (rule judge_claims) first"
        )
    out.mkdir(parents=True, exist_ok=True)
    for name in SHIPPED_TABLES:
        shutil.copyfile(tables / name, out / name)
    (out / "tables").mkdir(exist_ok=True)
    for path in sorted(tables.glob("*.csv")):
        if path.name not in SHIPPED_TABLES:
            shutil.copyfile(path, out / "tables" / path.name)
    fig_dir = results / "figures"
    for pattern in figures:
        for path in sorted(fig_dir.rglob(pattern)) if fig_dir.is_dir() else []:
            target = out / "figures" / path.relative_to(fig_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    wall = wall_time(results)
    write_csv(wall, out / "tables" / "wall_time.csv")
    files = [Path(f) for f in config_files]
    record = {
        "study": out.name,
        "commit": commit,
        "config_files": [f.name for f in files],
        "config_digest": _digest(files),
        "versions": _distinct(run_metadata, "versions"),
        "runs": {
            "models": len(run_metadata),
            "commits": _distinct(run_metadata, "commit"),
            "devices": _distinct(run_metadata, "device"),
            "threads": _distinct(run_metadata, "threads"),
        },
        "machine": _machine(),
        "judged_with": judged_with,
        "wall_s": {
            "per_stage": {
                str(stage): round(float(g["wall_s"].sum()), 1) for stage, g in wall.groupby("stage")
            },
            "total": round(float(wall["wall_s"].sum()), 1) if len(wall) else 0.0,
        },
    }
    write_json(out / "provenance.json", record)
    return record
