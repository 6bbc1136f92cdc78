"""File-level entry points of the translation stage (paper §3, Figs. 3–4, Table 3 EN-DE row).

Each function reads the files its rule declares as input and writes the files it declares as
output; the maths lives in the sibling modules (batching, beam, bleu, token_eval,
token_metrics, tables, projection), in :mod:`lsrepro.data` (corpus, vocab),
:mod:`lsrepro.calibration`, :mod:`lsrepro.training` and the figures in
:mod:`lsrepro.figures.translation`.

Rules and functions:

* ``prepare_corpus`` → :func:`prepare_corpus_file`: Multi30k (mirror or verified download) or a
  corpus from local files, one artifact with its content digest.
* ``train_vocabulary`` → :func:`train_vocabulary_file`: the joint sentencepiece model.
* ``train_translation`` → :func:`train_translation_files`: the image runs' entry helper
  (:func:`lsrepro.training.files.train_run`) with :class:`TokenBatches` and
  :class:`LabelSmoothing` (padding = IGNORE_INDEX never counts).
* ``evaluate_tokens`` → :func:`evaluate_tokens_files`: teacher-forced next-token calibration.
* ``decode_beam`` → :func:`decode_files`: beam search at every temperature, BLEU, chrF and
  the length ratio; ``decode_beams`` → :func:`decode_beams_files`: the beam-size grid at T = 1.
* ``tabulate_translation`` → :func:`tabulate_translation`; ``tabulate_translation_beams`` →
  :func:`tabulate_translation_beams`; ``plot_translation`` → :func:`fig4_files`;
  ``plot_translation_beams`` → :func:`beams_figure_files`;
  ``plot_translation_reliability`` → :func:`fig3_file`.
* ``project_translation`` → :func:`translation_projection_file`: Fig. 7 (App. B), the maths in
  :mod:`lsrepro.translation.projection`.

Token evaluation protocol (our choices where the paper is silent): every non-pad target
position of the validation (and test) split, the correct prefix given; ``positions = all``
includes the EOS position of each sentence, ``no_eos`` leaves it out (both reported; the config
key ``tokens_with_eos`` picks the headline columns). The temperature is fitted on **all**
validation positions by minimising the mean NLL (:func:`lsrepro.calibration.fit_temperature_chunks`
over logits *recomputed* batch by batch on the device, never an N×V matrix in memory; one
forward pass over the split per Newton iteration). Bootstrap intervals (T = 1 and fitted T)
resample tokens, not sentences: tokens of one sentence are correlated, so these intervals are
narrower than a sentence-level bootstrap's; the intervals over training seeds in the summary
table are the ones the verdicts use.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

from lsrepro import calibration
from lsrepro.artifacts.model import load_model
from lsrepro.data.corpus import (
    Corpus,
    load_corpus,
    load_multi30k,
    read_parallel,
    save_corpus,
)
from lsrepro.data.images import DataIntegrityError
from lsrepro.data.vocab import BOS_ID, EOS_ID, PAD_ID, UNK_ID, Vocab, load_vocab, save_vocab
from lsrepro.data.vocab import train_vocab as train_vocab_model
from lsrepro.figures import representation as figs
from lsrepro.figures import save_figure
from lsrepro.figures.calibration import fig2_curves, plot_reliability_diagram
from lsrepro.figures.translation import bleu_length_vs_beam_figure, fig4_figure
from lsrepro.io import atomic_write, write_csv, write_json
from lsrepro.models.registry import resolve
from lsrepro.representation import projection
from lsrepro.runs import fmt_float
from lsrepro.runtime import configure_torch
from lsrepro.training import precision
from lsrepro.training.files import train_run
from lsrepro.training.loop import TrainResult
from lsrepro.training.objectives import LabelSmoothing
from lsrepro.training.recipe import Recipe
from lsrepro.translation import tables, token_metrics
from lsrepro.translation.batching import TokenBatches, fitting_pairs, longest_pair
from lsrepro.translation.beam import translate
from lsrepro.translation.bleu import TranslationScores, corpus_scores
from lsrepro.translation.projection import (
    PANEL_SPLITS,
    covering_rows,
    figure_tokens,
    token_projection_arrays,
)
from lsrepro.translation.tables import same_temperature
from lsrepro.translation.token_eval import logit_chunks, token_predictions

log = logging.getLogger(__name__)
SPECIALS = {"pad_id": PAD_ID, "bos_id": BOS_ID, "eos_id": EOS_ID}


# --- corpus and vocabulary ----------------------------------------------------------------------


def prepare_corpus_file(
    *,
    name: str,
    src: str,
    tgt: str,
    splits: Sequence[str],
    files: Mapping[str, Mapping[str, str]] | None,
    mirror: str | None,
    data_dir: str,
    out: Path | str,
) -> Corpus:
    """Read the corpus (Multi30k: ``<mirror>/multi30k`` or a verified download into
    ``<data_dir>/multi30k``; another corpus: ``files``) and write its artifact to ``out``."""
    if files:
        missing = [s for s in splits if s not in files]
        if missing:
            raise ValueError(f"corpus {name!r}: files lack split(s) {missing}")
        corpus = read_parallel({s: files[s] for s in splits}, name=name, src_lang=src, tgt_lang=tgt)
    else:
        corpus = load_multi30k(
            mirror=mirror,
            root=data_dir,
            download=mirror is None,
            src_lang=src,
            tgt_lang=tgt,
            splits=tuple(splits),
        )
    digest = save_corpus(corpus, out)
    log.info(
        "corpus %s %s-%s: %s; digest %s",
        name,
        src,
        tgt,
        ", ".join(f"{s} {len(corpus.splits[s])} pairs" for s in splits),
        digest,
    )
    return corpus


def train_vocabulary_file(
    *, corpus: Path | str, size: int, model_type: str, out: Path | str
) -> Vocab:
    """Joint vocabulary on the training split (source sentences, then target sentences)."""
    data = load_corpus(corpus)
    vocab = train_vocab_model(
        data.src("train") + data.tgt("train"), vocab_size=size, model_type=model_type
    )
    # The record beside the model: its digest for every consumer, and the facts config
    # validation checks before any job (translation.plan.built_problems).
    longest = {split: longest_pair(*_encoded(vocab, data, split)) for split in data.splits}
    chars = sum(1 for piece in vocab.pieces() if len(piece) == 1)
    save_vocab(
        vocab,
        out,
        model_type=model_type,
        corpus_digest=data.digest(),
        min_size=chars + 4,  # every character of the training split + pad, unk, bos, eos
        longest_pair_tokens=longest,
    )
    log.info("vocabulary: %d pieces (%s), sha256 %s", len(vocab), model_type, vocab.sha256)
    return vocab


def _encoded(vocab: Vocab, corpus: Corpus, split: str) -> tuple[list[list[int]], list[list[int]]]:
    return vocab.encode(corpus.src(split)), vocab.encode(corpus.tgt(split))


# --- training -----------------------------------------------------------------------------------


def train_translation_files(
    *,
    corpus: Path | str,
    vocab: Path | str,
    recipe: dict[str, Any],
    alpha: float,
    seed: int,
    out_dir: Path | str,
    threads: int,
    run: dict[str, Any],
    max_steps: int | None = None,
) -> TrainResult:
    """Train one Transformer with label smoothing ``alpha`` on the corpus's training split,
    through the image runs' entry helper (:func:`lsrepro.training.files.train_run`).

    ``recipe``: the engine form (:func:`lsrepro.translation.plan.engine_recipe`) with
    ``max_tokens``. Training pairs longer than the model's positions (``max_len - 1`` pieces) or
    than ``max_tokens`` are left out (:func:`~lsrepro.translation.batching.fitting_pairs`), and
    counted in the log. model.pt's metadata carries ``build_args`` (vocab size, pad id), the
    vocabulary's sha256 and the corpus digest.
    """
    device = configure_torch(threads)
    data = load_corpus(corpus)
    voc = load_vocab(vocab)
    spec = Recipe.from_config(recipe)
    max_tokens = int(spec.extra["max_tokens"])
    max_len = int(resolve(spec.model)["max_len"])
    src_ids, tgt_ids = _encoded(voc, data, "train")
    keep = fitting_pairs(src_ids, tgt_ids, max_len=max_len, max_tokens=max_tokens)
    if len(keep) < len(src_ids):
        log.warning(
            "left out %d of %d training pairs longer than the model's %d positions or "
            "max_tokens %d",
            len(src_ids) - len(keep),
            len(src_ids),
            max_len,
            max_tokens,
        )
    src_ids, tgt_ids = [src_ids[i] for i in keep], [tgt_ids[i] for i in keep]

    def batches(model: torch.nn.Module) -> TokenBatches:
        token_batches = TokenBatches(
            src_ids, tgt_ids, max_tokens, seed=seed, device=device, **SPECIALS
        )
        log.info(
            "training %s (%d parameters) on %s %s-%s: %d pairs, %d batches of <= %d tokens per "
            "epoch, alpha %g, seed %d, device %s, %d threads",
            spec.model,
            sum(p.numel() for p in model.parameters() if p.requires_grad),
            data.name,
            data.src_lang,
            data.tgt_lang,
            len(src_ids),
            token_batches.batches_per_epoch,
            max_tokens,
            alpha,
            seed,
            device,
            threads,
        )
        return token_batches

    return train_run(
        recipe=spec,
        build_args={"vocab_size": len(voc), "pad_id": PAD_ID},
        seed=seed,
        device=device,
        objective=LabelSmoothing(alpha),
        batches=batches,
        out_dir=out_dir,
        metadata={
            "corpus": data.name,
            "direction": f"{data.src_lang}-{data.tgt_lang}",
            "corpus_digest": data.digest(),
            "vocab_sha256": voc.sha256,
        },
        run=run,
        max_steps=max_steps,
    )


def _load_checked(
    model: Path | str, corpus: Path | str, vocab: Path | str, threads: int
) -> tuple[torch.nn.Module, dict[str, Any], Corpus, Vocab, str, AbstractContextManager]:
    """Model, its metadata, corpus, vocabulary, device and the autocast context of the model's
    precision (:func:`lsrepro.training.precision.inference`); the model must have been trained
    on this corpus and vocabulary."""
    device = configure_torch(threads)
    net, meta = load_model(model, device)
    data = load_corpus(corpus)
    voc = load_vocab(vocab, expected_sha256=meta.get("vocab_sha256"))
    if meta.get("corpus_digest") != data.digest():
        raise DataIntegrityError(
            f"{model} was trained on corpus {meta.get('corpus_digest')}, but {corpus} has "
            f"digest {data.digest()}: re-run train_translation"
        )
    return net, meta, data, voc, device, precision.inference(net, meta["recipe"], device)


# --- teacher-forced token calibration (Fig. 3, Table 3) -----------------------------------------


def evaluate_tokens_files(
    *,
    model: Path | str,
    corpus: Path | str,
    vocab: Path | str,
    splits: Mapping[str, str],
    temperatures: Sequence[float],
    max_tokens: int,
    n_bins: int,
    n_resamples: int,
    smece_resamples: int | None,
    bootstrap_seed: int,
    coverage: float,
    tolerance: float,
    temperature_bounds: Sequence[float],
    threads: int,
    tokens_out: Path | str,
    temperature_out: Path | str,
    reliability_out: Path | str,
) -> pd.DataFrame:
    """Teacher-forced next-token metrics on every split of ``splits`` (corpus split -> table
    label, ``val`` first) at every grid temperature and at T fitted on validation NLL.

    Writes ``tokens_out``: one row per (split, temperature, scaling ∈ {grid, fitted}, positions
    ∈ {all, no_eos}, metric) with ``estimate, lower, upper, se, n_resamples, n_bins,
    n_examples`` (= tokens); grid temperatures other than 1 carry point estimates of accuracy,
    NLL (nats) and ECE (fraction) only. ``temperature_out``: the fit (JSON). ``reliability_out``:
    reliability bins per (split, scaling ∈ {none, temperature}, positions).
    """
    if "val" not in splits:
        raise ValueError(f"splits must include val (the temperature is fitted on it): {splits}")
    net, meta, data, voc, device, fast_path = _load_checked(model, corpus, vocab, threads)
    src, tgt = _encoded(voc, data, "val")
    t0 = time.perf_counter()
    with fast_path:
        fit = calibration.fit_temperature_chunks(
            logit_chunks(net, src, tgt, max_tokens=max_tokens, device=device, **SPECIALS),
            tol=tolerance,
            bounds=tuple(temperature_bounds),
        )
    n_val = sum(len(y) + 1 for y in tgt)
    log.info(
        "fitted T = %.4f on %d validation tokens (NLL %.4f -> %.4f, %d iterations, %.1f s)",
        fit.temperature,
        n_val,
        fit.nll_before,
        fit.nll_after,
        fit.iterations,
        time.perf_counter() - t0,
    )
    write_json(
        temperature_out,
        {
            **fit.as_dict(),
            "split": "val",
            "positions": "all (EOS included)",
            "tokens": n_val,
            "criterion": "mean token NLL on the validation split",
            "vocab_sha256": voc.sha256,
            "corpus_digest": data.digest(),
            "model_fingerprint": meta.get("fingerprint"),
        },
    )
    grid = [float(t) for t in temperatures]
    bootstrap = {
        "n_bins": n_bins,
        "n_resamples": n_resamples,
        "seed": bootstrap_seed,
        "coverage": coverage,
        "smece_resamples": smece_resamples,
    }
    tables, bins = [], []
    for split, label in splits.items():
        s_ids, t_ids = _encoded(voc, data, split)
        with fast_path:
            preds = token_predictions(
                net,
                s_ids,
                t_ids,
                temperatures=[*grid, fit.temperature],
                max_tokens=max_tokens,
                device=device,
                **SPECIALS,
            )
        split_rows, split_bins = token_metrics.split_tables(
            preds,
            grid=grid,
            fitted=fit.temperature,
            label=label,
            test_set=split,
            bootstrap=bootstrap,
        )
        tables += split_rows
        bins += split_bins
        at1 = preds[next(t for t in grid if same_temperature(t, 1.0))]
        log.info(
            "%s: %d tokens (%d without EOS); T = 1: accuracy %.4f, NLL %.4f, ECE %.4f",
            label,
            len(at1),
            int((~at1.is_eos).sum()),
            float(at1.correct.mean()),
            float(at1.nll.mean()),
            calibration.ece_from_vectors(at1.confidence, at1.correct, n_bins),
        )
    tokens = token_metrics.front_first(tables, token_metrics.TOKEN_FRONT)
    write_csv(tokens, tokens_out)
    write_csv(token_metrics.front_first(bins, token_metrics.RELIABILITY_FRONT), reliability_out)
    return tokens


# --- beam search and BLEU (Fig. 4) --------------------------------------------------------------


def _decode_and_score(
    net: torch.nn.Module,
    voc: Vocab,
    src_ids: Sequence[Sequence[int]],
    refs: Sequence[str],
    *,
    beam_size: int,
    temperature: float,
    length_penalty: float,
    max_len_b: int,
    batch_sentences: int,
    device: str,
    fast_path: AbstractContextManager,
    hypotheses: Path,
) -> tuple[TranslationScores, float]:
    """Decode ``src_ids`` (beam ``beam_size``; 1 = greedy) at ``temperature``, write the
    detokenised hypotheses to ``hypotheses``, score them against ``refs``; returns the scores
    and the decoding seconds."""
    t0 = time.perf_counter()
    with fast_path:
        out = translate(
            net,
            src_ids,
            beam_size=beam_size,
            alpha=length_penalty,
            temperature=temperature,
            max_len_b=max_len_b,
            max_sentences=batch_sentences,
            device=device,
            **SPECIALS,
        )
    seconds = time.perf_counter() - t0
    hyps = voc.decode(out.tokens)
    scores = corpus_scores(hyps, refs)
    text = "".join(h + "\n" for h in hyps)
    atomic_write(hypotheses, lambda f: f.write(text.encode()))
    return scores, seconds


def decode_files(
    *,
    model: Path | str,
    corpus: Path | str,
    vocab: Path | str,
    temperature: Path | str,
    splits: Mapping[str, str],
    temperatures: Sequence[float],
    beam_size: int,
    length_penalty: float,
    max_len_b: int,
    max_sentences: int | None,
    batch_sentences: int,
    threads: int,
    bleu_out: Path | str,
    hypotheses_dir: Path | str,
) -> pd.DataFrame:
    """Beam search at every grid temperature and at the fitted T (``temperature``: the JSON of
    :func:`evaluate_tokens_files`), greedy decoding at T = 1 as a reference row, on the first
    ``max_sentences`` sentences (None: all) of every split; BLEU (cased and uncased) and chrF
    with their sacrebleu signatures.

    Writes ``bleu_out`` (one row per split, decoder and temperature; ``bleu`` is cased,
    ``bleu_uncased`` the paper's measure; scores 0–100; ``seconds`` and ``sentences_per_s`` the
    decoding time) and one detokenised hypothesis file per row under ``hypotheses_dir``
    (``{split}/{decoder}_T~{T}.txt``).
    """
    net, _, data, voc, device, fast_path = _load_checked(model, corpus, vocab, threads)
    fitted = float(json.loads(Path(temperature).read_text())["temperature"])
    runs = [("beam", float(t), False) for t in temperatures] + [("beam", fitted, True)]
    runs.append(("greedy", 1.0, False))
    hyp_root = Path(hypotheses_dir)
    rows = []
    for split, label in splits.items():
        pairs = data.pairs(split)[: max_sentences or None]
        src_ids = voc.encode([s for s, _ in pairs])
        refs = [t for _, t in pairs]
        for decoder, t, is_fitted in runs:
            size = beam_size if decoder == "beam" else 1
            name = f"{decoder}_T~{'fitted' if is_fitted else fmt_float(t)}.txt"
            scores, seconds = _decode_and_score(
                net,
                voc,
                src_ids,
                refs,
                beam_size=size,
                temperature=t,
                length_penalty=length_penalty,
                max_len_b=max_len_b,
                batch_sentences=batch_sentences,
                device=device,
                fast_path=fast_path,
                hypotheses=hyp_root / split / name,
            )
            rows.append(
                {
                    "split": label,
                    "test_set": split,
                    "decoder": decoder,
                    "beam_size": size,
                    "length_penalty": length_penalty,
                    "scaling_temperature": t,
                    "fitted": is_fitted,
                    **scores.as_dict(),
                    "seconds": seconds,
                    "sentences_per_s": len(pairs) / max(seconds, 1e-9),
                }
            )
            log.info(
                "%s %s T=%.3g%s: BLEU %.2f (uncased %.2f), chrF %.2f, length ratio %.3f; "
                "%d sentences, %.1f/s",
                label,
                decoder,
                t,
                " (fitted)" if is_fitted else "",
                scores.bleu,
                scores.bleu_uncased,
                scores.chrf,
                scores.length_ratio,
                len(pairs),
                rows[-1]["sentences_per_s"],
            )
    table = pd.DataFrame(rows)
    write_csv(table, bleu_out)
    return table


def decode_beams_files(
    *,
    model: Path | str,
    corpus: Path | str,
    vocab: Path | str,
    splits: Mapping[str, str],
    beams: Sequence[int],
    length_penalty: float,
    max_len_b: int,
    max_sentences: int | None,
    batch_sentences: int,
    threads: int,
    beams_out: Path | str,
    hypotheses_dir: Path | str,
) -> pd.DataFrame:
    """The beam length bias (issue 18 ★, Liang et al. 2022): decode at T = 1 with every beam
    size of ``beams`` (1 = greedy) on the first ``max_sentences`` sentences of every split, as
    :func:`decode_files` does for one beam size.

    Writes ``beams_out``: one row per (split, beam size) with ``bleu`` (cased),
    ``bleu_uncased``, ``chrf``, their signatures, ``length_ratio`` = ``sys_len / ref_len``
    (sacrebleu's, :mod:`lsrepro.translation.bleu`), ``seconds``; and the hypotheses under
    ``hypotheses_dir`` (``{split}/beam~{k}.txt``).
    """
    sizes = [int(k) for k in beams]
    if not sizes or min(sizes) < 1 or len(set(sizes)) != len(sizes):
        raise ValueError(f"beams must be distinct positive beam sizes, got {list(beams)}")
    net, _, data, voc, device, fast_path = _load_checked(model, corpus, vocab, threads)
    rows = []
    for split, label in splits.items():
        pairs = data.pairs(split)[: max_sentences or None]
        src_ids = voc.encode([s for s, _ in pairs])
        refs = [t for _, t in pairs]
        for size in sizes:
            scores, seconds = _decode_and_score(
                net,
                voc,
                src_ids,
                refs,
                beam_size=size,
                temperature=1.0,
                length_penalty=length_penalty,
                max_len_b=max_len_b,
                batch_sentences=batch_sentences,
                device=device,
                fast_path=fast_path,
                hypotheses=Path(hypotheses_dir) / split / f"beam~{size}.txt",
            )
            rows.append(
                {
                    "split": label,
                    "test_set": split,
                    "beam_size": size,
                    "length_penalty": length_penalty,
                    "scaling_temperature": 1.0,
                    **scores.as_dict(),
                    "seconds": seconds,
                }
            )
            log.info(
                "%s beam %d: BLEU %.2f (uncased %.2f), length ratio %.3f; %d sentences, %.1f s",
                label,
                size,
                scores.bleu,
                scores.bleu_uncased,
                scores.length_ratio,
                len(pairs),
                seconds,
            )
    table = pd.DataFrame(rows)
    write_csv(table, beams_out)
    return table


# --- tables and figures -------------------------------------------------------------------------


def tabulate_translation(
    runs: Sequence[Mapping[str, Any]],
    *,
    tokens: Sequence[Path | str],
    temperatures: Sequence[Path | str],
    bleu: Sequence[Path | str],
    tokens_with_eos: bool,
    confidence: float,
    per_seed_out: Path | str,
    summary_out: Path | str,
    table3_out: Path | str,
) -> pd.DataFrame:
    """The stage's tables from every run's files (``runs[i]`` = the run's identifying columns,
    :func:`lsrepro.runs.translation_run_info`; ``tokens[i]`` etc. its files).

    ``per_seed_out`` (read by the verdicts as ``translation_per_seed``):
    :func:`lsrepro.translation.tables.per_seed_table`; ``summary_out``:
    :func:`~lsrepro.translation.tables.summary_table`; ``table3_out``: Table 3's EN-DE row,
    ours labelled with the corpus it was measured on, the paper's WMT numbers beside it
    (:func:`~lsrepro.translation.tables.table3_row`).
    """
    if not (len(runs) == len(tokens) == len(temperatures) == len(bleu)):
        raise ValueError("runs, tokens, temperatures and bleu must have one entry per run")
    if not runs:
        raise ValueError("nothing to tabulate: no translation runs")
    headline = "all" if tokens_with_eos else "no_eos"
    frames = [
        tables.run_rows(
            info,
            read_run_table(tok),
            json.loads(Path(temp).read_text()),
            read_run_table(bl),
            headline,
            source=f"{bl} (with {tok})",
        )
        for info, tok, temp, bl in zip(runs, tokens, temperatures, bleu, strict=True)
    ]
    per_seed = tables.per_seed_table(frames, headline)
    write_csv(per_seed, per_seed_out)
    summary = tables.summary_table(per_seed, confidence)
    write_csv(summary, summary_out)
    write_csv(tables.table3_row(summary), table3_out)
    return per_seed


def tabulate_translation_beams(
    runs: Sequence[Mapping[str, Any]],
    *,
    beams: Sequence[Path | str],
    confidence: float,
    per_seed_out: Path | str,
    summary_out: Path | str,
) -> pd.DataFrame:
    """BLEU and length ratio against the beam size (the beam length bias ★) from every run's
    ``beams.csv`` (:func:`decode_beams_files`; ``runs[i]`` its identifying columns).

    ``per_seed_out`` (read by the verdicts as ``translation_beams_per_seed``):
    :func:`lsrepro.translation.tables.beams_per_seed`; ``summary_out``: mean, std and
    t-interval over seeds (:func:`~lsrepro.translation.tables.beams_summary`). Returns the
    summary.
    """
    if len(runs) != len(beams):
        raise ValueError(f"{len(runs)} runs but {len(beams)} beams.csv files: one per run")
    if not runs:
        raise ValueError("nothing to tabulate: no translation runs")
    per_seed = tables.beams_per_seed(
        [(info, pd.read_csv(path), str(path)) for info, path in zip(runs, beams, strict=True)]
    )
    write_csv(per_seed, per_seed_out)
    summary = tables.beams_summary(per_seed, confidence)
    write_csv(summary, summary_out)
    return summary


def read_run_table(path: Path | str) -> pd.DataFrame:
    """A run's tokens.csv, reliability.csv or bleu.csv, its T column under the current name
    (:func:`lsrepro.translation.tables.current_names`)."""
    return tables.current_names(pd.read_csv(path))


def fig4_files(
    per_seed: Path | str, *, outputs: Mapping[str, Path | str], corpus: Mapping[str, Any]
) -> dict[str, Figure]:
    """Rule plot_translation: paper Fig. 4 (BLEU and ECE vs T per model, NLL vs T;
    :func:`lsrepro.figures.translation.fig4_figure`) on val, as the paper, and on test."""
    what = "BLEU, token ECE and NLL vs temperature"
    return _val_and_test(per_seed, outputs, corpus, fig4_figure, what)


def beams_figure_files(
    per_seed: Path | str, *, outputs: Mapping[str, Path | str], corpus: Mapping[str, Any]
) -> dict[str, Figure]:
    """Rule plot_translation_beams: BLEU and length ratio vs beam size
    (:func:`lsrepro.figures.translation.bleu_length_vs_beam_figure`) on val and test, from the
    beam-grid per-seed table (:func:`tabulate_translation_beams`)."""
    what = "BLEU and length ratio vs beam size (T = 1)"
    return _val_and_test(per_seed, outputs, corpus, bleu_length_vs_beam_figure, what)


def _val_and_test(
    per_seed: Path | str,
    outputs: Mapping[str, Path | str],
    corpus: Mapping[str, Any],
    draw: Callable[..., Figure],
    what: str,
) -> dict[str, Figure]:
    """``draw(rows of one split, title=...)`` for val (outputs ``pdf``, ``png``) and test
    (``test_pdf``, ``test_png``) of a per-seed table; a split without rows is an error.
    Returns the saved figures by split."""
    name = f"{corpus['name']} {corpus['src']}-{corpus['tgt']}"
    table = pd.read_csv(per_seed)
    figures = {}
    for split, prefix in (("val", ""), ("test", "test_")):
        rows = table.loc[table["split"] == split]
        if rows.empty:
            raise ValueError(f"{per_seed}: no rows for split {split!r}")
        figures[split] = draw(rows, title=f"Transformer {name}, {split} split: {what}")
        save_figure(figures[split], outputs[f"{prefix}pdf"], outputs[f"{prefix}png"])
    return figures


def fig3_file(
    *,
    hard: Path | str,
    smooth: Path | str,
    alpha: float,
    split: str,
    pdf: Path | str,
    png: Path | str,
    title: str,
    min_count: int,
) -> Figure:
    """Paper Fig. 3: token reliability diagram of the hard-target model at T = 1 and at its
    fitted T, and of the LS model at T = 1 (all positions, EOS included); bins of fewer than
    ``min_count`` tokens are not joined (``calibration.min_bin_count``, as the image diagrams).
    Returns the Figure it wrote."""

    def bins(path: Path | str, scaling: str) -> tuple[pd.DataFrame, float]:
        rel = read_run_table(path)
        rows = rel.loc[
            (rel["split"] == split) & (rel["scaling"] == scaling) & (rel["positions"] == "all")
        ]
        if rows.empty:
            raise ValueError(f"{path}: no {scaling} bins for split {split!r}")
        return rows.reset_index(drop=True), float(rows["scaling_temperature"].iloc[0])

    h, _ = bins(hard, "none")
    ts, temperature = bins(hard, "temperature")
    ls, _ = bins(smooth, "none")
    eces = [calibration.ece_from_bins(b) for b in (h, ts, ls)]
    curves = fig2_curves(h, ts, ls, temperature=temperature, alpha=alpha, ece=eces)
    return plot_reliability_diagram(curves, pdf, png, title=title, min_count=min_count)


def translation_projection_file(
    *,
    hard_model: Path | str,
    smooth_model: Path | str,
    vocab: Path | str,
    corpus: Path | str,
    tokens: Sequence[str] | None,
    per_class: int,
    seed: int,
    alpha: float,
    title: str,
    outputs: Mapping[str, Path | str],
    max_tokens: int = 4096,
    threads: int = 1,
) -> list[str]:
    """Paper Fig. 7: the projection row train/val × α = 0/``alpha`` for three target pieces.

    Args:
        hard_model, smooth_model: model.pt of the α = 0 and the label-smoothed Transformer
            (same corpus and vocabulary; their training α is checked against 0 and ``alpha``).
        tokens: three pieces, or None for the content-piece rule (module docstring).
        per_class: positions drawn per token and split; seed: seed of the sentence and
            position draws.
        outputs: ``shared_pdf``, ``shared_png``, ``free_pdf``, ``free_png`` (shared and
            per-panel axis limits, as :func:`lsrepro.representation.files.projection_figure`).

    Returns:
        The three pieces, in axis order.
    """

    if per_class < 1:
        raise ValueError(f"per_class must be >= 1, got {per_class}")
    models = {}
    for role, path, want in (("hard", hard_model, 0.0), ("smooth", smooth_model, float(alpha))):
        net, meta, data, voc, device, fast_path = _load_checked(path, corpus, vocab, threads)
        trained = (meta.get("objective") or {}).get("alpha")
        if trained is None or not np.isclose(float(trained), want):
            raise ValueError(f"{path}: trained with label smoothing α = {trained}, expected {want}")
        models[role] = net, fast_path
    pieces = voc.pieces()
    encoded = {split: _encoded(voc, data, split) for split in PANEL_SPLITS}
    ids = figure_tokens(
        pieces,
        encoded["train"][1],
        encoded["val"][1],
        tokens,
        per_class=per_class,
        specials=(*SPECIALS.values(), UNK_ID),
    )
    names = [pieces[t] for t in ids]
    log.info(
        "Fig. 7 tokens (axis order): %s",
        ", ".join(f"{n} (id {t})" for n, t in zip(names, ids, strict=True)),
    )

    panels = {}
    for split in PANEL_SPLITS:
        src, tgt = encoded[split]
        rows = covering_rows(tgt, ids, per_class, seed)
        for role, (net, fast_path) in models.items():
            with fast_path:  # the model's own precision
                arrays = token_projection_arrays(
                    net,
                    [src[i] for i in rows],
                    [tgt[i] for i in rows],
                    ids,
                    max_tokens=max_tokens,
                    device=device,
                    class_names=names,
                    **SPECIALS,
                )
            hit = np.asarray(ids)[arrays["labels"]] == arrays["predicted"]
            log.info(
                "%s, %s: %d sentences, %d positions (%s); full-vocabulary accuracy %.3f",
                role,
                split,
                len(rows),
                len(hit),
                ", ".join(f"{n} {int((arrays['labels'] == k).sum())}" for k, n in enumerate(names)),
                float(hit.mean()),
            )
            panels[role, split] = projection.projection_panel(arrays, names, per_class, seed)
    figs.write_representation_figures(
        figs.fig1_panel_specs(
            panels["hard", "train"],
            panels["hard", "val"],
            panels["smooth", "train"],
            panels["smooth", "val"],
            alpha=float(alpha),
        ),
        title,
        outputs["shared_pdf"],
        outputs["shared_png"],
        outputs["free_pdf"],
        outputs["free_png"],
    )
    return names
