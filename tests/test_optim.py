"""Learning-rate schedules against their closed forms (lsrepro.training.optim.lr_factor)."""

import math

import pytest

from lsrepro.training.optim import lr_factor


def test_linear_decays_to_zero_at_the_last_step():
    assert [lr_factor({"name": "linear"}, s, 4) for s in range(4)] == [1.0, 0.75, 0.5, 0.25]


def test_piecewise_multiplies_at_each_milestone():
    schedule = {"name": "piecewise", "milestones": [2, 4], "factor": 0.1}
    got = [lr_factor(schedule, s, 6) for s in range(6)]
    assert got == pytest.approx([1, 1, 0.1, 0.1, 0.01, 0.01])


@pytest.mark.parametrize(
    ("schedule", "plain"),
    [
        ({"name": "linear"}, lambda s: 1 - s / 10),
        ({"name": "constant"}, lambda s: 1.0),
        ({"name": "piecewise", "milestones": [2], "factor": 0.5}, lambda s: 0.5 ** (s >= 2)),
    ],
)
def test_warmup_ramps_linearly_then_follows_the_schedule(schedule, plain):
    warm = {**schedule, "warmup_steps": 4}
    for step in range(10):
        ramp = min(1.0, (step + 1) / 4)  # 1/4, 2/4, 3/4, then 1 from step 3 on
        assert lr_factor(warm, step, 10) == pytest.approx(ramp * plain(step))
    # warmup_steps 0 (or absent) is no warm-up at all
    assert [lr_factor({**schedule, "warmup_steps": 0}, s, 10) for s in range(10)] == [
        lr_factor(schedule, s, 10) for s in range(10)
    ]


def test_rsqrt_peaks_at_one_after_its_own_warmup():
    schedule = {"name": "rsqrt", "warmup_steps": 4}
    assert lr_factor(schedule, 0, 100) == pytest.approx(0.25)
    assert lr_factor(schedule, 3, 100) == pytest.approx(1.0)
    assert lr_factor(schedule, 15, 100) == pytest.approx(math.sqrt(4 / 16))
