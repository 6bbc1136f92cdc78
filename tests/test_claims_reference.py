"""Reference studies (lsrepro.claims.reference): the front page quotes a shipped study's verdict
only on the same comparison at the same steps, precision and evaluation size; shipping copies
what a study concluded with its provenance; the studies shipped in reference/ still have the
columns the current code writes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from lsrepro.claims.paper_vs_ours import PAPER_COLUMNS
from lsrepro.claims.reference import (
    PROVENANCE_KEYS,
    SHIPPED_TABLES,
    ReferenceError,
    load_references,
    scale_key,
    ship,
    training_seconds,
    wall_time,
)
from lsrepro.claims.tables import CLAIMS_COLUMNS, VERDICT_TABLE_COLUMNS, judge_claims, verdict_table
from lsrepro.config import ConfigError, validate_config

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"

PAPER_STEPS = "mnist_fc_ls: paper scale: 50000 steps, 5 seeds, full eval splits"


@pytest.mark.parametrize(
    ("label", "key"),
    [
        (PAPER_STEPS, "mnist_fc_ls: 50000 steps, full eval splits"),
        (
            "mnist_fc_ls: reduced scale: 50000 steps, 1 seed, full eval splits",
            "mnist_fc_ls: 50000 steps, full eval splits",
        ),
        (
            "a: reduced scale: 200 steps (reference 64000), 3 seeds, eval ≤ 2000 examples; "
            "b: paper scale: 10 steps, 5 seeds, full eval splits",
            "a: 200 steps (reference 64000), eval ≤ 2000 examples; b: 10 steps, full eval splits",
        ),
        (float("nan"), ""),
        ("", ""),
    ],
)
def test_scale_key_drops_the_seed_count_only(label, key):
    assert scale_key(label) == key


def claims_row(subclaim: str, **kw) -> dict:
    row = dict.fromkeys(CLAIMS_COLUMNS, np.nan)
    row.update(
        claim=subclaim[:2],
        subclaim=subclaim,
        extension=False,
        statement=f"statement of {subclaim}",
        experiments="mnist_fc_ls",
        settings="α = 0 vs 0.1, test",
        scale=PAPER_STEPS,
        verdict_raw="inconclusive",
        verdict="inconclusive",
        leaning="",
        reason="",
    )
    row.update(kw)
    return row


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(CLAIMS_COLUMNS))


def test_front_page_quotes_the_reference_on_the_same_comparison_and_scale():
    mine = frame(
        claims_row("C8a", scale=PAPER_STEPS.replace("5 seeds", "2 seeds")),  # fewer seeds
        claims_row("C9", experiments="mnist_fc_dropout vs mnist_fc_ls"),
        claims_row(
            "C3",
            scale="mnist_fc_ls: reduced scale: 1000 steps (reference 50000), "
            "1 seed, full eval splits",
        ),  # fewer steps: another scale
        claims_row("C2a", settings="α = 0 vs 0.1, train"),  # another split
    )
    ref = frame(
        claims_row("C8a", verdict="supported", effect=-0.0213, n_a=5, n_b=5),
        claims_row("C8a", experiments="cifar10_resnet56", verdict="contradicted"),
        claims_row("C9", experiments="mnist_fc_ls", verdict="supported"),  # not the same pair
        claims_row("C3", verdict="contradicted", effect=0.2, n_a=5, n_b=5),
        claims_row("C2a", settings="α = 0 vs 0.1, val", verdict="supported"),
    )
    table = verdict_table(mine, {"cpu_study": ref}).set_index("claim")
    assert list(table.reset_index().columns) == list(VERDICT_TABLE_COLUMNS)
    assert table.loc["C8a", "reference"] == (
        "cpu_study: mnist_fc_ls (α = 0 vs 0.1, test): supported, effect -0.0213, 5/5 seeds"
    )
    assert table.loc["C9", "reference"] == ""
    assert table.loc["C3", "reference"] == ""
    assert table.loc["C2a", "reference"] == ""
    assert (verdict_table(mine)["reference"] == "").all()  # no reference study


def test_front_page_quotes_every_study_and_comparison():
    mine = frame(
        claims_row("C8a"),
        claims_row("C8a", experiments="mnist_fc_dropout", verdict="supported"),
        claims_row("C8a", settings="α = 0 vs 0.2, test"),  # a second α of one experiment
        claims_row("C8a", settings="α = 0 vs 0.3, test", scale=np.nan),  # no scale: no match
    )
    ref_a = frame(
        claims_row("C8a", verdict="supported", n_a=5, n_b=5),
        claims_row("C8a", settings="α = 0 vs 0.2, test", verdict="supported", n_a=5, n_b=5),
        claims_row("C8a", settings="α = 0 vs 0.3, test", verdict="supported", scale=np.nan),
        claims_row("C8a", experiments="mnist_fc_dropout", verdict="not run"),  # concludes nothing
    )
    ref_b = frame(
        claims_row("C8a", experiments="mnist_fc_dropout", verdict="contradicted", n_a=3, n_b=3)
    )
    cell = verdict_table(mine, {"a": ref_a, "b": ref_b})["reference"].iloc[0]
    assert cell.split("; ") == [
        "a: mnist_fc_ls (α = 0 vs 0.1, test): supported, 5/5 seeds",
        "a: mnist_fc_ls (α = 0 vs 0.2, test): supported, 5/5 seeds",
        "b: mnist_fc_dropout (α = 0 vs 0.1, test): contradicted, 3/3 seeds",
    ]


def test_a_precision_other_than_fp32_is_another_scale():
    bf16 = PAPER_STEPS.replace("5 seeds", "5 seeds, bf16")
    assert scale_key(bf16) != scale_key(PAPER_STEPS)
    table = verdict_table(
        frame(claims_row("C8a", scale=bf16)),
        {"fp32": frame(claims_row("C8a", verdict="supported"))},
    )
    assert table["reference"].iloc[0] == ""


def write_claims(directory: Path, frame_: pd.DataFrame) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    frame_.to_csv(directory / "claims.csv", index=False)
    return directory


def test_load_references_names_what_is_wrong(tmp_path):
    good = write_claims(tmp_path / "study", frame(claims_row("C8a")))
    assert list(load_references([good])) == ["study"]
    with pytest.raises(ReferenceError, match="no such directory"):
        load_references([tmp_path / "absent"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ReferenceError, match="empty: no claims.csv"):
        load_references([tmp_path / "empty"])
    bad = write_claims(tmp_path / "bad", frame(claims_row("C8a")).drop(columns=["scale"]))
    with pytest.raises(ReferenceError, match=r"missing columns \['scale'\]"):
        load_references([bad])
    twin = write_claims(tmp_path / "other" / "study", frame(claims_row("C8a")))
    with pytest.raises(ReferenceError, match="a second study named 'study'"):
        load_references([good, twin])


def test_config_rejects_a_reference_study_without_claims(tmp_path):
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["reference_studies"] = ["reference/not_a_study"]
    with pytest.raises(ConfigError, match=r"reference_studies\[0\]: .*not_a_study holds no"):
        validate_config(config, SCHEMA, workflow_dir=tmp_path)
    write_claims(tmp_path / "reference" / "not_a_study", frame(claims_row("C8a")))
    validate_config(config, SCHEMA, workflow_dir=tmp_path)  # relative to the workflow dir
    config["reference_studies"] = [""]
    with pytest.raises(ConfigError, match="reference_studies"):
        validate_config(config, SCHEMA)


def test_training_seconds_sums_resumed_segments():
    # what the loop writes: rows every 500 steps, a checkpoint at step 1000 (history saved with
    # it); killed at step 1300 and resumed from the checkpoint, the clock restarting at 0
    history = pd.DataFrame({"step": [500, 1000, 1500, 2000], "elapsed_s": [10.0, 20.0, 6.0, 16.0]})
    assert training_seconds(history) == pytest.approx(36.0)  # 20 + 16: a lower bound
    assert training_seconds(history.iloc[:2]) == pytest.approx(20.0)
    assert training_seconds(history.iloc[:0]) == 0.0


def fake_study(results: Path) -> None:
    tables = results / "tables"
    tables.mkdir(parents=True)
    for name in SHIPPED_TABLES:
        pd.DataFrame({"x": [1]}).to_csv(tables / name, index=False)
    frame(claims_row("C8a", verdict="supported", n_a=5, n_b=5)).to_csv(
        tables / "claims.csv", index=False
    )
    pd.DataFrame(columns=list(PAPER_COLUMNS)).to_csv(tables / "paper_vs_ours.csv", index=False)
    pd.DataFrame({"y": [2]}).to_csv(tables / "mnist_toy_per_seed.csv", index=False)
    figs = results / "figures" / "reliability"
    figs.mkdir(parents=True)
    (figs / "mnist_fc.png").write_bytes(b"\x89PNG fake")
    (figs / "mnist_fc.pdf").write_bytes(b"%PDF fake")
    run = results / "train" / "mnist_fc_ls" / "alpha~0.1" / "seed~0"
    run.mkdir(parents=True)
    pd.DataFrame({"step": [1, 2, 1, 2], "elapsed_s": [3.0, 6.0, 2.0, 4.0]}).to_csv(
        run / "history.csv", index=False
    )
    student = results / "distill" / "s" / "teacher~t" / "T~1.0" / "seed~0"
    student.mkdir(parents=True)
    pd.DataFrame({"step": [1], "elapsed_s": [7.0]}).to_csv(student / "history.csv", index=False)
    for path in (run, student):
        (path / "model.pt").write_bytes(b"weights")
    diverged = results / "logs" / "distill" / "s" / "teacher~t" / "T~1.0" / "seed~1.log"
    diverged.parent.mkdir(parents=True)
    diverged.write_text("step 1\nlsrepro.training.loop.DivergenceError: loss became inf\n")
    done = results / "logs" / "train" / "mnist_fc_ls" / "alpha~0.1" / "seed~0.log"
    done.parent.mkdir(parents=True)
    done.write_text("fine\n")
    # a Transformer whose training was stopped (log, no model) and one that finished
    for seed, finished in ((0, True), (1, False)):
        log = results / "logs" / "train_translation" / "m" / f"seed~{seed}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("OSError: disk full\n" if not finished else "done\n")
        if finished:
            model = results / "translation" / "train" / "m" / f"seed~{seed}" / "model.pt"
            model.parent.mkdir(parents=True)
            model.write_bytes(b"weights")
    for rule, seconds in (("train", 999.0), ("evaluate", 1.5), ("evaluate", 2.5)):
        bench = results / "benchmarks" / rule / f"run{seconds}.tsv"
        bench.parent.mkdir(parents=True, exist_ok=True)
        bench.write_text(f"s\th:m:s\tmax_rss\n{seconds}\t0:00:01\t100\n")


def test_ship_copies_verdicts_tables_figures_and_writes_provenance(tmp_path):
    results, out = tmp_path / "results", tmp_path / "reference" / "toy"
    fake_study(results)
    config = tmp_path / "config.yaml"
    config.write_text("run: [a]\n")
    meta = [{"versions": {"torch": "2.x"}, "commit": "abc", "device": "cpu", "threads": 1}] * 2
    record = ship(
        results, out, config_files=[config], commit="abc", judged_with="def", run_metadata=meta
    )
    for name in SHIPPED_TABLES:
        assert (out / name).read_bytes() == (results / "tables" / name).read_bytes()
    assert (out / "tables" / "mnist_toy_per_seed.csv").is_file()
    assert (out / "figures" / "reliability" / "mnist_fc.png").is_file()
    assert not (out / "figures" / "reliability" / "mnist_fc.pdf").exists()
    provenance = json.loads((out / "provenance.json").read_text())
    assert provenance == json.loads(json.dumps(record))
    assert sorted(provenance) == sorted(PROVENANCE_KEYS)
    assert provenance["runs"] == {
        "models": 2,
        "commits": ["abc"],
        "devices": ["cpu"],
        "threads": [1],
    }
    # training from history.csv (6 + 4 s over two segments, not the benchmark's 999 s of the
    # last attempt), distillation 7 s, evaluation from its benchmark files 1.5 + 2.5 s
    assert provenance["wall_s"]["per_stage"] == {
        "training": 10.0,
        "distillation": 7.0,
        "evaluation": 4.0,
    }
    assert provenance["wall_s"]["total"] == 21.0
    wall = pd.read_csv(out / "tables" / "wall_time.csv")
    assert wall.set_index("rule").loc["evaluate", "jobs"] == 2
    # per experiment (training rules only): the run's first path component under its folder
    assert provenance["wall_s"]["training_per_experiment"] == {
        "distill/s": 7.0,
        "train/mnist_fc_ls": 10.0,
    }
    per_experiment = pd.read_csv(out / "tables" / "training_time.csv").set_index("experiment")
    assert per_experiment.loc["mnist_fc_ls", ["rule", "runs", "wall_s"]].tolist() == [
        "train",
        1,
        10.0,
    ]
    # the generated summary: the one judged comparison, decided on 5 seeds
    findings = (out / "FINDINGS.md").read_text()
    assert "1 of the 1 sub-claims judged are decided on at least 5 seeds" in findings
    assert provenance["config_files"] == {str(config): hashlib.sha256(b"run: [a]\n").hexdigest()}
    # every run made is reported: the diverged student (a log, no model.pt); not the finished one
    assert provenance["failed_runs"] == [
        {
            "rule": "distill",
            "run": "s/teacher~t/T~1.0/seed~1",
            "error": "lsrepro.training.loop.DivergenceError: loss became inf",
        },
        {"rule": "train_translation", "run": "m/seed~1", "error": "OSError: disk full"},
    ]


def test_shipping_again_replaces_what_the_last_shipping_wrote(tmp_path):
    results, out = tmp_path / "results", tmp_path / "reference" / "toy"
    fake_study(results)
    (out / "figures" / "gone").mkdir(parents=True)
    (out / "figures" / "gone" / "old.png").write_bytes(b"old")
    (out / "tables").mkdir()
    (out / "tables" / "old_table.csv").write_text("x\n")
    (out / "PLAN.md").write_text("the plan")
    ship(results, out, config_files=[], commit="a", judged_with="b", run_metadata=[])
    assert not (out / "figures" / "gone").exists()
    assert not (out / "tables" / "old_table.csv").exists()
    assert (out / "PLAN.md").read_text() == "the plan"  # not the shipping's to remove
    assert (out / "tables" / "mnist_toy_per_seed.csv").is_file()


def test_ship_refuses_an_unjudged_study(tmp_path):
    results = tmp_path / "results"
    fake_study(results)
    (results / "tables" / "verdicts.csv").unlink()
    with pytest.raises(ReferenceError, match="no verdicts.csv: judge the study"):
        ship(
            results, tmp_path / "out", config_files=[], commit="a", judged_with="b", run_metadata=[]
        )
    assert not (tmp_path / "out").exists()  # nothing half-shipped


def test_ship_refuses_a_claims_table_it_cannot_summarise(tmp_path):
    results = tmp_path / "results"
    fake_study(results)
    claims = pd.read_csv(results / "tables" / "claims.csv").drop(columns=["measured"])
    claims.to_csv(results / "tables" / "claims.csv", index=False)
    with pytest.raises(ReferenceError, match=r"claims.csv: missing columns \['measured'\]"):
        ship(
            results, tmp_path / "out", config_files=[], commit="a", judged_with="b", run_metadata=[]
        )
    assert not (tmp_path / "out").exists()  # nothing half-shipped


def test_wall_time_of_an_empty_results_dir(tmp_path):
    assert wall_time(tmp_path).empty


SHIPPED = sorted(p.parent for p in (ROOT / "reference").glob("*/claims.csv"))


@pytest.mark.parametrize("study", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_reference_studies_have_the_current_columns(study):
    """A shipped study is rewritten by reference/ship.py when the tables it holds change shape."""
    assert list(pd.read_csv(study / "claims.csv").columns) == list(CLAIMS_COLUMNS)
    assert list(pd.read_csv(study / "verdicts.csv").columns) == list(VERDICT_TABLE_COLUMNS)
    assert list(pd.read_csv(study / "paper_vs_ours.csv").columns) == list(PAPER_COLUMNS)
    assert sorted(json.loads((study / "provenance.json").read_text())) == sorted(PROVENANCE_KEYS)
    assert load_references([study])  # the front page can read it


def test_a_study_judged_twice_quotes_itself_on_every_judged_row(tmp_path):
    """The whole path on the synthetic stage tables of test_claims: judge, ship the claims.csv
    as a reference, judge again quoting it: every comparison that was judged finds itself."""
    from test_claims import stage_files

    files = stage_files(tmp_path)
    names = {
        name
        for cell in judge_claims(files)["experiments"].dropna()
        for name in str(cell).split(" vs ")
        if name
    }
    scale = {name: f"{name}: paper scale: 1000 steps, 5 seeds, full eval splits" for name in names}
    study = tmp_path / "reference" / "synthetic"
    study.mkdir(parents=True)
    first = judge_claims(files, scale=scale, out=study / "claims.csv")
    again = tmp_path / "verdicts.csv"
    judge_claims(files, scale=scale, verdicts_out=again, references=load_references([study]))
    table = pd.read_csv(again, keep_default_na=False).set_index("claim")
    judged = first.loc[first["verdict"] != "not run"]
    assert len(judged) > 20
    assert (judged["scale"].fillna("") != "").all(), judged.loc[judged["scale"].isna(), "subclaim"]
    for row in judged.itertuples():
        quote = f"synthetic: {row.experiments} ({row.settings}): {row.verdict}"
        assert quote in table.loc[row.subclaim, "reference"]
    for sub in set(first["subclaim"]) - set(first.loc[first["verdict"] != "not run", "subclaim"]):
        assert table.loc[sub, "reference"] == ""
