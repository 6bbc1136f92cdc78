"""Batched beam search and greedy decoding with a temperature on the logits at every step.

Scores. At every step the next-token log-probabilities are ``log_softmax(z / T)`` of the model's
logits ``z`` (paper §3, Fig. 4: the temperature changes the beam's choices, unlike greedy
decoding, whose argmax is invariant to T). PAD and BOS are never generated (their log-probability
is set to -inf *after* the softmax, so the others are the model's own probabilities). A hypothesis
``y = (y_1 … y_n)`` ends with EOS; its score is GNMT's length-normalised log-probability
(Wu et al. 2016, eq. 14; tensor2tensor's default α = 0.6)

    score(y) = Σ_t log softmax(z_t / T)[y_t] / lp(n),    lp(n) = ((5 + n) / 6) ** α,

with ``n`` counting EOS. A sentence may generate at most ``max_len = src_len + max_len_b`` tokens
(``src_len`` = source pieces without EOS; capped by the model's ``max_len - 1``); at step
``max_len`` only EOS is allowed, as in fairseq, so every hypothesis ends with EOS.

Search (fairseq's ``SequenceGenerator``): each step takes the 2K best continuations of the K live
hypotheses; EOS continuations among the best K are finished (scored with ``lp``); the best K
non-EOS continuations stay live. A sentence stops when it has K finished hypotheses or reaches
``max_len``; the answer is its best finished hypothesis. Consequences tested in
``tests/test_translation_beam.py``: K = 1 is greedy decoding; K ≥ V^max_len is exhaustive search.

Decoding is batched over sentences (and beams) on the model's device; sentences that stop are
dropped from the active batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from lsrepro.models.transformer import Seq2SeqTransformer
from lsrepro.progress import progress
from lsrepro.translation.batching import pad_batch


@dataclass(frozen=True)
class Decoded:
    """Decoder output per sentence: ``tokens`` without BOS/EOS; ``scores`` = score(y) above."""

    tokens: list[list[int]]
    scores: list[float]


def length_penalty(length: int | torch.Tensor, alpha: float) -> float | torch.Tensor:
    """GNMT length penalty ((5 + length) / 6) ** alpha; ``length`` counts EOS."""
    return ((5.0 + length) / 6.0) ** alpha


def _check(temperature: float, beam_size: int) -> None:
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    if beam_size < 1:
        raise ValueError(f"beam_size must be >= 1, got {beam_size}")


def _step_log_probs(
    model: Seq2SeqTransformer,
    memory: torch.Tensor,
    src_mask: torch.Tensor,
    prefix: torch.Tensor,
    *,
    temperature: float,
    banned: list[int],
    eos_id: int,
    force_eos: torch.Tensor,
) -> torch.Tensor:
    """log softmax(z / T) (N, V) float32 of the next token; banned ids -inf; EOS where forced."""
    logits = model.decode_step(memory, src_mask, prefix).float()
    logp = torch.log_softmax(logits / temperature, dim=-1)
    logp[:, banned] = float("-inf")
    if bool(force_eos.any()):
        eos_col = logp[:, eos_id].clone()
        logp[force_eos] = float("-inf")
        logp[force_eos, eos_id] = eos_col[force_eos]
    return logp


def _max_lengths(src: torch.Tensor, pad_id: int, max_len_b: int, model_max: int) -> torch.Tensor:
    src_len = src.ne(pad_id).sum(1) - 1  # without the source EOS
    return torch.clamp(src_len + max_len_b, min=1, max=model_max - 1)


@torch.no_grad()
def beam_search(
    model: Seq2SeqTransformer,
    src: torch.Tensor,
    *,
    bos_id: int,
    eos_id: int,
    pad_id: int,
    beam_size: int = 4,
    alpha: float = 0.6,
    temperature: float = 1.0,
    max_len_b: int = 50,
) -> Decoded:
    """Beam search for a batch of sources ``src`` (B, S) (pieces + EOS, padded); see module."""
    _check(temperature, beam_size)
    model.eval()
    k, device = beam_size, src.device
    b = src.shape[0]
    max_len = _max_lengths(src, pad_id, max_len_b, model.max_len)  # (B,)
    memory, src_mask = model.encode(src)
    # every beam of a sentence shares the sentence's memory; rows are sentence-major
    memory = memory.repeat_interleave(k, dim=0)  # (B*K, S, D)
    src_mask = src_mask.repeat_interleave(k, dim=0)
    tokens = torch.full((b * k, 1), bos_id, dtype=torch.int64, device=device)
    scores = torch.full((b, k), float("-inf"), device=device)
    scores[:, 0] = 0.0  # one live hypothesis (BOS) per sentence at the start
    active = torch.arange(b, device=device)  # original sentence of each active row
    finished: list[list[tuple[float, list[int]]]] = [[] for _ in range(b)]
    banned = sorted({pad_id, bos_id} - {eos_id})
    step = 0
    while active.numel():
        step += 1
        n = active.numel()
        force = (step >= max_len[active]).repeat_interleave(k)
        logp = _step_log_probs(
            model,
            memory,
            src_mask,
            tokens,
            temperature=temperature,
            banned=banned,
            eos_id=eos_id,
            force_eos=force,
        )
        vocab = logp.shape[1]
        cand = (scores.reshape(n * k, 1) + logp).reshape(n, k * vocab)
        top_val, top_idx = cand.topk(min(2 * k, k * vocab), dim=1)  # (n, 2K), best first
        beam_of, token_of = top_idx // vocab, top_idx % vocab
        is_eos = token_of.eq(eos_id) & torch.isfinite(top_val)

        # finish EOS continuations among the best K (fairseq): their score divided by lp(step)
        fin = is_eos[:, :k].nonzero().tolist()
        if fin:
            lp = float(length_penalty(step, alpha))
            vals, beams = top_val.tolist(), beam_of.tolist()
            host_tokens = tokens.tolist()
            for i, j in fin:
                row = i * k + beams[i][j]
                finished[int(active[i])].append((vals[i][j] / lp, host_tokens[row][1:]))

        # the best K non-EOS continuations stay live (sorted so that non-EOS come first)
        rank = is_eos.long() * (2 * k) + torch.arange(top_val.shape[1], device=device)
        keep = rank.topk(k, dim=1, largest=False).indices  # (n, K)
        new_scores = top_val.gather(1, keep)
        new_scores = torch.where(is_eos.gather(1, keep), float("-inf"), new_scores)
        src_rows = torch.arange(n, device=device)[:, None] * k + beam_of.gather(1, keep)
        tokens = torch.cat(
            [tokens[src_rows.reshape(-1)], token_of.gather(1, keep).reshape(-1, 1)], dim=1
        )
        scores = new_scores

        done = (
            torch.tensor([len(finished[int(s)]) >= k for s in active.tolist()], device=device)
            | (step >= max_len[active])
            | ~torch.isfinite(scores).any(1)
        )
        if bool(done.any()):
            keep_sent = (~done).nonzero().squeeze(1)
            rows = (keep_sent[:, None] * k + torch.arange(k, device=device)).reshape(-1)
            active, scores = active[keep_sent], scores[keep_sent]
            tokens, memory, src_mask = tokens[rows], memory[rows], src_mask[rows]

    out_tokens, out_scores = [], []
    for hyps in finished:
        best_score, best = max(hyps, key=lambda h: h[0])
        out_tokens.append(best)
        out_scores.append(best_score)
    return Decoded(out_tokens, out_scores)


@torch.no_grad()
def greedy(
    model: Seq2SeqTransformer,
    src: torch.Tensor,
    *,
    bos_id: int,
    eos_id: int,
    pad_id: int,
    alpha: float = 0.6,
    temperature: float = 1.0,
    max_len_b: int = 50,
) -> Decoded:
    """Greedy decoding (argmax at every step) of ``src`` (B, S); same limits as beam search.

    The chosen tokens do not depend on ``temperature``; the reported scores do (they use
    ``log_softmax(z / T)`` and ``lp`` as in beam search, so beam 1 and greedy agree exactly).
    """
    _check(temperature, 1)
    model.eval()
    b, device = src.shape[0], src.device
    max_len = _max_lengths(src, pad_id, max_len_b, model.max_len)
    memory, src_mask = model.encode(src)
    tokens = torch.full((b, 1), bos_id, dtype=torch.int64, device=device)
    total = torch.zeros(b, device=device)
    active = torch.arange(b, device=device)
    results: list[tuple[float, list[int]] | None] = [None] * b
    banned = sorted({pad_id, bos_id} - {eos_id})
    step = 0
    while active.numel():
        step += 1
        force = step >= max_len[active]
        logp = _step_log_probs(
            model,
            memory,
            src_mask,
            tokens,
            temperature=temperature,
            banned=banned,
            eos_id=eos_id,
            force_eos=force,
        )
        best_val, best_tok = logp.max(dim=1)
        total = total + best_val
        tokens = torch.cat([tokens, best_tok[:, None]], dim=1)
        done = best_tok.eq(eos_id)
        if bool(done.any()):
            lp = float(length_penalty(step, alpha))
            for i in done.nonzero().squeeze(1).tolist():
                results[int(active[i])] = (float(total[i]) / lp, tokens[i, 1:-1].tolist())
            keep = (~done).nonzero().squeeze(1)
            active, tokens, total = active[keep], tokens[keep], total[keep]
            memory, src_mask = memory[keep], src_mask[keep]
    return Decoded([r[1] for r in results], [r[0] for r in results])  # type: ignore[index]


@torch.no_grad()
def translate(
    model: Seq2SeqTransformer,
    src_ids: Sequence[Sequence[int]],
    *,
    bos_id: int,
    eos_id: int,
    pad_id: int,
    beam_size: int = 4,
    alpha: float = 0.6,
    temperature: float = 1.0,
    max_len_b: int = 50,
    max_sentences: int = 128,
    device: str | torch.device | None = None,
) -> Decoded:
    """Decode every source (piece ids without EOS), batched by length; results in input order.

    ``beam_size = 1`` runs :func:`greedy`. Returned tokens exclude EOS.
    """
    if device is None:
        device = next(model.parameters()).device
    order = sorted(range(len(src_ids)), key=lambda i: len(src_ids[i]))
    tokens: list[list[int]] = [[] for _ in src_ids]
    scores = [0.0] * len(src_ids)
    what = f"{'beam' if beam_size > 1 else 'greedy'} decoding at T = {temperature}"
    for start in progress(range(0, len(order), max_sentences), what, "batches"):
        chunk = order[start : start + max_sentences]
        src, _, _ = pad_batch(
            [src_ids[i] for i in chunk],
            [[] for _ in chunk],
            pad_id=pad_id,
            bos_id=bos_id,
            eos_id=eos_id,
        )
        kwargs = dict(
            bos_id=bos_id,
            eos_id=eos_id,
            pad_id=pad_id,
            alpha=alpha,
            temperature=temperature,
            max_len_b=max_len_b,
        )
        if beam_size == 1:
            out = greedy(model, src.to(device), **kwargs)
        else:
            out = beam_search(model, src.to(device), beam_size=beam_size, **kwargs)
        for i, toks, score in zip(chunk, out.tokens, out.scores, strict=True):
            tokens[i], scores[i] = toks, score
    return Decoded(tokens, scores)
