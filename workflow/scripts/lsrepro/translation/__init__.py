"""Translation stage (paper §3, App. A.3, App. B): a label-smoothed Transformer EN→DE.

Modules, in the order data flows through them:

* :mod:`~lsrepro.data.corpus` — Multi30k task 1 (verified raw files, local mirror or
  download) or any parallel corpus from local text files; one :class:`Corpus` artifact.
* :mod:`~lsrepro.data.vocab` — the joint sentencepiece vocabulary, a pinned artifact.
* :mod:`~lsrepro.models.transformer` — the encoder–decoder Transformer (``torch.nn`` layers).
* :mod:`~lsrepro.translation.batching` — token-count batches, a pure function of (seed, step).
* :mod:`~lsrepro.translation.beam` — batched beam search and greedy decoding with temperature.
* :mod:`~lsrepro.translation.bleu` — sacrebleu BLEU (cased, uncased), chrF with signatures
  and the length ratio.
* :mod:`~lsrepro.translation.token_eval` — teacher-forced next-token calibration vectors
  (the calibration core's :class:`~lsrepro.calibration.TopLabel`, T applied by the core).
* :mod:`~lsrepro.translation.token_metrics` — one model's token tables (metrics with
  bootstrap intervals, reliability bins) from those vectors.
* :mod:`~lsrepro.translation.tables` — the stage's tables (per seed, over seeds, Table 3's
  EN-DE row, BLEU and length ratio vs beam size).
* :mod:`~lsrepro.translation.plan` (torch-free: targets, inputs, params, config checks; the
  run keys and paths in :mod:`lsrepro.runs`) and
  :mod:`~lsrepro.translation.files` (one function per rule).

The ``multi30k_transformer`` recipe (documented in :mod:`~lsrepro.models.transformer`) is a
4+4-layer pre-norm Transformer, d_model 256, 4 heads, FFN 1024, dropout 0.3, on a joint 8k
BPE vocabulary.
"""
