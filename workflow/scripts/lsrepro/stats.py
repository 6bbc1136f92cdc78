"""Summaries over seeds: mean, standard deviation and the Student-t interval, once for every
stage (the tables of calibration, representation, information, distillation, translation and the
claims read these columns)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["summarize_over_seeds"]


def summarize_over_seeds(
    df: pd.DataFrame,
    by: list[str],
    values: list[str],
    *,
    confidence: float = 0.95,
    seed_column: str | None = "seed",
) -> pd.DataFrame:
    """Mean, standard deviation and t-interval of ``values`` over the rows of each group.

    For each group of ``by`` and each column ``v`` of ``values``, with ``n`` the number of non-NaN
    values ``x_1..x_n`` (NaNs are skipped, e.g. an undefined metric for one seed):
    ``mean = (1/n) sum x_j``; ``std = sqrt(sum (x_j - mean)^2 / (n - 1))`` (ddof = 1);
    the interval is ``mean +- t_{(1+confidence)/2, n-1} * std / sqrt(n)`` (Student t, scipy).
    ``n = 1`` gives NaN ``std`` and interval, ``n = 0`` NaN everywhere; neither is an error.

    Args:
        df: one row per seed (and whatever else ``by`` separates).
        by: grouping columns (everything that identifies a cell except the seed).
        values: numeric columns to summarise.
        confidence: coverage of the t-interval.
        seed_column: if this column exists, a seed occurring twice in a group is an error
            (it would be averaged as if it were another seed). None skips the check.

    Returns:
        Long table with columns ``by + ["variable", "n", "mean", "std", "ci_lower",
        "ci_upper"]``, one row per group and value column, sorted by ``by``.
    """
    missing = [c for c in [*by, *values] if c not in df.columns]
    if missing:
        raise KeyError(f"columns {missing} not in the table (columns: {list(df.columns)})")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if seed_column is not None and seed_column in df.columns:
        dup = df.duplicated(subset=[*by, seed_column], keep=False)
        if dup.any():
            first = df.loc[dup, [*by, seed_column]].iloc[0].to_dict()
            raise ValueError(
                f"{int(dup.sum())} rows share a group and a {seed_column!r} with another row, "
                f"e.g. {first}; each seed must appear once per group"
            )
    long = df.melt(id_vars=by, value_vars=values, var_name="variable", value_name="value")
    long["value"] = pd.to_numeric(long["value"], errors="raise").astype(np.float64)
    grouped = long.groupby([*by, "variable"], sort=True, dropna=False)["value"]
    out = grouped.agg(n="count", mean="mean", std="std").reset_index()
    out["n"] = out["n"].astype(np.int64)
    n = out["n"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        dof = np.where(n > 1, n - 1, np.nan)
        half = stats.t.ppf(0.5 + confidence / 2.0, dof) * out["std"].to_numpy() / np.sqrt(n)
    out["ci_lower"] = out["mean"] - half
    out["ci_upper"] = out["mean"] + half
    return out
