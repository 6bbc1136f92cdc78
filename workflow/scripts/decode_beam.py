"""Snakemake adapter: rule decode_beam."""

import logging

from lsrepro.runtime import bind_gpu, describe, setup_logging
from lsrepro.translation.files import decode_files

setup_logging(snakemake.log[0], attempt=snakemake.resources.get("attempt"))
beam = snakemake.params.beam
# Bind before anything touches CUDA: this job sees only its own GPU (or none).
with bind_gpu(snakemake.resources.get("gpu", 0)) as binding:
    logging.getLogger("decode_beam").info("%s", describe(binding))
    decode_files(
        model=snakemake.input.model,
        corpus=snakemake.input.corpus,
        vocab=snakemake.input.vocab,
        temperature=snakemake.input.temperature,
        splits=snakemake.params.splits,
        temperatures=snakemake.params.temperatures,
        beam_size=beam["size"],
        length_penalty=beam["length_penalty"],
        max_len_b=beam["max_len_b"],
        max_sentences=snakemake.params.max_sentences,
        batch_sentences=beam["batch_sentences"],
        threads=snakemake.threads,
        bleu_out=snakemake.output.bleu,
        hypotheses_dir=snakemake.output.hypotheses,
    )
