"""Fig. 7 (App. B): the next-token projection arrays, the token choice and the figure file.

The arrays are checked against the model's full logits computed sentence by sentence (no
batching, no feature extraction), restricted to the three tokens; the file entry point runs on
a toy corpus with two untrained models saved in the workflow's model.pt format.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from lsrepro.artifacts.model import model_blob
from lsrepro.data.corpus import load_corpus
from lsrepro.data.vocab import BOS_ID, EOS_ID, PAD_ID, UNK_ID, load_vocab
from lsrepro.models import build_model
from lsrepro.translation import files
from lsrepro.translation.projection import (
    WORD_START,
    content_tokens,
    covering_rows,
    token_projection_arrays,
)
from synthetic import write_toy_corpus

SPECIALS = {"pad_id": PAD_ID, "bos_id": BOS_ID, "eos_id": EOS_ID}
SPEC = {"name": "transformer", "layers": 1, "d_model": 16, "heads": 2, "ffn": 32, "dropout": 0.0}


def _model(vocab_size: int, seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build_model(SPEC, vocab_size=vocab_size, pad_id=PAD_ID).eval()


def _pairs(n: int, vocab: int, seed: int) -> tuple[list[list[int]], list[list[int]]]:
    rng = np.random.default_rng(seed)

    def sent() -> list[int]:
        return [int(t) for t in rng.integers(4, vocab, size=rng.integers(1, 9))]

    return [sent() for _ in range(n)], [sent() for _ in range(n)]


def test_arrays_reproduce_the_models_logits_of_the_three_tokens():
    model = _model(23, seed=1)
    # A non-zero bias (the trained model's is frozen at 0) checks that bias enters the templates.
    with torch.no_grad():
        model.classifier.bias.copy_(torch.linspace(-1.0, 1.0, 23))
    src, tgt = _pairs(40, 23, seed=3)
    tokens = [9, 4, 17]  # class order a, b, c = this order, not sorted
    arrays = token_projection_arrays(
        model, src, tgt, tokens, max_tokens=40, class_names=["x", "y", "z"], **SPECIALS
    )
    # Independent reference: every sentence alone, full logits, rows whose next token is wanted.
    want_logits, want_labels = [], []
    with torch.no_grad():
        for x, y in zip(src, tgt, strict=True):
            z = model(torch.tensor([[*x, EOS_ID]]), torch.tensor([[BOS_ID, *y]]))[0]
            for p, tok in enumerate([*y, EOS_ID]):
                if tok in tokens:
                    want_logits.append(z[p, tokens].double().numpy())
                    want_labels.append(tokens.index(tok))
    n = len(want_labels)
    assert n >= 20 and arrays["features"].shape == (n, 16)
    np.testing.assert_array_equal(arrays["labels"], want_labels)
    assert set(arrays["labels"].tolist()) == {0, 1, 2}
    logits = arrays["features"].astype(np.float64) @ arrays["weight"].T + arrays["bias"]
    np.testing.assert_allclose(logits, np.array(want_logits), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(
        arrays["weight"], model.embedding.weight[tokens].detach().numpy()
    )  # the tied output embedding
    assert arrays["class_names"].tolist() == ["x", "y", "z"]
    np.testing.assert_array_equal(arrays["index"], np.arange(n))
    # where each position is: the label read back from the sentences
    back = [
        [*tgt[s], EOS_ID][p] for s, p in zip(arrays["sentence"], arrays["position"], strict=True)
    ]
    np.testing.assert_array_equal(np.array(tokens)[arrays["labels"]], back)
    with pytest.raises(ValueError, match="distinct"):
        token_projection_arrays(model, src, tgt, [9, 9, 4], **SPECIALS)
    with pytest.raises(ValueError, match="outside the model's vocabulary"):
        token_projection_arrays(model, src, tgt, [9, 4, 23], **SPECIALS)


def test_content_token_rule():
    pieces = ["<pad>", "<unk>", "<s>", "</s>", "▁Ein", "▁einem", ",", "▁in", "▁Mann", "▁Frau"]
    pieces += ["▁Ha", "us", "▁Hund", "▁Katze", "▁sitzt"]
    ids = {p: i for i, p in enumerate(pieces)}
    # Each sentence: "Ein <noun> einem , in Ha us sitzt"; nouns by decreasing frequency; Katze is
    # frequent in train but rare in val.
    nouns = ["▁Mann"] * 6 + ["▁Frau"] * 5 + ["▁Hund"] * 4 + ["▁Katze"] * 3
    rest = ["▁einem", ",", "▁in", "▁Ha", "us", "▁sitzt", "▁einem"]
    train = [[ids["▁Ein"], ids[n], *(ids[r] for r in rest)] for n in nouns + nouns]
    val = [[ids["▁Ein"], ids[n], *(ids[r] for r in rest)] for n in nouns if n != "▁Katze"]
    specials = (PAD_ID, BOS_ID, EOS_ID, UNK_ID)
    chosen = content_tokens(pieces, train, val, per_class=2, specials=specials)
    assert [pieces[t] for t in chosen] == ["▁Mann", "▁Frau", "▁Hund"]
    # Katze is out of a fourth choice only because val lacks it; then the rule falls back to
    # whole-word letter pieces (>= 3 letters) by training frequency.
    chosen = content_tokens(pieces, train, val, per_class=2, count=4, specials=specials)
    assert [pieces[t] for t in chosen] == ["▁einem", "▁Ein", "▁sitzt", "▁Mann"]
    chosen = content_tokens(pieces, train, train, per_class=2, count=4, specials=specials)
    assert [pieces[t] for t in chosen] == ["▁Mann", "▁Frau", "▁Hund", "▁Katze"]
    # Without capitalised nouns: the rule falls back to whole-word letter pieces (>= 3 letters).
    lower = [p.lower() if p.startswith(WORD_START) else p for p in pieces]
    chosen = content_tokens(lower, train, val, per_class=2, specials=specials)
    assert [lower[t] for t in chosen] == ["▁einem", "▁ein", "▁sitzt"]
    with pytest.raises(ValueError, match="translation.projection.tokens"):
        content_tokens(pieces, train, val, per_class=100, specials=specials)


def test_covering_rows_hold_enough_of_every_token():
    _, tgt = _pairs(200, 23, seed=5)
    tokens = [5, 6, 7]
    rows = covering_rows(tgt, tokens, 10, seed=0)
    counts = np.bincount(np.concatenate([tgt[i] for i in rows]), minlength=23)[tokens]
    assert (counts >= 10).all() and len(rows) < 200
    np.testing.assert_array_equal(rows, covering_rows(tgt, tokens, 10, seed=0))
    assert not np.array_equal(rows, covering_rows(tgt, tokens, 10, seed=1))
    np.testing.assert_array_equal(covering_rows(tgt, tokens, 10**6, seed=0), np.arange(200))


EN = ["the", "a", "red", "blue", "dog", "cat", "man", "runs", "sleeps", "big"]
DE = ["die", "eine", "rote", "blaue", "Hund", "Katze", "Mann", "rennt", "schläft", "große"]


@pytest.fixture(scope="module")
def stage(tmp_path_factory) -> Path:
    """A toy corpus (capitalised German nouns), its vocabulary and two untrained models."""
    root = tmp_path_factory.mktemp("fig7")
    sizes = (("train", 60), ("val", 30), ("test_a", 4))
    split_files = write_toy_corpus(root, EN, DE, sizes, lengths=(3, 7))
    files.prepare_corpus_file(
        name="toy",
        src="en",
        tgt="de",
        splits=["train", "val", "test_a"],
        files=split_files,
        mirror=None,
        data_dir=str(root / "unused"),
        out=root / "corpus.json.gz",
    )
    files.train_vocabulary_file(
        corpus=root / "corpus.json.gz", size=100, model_type="bpe", out=root / "vocab.model"
    )
    vocab, corpus = load_vocab(root / "vocab.model"), load_corpus(root / "corpus.json.gz")
    for seed, alpha in ((0, 0.0), (1, 0.1)):
        build_args = {"vocab_size": len(vocab), "pad_id": PAD_ID}
        meta = {
            "recipe": {"model": SPEC},
            "build_args": build_args,
            "objective": {"objective": "label_smoothing", "alpha": alpha},
            "vocab_sha256": vocab.sha256,
            "corpus_digest": corpus.digest(),
        }
        torch.save(model_blob(_model(len(vocab), seed), meta), root / f"alpha~{alpha}.pt")
    return root


def _figure(stage: Path, out: Path, **kw) -> list[str]:
    args = {
        "hard_model": stage / "alpha~0.0.pt",
        "smooth_model": stage / "alpha~0.1.pt",
        "vocab": stage / "vocab.model",
        "corpus": stage / "corpus.json.gz",
        "tokens": None,
        "per_class": 5,
        "seed": 0,
        "alpha": 0.1,
        "title": "toy",
        "max_tokens": 64,
        "outputs": {
            "shared_pdf": out / "fig7.pdf",
            "shared_png": out / "fig7.png",
            "free_pdf": out / "fig7_free_axes.pdf",
            "free_png": out / "fig7_free_axes.png",
        },
    }
    return files.translation_projection_file(**{**args, **kw})


def test_figure_files_and_token_choice(stage, tmp_path):
    vocab = load_vocab(stage / "vocab.model")
    names = _figure(stage, tmp_path)
    # the toy's capitalised nouns, when the vocabulary keeps them whole
    nouns = [p for p in vocab.pieces() if p in {WORD_START + w for w in ("Hund", "Katze", "Mann")}]
    assert len(nouns) == 3 and sorted(names) == sorted(nouns)
    for name in ("fig7.pdf", "fig7.png", "fig7_free_axes.pdf", "fig7_free_axes.png"):
        assert (tmp_path / name).stat().st_size > 1000, name
    with pytest.raises(ValueError, match="not pieces of the vocabulary"):
        _figure(stage, tmp_path, tokens=["▁Hund", "▁Katze", "▁Pferd"])
    with pytest.raises(ValueError, match="expected 0.2"):
        _figure(stage, tmp_path, alpha=0.2)
