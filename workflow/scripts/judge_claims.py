"""Snakemake adapter: rule judge_claims (claims.csv, the front-page verdicts, paper_vs_ours.csv).

Named inputs are the keys of ``lsrepro.claims.read.INPUTS``; an input the rule does not
declare (its stage is not in the run) makes that stage's claims "not run".
"""

from lsrepro.claims.paper_vs_ours import paper_vs_ours
from lsrepro.claims.read import INPUTS
from lsrepro.claims.tables import judge_claims
from lsrepro.runtime import setup_logging

setup_logging(snakemake.log[0])
paths = {key: snakemake.input.get(key) for key in INPUTS}
judge_claims(
    paths,
    representation_pairs=snakemake.params.representation_pairs,
    calibration_pairs=snakemake.params.calibration_pairs,
    scale=snakemake.params.scale,
    out=snakemake.output.claims,
    verdicts_out=snakemake.output.verdicts,
)
paper_vs_ours(paths, out=snakemake.output.paper_vs_ours)
