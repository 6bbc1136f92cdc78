"""Encoder–decoder Transformer (Vaswani et al. 2017) from ``torch.nn``'s Transformer layers.

Architecture (paper §3 / App. A.3 used tensor2tensor's ``transformer_base``):

* ``nn.TransformerEncoderLayer`` / ``nn.TransformerDecoderLayer`` stacks (no hand-written
  attention), **pre-norm** (``norm_first=True``) with a final LayerNorm on each stack, as
  tensor2tensor's transformer_base (``layer_preprocess_sequence="n"``); pre-norm also trains
  without the careful warm-up post-norm needs on a small corpus. ReLU feed-forward.
* sinusoidal positions (a fixed buffer of ``max_len`` rows), added to token embeddings scaled by
  ``sqrt(d_model)``; dropout on the sum.
* one embedding matrix (V, D) for source tokens, target tokens and the output projection (a
  joint vocabulary), initialised N(0, D^-1/2) (t2t, fairseq), the pad row zero.
* ``classifier`` is an ``nn.Linear(D, V)`` whose ``weight`` **is** the embedding parameter and
  whose ``bias`` is a frozen zero vector (``requires_grad=False``): t2t's output layer has no
  bias; the zero bias keeps the ``features → classifier → logits`` interface of the image models
  (:mod:`lsrepro.models`) so the projection code reads templates ``[weight_k, 0]`` unchanged.

Shapes: ``src`` (B, S) and ``tgt_in`` (B, T) int64 token ids, padded with ``pad_id``;
``features`` (B, T, D) = decoder output after the final LayerNorm; ``logits`` (B, T, V)
unnormalised. Padding masks are derived from ``pad_id``; the decoder has a causal mask.

Recipe ``multi30k_transformer`` (config keys; the numbers below are the defaults we choose):
4 encoder + 4 decoder layers, d_model 256, 4 heads, FFN 1024, dropout 0.3, joint BPE 8k,
batches of 4,096 tokens, Adam (β2 0.98) with linear warm-up and inverse-square-root decay, label
smoothing α ∈ {0, 0.1}. This is the size at which public small-model Multi30k recipes report
~38–41 tokenised lowercased BLEU on test2016 (about 8M parameters with the 8k vocabulary).
The paper's ``wmt_transformer_base``: 6+6 layers, d_model 512, 8 heads, FFN 2048, dropout 0.1.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def sinusoidal_positions(max_len: int, d_model: int) -> torch.Tensor:
    """(max_len, d_model) float32: sin on even, cos on odd dimensions (Vaswani et al. §3.5)."""
    position = torch.arange(max_len, dtype=torch.float64)[:, None]
    rate = torch.exp(
        torch.arange(0, d_model, 2, dtype=torch.float64) * (-math.log(10000.0) / d_model)
    )
    table = torch.zeros(max_len, d_model, dtype=torch.float64)
    table[:, 0::2] = torch.sin(position * rate)
    table[:, 1::2] = torch.cos(position * rate[: d_model // 2])
    return table.float()


class Seq2SeqTransformer(nn.Module):
    """Pre-norm encoder–decoder Transformer with tied embeddings (module docstring)."""

    def __init__(
        self,
        *,
        vocab_size: int,
        pad_id: int,
        layers: int,
        d_model: int,
        heads: int,
        ffn: int,
        dropout: float,
        max_len: int = 256,
    ) -> None:
        super().__init__()
        if d_model % heads:
            raise ValueError(f"d_model {d_model} is not divisible by heads {heads}")
        if not 0 <= pad_id < vocab_size:
            raise ValueError(f"pad_id {pad_id} outside the vocabulary [0, {vocab_size})")
        if d_model % 2:
            raise ValueError(f"d_model must be even for sinusoidal positions, got {d_model}")
        self.pad_id, self.d_model, self.max_len = pad_id, d_model, max_len
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=pad_id)
        nn.init.normal_(self.embedding.weight, mean=0.0, std=d_model**-0.5)
        with torch.no_grad():
            self.embedding.weight[pad_id].zero_()
        self.register_buffer("positions", sinusoidal_positions(max_len, d_model), persistent=False)
        self.dropout = nn.Dropout(dropout)

        def encoder_layer() -> nn.TransformerEncoderLayer:
            return nn.TransformerEncoderLayer(
                d_model, heads, ffn, dropout, batch_first=True, norm_first=True
            )

        def decoder_layer() -> nn.TransformerDecoderLayer:
            return nn.TransformerDecoderLayer(
                d_model, heads, ffn, dropout, batch_first=True, norm_first=True
            )

        self.encoder = nn.TransformerEncoder(
            encoder_layer(), layers, norm=nn.LayerNorm(d_model), enable_nested_tensor=False
        )
        self.decoder = nn.TransformerDecoder(decoder_layer(), layers, norm=nn.LayerNorm(d_model))
        self.classifier = nn.Linear(d_model, vocab_size)
        self.classifier.weight = self.embedding.weight  # tied: the same Parameter
        self.classifier.bias.requires_grad_(False)
        with torch.no_grad():
            self.classifier.bias.zero_()

    @property
    def vocab_size(self) -> int:
        return self.embedding.num_embeddings

    def _embed(self, ids: torch.Tensor) -> torch.Tensor:
        if ids.shape[1] > self.max_len:
            raise ValueError(f"sequence length {ids.shape[1]} exceeds max_len {self.max_len}")
        x = self.embedding(ids) * math.sqrt(self.d_model)  # (B, L, D)
        return self.dropout(x + self.positions[: ids.shape[1]])

    def encode(self, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Encoder memory (B, S, D) and the source padding mask (B, S) bool, True = padding."""
        src_mask = src.eq(self.pad_id)
        return self.encoder(self._embed(src), src_key_padding_mask=src_mask), src_mask

    def decode(
        self, memory: torch.Tensor, src_mask: torch.Tensor, tgt_in: torch.Tensor
    ) -> torch.Tensor:
        """Decoder features (B, T, D) for every prefix position of ``tgt_in`` (B, T)."""
        t = tgt_in.shape[1]
        causal = torch.ones(t, t, dtype=torch.bool, device=tgt_in.device).triu(1)
        return self.decoder(
            self._embed(tgt_in),
            memory,
            tgt_mask=causal,
            tgt_key_padding_mask=tgt_in.eq(self.pad_id),
            memory_key_padding_mask=src_mask,
        )

    def features(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Decoder outputs before the output projection: (B, T, D)."""
        memory, src_mask = self.encode(src)
        return self.decode(memory, src_mask, tgt_in)

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Next-token logits (B, T, V) for every position of the teacher-forced ``tgt_in``."""
        return self.classifier(self.features(src, tgt_in))

    def decode_step(
        self, memory: torch.Tensor, src_mask: torch.Tensor, prefix: torch.Tensor
    ) -> torch.Tensor:
        """Logits (N, V) of the token after ``prefix`` (N, t) (BOS first, no padding).

        Recomputes the whole prefix (``nn.TransformerDecoder`` has no key/value cache); fine for
        sentences of tens of tokens.
        """
        return self.classifier(self.decode(memory, src_mask, prefix)[:, -1])


def build_transformer(
    *,
    vocab_size: int,
    pad_id: int,
    layers: int,
    d_model: int,
    heads: int,
    ffn: int,
    dropout: float,
    max_len: int = 256,
) -> Seq2SeqTransformer:
    """The translation model of the registry: ``layers`` encoder and ``layers`` decoder layers."""
    return Seq2SeqTransformer(
        vocab_size=vocab_size,
        pad_id=pad_id,
        layers=layers,
        d_model=d_model,
        heads=heads,
        ffn=ffn,
        dropout=dropout,
        max_len=max_len,
    )
