"""Package a finished, judged study as a reference study: reference/<study>/ (see README.md here).

    python reference/ship.py --results /work/study/code/results --code /work/study/code \
        --configfile presets/cpu_study.yaml --out reference/cpu_study

Copies claims.csv, verdicts.csv, paper_vs_ours.csv, the stage tables and the PNG figures of the
study's results/ and writes provenance.json (lsrepro.claims.reference.ship): the commit the runs
were made with (--code, the study's clone), the commit of this checkout (whose judge_claims wrote
the verdicts), the config files' digest, the library versions each model.pt recorded, the
machine and the wall time per stage (history.csv of every training, benchmark files otherwise).
"""

import argparse
import subprocess
from pathlib import Path

import torch

from lsrepro.claims.reference import ship


def _commit(path: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(path), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", type=Path, required=True, help="the study's results/ directory")
    ap.add_argument("--code", type=Path, required=True, help="the study's code checkout (git)")
    ap.add_argument(
        "--configfile",
        type=Path,
        nargs="+",
        required=True,
        help="the config files the study ran with, relative to --code, in order",
    )
    ap.add_argument("--out", type=Path, required=True, help="reference/<study>")
    args = ap.parse_args()
    models = sorted(args.results.glob("train/**/model.pt")) + sorted(
        args.results.glob("distill/**/model.pt")
    )
    metadata = [torch.load(p, map_location="cpu", weights_only=False)["metadata"] for p in models]
    record = ship(
        args.results,
        args.out,
        config_files=[args.code / "config.yaml", *(args.code / f for f in args.configfile)],
        commit=_commit(args.code),
        judged_with=_commit(Path(__file__).resolve().parent),
        run_metadata=metadata,
    )
    print(
        f"shipped {args.out}: {record['runs']['models']} models, "
        f"{record['wall_s']['total'] / 3600:.2f} h of wall time"
    )


if __name__ == "__main__":
    main()
