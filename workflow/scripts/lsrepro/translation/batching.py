"""Token-count batches of sentence pairs, a pure function of (seed, step) (BatchSource protocol).

Sequences (ids from :class:`lsrepro.data.vocab.Vocab`, which adds no specials):

* source  ``src``    = pieces + EOS                          (B, S)
* decoder ``tgt_in`` = BOS + pieces                          (B, T)
* labels  ``tgt_out``= pieces + EOS, padding = IGNORE_INDEX  (B, T)

Batch composition (fairseq's ``batch_by_size``): the pairs are ordered by (target length, source
length), ties broken by one seeded permutation, and cut greedily into batches holding as many
pairs as fit ``max_tokens`` counted *with padding* on both sides:
``rows * (max source length + 1) + rows * (max target length + 1) <= max_tokens``. The batches
are fixed for the run; epoch ``e`` visits them in a permutation drawn from
``step_seed(seed, e, STREAM_PERMUTATION)``, so step ``s`` is batch ``perm_e[s mod n]`` with
``e = s // n``: a pure function of (seed, s), which is what resumption relies on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from lsrepro.training.batches import IGNORE_INDEX, STREAM_PERMUTATION, Batch, step_seed

__all__ = [
    "IGNORE_INDEX",
    "Batch",
    "TokenBatches",
    "fitting_pairs",
    "longest_pair",
    "pad_batch",
    "pair_tokens",
]


def pair_tokens(src: Sequence[int], tgt: Sequence[int]) -> int:
    """Tokens one pair counts in a batch: source + EOS and BOS + target (no padding)."""
    return len(src) + len(tgt) + 2


def fitting_pairs(
    src_ids: Sequence[Sequence[int]],
    tgt_ids: Sequence[Sequence[int]],
    *,
    max_len: int,
    max_tokens: int,
) -> list[int]:
    """Indices of the pairs a model of ``max_len`` positions can train on in batches of
    ``max_tokens``: source + EOS and BOS + target each at most ``max_len`` tokens, the pair at
    most ``max_tokens`` (fairseq's ``--skip-invalid-size-inputs-valid-test`` leaves the rest out).
    """
    return [
        i
        for i, (x, y) in enumerate(zip(src_ids, tgt_ids, strict=True))
        if len(x) + 1 <= max_len and len(y) + 1 <= max_len and pair_tokens(x, y) <= max_tokens
    ]


def longest_pair(src_ids: Sequence[Sequence[int]], tgt_ids: Sequence[Sequence[int]]) -> int:
    """The most tokens (:func:`pair_tokens`) one pair of a split counts; 0 without pairs."""
    return max((pair_tokens(x, y) for x, y in zip(src_ids, tgt_ids, strict=True)), default=0)


def pad_batch(
    src_ids: Sequence[Sequence[int]],
    tgt_ids: Sequence[Sequence[int]],
    *,
    pad_id: int,
    bos_id: int,
    eos_id: int,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(src, tgt_in, tgt_out) int64 tensors of one batch (module docstring); labels padded -100."""
    if len(src_ids) != len(tgt_ids) or not src_ids:
        raise ValueError(
            f"need equally many (>0) sources and targets, got {len(src_ids)} and {len(tgt_ids)}"
        )
    b = len(src_ids)
    s = max(len(x) for x in src_ids) + 1
    t = max(len(y) for y in tgt_ids) + 1
    src = torch.full((b, s), pad_id, dtype=torch.int64)
    tgt_in = torch.full((b, t), pad_id, dtype=torch.int64)
    tgt_out = torch.full((b, t), IGNORE_INDEX, dtype=torch.int64)
    for i, (x, y) in enumerate(zip(src_ids, tgt_ids, strict=True)):
        src[i, : len(x)] = torch.as_tensor(list(x), dtype=torch.int64)
        src[i, len(x)] = eos_id
        tgt_in[i, 0] = bos_id
        tgt_in[i, 1 : len(y) + 1] = torch.as_tensor(list(y), dtype=torch.int64)
        tgt_out[i, : len(y)] = tgt_in[i, 1 : len(y) + 1]
        tgt_out[i, len(y)] = eos_id
    return src, tgt_in, tgt_out


def length_batches(
    src_len: np.ndarray, tgt_len: np.ndarray, max_tokens: int, order: np.ndarray
) -> list[np.ndarray]:
    """Cut ``order`` (indices sorted by length) into batches that fit ``max_tokens`` with padding.

    Lengths exclude BOS/EOS; each side costs ``rows * (max length + 1)`` tokens.
    """
    batches: list[np.ndarray] = []
    start, max_s, max_t = 0, 0, 0
    for pos, i in enumerate(order):
        s, t = int(src_len[i]) + 1, int(tgt_len[i]) + 1
        if s + t > max_tokens:
            raise ValueError(
                f"pair {int(i)} needs {s + t} tokens (source {s}, target {t} incl. EOS/BOS), "
                f"more than max_tokens={max_tokens}"
            )
        new_s, new_t = max(max_s, s), max(max_t, t)
        if (pos - start + 1) * (new_s + new_t) > max_tokens:
            batches.append(order[start:pos])
            start, new_s, new_t = pos, s, t
        max_s, max_t = new_s, new_t
    batches.append(order[start:])
    return batches


class TokenBatches:
    """BatchSource of token-count batches for the translation model (``Seq2SeqTransformer``).

    ``batch(step).inputs = (src (B, S), tgt_in (B, T))``, ``labels = tgt_out (B, T)`` with
    IGNORE_INDEX at padding, ``size`` = non-pad target tokens (EOS included), ``index`` = rows.

    Args:
        src_ids, tgt_ids: piece ids per pair, without BOS/EOS.
        max_tokens: padded source + target tokens per batch (the paper: 4,096).
        pad_id, bos_id, eos_id: the vocabulary's special ids.
        seed: run seed (tie-breaking of the length order and per-epoch batch order).
        device: where the tensors are put.
    """

    def __init__(
        self,
        src_ids: list[list[int]],
        tgt_ids: list[list[int]],
        max_tokens: int,
        pad_id: int,
        bos_id: int,
        eos_id: int,
        seed: int,
        device: str | torch.device = "cpu",
    ) -> None:
        if len(src_ids) != len(tgt_ids):
            raise ValueError(f"{len(src_ids)} sources but {len(tgt_ids)} targets")
        if not src_ids:
            raise ValueError("no sentence pairs")
        self.src_ids, self.tgt_ids = src_ids, tgt_ids
        self.max_tokens, self.seed, self.device = int(max_tokens), int(seed), torch.device(device)
        self.pad_id, self.bos_id, self.eos_id = pad_id, bos_id, eos_id
        self.num_examples = len(src_ids)
        src_len = np.array([len(x) for x in src_ids], dtype=np.int64)
        tgt_len = np.array([len(y) for y in tgt_ids], dtype=np.int64)
        ties = np.random.default_rng(step_seed(self.seed, 0, STREAM_PERMUTATION)).permutation(
            self.num_examples
        )
        # lexsort: last key primary -> by target length, then source length, then the permutation
        order = ties[np.lexsort((src_len[ties], tgt_len[ties]))]
        self.batches = length_batches(src_len, tgt_len, self.max_tokens, order)
        self._epoch_cache: tuple[int, np.ndarray] | None = None

    @property
    def batches_per_epoch(self) -> int:
        return len(self.batches)

    def epoch(self, steps_done: int) -> float:
        """Passes over the training pairs after ``steps_done`` steps (BatchSource protocol)."""
        return steps_done / self.batches_per_epoch

    def data_sha256(self) -> str:
        h = hashlib.sha256()
        for x, y in zip(self.src_ids, self.tgt_ids, strict=True):
            h.update(np.asarray(x, dtype=np.int32).tobytes() + b"|")
            h.update(np.asarray(y, dtype=np.int32).tobytes() + b"\n")
        return h.hexdigest()

    def identity(self) -> dict[str, Any]:
        return {
            "kind": "token_batches",
            "n": self.num_examples,
            "max_tokens": self.max_tokens,
            "batches_per_epoch": self.batches_per_epoch,
            "special_ids": [self.pad_id, self.bos_id, self.eos_id],
            "data_sha256": self.data_sha256(),
        }

    def _epoch_order(self, epoch: int) -> np.ndarray:
        if self._epoch_cache is None or self._epoch_cache[0] != epoch:
            rng = np.random.default_rng(step_seed(self.seed, epoch + 1, STREAM_PERMUTATION))
            self._epoch_cache = (epoch, rng.permutation(self.batches_per_epoch))
        return self._epoch_cache[1]

    def rows(self, step: int) -> np.ndarray:
        """Rows (pair indices) of the batch of ``step``."""
        if step < 0:
            raise ValueError(f"step must be >= 0, got {step}")
        epoch, offset = divmod(int(step), self.batches_per_epoch)
        return self.batches[int(self._epoch_order(epoch)[offset])]

    def batch(self, step: int) -> Batch:
        rows = self.rows(step)
        src, tgt_in, tgt_out = pad_batch(
            [self.src_ids[i] for i in rows],
            [self.tgt_ids[i] for i in rows],
            pad_id=self.pad_id,
            bos_id=self.bos_id,
            eos_id=self.eos_id,
        )
        size = int(tgt_out.ne(IGNORE_INDEX).sum())
        dev = self.device
        return Batch(
            index=torch.from_numpy(rows.astype(np.int64)).to(dev),
            inputs=(src.to(dev), tgt_in.to(dev)),
            labels=tgt_out.to(dev),
            size=size,
        )
