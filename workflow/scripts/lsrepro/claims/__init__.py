"""Verdicts on the paper's claims C1–C13, the extensions (★) and the paper-vs-ours table.

* :mod:`lsrepro.claims.stats` — the tests: Welch / paired / one-sample t and Spearman estimates
  on per-seed values, the claimed region (ordered, equivalence, non-superiority, band), the
  90 % interval decision, all_of/any_of/both, Holm.
* :mod:`lsrepro.claims.rules` — every sub-claim's statement, margin and rule, written once
  (:data:`~lsrepro.claims.rules.CLAIMS`), and the rule functions over per-seed values.
* :mod:`lsrepro.claims.read` — the input contract: reading the stage tables.
* :mod:`lsrepro.claims.tables` — ``claims.csv`` and the front-page verdict table.
* :mod:`lsrepro.claims.paper_vs_ours` — ``paper_vs_ours.csv``.
* :mod:`lsrepro.claims.scale` — the scale label of each row (steps, seeds, evaluation size).
"""

from lsrepro.claims.paper_vs_ours import paper_vs_ours, paper_vs_ours_frame
from lsrepro.claims.rules import CLAIMS, VERDICTS, Verdict
from lsrepro.claims.stats import Decision, Interval
from lsrepro.claims.tables import judge_claims, verdict_table

__all__ = [
    "CLAIMS",
    "VERDICTS",
    "Decision",
    "Interval",
    "Verdict",
    "judge_claims",
    "paper_vs_ours",
    "paper_vs_ours_frame",
    "verdict_table",
]
