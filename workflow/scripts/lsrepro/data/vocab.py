"""The joint subword vocabulary: one sentencepiece BPE model for source and target.

Choices (the paper used tensor2tensor's own ~32k subword vocabulary for WMT; for Multi30k the
public small-model recipes use a joint BPE of ~8–10k):

* **BPE** (``model_type="bpe"``), joint over both languages, because the source and target share
  one embedding matrix (:mod:`lsrepro.models.transformer` ties them) and English and German share
  most characters and many subwords (names, numbers). Default size 8,000 (config key).
* trained on the **training split only**, source sentences then target sentences, every sentence
  used (``input_sentence_size=0``: no sampling), ``character_coverage=1.0`` (every training
  character gets a piece), sentencepiece's default ``nmt_nfkc`` normalisation.
* **deterministic**: one training thread, no input shuffling, so the same sentences give the same
  model file byte for byte (tested by training twice); the model file is the pinned artifact and
  its sha256 (:attr:`Vocab.sha256`) enters every downstream artifact.
* fixed special ids: ``PAD_ID = 0``, ``UNK_ID = 1``, ``BOS_ID = 2``, ``EOS_ID = 3``. Encoding
  returns pieces only; BOS/EOS are added by :mod:`lsrepro.translation.batching` (source: pieces +
  EOS; decoder input: BOS + pieces; decoder target: pieces + EOS).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sentencepiece as spm

from lsrepro.integrity import ArtifactError, reading, rebuild
from lsrepro.io import atomic_write, write_json

log = logging.getLogger(__name__)

PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3
MODEL_TYPES = ("bpe", "unigram")


class VocabError(ValueError):
    """Bad vocabulary input (empty corpus, unknown model type, digest mismatch)."""


class Vocab:
    """A loaded sentencepiece model with its sha256 and fixed special ids.

    Attributes:
        model_bytes: the serialised model (the artifact's exact bytes).
        sha256: hex digest of ``model_bytes``.
    """

    pad_id, unk_id, bos_id, eos_id = PAD_ID, UNK_ID, BOS_ID, EOS_ID

    def __init__(self, model_bytes: bytes) -> None:
        self.model_bytes = bytes(model_bytes)
        self.sha256 = hashlib.sha256(self.model_bytes).hexdigest()
        self.sp = spm.SentencePieceProcessor(model_proto=self.model_bytes)
        ids = (self.sp.pad_id(), self.sp.unk_id(), self.sp.bos_id(), self.sp.eos_id())
        if ids != (PAD_ID, UNK_ID, BOS_ID, EOS_ID):
            raise VocabError(
                f"sentencepiece model has (pad, unk, bos, eos) ids {ids}, "
                f"expected {(PAD_ID, UNK_ID, BOS_ID, EOS_ID)}"
            )

    def __len__(self) -> int:
        return int(self.sp.get_piece_size())

    @property
    def size(self) -> int:
        return len(self)

    def pieces(self) -> list[str]:
        """Piece string of every id (index = id), e.g. class names for the Fig. 7 projection."""
        return [self.sp.id_to_piece(i) for i in range(len(self))]

    def encode(self, sentences: Sequence[str]) -> list[list[int]]:
        """Piece ids of each sentence, without BOS/EOS."""
        return [list(ids) for ids in self.sp.encode(list(sentences), out_type=int)]

    def decode(self, ids: Sequence[Sequence[int]]) -> list[str]:
        """Detokenised text of each id sequence; special ids (pad, bos, eos) are dropped."""
        special = {PAD_ID, BOS_ID, EOS_ID}
        return [self.sp.decode([int(i) for i in seq if int(i) not in special]) for seq in ids]

    def identity(self) -> dict:
        return {
            "sha256": self.sha256,
            "size": len(self),
            "pad": PAD_ID,
            "bos": BOS_ID,
            "eos": EOS_ID,
            "unk": UNK_ID,
        }


def train_vocab(
    sentences: Sequence[str],
    *,
    vocab_size: int = 8000,
    model_type: str = "bpe",
    character_coverage: float = 1.0,
) -> Vocab:
    """Train a joint sentencepiece model on ``sentences`` (training split, both languages).

    Deterministic: single thread, no sampling or shuffling of the input (module docstring).
    """
    if model_type not in MODEL_TYPES:
        raise VocabError(f"model_type {model_type!r} not in {MODEL_TYPES}")
    sentences = [s for s in sentences if s.strip()]
    if not sentences:
        raise VocabError("cannot train a vocabulary on an empty corpus")
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_writer=buffer,
        vocab_size=vocab_size,
        model_type=model_type,
        character_coverage=character_coverage,
        pad_id=PAD_ID,
        unk_id=UNK_ID,
        bos_id=BOS_ID,
        eos_id=EOS_ID,
        input_sentence_size=0,
        shuffle_input_sentence=False,
        num_threads=1,
        minloglevel=2,
    )
    return Vocab(buffer.getvalue())


def vocab_record_path(path: Path | str) -> Path:
    """The record :func:`save_vocab` writes beside the model: ``vocab.model`` -> ``vocab.json``."""
    return Path(path).with_suffix(".json")


def save_vocab(vocab: Vocab, path: Path | str, **facts: Any) -> str:
    """Write the model file (the pinned artifact) and its record (sha256, size and ``facts``,
    e.g. the corpus digest); returns the sha256. Every :func:`load_vocab` checks the file
    against the record, so a vocabulary changed in place is never used."""
    record = {"sha256": vocab.sha256, "size": len(vocab), **facts}
    write_json(vocab_record_path(path), record)
    atomic_write(path, lambda f: f.write(vocab.model_bytes))
    return vocab.sha256


def read_vocab_record(path: Path | str) -> dict[str, Any] | None:
    """The record beside a model file, or None (a file written before records existed)."""
    record = vocab_record_path(path)
    if not record.is_file():
        return None
    with reading(record, "vocabulary record", "train_vocabulary"):
        return json.loads(record.read_text())


def load_vocab(path: Path | str, expected_sha256: str | None = None) -> Vocab:
    """Load a model file, checked against the sha256 its record holds (and ``expected_sha256``,
    e.g. the one a model was trained on); every mismatch or unreadable file names the path."""
    path = Path(path)
    with reading(path, "vocabulary", "train_vocabulary"):
        vocab = Vocab(path.read_bytes())
    record = read_vocab_record(path)
    if record is None:
        log.warning(
            "%s: no %s beside it (written before records); not checked",
            path,
            vocab_record_path(path).name,
        )
    elif record["sha256"] != vocab.sha256:
        raise ArtifactError(
            f"{path}: vocabulary sha256 {vocab.sha256[:16]} does not match the "
            f"{record['sha256'][:16]} train_vocabulary recorded in {vocab_record_path(path)}: "
            f"the file was changed after it was written; {rebuild(path, 'train_vocabulary')}"
        )
    if expected_sha256 is not None and vocab.sha256 != expected_sha256:
        raise VocabError(
            f"{path}: vocabulary sha256 mismatch, expected {expected_sha256}, got {vocab.sha256}"
        )
    return vocab
