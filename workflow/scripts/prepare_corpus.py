"""Snakemake adapter: rule prepare_corpus (mirror and data_dir from the config, not params)."""

from lsrepro.runtime import setup_logging
from lsrepro.translation.files import prepare_corpus_file

setup_logging(snakemake.log[0])
corpus = snakemake.params.corpus
prepare_corpus_file(
    name=corpus["name"],
    src=corpus["src"],
    tgt=corpus["tgt"],
    splits=corpus["splits"],
    files=corpus["files"],
    mirror=snakemake.config["mirror"],
    data_dir=snakemake.config["data_dir"],
    out=snakemake.output.corpus,
)
