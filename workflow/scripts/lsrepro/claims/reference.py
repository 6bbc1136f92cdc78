"""Reference studies: verdicts shipped with the project (``reference/<study>/``), shown beside a
user's own verdicts, and how a finished study is packaged for shipping.

A reference study is a directory holding what one pre-registered run of the workflow concluded:
``claims.csv``, ``verdicts.csv``, ``paper_vs_ours.csv`` (exactly as ``judge_claims`` wrote them),
the stage tables behind them (``tables/``), its key figures (``figures/``, PNG) and
``provenance.json`` (the code commits, each config file's digest, the library versions, the
machine, the runs that failed and the wall time per stage).

**Matching.** The front page (:func:`lsrepro.claims.tables.verdict_table`) gives each of a
user's comparisons the reference verdict of the same sub-claim, the same comparison
(``experiments`` and ``settings``) and the same scale, where "same scale" means the same steps,
precision and evaluation size per experiment (:func:`scale_key`). The number of seeds is left
out of the key on purpose: a user's 2-seed run at paper steps is exactly what a 5-seed reference
at paper steps should be read beside.
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

from lsrepro.aggregate import BENCHMARK_STAGES, benchmark_cost
from lsrepro.claims.findings import FINDINGS_FILE, findings_markdown
from lsrepro.claims.rules import NOT_RUN
from lsrepro.io import write_csv, write_json

__all__ = [
    "PROVENANCE_KEYS",
    "SHIPPED_TABLES",
    "TRAINED_RULES",
    "ReferenceError",
    "load_references",
    "reference_text",
    "scale_key",
    "failed_runs",
    "ship",
    "training_seconds",
    "training_time",
    "wall_time",
]

#: The verdict tables a reference study ships at its top level (as ``judge_claims`` writes them).
SHIPPED_TABLES: tuple[str, ...] = ("claims.csv", "verdicts.csv", "paper_vs_ours.csv")
#: The columns of claims.csv the front page matches and quotes.
_NEEDED = ("subclaim", "experiments", "settings", "scale", "verdict", "effect", "n_a", "n_b")
PROVENANCE_KEYS: tuple[str, ...] = (
    "study",
    "commit",
    "config_files",
    "config_overrides",
    "versions",
    "runs",
    "machine",
    "judged_with",
    "failed_runs",
    "wall_s",
)


#: Training rules -> the folder of ``results/`` holding each run's model.pt and history.csv
#: (their logs: ``results/logs/<rule>/<run>.log``).
TRAINED_RULES: dict[str, str] = {
    "train": "train",
    "distill": "distill",
    "train_translation": "translation/train",
}


class ReferenceError(ValueError):
    """A reference study directory that cannot be read (missing, or not a shipped study)."""


def scale_key(scale: object) -> str:
    """The part of a row's scale label that must agree for a reference verdict to apply: each
    experiment's steps, precision (named when not fp32) and evaluation size, without its seed
    count and without the "paper/reduced scale" word (which depends on the seed count).

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
    (rows of ``comparisons``: ``experiments``, ``settings``, ``scale``), the verdict of every
    reference study on the same sub-claim, comparison (experiments and settings, which name the
    comparison and hold no measured value) and scale (:func:`scale_key`) that it judged ("not
    run" rows conclude nothing and are left out), e.g. ``"cpu_study: mnist_fc_ls (α = 0 vs 0.1,
    test split): supported, effect -0.21, 5/5 seeds"``; "" when none applies. A row without a
    scale matches nothing. The quoted verdict is Holm-adjusted over the reference study's own
    claims table, not over the user's."""
    parts: list[str] = []
    for study, ref in references.items():
        mine = ref.loc[(ref["subclaim"] == subclaim) & (ref["verdict"] != NOT_RUN)]
        for row in comparisons.itertuples():
            key = (str(row.experiments), str(row.settings), scale_key(row.scale))
            if not key[2]:
                continue
            for r in mine.itertuples():
                if (str(r.experiments), str(r.settings), scale_key(r.scale)) == key:
                    parts.append(
                        f"{study}: {r.experiments} ({r.settings}): {r.verdict}"
                        f"{_effect(r.effect)}{_seeds(r)}"
                    )
    return "; ".join(parts)


# --- Shipping a finished study ------------------------------------------------------------------


def training_seconds(history: pd.DataFrame) -> float:
    """Wall seconds a training run spent, summed over its resumed segments, from its
    ``history.csv`` (:data:`lsrepro.training.loop.HISTORY_FIELDS`; read here, torch-free):
    ``elapsed_s`` restarts from 0 when a run resumes from its checkpoint, so each segment
    contributes the last value it kept. A lower bound: a resumed run keeps the history saved
    with its checkpoint, so the time between a segment's last kept row and its interruption
    (at most one log interval after a SIGTERM checkpoint; more after a hard kill) is lost."""
    elapsed = pd.to_numeric(history["elapsed_s"], errors="coerce").to_numpy(dtype=float)
    elapsed = elapsed[~np.isnan(elapsed)]
    if elapsed.size == 0:
        return 0.0
    restarts = np.flatnonzero(np.diff(elapsed) < 0)  # last row of every segment but the last
    return float(elapsed[restarts].sum() + elapsed[-1])


def _training_runs(results: Path) -> pd.DataFrame:
    """One row per training run of ``results`` (every history.csv of a training rule): stage,
    rule, experiment (the run's first path component), jobs (1), wall_s."""
    rows = []
    for rule, folder in TRAINED_RULES.items():
        for history in sorted((results / folder).rglob("history.csv")):
            rows.append(
                {
                    "stage": BENCHMARK_STAGES.get(rule, rule),
                    "rule": rule,
                    "experiment": history.relative_to(results / folder).parts[0],
                    "jobs": 1,
                    "wall_s": training_seconds(pd.read_csv(history)),
                }
            )
    return pd.DataFrame(rows, columns=["stage", "rule", "experiment", "jobs", "wall_s"])


def training_time(results: Path) -> pd.DataFrame:
    """Training wall seconds per experiment (every run's resumed segments summed,
    :func:`training_seconds`): columns rule, experiment, runs, wall_s, wall_s_max."""
    runs = _training_runs(results)
    return (
        runs.groupby(["rule", "experiment"], sort=True)
        .agg(runs=("jobs", "sum"), wall_s=("wall_s", "sum"), wall_s_max=("wall_s", "max"))
        .reset_index()
    )


def wall_time(results: Path) -> pd.DataFrame:
    """Wall seconds per stage and rule: training (train, distill, train_translation) from each
    run's ``history.csv`` (every resumed segment counted, :func:`training_seconds`), every other
    benchmarked rule from its Snakemake benchmark files (:func:`lsrepro.aggregate.benchmark_cost`:
    the last attempt of each job). Columns: stage, rule, jobs, wall_s."""
    columns = ["stage", "rule", "jobs", "wall_s"]
    training = _training_runs(results)[columns]
    bench_dir = results / "benchmarks"
    other = benchmark_cost(bench_dir) if bench_dir.is_dir() else pd.DataFrame(columns=columns)
    other = other.loc[~other["rule"].isin([*TRAINED_RULES, "total"]), columns]
    frames = [f for f in (training, other) if len(f)]
    if not frames:
        return pd.DataFrame(columns=columns)
    return (
        pd.concat(frames, ignore_index=True)
        .groupby(["stage", "rule"], sort=True)
        .agg(jobs=("jobs", "sum"), wall_s=("wall_s", "sum"))
        .reset_index()
    )


def failed_runs(results: Path) -> list[dict[str, str]]:
    """Every training run of the study that has a log but no model.pt (failed, or still
    unfinished), with the last line of its log that names an error: a study reports every run
    it made, failures included."""
    out = []
    for rule, folder in TRAINED_RULES.items():
        logs = results / "logs" / rule
        for log in sorted(logs.rglob("*.log")) if logs.is_dir() else []:
            if ".attempt~" in log.name:
                continue
            run = log.relative_to(logs).with_suffix("")
            if (results / folder / run / "model.pt").is_file():
                continue
            errors = [ln for ln in log.read_text(errors="replace").splitlines() if "Error" in ln]
            out.append(
                {"rule": rule, "run": str(run), "error": errors[-1].strip() if errors else ""}
            )
    return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
    config_overrides: Sequence[str] = (),
    figures: Sequence[str] = ("*.png",),
) -> dict[str, Any]:
    """Copy a finished study's verdicts, stage tables and figures from ``results`` (the study's
    ``results/``) to ``out`` (``reference/<study>/``) and write ``provenance.json``.

    Args:
        config_files: every config file the study ran with, in order (each file's sha256 is
            recorded).
        commit: the commit of the study's code checkout (its pre-registered clone).
        judged_with: the commit whose ``judge_claims`` wrote the verdicts.
        config_overrides: the ``--config KEY=VALUE`` arguments of the study's runs.
        run_metadata: the ``metadata`` of every trained model.pt of the study (library
            versions, code commit, device and threads each run recorded).
        figures: glob patterns (under ``results/figures``) of the figures to ship.

    Also writes ``tables/training_time.csv`` (:func:`training_time`) and ``FINDINGS.md``
    (:func:`lsrepro.claims.findings.findings_markdown` of the shipped tables).

    Raises:
        ReferenceError: a verdict table is missing (the study has not been judged).
    Returns:
        The provenance record.

    What an earlier shipping wrote (the verdict tables, ``tables/``, ``figures/``,
    ``provenance.json``) is replaced as a whole; other files of ``out`` (``PLAN.md``, scripts)
    are kept.
    """
    results, out = Path(results), Path(out)
    tables = results / "tables"
    missing = [name for name in SHIPPED_TABLES if not (tables / name).is_file()]
    if missing:
        raise ReferenceError(
            f"{tables}: no {', '.join(missing)}: judge the study (rule judge_claims) first"
        )
    files = [Path(f) for f in config_files]
    absent = [str(f) for f in files if not f.is_file()]
    if absent:
        raise ReferenceError(f"config files not found: {absent}")
    try:  # before anything is written: a table findings cannot read ships nothing
        findings = findings_markdown(
            out.name,
            tables / "claims.csv",
            tables / "paper_vs_ours.csv",
            tables / "mnist_toy.csv",
        )
    except ValueError as err:
        raise ReferenceError(str(err)) from err
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("tables", "figures"):
        if (out / stale).is_dir():
            shutil.rmtree(out / stale)
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
    per_experiment = training_time(results)
    write_csv(per_experiment, out / "tables" / "training_time.csv")
    record = {
        "study": out.name,
        "commit": commit,
        "config_files": {str(f): _sha256(f) for f in files},
        "config_overrides": list(config_overrides),
        "versions": _distinct(run_metadata, "versions"),
        "runs": {
            "models": len(run_metadata),
            "commits": _distinct(run_metadata, "commit"),
            "devices": _distinct(run_metadata, "device"),
            "threads": _distinct(run_metadata, "threads"),
        },
        "machine": _machine(),
        "judged_with": judged_with,
        "failed_runs": failed_runs(results),
        "wall_s": {
            "per_stage": {
                str(stage): round(float(g["wall_s"].sum()), 1) for stage, g in wall.groupby("stage")
            },
            "training_per_experiment": {
                f"{r.rule}/{r.experiment}": round(float(r.wall_s), 1)
                for r in per_experiment.itertuples()
            },
            "total": round(float(wall["wall_s"].sum()), 1) if len(wall) else 0.0,
        },
    }
    write_json(out / "provenance.json", record)
    (out / FINDINGS_FILE).write_text(findings, encoding="utf-8")
    return record
