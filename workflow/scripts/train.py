"""Snakemake adapter: rule train. Exit code 75 after SIGTERM/SIGUSR1 (checkpoint saved)."""

import logging
import sys
from pathlib import Path

from lsrepro.gpus import bind_gpu, describe
from lsrepro.io import setup_logging
from lsrepro.train import Preempted, train_from_files

setup_logging(snakemake.log[0])
log = logging.getLogger("train")
try:
    # Bind before anything touches CUDA: this job sees only its own GPU (or none).
    with bind_gpu(snakemake.resources.get("gpu", 0)) as binding:
        log.info("%s", describe(binding))
        train_from_files(
            prepared=snakemake.input.prepared,
            split=snakemake.input.split,
            recipe=snakemake.params.recipe,
            dataset=snakemake.params.dataset,
            alpha=float(snakemake.wildcards.alpha),
            seed=int(snakemake.wildcards.seed),
            out_dir=Path(snakemake.output.model).parent,
            threads=snakemake.threads,
        )
except Preempted as stop:
    log.warning("%s", stop)
    sys.exit(Preempted.exit_code)
