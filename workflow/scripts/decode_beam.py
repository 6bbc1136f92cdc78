"""Snakemake adapter: rule decode_beam."""

from lsrepro.runtime import gpu_job
from lsrepro.translation.files import decode_files

beam = snakemake.params.beam
# Logs to the job log; binds the job to its own GPU (or none) before CUDA starts.
with gpu_job(snakemake):
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
