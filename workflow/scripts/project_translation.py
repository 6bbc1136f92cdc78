"""Snakemake adapter: rule project_translation (Fig. 7, App. B)."""

from lsrepro.runtime import gpu_job
from lsrepro.translation.files import translation_projection_file

settings, corpus = snakemake.params.projection, snakemake.params.corpus
# Logs to the job log; binds the job to its own GPU (or none) before CUDA starts.
with gpu_job(snakemake):
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
