"""The token calibration tables of one model (Fig. 3, Fig. 4's ECE and NLL, Table 3 EN-DE row).

From the per-position vectors of :func:`lsrepro.translation.token_eval.token_predictions` at
every temperature of the grid and at the fitted T, for each split:

* ``tokens.csv`` rows: one per (split, temperature, scaling ∈ {grid, fitted}, positions ∈
  {all, no_eos}, metric) with ``estimate, lower, upper, se, n_resamples, n_bins, n_examples``
  (= tokens). T = 1 and the fitted T carry every metric of :data:`TOKEN_METRICS` with bootstrap
  intervals (over tokens); the other grid temperatures carry point estimates of
  :data:`GRID_METRICS` only.
* ``reliability.csv`` rows: the reliability bins of T = 1 (``scaling = none``) and of the
  fitted T (``scaling = temperature``), per positions.

``positions = all`` includes each sentence's EOS position, ``no_eos`` leaves it out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lsrepro import calibration
from lsrepro.translation.tables import POSITIONS, same_temperature
from lsrepro.translation.token_eval import TokenPredictions

#: Metrics of the temperature grid (point estimates; T = 1 and the fitted T get every metric of
#: the bootstrap report with intervals).
GRID_METRICS = ("accuracy", "nll", "ece")
#: Metrics of the T = 1 and fitted-T rows of tokens.csv: every vector metric but the Brier
#: score (the core's vectors allow it; the token table has never carried it).
TOKEN_METRICS = tuple(m for m in calibration.VECTOR_METRICS if m != "brier")
TOKEN_FRONT = ["split", "test_set", "scaling_temperature", "scaling", "positions", "metric"]
RELIABILITY_FRONT = ["split", "test_set", "scaling", "scaling_temperature", "positions"]


def report(
    pred: TokenPredictions, *, temperature: float, bootstrap: Mapping[str, Any]
) -> pd.DataFrame:
    """Every metric of :data:`TOKEN_METRICS` with bootstrap intervals (over tokens) at one
    temperature, from the core's vectors. ``bootstrap``: ``n_bins, n_resamples, seed,
    coverage, smece_resamples``."""
    return calibration.calibration_report_from_predictions(
        pred.top,
        metrics=TOKEN_METRICS,
        temperature=temperature,
        n_bins=bootstrap["n_bins"],
        n_resamples=bootstrap["n_resamples"],
        seed=bootstrap["seed"],
        coverage=bootstrap["coverage"],
        smece_resamples=bootstrap.get("smece_resamples"),
    )


def point(pred: TokenPredictions, n_bins: int) -> pd.DataFrame:
    """Point estimates of :data:`GRID_METRICS` (accuracy, NLL in nats, ECE), no interval."""
    values = {
        "accuracy": float(pred.correct.mean()),
        "nll": float(pred.nll.mean()),
        "ece": calibration.ece_from_vectors(pred.confidence, pred.correct, n_bins),
    }
    return pd.DataFrame(
        {
            "metric": list(GRID_METRICS),
            "estimate": [values[m] for m in GRID_METRICS],
            "lower": np.nan,
            "upper": np.nan,
            "se": np.nan,
            "n_resamples": 0,
            "n_bins": n_bins,
            "n_examples": len(pred),
        }
    )


def split_tables(
    preds: Mapping[float, TokenPredictions],
    *,
    grid: Sequence[float],
    fitted: float,
    label: str,
    test_set: str,
    bootstrap: Mapping[str, Any],
) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """The tokens.csv and reliability.csv rows (module docstring) of one split.

    Args:
        preds: ``{T: vectors}`` for every T of ``grid`` and for ``fitted``.
        label, test_set: the split's table name (``val``, ``test``, ...) and corpus name.
        bootstrap: as :func:`report`.
    """
    n_bins = bootstrap["n_bins"]
    cases = [(t, "grid", preds[t]) for t in grid] + [(fitted, "fitted", preds[fitted])]
    tables, bins = [], []
    for t, scaling, pred in cases:
        for positions in POSITIONS:
            p = pred if positions == "all" else pred.without_eos()
            full = scaling == "fitted" or same_temperature(t, 1.0)
            table = report(p, temperature=t, bootstrap=bootstrap) if full else point(p, n_bins)
            table = table.loc[table["metric"] != "temperature"]
            # the temperature each row applies: scaling_temperature, as the image files
            table = table.rename(columns={"temperature": "scaling_temperature"})
            tables.append(
                table.assign(
                    split=label,
                    test_set=test_set,
                    scaling_temperature=t,
                    scaling=scaling,
                    positions=positions,
                )
            )
            if full:
                b = calibration.reliability_bins_from_vectors(p.confidence, p.correct, n_bins)
                bins.append(
                    b.assign(
                        split=label,
                        test_set=test_set,
                        scaling="temperature" if scaling == "fitted" else "none",
                        scaling_temperature=t,
                        positions=positions,
                    )
                )
    return tables, bins


def front_first(parts: Sequence[pd.DataFrame], front: Sequence[str]) -> pd.DataFrame:
    """``parts`` one under another, the columns of ``front`` first."""
    table = pd.concat(parts, ignore_index=True)
    return table[list(front) + [c for c in table.columns if c not in front]]
