"""Snakemake adapter: rule project_translation (Fig. 7, App. B)."""

import logging

from lsrepro.runtime import bind_gpu, describe, setup_logging
from lsrepro.translation.projection import translation_projection_file

setup_logging(snakemake.log[0], attempt=snakemake.resources.get("attempt"))
settings, corpus = snakemake.params.projection, snakemake.params.corpus
# Bind before anything touches CUDA: this job sees only its own GPU (or none).
with bind_gpu(snakemake.resources.get("gpu", 0)) as binding:
    logging.getLogger("project_translation").info("%s", describe(binding))
    translation_projection_file(
        hard_model=snakemake.input.hard,
        smooth_model=snakemake.input.smooth,
        vocab=snakemake.input.vocab,
        corpus=snakemake.input.corpus,
        tokens=settings["tokens"],
        per_class=settings["per_class"],
        seed=settings["seed"],
        alpha=snakemake.params.alpha,
        title=f"Transformer {corpus['name']} {corpus['src']}-{corpus['tgt']}: penultimate "
        f"layer of next-token predictions",
        outputs=snakemake.output,
        max_tokens=snakemake.params.max_tokens,
        threads=snakemake.threads,
    )
