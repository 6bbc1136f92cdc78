"""Snakemake adapter: rule decode_beams (the beam length bias grid)."""

from lsrepro.runtime import gpu_job
from lsrepro.translation.files import decode_beams_files

beam = snakemake.params.beam
# Logs to the job log; binds the job to its own GPU (or none) before CUDA starts.
with gpu_job(snakemake):
    decode_beams_files(
        model=snakemake.input.model,
        corpus=snakemake.input.corpus,
        vocab=snakemake.input.vocab,
        splits=snakemake.params.splits,
        beams=snakemake.params.beams,
        length_penalty=beam["length_penalty"],
        max_len_b=beam["max_len_b"],
        max_sentences=snakemake.params.max_sentences,
        batch_sentences=beam["batch_sentences"],
        threads=snakemake.threads,
        beams_out=snakemake.output.beams,
        hypotheses_dir=snakemake.output.hypotheses,
    )
