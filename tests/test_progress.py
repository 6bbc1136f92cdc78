"""Progress of long non-training jobs (issue 20, item 8): a line at a steady rate with an ETA,
and every such job's main loop reports it."""

import logging

import numpy as np
import pytest
import torch

from lsrepro import progress as progress_module
from lsrepro.data import augment
from lsrepro.progress import Progress, hms, progress


class Clock:
    """Seconds advanced by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_lines_come_at_the_given_rate_with_the_eta_of_the_mean_rate(caplog):
    clock = Clock()
    caplog.set_level(logging.INFO, "lsrepro.progress")
    for _ in progress(range(100), "caching", "batches", every_s=10, clock=clock):
        clock.now += 1.0  # one second per batch
    lines = [r.getMessage() for r in caplog.records]
    # every 10 s: after batches 10, 20, ..., 90, then the final line (not a 100% ETA line)
    assert len(lines) == 10
    assert lines[0] == "caching: 10/100 batches (10%)  1 batches/s  ETA 00:01:30"
    assert lines[4] == "caching: 50/100 batches (50%)  1 batches/s  ETA 00:00:50"
    assert lines[-1] == "caching: done 100/100 batches in 00:01:40"


def test_a_slow_start_does_not_flood_and_the_eta_follows_the_mean(caplog):
    clock = Clock()
    caplog.set_level(logging.INFO, "lsrepro.progress")
    counter = Progress("decoding", 10, "sentences", every_s=30, clock=clock)
    for step in (20.0, 5.0, 5.0):  # 30 s for the first 3 sentences
        clock.now += step
        counter.update()
    clock.now += 1.0
    counter.update(2)  # a batch of two: 5/10 after 31 s
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["decoding: 3/10 sentences (30%)  0.1 sentences/s  ETA 00:01:10"]


def test_hms():
    assert hms(0) == "00:00:00" and hms(3725.4) == "01:02:05" and hms(27 * 3600) == "27:00:00"


@pytest.fixture
def every_step(monkeypatch, caplog):
    """Every progress call site logs at each item (the real rate is every 30 s)."""
    monkeypatch.setattr(progress_module, "EVERY_S", 0.0)
    caplog.set_level(logging.INFO, "lsrepro.progress")
    return caplog


def _etas(caplog, what: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(what)]


MLP = {"name": "mlp", "hidden": [8], "dropout": 0.0}
SPEC = augment.InputSpec(crop=28, pad=2, flip=False, normalize="unit")


def _mlp():
    from lsrepro.models import build_model

    torch.manual_seed(0)
    return build_model(MLP, num_classes=10, in_channels=1).eval()


def _images(n):
    return np.random.default_rng(0).integers(0, 256, size=(n, 28, 28, 1), dtype=np.uint8)


def test_evaluation_and_teacher_caching_report_progress(every_step):
    from lsrepro.distillation.cache import teacher_outputs
    from lsrepro.evaluation.inference import infer

    infer(_mlp(), _images(12), SPEC, batch_size=4, what="evaluate val")
    lines = _etas(every_step, "evaluate val")
    assert lines[0].startswith("evaluate val: 1/3 batches (33%)") and "ETA" in lines[0]
    assert lines[-1].startswith("evaluate val: done 3/3 batches")
    teacher_outputs(_mlp(), _images(12), SPEC, batch_size=6)
    assert _etas(every_step, "teacher outputs: 1/2 batches")


def test_mutual_information_reports_progress(every_step):
    from lsrepro.information.experiment import logit_differences

    logit_differences(_mlp(), _images(6), SPEC, (0, 1), 3, 0, 6, "cpu")
    assert _etas(every_step, "logit differences (3 draws): 1/3 draws")


def test_token_evaluation_and_decoding_report_progress(every_step):
    from lsrepro.models.transformer import build_transformer
    from lsrepro.translation.beam import translate
    from lsrepro.translation.token_eval import token_predictions

    torch.manual_seed(0)
    model = build_transformer(
        vocab_size=8, pad_id=0, layers=1, d_model=8, heads=2, ffn=16, dropout=0.0, max_len=32
    ).eval()
    src = [[4, 5], [5, 6, 7], [4], [6, 6, 4, 5]]
    token_predictions(model, src, src, pad_id=0, bos_id=2, eos_id=3, max_tokens=12)
    assert (
        _etas(every_step, "token evaluation: ")
        and "sentences" in _etas(every_step, "token evaluation: ")[0]
    )
    translate(model, src, bos_id=2, eos_id=3, pad_id=0, beam_size=2, max_sentences=2, max_len_b=3)
    assert _etas(every_step, "beam decoding at T = 1.0: 1/2 batches")
