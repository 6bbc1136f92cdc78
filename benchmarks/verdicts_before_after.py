# ruff: noqa: E501  (the two judge scripts are kept as they were run)
"""Verdict tables of one finished workflow directory, judged by the rules before issue 18 and now.

    git worktree add /tmp/before 0ed7a42      # the claims package before issue 18
    python benchmarks/verdicts_before_after.py --before /tmp/before --workdir <finished run> \\
        --configfile presets/quick.yaml > benchmarks/results/verdicts_quick.md

Each side runs in its own interpreter with its package on PYTHONPATH, reading the same
results/tables of ``--workdir``; the table matches rows on (sub-claim, experiments).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

JUDGE_BEFORE = r'''"""Judge a results dir with the claims package on PYTHONPATH (old = main before issue 18)."""
import glob
import sys
from pathlib import Path

import yaml

from lsrepro.claims.tables import judge_claims


def merge(a, b):
    for k, v in b.items():
        a[k] = merge(a.get(k, {}), v) if isinstance(v, dict) and isinstance(a.get(k), dict) else v
    return a


wd = Path(sys.argv[1]); res = wd / "results"; t = res / "tables"
cfg = yaml.safe_load(open(wd / "config.yaml"))
for extra in sys.argv[3:]:
    cfg = merge(cfg, yaml.safe_load(open(wd / extra)))
def pairs(section):
    return {n: f for n, f in cfg[section]["figures"].items() if {f["hard"], f["smooth"]} <= set(cfg["run"])}
cand = {"geometry_summary": t/"geometry_summary.csv", "geometry_per_seed": t/"geometry_per_seed.csv",
        "calibration_summary": t/"calibration_summary.csv",
        "reliability": [Path(p) for p in sorted(glob.glob(str(res/"calibration/**/reliability.csv"), recursive=True))],
        "mnist_toy_per_seed": t/"mnist_toy_per_seed.csv", "fig5_distillation": t/"fig5_distillation.csv",
        "information_summary": t/"information_summary.csv",
        "information_vs_distillation": t/"information_vs_distillation.csv",
        "translation_per_seed": t/"translation_per_seed.csv"}
paths = {k: v for k, v in cand.items() if v and (isinstance(v, list) or v.exists())}
judge_claims(paths, representation_pairs=pairs("representation"),
             calibration_pairs=pairs("calibration"), out=sys.argv[2])
'''

JUDGE_NOW = r'''"""Judge a finished workflow dir with the claims package on PYTHONPATH (new, issue 18)."""
import copy
import glob
import sys
from pathlib import Path

from lsrepro import config as lsconfig
from lsrepro.claims.scale import scale_labels
from lsrepro.claims.tables import judge_claims, verdict_table


def merge(a, b):
    for k, v in b.items():
        a[k] = merge(a.get(k, {}), v) if isinstance(v, dict) and isinstance(a.get(k), dict) else v
    return a


wd = Path(sys.argv[1]); res = wd / "results"; t = res / "tables"
ref = lsconfig.load_config_file(wd / "config.yaml")
cfg = copy.deepcopy(ref)
for extra in sys.argv[3:]:
    cfg = merge(cfg, lsconfig.load_config_file(wd / extra))
cand = {"geometry_per_seed": t/"geometry_per_seed.csv", "calibration_per_seed": t/"calibration_per_seed.csv",
        "calibration_summary": t/"calibration_summary.csv",
        "reliability": [Path(p) for p in sorted(glob.glob(str(res/"calibration/**/reliability.csv"), recursive=True))],
        "mnist_toy_per_seed": t/"mnist_toy_per_seed.csv", "fig5_distillation": t/"fig5_distillation.csv",
        "information_per_seed": t/"information_per_seed.csv",
        "information_vs_distillation": t/"information_vs_distillation.csv",
        "translation_per_seed": t/"translation_per_seed.csv"}
paths = {k: v for k, v in cand.items() if v and (isinstance(v, list) or v.exists())}
frame = judge_claims(paths, representation_pairs=lsconfig.comparisons(cfg, "representation"),
                     calibration_pairs=lsconfig.comparisons(cfg, "calibration"),
                     scale=scale_labels(cfg, ref), out=sys.argv[2])
verdict_table(frame).to_csv(sys.argv[2].replace(".csv", "_front.csv"), index=False)
'''


def judge(
    code: str, package: Path, workdir: Path, configfiles: list[str], out: Path
) -> pd.DataFrame:
    script = out.with_suffix(".py")
    script.write_text(code)
    env = {**os.environ, "PYTHONPATH": str(package / "workflow" / "scripts")}
    cmd = [sys.executable, str(script), str(workdir), str(out), *configfiles]
    subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    return pd.read_csv(out)


def cell(row: pd.Series, side: str) -> str:
    verdict = row.get(f"verdict_{side}")
    if not isinstance(verdict, str):
        return "no row"
    leaning = row.get(f"leaning_{side}")
    return f"{verdict} ({leaning})" if isinstance(leaning, str) else verdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="checkout of commit 0ed7a42")
    parser.add_argument("--now", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--workdir", type=Path, required=True, help="a finished workflow directory")
    parser.add_argument("--configfile", nargs="*", default=[], help="its presets, relative to it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        before = judge(
            JUDGE_BEFORE, args.before, args.workdir, args.configfile, Path(tmp) / "b.csv"
        )
        now = judge(JUDGE_NOW, args.now, args.workdir, args.configfile, Path(tmp) / "n.csv")
    key = ["subclaim", "experiments"]
    table = pd.merge(before, now, on=key, how="outer", suffixes=("_before", "_now")).sort_values(
        key
    )
    for name, frame in (("before", before), ("now", now)):
        counts = frame["verdict"].value_counts().to_dict()
        print(f"- {name}: {len(frame)} rows, " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    print("\n| sub-claim | experiments | before | now | test | reason (now) |")
    print("|---|---|---|---|---|---|")
    for _, row in table.iterrows():
        star = " ★" if row.get("extension") is True else ""
        test = row["test"] if isinstance(row.get("test"), str) else ""
        reason = row["reason_now"] if isinstance(row.get("reason_now"), str) else ""
        print(
            f"| {row['subclaim']}{star} | {row['experiments']} | {cell(row, 'before')} | "
            f"{cell(row, 'now')} | {test} | {reason} |"
        )


if __name__ == "__main__":
    main()
