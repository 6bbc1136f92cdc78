"""Verdicts on the paper's claims C1–C13 and the paper-vs-ours table (issue 14).

:mod:`lsrepro.claims.rules` holds the decision rules (pure functions over intervals);
:mod:`lsrepro.claims.tables` reads the stage tables and writes ``claims.csv`` and
``paper_vs_ours.csv``.
"""

from lsrepro.claims.rules import VERDICTS, Interval, Verdict
from lsrepro.claims.tables import judge_claims, paper_vs_ours, paper_vs_ours_frame, verdict_table

__all__ = [
    "VERDICTS",
    "Interval",
    "Verdict",
    "judge_claims",
    "paper_vs_ours",
    "paper_vs_ours_frame",
    "verdict_table",
]
