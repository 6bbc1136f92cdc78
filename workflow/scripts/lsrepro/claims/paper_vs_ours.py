"""The paper-vs-ours table (``paper_vs_ours.csv``): every number the paper prints beside ours.

Table 2 (accuracy at α = 0 and α = 0.1), Table 3 (ECE with its T and α), the MNIST toy test
errors; ours on val and test as a mean and 95 % t-interval over seeds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from lsrepro import paper
from lsrepro.claims.read import ATOL, Paths, close, load, require, summary_interval
from lsrepro.claims.stats import Interval
from lsrepro.io import write_csv

__all__ = ["PAPER_COLUMNS", "paper_vs_ours", "paper_vs_ours_frame"]

PAPER_COLUMNS: tuple[str, ...] = (
    "source",
    "quantity",
    "dataset",
    "architecture",
    "setting",
    "unit",
    "paper",
    "paper_pm",
    "val_mean",
    "val_low",
    "val_high",
    "val_n",
    "test_mean",
    "test_low",
    "test_high",
    "test_n",
    "difference",
    "difference_split",
    "within_band",
)


def _scaled(x: Interval, factor: float) -> Interval:
    lo, hi = sorted((x.low * factor, x.high * factor))
    return Interval(x.mean * factor, lo, hi, x.n)


# --- paper vs ours ------------------------------------------------------------------------------


def _row(
    source: str,
    quantity: str,
    dataset: str,
    architecture: str,
    setting: str,
    unit: str,
    paper_value: float,
    pm: float | None,
    val: Interval,
    test: Interval,
) -> dict[str, object]:
    use, split = (val, "val") if not val.is_missing else (test, "test")
    diff = use.mean - paper_value if not use.is_missing else math.nan
    within = pd.NA if pm is None or use.is_missing else bool(abs(diff) <= pm + ATOL)
    return {
        "source": source,
        "quantity": quantity,
        "dataset": dataset,
        "architecture": architecture,
        "setting": setting,
        "unit": unit,
        "paper": paper_value,
        "paper_pm": math.nan if pm is None else pm,
        "val_mean": val.mean,
        "val_low": val.low,
        "val_high": val.high,
        "val_n": val.n,
        "test_mean": test.mean,
        "test_low": test.low,
        "test_high": test.high,
        "test_n": test.n,
        "difference": diff,
        "difference_split": split if not use.is_missing else "",
        "within_band": within,
    }


def paper_vs_ours_frame(
    calibration_summary: pd.DataFrame | None,
    mnist_toy: pd.DataFrame | None = None,
    translation: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every number the paper prints beside ours: Table 2, Table 3 (with its T and α), the MNIST
    toy test errors. One row per paper number; ours on val and test (mean and 95 % interval over
    seeds; NaN and n = 0 where we did not run it); ``difference`` = ours − paper on val (test
    where only test exists, e.g. the MNIST toy); ``within_band`` = |difference| ≤ the paper's ±
    (NA where the paper gives no ±). Units as the paper: accuracy and error in %, ECE fraction.
    """
    rows: list[dict[str, object]] = []
    cal = calibration_summary
    if cal is not None and "variable" in cal.columns:
        cal = cal.loc[cal["variable"] == "estimate"]
    if cal is not None:
        cal = cal.assign(
            _d=cal["dataset"].map(paper.normalise_name),
            _a=cal["architecture"].map(paper.normalise_name),
        )

    def cell(r, alpha: float, split: str, scaling: str, metric: str) -> Interval:
        if cal is None:
            return Interval.missing()
        return summary_interval(
            cal,
            "calibration",
            _d=paper.normalise_name(r.dataset),
            _a=paper.normalise_name(r.architecture),
            alpha=alpha,
            split=split,
            scaling=scaling,
            metric=metric,
        )

    for r in paper.TABLE2:
        for alpha, value, pm in (
            (0.0, r.accuracy_alpha0, r.pm_alpha0),
            (0.1, r.accuracy_alpha01, r.pm_alpha01),
        ):
            val, test = (
                _scaled(cell(r, alpha, s, "none", "accuracy"), 100.0) for s in ("val", "test")
            )
            rows.append(
                _row(
                    "Table 2",
                    "top-1 accuracy",
                    r.dataset,
                    r.architecture,
                    f"α = {alpha:g}",
                    "%",
                    value,
                    pm,
                    val,
                    test,
                )
            )
    tr = _translation_cells(translation)
    for r in paper.TABLE3:
        if paper.normalise_name(r.dataset) == "ende":
            get = tr
        else:

            def get(alpha, split, scaling, metric, _r=r):
                return cell(_r, alpha, split, scaling, metric)

        entries = (
            ("baseline ECE", "α = 0, T = 1", r.baseline_ece, (0.0, "none", "ece")),
            (
                "TS temperature T",
                "α = 0, T fitted on val",
                r.ts_temperature,
                (0.0, "temperature", "temperature"),
            ),
            ("TS ECE", "α = 0, T fitted on val", r.ts_ece, (0.0, "temperature", "ece")),
            ("LS ECE", f"α = {r.ls_alpha:g}, T = 1", r.ls_ece, (r.ls_alpha, "none", "ece")),
        )
        for quantity, setting, value, (alpha, scaling, metric) in entries:
            val, test = (get(alpha, s, scaling, metric) for s in ("val", "test"))
            unit = "" if metric == "temperature" else "fraction"
            rows.append(
                _row(
                    "Table 3",
                    quantity,
                    r.dataset,
                    r.architecture,
                    setting,
                    unit,
                    value,
                    None,
                    val,
                    test,
                )
            )
    for t in paper.MNIST_TOY:
        test = Interval.missing()
        if mnist_toy is not None:
            require(mnist_toy, ("role", "seed", "test_error"), "mnist_toy_per_seed")
            values = mnist_toy.loc[mnist_toy["role"] == t.role, "test_error"].to_numpy()
            test = _scaled(Interval.from_values(values), 100.0)
        rows.append(
            _row(
                "§4 MNIST toy",
                f"test error, {t.description}",
                "MNIST",
                "fully connected",
                t.role,
                "%",
                t.test_error,
                None,
                Interval.missing(),
                test,
            )
        )
    return pd.DataFrame(rows, columns=list(PAPER_COLUMNS))


def _translation_cells(frame: pd.DataFrame | None) -> Callable[..., Interval]:
    """Table 3's EN-DE cells from the translation table: (α, split, scaling, metric) -> Interval;
    scaling "none" = the grid row at T = 1, "temperature" = each seed's fitted T; metric
    "temperature" is the table's ``scaling_temperature`` column."""

    def get(alpha: float, split: str, scaling: str, metric: str) -> Interval:
        if frame is None:
            return Interval.missing()
        fitted = frame["fitted"].astype(str).str.lower().isin(["true", "1"])
        rows = frame.loc[(frame["split"] == split) & close(frame["alpha"], alpha)]
        rows = (
            rows.loc[fitted[rows.index]]
            if scaling == "temperature"
            else rows.loc[~fitted[rows.index] & close(rows["scaling_temperature"], 1.0)]
        )
        column = "scaling_temperature" if metric == "temperature" else metric
        return Interval.from_values(rows[column].to_numpy())

    return get


def paper_vs_ours(paths: Paths, *, out: Path | str | None = None) -> pd.DataFrame:
    """:func:`paper_vs_ours_frame` from the files in ``paths`` (keys ``calibration_summary``,
    ``mnist_toy_per_seed``, ``translation_per_seed``; absent ones leave our columns empty);
    written to ``out`` (``results/tables/paper_vs_ours.csv``) if given."""
    cal, _ = load(paths, "calibration_summary")
    toy, _ = load(paths, "mnist_toy_per_seed")
    translation, _ = load(paths, "translation_per_seed")
    frame = paper_vs_ours_frame(cal, toy, translation)
    if out is not None:
        write_csv(frame, out)
    return frame
