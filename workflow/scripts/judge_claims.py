"""Snakemake adapter: rule judge_claims (claims.csv, the front-page verdicts, paper_vs_ours.csv).

Named inputs are the keys of ``lsrepro.claims.read.INPUTS``; an input the rule does not
declare (its stage is not in the run) makes that stage's claims "not run". ``reference``: the
shipped claims.csv of each reference study, quoted beside the verdicts on the front page.
"""

from pathlib import Path

from lsrepro.claims.paper_vs_ours import paper_vs_ours
from lsrepro.claims.read import INPUTS
from lsrepro.claims.reference import load_references
from lsrepro.claims.tables import judge_claims
from lsrepro.runtime import setup_logging

setup_logging(snakemake.log[0])
paths = {key: snakemake.input.get(key) for key in INPUTS}
reference = snakemake.input.get("reference", [])
reference = [reference] if isinstance(reference, str) else list(reference)
judge_claims(
    paths,
    representation_pairs=snakemake.params.representation_pairs,
    calibration_pairs=snakemake.params.calibration_pairs,
    scale=snakemake.params.scale,
    out=snakemake.output.claims,
    verdicts_out=snakemake.output.verdicts,
    references=load_references([Path(p).parent for p in reference]),
)
paper_vs_ours(paths, out=snakemake.output.paper_vs_ours)
