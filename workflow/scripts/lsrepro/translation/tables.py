"""The translation stage's tables from the per-run files' frames (pure pandas; the files are read
and written by :mod:`lsrepro.translation.files`).

* :func:`per_seed_table` (``translation_per_seed``, read by the verdicts C10): one row per run,
  split and ``scaling_temperature`` T with BLEU, token ECE/NLL/accuracy and the length ratio.
* :func:`summary_table`: mean, std, t-interval over seeds; :func:`table3_row`: Table 3's EN-DE
  row beside the paper's WMT numbers.
* :func:`beams_per_seed` / :func:`beams_summary` (``translation_beams_per_seed``, C10j★): BLEU and
  length ratio against the beam size.

``scaling_temperature`` is the T a row applies to the logits, as the image calibration files name
it; files written before 2026-12-06 call it ``temperature`` (:func:`current_names`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lsrepro.paper import TABLE3, comparison_alpha, normalise_name
from lsrepro.stats import summarize_over_seeds

#: Token positions: every target position (EOS included) or all but EOS.
POSITIONS = ("all", "no_eos")
#: sacrebleu's length ratio (sys_len / ref_len) beside the beam and the greedy BLEU of the
#: per-seed table (the last columns, so that the older columns keep their places).
LENGTH_COLUMNS = ("length_ratio", "greedy_length_ratio")
#: The beam-grid tables: identifying columns and the values summarised over seeds.
BEAM_IDENT = ("experiment", "corpus", "direction", "alpha", "seed", "split", "test_set")
BEAM_VALUES = ("bleu", "length_ratio", "bleu_cased", "chrf")


def same_temperature(a: float, b: float) -> bool:
    return math.isclose(float(a), float(b), rel_tol=0.0, abs_tol=1e-9)


def current_names(table: pd.DataFrame) -> pd.DataFrame:
    """A run's tokens, reliability or BLEU table with its T column named ``scaling_temperature``
    (``temperature`` in files written before 2026-12-06, read as they are, so that the expensive
    evaluate_tokens and decode_beam jobs need not run again)."""
    if "scaling_temperature" not in table.columns and "temperature" in table.columns:
        return table.rename(columns={"temperature": "scaling_temperature"})
    return table


def token_columns(tokens: pd.DataFrame, headline: str) -> pd.DataFrame:
    """One row per (split, test_set, scaling_temperature, fitted) with the token metrics as
    columns."""
    index = ["split", "test_set", "scaling_temperature", "scaling"]
    wide = tokens.pivot_table(
        index=index,
        columns=["positions", "metric"],
        values="estimate",
        aggfunc="first",
    )
    out = pd.DataFrame(index=wide.index)
    for positions in POSITIONS:
        suffix = "" if positions == headline else f"_{positions}"
        for metric in ("ece", "nll", "accuracy", "ece_debiased"):
            if (positions, metric) in wide.columns:
                out[metric + suffix] = wide[(positions, metric)]
    counts = tokens.groupby([*index, "positions"])["n_examples"].first()
    out["n_tokens"] = counts.xs(headline, level="positions")
    head = tokens.loc[(tokens["positions"] == headline) & (tokens["metric"] == "ece")]
    bounds = head.set_index(index)[["lower", "upper"]]
    out["ece_lower"], out["ece_upper"] = bounds["lower"], bounds["upper"]
    out = out.reset_index()
    out["fitted"] = out.pop("scaling").eq("fitted")
    return out


def _key(frame: pd.DataFrame) -> pd.Series:
    return frame["scaling_temperature"].round(9)


def run_rows(
    info: Mapping[str, Any],
    tokens: pd.DataFrame,
    fit: Mapping[str, Any],
    bleu: pd.DataFrame,
    headline: str,
    *,
    source: str,
) -> pd.DataFrame:
    """One run's rows of :func:`per_seed_table`: its token metrics (``tokens``, headline
    positions ``headline``), the beam BLEU at the same T from ``bleu`` (decode_beam's table),
    the greedy BLEU and length ratio on the T = 1 rows, the fit's token count; ``info``: the
    run's identifying columns; ``source`` names the files in errors."""
    cols = token_columns(tokens, headline)
    beam = bleu.loc[bleu["decoder"] == "beam"].rename(
        columns={"bleu": "bleu_cased", "bleu_uncased": "bleu"}
    )
    keep = ["split", "fitted", "bleu", "bleu_cased", "chrf", "sentences"]
    keep += ["bleu_signature", "bleu_uncased_signature", "chrf_signature", "sentences_per_s"]
    merged = cols.assign(_t=_key(cols)).merge(
        beam[keep].assign(_t=_key(beam)), on=["split", "fitted", "_t"], how="left"
    )
    if merged["bleu"].isna().any():
        bad = merged.loc[merged["bleu"].isna(), ["split", "scaling_temperature"]]
        raise ValueError(
            f"{source}: no beam BLEU for {bad.iloc[0].to_dict()} (files of another run?)"
        )
    greedy = bleu.loc[bleu["decoder"] == "greedy"].set_index("split")
    at1 = ~merged["fitted"] & merged["scaling_temperature"].map(lambda t: same_temperature(t, 1.0))
    merged["greedy_bleu"] = np.where(at1, merged["split"].map(greedy["bleu_uncased"]), np.nan)
    if "length_ratio" in bleu.columns:  # bleu.csv files written before issue 18 lack it
        ratio = beam[["split", "fitted", "length_ratio"]].assign(_t=_key(beam))
        merged = merged.merge(ratio, on=["split", "fitted", "_t"], how="left")
        merged["greedy_length_ratio"] = np.where(
            at1, merged["split"].map(greedy["length_ratio"]), np.nan
        )
    merged["fit_tokens"] = fit["tokens"]
    return merged.drop(columns="_t").assign(**dict(info))


def per_seed_table(frames: Sequence[pd.DataFrame], headline: str) -> pd.DataFrame:
    """Every run's :func:`run_rows`: one row per run, split and ``scaling_temperature`` T (the
    grid, ``fitted`` false, and the run's fitted T, ``fitted`` true) with ``bleu`` (beam,
    **uncased**: the paper's measure), ``bleu_cased``, ``chrf``, ``ece``, ``nll``, ``accuracy``
    over the ``headline`` positions (the others with suffix ``_all`` / ``_no_eos``),
    ``n_tokens``, ``ece_lower/upper`` (bootstrap over tokens, T = 1 and fitted only),
    ``greedy_bleu`` (uncased, T = 1 rows), ``sentences`` decoded, the signatures, and last
    sacreBLEU's ``length_ratio`` of the beam and ``greedy_length_ratio`` of the greedy output
    (T = 1 rows; absent for bleu.csv files written before issue 18)."""
    per_seed = pd.concat(frames, ignore_index=True)
    ident = ["experiment", "corpus", "direction", "alpha", "seed", "split", "test_set"]
    ident += ["scaling_temperature", "fitted", "positions"]
    per_seed["positions"] = headline
    last = [c for c in LENGTH_COLUMNS if c in per_seed.columns]
    return per_seed[ident + [c for c in per_seed.columns if c not in ident + last] + last]


def summary_table(per_seed: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """Mean, std, t-interval over seeds (:func:`lsrepro.stats.summarize_over_seeds`) per
    (experiment, alpha, split, fitted, T); fitted rows are grouped with T = NaN and carry the
    mean fitted T as variable ``fitted_temperature``."""
    last = [c for c in LENGTH_COLUMNS if c in per_seed.columns]
    values = ["bleu", "bleu_cased", "chrf", "greedy_bleu", "ece", "nll", "accuracy", "n_tokens"]
    values += [c for c in per_seed.columns if c.endswith(("_all", "_no_eos"))]
    values += last
    by = ["experiment", "corpus", "direction", "alpha", "split", "test_set", "fitted"]
    grouped = per_seed.assign(
        fitted_temperature=per_seed["scaling_temperature"].where(per_seed["fitted"]),
        scaling_temperature=per_seed["scaling_temperature"].where(~per_seed["fitted"]),
    )
    summary = summarize_over_seeds(
        grouped,
        [*by, "scaling_temperature"],
        [*values, "fitted_temperature"],
        confidence=confidence,
    )
    return summary.loc[~(summary["variable"].eq("fitted_temperature") & ~summary["fitted"])]


def table3_row(summary: pd.DataFrame) -> pd.DataFrame:
    """Paper Table 3's EN-DE row (baseline ECE, TS T, TS ECE, LS ECE) beside ours per split.

    Ours: mean and t-interval over seeds from the summary, α = 0 and the LS α the paper used
    (0.1; else the smallest positive α), T = 1 grid rows and the fitted rows; labelled with the
    corpus, direction and test set it was measured on (e.g. Multi30k, not the paper's WMT).
    """
    paper = next(r for r in TABLE3 if normalise_name(r.dataset) == "ende")
    chosen = comparison_alpha(summary["alpha"].astype(float), paper.ls_alpha)
    ls_alpha = np.nan if chosen is None else chosen
    entries = (
        ("baseline ECE", 0.0, False, "ece", paper.baseline_ece),
        ("TS temperature T", 0.0, True, "fitted_temperature", paper.ts_temperature),
        ("TS ECE", 0.0, True, "ece", paper.ts_ece),
        ("LS ECE", ls_alpha, False, "ece", paper.ls_ece),
    )
    rows = []
    for split in sorted(set(summary["split"])):
        for quantity, alpha, fitted, variable, value in entries:
            cell = summary.loc[
                (summary["split"] == split)
                & np.isclose(summary["alpha"].astype(float), alpha)
                & (summary["fitted"] == fitted)
                & (summary["variable"] == variable)
            ]
            if not fitted:
                cell = cell.loc[np.isclose(cell["scaling_temperature"].astype(float), 1.0)]
            c = cell.iloc[0] if len(cell) else None
            rows.append(
                {
                    "quantity": quantity,
                    "setting": f"α = {alpha:g}, " + ("T fitted on val" if fitted else "T = 1"),
                    "split": split,
                    "measured_on": (
                        f"{c['corpus']} {c['direction']} ({c['test_set']})" if c is not None else ""
                    ),
                    "mean": c["mean"] if c is not None else np.nan,
                    "ci_lower": c["ci_lower"] if c is not None else np.nan,
                    "ci_upper": c["ci_upper"] if c is not None else np.nan,
                    "n": int(c["n"]) if c is not None else 0,
                    "paper": value,
                    "paper_measured_on": "WMT EN-DE, Transformer (paper Table 3, validation set)",
                }
            )
    return pd.DataFrame(rows)


def beams_per_seed(runs: Sequence[tuple[Mapping[str, Any], pd.DataFrame, str]]) -> pd.DataFrame:
    """One row per run, split and beam size from ``(info, beams table, source)`` per run
    (decode_beams' table; ``source`` names it in errors) with ``bleu`` (**uncased**, as the
    per-seed table), ``bleu_cased``, ``chrf``, ``length_ratio`` (sys_len / ref_len),
    ``sys_len``, ``ref_len``, ``sentences`` and the signatures."""
    frames = []
    for info, table, source in runs:
        need = ["split", "test_set", "beam_size", "bleu", "bleu_uncased", "chrf", "length_ratio"]
        missing = [c for c in need if c not in table.columns]
        if missing:
            raise ValueError(f"{source}: columns {missing} missing (written by decode_beams?)")
        table = table.rename(columns={"bleu": "bleu_cased", "bleu_uncased": "bleu"})
        frames.append(table.assign(**dict(info)))
    per_seed = pd.concat(frames, ignore_index=True)
    keep = [*BEAM_IDENT, "beam_size", *BEAM_VALUES, "sys_len", "ref_len", "sentences"]
    keep += [c for c in per_seed.columns if c.endswith("_signature")]
    return per_seed[keep]


def beams_summary(per_seed: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """Mean, std and t-interval over seeds of BLEU, length ratio, cased BLEU and chrF per
    (experiment, alpha, split, beam size)."""
    by = [c for c in (*BEAM_IDENT, "beam_size") if c != "seed"]
    return summarize_over_seeds(per_seed, by, list(BEAM_VALUES), confidence=confidence)
