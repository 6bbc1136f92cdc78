"""Penultimate-layer projection of the Transformer's next-token predictions (paper App. B, Fig. 7).

The image projection (§2, Fig. 1; :mod:`lsrepro.representation.projection`) applied to next-token
prediction with the correct prefix (teacher forcing): the "examples" are target positions whose
correct next token is one of three chosen pieces, the "penultimate activations" are the decoder
outputs after the final LayerNorm (``Seq2SeqTransformer.features``, D dims) and the "templates" are
the three rows of the tied output embedding, ``logits = features @ E.T + b`` with ``b`` the frozen
zero bias. :func:`token_projection_arrays` packs them in the evaluation-artifact form that
:func:`lsrepro.representation.projection.projection_panel` takes, so the plane, axes and units are
exactly Fig. 1's; :func:`lsrepro.translation.files.translation_projection_file` draws the row
train/val × α = 0/α (rule ``project_translation``).

Our choices where the paper is silent ("Tokens used: NOT FOUND"):

* **Tokens.** Either the config's three pieces (``translation.projection.tokens``), or, when
  that is null, the three most frequent pieces of the training targets that are *content
  words*: a whole-word piece (starts with ``▁``) of letters only, at least
  :data:`MIN_LETTERS` letters, starting with an upper-case letter, and the first piece of its
  sentence in at most :data:`MAX_SENTENCE_INITIAL` of its training occurrences; it must also
  occur at least ``per_class`` times as a target in both the training and the validation split.
  For a German target (the paper's EN→DE) that selects nouns (on Multi30k, with the 2k and the
  8k vocabulary: ``▁Mann``, ``▁Frau``, ``▁Menschen`` at ``per_class`` 100, ``▁Mädchen`` third at
  50) and leaves out PAD/BOS/EOS, punctuation, short pieces, word fragments, the
  lower-case determiners and prepositions that top the frequency list (``▁einem``, ``▁in``,
  ``▁und``) and the capitalised sentence-initial ones (``▁Ein``, ``▁Eine``, ``▁Zwei``). If
  fewer than three pieces pass (a target language without capitalised nouns), the two
  capitalisation conditions are dropped, with a warning; if still fewer, an error asks for
  explicit ``tokens``. The pieces' order (by training frequency, or as configured) fixes the
  projection axes.
* **Positions.** Per split, the sentences are taken in a seeded random order up to the first
  prefix holding ``per_class`` occurrences of every token (so the training split is not run in
  full), then :func:`lsrepro.representation.projection.select_examples` draws ``per_class``
  positions per token
  with the same seed. Both models see the same sentences and positions.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import torch

from lsrepro.translation.token_eval import frequent_tokens, penultimate_for_tokens

log = logging.getLogger(__name__)

#: SentencePiece's word-boundary marker (U+2581) that starts every whole-word piece.
WORD_START = "\u2581"
#: Letters a content piece has at least (drops "▁in", "▁an", single letters).
MIN_LETTERS = 3
#: Largest share of a content piece's training occurrences that may open a sentence (drops
#: capitalised sentence-initial determiners such as "▁Ein", "▁Zwei").
MAX_SENTENCE_INITIAL = 0.5
PANEL_SPLITS = ("train", "val")


@torch.no_grad()
def token_projection_arrays(
    model: torch.nn.Module,
    src_ids: Sequence[Sequence[int]],
    tgt_ids: Sequence[Sequence[int]],
    token_ids: Sequence[int],
    *,
    pad_id: int,
    bos_id: int,
    eos_id: int,
    max_tokens: int = 4096,
    device: str | torch.device | None = None,
    class_names: Sequence[str] | None = None,
) -> dict[str, np.ndarray]:
    """Evaluation-like arrays of the next-token positions of ``token_ids`` (Fig. 7).

    Args:
        model: a :class:`~lsrepro.models.transformer.Seq2SeqTransformer` (tied embeddings).
        src_ids, tgt_ids: piece ids per sentence pair, without BOS/EOS.
        token_ids: K distinct piece ids (the paper's projection uses K = 3); their order is the
            class order (class k = ``token_ids[k]``).
        class_names: K names (e.g. the pieces); default the ids as strings.

    Returns:
        ``features`` (N, D) float32 decoder outputs at the positions whose correct next token is
        in ``token_ids``, ordered by (sentence, position); ``labels`` (N,) int64 in 0..K-1;
        ``weight`` (K, D) float32 = rows ``token_ids`` of the tied output embedding; ``bias``
        (K,) float32 = the classifier's bias rows (frozen at 0), so
        ``features @ weight.T + bias`` are the model's logits of these K tokens;
        ``class_names`` (K,) str; ``index`` (N,) int64 = rank in (sentence, position) order;
        ``sentence`` and ``position`` (N,) int64 = row in ``tgt_ids`` and index into
        ``pieces + EOS``; ``predicted`` (N,) int64 = argmax over the *full* vocabulary (a
        piece id, not a class).
    """
    ids = [int(t) for t in token_ids]
    if len(set(ids)) != len(ids) or not ids:
        raise ValueError(f"token_ids must be distinct and non-empty, got {ids}")
    vocab_size = int(model.classifier.weight.shape[0])
    bad = [t for t in ids if not 0 <= t < vocab_size]
    if bad:
        raise ValueError(f"token ids {bad} are outside the model's vocabulary of {vocab_size}")
    names = [str(t) for t in ids] if class_names is None else [str(n) for n in class_names]
    if len(names) != len(ids):
        raise ValueError(f"{len(names)} class_names for {len(ids)} token_ids")
    feats, labels, predicted = penultimate_for_tokens(
        model,
        src_ids,
        tgt_ids,
        ids,
        pad_id=pad_id,
        bos_id=bos_id,
        eos_id=eos_id,
        max_tokens=max_tokens,
        device=device,
        with_predicted=True,
    )
    # The positions in the same (sentence, position) order as penultimate_for_tokens returns.
    wanted = set(ids)
    where = [
        (i, p)
        for i, y in enumerate(tgt_ids)
        for p, tok in enumerate([*y, eos_id])
        if int(tok) in wanted
    ]
    sentence = np.array([w[0] for w in where], dtype=np.int64)
    position = np.array([w[1] for w in where], dtype=np.int64)
    label_ids = np.array([[*tgt_ids[i], eos_id][p] for i, p in where], dtype=np.int64)
    if not np.array_equal(label_ids, labels):
        raise RuntimeError("penultimate_for_tokens returned positions in an unexpected order")
    remap = {t: k for k, t in enumerate(ids)}
    rows = torch.as_tensor(ids, dtype=torch.int64, device=model.classifier.weight.device)
    return {
        "features": feats,
        "labels": np.array([remap[int(t)] for t in labels], dtype=np.int64),
        "weight": model.classifier.weight[rows].float().cpu().numpy(),
        "bias": model.classifier.bias[rows].float().cpu().numpy(),
        "class_names": np.array(names),
        "index": np.arange(labels.shape[0], dtype=np.int64),
        "sentence": sentence,
        "position": position,
        "predicted": predicted,
    }


def _target_counts(tgt_ids: Sequence[Sequence[int]], size: int) -> np.ndarray:
    flat = [int(t) for y in tgt_ids for t in y]
    return np.bincount(np.asarray(flat, dtype=np.int64), minlength=size)[:size]


def content_tokens(
    pieces: Sequence[str],
    train_tgt: Sequence[Sequence[int]],
    val_tgt: Sequence[Sequence[int]],
    *,
    per_class: int,
    count: int = 3,
    specials: Sequence[int] = (),
) -> list[int]:
    """The ``count`` most frequent content pieces of the training targets (module docstring).

    Args:
        pieces: piece string of every id (``Vocab.pieces()``).
        train_tgt, val_tgt: target piece ids per sentence of the training and validation split.
        per_class: occurrences each piece needs in both splits.
        specials: ids never chosen (PAD, BOS, EOS, UNK).

    Returns:
        ``count`` piece ids, most frequent first.
    """
    size = len(pieces)
    train_counts = _target_counts(train_tgt, size)
    val_counts = _target_counts(val_tgt, size)
    initial = _target_counts([y[:1] for y in train_tgt], size)
    ranked = frequent_tokens(train_tgt, size, exclude=specials)

    def word(t: int) -> str:
        p = pieces[t]
        return p[len(WORD_START) :] if p.startswith(WORD_START) else ""

    def plain(t: int) -> bool:
        w = word(t)
        return (
            w.isalpha()
            and len(w) >= MIN_LETTERS
            and train_counts[t] >= per_class
            and val_counts[t] >= per_class
        )

    def noun_like(t: int) -> bool:
        return word(t)[:1].isupper() and initial[t] <= MAX_SENTENCE_INITIAL * train_counts[t]

    chosen = [t for t in ranked if plain(t) and noun_like(t)][:count]
    if len(chosen) < count:
        relaxed = [t for t in ranked if plain(t)][:count]
        log.warning(
            "only %d capitalised content pieces occur >= %d times in train and val; choosing "
            "among all whole-word letter pieces instead: %s",
            len(chosen),
            per_class,
            [pieces[t] for t in relaxed],
        )
        chosen = relaxed
    if len(chosen) < count:
        raise ValueError(
            f"only {len(chosen)} whole-word pieces of >= {MIN_LETTERS} letters occur >= "
            f"{per_class} times in both the training and validation targets; lower "
            f"translation.projection.per_class or name {count} pieces in "
            f"translation.projection.tokens"
        )
    return chosen


def covering_rows(
    tgt_ids: Sequence[Sequence[int]], token_ids: Sequence[int], per_class: int, seed: int
) -> np.ndarray:
    """Sorted sentence rows: the shortest prefix of a seeded permutation of the split holding
    ``per_class`` occurrences (as targets) of every token; all rows when no prefix does."""
    ids = np.asarray(list(token_ids), dtype=np.int64)
    order = np.random.default_rng([int(seed), len(tgt_ids)]).permutation(len(tgt_ids))
    hits = np.zeros(ids.size, dtype=np.int64)
    for n, row in enumerate(order, start=1):
        y = np.asarray(tgt_ids[row], dtype=np.int64)
        hits += (y[:, None] == ids[None, :]).sum(axis=0)
        if (hits >= per_class).all():
            return np.sort(order[:n])
    return np.arange(len(tgt_ids))


def resolve_tokens(pieces: Sequence[str], tokens: Sequence[str]) -> list[int]:
    names = [str(t) for t in tokens]
    if len(names) != 3 or len(set(names)) != 3:
        raise ValueError(f"translation.projection.tokens: need 3 distinct pieces, got {names}")
    index = {p: i for i, p in enumerate(pieces)}
    unknown = [t for t in names if t not in index]
    if unknown:
        raise ValueError(
            f"translation.projection.tokens: {unknown} are not pieces of the vocabulary "
            f"(whole-word pieces start with {WORD_START!r}, e.g. {WORD_START}Mann)"
        )
    return [index[t] for t in names]


def figure_tokens(
    pieces: Sequence[str],
    train_tgt: Sequence[Sequence[int]],
    val_tgt: Sequence[Sequence[int]],
    tokens: Sequence[str] | None,
    *,
    per_class: int,
    specials: Sequence[int],
) -> list[int]:
    """Fig. 7's three piece ids in axis order: ``tokens`` by name (:func:`resolve_tokens`), or
    for None the content-piece rule (:func:`content_tokens`)."""
    if tokens is None:
        return content_tokens(pieces, train_tgt, val_tgt, per_class=per_class, specials=specials)
    return resolve_tokens(pieces, tokens)
