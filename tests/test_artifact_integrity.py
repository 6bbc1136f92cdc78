"""The digest chain and readable errors (issue 20, items 1, 2 and 4).

Every artifact another stage trusts carries a digest its producer wrote, and every reader checks
it: an artifact changed in place (even keeping the mtime Snakemake looks at) is an error, never
used. A damaged file is an error that names the path, says it is unreadable and which rule
rebuilds it, instead of ``BadZipFile`` or ``Bad CRC-32``. Config values that only the built
vocabulary can check are rejected before any job.
"""

import copy
import os
from pathlib import Path

import numpy as np
import pytest
import yaml

from lsrepro.artifacts import evaluation
from lsrepro.artifacts.teacher_cache import TeacherCache, load_teacher_cache, save_teacher_cache
from lsrepro.config import ConfigError, validate_config
from lsrepro.data.images import Split, load_split, save_split
from lsrepro.data.vocab import load_vocab, save_vocab, train_vocab
from lsrepro.integrity import ArtifactError

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
SENTENCES = [
    "a man rides a horse",
    "ein mann reitet ein pferd",
    "two dogs play in the snow",
    "zwei hunde spielen im schnee",
] * 10


def _keep_mtime(path: Path, edit) -> None:
    """Change ``path`` in place the way a careless user would, keeping its mtime."""
    st = path.stat()
    edit(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def _flip(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.fixture
def vocab_file(tmp_path) -> Path:
    out = tmp_path / "vocab.model"
    save_vocab(train_vocab(SENTENCES, vocab_size=40), out, model_type="bpe")
    return out


# --- item 1: a changed artifact is never used ---------------------------------------------------


def test_a_vocabulary_changed_in_place_is_never_used(vocab_file):
    # One byte of a piece's text: sentencepiece still loads it, so only the digest can tell.
    pieces = load_vocab(vocab_file).pieces()
    piece = max((q for q in pieces if q.isascii() and q.isalpha()), key=len).encode()
    at = vocab_file.read_bytes().index(piece)
    _keep_mtime(vocab_file, lambda p: _flip(p, at))
    with pytest.raises(ArtifactError) as error:
        load_vocab(vocab_file)
    message = str(error.value)
    assert str(vocab_file) in message and "vocab.json" in message
    assert "changed after it was written" in message
    assert "snakemake --forcerun train_vocabulary" in message


def test_the_vocabulary_record_carries_what_consumers_check(vocab_file):
    record = yaml.safe_load((vocab_file.with_suffix(".json")).read_text())
    vocab = load_vocab(vocab_file)
    assert record["sha256"] == vocab.sha256 and record["size"] == len(vocab) == 40


def _cache() -> TeacherCache:
    logits = np.random.default_rng(0).normal(size=(6, 2, 3)).astype(np.float32)
    return TeacherCache(logits, "split0123", "fp", "results/train/t/model.pt")


def _rewrite_npz(path: Path, change) -> None:
    """A consistent npz with one array changed and the stored digest kept (no CRC error)."""
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    change(arrays)
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def test_a_teacher_cache_changed_in_place_is_never_used(tmp_path):
    path = tmp_path / "logits.npz"
    save_teacher_cache(path, _cache())
    assert np.array_equal(load_teacher_cache(path).logits, _cache().logits)

    def edit(arrays):
        arrays["logits"][0, 0, 0] += 1.0

    _keep_mtime(path, lambda p: _rewrite_npz(p, edit))
    with pytest.raises(ArtifactError, match="does not match the digest cache_teacher_outputs"):
        load_teacher_cache(path)


def _evaluation_arrays() -> dict:
    rng = np.random.default_rng(0)
    return {
        "logits": rng.normal(size=(4, 3)),
        "labels": np.array([0, 1, 2, 0]),
        "features": rng.normal(size=(4, 5)),
        "weight": rng.normal(size=(3, 5)),
        "bias": np.zeros(3),
        "index": np.arange(4),
        "class_names": np.array(["a", "b", "c"]),
    }


def test_evaluation_arrays_changed_in_place_are_never_used(tmp_path):
    path = tmp_path / "val.npz"
    evaluation.save(path, **_evaluation_arrays())
    evaluation.load(path)

    def edit(arrays):
        arrays["labels"][0] = 2

    _rewrite_npz(path, edit)
    with pytest.raises(ArtifactError, match=r"val\.npz: evaluation arrays does not match"):
        evaluation.load(path)


# --- item 4: a damaged file names itself and the rule that rebuilds it ------------------------


@pytest.mark.parametrize("damage", ["truncated", "flipped byte"])
def test_a_damaged_teacher_cache_names_the_file_and_the_rule(tmp_path, damage):
    path = tmp_path / "logits.npz"
    save_teacher_cache(path, _cache())
    if damage == "truncated":
        _truncate(path)  # was: BadZipFile: File is not a zip file
    else:
        _flip(path, path.read_bytes().index(b"\x93NUMPY") + 200)  # was: Bad CRC-32
    with pytest.raises(ArtifactError) as error:
        load_teacher_cache(path)
    message = str(error.value)
    assert message.startswith(f"{path}: unreadable teacher cache")
    assert "snakemake --forcerun cache_teacher_outputs" in message


def test_a_damaged_vocabulary_names_the_file_and_the_rule(vocab_file):
    vocab_file.with_suffix(".json").unlink()  # even without its record
    _truncate(vocab_file)  # was: RuntimeError ... (e.g. precompiled_charsmap is invalid)
    with pytest.raises(ArtifactError) as error:
        load_vocab(vocab_file)
    assert str(error.value).startswith(f"{vocab_file}: unreadable vocabulary")
    assert "snakemake --forcerun train_vocabulary" in str(error.value)


def test_a_damaged_split_names_the_file_and_the_rule(tmp_path):
    path = tmp_path / "split.npz"
    save_split(Split(train=np.arange(8), val=np.arange(8, 10), seed=0), path)
    _truncate(path)
    with pytest.raises(
        ArtifactError, match=r"split\.npz: unreadable split .*--forcerun split_data"
    ):
        load_split(path)


def test_a_damaged_evaluation_file_names_the_file_and_the_rule(tmp_path):
    path = tmp_path / "test.npz"
    evaluation.save(path, **_evaluation_arrays())
    _truncate(path)
    with pytest.raises(ArtifactError, match=r"unreadable evaluation arrays .*--forcerun evaluate"):
        evaluation.load(path)


# --- item 2: config values only the built vocabulary can check, before any job ------------------


@pytest.fixture
def built(tmp_path, monkeypatch) -> dict:
    """The paper config in a directory whose Multi30k vocabulary (8000 BPE) is built."""
    monkeypatch.chdir(tmp_path)
    record = tmp_path / "results/translation/multi30k/vocab.json"
    record.parent.mkdir(parents=True)
    record.write_text(
        '{"sha256": "00", "size": 8000, "model_type": "bpe", "min_size": 104, '
        '"longest_pair_tokens": {"train": 300, "val": 120, "test_2016_flickr": 130}}'
    )
    return yaml.safe_load((ROOT / "config.yaml").read_text())


def _validate(config):
    validate_config(config, SCHEMA, prepared={d: "absent.npz" for d in config["datasets"]})


def test_max_tokens_below_the_longest_evaluated_pair_is_rejected_before_any_job(built):
    _validate(built)  # 4096 tokens: fine
    config = copy.deepcopy(built)
    config["translation"]["recipes"]["multi30k_transformer"]["max_tokens"] = 128
    with pytest.raises(ConfigError) as error:
        _validate(config)
    assert (
        "translation.recipes.multi30k_transformer.max_tokens: 128 is below the longest sentence "
        "pair token evaluation must fit, 130 tokens in split 'test_2016_flickr'"
    ) in str(error.value)
    # training leaves longer pairs out: 200 < 300 (train) is not an error
    config["translation"]["recipes"]["multi30k_transformer"]["max_tokens"] = 200
    _validate(config)


def test_vocab_size_below_the_built_corpus_characters_is_rejected_before_any_job(built, tmp_path):
    config = copy.deepcopy(built)
    files = {s: {"src": f"{s}.en", "tgt": f"{s}.de"} for s in ("train", "val", "test_2016_flickr")}
    config["translation"]["corpus"] |= {"name": "mine", "files": files}
    record = tmp_path / "results/translation/mine/vocab.json"
    record.parent.mkdir(parents=True)
    record.write_text('{"sha256": "00", "size": 500, "model_type": "bpe", "min_size": 130}')
    config["translation"]["vocab"]["size"] = 120
    with pytest.raises(ConfigError, match=r"translation\.vocab\.size: 120 is below the 130 pieces"):
        _validate(config)


def test_snakemake_stops_before_any_job_when_max_tokens_is_below_the_built_pairs(tmp_path):
    from workflow_runs import fresh_copy, snakemake

    wd = fresh_copy(tmp_path)
    record = wd / "results/translation/multi30k/vocab.json"
    record.parent.mkdir(parents=True)
    record.write_text(
        '{"sha256": "00", "size": 8000, "model_type": "bpe", "min_size": 104, '
        '"longest_pair_tokens": {"train": 300, "val": 120, "test_2016_flickr": 130}}'
    )
    (wd / "bad.yaml").write_text(
        "translation:\n  recipes:\n    multi30k_transformer:\n      max_tokens: 100\n"
    )
    proc = snakemake("-n", "--configfile", "bad.yaml", cwd=wd, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "translation.recipes.multi30k_transformer.max_tokens: 100 is below" in output
    assert "Job stats" not in output
