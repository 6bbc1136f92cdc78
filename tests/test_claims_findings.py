"""The generated summaries of a shipped study (lsrepro.claims.findings): counts worked out by hand
on a small claims table, the exact Markdown of a row, and the README's copy of every shipped
study's verdict table, which must be what the shipped tables say."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lsrepro.claims.findings import (
    FINDINGS_FILE,
    findings_markdown,
    findings_table,
    paper_table,
    readme_problems,
    row_seeds,
    scales,
    study_findings,
    toy_table,
    verdict_counts,
)
from lsrepro.claims.tables import CLAIMS_COLUMNS

ROOT = Path(__file__).resolve().parents[1]


def row(subclaim: str, verdict: str, n_a: float, n_b: float, **kw) -> dict:
    out = dict.fromkeys(CLAIMS_COLUMNS, np.nan)
    out.update(
        claim=subclaim[:2],
        subclaim=subclaim,
        extension=False,
        experiments="mnist_fc_ls",
        settings="α = 0 vs 0.1, test split",
        scale="mnist_fc_ls: paper scale: 50000 steps, 5 seeds, full eval splits",
        rule=f"rule of {subclaim}",
        measured=f"measured {subclaim}",
        verdict_raw=verdict,
        verdict=verdict,
        n_a=n_a,
        n_b=n_b,
    )
    out.update(kw)
    return out


def table(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(CLAIMS_COLUMNS))


CLAIMS = table(
    row("C8a", "supported", 5, 5),
    row("C8a", "contradicted", 3, 3, experiments="mnist_fc_dropout vs mnist_fc_ls"),
    row("C1a", "supported", 5, 0, settings="α = 0.1, train split"),  # one-sample: one side
    row("C2a", "inconclusive", 5, 5),
    row("C5b", "not run", np.nan, np.nan),
    row("C11a", "contradicted", 5, 5, scale="mnist_fc_dropout: paper scale: 50000 steps, 5 seeds"),
)


def test_counts_worked_out_by_hand():
    assert verdict_counts(CLAIMS) == {
        "comparisons": 5,
        "supported": 2,
        "contradicted": 2,
        "inconclusive": 1,
        "not_run": 1,
        "subclaims": 4,  # C8a, C1a, C2a, C11a
        "subclaims_decided": 3,  # C8a (its 5-seed row), C1a, C11a; not C8a's 3-seed row alone
        "min_seeds": 5,
    }
    # with the 5-seed C8a row gone, C8a's only decided row has 3 seeds: no longer counted
    assert verdict_counts(CLAIMS.drop(index=0))["subclaims_decided"] == 2
    assert verdict_counts(CLAIMS.drop(index=0), min_seeds=3)["subclaims_decided"] == 3


def test_seeds_of_a_row_come_from_its_scale_not_from_points_of_a_trend():
    one_seed = "cifar10_resnet56: reduced scale: 200 steps, 1 seed; cifar10_alexnet: 2 seeds"
    # a Spearman trend over 7 teacher alphas at 1 seed: 7 points, 1 seed
    trend = row("C12a", "supported", 7, 0, scale=one_seed)
    assert row_seeds(pd.Series(trend)) == 1
    assert verdict_counts(table(trend), min_seeds=2)["subclaims_decided"] == 0
    # a per-seed test that lost a seed: 4 of the 5 configured
    assert row_seeds(pd.Series(row("C8a", "supported", 4, 5))) == 4
    assert row_seeds(pd.Series(row("C8a", "supported", 5, 5, scale=np.nan))) == 0


def test_a_row_reads_exactly():
    one = table(
        row(
            "C8b",
            "inconclusive",
            5,
            5,
            extension=True,
            verdict_raw="supported",
            effect=-0.0123,
            ci90_low=-0.02,
            ci90_high=-0.005,
            effect_sd=-1.5,
            measured="ECE | LS = 0.01",
            paper="Table 3",
        ),
        row("C5b", "not run", np.nan, np.nan),
    )
    lines = findings_table(one).splitlines()
    assert len(lines) == 3  # header, rule, one judged row: "not run" is left out
    assert lines[2] == (
        "| C8b ★ | mnist_fc_ls; α = 0 vs 0.1, test split | rule of C8b | ECE \\| LS = 0.01 | "
        "-0.0123 [-0.02, -0.005] (-1.5 sd) | 5/5 | inconclusive (alone: supported) | Table 3 |"
    )
    decided = findings_table(table(row("C11a", "contradicted", 5, 5, effect=0.5)))
    assert "| +0.5 | 5/5 | **contradicted** |" in decided
    # a narrow interval gets the digits that tell its ends apart (3 would print +1 [+1, +1])
    ratio = row("C1a", "supported", 5, 0, effect=1.004077, ci90_low=1.003542, ci90_high=1.004613)
    assert "| +1.004 [+1.004, +1.005] |" in findings_table(table(ratio))


def test_scales_name_each_experiment_once_in_order():
    both = "mnist_fc_ls: paper scale: 50000 steps, 5 seeds; b: reduced scale: 10 steps, 2 seeds"
    claims = table(row("C1b", "supported", 5, 5, scale=both), *CLAIMS.to_dict("records"))
    assert scales(claims) == [
        "mnist_fc_ls: paper scale: 50000 steps, 5 seeds",
        "b: reduced scale: 10 steps, 2 seeds",
        "mnist_fc_dropout: paper scale: 50000 steps, 5 seeds",
    ]


def test_toy_table_beside_the_paper():
    toy = pd.DataFrame(
        {
            "role": ["teacher_A", "student_alone"],
            "description": ["teacher A", "student alone"],
            "experiment": ["mnist_fc_dropout", "mnist_fc_student"],
            "n": [5, 1],
            "mean_pct": [0.712, 1.7],
            "ci_lower_pct": [0.65, np.nan],
            "ci_upper_pct": [0.774, np.nan],
            "min_pct": [0.66, 1.7],
            "max_pct": [0.77, 1.7],
            "paper_pct": [0.67, np.nan],
        }
    )
    lines = toy_table(toy).splitlines()
    assert lines[2] == (
        "| teacher A | mnist_fc_dropout | 5 | 0.712 [0.65, 0.774] | 0.66–0.77 | 0.67 |"
    )
    assert lines[3] == "| student alone | mnist_fc_student | 1 | 1.7 | 1.7–1.7 | — |"


def test_findings_of_a_study_directory(tmp_path):
    study = tmp_path / "toy_study"
    study.mkdir()
    CLAIMS.to_csv(study / "claims.csv", index=False)
    text = study_findings(study)
    assert text.startswith("# toy_study: what the study found")
    assert "3 of the 4 sub-claims judged are decided on at least 5 seeds" in text
    assert "2 supported, 2 contradicted, 1 inconclusive" in text
    assert findings_table(CLAIMS) in text
    assert "MNIST toy" not in text  # no tables/mnist_toy.csv
    assert "paper's numbers" not in text  # no paper_vs_ours.csv
    # a paper_vs_ours.csv none of whose rows the study measured: said in words, not an empty table
    pd.DataFrame(
        {c: [np.nan] for c in ("source", "quantity", "dataset", "architecture", "setting")}
        | {"unit": ["%"], "paper": [86.8], "paper_pm": [np.nan]}
        | {f"{s}_{c}": [np.nan] for s in ("val", "test") for c in ("mean", "low", "high")}
        | {"val_n": [0], "test_n": [0]}
    ).to_csv(study / "paper_vs_ours.csv", index=False)
    text = study_findings(study)
    assert "## The paper's numbers beside ours\n\nNo number of the paper's Tables 2-3" in text
    assert "| source |" not in text


def test_readme_problems_on_a_made_up_readme(tmp_path):
    study = tmp_path / "reference" / "alpha_study"
    study.mkdir(parents=True)
    CLAIMS.to_csv(study / "claims.csv", index=False)
    shipped = {"alpha_study": study}
    # the markers written out here, independently of readme_block
    block = f"<!-- findings: alpha_study -->\n{findings_table(CLAIMS)}<!-- /findings -->\n"
    good = f"# What we found\n{block}"
    assert readme_problems(good, shipped) == []
    assert readme_problems("no block\n", shipped) == [
        "README: no findings block for the shipped study alpha_study"
    ]
    stale = good.replace("**supported**", "inconclusive", 1)
    assert readme_problems(stale, shipped) == [
        "README: the findings block of alpha_study is not its current verdict table (paste the "
        f"table of {study / FINDINGS_FILE})"
    ]
    other = good + "<!-- findings: beta_study -->\nx\n<!-- /findings -->\n"
    assert readme_problems(other, shipped) == [
        "README: findings block for beta_study, which is not a shipped study"
    ]
    assert readme_problems(good + good, shipped) == [
        "README: a second findings block for alpha_study"
    ]


SHIPPED = {p.parent.name: p.parent for p in (ROOT / "reference").glob("*/claims.csv")}


def test_readme_quotes_every_shipped_study():
    """README, "What we found": each shipped study's verdict table, as its claims.csv gives it."""
    assert readme_problems((ROOT / "README.md").read_text(encoding="utf-8"), SHIPPED) == []


@pytest.mark.parametrize("study", sorted(SHIPPED.values()), ids=sorted(SHIPPED))
def test_shipped_findings_are_generated_from_the_shipped_tables(study):
    assert (study / FINDINGS_FILE).read_text(encoding="utf-8") == study_findings(study)


def test_paper_table_shows_measured_rows_beside_the_paper():
    rows = pd.DataFrame(
        {
            "source": ["Table 2", "Table 2", "Table 3"],
            "quantity": ["top-1 accuracy", "top-1 accuracy", "baseline ECE"],
            "dataset": ["CIFAR-10", "CIFAR-100", "ImageNet"],
            "architecture": ["AlexNet", "ResNet-56", "Inception-v4"],
            "setting": ["α = 0", "α = 0", "α = 0, T = 1"],
            "unit": ["%", "%", "fraction"],
            "paper": [86.8, 72.1, 0.071],
            "paper_pm": [0.2, 0.3, np.nan],
            "val_mean": [42.95, np.nan, np.nan],
            "val_low": [41.5, np.nan, np.nan],
            "val_high": [44.25, np.nan, np.nan],
            "val_n": [5, 0, 0],
            "test_mean": [43.1, np.nan, np.nan],
            "test_low": [np.nan, np.nan, np.nan],
            "test_high": [np.nan, np.nan, np.nan],
            "test_n": [1, 0, 0],
        }
    )
    lines = paper_table(rows).splitlines()
    assert len(lines) == 3  # the rows nothing was measured for are left out
    assert lines[2] == (
        "| Table 2 | top-1 accuracy (%) | CIFAR-10 AlexNet | α = 0 | 86.8 ± 0.2 | "
        "42.95 [41.5, 44.25] (n=5) | 43.1 (n=1) |"
    )


def test_a_table_without_a_needed_column_is_named(tmp_path):
    study = tmp_path / "s"
    study.mkdir()
    CLAIMS.drop(columns=["verdict_raw"]).to_csv(study / "claims.csv", index=False)
    with pytest.raises(ValueError, match=r"claims.csv: missing columns \['verdict_raw'\]"):
        study_findings(study)
    with pytest.raises(ValueError, match="missing columns"):
        findings_markdown("s", study / "claims.csv")


def test_findings_script_rewrites_findings_and_prints_the_readme_block(tmp_path):
    """reference/findings.py: FINDINGS.md regenerated, and the block it prints is one README
    accepts for the study."""
    import subprocess
    import sys

    study = tmp_path / "alpha_study"
    study.mkdir()
    CLAIMS.to_csv(study / "claims.csv", index=False)
    (study / FINDINGS_FILE).write_text("stale", encoding="utf-8")
    script = ROOT / "reference" / "findings.py"
    done = subprocess.run(
        [sys.executable, str(script), str(study)], capture_output=True, text=True, check=True
    )
    assert (study / FINDINGS_FILE).read_text(encoding="utf-8") == study_findings(study)
    assert readme_problems(done.stdout, {"alpha_study": study}) == []
    empty = tmp_path / "not_shipped"
    empty.mkdir()
    failed = subprocess.run(
        [sys.executable, str(script), str(empty)], capture_output=True, text=True
    )
    assert failed.returncode != 0
    assert "no claims.csv (not a shipped study" in failed.stderr
