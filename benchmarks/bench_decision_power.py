"""Operating characteristics of the verdicts: false-"supported" rate and power per rule type.

Planted effects of 0, 0.5, 1, 2, 3 seed-sd at 2, 3, 5, 10 seeds, each judged ``--reps`` times by
the claims module's own tests (:mod:`lsrepro.claims.power`); the ordered rules beside the
noncentral-t closed form. Prints a table and writes ``benchmarks/results/decision_power.md``.

Run from the repository root::

    python benchmarks/bench_decision_power.py [--reps 2000] [--margin 1.0]

The false-"supported" bound at no effect is checked by tests/test_claims_power.py.
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

from lsrepro.claims import power  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--margin", type=float, default=1.0, help="equivalence margin, seed sd")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/decision_power.md")
    args = parser.parse_args()
    start = time.perf_counter()
    mc = 2 * math.sqrt(0.05 * 0.95 / args.reps)
    lines = [
        "# Operating characteristics of the verdicts",
        "",
        f"Command (repository root): `python benchmarks/bench_decision_power.py --reps "
        f"{args.reps} --margin {args.margin:g}`",
        "",
        "Share of simulated studies judged **supported** (one-sided 5 %: the 90 % interval of "
        "the difference on the claimed side), per-seed sd 1, effects in seed sd. Cells in "
        "*italics* are wrong verdicts (false supported: no effect for the ordered rules and "
        f"non-superiority; |difference| ≥ margin {args.margin:g} sd for equivalence); the rest "
        "is power. In brackets: the noncentral-t closed form (ordered rules). Monte Carlo error "
        f"±{mc:.3f} (2 se at 5 %). Last rows: the ordered rule before issue 18 (supported when "
        "the two 95 % intervals over seeds are disjoint), for comparison.",
        "",
        "| rule | seeds | " + " | ".join(f"δ = {e:g}" for e in power.EFFECTS) + " |",
        "|---|---:|" + "---:|" * len(power.EFFECTS),
    ]
    for rule in (*power.RULES, power.OLD_RULE):
        for n in power.SEEDS:
            cells = []
            for e in power.EFFECTS:
                rate = power.simulate(rule, e, n, args.reps, margin=args.margin)
                text = f"{rate:.3f}"
                if rule.startswith("ordered"):
                    text += f" ({power.closed_form_supported(rule, e, n):.3f})"
                if power.false_supported(rule, e, args.margin):
                    text = f"*{text}*"
                cells.append(text)
            lines.append(f"| {rule} | {n} | " + " | ".join(cells) + " |")
            print(lines[-1], flush=True)
    lines += [
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}; "
        f"{time.perf_counter() - start:.0f} s (timings not meaningful on a shared machine).",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
