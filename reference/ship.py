"""Package a finished, judged study as a reference study: reference/<study>/ (see README.md here).

    python reference/ship.py --results /work/study/code/results --code /work/study/code \
        --configfile config.yaml presets/cpu_study.yaml presets/cpu_study_lr_grid.yaml \
        --judged-with <commit that ran judge_claims> --out reference/cpu_study

Copies claims.csv, verdicts.csv, paper_vs_ours.csv, the stage tables and the PNG figures of the
study's results/ and writes provenance.json (lsrepro.claims.reference.ship): the commit of the
study's checkout (--code), the commit whose judge_claims wrote the verdicts (--judged-with), each
config file's sha256, the library versions, commit, device and threads each model.pt recorded,
the machine, the runs that failed, and the wall time per stage (history.csv of every training,
benchmark files otherwise, and per experiment for training), then FINDINGS.md from the shipped
tables (lsrepro.claims.findings): the verdict table README's "What we found" quotes.
"""

import argparse
from pathlib import Path

import torch

from lsrepro.claims.reference import TRAINED_RULES, ship
from lsrepro.runtime import git_commit


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", type=Path, required=True, help="the study's results/ directory")
    ap.add_argument("--code", type=Path, required=True, help="the study's code checkout (git)")
    ap.add_argument(
        "--configfile",
        type=Path,
        nargs="+",
        required=True,
        help="every config file the study ran with, relative to --code, in order",
    )
    ap.add_argument(
        "--config", nargs="*", default=[], help="the --config KEY=VALUE arguments of its runs"
    )
    ap.add_argument(
        "--judged-with", required=True, help="the commit whose judge_claims wrote the verdicts"
    )
    ap.add_argument("--out", type=Path, required=True, help="reference/<study>")
    args = ap.parse_args()
    models = [
        p
        for folder in TRAINED_RULES.values()
        for p in sorted((args.results / folder).glob("**/model.pt"))
    ]
    metadata = [torch.load(p, map_location="cpu", weights_only=False)["metadata"] for p in models]
    record = ship(
        args.results,
        args.out,
        config_files=[args.code / f for f in args.configfile],
        config_overrides=args.config,
        commit=git_commit(args.code),
        judged_with=args.judged_with,
        run_metadata=metadata,
    )
    print(
        f"shipped {args.out}: {record['runs']['models']} models, {len(record['failed_runs'])} "
        f"failed runs, {record['wall_s']['total'] / 3600:.2f} h of wall time"
    )


if __name__ == "__main__":
    main()
