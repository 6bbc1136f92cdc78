"""Teacher-forced next-token evaluation: per-position calibration vectors (§3, Fig. 3, Table 3).

The paper measures calibration of the Transformer on "next-token prediction with the correct
prefix" on the validation set. For every non-pad target position ``t`` of every sentence (the
``pieces + EOS`` labels of :mod:`lsrepro.translation.batching`) the model sees the source and the
correct prefix ``BOS y_1 … y_{t-1}`` and predicts ``y_t`` over the full vocabulary (V classes;
PAD and BOS included, as in training). At temperature T, with logits z, the calibration core
(:func:`lsrepro.calibration.predictions_from_logits`, float64, the one place T is applied)
reduces each batch's logits to the :class:`~lsrepro.calibration.TopLabel` vectors:

* ``confidence`` = max_k softmax(z / T)_k
* ``correct``    = argmax_k z_k == y_t                     (independent of T)
* ``true_prob``  = softmax(z / T)_{y_t}; ``nll`` = -log of it (nats, kept as a log)
* ``is_eos``     = y_t == EOS                              (bool; ours, beside the core's)

Padding never enters (no IGNORE_INDEX position is reported). Logits are reduced on the model's
device batch by batch (token-count batches of at most ``max_tokens``), so no N×V matrix exists
beyond one batch's (B, T, V). Several temperatures share one forward pass. The vectors come out
ordered by (sentence, position), independent of the batching.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from lsrepro.calibration.core import (
    TopLabel,
    concat_predictions,
    predictions_from_logits,
)
from lsrepro.models.transformer import Seq2SeqTransformer
from lsrepro.progress import progress
from lsrepro.training.batches import IGNORE_INDEX
from lsrepro.translation.batching import length_batches, pad_batch


@dataclass(frozen=True)
class TokenPredictions:
    """The calibration core's :class:`~lsrepro.calibration.TopLabel` of N counted target
    positions (``top``: confidence, correct, true-class log-probability, ``sum_k p_k^2``, all
    float64), with what the translation stage adds: ``is_eos`` (bool), and ``sentence`` and
    ``position`` (int64), the row of the split and the index into ``pieces + EOS`` of each entry.
    """

    top: TopLabel
    is_eos: np.ndarray
    sentence: np.ndarray
    position: np.ndarray
    temperature: float

    def __len__(self) -> int:
        return self.top.n

    @property
    def confidence(self) -> np.ndarray:
        return self.top.confidence

    @property
    def correct(self) -> np.ndarray:
        """argmax == label, bool ``(N,)`` (the core holds it as 0.0/1.0)."""
        return self.top.correct.astype(bool)

    @property
    def true_prob(self) -> np.ndarray:
        return self.top.true_prob

    @property
    def nll(self) -> np.ndarray:
        """``-log p_{y_t}`` in nats, ``(N,)``."""
        return -self.top.true_logprob

    def select(self, mask: np.ndarray) -> TokenPredictions:
        """The entries where ``mask`` (N,) bool is True."""
        return TokenPredictions(
            self.top.take(mask),
            self.is_eos[mask],
            self.sentence[mask],
            self.position[mask],
            self.temperature,
        )

    def without_eos(self) -> TokenPredictions:
        return self.select(~self.is_eos)

    def summary(self) -> dict[str, float]:
        """Token count, accuracy and mean NLL (nats) of these positions (never empty: the core's
        vectors hold at least one entry)."""
        return {
            "tokens": len(self),
            "accuracy": float(self.correct.mean()),
            "nll": float(self.nll.mean()),
        }


def _device_of(model: torch.nn.Module, device: str | torch.device | None) -> torch.device:
    return torch.device(device) if device is not None else next(model.parameters()).device


def _batches(
    src_ids: Sequence[Sequence[int]],
    tgt_ids: Sequence[Sequence[int]],
    *,
    pad_id: int,
    bos_id: int,
    eos_id: int,
    max_tokens: int,
    device: torch.device,
) -> Iterator[tuple[np.ndarray, torch.Tensor, torch.Tensor, torch.Tensor]]:
    """(rows, src, tgt_in, tgt_out) on ``device``, sentences grouped by length."""
    if len(src_ids) != len(tgt_ids):
        raise ValueError(f"{len(src_ids)} sources but {len(tgt_ids)} targets")
    if not src_ids:
        raise ValueError("no sentence pairs to evaluate")
    src_len = np.array([len(x) for x in src_ids])
    tgt_len = np.array([len(y) for y in tgt_ids])
    order = np.lexsort((np.arange(len(src_ids)), src_len, tgt_len))
    for rows in length_batches(src_len, tgt_len, max_tokens, order):
        src, tgt_in, tgt_out = pad_batch(
            [src_ids[i] for i in rows],
            [tgt_ids[i] for i in rows],
            pad_id=pad_id,
            bos_id=bos_id,
            eos_id=eos_id,
        )
        yield rows, src.to(device), tgt_in.to(device), tgt_out.to(device)


def _counted(
    model: Seq2SeqTransformer, src: torch.Tensor, tgt_in: torch.Tensor, tgt_out: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Logits (n, V) float32 and labels (n,) of one batch's counted positions (labels other
    than IGNORE_INDEX), and their (B, T) mask."""
    mask = tgt_out.ne(IGNORE_INDEX)
    return model(src, tgt_in)[mask].float(), tgt_out[mask], mask


def logit_chunks(
    model: Seq2SeqTransformer,
    src_ids: Sequence[Sequence[int]],
    tgt_ids: Sequence[Sequence[int]],
    *,
    pad_id: int,
    bos_id: int,
    eos_id: int,
    max_tokens: int,
    device: str | torch.device | None = None,
) -> Callable[[], Iterator[tuple[torch.Tensor, torch.Tensor]]]:
    """A function returning a fresh stream of (logits (n, V) float32, labels (n,)) of the
    counted positions, recomputed on ``device`` batch by batch in the order of
    :func:`token_predictions` (the input of
    :func:`lsrepro.calibration.fit_temperature_chunks`: one forward pass per call)."""
    dev = _device_of(model, device)

    @torch.no_grad()
    def stream() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for _, src, tgt_in, tgt_out in _batches(
            src_ids,
            tgt_ids,
            pad_id=pad_id,
            bos_id=bos_id,
            eos_id=eos_id,
            max_tokens=max_tokens,
            device=dev,
        ):
            logits, labels, _ = _counted(model, src, tgt_in, tgt_out)
            yield logits, labels

    return stream


@torch.no_grad()
def token_predictions(
    model: Seq2SeqTransformer,
    src_ids: Sequence[Sequence[int]],
    tgt_ids: Sequence[Sequence[int]],
    *,
    pad_id: int,
    bos_id: int,
    eos_id: int,
    temperatures: Sequence[float] = (1.0,),
    max_tokens: int = 4096,
    device: str | torch.device | None = None,
) -> dict[float, TokenPredictions]:
    """Teacher-forced next-token vectors at each temperature (module docstring).

    Args:
        src_ids, tgt_ids: piece ids per pair, without BOS/EOS (as :meth:`Vocab.encode` returns).
        temperatures: T > 0; the core divides the logits by T before the softmax.
        max_tokens: padded tokens per forward pass (bounds the (B, T, V) logits held at once).

    Returns:
        ``{T: TokenPredictions}`` with the entries ordered by (sentence, position).
    """
    temps = [float(t) for t in temperatures]
    if not temps or not all(np.isfinite(t) and t > 0 for t in temps):
        raise ValueError(
            f"temperatures must be a non-empty list of finite values > 0, got {temperatures}"
        )
    model.eval()
    dev = _device_of(model, device)
    parts: dict[float, list[TopLabel]] = {t: [] for t in temps}
    where: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    batches = _batches(
        src_ids,
        tgt_ids,
        pad_id=pad_id,
        bos_id=bos_id,
        eos_id=eos_id,
        max_tokens=max_tokens,
        device=dev,
    )
    for rows, src, tgt_in, tgt_out in progress(
        batches, "token evaluation", "sentences", len(src_ids), size=lambda b: len(b[0])
    ):
        logits, labels, mask = _counted(model, src, tgt_in, tgt_out)  # (n, V), (n,), (B, T)
        b_idx, t_idx = mask.nonzero(as_tuple=True)
        where.append(
            (rows[b_idx.cpu().numpy()], t_idx.cpu().numpy(), labels.eq(eos_id).cpu().numpy())
        )
        for t in temps:  # the core applies T, on the logits' device, in float64
            parts[t].append(predictions_from_logits(logits, labels, t))
    sentence, position, is_eos = (np.concatenate(v) for v in zip(*where, strict=True))
    sentence, position = sentence.astype(np.int64), position.astype(np.int64)
    order = np.lexsort((position, sentence))
    return {
        t: TokenPredictions(
            concat_predictions(parts[t]).take(order),
            is_eos=is_eos.astype(bool)[order],
            sentence=sentence[order],
            position=position[order],
            temperature=t,
        )
        for t in temps
    }


def frequent_tokens(
    tgt_ids: Sequence[Sequence[int]], k: int, exclude: Sequence[int] = ()
) -> list[int]:
    """The ``k`` most frequent target piece ids (ties: smaller id first), ``exclude`` left out."""
    counts = np.bincount(np.concatenate([np.asarray(y, dtype=np.int64) for y in tgt_ids]))
    counts[[i for i in exclude if i < counts.size]] = 0
    order = np.lexsort((np.arange(counts.size), -counts))
    return [int(i) for i in order[:k] if counts[i] > 0]


@torch.no_grad()
def penultimate_for_tokens(
    model: Seq2SeqTransformer,
    src_ids: Sequence[Sequence[int]],
    tgt_ids: Sequence[Sequence[int]],
    token_ids: Sequence[int],
    *,
    pad_id: int,
    bos_id: int,
    eos_id: int,
    max_tokens: int = 4096,
    device: str | torch.device | None = None,
    with_predicted: bool = False,
) -> tuple[np.ndarray, ...]:
    """Decoder features at positions whose correct next token is one of ``token_ids`` (Fig. 7).

    The features are the model's ``features`` (decoder output after the final LayerNorm, the
    input of ``classifier``), so ``logits = features @ W.T`` with ``W`` the shared embedding and a
    zero bias; the templates of the projection (paper §1.1, App. B) are ``W[token_ids]``.

    Returns:
        ``features`` (N, D) float32, ``labels`` (N,) int64 = the true next token id, ordered by
        (sentence, position); with ``with_predicted`` also ``predicted`` (N,) int64 = argmax over
        the full vocabulary.
    """
    wanted = torch.as_tensor(sorted({int(t) for t in token_ids}), dtype=torch.int64)
    if wanted.numel() == 0:
        raise ValueError("token_ids is empty")
    model.eval()
    dev = _device_of(model, device)
    wanted = wanted.to(dev)
    feats, labels, preds, keys = [], [], [], []
    for rows, src, tgt_in, tgt_out in _batches(
        src_ids,
        tgt_ids,
        pad_id=pad_id,
        bos_id=bos_id,
        eos_id=eos_id,
        max_tokens=max_tokens,
        device=dev,
    ):
        mask = torch.isin(tgt_out, wanted)  # IGNORE_INDEX is never in the vocabulary
        if not bool(mask.any()):
            continue
        h = model.features(src, tgt_in)[mask]  # (n, D)
        feats.append(h.float().cpu().numpy())
        labels.append(tgt_out[mask].cpu().numpy())
        if with_predicted:
            preds.append(model.classifier(h).argmax(1).cpu().numpy())
        b_idx, t_idx = mask.nonzero(as_tuple=True)
        keys.append(np.stack([rows[b_idx.cpu().numpy()], t_idx.cpu().numpy()], axis=1))
    if not feats:
        raise ValueError(f"none of the tokens {sorted(wanted.tolist())} occurs as a target")
    key = np.concatenate(keys)
    order = np.lexsort((key[:, 1], key[:, 0]))
    out = (np.concatenate(feats)[order], np.concatenate(labels).astype(np.int64)[order])
    if with_predicted:
        out = (*out, np.concatenate(preds).astype(np.int64)[order])
    return out
