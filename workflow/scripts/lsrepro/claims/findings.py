"""What a shipped reference study found, in Markdown: ``reference/<study>/FINDINGS.md`` is this
module's output, and README's "What we found" quotes the verdict table of every shipped study
from it, so that no number there is typed by hand (:func:`readme_problems`, checked by
``tests/test_claims_findings.py``).

* :func:`verdict_counts` — how many comparisons and sub-claims were decided, at how many seeds.
* :func:`findings_table` — one row per judged comparison of ``claims.csv``: what was measured,
  the effect with its 90 % interval, the verdict (Holm-adjusted, and the raw test where they
  differ) and what the paper reports.
* :func:`scales` — the scale each experiment was judged at (steps, seeds, evaluation size).
* :func:`paper_table` — the paper's Table 2/3 and §4 numbers beside ours (``paper_vs_ours.csv``).
* :func:`toy_table` — the MNIST toy table (``tables/mnist_toy.csv``) beside the paper's numbers.
* :func:`findings_markdown` — all of the above for one study directory.
* :func:`readme_block`, :func:`readme_problems` — README's findings block of a study, and where a
  README's blocks and the shipped studies disagree.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from lsrepro.claims.rules import CONTRADICTED, INCONCLUSIVE, NOT_RUN, SUPPORTED

__all__ = [
    "FINDINGS_FILE",
    "findings_markdown",
    "findings_table",
    "paper_table",
    "readme_block",
    "readme_problems",
    "row_seeds",
    "scales",
    "study_findings",
    "toy_table",
    "verdict_counts",
]

#: The generated summary a shipped study holds beside its tables.
FINDINGS_FILE = "FINDINGS.md"
#: paper_vs_ours.csv's source of the MNIST toy rows (shown in the toy table instead).
TOY_SOURCE = "§4 MNIST toy"
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


def _estimate(x: float, low: float, high: float, signed: bool = False, digits: int = 3) -> str:
    """``x [low, high]``; the interval left out when either end is missing, "" without x.

    At least ``digits`` significant digits, more (up to 6) while the two ends of an interval of
    positive width would print alike: a ratio of 1.0041 [1.0035, 1.0046] must not read
    "+1 [+1, +1]"."""
    text = _fmt(x, signed, digits)
    if text and not (math.isnan(low) or math.isnan(high)):
        while digits < 6 and low != high:
            if _fmt(low, signed, digits) != _fmt(high, signed, digits):
                break
            digits += 1
        text = _fmt(x, signed, digits)
        text += f" [{_fmt(low, signed, digits)}, {_fmt(high, signed, digits)}]"
    return text


def _cell(text: object) -> str:
    """A Markdown table cell: pipes escaped, no newlines, "" for missing values."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _sizes(row: pd.Series) -> list[int]:
    return [int(v) for v in (_num(row["n_a"]), _num(row["n_b"])) if not math.isnan(v) and v > 0]


def row_seeds(row: pd.Series) -> int:
    """The training seeds behind one comparison: the fewest seeds of the experiments its scale
    label names, and no more than the smaller sample of its test (``n_a``, ``n_b``; for a per-seed
    test these are seeds). A trend over α values or teachers (C12a, C13e) or a pooled test
    (C10i) counts points, not seeds, so the scale label bounds it. 0 without a scale label."""
    label = row["scale"] if isinstance(row["scale"], str) else ""
    seeds = [int(n) for n in re.findall(r"\b(\d+) seeds?\b", label)]
    if not seeds:
        return 0
    sizes = _sizes(row)
    return min(min(seeds), min(sizes)) if sizes else 0


def verdict_counts(claims: pd.DataFrame, min_seeds: int = 5) -> dict[str, int]:
    """Counts over a ``claims.csv``: judged comparisons (rows not "not run") and their verdicts,
    the distinct sub-claims judged, and those with at least one comparison decided (supported or
    contradicted, Holm-adjusted) on at least ``min_seeds`` seeds (:func:`row_seeds`)."""
    judged = claims.loc[claims["verdict"] != NOT_RUN]
    enough = judged.apply(row_seeds, axis=1) >= min_seeds if len(judged) else pd.Series(dtype=bool)
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
    text = _estimate(effect, _num(row["ci90_low"]), _num(row["ci90_high"]), signed=True)
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
    means), the effect with its 90 % interval and in seed-sd units, n per side, the verdict
    (Holm-adjusted; the test alone in parentheses where it differs) and the paper's number or
    prediction; ``n`` is the test's sample per side (seeds for a per-seed test). "Not run"
    rows are left out (:func:`verdict_counts` counts them)."""
    header = (
        "| sub-claim | comparison | rule (the effect is its difference) | measured (mean over "
        "seeds) | effect [90 % CI] | n | verdict (Holm) | paper |\n"
        "|---|---|---|---|---|---|---|---|"
    )
    lines = [header]
    for _, row in claims.loc[claims["verdict"] != NOT_RUN].iterrows():
        star = " ★" if str(row["extension"]).lower() == "true" else ""
        comparison = f"{_cell(row['experiments'])}; {_cell(row['settings'])}"
        n = _sizes(row)
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
        ours = _estimate(*(_num(row[c]) for c in ("mean_pct", "ci_lower_pct", "ci_upper_pct")))
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
    text = _estimate(*(_num(row[f"{split}_{c}"]) for c in ("mean", "low", "high")), digits=4)
    return f"{text} (n={int(n)})"


def paper_table(paper_vs_ours: pd.DataFrame) -> str:
    """The rows of ``paper_vs_ours.csv`` the study measured (a validation or test value): the
    paper's number (± its spread where printed) beside our mean and 95 % interval over seeds;
    a sentence saying so where the study measured none of them."""
    header = [
        "| source | quantity | model | setting | paper | ours, validation | ours, test |",
        "|---|---|---|---|---|---|---|",
    ]
    lines = []
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
    if not lines:
        return "No number of the paper's Tables 2-3 is for an experiment of this study.\n"
    return "\n".join(header + lines) + "\n"


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


def findings_markdown(
    name: str,
    claims_csv: Path | str,
    paper_csv: Path | str | None = None,
    toy_csv: Path | str | None = None,
    min_seeds: int = 5,
) -> str:
    """The whole summary of study ``name`` from its ``claims.csv`` and, where given and present,
    its ``paper_vs_ours.csv`` and ``mnist_toy.csv``: counts, verdict table, scales, the paper's
    numbers beside ours, the toy table (whose rows the paper table then leaves out).

    Raises:
        ValueError: a table lacks a column this needs (named, with the file).
    """
    claims = _read(Path(claims_csv), _CLAIMS_NEEDED)
    paper = (
        _read(Path(paper_csv), _PAPER_NEEDED) if paper_csv and Path(paper_csv).is_file() else None
    )
    toy = _read(Path(toy_csv), _TOY_NEEDED) if toy_csv and Path(toy_csv).is_file() else None
    c = verdict_counts(claims, min_seeds)
    parts = [
        f"# {name}: what the study found\n",
        "Generated from this directory's tables by `lsrepro.claims.findings` "
        "(`reference/ship.py` writes it); do not edit by hand.\n",
        f"{c['subclaims_decided']} of the {c['subclaims']} sub-claims judged are decided on at "
        f"least {min_seeds} seeds; over the {c['comparisons']} judged comparisons: "
        f"{c['supported']} supported, {c['contradicted']} contradicted, {c['inconclusive']} "
        f"inconclusive (Holm-adjusted over the study's claims table); {c['not_run']} rows "
        "not run.\n",
        findings_table(claims),
        "Scale of each experiment:\n",
        "\n".join(f"- {s}" for s in scales(claims)) + "\n",
    ]
    if paper is not None:
        if toy is not None:
            paper = paper.loc[~paper["source"].astype(str).str.startswith(TOY_SOURCE)]
        parts += ["## The paper's numbers beside ours\n", paper_table(paper)]
    if toy is not None:
        parts += ["## MNIST toy (paper §4), test error\n", toy_table(toy)]
    return "\n".join(parts)


def study_findings(study: Path | str, min_seeds: int = 5) -> str:
    """:func:`findings_markdown` of a shipped study directory (``claims.csv``,
    ``paper_vs_ours.csv``, ``tables/mnist_toy.csv``): what its ``FINDINGS.md`` holds."""
    study = Path(study)
    return findings_markdown(
        study.name,
        study / "claims.csv",
        study / "paper_vs_ours.csv",
        study / "tables" / "mnist_toy.csv",
        min_seeds,
    )


_BLOCK = re.compile(r"<!-- findings: (\S+) -->\n(.*?)<!-- /findings -->", flags=re.S)


def readme_block(name: str, claims: pd.DataFrame) -> str:
    """README's findings block of study ``name``: its verdict table between the markers
    :func:`readme_problems` reads."""
    return f"<!-- findings: {name} -->\n{findings_table(claims)}<!-- /findings -->\n"


def readme_problems(readme: str, shipped: Mapping[str, Path]) -> list[str]:
    """Where a README and the shipped studies (name -> directory) disagree: a findings block
    (``<!-- findings: NAME -->`` ... ``<!-- /findings -->``) naming no shipped study, a shipped
    study without a block, or a block that does not hold the study's current verdict table
    (:func:`findings_table` of its ``claims.csv``). [] when they agree."""
    blocks: dict[str, str] = {}
    problems = []
    for name, body in _BLOCK.findall(readme):
        if name in blocks:
            problems.append(f"README: a second findings block for {name}")
        blocks[name] = body
    for name in sorted(set(blocks) - set(shipped)):
        problems.append(f"README: findings block for {name}, which is not a shipped study")
    for name, directory in sorted(shipped.items()):
        if name not in blocks:
            problems.append(f"README: no findings block for the shipped study {name}")
            continue
        table = findings_table(_read(Path(directory) / "claims.csv", _CLAIMS_NEEDED))
        if table not in blocks[name]:
            problems.append(
                f"README: the findings block of {name} is not its current verdict table "
                f"(paste the table of {Path(directory) / FINDINGS_FILE})"
            )
    return problems
