"""Snakemake adapter: rule split_data."""

import logging

from lsrepro.data.images import make_split
from lsrepro.runtime import setup_logging

setup_logging(snakemake.log[0])
split = make_split(
    snakemake.input.prepared,
    val_size=snakemake.params.split["val_size"],
    seed=snakemake.params.split["split_seed"],
    out=snakemake.output.split,
)
logging.getLogger("split_data").info(
    "%d train / %d val, digest %s", len(split.train), len(split.val), split.digest
)
