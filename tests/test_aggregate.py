"""Summaries over seeds (hand-computed) and the paper-table builders."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from lsrepro.aggregate import table2_accuracy, table3_calibration, to_markdown
from lsrepro.paper import TABLE2, TABLE3, normalise_name
from lsrepro.stats import summarize_over_seeds

# Student t quantiles at p = 0.975 in closed form: 1 dof tan(pi (p - 1/2)),
# 2 dof (2p - 1) / sqrt(2 p (1 - p)); 12.7062 and 4.3027 in printed tables
T_975_1 = np.tan(np.pi * 0.475)
T_975_2 = 0.95 / np.sqrt(2 * 0.975 * 0.025)


def test_summary_hand_computed():
    df = pd.DataFrame(
        {
            "model": ["a", "a", "a", "b", "b"],
            "seed": [0, 1, 2, 0, 1],
            "x": [1.0, 2.0, 3.0, 10.0, 14.0],
            "y": [0.5, 0.5, 0.5, np.nan, 1.0],
        }
    )
    out = summarize_over_seeds(df, by=["model"], values=["x", "y"]).set_index(["model", "variable"])
    a = out.loc[("a", "x")]
    assert (a["n"], a["mean"], a["std"]) == (3, 2.0, 1.0)
    assert a["ci_lower"] == pytest.approx(2.0 - T_975_2 / np.sqrt(3), abs=1e-12)
    assert a["ci_upper"] == pytest.approx(2.0 + T_975_2 / np.sqrt(3), abs=1e-12)
    b = out.loc[("b", "x")]
    # mean 12, std sqrt(((10-12)^2 + (14-12)^2) / 1) = 2.828..., t_{.975, 1} = 12.7062
    assert b["std"] == pytest.approx(np.sqrt(8.0))
    assert b["ci_upper"] - b["mean"] == pytest.approx(T_975_1 * np.sqrt(8.0) / np.sqrt(2))
    # constant values: zero-width interval
    assert out.loc[("a", "y"), "ci_lower"] == out.loc[("a", "y"), "ci_upper"] == 0.5
    # NaN is skipped: one value left, n = 1 -> NaN std and interval, no error
    by = out.loc[("b", "y")]
    assert by["n"] == 1 and by["mean"] == 1.0
    assert np.isnan(by["std"]) and np.isnan(by["ci_lower"]) and np.isnan(by["ci_upper"])
    assert list(out.reset_index().columns) == [
        "model",
        "variable",
        "n",
        "mean",
        "std",
        "ci_lower",
        "ci_upper",
    ]


def test_summary_single_seed_is_nan_not_error():
    df = pd.DataFrame({"model": ["a"], "seed": [0], "x": [0.3]})
    out = summarize_over_seeds(df, by=["model"], values=["x"]).iloc[0]
    assert out["mean"] == 0.3 and out["n"] == 1
    assert np.isnan(out["std"]) and np.isnan(out["ci_lower"])


def test_summary_rejects_duplicated_seed_and_missing_columns():
    df = pd.DataFrame({"model": ["a", "a"], "seed": [0, 0], "x": [1.0, 2.0]})
    with pytest.raises(ValueError, match="each seed must appear once"):
        summarize_over_seeds(df, by=["model"], values=["x"])
    with pytest.raises(KeyError, match="missing_col"):
        summarize_over_seeds(df, by=["missing_col"], values=["x"])


def test_summary_confidence_level():
    df = pd.DataFrame({"g": 0, "seed": range(5), "x": [1.0, 2.0, 4.0, 8.0, 16.0]})
    wide = summarize_over_seeds(df, by=["g"], values=["x"], confidence=0.99).iloc[0]
    narrow = summarize_over_seeds(df, by=["g"], values=["x"], confidence=0.5).iloc[0]
    assert wide["ci_upper"] - wide["ci_lower"] > narrow["ci_upper"] - narrow["ci_lower"]


# --- tables ---------------------------------------------------------------------------------


def per_seed_frame() -> pd.DataFrame:
    """Synthetic per-seed results for CIFAR-100/ResNet-56 (config spelling) over 3 seeds."""
    rows = []
    for alpha, split, scaling, seed in itertools.product(
        [0.0, 0.05, 0.1], ["val", "test"], ["none", "temperature"], [0, 1, 2]
    ):
        base = {"dataset": "cifar100", "architecture": "resnet56", "alpha": alpha}
        base |= {"split": split, "scaling": scaling, "seed": seed}
        shift = 0.01 * seed  # seeds 0, 1, 2 -> mean + 0.01, std 0.01
        acc = 0.72 + alpha + shift + (0.001 if split == "test" else 0.0)
        ece = (0.02 if scaling == "temperature" else 0.15 - alpha) + shift
        rows.append(base | {"metric": "accuracy", "estimate": acc})
        rows.append(base | {"metric": "ece", "estimate": ece})
        t = 1.8 + shift if scaling == "temperature" else 1.0
        rows.append(base | {"metric": "temperature", "estimate": t})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    by = ["dataset", "architecture", "alpha", "split", "scaling", "metric"]
    return summarize_over_seeds(per_seed_frame(), by=by, values=["estimate"])


def test_table2_only_present_pairs_in_percent(summary):
    table = table2_accuracy(summary, TABLE2)
    assert table[["dataset", "architecture"]].values.tolist() == [["CIFAR-100", "ResNet-56"]]
    row = table.iloc[0]
    assert row["alpha=0 paper"] == 72.1 and row["alpha=0 paper pm"] == 0.3
    assert row["alpha=0 val"] == pytest.approx(73.0)  # (0.72 + 0.01) * 100
    assert row["alpha=0 val std"] == pytest.approx(1.0)
    assert row["alpha=0 test"] == pytest.approx(73.1)
    assert row["alpha=0 val - paper"] == pytest.approx(73.0 - 72.1)
    assert row["alpha=0.1 val"] == pytest.approx(83.0)
    assert row["alpha=0.1 paper"] == 72.7
    assert row["alpha=0 seeds"] == 3


def test_table3_layout_and_values(summary):
    table = table3_calibration(summary, TABLE3)
    assert len(table) == 1
    row = table.iloc[0]
    assert row["baseline ECE paper"] == 0.150
    assert row["baseline ECE val"] == pytest.approx(0.16)
    assert row["baseline ECE val - paper"] == pytest.approx(0.01)
    assert row["TS T paper"] == 1.9 and row["TS T ours"] == pytest.approx(1.81)
    assert row["TS ECE val"] == pytest.approx(0.03) and row["TS ECE test"] == pytest.approx(0.03)
    assert row["LS alpha"] == 0.05
    assert row["LS ECE val"] == pytest.approx(0.15 - 0.05 + 0.01)
    assert row["LS ECE test std"] == pytest.approx(0.01)
    md = to_markdown(table)
    assert md.startswith("| dataset | architecture | baseline ECE paper |")
    assert "| CIFAR-100 | ResNet-56 | 0.150 |" in md


def test_table3_missing_alpha_gives_nan(summary):
    no_ls = summary.loc[~np.isclose(summary["alpha"], 0.05)]
    row = table3_calibration(no_ls, TABLE3).iloc[0]
    assert np.isnan(row["LS ECE val"]) and row["LS ECE seeds"] == 0


def test_tables_empty_without_paper_pairs(summary):
    other = summary.assign(dataset="mnist", architecture="fc")
    assert table2_accuracy(other, TABLE2).empty
    assert table3_calibration(other, TABLE3).empty


def test_name_normalisation():
    assert normalise_name("CIFAR-100") == normalise_name("cifar100") == "cifar100"
    assert normalise_name("Inception-v4") == "inceptionv4"


def test_benchmark_cost_sums_wall_time_per_rule_and_stage(tmp_path):
    from lsrepro.aggregate import benchmark_cost

    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    for rule, run, wall, rss in [
        ("train", "a/alpha~0.0/seed~0", 10.0, 100.0),
        ("train", "a/alpha~0.1/seed~0", 30.0, 300.0),
        ("distill", "s/teacher~a~alpha~0.0~seed~0/T~1.0/seed~0", 5.0, 50.0),
    ]:
        path = tmp_path / rule / f"{run}.tsv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            header + f"{wall}\t0:00:{int(wall):02d}\t{rss}\t1\t1\t1\t0\t0\t50\t{wall / 2}\n"
        )
    cost = benchmark_cost(tmp_path).set_index(["stage", "rule"])
    assert cost.loc[("training", "train"), "jobs"] == 2
    assert cost.loc[("training", "train"), "wall_s"] == 40.0
    assert cost.loc[("training", "train"), "wall_s_max"] == 30.0
    assert cost.loc[("training", "train"), "max_rss_mb"] == 300.0
    assert cost.loc[("distillation", "total"), "cpu_s"] == 2.5
    assert benchmark_cost(tmp_path / "none").empty


def test_every_rule_that_runs_a_network_is_benchmarked_and_has_a_stage():
    """A rule that asks for a GPU runs a network: its cost belongs in cost.csv, under its stage."""
    import re
    from pathlib import Path

    from lsrepro.aggregate import BENCHMARK_STAGES

    rules_dir = Path(__file__).resolve().parents[1] / "workflow" / "rules"
    gpu_rules, benchmarked = set(), set()
    for smk in sorted(rules_dir.glob("*.smk")):
        for block in re.split(r"^(?=rule )", smk.read_text(), flags=re.M)[1:]:
            name = re.match(r"rule (\w+):", block).group(1)
            if re.search(r"^\s+gpu=(1|\w+_gpus),", block, re.M):  # train: train_gpus (DDP)
                gpu_rules.add(name)
            if re.search(r"^    benchmark:", block, re.M):
                benchmarked.add(name)
    assert {"train", "evaluate", "cache_teacher_outputs", "evaluate_tokens"} <= gpu_rules
    assert gpu_rules - benchmarked == set()
    assert benchmarked - set(BENCHMARK_STAGES) == set()
