"""Calibration metrics against hand-computed cases and independent references.

References: torchmetrics' multiclass calibration error (ECE = norm "l1", MCE = norm "max") and
relplot's smECE. Bootstrap replicates are checked against the metric functions applied to the
explicitly resampled data.
"""

from __future__ import annotations

import numpy as np
import pytest
import relplot
import torch
from torchmetrics.functional.classification import multiclass_calibration_error

from lsrepro import calibration as cal

# Four examples, K = 3. Top-label confidences 0.9, 0.6, 0.55, 0.8; correct: yes, no, yes, yes.
PROBS = np.array(
    [
        [0.90, 0.05, 0.05],
        [0.30, 0.60, 0.10],
        [0.25, 0.20, 0.55],
        [0.80, 0.10, 0.10],
    ]
)
LABELS = np.array([0, 0, 2, 0])


def random_case(n: int = 3000, k: int = 10, seed: int = 0, sharpen: float = 2.0):
    """Over-confident logits ``(N, K)`` and labels ``(N,)``: calibrated at ``T = sharpen``.

    Labels are drawn from ``softmax(z)`` with ``z ~ N(0, 2^2)``; the returned logits are
    ``sharpen * z``, so ``softmax(logits / sharpen)`` is the true label distribution.
    """
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 2.0, size=(n, k))
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    labels = (p.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    return sharpen * z, labels


# --- hand-computed cases --------------------------------------------------------------------


def test_ece_mce_hand_computed_two_bins():
    # M = 2: bin 1 = [0, 0.5], bin 2 = (0.5, 1]; every confidence lies in bin 2:
    # conf mean = (0.9 + 0.6 + 0.55 + 0.8) / 4 = 0.7125, accuracy 3/4 -> |0.75 - 0.7125| = 0.0375
    assert cal.ece(PROBS, LABELS, n_bins=2) == pytest.approx(0.0375, abs=1e-12)
    assert cal.mce(PROBS, LABELS, n_bins=2) == pytest.approx(0.0375, abs=1e-12)


def test_ece_mce_hand_computed_five_bins():
    # M = 5, bins (0.4, 0.6] and (0.8, 1.0] are used; 0.6 and 0.8 sit exactly on edges, and the
    # right-closed convention puts them in the lower bin:
    #   (0.4, 0.6]: 0.6 (wrong), 0.55 (right) -> acc 0.5, conf 0.575, gap 0.075, weight 2/4
    #   (0.6, 0.8]: 0.8 (right)              -> acc 1.0, conf 0.8,   gap 0.2,   weight 1/4
    #   (0.8, 1.0]: 0.9 (right)              -> acc 1.0, conf 0.9,   gap 0.1,   weight 1/4
    # ECE = 0.5 * 0.075 + 0.25 * 0.2 + 0.25 * 0.1 = 0.1125; MCE = 0.2
    assert cal.ece(PROBS, LABELS, n_bins=5) == pytest.approx(0.1125, abs=1e-12)
    assert cal.mce(PROBS, LABELS, n_bins=5) == pytest.approx(0.2, abs=1e-12)


def test_bin_convention_right_closed_with_zero_and_one():
    values = np.array([0.0, 0.2, 0.2000001, 0.4, 0.9999, 1.0])
    # (0, .2] -> 0, (.2, .4] -> 1, ..., (.8, 1] -> 4; 0 goes to the first bin, 1 to the last
    assert cal.bin_index(values, 5).tolist() == [0, 0, 1, 1, 4, 4]


def test_reliability_bins_table():
    table = cal.reliability_bins(PROBS, LABELS, n_bins=5)
    assert list(table.columns) == ["bin", "lower", "upper", "count", "mean_confidence", "accuracy"]
    assert table["count"].tolist() == [0, 0, 2, 1, 1]
    assert table["mean_confidence"].iloc[2] == pytest.approx(0.575)
    assert table["accuracy"].iloc[2:].tolist() == pytest.approx([0.5, 1.0, 1.0])
    assert np.isnan(table["accuracy"].iloc[0])
    assert table["lower"].iloc[0] == 0.0 and table["upper"].iloc[-1] == 1.0


def test_adaptive_ece_hand_computed():
    # sorted confidences 0.55 (right), 0.6 (wrong), 0.8 (right), 0.9 (right); M = 2 -> two
    # bins of two: |(1 + 0) - (0.55 + 0.6)| + |(1 + 1) - (0.8 + 0.9)| = 0.15 + 0.3 -> / 4
    assert cal.adaptive_ece(PROBS, LABELS, n_bins=2) == pytest.approx(0.1125, abs=1e-12)
    # M = 3 with N = 4 splits like numpy.array_split: sizes 2, 1, 1
    # |1.15 - ... | as above for the first bin 0.15, then |1 - 0.8| = 0.2, |1 - 0.9| = 0.1
    assert cal.adaptive_ece(PROBS, LABELS, n_bins=3) == pytest.approx(0.45 / 4, abs=1e-12)
    # M > N leaves bins empty: every example alone -> mean |a - c| = (0.45+0.6+0.2+0.1)/4
    assert cal.adaptive_ece(PROBS, LABELS, n_bins=7) == pytest.approx(1.35 / 4, abs=1e-12)


def test_classwise_ece_hand_computed():
    # M = 2 (bins [0, .5] and (.5, 1]), classwise residual sums sum_{i in B} (1[y_i = k] - p_ik)
    #   class 0: p = .9 .3 .25 .8, y = 1 1 0 1 -> low bin {.3, .25}: (1 + 0) - .55 = .45
    #                                            high bin {.9, .8}: 2 - 1.7 = .3
    #   class 1: p = .05 .6 .2 .1, y = 0       -> low {.05, .2, .1}: -.35; high {.6}: -.6
    #   class 2: p = .05 .1 .55 .1, y = 0 0 1 0 -> low {.05, .1, .1}: -.25; high {.55}: .45
    # classwise-ECE = (.45 + .3 + .35 + .6 + .25 + .45) / (K N) = 2.4 / 12
    assert cal.classwise_ece(PROBS, LABELS, n_bins=2) == pytest.approx(0.2, abs=1e-12)


def test_accuracy_brier_nll_hand_computed():
    assert cal.accuracy(PROBS, LABELS) == pytest.approx(0.75)
    # per example sum_k (p_k - y_k)^2
    b = [0.01 + 0.0025 + 0.0025, 0.49 + 0.36 + 0.01, 0.0625 + 0.04 + 0.2025, 0.04 + 0.01 + 0.01]
    assert cal.brier(PROBS, LABELS) == pytest.approx(np.mean(b), abs=1e-12)
    logits = np.log(PROBS)
    assert cal.nll(logits, LABELS) == pytest.approx(-np.mean(np.log([0.9, 0.3, 0.55, 0.8])))
    # T = 2 on log-probs: softmax(log p / 2) = sqrt(p) / sum sqrt(p)
    q = np.sqrt(PROBS) / np.sqrt(PROBS).sum(axis=1, keepdims=True)
    assert cal.nll(logits, LABELS, temperature=2.0) == pytest.approx(
        -np.mean(np.log(q[np.arange(4), LABELS]))
    )


def test_softmax_is_stable_and_tempered():
    z = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    p = cal.softmax(z)
    assert np.all(np.isfinite(p)) and np.allclose(p.sum(axis=1), 1.0)
    assert p[0, 0] == pytest.approx(1.0)
    assert cal.softmax(z, 2.0)[1] == pytest.approx(
        np.exp([0.5, 1, 1.5]) / np.exp([0.5, 1, 1.5]).sum()
    )
    # NLL of a confident mistake stays finite, through log_softmax
    assert cal.nll(z[:1], np.array([2])) == pytest.approx(2000.0)


# --- independent references -----------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ece_mce_match_torchmetrics(seed):
    logits, labels = random_case(seed=seed)
    probs = cal.softmax(logits)
    conf = probs.max(axis=1)
    edges = np.linspace(0, 1, 16)
    # conventions differ only for confidences exactly on an inner edge or equal to 1.0
    assert not np.isin(conf, edges).any()
    preds, target = torch.from_numpy(probs), torch.from_numpy(labels)
    for norm, ours in (("l1", cal.ece), ("max", cal.mce)):
        ref = multiclass_calibration_error(preds, target, num_classes=10, n_bins=15, norm=norm)
        # torchmetrics accumulates in float32
        assert ours(probs, labels, n_bins=15) == pytest.approx(float(ref), abs=2e-6)


def test_smooth_ece_is_relplots():
    logits, labels = random_case(seed=3)
    ref = relplot.smECE(*relplot.multiclass_logits_to_confidences(logits, labels))
    assert cal.smooth_ece(cal.softmax(logits), labels) == pytest.approx(ref, rel=1e-9)


def test_metrics_are_reasonable_on_overconfident_model():
    logits, labels = random_case(seed=4)
    probs = cal.softmax(logits)
    e = cal.ece(probs, labels)
    assert 0.05 < e < 1.0
    # equal-mass bins hold the same information: same order of magnitude
    assert cal.adaptive_ece(probs, labels) == pytest.approx(e, rel=0.3)
    assert cal.mce(probs, labels) >= e
    # at the true temperature the model is calibrated: ECE is sampling noise only
    assert cal.ece(cal.softmax(logits, 2.0), labels) < 0.2 * e


# --- bootstrap ------------------------------------------------------------------------------

ALL_BUT_SMECE = [m for m in cal.ALL_METRICS if m != "smece"]


@pytest.mark.parametrize("n_bins", [1, 10])
def test_bootstrap_replicates_equal_metrics_on_resampled_data(n_bins):
    logits, labels = random_case(n=503, k=7, seed=5)  # 503 = 50 * 10 + 3: unequal bins
    est, rep = cal.bootstrap_samples(
        logits,
        labels,
        temperature=1.5,
        n_bins=n_bins,
        metrics=cal.ALL_METRICS,
        n_resamples=40,
        seed=11,
        smece_resamples=3,
    )
    probs = cal.softmax(logits, 1.5)
    idx = cal.bootstrap_indices(503, 40, 11)
    reference = {
        "accuracy": lambda p, y, z: cal.accuracy(p, y),
        "nll": lambda p, y, z: cal.nll(z, y, temperature=1.5),
        "brier": lambda p, y, z: cal.brier(p, y),
        "ece": lambda p, y, z: cal.ece(p, y, n_bins=n_bins),
        "mce": lambda p, y, z: cal.mce(p, y, n_bins=n_bins),
        "adaptive_ece": lambda p, y, z: cal.adaptive_ece(p, y, n_bins=n_bins),
        "classwise_ece": lambda p, y, z: cal.classwise_ece(p, y, n_bins=n_bins),
        "smece": lambda p, y, z: cal.smooth_ece(p, y),
    }
    for name, fn in reference.items():
        assert est[name] == pytest.approx(fn(probs, labels, logits), abs=1e-12), name
        for b in range(rep[name].size):
            i = idx[b]
            expected = fn(probs[i], labels[i], logits[i])
            assert rep[name][b] == pytest.approx(expected, abs=1e-12), name
    assert rep["accuracy"].shape == (40,) and rep["smece"].shape == (3,)


def test_bootstrap_reproducible_and_seed_dependent():
    logits, labels = random_case(seed=6)
    kwargs = dict(temperature=1.0, n_bins=15, metrics=ALL_BUT_SMECE, n_resamples=200)
    a = cal.bootstrap_metrics(logits, labels, seed=3, **kwargs)
    b = cal.bootstrap_metrics(logits, labels, seed=3, **kwargs)
    c = cal.bootstrap_metrics(logits, labels, seed=4, **kwargs)
    assert a.equals(b)
    assert not np.allclose(a["lower"], c["lower"])
    assert a["estimate"].equals(c["estimate"])


def test_bootstrap_interval_contains_estimate_and_covers_truth():
    # an over-confident model: every point estimate lies inside its 95 % interval
    logits, labels = random_case(n=4000, seed=7)
    table = cal.bootstrap_metrics(
        logits,
        labels,
        temperature=1.0,
        n_bins=15,
        metrics=ALL_BUT_SMECE,
        n_resamples=300,
        seed=0,
    )
    assert table["metric"].tolist() == ALL_BUT_SMECE
    inside = (table["lower"] <= table["estimate"]) & (table["estimate"] <= table["upper"])
    assert inside[table["metric"] != "classwise_ece"].all(), table
    assert (table["upper"] - table["lower"] > 0).all()
    # the accuracy interval has the width of the binomial one, 2 * 1.96 * sqrt(p (1 - p) / n)
    acc = table.set_index("metric").loc["accuracy"]
    width = 2 * 1.96 * np.sqrt(acc["estimate"] * (1 - acc["estimate"]) / 4000)
    assert acc["upper"] - acc["lower"] == pytest.approx(width, rel=0.2)


def test_calibration_report_layout():
    logits, labels = random_case(n=800, seed=8)
    report = cal.calibration_report(
        logits,
        labels,
        temperature=2.0,
        n_bins=15,
        n_resamples=50,
        seed=1,
        smece_resamples=5,
    )
    assert report["metric"].tolist() == [*cal.ALL_METRICS, "temperature"]
    assert set(report.columns) >= {"estimate", "lower", "upper", "se", "temperature", "n_examples"}
    assert report.set_index("metric").loc["temperature", "estimate"] == 2.0
    assert report.set_index("metric").loc["smece", "n_resamples"] == 5
    assert report.set_index("metric").loc["ece", "estimate"] == pytest.approx(
        cal.ece(cal.softmax(logits, 2.0), labels, n_bins=15)
    )


# --- bad input ------------------------------------------------------------------------------


def test_probs_must_look_like_probabilities():
    logits, labels = random_case(n=20)
    with pytest.raises(cal.CalibrationInputError, match="were logits passed"):
        cal.ece(logits, labels)


@pytest.mark.parametrize(
    ("probs", "labels", "error", "message"),
    [
        (np.zeros((0, 3)), np.zeros(0, dtype=int), cal.EmptyInputError, "empty split"),
        (PROBS, LABELS[:3], cal.ShapeError, "shape mismatch"),
        (PROBS[0], LABELS, cal.ShapeError, "2-D"),
        (PROBS, np.array([0, 0, 3, 0]), cal.LabelRangeError, r"1 of 4 labels outside \[0, 2\]"),
        (PROBS, LABELS.astype(float), cal.LabelRangeError, "integer"),
        (np.where(PROBS > 0.7, np.nan, PROBS), LABELS, cal.NonFiniteError, "2 non-finite"),
    ],
)
def test_bad_input_raises(probs, labels, error, message):
    with pytest.raises(error, match=message):
        cal.ece(probs, labels)
    assert issubclass(error, ValueError)


def test_bad_arguments_raise():
    logits, labels = random_case(n=50)
    with pytest.raises(cal.CalibrationInputError, match="temperature"):
        cal.softmax(logits, 0.0)
    with pytest.raises(cal.CalibrationInputError, match="n_bins"):
        cal.ece(cal.softmax(logits), labels, n_bins=0)
    with pytest.raises(cal.CalibrationInputError, match="unknown metrics"):
        cal.bootstrap_metrics(
            logits,
            labels,
            temperature=1.0,
            n_bins=15,
            metrics=["ece", "auroc"],
            n_resamples=5,
            seed=0,
        )


def test_ece_from_saved_bins_equals_ece():
    rng = np.random.default_rng(11)
    logits = rng.normal(scale=2.0, size=(3000, 10))
    labels = rng.integers(0, 10, 3000)
    probs = cal.softmax(logits)
    bins = cal.reliability_bins(probs, labels, n_bins=15)
    assert cal.ece_from_bins(bins) == pytest.approx(cal.ece(probs, labels, n_bins=15), abs=1e-12)
