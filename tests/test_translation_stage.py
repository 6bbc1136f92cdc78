"""Translation stage entry points (lsrepro.translation.files, .plan) on a tiny synthetic corpus.

The corpus is written in the "other corpus" layout (``translation.corpus.files``): a word-for-word
EN→DE toy language; the model is a 1+1-layer Transformer of width 16 trained for a few steps
through the real engine. Token metrics are checked against an independent, unbatched numpy
computation; resumption against an uninterrupted run, bit for bit.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sacrebleu.metrics import BLEU

from conftest import ROOT
from lsrepro import runs
from lsrepro.artifacts.model import load_model
from lsrepro.claims import tables as claims_tables
from lsrepro.config import load_config_file
from lsrepro.data.corpus import load_corpus, save_corpus
from lsrepro.data.images import DataIntegrityError
from lsrepro.data.vocab import BOS_ID, EOS_ID, VocabError, load_vocab
from lsrepro.runs import fmt_float
from lsrepro.translation import files, plan
from lsrepro.translation.files import beams_figure_files
from synthetic import write_toy_corpus

SPLITS = {"val": "val", "test_a": "test"}
CORPUS = {"name": "toy", "src": "en", "tgt": "de"}
TEMPS = [0.5, 1.0, 2.0]
RECIPE = {
    "version": 1,
    "model": {
        "name": "transformer",
        "layers": 1,
        "d_model": 16,
        "heads": 2,
        "ffn": 32,
        "dropout": 0.1,
    },
    "max_tokens": 96,
    "steps": 6,
    "optimizer": {"name": "adam", "lr": 3.0e-3, "betas": [0.9, 0.98], "eps": 1.0e-9},
    "lr_schedule": {"name": "rsqrt", "warmup_steps": 2},
    "weight_decay": {"value": 0.0, "scope": "none"},
    "loss_scale": 1.0,
    "grad_clip": None,
    "log_every": 2,
    "checkpoint_every": 2,
    "snapshot_steps": [0, 6],
    "precision": "fp32",
}
BOOT = {
    "n_bins": 15,
    "n_resamples": 100,
    "smece_resamples": 5,
    "bootstrap_seed": 0,
    "coverage": 0.95,
}


def _train(stage: Path, alpha: float, out: Path, max_steps: int | None = None):
    return files.train_translation_files(
        corpus=stage / "corpus.json.gz",
        vocab=stage / "vocab.model",
        recipe=plan.engine_recipe(RECIPE),
        alpha=alpha,
        seed=0,
        out_dir=out,
        threads=1,
        run={"experiment": "toy", "alpha": str(alpha), "seed": 0},
        max_steps=max_steps,
    )


def _evaluate(stage: Path, run: Path) -> pd.DataFrame:
    return files.evaluate_tokens_files(
        model=run / "model.pt",
        corpus=stage / "corpus.json.gz",
        vocab=stage / "vocab.model",
        splits=SPLITS,
        temperatures=TEMPS,
        max_tokens=96,
        n_bins=BOOT["n_bins"],
        n_resamples=BOOT["n_resamples"],
        smece_resamples=BOOT["smece_resamples"],
        bootstrap_seed=0,
        coverage=0.95,
        tolerance=1e-6,
        temperature_bounds=[0.01, 100.0],
        threads=1,
        tokens_out=run / "tokens.csv",
        temperature_out=run / "temperature.json",
        reliability_out=run / "reliability.csv",
    )


def _decode(stage: Path, run: Path) -> pd.DataFrame:
    return files.decode_files(
        model=run / "model.pt",
        corpus=stage / "corpus.json.gz",
        vocab=stage / "vocab.model",
        temperature=run / "temperature.json",
        splits=SPLITS,
        temperatures=TEMPS,
        beam_size=2,
        length_penalty=0.6,
        max_len_b=5,
        max_sentences=5,
        batch_sentences=4,
        threads=1,
        bleu_out=run / "bleu.csv",
        hypotheses_dir=run / "hypotheses",
    )


BEAMS = [1, 2, 3]


def _decode_beams(stage: Path, run: Path) -> pd.DataFrame:
    return files.decode_beams_files(
        model=run / "model.pt",
        corpus=stage / "corpus.json.gz",
        vocab=stage / "vocab.model",
        splits=SPLITS,
        beams=BEAMS,
        length_penalty=0.6,
        max_len_b=5,
        max_sentences=5,
        batch_sentences=4,
        threads=1,
        beams_out=run / "beams.csv",
        hypotheses_dir=run / "beam_hypotheses",
    )


@pytest.fixture(scope="module")
def stage(tmp_path_factory) -> Path:
    """Corpus, vocabulary, and two models (α = 0 and 0.1) evaluated, decoded, and decoded on
    the beam grid."""
    root = tmp_path_factory.mktemp("translation")
    corpus_files = write_toy_corpus(root)
    files.prepare_corpus_file(
        name="toy",
        src="en",
        tgt="de",
        splits=["train", "val", "test_a"],
        files=corpus_files,
        mirror=None,
        data_dir=str(root / "unused"),
        out=root / "corpus.json.gz",
    )
    files.train_vocabulary_file(
        corpus=root / "corpus.json.gz", size=40, model_type="bpe", out=root / "vocab.model"
    )
    for alpha in (0.0, 0.1):
        run = root / f"alpha~{alpha}"
        _train(root, alpha, run)
        _evaluate(root, run)
        _decode(root, run)
        _decode_beams(root, run)
    return root


def test_artifacts_and_model_reload(stage):
    run = stage / "alpha~0.0"
    for name in ("model.pt", "history.csv", "snapshots/step~0.pt", "snapshots/step~6.pt"):
        assert (run / name).is_file(), name
    corpus, vocab = load_corpus(stage / "corpus.json.gz"), load_vocab(stage / "vocab.model")
    assert corpus.name == "toy" and len(corpus.pairs("train")) == 40
    model, meta = load_model(run / "model.pt")
    assert meta["build_args"] == {"vocab_size": len(vocab), "pad_id": 0}
    assert meta["vocab_sha256"] == vocab.sha256 and meta["corpus_digest"] == corpus.digest()
    assert meta["recipe"]["extra"]["max_tokens"] == 96 and meta["recipe"]["input"] is None
    assert meta["objective"] == {"objective": "label_smoothing", "alpha": 0.0}
    # the rebuilt model holds the weights of the last step, as written by the other two writers
    # (the final checkpoint and the step-6 snapshot), not only what model.pt itself holds
    final = torch.load(run / "checkpoint.pt", weights_only=False)
    assert final["finished"] and final["step"] == 6
    snapshot = torch.load(run / "snapshots" / "step~6.pt", weights_only=False)["state_dict"]
    rebuilt = model.state_dict()
    assert rebuilt.keys() == final["model"].keys() == snapshot.keys()
    for key, value in rebuilt.items():
        assert torch.equal(value, final["model"][key]) and torch.equal(value, snapshot[key]), key
    start = torch.load(run / "snapshots" / "step~0.pt", weights_only=False)["state_dict"]
    assert not all(torch.equal(rebuilt[k], start[k]) for k in rebuilt)  # it did train
    history = pd.read_csv(run / "history.csv")
    assert history["step"].tolist() == [2, 4, 6] and np.isfinite(history["loss"]).all()


def test_resume_after_max_steps_is_bit_exact(stage, tmp_path):
    stopped = _train(stage, 0.0, tmp_path / "r", max_steps=3)
    assert not (tmp_path / "r" / "model.pt").exists() and stopped.resumed_from == 0
    resumed = _train(stage, 0.0, tmp_path / "r")
    assert resumed.resumed_from == 3
    a = torch.load(stage / "alpha~0.0" / "model.pt", weights_only=False)["state_dict"]
    b = torch.load(tmp_path / "r" / "model.pt", weights_only=False)["state_dict"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _reference_vectors(stage: Path, run: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Unbatched: per sentence, logits (n_i, V) of every target position (pieces + EOS)."""
    model, _ = load_model(run / "model.pt")
    corpus, vocab = load_corpus(stage / "corpus.json.gz"), load_vocab(stage / "vocab.model")
    logits, labels = [], []
    with torch.no_grad():
        for src, tgt in zip(
            vocab.encode(corpus.src(split)), vocab.encode(corpus.tgt(split)), strict=True
        ):
            z = model(torch.tensor([src + [EOS_ID]]), torch.tensor([[BOS_ID] + tgt]))[0]
            logits.append(z.double().numpy())
            labels.append(np.array(tgt + [EOS_ID]))
    return np.concatenate(logits), np.concatenate(labels)


def _numpy_metrics(z: np.ndarray, y: np.ndarray, t: float) -> dict[str, float]:
    s = z / t
    logp = s - s.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    conf, pred = np.exp(logp.max(1)), logp.argmax(1)
    correct = (pred == y).astype(float)
    bins = np.clip(np.ceil(conf * 15).astype(int) - 1, 0, 14)  # (lower, upper] bins
    ece = sum(
        abs(correct[bins == b].mean() - conf[bins == b].mean()) * (bins == b).mean()
        for b in range(15)
        if (bins == b).any()
    )
    return {"accuracy": correct.mean(), "nll": -logp[np.arange(len(y)), y].mean(), "ece": ece}


@pytest.mark.parametrize("split", ["val", "test_a"])
def test_token_metrics_match_numpy(stage, split):
    run = stage / "alpha~0.1"
    z, y = _reference_vectors(stage, run, split)
    tokens = pd.read_csv(run / "tokens.csv")
    fitted = json.loads((run / "temperature.json").read_text())["temperature"]
    rows = tokens.loc[(tokens["test_set"] == split) & (tokens["positions"] == "all")]
    assert rows["split"].iloc[0] == SPLITS[split]
    for t, scaling in [(t, "grid") for t in TEMPS] + [(fitted, "fitted")]:
        at = rows.loc[np.isclose(rows["scaling_temperature"], t) & (rows["scaling"] == scaling)]
        got = at.set_index("metric")["estimate"]
        for metric, value in _numpy_metrics(z, y, t).items():
            assert got[metric] == pytest.approx(value, abs=1e-5), (split, t, metric)
        assert (at["n_examples"] == len(y)).all()
    no_eos = tokens.loc[(tokens["test_set"] == split) & (tokens["positions"] == "no_eos")]
    keep = y != EOS_ID
    assert (no_eos["n_examples"] == keep.sum()).all()
    at1 = no_eos.loc[np.isclose(no_eos["scaling_temperature"], 1.0)]
    at1 = at1.set_index("metric")["estimate"]
    for metric, value in _numpy_metrics(z[keep], y[keep], 1.0).items():
        assert at1[metric] == pytest.approx(value, abs=1e-5)
    # T = 1 and the fitted T carry bootstrap intervals around the estimate; other T do not
    boot = rows.loc[(rows["metric"] == "ece") & (rows["n_resamples"] > 0)]
    assert len(boot) == 2 and (boot["lower"] <= boot["estimate"] + 1e-12).all()


def test_fitted_temperature_minimises_validation_nll(stage):
    run = stage / "alpha~0.0"
    fit = json.loads((run / "temperature.json").read_text())
    z, y = _reference_vectors(stage, run, "val")
    t = fit["temperature"]
    nll = {d: _numpy_metrics(z, y, t * math.exp(d))["nll"] for d in (-0.01, 0.0, 0.01)}
    assert nll[0.0] <= min(nll[-0.01], nll[0.01]) + 1e-9
    assert fit["nll_after"] == pytest.approx(nll[0.0], abs=1e-6) and fit["tokens"] == len(y)


def test_bleu_table_and_hypotheses(stage):
    run = stage / "alpha~0.0"
    bleu = pd.read_csv(run / "bleu.csv")
    assert len(bleu) == len(SPLITS) * (len(TEMPS) + 2)  # grid + fitted beam, greedy
    assert set(bleu["decoder"]) == {"beam", "greedy"} and bleu["fitted"].sum() == len(SPLITS)
    corpus = load_corpus(stage / "corpus.json.gz")
    for row in bleu.itertuples():
        t = "fitted" if row.fitted else fmt_float(row.scaling_temperature)
        name = f"{row.decoder}_T~{t}.txt"
        hyps = (run / "hypotheses" / row.test_set / name).read_text().splitlines()
        refs = corpus.tgt(row.test_set)[:5]
        assert len(hyps) == row.sentences == 5
        expect = BLEU(lowercase=True).corpus_score(hyps, [refs]).score
        assert row.bleu_uncased == pytest.approx(expect) and "case:lc" in row.bleu_uncased_signature


def test_beam_grid_reuses_decoding_and_records_the_length_ratio(stage, tmp_path):
    """The beam grid's beam 1 is decode_beam's greedy row, its beam 2 decode_beam's beam-2 row
    at T = 1 (same hypotheses, same BLEU); the length ratio is sacrebleu's sys_len / ref_len of
    the hypotheses written; the tables, the verdict and the figure read them."""
    corpus = load_corpus(stage / "corpus.json.gz")
    for alpha in (0.0, 0.1):
        run = stage / f"alpha~{alpha}"
        grid = pd.read_csv(run / "beams.csv")
        bleu = pd.read_csv(run / "bleu.csv")
        assert len(grid) == len(SPLITS) * len(BEAMS) and set(grid["beam_size"]) == set(BEAMS)
        for row in grid.itertuples():
            hyps = run / "beam_hypotheses" / row.test_set / f"beam~{row.beam_size}.txt"
            hyps = hyps.read_text().splitlines()
            score = BLEU(lowercase=True).corpus_score(hyps, [corpus.tgt(row.test_set)[:5]])
            assert row.length_ratio == pytest.approx(score.sys_len / score.ref_len)
            assert (row.sys_len, row.ref_len) == (score.sys_len, score.ref_len)
            assert row.bleu_uncased == pytest.approx(score.score)
            if row.beam_size == 1:
                same = bleu.loc[(bleu["decoder"] == "greedy") & (bleu["test_set"] == row.test_set)]
                name = "greedy_T~1.0.txt"
            elif row.beam_size == 2:
                same = bleu.loc[
                    (bleu["decoder"] == "beam")
                    & ~bleu["fitted"]
                    & np.isclose(bleu["scaling_temperature"], 1.0)
                    & (bleu["test_set"] == row.test_set)
                ]
                name = "beam_T~1.0.txt"
            else:
                continue
            assert len(same) == 1
            earlier = (run / "hypotheses" / row.test_set / name).read_text().splitlines()
            assert earlier == hyps
            for column in ("bleu", "bleu_uncased", "chrf", "length_ratio"):
                assert getattr(row, column) == same[column].iloc[0], column
    runs = [
        {"experiment": "toy", "corpus": "toy", "direction": "en-de", "alpha": a, "seed": 0}
        for a in (0.0, 0.1)
    ]
    summary = files.tabulate_translation_beams(
        runs,
        beams=[stage / f"alpha~{a}" / "beams.csv" for a in (0.0, 0.1)],
        confidence=0.95,
        per_seed_out=tmp_path / "beams_per_seed.csv",
        summary_out=tmp_path / "beams_summary.csv",
    )
    per_seed = pd.read_csv(tmp_path / "beams_per_seed.csv")
    assert len(per_seed) == 2 * len(SPLITS) * len(BEAMS)
    raw = pd.read_csv(stage / "alpha~0.1" / "beams.csv")
    mine = per_seed.loc[per_seed["alpha"] == 0.1].reset_index(drop=True)
    np.testing.assert_allclose(mine["bleu"], raw["bleu_uncased"])  # uncased, as per_seed
    np.testing.assert_allclose(mine["bleu_cased"], raw["bleu"])
    one = summary.loc[
        (summary["alpha"] == 0.0)
        & (summary["split"] == "test")
        & (summary["beam_size"] == 3)
        & (summary["variable"] == "length_ratio")
    ]
    expect = per_seed.loc[
        (per_seed["alpha"] == 0.0) & (per_seed["split"] == "test") & (per_seed["beam_size"] == 3)
    ]
    assert (
        one["mean"].item() == pytest.approx(expect["length_ratio"].item()) and one["n"].item() == 1
    )
    [verdict] = claims_tables._beam_length(per_seed, "", "test")
    assert verdict.subclaim == "C10j" and verdict.verdict == "inconclusive"  # one seed
    assert "beam 3" in verdict.settings
    outputs = {k: tmp_path / f"b_{k}.{k[-3:]}" for k in ("pdf", "png", "test_pdf", "test_png")}
    figures = beams_figure_files(tmp_path / "beams_per_seed.csv", outputs=outputs, corpus=CORPUS)
    assert all(Path(f).stat().st_size > 0 for f in outputs.values())
    for split, fig in figures.items():  # each split's own rows drawn, under its own title
        assert f"toy en-de, {split} split" in fig.get_suptitle()
        rows = per_seed.loc[(per_seed["split"] == split) & (per_seed["alpha"] == 0.0)]
        [hard] = [ln for ln in fig.get_axes()[0].get_lines() if ln.get_label().startswith("α = 0 ")]
        np.testing.assert_allclose(hard.get_xdata(), BEAMS)
        np.testing.assert_allclose(hard.get_ydata(), rows.groupby("beam_size")["bleu"].mean())
    one_split = tmp_path / "beams_val_only.csv"
    per_seed.loc[per_seed["split"] == "val"].to_csv(one_split, index=False)
    with pytest.raises(ValueError, match="no rows for split 'test'"):
        beams_figure_files(one_split, outputs=outputs, corpus=CORPUS)
    with pytest.raises(ValueError, match="distinct positive beam sizes"):
        files.decode_beams_files(
            model="unused", corpus="unused", vocab="unused", splits=SPLITS, beams=[4, 4],
            length_penalty=0.6, max_len_b=5, max_sentences=5, batch_sentences=4, threads=1,
            beams_out="unused", hypotheses_dir="unused",
        )  # fmt: skip


def test_tables_feed_the_verdicts_and_figures(stage, tmp_path):
    runs = [
        {"experiment": "toy", "corpus": "toy", "direction": "en-de", "alpha": a, "seed": 0}
        for a in (0.0, 0.1)
    ]
    dirs = [stage / f"alpha~{a}" for a in (0.0, 0.1)]
    per_seed = files.tabulate_translation(
        runs,
        tokens=[d / "tokens.csv" for d in dirs],
        temperatures=[d / "temperature.json" for d in dirs],
        bleu=[d / "bleu.csv" for d in dirs],
        tokens_with_eos=True,
        confidence=0.95,
        per_seed_out=tmp_path / "per_seed.csv",
        summary_out=tmp_path / "summary.csv",
        table3_out=tmp_path / "table3.csv",
    )
    table = pd.read_csv(tmp_path / "per_seed.csv")
    for column in ("alpha", "seed", "scaling_temperature", "split", "bleu", "ece", "nll", "fitted"):
        assert column in table.columns
    assert len(table) == len(per_seed) == 2 * len(SPLITS) * (len(TEMPS) + 1)
    assert set(table["split"]) == {"val", "test"} and table["fitted"].sum() == 2 * len(SPLITS)
    at1 = table.loc[~table["fitted"] & np.isclose(table["scaling_temperature"], 1.0)]
    assert at1["greedy_bleu"].notna().all() and at1["greedy_length_ratio"].notna().all()
    assert list(table.columns[-2:]) == ["length_ratio", "greedy_length_ratio"]
    # the length ratio beside every BLEU: the beam rows' of bleu.csv, the greedy row's at T = 1
    bleu = pd.read_csv(dirs[1] / "bleu.csv")
    fitted_val = bleu.loc[(bleu["decoder"] == "beam") & bleu["fitted"] & (bleu["split"] == "val")]
    mine = table.loc[(table["alpha"] == 0.1) & table["fitted"] & (table["split"] == "val")]
    assert mine["length_ratio"].item() == fitted_val["length_ratio"].item()
    greedy = bleu.loc[(bleu["decoder"] == "greedy") & (bleu["split"] == "test")]
    mine = at1.loc[(at1["alpha"] == 0.1) & (at1["split"] == "test")]
    assert mine["greedy_length_ratio"].item() == greedy["length_ratio"].item()
    off1 = ~np.isclose(table["scaling_temperature"], 1.0)
    assert table.loc[off1, "greedy_length_ratio"].isna().all()
    assert "temperature" not in table.columns  # one name for the T a row applies
    # the verdict code reads the table: C10 is judged (not "not run")
    verdicts = claims_tables._translation(table, "", "test")
    assert verdicts and all("not run" not in v.verdict for v in verdicts)
    # files written before the rename (column "temperature") give the same tables
    legacy = []
    for d in dirs:
        old = tmp_path / "legacy" / d.name
        old.mkdir(parents=True)
        for name in ("tokens.csv", "bleu.csv"):
            frame = pd.read_csv(d / name).rename(columns={"scaling_temperature": "temperature"})
            frame.to_csv(old / name, index=False)
        legacy.append(old)
    again = files.tabulate_translation(
        runs,
        tokens=[d / "tokens.csv" for d in legacy],
        temperatures=[d / "temperature.json" for d in dirs],
        bleu=[d / "bleu.csv" for d in legacy],
        tokens_with_eos=True,
        confidence=0.95,
        per_seed_out=tmp_path / "legacy" / "per_seed.csv",
        summary_out=tmp_path / "legacy" / "summary.csv",
        table3_out=tmp_path / "legacy" / "table3.csv",
    )
    pd.testing.assert_frame_equal(again, per_seed)
    table3 = pd.read_csv(tmp_path / "table3.csv")
    assert table3["measured_on"].str.contains("toy en-de").all()
    assert set(table3["paper"]) == {0.056, 1.13, 0.018, 0.019}
    fig4 = {k: tmp_path / f"f4_{k}.{k[-3:]}" for k in ("pdf", "png", "test_pdf", "test_png")}
    drawn = files.fig4_files(tmp_path / "per_seed.csv", outputs=fig4, corpus=CORPUS)
    for split, fig in drawn.items():
        assert f"toy en-de, {split} split" in fig.get_suptitle()
        grid = table.loc[(table["split"] == split) & (table["alpha"] == 0.0) & ~table["fitted"]]
        [bleu] = [ln for ln in fig.get_axes()[0].get_lines() if ln.get_label() == "BLEU"]
        np.testing.assert_allclose(bleu.get_xdata(), TEMPS)
        np.testing.assert_allclose(bleu.get_ydata(), grid.sort_values("scaling_temperature").bleu)
    fig3 = files.fig3_file(
        hard=dirs[0] / "reliability.csv",
        smooth=dirs[1] / "reliability.csv",
        alpha=0.1,
        split="val",
        pdf=tmp_path / "f3.pdf",
        png=tmp_path / "f3.png",
        title="toy",
        min_count=7,  # calibration.min_bin_count reaches the token diagram too
    )
    legend = [t.get_text() for legend in fig3.legends for t in legend.get_texts()]
    assert "bin of < 7 examples (not joined)" in legend
    assert all(Path(f).stat().st_size > 0 for f in (*fig4.values(), tmp_path / "f3.png"))


def test_model_for_other_vocabulary_or_corpus_is_refused(stage, tmp_path):
    model = stage / "alpha~0.0" / "model.pt"
    other_vocab = tmp_path / "vocab.model"
    files.train_vocabulary_file(
        corpus=stage / "corpus.json.gz", size=30, model_type="bpe", out=other_vocab
    )
    with pytest.raises(VocabError, match="sha256 mismatch"):
        files._load_checked(model, stage / "corpus.json.gz", other_vocab, 1)
    corpus = load_corpus(stage / "corpus.json.gz")
    corpus.splits["val"] = corpus.splits["val"][:-1]
    save_corpus(corpus, tmp_path / "corpus.json.gz")
    with pytest.raises(DataIntegrityError, match="re-run train_translation"):
        files._load_checked(model, tmp_path / "corpus.json.gz", stage / "vocab.model", 1)


# --- plan: grid, paths and config checks (torch-free) -------------------------------------------


def _config() -> dict:
    return load_config_file(ROOT / "config.yaml")


def test_plan_runs_paths_and_targets():
    config = _config()
    keys = runs.translation_runs(config)
    assert [k.fragment for k in keys][:2] == [
        "multi30k_transformer/alpha~0.0/seed~0",
        "multi30k_transformer/alpha~0.0/seed~1",
    ]
    assert len(keys) == 6
    assert runs.corpus_path(config) == "results/translation/multi30k/corpus.json.gz"
    assert runs.vocab_path(config) == "results/translation/multi30k/vocab.model"
    assert runs.vocab_record_path(config) == "results/translation/multi30k/vocab.json"
    assert (
        runs.translation_path(keys[0], "train", "model.pt")
        == "results/translation/train/multi30k_transformer/alpha~0.0/seed~0/model.pt"
    )
    assert runs.expand_translation("x/{trun}/y", keys[:1]) == [f"x/{keys[0].fragment}/y"]
    assert plan.split_labels(config) == {"val": "val", "test_2016_flickr": "test"}
    assert plan.corpus_params(config) == {
        **config["translation"]["corpus"],
        "splits": ["train", "val", "test_2016_flickr"],
    }
    assert plan.runs_info(config)[3] == {
        "experiment": "multi30k_transformer",
        "corpus": "multi30k",
        "direction": "en-de",
        "alpha": 0.1,
        "seed": 0,
    }
    # Figs. 3 and 7 compare the first experiment's alpha 0 and 0.1 models at model_seed 0
    evaluate = "results/translation/evaluate/multi30k_transformer"
    assert plan.reliability_inputs(config) == {
        "hard": f"{evaluate}/alpha~0.0/seed~0/reliability.csv",
        "smooth": f"{evaluate}/alpha~0.1/seed~0/reliability.csv",
    }
    assert plan.ls_alpha(config) == plan.projection_alpha(config) == 0.1
    assert plan.projection_inputs(config) == {
        "hard": "results/translation/train/multi30k_transformer/alpha~0.0/seed~0/model.pt",
        "smooth": "results/translation/train/multi30k_transformer/alpha~0.1/seed~0/model.pt",
        "corpus": runs.corpus_path(config),
        "vocab": runs.vocab_path(config),
    }
    assert plan.projection_max_tokens(config) == 4096
    wanted = plan.targets(config)
    assert wanted[-1] == "results/figures/translation/fig7.pdf"
    assert "results/figures/translation/fig3.pdf" in wanted
    assert set(plan.BEAM_TARGETS) <= set(wanted)
    recipe = plan.run_recipe(config, keys[0])
    assert recipe["batch_size"] == recipe["max_tokens"] == 4096 and recipe["input"] is None
    assert plan.max_tokens(config, keys[0]) == 4096
    assert plan.problems(config) == []
    odd = copy.deepcopy(config)
    odd["translation"]["projection"]["alpha"] = 0.2
    with pytest.raises(ValueError, match="translation.projection.alpha: 0.2"):
        plan.targets(odd)
    hard_only = copy.deepcopy(config)
    hard_only["translation"]["experiments"]["multi30k_transformer"]["alphas"] = [0.0]
    assert "results/figures/translation/fig3.pdf" not in plan.targets(hard_only)
    with pytest.raises(ValueError, match="Fig. 7 needs an alpha 0 and a label-smoothed"):
        plan.projection_inputs(hard_only)
    config["translation"]["run"] = []
    assert plan.targets(config) == [] and runs.translation_runs(config) == []


def test_plan_problems_name_the_key():
    config = _config()
    bad = copy.deepcopy(config)
    bad["translation"]["run"] = ["nope"]
    bad["translation"]["temperatures"] = [0.5, 2.0]
    bad["translation"]["test_splits"] = ["test_2099"]
    msgs = " | ".join(plan.problems(bad))
    assert "translation.run: unknown experiment 'nope'" in msgs
    assert "translation.temperatures" in msgs and "'test_2099'" in msgs
    beams = copy.deepcopy(config)
    beams["translation"]["beams"] = [1, 4, 4, 10, 1]
    assert plan.problems(beams) == [
        "translation.beams: duplicate beam sizes [1, 4] in [1, 4, 4, 10, 1]"
    ]
    other = copy.deepcopy(config)
    other["translation"]["corpus"]["name"] = "wmt14"
    assert "translation.corpus.files" in " ".join(plan.problems(other))
    other["translation"]["corpus"]["files"] = {"train": {"src": "a", "tgt": "b"}}
    assert "no split 'val'" in " ".join(plan.problems(other))
