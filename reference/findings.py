"""Rewrite a shipped study's FINDINGS.md from its tables and print README's findings block.

    python reference/findings.py reference/cpu_study [reference/cpu_study_cifar ...]

FINDINGS.md is generated (lsrepro.claims.findings.study_findings); reference/ship.py writes it
when a study is shipped. Run this when the generator changes without the study being shipped
again, and paste each printed block into README's "What we found" (tests/test_claims_findings.py
checks that README holds every shipped study's current verdict table).
"""

import argparse
from pathlib import Path

import pandas as pd

from lsrepro.claims.findings import FINDINGS_FILE, readme_block, study_findings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("studies", type=Path, nargs="+", help="shipped study directories")
    args = ap.parse_args()
    for study in args.studies:
        if not (study / "claims.csv").is_file():
            raise SystemExit(
                f"{study}: no claims.csv (not a shipped study; see reference/README.md)"
            )
        (study / FINDINGS_FILE).write_text(study_findings(study), encoding="utf-8")
        print(readme_block(study.name, pd.read_csv(study / "claims.csv")), end="")


if __name__ == "__main__":
    main()
