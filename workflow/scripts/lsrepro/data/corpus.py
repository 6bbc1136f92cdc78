"""Parallel corpora: Multi30k task 1 EN→DE (verified raw files) or any line-aligned text files.

Multi30k (Elliott et al. 2016, task 1) comes from the authors' public release,
``multi30k/dataset`` at a pinned commit, ``data/task1/raw/{split}.{lang}.gz``: gzip'd UTF-8, one
sentence per line, English and German line-aligned. Sources, in order of preference:

1. a local mirror directory ``<mirror>/multi30k/{split}.{lang}.gz`` (e.g. ``shared/data``);
2. otherwise a download with :mod:`urllib` into ``<root>/multi30k/`` (skipped for files already
   there). Either way every file's md5 is checked against :data:`MULTI30K_MD5` (the md5 of the
   upstream git blob, shared/data/SOURCES.md) and a mismatch names the file, the expected and the
   actual digest.

Any other parallel corpus (e.g. the paper's WMT EN-DE: newstest2013 for validation, newstest2014
for test) is read from local plain-text or ``.gz`` files named in a config mapping
``{split: {"src": path, "tgt": path}}`` by :func:`read_parallel`, the function Multi30k goes
through as well. Lines are split on ``"\\n"`` only (never on Unicode line separators, which may
occur inside a sentence) and a trailing ``"\\r"`` is dropped; the source and target files of a
split must have the same number of lines.

The result is a :class:`Corpus` saved as one gzip'd JSON artifact whose content digest (sha256 of
the canonical JSON of languages and sentence pairs) is stored in it and re-checked on load.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsrepro.data.images import DataIntegrityError, md5sum, verify_md5
from lsrepro.integrity import rebuild
from lsrepro.io import atomic_path, atomic_write

log = logging.getLogger(__name__)

MULTI30K_SPLITS = (
    "train",
    "val",
    "test_2016_flickr",
    "test_2017_flickr",
    "test_2017_mscoco",
    "test_2018_flickr",
)
# md5 of each raw file = md5 of the upstream git blob (shared/data/SOURCES.md, shared/data/MD5SUMS)
MULTI30K_MD5 = {
    "train.en.gz": "0065d13af80720a55ca8153d126e6627",
    "train.de.gz": "81ff90b99829c0cd4b1b587d394afd39",
    "val.en.gz": "2b69aa9253948ac9f67e94917272dd40",
    "val.de.gz": "6e0e229eb049e3fc99a1ef02fb2d5f91",
    "test_2016_flickr.en.gz": "ff2c0fcb4893a13bd73414306bc250ae",
    "test_2016_flickr.de.gz": "efd67d314d98489b716b145475101932",
    "test_2017_flickr.en.gz": "005396bac545d880abe6f00bbb7dbbb4",
    "test_2017_flickr.de.gz": "6a8d5c87f6ae19e3d35681aa6fd16571",
    "test_2017_mscoco.en.gz": "a7b684e0edbef1d4a23660c8e8e743fd",
    "test_2017_mscoco.de.gz": "e8cd6ec2bc8a11fc846fa48a46e3d0bb",
    "test_2018_flickr.en.gz": "a152878809942757a55ce087073486b8",
    "test_2018_flickr.de.gz": "87e00327083dd69feaa029a8f7c1a047",
}
# sentence pairs per split (SOURCES.md); checked after reading
MULTI30K_PAIRS = {
    "train": 29000,
    "val": 1014,
    "test_2016_flickr": 1000,
    "test_2017_flickr": 1000,
    "test_2017_mscoco": 461,
    "test_2018_flickr": 1071,
}
MULTI30K_COMMIT = "a3d2e0d26b56f3846f66a952536ffed4e401d05a"
MULTI30K_URL = (
    "https://raw.githubusercontent.com/multi30k/dataset/{commit}/data/task1/raw/{filename}"
)
FORMAT = "lsrepro.translation.corpus/1"  # the file format's name, kept when the module moved


class CorpusError(ValueError):
    """A parallel corpus is malformed: unequal line counts, a missing file or split."""


@dataclass(frozen=True)
class Corpus:
    """Sentence pairs per split.

    Attributes:
        name: e.g. ``"multi30k"``.
        src_lang, tgt_lang: language codes, e.g. ``"en"``, ``"de"``.
        splits: split name -> list of (source sentence, target sentence), raw (untokenised) text.
        sources: provenance per file (path or URL, md5 where known); not part of the digest.
    """

    name: str
    src_lang: str
    tgt_lang: str
    splits: dict[str, list[tuple[str, str]]]
    sources: dict[str, Any] = field(default_factory=dict)

    def src(self, split: str) -> list[str]:
        return [s for s, _ in self.pairs(split)]

    def tgt(self, split: str) -> list[str]:
        return [t for _, t in self.pairs(split)]

    def pairs(self, split: str) -> list[tuple[str, str]]:
        if split not in self.splits:
            raise KeyError(f"corpus {self.name!r} has no split {split!r}; has {list(self.splits)}")
        return self.splits[split]

    def digest(self) -> str:
        """sha256 of the canonical JSON of (languages, splits): the corpus's content identity."""
        return hashlib.sha256(_canonical(self).encode("utf-8")).hexdigest()


def _canonical(corpus: Corpus) -> str:
    body = {
        "src_lang": corpus.src_lang,
        "tgt_lang": corpus.tgt_lang,
        "splits": {k: [list(p) for p in v] for k, v in sorted(corpus.splits.items())},
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# --- reading ----------------------------------------------------------------------------------


def read_lines(path: Path | str) -> list[str]:
    """Lines of a UTF-8 text file, gzip'd when the name ends in ``.gz``.

    Splits on ``"\\n"`` only; drops one trailing ``"\\r"`` per line and the empty string after a
    final newline.
    """
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"{path}: file missing")
    raw = gzip.open(path, "rb").read() if path.name.endswith(".gz") else path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise CorpusError(f"{path}: not UTF-8 text ({err})") from err
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def read_parallel(
    files: Mapping[str, Mapping[str, Path | str]],
    *,
    name: str,
    src_lang: str,
    tgt_lang: str,
    md5: Mapping[str, str] | None = None,
) -> Corpus:
    """Read a line-aligned parallel corpus from local files.

    Args:
        files: ``{split: {"src": path, "tgt": path}}`` (plain text or ``.gz``).
        name, src_lang, tgt_lang: stored in the corpus.
        md5: optional ``{file name: md5}``; files whose name appears are verified first.

    Raises:
        CorpusError: a split lacks ``src``/``tgt``, a file is missing, or line counts differ.
        DataIntegrityError: an md5 mismatch (names file, expected and actual digest).
    """
    if not files:
        raise CorpusError(f"corpus {name!r}: no splits given")
    splits: dict[str, list[tuple[str, str]]] = {}
    sources: dict[str, Any] = {}
    for split, pair in files.items():
        missing = {"src", "tgt"} - set(pair)
        if missing:
            raise CorpusError(f"corpus {name!r} split {split!r}: missing key(s) {sorted(missing)}")
        paths = {side: Path(pair[side]) for side in ("src", "tgt")}
        for side, path in paths.items():
            if md5 is not None and path.name in md5:
                verify_md5(path, md5[path.name])
            sources[f"{split}.{side}"] = {
                "path": str(path),
                **({"md5": md5[path.name]} if md5 and path.name in md5 else {}),
            }
        src, tgt = read_lines(paths["src"]), read_lines(paths["tgt"])
        if len(src) != len(tgt):
            raise CorpusError(
                f"corpus {name!r} split {split!r}: {paths['src']} has {len(src)} lines but "
                f"{paths['tgt']} has {len(tgt)}; source and target must be line-aligned"
            )
        splits[split] = list(zip(src, tgt, strict=True))
    return Corpus(name=name, src_lang=src_lang, tgt_lang=tgt_lang, splits=splits, sources=sources)


# --- Multi30k ---------------------------------------------------------------------------------


def multi30k_filename(split: str, lang: str) -> str:
    return f"{split}.{lang}.gz"


def download_file(url: str, dest: Path, expected_md5: str, timeout: float = 60.0) -> None:
    """Fetch ``url`` into ``dest`` atomically, then verify its md5 (a mismatch deletes it)."""
    log.info("downloading %s", url)
    with atomic_path(dest) as tmp:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(tmp, "wb") as f:
            while block := response.read(1 << 20):
                f.write(block)
        actual = md5sum(tmp)  # before the rename: a bad download never lands at dest
        if actual != expected_md5:
            raise DataIntegrityError(
                f"{dest} (downloaded from {url}): md5 mismatch, expected {expected_md5}, "
                f"got {actual}"
            )


def fetch_multi30k(
    root: Path | str,
    *,
    splits: tuple[str, ...] = MULTI30K_SPLITS,
    langs: tuple[str, ...] = ("en", "de"),
    commit: str = MULTI30K_COMMIT,
) -> Path:
    """Download the raw Multi30k files into ``<root>/multi30k/`` (verified); returns that folder.

    Files already present are verified and kept.
    """
    folder = Path(root) / "multi30k"
    for split in splits:
        for lang in langs:
            filename = multi30k_filename(split, lang)
            dest = folder / filename
            if dest.is_file():
                verify_md5(dest, MULTI30K_MD5[filename])
                continue
            url = MULTI30K_URL.format(commit=commit, filename=filename)
            download_file(url, dest, MULTI30K_MD5[filename])
    return folder


def load_multi30k(
    *,
    mirror: Path | str | None = None,
    root: Path | str | None = None,
    download: bool = False,
    src_lang: str = "en",
    tgt_lang: str = "de",
    splits: tuple[str, ...] = MULTI30K_SPLITS,
) -> Corpus:
    """Multi30k task 1 from a local mirror (``<mirror>/multi30k/``) or a verified download.

    Args:
        mirror: directory holding ``multi30k/{split}.{lang}.gz``; used when given.
        root: download directory (files go to ``<root>/multi30k/``); used when ``mirror`` is None.
        download: allow downloading missing files into ``root``.
        src_lang, tgt_lang: translation direction (the paper's: en → de).
        splits: subset of :data:`MULTI30K_SPLITS`.
    """
    unknown = [s for s in splits if s not in MULTI30K_SPLITS]
    if unknown:
        raise CorpusError(f"unknown Multi30k split(s) {unknown}; known: {list(MULTI30K_SPLITS)}")
    for lang in (src_lang, tgt_lang):
        if lang not in ("en", "de"):
            raise CorpusError(f"Multi30k language {lang!r} not provided (only 'en' and 'de')")
    if mirror is not None:
        folder = Path(mirror) / "multi30k"
    elif root is not None:
        folder = Path(root) / "multi30k"
        if download:
            fetch_multi30k(root, splits=splits, langs=(src_lang, tgt_lang))
    else:
        raise CorpusError("load_multi30k needs a mirror directory or a download root")
    for split in splits:
        for lang in (src_lang, tgt_lang):
            path = folder / multi30k_filename(split, lang)
            if not path.is_file():
                hint = "" if download or mirror is not None else " (pass download=True to fetch)"
                raise DataIntegrityError(
                    f"{path}: file missing (expected md5 "
                    f"{MULTI30K_MD5[multi30k_filename(split, lang)]}){hint}"
                )
    files = {
        split: {
            "src": folder / multi30k_filename(split, src_lang),
            "tgt": folder / multi30k_filename(split, tgt_lang),
        }
        for split in splits
    }
    corpus = read_parallel(
        files, name="multi30k", src_lang=src_lang, tgt_lang=tgt_lang, md5=MULTI30K_MD5
    )
    for split in splits:
        n = len(corpus.splits[split])
        if n != MULTI30K_PAIRS[split]:
            raise DataIntegrityError(
                f"Multi30k {split}: {n} sentence pairs, expected {MULTI30K_PAIRS[split]}"
            )
    return corpus


# --- artifact ---------------------------------------------------------------------------------


def save_corpus(corpus: Corpus, path: Path | str) -> str:
    """Write ``corpus`` as gzip'd JSON (byte-reproducible: gzip mtime 0); returns its digest."""
    digest = corpus.digest()
    doc = {
        "format": FORMAT,
        "name": corpus.name,
        "src_lang": corpus.src_lang,
        "tgt_lang": corpus.tgt_lang,
        "digest": digest,
        "sources": corpus.sources,
        "splits": {k: [list(p) for p in v] for k, v in corpus.splits.items()},
    }
    payload = json.dumps(doc, ensure_ascii=False, sort_keys=True).encode("utf-8")
    atomic_write(path, lambda f: f.write(gzip.compress(payload, mtime=0)))
    return digest


def load_corpus(path: Path | str) -> Corpus:
    """Read a :func:`save_corpus` artifact; its content digest is re-computed and checked."""
    path = Path(path)
    try:
        doc = json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))
    except (OSError, EOFError, ValueError) as err:
        raise DataIntegrityError(
            f"{path}: not a readable corpus artifact ({err}); {rebuild(path, 'prepare_corpus')}"
        ) from err
    if doc.get("format") != FORMAT:
        raise DataIntegrityError(f"{path}: format {doc.get('format')!r}, expected {FORMAT!r}")
    corpus = Corpus(
        name=doc["name"],
        src_lang=doc["src_lang"],
        tgt_lang=doc["tgt_lang"],
        splits={k: [(s, t) for s, t in v] for k, v in doc["splits"].items()},
        sources=doc.get("sources", {}),
    )
    actual = corpus.digest()
    if actual != doc["digest"]:
        raise DataIntegrityError(
            f"{path}: corpus digest mismatch, expected {doc['digest']}, got {actual} (changed "
            f"after prepare_corpus wrote it); {rebuild(path, 'prepare_corpus')}"
        )
    return corpus
