"""Teacher-forced next-token evaluation: per-position calibration vectors (§3, Fig. 3, Table 3).

The paper measures calibration of the Transformer on "next-token prediction with the correct
prefix" on the validation set. For every non-pad target position ``t`` of every sentence (the
``pieces + EOS`` labels of :mod:`lsrepro.translation.batching`) the model sees the source and the
correct prefix ``BOS y_1 … y_{t-1}`` and predicts ``y_t`` over the full vocabulary (V classes;
PAD and BOS included, as in training). At temperature T, with logits z:

* ``confidence`` = max_k softmax(z / T)_k                          (float64)
* ``correct``    = argmax_k z_k == y_t                                 (bool; independent of T)
* ``true_prob``  = softmax(z / T)_{y_t}                               (float64)
* ``nll``        = -log softmax(z / T)_{y_t}  (nats, from log_softmax) (float64)
* ``is_eos``     = y_t == EOS                                          (bool)

Padding never enters (no IGNORE_INDEX position is reported). Logits are reduced on the model's
device batch by batch (token-count batches of at most ``max_tokens``), so no N×V matrix exists
beyond one batch's (B, T, V). Several temperatures share one forward pass. The vectors come out
ordered by (sentence, position), independent of the batching.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields

import numpy as np
import torch

from lsrepro.models.transformer import Seq2SeqTransformer
from lsrepro.progress import progress
from lsrepro.training.batches import IGNORE_INDEX
from lsrepro.translation.batching import length_batches, pad_batch


@dataclass(frozen=True)
class TokenPredictions:
    """Per-position vectors (module docstring), all of length N = counted target positions.

    ``sentence`` and ``position`` (int64) locate each entry: row of the split and index into
    ``pieces + EOS``.
    """

    confidence: np.ndarray
    correct: np.ndarray
    true_prob: np.ndarray
    nll: np.ndarray
    is_eos: np.ndarray
    sentence: np.ndarray
    position: np.ndarray
    temperature: float

    def __len__(self) -> int:
        return int(self.confidence.shape[0])

    def select(self, mask: np.ndarray) -> TokenPredictions:
        """The entries where ``mask`` (N,) bool is True."""
        arrays = {
            f.name: getattr(self, f.name)[mask] for f in fields(self) if f.name != "temperature"
        }
        return TokenPredictions(**arrays, temperature=self.temperature)

    def without_eos(self) -> TokenPredictions:
        return self.select(~self.is_eos)

    def summary(self) -> dict[str, float]:
        """Token count, accuracy and mean NLL (nats) of these positions."""
        return {
            "tokens": len(self),
            "accuracy": float(self.correct.mean()) if len(self) else float("nan"),
            "nll": float(self.nll.mean()) if len(self) else float("nan"),
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
            mask = tgt_out.ne(IGNORE_INDEX)
            yield model(src, tgt_in)[mask].float(), tgt_out[mask]

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
        temperatures: T > 0; logits are divided by T before the softmax.
        max_tokens: padded tokens per forward pass (bounds the (B, T, V) logits held at once).

    Returns:
        ``{T: TokenPredictions}`` with the entries ordered by (sentence, position).
    """
    temps = [float(t) for t in temperatures]
    if not temps or any(not t > 0 for t in temps):
        raise ValueError(f"temperatures must be a non-empty list of values > 0, got {temperatures}")
    model.eval()
    dev = _device_of(model, device)
    parts: dict[float, list[dict[str, torch.Tensor]]] = {t: [] for t in temps}
    where: list[tuple[np.ndarray, np.ndarray]] = []
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
        mask = tgt_out.ne(IGNORE_INDEX)  # (B, T)
        logits = model(src, tgt_in)[mask].float()  # (n, V): counted positions only
        labels = tgt_out[mask]  # (n,)
        b_idx, t_idx = mask.nonzero(as_tuple=True)
        where.append((rows[b_idx.cpu().numpy()], t_idx.cpu().numpy()))
        correct = logits.argmax(1).eq(labels)
        for t in temps:
            logp = torch.log_softmax(logits / t, dim=1)
            parts[t].append(
                {
                    "max_logp": logp.max(1).values.cpu(),
                    "true_logp": logp.gather(1, labels[:, None])[:, 0].cpu(),
                    "correct": correct.cpu(),
                    "is_eos": labels.eq(eos_id).cpu(),
                }
            )
    sentence = np.concatenate([w[0] for w in where]).astype(np.int64)
    position = np.concatenate([w[1] for w in where]).astype(np.int64)
    order = np.lexsort((position, sentence))
    out = {}
    for t in temps:
        cat = {k: torch.cat([p[k] for p in parts[t]]).numpy()[order] for k in parts[t][0]}
        true_logp = cat["true_logp"].astype(np.float64)
        out[t] = TokenPredictions(
            confidence=np.exp(cat["max_logp"].astype(np.float64)),
            correct=cat["correct"].astype(bool),
            true_prob=np.exp(true_logp),
            nll=-true_logp,
            is_eos=cat["is_eos"].astype(bool),
            sentence=sentence[order],
            position=position[order],
            temperature=t,
        )
    return out


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
