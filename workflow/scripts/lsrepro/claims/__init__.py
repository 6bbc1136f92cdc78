"""Verdicts on the paper's claims C1–C13, the extensions (★) and the paper-vs-ours table.

The decision procedure (issue 18; a pre-registered study is judged with exactly this):

* Each sub-claim is one stated test on **per-seed** values, never on two summary intervals.
* Ordered claim "A better than B": the 90 % two-sided interval of the difference A − B (= a
  one-sided test at 5 %), Welch t over seeds, or paired t over seeds where both sides share
  (split, seed) and differ only in the treatment (α = 0 vs α > 0 of one experiment; one model at
  two temperatures; train vs val of one model). Supported: the interval entirely on the claimed
  side of 0; contradicted: entirely on the other side; else inconclusive.
* "Similar" / "small" claims: equivalence (TOST at 5 %); "no better" / "not worse":
  non-superiority / non-inferiority; each with a margin written in the rule, justified in
  :mod:`lsrepro.claims.rules`, printed in every row. Contradicted when the difference is shown
  beyond the margin.
* Fewer than 2 seeds per side (3 paired seeds) -> inconclusive with the reason; the point
  estimate's leaning is kept.
* Multiplicity: per sub-claim the two one-sided p-values; the decision p (the smaller) enters
  Holm over all sub-claims judged in one claims table. ``verdict_raw`` = each test alone,
  ``verdict`` = Holm-adjusted (the front page's verdict column).
* Every row carries the effect (claim unit and seed sd), the 90 % interval, p (raw, Holm), the
  test, the margin, the seeds per side and the scale it was measured at.
* Measured power: :mod:`lsrepro.claims.power`, ``benchmarks/results/decision_power.md``.

* :mod:`lsrepro.claims.stats` — the tests: Welch / paired / one-sample t and Spearman estimates
  on per-seed values, the claimed region (ordered, equivalence, non-superiority, band), the
  90 % interval decision, all_of/any_of/both, Holm.
* :mod:`lsrepro.claims.rules` — every sub-claim's statement, margin and rule, written once
  (:data:`~lsrepro.claims.rules.CLAIMS`), and the rule functions over per-seed values.
* :mod:`lsrepro.claims.read` — the input contract: reading the stage tables.
* :mod:`lsrepro.claims.tables` — ``claims.csv`` and the front-page verdict table.
* :mod:`lsrepro.claims.paper_vs_ours` — ``paper_vs_ours.csv``.
* :mod:`lsrepro.claims.scale` — the scale label of each row (steps, seeds, evaluation size).
* :mod:`lsrepro.claims.power` — the measured operating characteristics.
* :mod:`lsrepro.claims.reference` — shipped reference studies: quoted on the front page,
  packaged by ``reference/ship.py``.
* :mod:`lsrepro.claims.findings` — a shipped study's findings in Markdown (``FINDINGS.md``, the
  README's "What we found" tables).
"""

# No eager imports: the workflow imports lsrepro.claims.scale while building the DAG, which must
# not pull in scipy (or torch) — import the submodules themselves.
