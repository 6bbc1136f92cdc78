"""What a shipped reference study found, in Markdown: ``reference/<study>/FINDINGS.md`` and the
README's "What we found" tables are this module's output, so that no number there is typed by
hand (``tests/test_claims_findings.py`` checks the README's copy against the shipped tables).

* :func:`verdict_counts` — how many comparisons and sub-claims were decided, at how many seeds.
* :func:`findings_table` — one row per judged comparison of ``claims.csv``: what was measured,
  the effect with its 90 % interval, the verdict (Holm-adjusted, and the raw test where they
  differ) and what the paper reports.
* :func:`scales` — the scale each experiment was judged at (steps, seeds, evaluation size).
* :func:`paper_table` — the paper's Table 2/3 and §4 numbers beside ours (``paper_vs_ours.csv``).
* :func:`toy_table` — the MNIST toy table (``tables/mnist_toy.csv``) beside the paper's numbers.
* :func:`findings_markdown` — all of the above for one study directory.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from lsrepro.claims.rules import CONTRADICTED, INCONCLUSIVE, NOT_RUN, SUPPORTED

__all__ = [
    "FINDINGS_FILE",
    "findings_markdown",
    "findings_table",
    "paper_table",
    "scales",
    "toy_table",
    "verdict_counts",
]

#: The generated summary a shipped study holds beside its tables.
FINDINGS_FILE = "FINDINGS.md"
DECIDED = (SUPPORTED, CONTRADICTED)


def _num(value: object) -> float:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return x


def _fmt(x: float, signed: bool = True, digits: int = 3) -> str:
    if math.isnan(x):
        return ""
    return f"{x:+.{digits}g}" if signed else f"{x:.{digits}g}"


def _cell(text: object) -> str:
    """A Markdown table cell: no pipes or newlines, "" for missing values."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return str(text).replace("|", "/").replace("\n", " ").strip()


def _seeds(row: pd.Series) -> int:
    """The seeds behind a comparison: the smaller side (a one-sample rule has one side)."""
    n = [int(v) for v in (_num(row["n_a"]), _num(row["n_b"])) if not math.isnan(v) and v > 0]
    return min(n) if n else 0


def verdict_counts(claims: pd.DataFrame, min_seeds: int = 5) -> dict[str, int]:
    """Counts over a ``claims.csv``: judged comparisons (rows not "not run") and their verdicts,
    the distinct sub-claims judged, and those with at least one comparison decided (supported or
    contradicted, Holm-adjusted) on at least ``min_seeds`` seeds per side."""
    judged = claims.loc[claims["verdict"] != NOT_RUN]
    enough = judged.apply(_seeds, axis=1) >= min_seeds if len(judged) else pd.Series(dtype=bool)
    decided = judged.loc[judged["verdict"].isin(DECIDED) & enough]
    return {
        "comparisons": len(judged),
        "supported": int((judged["verdict"] == SUPPORTED).sum()),
        "contradicted": int((judged["verdict"] == CONTRADICTED).sum()),
        "inconclusive": int((judged["verdict"] == INCONCLUSIVE).sum()),
        "not_run": int((claims["verdict"] == NOT_RUN).sum()),
        "subclaims": int(judged["subclaim"].nunique()),
        "subclaims_decided": int(decided["subclaim"].nunique()),
        "min_seeds": min_seeds,
    }


def _interval(row: pd.Series) -> str:
    effect = _num(row["effect"])
    if math.isnan(effect):
        return ""
    low, high = _num(row["ci90_low"]), _num(row["ci90_high"])
    text = _fmt(effect)
    if not (math.isnan(low) or math.isnan(high)):
        text += f" [{_fmt(low)}, {_fmt(high)}]"
    sd = _num(row.get("effect_sd"))
    if not math.isnan(sd):
        text += f" ({_fmt(sd)} sd)"
    return text


def _verdict(row: pd.Series) -> str:
    verdict, raw = str(row["verdict"]), str(row["verdict_raw"])
    text = f"**{verdict}**" if verdict in DECIDED else verdict
    if raw != verdict:
        text += f" (alone: {raw})"
    return text


def findings_table(claims: pd.DataFrame) -> str:
    """One Markdown row per judged comparison of ``claims`` (a ``claims.csv``), in its order:
    sub-claim (★ for an extension), comparison (experiments; settings), the rule (which states
    the difference the effect is, the test and its margin), what was measured (the per-side
    means), the effect with its 90 % interval and in seed-sd units, seeds per side, the verdict
    (Holm-adjusted; the test alone in brackets where it differs) and the paper's number or
    prediction. "Not run" rows are left out
    (:func:`verdict_counts` counts them)."""
    header = (
        "| sub-claim | comparison | rule (the effect is its difference) | measured (mean over "
        "seeds) | effect [90 % CI] | seeds | verdict (Holm) | paper |\n"
        "|---|---|---|---|---|---|---|---|"
    )
    lines = [header]
    for _, row in claims.loc[claims["verdict"] != NOT_RUN].iterrows():
        star = " ★" if str(row["extension"]).lower() == "true" else ""
        comparison = f"{_cell(row['experiments'])}; {_cell(row['settings'])}"
        n = [int(v) for v in (_num(row["n_a"]), _num(row["n_b"])) if not math.isnan(v) and v > 0]
        cells = [
            f"{row['subclaim']}{star}",
            comparison,
            _cell(row["rule"]),
            _cell(row["measured"]),
            _interval(row),
            "/".join(map(str, n)),
            _verdict(row),
            _cell(row["paper"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def scales(claims: pd.DataFrame) -> list[str]:
    """Each experiment's scale label (``"mnist_fc_ls: paper scale: 50000 steps, 5 seeds, full
    eval splits"``), once, in the order the claims table first names it."""
    seen: dict[str, str] = {}
    for label in claims["scale"].dropna():
        for part in str(label).split("; "):
            experiment = part.split(":", 1)[0]
            seen.setdefault(experiment, part)
    return list(seen.values())


def toy_table(toy: pd.DataFrame) -> str:
    """The MNIST toy table (rows of ``tables/mnist_toy.csv``): test error per role, mean and
    95 % interval over seeds, range, and the paper's number (§4)."""
    lines = [
        "| model | experiment | seeds | test error % (mean [95 % CI]) | range | paper % |",
        "|---|---|---|---|---|---|",
    ]
    for _, row in toy.iterrows():
        mean, low, high = (_num(row[c]) for c in ("mean_pct", "ci_lower_pct", "ci_upper_pct"))
        ours = _fmt(mean, signed=False)
        if not (math.isnan(low) or math.isnan(high)):
            ours += f" [{_fmt(low, signed=False)}, {_fmt(high, signed=False)}]"
        lo, hi = _num(row["min_pct"]), _num(row["max_pct"])
        spread = "" if math.isnan(lo) else f"{_fmt(lo, signed=False)}–{_fmt(hi, signed=False)}"
        paper = _fmt(_num(row["paper_pct"]), signed=False) or "—"
        cells = [
            _cell(row["description"]),
            _cell(row["experiment"]),
            str(int(_num(row["n"]))),
            ours,
            spread,
            paper,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _mean_ci(row: pd.Series, split: str) -> str:
    n = _num(row[f"{split}_n"])
    if math.isnan(n) or n < 1:
        return ""
    text = _fmt(_num(row[f"{split}_mean"]), signed=False, digits=4)
    low, high = _num(row[f"{split}_low"]), _num(row[f"{split}_high"])
    if not (math.isnan(low) or math.isnan(high)):
        text += f" [{_fmt(low, signed=False, digits=4)}, {_fmt(high, signed=False, digits=4)}]"
    return f"{text} (n={int(n)})"


def paper_table(paper_vs_ours: pd.DataFrame) -> str:
    """The rows of ``paper_vs_ours.csv`` the study measured (a validation or test value): the
    paper's number (± its spread where printed) beside our mean and 95 % interval over seeds."""
    lines = [
        "| source | quantity | model | setting | paper | ours, validation | ours, test |",
        "|---|---|---|---|---|---|---|",
    ]
    for _, row in paper_vs_ours.iterrows():
        val, test = _mean_ci(row, "val"), _mean_ci(row, "test")
        if not (val or test):
            continue
        paper = _fmt(_num(row["paper"]), signed=False)
        pm = _num(row["paper_pm"])
        if paper and not math.isnan(pm):
            paper += f" ± {_fmt(pm, signed=False)}"
        unit = _cell(row["unit"])
        cells = [
            _cell(row["source"]),
            _cell(row["quantity"]) + (f" ({unit})" if unit else ""),
            f"{_cell(row['dataset'])} {_cell(row['architecture'])}",
            _cell(row["setting"]),
            paper,
            val,
            test,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


_CLAIMS_NEEDED = (
    "subclaim", "extension", "experiments", "settings", "scale", "rule", "measured", "effect",
    "effect_sd", "ci90_low", "ci90_high", "n_a", "n_b", "verdict_raw", "verdict", "paper",
)  # fmt: skip
_PAPER_NEEDED = (
    "source", "quantity", "dataset", "architecture", "setting", "unit", "paper", "paper_pm",
    *(f"{split}_{c}" for split in ("val", "test") for c in ("mean", "low", "high", "n")),
)  # fmt: skip
_TOY_NEEDED = (
    "description", "experiment", "n", "mean_pct", "ci_lower_pct", "ci_upper_pct", "min_pct",
    "max_pct", "paper_pct",
)  # fmt: skip


def _read(path: Path, needed: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.read_csv(path)
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing} (ship the study again)")
    return frame


def findings_markdown(study: Path | str, min_seeds: int = 5) -> str:
    """The whole summary of one shipped study directory (``claims.csv``, and
    ``paper_vs_ours.csv`` and ``tables/mnist_toy.csv`` when it has them): counts, verdict
    table, scales, the paper's numbers beside ours, toy table."""
    study = Path(study)
    claims = _read(study / "claims.csv", _CLAIMS_NEEDED)
    c = verdict_counts(claims, min_seeds)
    parts = [
        f"# {study.name}: what the study found\n",
        "Generated from this directory's tables by `lsrepro.claims.findings` "
        "(`reference/ship.py` writes it); do not edit by hand.\n",
        f"{c['subclaims_decided']} of {c['subclaims']} sub-claims decided on at least "
        f"{min_seeds} seeds per side; over the {c['comparisons']} judged comparisons: "
        f"{c['supported']} supported, {c['contradicted']} contradicted, {c['inconclusive']} "
        f"inconclusive (Holm-adjusted over the study's claims table); {c['not_run']} "
        "not run.\n",
        findings_table(claims),
        "Scale of each experiment:\n",
        "\n".join(f"- {s}" for s in scales(claims)) + "\n",
    ]
    paper = study / "paper_vs_ours.csv"
    if paper.is_file():
        parts += ["## The paper's numbers beside ours\n", paper_table(_read(paper, _PAPER_NEEDED))]
    toy = study / "tables" / "mnist_toy.csv"
    if toy.is_file():
        parts += ["## MNIST toy (paper §4), test error\n", toy_table(_read(toy, _TOY_NEEDED))]
    return "\n".join(parts)
