"""Beam search against exhaustive search, greedy decoding and the temperature (paper Fig. 4)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from lsrepro.models.transformer import build_transformer
from lsrepro.translation.batching import pad_batch
from lsrepro.translation.beam import beam_search, greedy, length_penalty, translate

PAD, UNK, BOS, EOS = 0, 1, 2, 3
SPECIALS = {"pad_id": PAD, "bos_id": BOS, "eos_id": EOS}


def _model(seed, vocab=6, d_model=16):
    torch.manual_seed(seed)
    m = build_transformer(
        vocab_size=vocab,
        pad_id=PAD,
        layers=1,
        d_model=d_model,
        heads=2,
        ffn=32,
        dropout=0.0,
        max_len=32,
    )
    with torch.no_grad():  # larger logits than at initialisation: sharper, more varied choices
        m.embedding.weight.mul_(4.0)
    return m.eval()


def _sequence_score(model, src, seq, temperature, alpha):
    """score(y) by one teacher-forced forward pass in float64 (independent of the decoder loop)."""
    with torch.no_grad():
        z = model(torch.tensor([[*src, EOS]]), torch.tensor([[BOS, *seq[:-1]]]))[0].double()
    logp = torch.log_softmax(z / temperature, dim=-1)
    total = float(logp[torch.arange(len(seq)), torch.tensor(seq)].sum())
    return total / ((5 + len(seq)) / 6) ** alpha


def _exhaustive(model, src, max_len, temperature, alpha, vocab):
    """Best of every sequence ending in EOS with at most ``max_len`` tokens (EOS included)."""
    body = [t for t in range(vocab) if t not in (PAD, BOS, EOS)]
    best = (-math.inf, None)
    for n in range(1, max_len + 1):
        for prefix in itertools.product(body, repeat=n - 1):
            seq = [*prefix, EOS]
            score = _sequence_score(model, src, seq, temperature, alpha)
            if score > best[0]:
                best = (score, list(prefix))
    return best


@pytest.fixture(scope="module")
def copy_model():
    """A 6-token model trained for 40 Adam steps to copy its source: partly trained, so its
    best outputs have varied lengths and content (a random model mostly prefers the empty one)."""
    torch.manual_seed(0)
    m = build_transformer(
        vocab_size=6, pad_id=PAD, layers=1, d_model=16, heads=2, ffn=32, dropout=0.0, max_len=32
    )
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    gen = torch.Generator().manual_seed(0)
    body = torch.tensor([UNK, 4, 5])
    for _ in range(40):
        lengths = torch.randint(1, 4, (32,), generator=gen).tolist()
        sents = [body[torch.randint(0, 3, (n,), generator=gen)].tolist() for n in lengths]
        src, tgt_in, tgt_out = pad_batch(sents, sents, **SPECIALS)
        loss = torch.nn.functional.cross_entropy(
            m(src, tgt_in).reshape(-1, 6), tgt_out.reshape(-1), ignore_index=-100
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
    return m.eval()


def _check_exhaustive(m, temperature, alpha):
    vocab, max_len_b = 6, 2
    sources = [[4], [5, 4], [4, UNK, 5]]  # max lengths 3, 4, 5 (src_len + max_len_b)
    src, _, _ = pad_batch(sources, [[] for _ in sources], **SPECIALS)
    beam = vocab ** max(len(s) + max_len_b for s in sources)  # vocab^length: nothing is pruned
    out = beam_search(
        m,
        src,
        beam_size=beam,
        alpha=alpha,
        temperature=temperature,
        max_len_b=max_len_b,
        **SPECIALS,
    )
    bests = []
    for i, s in enumerate(sources):
        score, best = _exhaustive(m, s, len(s) + max_len_b, temperature, alpha, vocab)
        assert out.tokens[i] == best
        assert out.scores[i] == pytest.approx(score, abs=1e-4)
        bests.append(best)
    return bests


@pytest.mark.parametrize(("temperature", "alpha"), [(1.0, 0.6), (0.5, 0.6), (2.0, 0.0), (1.0, 2.0)])
def test_beam_equals_exhaustive_search(copy_model, temperature, alpha):
    bests = _check_exhaustive(copy_model, temperature, alpha)
    assert any(bests)  # not only empty outputs: the comparison has something to find


def test_beam_equals_exhaustive_search_random_model():
    _check_exhaustive(_model(3), 1.0, 2.0)


def test_exhaustive_best_depends_on_temperature(copy_model):
    # the exhaustive optimum itself moves with T: T enters the beam's scores (Fig. 4)
    assert _check_exhaustive(copy_model, 0.5, 0.0) != _check_exhaustive(copy_model, 2.0, 0.0)


def test_beam_one_is_greedy_and_greedy_ignores_temperature():
    m = _model(7, vocab=12, d_model=16)
    rng = np.random.default_rng(0)
    sources = [[int(t) for t in rng.integers(4, 12, size=rng.integers(1, 7))] for _ in range(24)]
    kwargs = dict(max_len_b=6, **SPECIALS)
    ref = translate(m, sources, beam_size=1, **kwargs)
    for t in (0.5, 1.0, 2.0):
        src, _, _ = pad_batch(sources, [[] for _ in sources], **SPECIALS)
        g = greedy(m, src, temperature=t, **kwargs)
        b1 = beam_search(m, src, beam_size=1, temperature=t, **kwargs)
        assert g.tokens == ref.tokens  # greedy's argmax does not depend on T
        assert b1.tokens == g.tokens
        np.testing.assert_allclose(b1.scores, g.scores, rtol=1e-5)
    assert len({len(x) for x in ref.tokens}) > 1  # a non-trivial case: lengths differ


def test_beam_output_moves_with_temperature():
    # the paper's point (Fig. 4): T changes beam search's choices; find such a case
    rng = np.random.default_rng(1)
    changed = 0
    for seed in range(6):
        m = _model(seed, vocab=12)
        sources = [
            [int(t) for t in rng.integers(4, 12, size=rng.integers(1, 6))] for _ in range(16)
        ]
        low = translate(m, sources, beam_size=4, temperature=0.3, max_len_b=5, **SPECIALS)
        high = translate(m, sources, beam_size=4, temperature=3.0, max_len_b=5, **SPECIALS)
        changed += sum(a != b for a, b in zip(low.tokens, high.tokens, strict=True))
    assert changed > 0


def test_length_penalty_and_eos_by_hand():
    assert length_penalty(1, 0.6) == 1.0
    assert length_penalty(3, 0.6) == pytest.approx((8 / 6) ** 0.6)
    assert length_penalty(4, 0.0) == 1.0
    m = _model(4, vocab=6)
    src = torch.tensor([[4, EOS]])
    with torch.no_grad():
        memory, mask = m.encode(src)
        p0 = torch.log_softmax(m.decode_step(memory, mask, torch.tensor([[BOS]]))[0].double(), -1)
    # max length 1 (src_len 1 + max_len_b 0): EOS is forced at once, with its own probability
    out = beam_search(m, src, beam_size=4, temperature=1.0, max_len_b=0, **SPECIALS)
    assert out.tokens == [[]] and out.scores[0] == pytest.approx(float(p0[EOS]), abs=1e-5)
    g = greedy(m, src, max_len_b=0, **SPECIALS)
    assert g.tokens == [[]] and g.scores == pytest.approx(out.scores, abs=1e-6)
    # max length 2: every candidate is [EOS] or [w, EOS]; the answer by hand
    with torch.no_grad():
        cands = {(): float(p0[EOS])}
        for w in (UNK, 4, 5):
            z1 = m.decode_step(memory, mask, torch.tensor([[BOS, w]]))[0]
            p1 = torch.log_softmax(z1.double(), -1)
            cands[(w,)] = (float(p0[w]) + float(p1[EOS])) / ((5 + 2) / 6) ** 0.6
    best = max(cands, key=cands.get)
    out = beam_search(m, src, beam_size=6, alpha=0.6, max_len_b=1, **SPECIALS)
    assert out.tokens == [list(best)] and out.scores[0] == pytest.approx(cands[best], abs=1e-5)
    for toks in out.tokens:
        assert not {PAD, BOS, EOS} & set(toks)


def test_translate_keeps_input_order_and_rejects_bad_settings():
    m = _model(5, vocab=12)
    sources = [[4, 5, 6, 7, 8], [9], [10, 11, 4]]
    together = translate(m, sources, beam_size=3, max_len_b=4, max_sentences=2, **SPECIALS)
    alone = [translate(m, [s], beam_size=3, max_len_b=4, **SPECIALS).tokens[0] for s in sources]
    assert together.tokens == alone
    with pytest.raises(ValueError, match="temperature"):
        translate(m, sources, temperature=0.0, **SPECIALS)
    with pytest.raises(ValueError, match="beam_size"):
        translate(m, sources, beam_size=0, **SPECIALS)
