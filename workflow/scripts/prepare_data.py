"""Snakemake adapter: rule prepare_data."""

import logging

from lsrepro.data.images import prepare
from lsrepro.runtime import setup_logging

setup_logging(snakemake.log[0])
source = prepare(
    snakemake.wildcards.dataset,
    data_dir=snakemake.config["data_dir"],
    mirror=snakemake.config["mirror"],
    out=snakemake.output.prepared,
    options=snakemake.config["datasets"][snakemake.wildcards.dataset],  # ImageNet: root, expect
    threads=snakemake.threads,
)
logging.getLogger("prepare_data").info("%s: %s", snakemake.wildcards.dataset, source)
