"""Corpus BLEU (cased and uncased) and chrF with sacrebleu, each with its signature string.

Hypotheses are detokenised text (sentencepiece-decoded, :meth:`Vocab.decode`) and references the
raw corpus text, one reference per sentence; sacrebleu applies its own standard tokenisation
(``13a``), so numbers are comparable across papers that report sacrebleu. The paper reports
*uncased* BLEU (t2t ``t2t_bleu``, §3); we report both uncased (``lowercase=True``) and cased.
Scores are on sacrebleu's 0–100 scale. The signatures (e.g.
``nrefs:1|case:lc|eff:no|tok:13a|smooth:exp|version:2.6.0``) go into every results table.

Beside every BLEU: sacrebleu's **length ratio** ``sys_len / ref_len`` (tokens of all hypotheses
over tokens of all references after its tokenisation, the BLEU object's ``.sys_len`` and
``.ref_len``), of the uncased BLEU (the paper's measure; lower-casing does not change a ``13a``
token count). Below 1 the brevity penalty ``BP = exp(1 - ref_len / sys_len)`` applies; the ratio
is the quantity the beam length bias (Liang et al. 2022) is about.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sacrebleu.metrics import BLEU, CHRF


@dataclass(frozen=True)
class TranslationScores:
    """Corpus-level scores (0–100) and the sacrebleu signature of each."""

    bleu: float
    bleu_signature: str
    bleu_uncased: float
    bleu_uncased_signature: str
    chrf: float
    chrf_signature: str
    sentences: int
    length_ratio: float
    sys_len: int
    ref_len: int

    def as_dict(self) -> dict:
        return asdict(self)


def corpus_scores(hypotheses: Sequence[str], references: Sequence[str]) -> TranslationScores:
    """BLEU (cased), BLEU (uncased), chrF and the length ratio of ``hypotheses`` against one
    reference each."""
    hyps, refs = list(hypotheses), list(references)
    if len(hyps) != len(refs):
        raise ValueError(f"{len(hyps)} hypotheses but {len(refs)} references")
    if not hyps:
        raise ValueError("no sentences to score")
    bad = [i for i, h in enumerate(hyps) if not isinstance(h, str)]
    if bad:
        raise TypeError(f"hypotheses must be detokenised strings; entry {bad[0]} is not")
    cased, uncased, chrf = BLEU(), BLEU(lowercase=True), CHRF()
    paper = uncased.corpus_score(hyps, [refs])
    return TranslationScores(
        bleu=float(cased.corpus_score(hyps, [refs]).score),
        bleu_signature=str(cased.get_signature()),
        bleu_uncased=float(paper.score),
        bleu_uncased_signature=str(uncased.get_signature()),
        chrf=float(chrf.corpus_score(hyps, [refs]).score),
        chrf_signature=str(chrf.get_signature()),
        sentences=len(hyps),
        length_ratio=float(paper.sys_len) / float(paper.ref_len) if paper.ref_len else math.nan,
        sys_len=int(paper.sys_len),
        ref_len=int(paper.ref_len),
    )
