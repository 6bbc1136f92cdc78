"""Translation package: corpus, vocabulary, model, batches, BLEU and teacher-forced evaluation."""

from __future__ import annotations

import gzip
import json
import math
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import ROOT
from lsrepro import calibration
from lsrepro.data import corpus as corpus_mod
from lsrepro.data.corpus import (
    MULTI30K_MD5,
    CorpusError,
    fetch_multi30k,
    load_corpus,
    load_multi30k,
    read_parallel,
    save_corpus,
)
from lsrepro.data.images import DataIntegrityError, md5sum
from lsrepro.data.vocab import (
    BOS_ID,
    EOS_ID,
    PAD_ID,
    UNK_ID,
    VocabError,
    load_vocab,
    save_vocab,
    train_vocab,
)
from lsrepro.models.transformer import build_transformer, sinusoidal_positions
from lsrepro.training.batches import IGNORE_INDEX
from lsrepro.translation.batching import TokenBatches, fitting_pairs, longest_pair, pad_batch
from lsrepro.translation.bleu import corpus_scores
from lsrepro.translation.token_eval import (
    frequent_tokens,
    logit_chunks,
    penultimate_for_tokens,
    token_predictions,
)

MIRROR = ROOT.parent / "shared" / "data"
needs_mirror = pytest.mark.skipif(
    not (MIRROR / "multi30k" / "val.en.gz").is_file(), reason="no local Multi30k mirror"
)
SPECIALS = {"pad_id": PAD_ID, "bos_id": BOS_ID, "eos_id": EOS_ID}


# --- corpus -----------------------------------------------------------------------------------


def test_md5_table_matches_shared_md5sums():
    listed = {}
    for line in (MIRROR / "MD5SUMS").read_text().splitlines() if MIRROR.is_dir() else []:
        digest, name = line.split()
        if name.startswith("multi30k/"):
            listed[name.removeprefix("multi30k/")] = digest
    if not listed:
        pytest.skip("no shared/data/MD5SUMS")
    assert listed == MULTI30K_MD5


@needs_mirror
def test_multi30k_from_mirror():
    c = load_multi30k(mirror=MIRROR, splits=("val", "test_2016_flickr"))
    assert (c.src_lang, c.tgt_lang) == ("en", "de")
    assert [len(c.pairs(s)) for s in ("val", "test_2016_flickr")] == [1014, 1000]
    assert c.pairs("val")[0] == (
        "A group of men are loading cotton onto a truck",
        "Eine Gruppe von Männern lädt Baumwolle auf einen Lastwagen",
    )
    assert c.sources["val.src"]["md5"] == MULTI30K_MD5["val.en.gz"]
    with pytest.raises(KeyError, match="no split 'train'"):
        c.pairs("train")


@needs_mirror
def test_multi30k_md5_mismatch_names_file_and_digests(tmp_path):
    folder = tmp_path / "mirror" / "multi30k"
    folder.mkdir(parents=True)
    for lang in ("en", "de"):
        shutil.copy(MIRROR / "multi30k" / f"val.{lang}.gz", folder)
    load_multi30k(mirror=tmp_path / "mirror", splits=("val",))  # intact copy reads
    raw = gzip.decompress((folder / "val.de.gz").read_bytes()).replace(b"Eine", b"Ein", 1)
    (folder / "val.de.gz").write_bytes(gzip.compress(raw))
    with pytest.raises(DataIntegrityError) as err:
        load_multi30k(mirror=tmp_path / "mirror", splits=("val",))
    msg = str(err.value)
    assert "val.de.gz" in msg and MULTI30K_MD5["val.de.gz"] in msg
    assert md5sum(folder / "val.de.gz") in msg
    with pytest.raises(DataIntegrityError, match="file missing"):
        load_multi30k(mirror=tmp_path / "mirror", splits=("test_2016_flickr",))


@needs_mirror
def test_multi30k_download_path_verifies(tmp_path, monkeypatch):
    # the real urllib code path, served from file:// URLs laid out like the upstream repository
    upstream = tmp_path / "upstream" / "data" / "task1" / "raw"
    upstream.mkdir(parents=True)
    for lang in ("en", "de"):
        shutil.copy(MIRROR / "multi30k" / f"val.{lang}.gz", upstream)
    template = (tmp_path / "upstream").as_uri() + "/data/task1/raw/{filename}?{commit}"
    monkeypatch.setattr(corpus_mod, "MULTI30K_URL", template.replace("?{commit}", ""))
    c = load_multi30k(root=tmp_path / "root", download=True, splits=("val",))
    assert len(c.pairs("val")) == 1014
    assert md5sum(tmp_path / "root" / "multi30k" / "val.en.gz") == MULTI30K_MD5["val.en.gz"]
    # a corrupted upstream file is rejected and leaves nothing at the destination
    (upstream / "val.de.gz").write_bytes(b"not the file")
    (tmp_path / "root" / "multi30k" / "val.de.gz").unlink()
    with pytest.raises(DataIntegrityError, match="md5 mismatch") as err:
        fetch_multi30k(tmp_path / "root", splits=("val",))
    assert "val.de.gz" in str(err.value) and MULTI30K_MD5["val.de.gz"] in str(err.value)
    assert not (tmp_path / "root" / "multi30k" / "val.de.gz").exists()
    with pytest.raises(CorpusError, match="mirror directory or a download root"):
        load_multi30k()


def _write_tiny_wmt(folder, extra_tgt_line=False):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.en").write_text("a house\r\nthe line\u2028separator\nred car\n", "utf-8")
    tgt = "ein Haus\ndie Zeile\nrotes Auto\n" + ("extra\n" if extra_tgt_line else "")
    (folder / "train.de.gz").write_bytes(gzip.compress(tgt.encode("utf-8")))
    (folder / "newstest2013.en").write_text("hello", "utf-8")  # no final newline
    (folder / "newstest2013.de").write_text("hallo\n", "utf-8")
    return {
        "train": {"src": folder / "train.en", "tgt": folder / "train.de.gz"},
        "val": {"src": folder / "newstest2013.en", "tgt": folder / "newstest2013.de"},
    }


def test_read_parallel_plain_and_gz(tmp_path):
    files = _write_tiny_wmt(tmp_path / "wmt")
    c = read_parallel(files, name="wmt_tiny", src_lang="en", tgt_lang="de")
    assert c.pairs("train") == [
        ("a house", "ein Haus"),
        ("the line\u2028separator", "die Zeile"),  # split on \n only; \r dropped
        ("red car", "rotes Auto"),
    ]
    assert c.pairs("val") == [("hello", "hallo")]


def test_read_parallel_errors(tmp_path):
    files = _write_tiny_wmt(tmp_path / "wmt", extra_tgt_line=True)
    with pytest.raises(CorpusError, match=r"train\.en has 3 lines but .*train\.de\.gz has 4"):
        read_parallel(files, name="x", src_lang="en", tgt_lang="de")
    with pytest.raises(CorpusError, match=r"missing key\(s\) \['tgt'\]"):
        read_parallel({"val": {"src": files["val"]["src"]}}, name="x", src_lang="en", tgt_lang="de")
    with pytest.raises(CorpusError, match="file missing"):
        read_parallel(
            {"val": {"src": tmp_path / "nope", "tgt": files["val"]["tgt"]}},
            name="x",
            src_lang="en",
            tgt_lang="de",
        )
    with pytest.raises(DataIntegrityError, match="md5 mismatch"):
        read_parallel(files, name="x", src_lang="en", tgt_lang="de", md5={"train.en": "0" * 32})


def test_corpus_artifact_roundtrip_and_digest(tmp_path):
    c = read_parallel(_write_tiny_wmt(tmp_path / "wmt"), name="t", src_lang="en", tgt_lang="de")
    digest = save_corpus(c, tmp_path / "c.json.gz")
    first = (tmp_path / "c.json.gz").read_bytes()
    back = load_corpus(tmp_path / "c.json.gz")
    assert back.splits == c.splits and back.digest() == digest == c.digest()
    save_corpus(back, tmp_path / "c.json.gz")
    assert (tmp_path / "c.json.gz").read_bytes() == first  # byte-reproducible
    doc = json.loads(gzip.decompress(first))
    doc["splits"]["val"][0][1] = "tschüss"
    (tmp_path / "bad.json.gz").write_bytes(gzip.compress(json.dumps(doc).encode()))
    with pytest.raises(DataIntegrityError, match="corpus digest mismatch"):
        load_corpus(tmp_path / "bad.json.gz")


# --- vocabulary -------------------------------------------------------------------------------


def _tiny_sentences():
    rng = np.random.default_rng(0)
    words = ["haus", "house", "auto", "car", "rot", "red", "der", "the", "ein", "a", "blau"]
    return [" ".join(rng.choice(words, size=rng.integers(2, 8))) for _ in range(300)]


def test_vocab_deterministic_ids_and_roundtrip(tmp_path):
    sents = _tiny_sentences()
    v1, v2 = train_vocab(sents, vocab_size=40), train_vocab(sents, vocab_size=40)
    assert v1.model_bytes == v2.model_bytes and v1.sha256 == v2.sha256
    assert (
        (v1.pad_id, v1.unk_id, v1.bos_id, v1.eos_id)
        == (0, 1, 2, 3)
        == (PAD_ID, UNK_ID, BOS_ID, EOS_ID)
    )
    assert v1.pieces()[:4] == ["<pad>", "<unk>", "<s>", "</s>"] and len(v1) == 40
    ids = v1.encode(sents[:20])
    assert all(min(seq) > EOS_ID for seq in ids)  # no specials from encode
    assert v1.decode(ids) == sents[:20]
    assert v1.decode([[BOS_ID, *ids[0], EOS_ID, PAD_ID]]) == sents[:1]
    digest = save_vocab(v1, tmp_path / "spm.model")
    assert load_vocab(tmp_path / "spm.model", expected_sha256=digest).model_bytes == v1.model_bytes
    with pytest.raises(VocabError, match="sha256 mismatch"):
        load_vocab(tmp_path / "spm.model", expected_sha256="f" * 64)
    with pytest.raises(VocabError, match="empty corpus"):
        train_vocab(["", "  "], vocab_size=40)
    with pytest.raises(VocabError, match="model_type"):
        train_vocab(sents, model_type="word")


@needs_mirror
def test_vocab_on_multi30k_train_is_reproducible():
    c = load_multi30k(mirror=MIRROR, splits=("train",))
    text = c.src("train") + c.tgt("train")
    v1, v2 = train_vocab(text, vocab_size=8000), train_vocab(text, vocab_size=8000)
    assert len(v1) == 8000 and v1.sha256 == v2.sha256


# --- model ------------------------------------------------------------------------------------


def _tiny_model(seed=0, vocab=23, dropout=0.0):
    torch.manual_seed(seed)
    return build_transformer(
        vocab_size=vocab,
        pad_id=PAD_ID,
        layers=2,
        d_model=16,
        heads=2,
        ffn=32,
        dropout=dropout,
        max_len=64,
    ).eval()


def _random_pairs(n, vocab=23, seed=0, max_len=9):
    rng = np.random.default_rng(seed)

    def sent():
        return [int(t) for t in rng.integers(4, vocab, size=rng.integers(1, max_len))]

    return [sent() for _ in range(n)], [sent() for _ in range(n)]


def test_fitting_pairs_leave_out_what_a_model_or_batch_cannot_hold():
    src = [[5] * 3, [5] * 5, [5] * 2, [5] * 4, [5] * 6]
    tgt = [[6] * 3, [6] * 2, [6] * 6, [6] * 4, [6] * 1]
    # max_len 6: source + EOS and BOS + target <= 6 (pairs 2 and 4 are out); a pair counts
    # len(src) + len(tgt) + 2 tokens: 8, 9, -, 10 against max_tokens
    assert fitting_pairs(src, tgt, max_len=6, max_tokens=10) == [0, 1, 3]
    assert fitting_pairs(src, tgt, max_len=6, max_tokens=9) == [0, 1]
    assert fitting_pairs(src, tgt, max_len=7, max_tokens=100) == [0, 1, 2, 3, 4]
    assert longest_pair(src, tgt) == 10 and longest_pair([], []) == 0  # pairs 2 and 3


def test_sinusoidal_positions_closed_form():
    table = sinusoidal_positions(50, 8)
    for pos, i in [(0, 0), (7, 1), (49, 3)]:
        angle = pos / 10000 ** (2 * i / 8)
        assert table[pos, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-6)
        assert table[pos, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-6)


def test_model_ties_embeddings_and_masks_padding():
    m = _tiny_model()
    assert m.classifier.weight is m.embedding.weight
    assert not m.classifier.bias.requires_grad and torch.all(m.classifier.bias == 0)
    src = torch.tensor([[5, 6, 7, EOS_ID]])
    tgt = torch.tensor([[BOS_ID, 8, 9, 10]])
    logits = m(src, tgt)
    assert logits.shape == (1, 4, 23)
    torch.testing.assert_close(logits, m.classifier(m.features(src, tgt)))
    torch.testing.assert_close(logits, m.features(src, tgt) @ m.embedding.weight.T)
    # extra padding on either side changes nothing at real positions
    src_p = torch.tensor([[5, 6, 7, EOS_ID, PAD_ID, PAD_ID]])
    tgt_p = torch.tensor([[BOS_ID, 8, 9, 10, PAD_ID]])
    torch.testing.assert_close(m(src_p, tgt_p)[:, :4], logits, atol=1e-5, rtol=1e-5)
    # causal: position t does not see later target tokens
    tgt_c = torch.tensor([[BOS_ID, 8, 11, 12]])
    torch.testing.assert_close(m(src, tgt_c)[:, :2], logits[:, :2], atol=1e-6, rtol=1e-6)
    assert not torch.allclose(m(src, tgt_c)[:, 2:], logits[:, 2:])
    # decode_step = the last position of the full forward
    memory, mask = m.encode(src)
    torch.testing.assert_close(
        m.decode_step(memory, mask, tgt[:, :3]), logits[:, 2], atol=1e-5, rtol=1e-5
    )


def test_model_embedding_gets_gradient_from_input_and_output():
    m = _tiny_model().train()
    logits = m(torch.tensor([[5, EOS_ID]]), torch.tensor([[BOS_ID, 6]]))
    logits[0, 1, 9].backward()  # token 9 appears only in the output projection
    grad = m.embedding.weight.grad
    assert grad[9].abs().sum() > 0 and grad[5].abs().sum() > 0 and grad[6].abs().sum() > 0
    assert grad[PAD_ID].abs().sum() == 0
    with pytest.raises(ValueError, match="divisible"):
        build_transformer(
            vocab_size=10, pad_id=0, layers=1, d_model=10, heads=3, ffn=8, dropout=0.0
        )
    with pytest.raises(ValueError, match="exceeds max_len"):
        m(torch.ones(1, 65, dtype=torch.long), torch.ones(1, 2, dtype=torch.long))


# --- batches ----------------------------------------------------------------------------------


def test_pad_batch_layout():
    src, tgt_in, tgt_out = pad_batch([[5, 6], [7]], [[8], [9, 10, 11]], **SPECIALS)
    assert src.tolist() == [[5, 6, EOS_ID], [7, EOS_ID, PAD_ID]]
    assert tgt_in.tolist() == [[BOS_ID, 8, PAD_ID, PAD_ID], [BOS_ID, 9, 10, 11]]
    assert tgt_out.tolist() == [[8, EOS_ID, IGNORE_INDEX, IGNORE_INDEX], [9, 10, 11, EOS_ID]]


def test_token_batches_pure_function_of_seed_and_step():
    src, tgt = _random_pairs(200, seed=1, max_len=20)
    a = TokenBatches(src, tgt, 120, seed=3, **SPECIALS)
    b = TokenBatches(src, tgt, 120, seed=3, **SPECIALS)
    c = TokenBatches(src, tgt, 120, seed=4, **SPECIALS)
    n = a.batches_per_epoch
    steps = [0, 5, n - 1, n, 3 * n + 2]
    for s in reversed(steps):  # order of calls does not matter
        x, y = a.batch(s), b.batch(s)
        assert torch.equal(x.index, y.index) and torch.equal(x.labels, y.labels)
        assert all(torch.equal(u, v) for u, v in zip(x.inputs, y.inputs, strict=True))
    assert any(not torch.equal(a.batch(s).index, c.batch(s).index) for s in steps)
    json.dumps(a.identity())
    assert (
        a.identity() == b.identity()
        and a.identity()["data_sha256"]
        != TokenBatches(src[::-1], tgt[::-1], 120, seed=3, **SPECIALS).identity()["data_sha256"]
    )
    for epoch in range(2):  # every epoch visits every pair exactly once
        rows = np.concatenate([a.rows(s) for s in range(epoch * n, (epoch + 1) * n)])
        assert sorted(rows.tolist()) == list(range(200))
    assert not np.array_equal(
        np.concatenate([a.rows(s) for s in range(n)]),
        np.concatenate([a.rows(s) for s in range(n, 2 * n)]),
    )


def test_token_batches_budget_labels_and_size():
    src, tgt = _random_pairs(300, seed=2, max_len=30)
    tb = TokenBatches(src, tgt, 200, seed=0, **SPECIALS)
    for s in range(tb.batches_per_epoch):
        batch = tb.batch(s)
        x, tgt_in = batch.inputs
        assert x.numel() + tgt_in.numel() <= 200  # padding included
        rows = batch.index.tolist()
        for i, r in enumerate(rows):
            n = len(tgt[r])
            assert batch.labels[i, :n].tolist() == tgt[r] and batch.labels[i, n] == EOS_ID
            assert torch.all(batch.labels[i, n + 1 :] == IGNORE_INDEX)
            assert x[i, : len(src[r])].tolist() == src[r]
        assert batch.size == sum(len(tgt[r]) + 1 for r in rows)
    # batches are bucketed: padding is a small share of the tokens
    pads = sum(int(tb.batch(s).inputs[1].eq(PAD_ID).sum()) for s in range(tb.batches_per_epoch))
    assert pads / sum(len(y) + 1 for y in tgt) < 0.15
    with pytest.raises(ValueError, match="more than max_tokens=20"):
        TokenBatches([[5] * 15], [[6] * 10], 20, seed=0, **SPECIALS)


# --- BLEU -------------------------------------------------------------------------------------


def test_bleu_hand_checked_case():
    # 13a tokens; hyp 7 tokens, ref 6 (no brevity penalty); clipped n-gram precisions
    # 6/7, 4/6, 3/5, 2/4 (counted by hand)
    s = corpus_scores(["the cat sat on the red mat"], ["the cat sat on the mat"])
    expected = 100 * (6 / 7 * 4 / 6 * 3 / 5 * 2 / 4) ** 0.25
    assert s.bleu == pytest.approx(expected, abs=1e-9)
    assert s.bleu_uncased == pytest.approx(expected, abs=1e-9)
    # case: "The" does not match "the" cased; 13a splits the final period
    s2 = corpus_scores(["The cat sat on the mat ."], ["the cat sat on the mat."])
    assert s2.bleu_uncased == pytest.approx(100.0)
    assert s2.bleu < 100.0
    # brevity penalty: hyp 4 tokens, ref 6, all n-grams match: BLEU = exp(1 - 6/4)
    s3 = corpus_scores(["the cat sat on"], ["the cat sat on the mat"])
    assert s3.bleu == pytest.approx(100 * math.exp(1 - 6 / 4), abs=1e-9)
    assert "case:lc" in s.bleu_uncased_signature and "case:mixed" in s.bleu_signature
    assert "tok:13a" in s.bleu_signature and s.chrf_signature.startswith("nrefs:1")
    with pytest.raises(ValueError, match="2 hypotheses but 1 references"):
        corpus_scores(["a", "b"], ["a"])


def test_length_ratio_hand_counted_and_the_brevity_penalty():
    """sys_len / ref_len over the corpus, counted by hand in 13a tokens: hypotheses "A dog ,
    running ." (5) and "two cats" (2) = 7; references "a brown dog is running in the park ."
    (9) and "two cats sleep" (3) = 12. BLEU's brevity penalty is exp(1 - r/c) = exp(1 - 12/7),
    so BLEU = 100 * exp(1 - 1/ratio) * (geometric mean of the n-gram precisions)."""
    hyps = ["A dog, running.", "two cats"]
    refs = ["a brown dog is running in the park.", "two cats sleep"]
    s = corpus_scores(hyps, refs)
    assert (s.sys_len, s.ref_len) == (7, 12)
    assert s.length_ratio == pytest.approx(7 / 12, abs=1e-12)
    # uncased matches (clipped, by hand): 1-grams a dog running . two cats = 6/7;
    # 2-grams "two cats" = 1/5; 3-grams 0/3 -> sacrebleu's "exp" smoothing: 1/(2 * 3);
    # 4-grams 0/2 -> 1/(2^2 * 2)
    precisions = [6 / 7, 1 / 5, 1 / (2 * 3), 1 / (4 * 2)]
    bp = math.exp(1 - 1 / s.length_ratio)
    assert s.bleu_uncased == pytest.approx(100 * bp * math.prod(precisions) ** 0.25, abs=1e-9)
    # longer than the references: no penalty, ratio above 1
    long = corpus_scores(["the cat sat on the red mat"], ["the cat sat on the mat"])
    assert long.length_ratio == pytest.approx(7 / 6) and (long.sys_len, long.ref_len) == (7, 6)


def test_bleu_equals_sacrebleu_cli(tmp_path):
    hyps = ["Ein Mann fährt Fahrrad.", "Zwei Hunde spielen im Schnee", "eine frau liest."]
    refs = [
        "Ein Mann fährt auf einem Fahrrad.",
        "Zwei Hunde spielen im Schnee.",
        "Eine Frau liest ein Buch.",
    ]
    (tmp_path / "hyp.txt").write_text("\n".join(hyps) + "\n", "utf-8")
    (tmp_path / "ref.txt").write_text("\n".join(refs) + "\n", "utf-8")
    s = corpus_scores(hyps, refs)

    def cli(*args):
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "sacrebleu",
                str(tmp_path / "ref.txt"),
                "-i",
                str(tmp_path / "hyp.txt"),
                "-b",
                "-w",
                "4",
                *args,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return float(out.stdout.strip())

    assert s.bleu == pytest.approx(cli(), abs=1e-4)  # the CLI prints 4 decimals (-w 4)
    assert s.bleu_uncased == pytest.approx(cli("-lc"), abs=1e-4)
    assert s.chrf == pytest.approx(cli("-m", "chrf"), abs=1e-4)
    assert s.bleu_uncased > s.bleu


# --- teacher-forced token evaluation ----------------------------------------------------------


def _reference_vectors(model, src, tgt, temperature):
    """One sentence at a time, no padding, numpy softmax: an independent path."""
    conf, correct, true_prob, is_eos = [], [], [], []
    for x, y in zip(src, tgt, strict=True):
        s = torch.tensor([[*x, EOS_ID]])
        t_in = torch.tensor([[BOS_ID, *y]])
        labels = np.array([*y, EOS_ID])
        z = model(s, t_in)[0].double().detach().numpy()  # (T, V)
        p = calibration.softmax(z, temperature)
        conf.append(p.max(1))
        correct.append(z.argmax(1) == labels)
        true_prob.append(p[np.arange(len(labels)), labels])
        is_eos.append(labels == EOS_ID)
    return [np.concatenate(v) for v in (conf, correct, true_prob, is_eos)]


def test_token_predictions_match_unbatched_reference():
    m = _tiny_model(seed=1)
    src, tgt = _random_pairs(40, seed=3)
    out = token_predictions(m, src, tgt, temperatures=(1.0, 1.7), max_tokens=60, **SPECIALS)
    again = token_predictions(m, src, tgt, temperatures=(1.7,), max_tokens=1000, **SPECIALS)
    assert len(out[1.0]) == sum(len(y) + 1 for y in tgt)  # pieces + EOS, no padding
    for t in (1.0, 1.7):
        conf, correct, true_prob, is_eos = _reference_vectors(m, src, tgt, t)
        r = out[t]
        assert r.confidence.dtype == np.float64 and r.correct.dtype == bool
        np.testing.assert_allclose(r.confidence, conf, rtol=1e-5)
        np.testing.assert_allclose(r.true_prob, true_prob, rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(r.nll, -np.log(true_prob), rtol=1e-4)
        np.testing.assert_array_equal(r.correct, correct)
        np.testing.assert_array_equal(r.is_eos, is_eos)
    np.testing.assert_allclose(again[1.7].nll, out[1.7].nll, rtol=1e-5)  # batching-invariant
    assert out[1.0].is_eos.sum() == len(tgt)
    no_eos = out[1.0].without_eos()
    assert len(no_eos) == len(out[1.0]) - len(tgt) and not no_eos.is_eos.any()
    assert out[1.0].summary()["nll"] == pytest.approx(out[1.0].nll.mean())
    with pytest.raises(ValueError, match="temperatures"):
        token_predictions(m, src, tgt, temperatures=(0.0,), **SPECIALS)


def test_token_predictions_apply_t_once_in_float64():
    """The vectors are the calibration core's float64 reduction of the very logits the model
    streams (logit_chunks): equal to scipy's log_softmax(z / T) on them to float64 rounding, so
    T is applied once, by the core, with no float32 softmax in between."""
    from scipy.special import log_softmax

    m = _tiny_model(seed=5)
    rng = np.random.default_rng(7)
    # equal lengths and one batch: the stream's row-major order is (sentence, position)
    src = [[int(t) for t in rng.integers(4, 23, size=5)] for _ in range(12)]
    tgt = [[int(t) for t in rng.integers(4, 23, size=6)] for _ in range(12)]
    chunks = list(logit_chunks(m, src, tgt, max_tokens=10_000, **SPECIALS)())
    assert len(chunks) == 1
    z, y = (v.numpy() for v in chunks[0])
    out = token_predictions(m, src, tgt, temperatures=(0.6, 2.5), max_tokens=10_000, **SPECIALS)
    for t, pred in out.items():
        logp = log_softmax(z.astype(np.float64) / t, axis=1)
        assert pred.top.true_logprob.dtype == np.float64
        np.testing.assert_allclose(pred.confidence, np.exp(logp.max(1)), rtol=1e-12)
        np.testing.assert_allclose(pred.nll, -logp[np.arange(len(y)), y], rtol=1e-12)
        np.testing.assert_allclose(pred.top.sum_sq, (np.exp(logp) ** 2).sum(1), rtol=1e-12)
        np.testing.assert_array_equal(pred.correct, z.argmax(1) == y)
        np.testing.assert_array_equal(pred.is_eos, y == EOS_ID)
        assert pred.temperature == t


def test_penultimate_for_tokens_features_reproduce_logits():
    m = _tiny_model(seed=2)
    src, tgt = _random_pairs(30, seed=4)
    tokens = frequent_tokens(tgt, 3, exclude=(PAD_ID, BOS_ID, EOS_ID))
    counts = np.bincount(np.concatenate(tgt), minlength=23)
    assert sorted(counts[tokens].tolist(), reverse=True) == sorted(counts, reverse=True)[:3]
    feats, labels, pred = penultimate_for_tokens(
        m, src, tgt, tokens, max_tokens=50, with_predicted=True, **SPECIALS
    )
    assert feats.shape == (int(counts[tokens].sum()), 16) and set(labels) <= set(tokens)
    # first sentence containing a wanted token: recompute its features directly
    i = next(k for k, y in enumerate(tgt) if set(y) & set(tokens))
    h = m.features(torch.tensor([[*src[i], EOS_ID]]), torch.tensor([[BOS_ID, *tgt[i]]]))[0]
    pos = [p for p, tok in enumerate(tgt[i]) if tok in tokens]
    np.testing.assert_allclose(feats[: len(pos)], h[pos].detach().numpy(), atol=1e-5)
    logits = feats @ m.embedding.weight.detach().numpy().T
    np.testing.assert_array_equal(pred, logits.argmax(1))


@pytest.mark.parametrize(("alphas", "ls"), [((0.0, 0.05, 0.1), 0.1), ((0.0, 0.3, 0.05), 0.05)])
def test_table3_row_sets_the_papers_alpha_beside_alpha_0(alphas, ls):
    """Table 3's EN-DE "LS ECE" is the α = 0.1 model's ECE at T = 1 (the paper's α), else the
    smallest positive α's (paper.comparison_alpha); each α's ECE here is 1 + α, so the row says
    which model it read."""
    import pandas as pd

    from lsrepro.translation.tables import table3_row

    base = {"split": "val", "corpus": "multi30k", "direction": "en-de", "test_set": "val", "n": 2}
    rows = [
        {**base, "alpha": a, "fitted": False, "scaling_temperature": 1.0, "variable": "ece"}
        | {"mean": 1.0 + a, "ci_lower": 0.9, "ci_upper": 1.1 + a}
        for a in alphas
    ]
    rows.append(
        {**base, "alpha": 0.0, "fitted": True, "scaling_temperature": 1.2, "variable": "ece"}
        | {"mean": 0.5, "ci_lower": 0.4, "ci_upper": 0.6}
    )
    table = table3_row(pd.DataFrame(rows)).set_index("quantity")
    assert table.loc["LS ECE", "mean"] == pytest.approx(1.0 + ls)
    assert table.loc["LS ECE", "setting"] == f"α = {ls:g}, T = 1"
    assert table.loc["baseline ECE", "mean"] == pytest.approx(1.0)
    assert table.loc["TS ECE", "mean"] == pytest.approx(0.5)
