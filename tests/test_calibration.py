"""Calibration metrics against hand-computed cases and independent references.

References: torchmetrics' multiclass calibration error (ECE = norm "l1", MCE = norm "max"),
relplot's smECE, and the dense implementations of the metrics as they stood before the core
moved to top-label vectors (copied below as ``ref_*``). Bootstrap replicates are checked against
the metric functions applied to the explicitly resampled data; the debiased ECE against
synthetic models whose calibration error is known.
"""

from __future__ import annotations

import numpy as np
import pytest
import relplot
import torch
from torchmetrics.functional.classification import multiclass_calibration_error

from lsrepro import calibration as cal

# --- the dense implementations before the vector core (reference; formulas unchanged) --------


def ref_top_label(p, y):
    pred = p.argmax(axis=1)
    return p[np.arange(p.shape[0]), pred], (pred == y).astype(np.float64)


def ref_binned(p, y, m):
    conf, acc = ref_top_label(p, y)
    b = np.clip(np.searchsorted(np.linspace(0, 1, m + 1), conf, side="left") - 1, 0, m - 1)
    count = np.bincount(b, minlength=m).astype(float)
    return count, np.bincount(b, conf, m), np.bincount(b, acc, m)


def ref_ece(p, y, m=15):
    count, s_conf, s_acc = ref_binned(p, y, m)
    return np.abs(s_acc - s_conf).sum() / p.shape[0]


def ref_mce(p, y, m=15):
    count, s_conf, s_acc = ref_binned(p, y, m)
    full = count > 0
    return (np.abs(s_acc[full] - s_conf[full]) / count[full]).max()


def ref_adaptive_ece(p, y, m=15):
    conf, acc = ref_top_label(p, y)
    order = np.argsort(conf, kind="stable")
    parts = np.array_split((acc - conf)[order], m)
    return sum(abs(part.sum()) for part in parts) / p.shape[0]


def ref_classwise_ece(p, y, m=15):
    n, k = p.shape
    d = -p.copy()
    d[np.arange(n), y] += 1.0
    b = np.clip(np.searchsorted(np.linspace(0, 1, m + 1), p, side="left") - 1, 0, m - 1)
    key = b + m * np.arange(k)
    return np.abs(np.bincount(key.ravel(), d.ravel(), k * m)).sum() / (n * k)


def ref_nll(z, y, t=1.0):
    s = z / t
    s = s - s.max(axis=1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    return -logp[np.arange(z.shape[0]), y].mean()


def ref_brier(p, y):
    onehot = np.eye(p.shape[1])[y]
    return ((p - onehot) ** 2).sum(axis=1).mean()


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


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("n_bins", [1, 7, 15])
def test_dense_metrics_equal_the_reference_implementations(seed, n_bins):
    logits, labels = random_case(n=2001, k=13, seed=seed)
    for t in (1.0, 1.7):
        p = cal.softmax(logits, t)
        assert cal.ece(p, labels, n_bins) == pytest.approx(ref_ece(p, labels, n_bins), abs=1e-15)
        assert cal.mce(p, labels, n_bins) == pytest.approx(ref_mce(p, labels, n_bins), abs=1e-15)
        assert cal.adaptive_ece(p, labels, n_bins) == pytest.approx(
            ref_adaptive_ece(p, labels, n_bins), abs=1e-14
        )
        assert cal.classwise_ece(p, labels, n_bins) == pytest.approx(
            ref_classwise_ece(p, labels, n_bins), abs=1e-15
        )
        assert cal.nll(logits, labels, t) == pytest.approx(ref_nll(logits, labels, t), abs=1e-13)
        assert cal.brier(p, labels) == pytest.approx(ref_brier(p, labels), abs=1e-13)


# --- the vector core --------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_rows", [None, 1, 7, 5000])
def test_predictions_from_logits_equal_the_dense_softmax(chunk_rows):
    logits, labels = random_case(n=1003, k=11, seed=12)
    pred = cal.predictions_from_logits(logits, labels, 1.3, chunk_rows=chunk_rows)
    p = cal.softmax(logits, 1.3)
    conf, acc = ref_top_label(p, labels)
    rows = np.arange(len(labels))
    np.testing.assert_array_equal(pred.confidence, conf)
    np.testing.assert_array_equal(pred.correct, acc)
    np.testing.assert_allclose(pred.true_logprob, np.log(p[rows, labels]), rtol=0, atol=1e-13)
    np.testing.assert_allclose(pred.sum_sq, (p * p).sum(axis=1), rtol=0, atol=1e-15)
    # the same vectors from float32 input on (B, T, K) "tokens" with padding left out
    z3 = logits.astype(np.float32)[:1000].reshape(10, 100, 11)
    y3 = labels[:1000].reshape(10, 100).copy()
    y3[:, 90:] = -100
    keep = (y3 != -100).ravel()
    tok = cal.predictions_from_logits(z3, y3, chunk_rows=64, ignore_index=-100)
    dense = cal.top_label(cal.softmax(z3.reshape(-1, 11)[keep]), labels[:1000][keep])
    assert tok.n == 900
    for name in ("confidence", "correct", "true_logprob", "sum_sq"):
        np.testing.assert_allclose(getattr(tok, name), getattr(dense, name), rtol=0, atol=1e-12)


def test_predictions_from_torch_tensor_equal_numpy():
    logits, labels = random_case(n=500, k=9, seed=13)
    a = cal.predictions_from_logits(logits, labels, 0.7, chunk_rows=64)
    b = cal.predictions_from_logits(torch.from_numpy(logits), torch.from_numpy(labels), 0.7)
    for name in ("confidence", "correct", "true_logprob", "sum_sq"):
        np.testing.assert_allclose(getattr(b, name), getattr(a, name), rtol=0, atol=1e-13)
    stream = cal.predictions_from_chunks(
        ((logits[i : i + 100], labels[i : i + 100]) for i in range(0, 500, 100)), 0.7
    )
    np.testing.assert_array_equal(stream.confidence, a.confidence)


def test_vector_metrics_equal_the_dense_ones():
    logits, labels = random_case(n=1500, k=10, seed=14)
    p = cal.softmax(logits)
    pred = cal.predictions_from_logits(logits, labels)
    c, a = pred.confidence, pred.correct
    assert cal.ece_from_vectors(c, a, 10) == pytest.approx(ref_ece(p, labels, 10), abs=1e-15)
    assert cal.mce_from_vectors(c, a, 10) == pytest.approx(ref_mce(p, labels, 10), abs=1e-15)
    assert cal.adaptive_ece_from_vectors(c, a, 10) == pytest.approx(
        ref_adaptive_ece(p, labels, 10), abs=1e-14
    )
    assert cal.nll_from_vectors(true_logprob=pred.true_logprob) == pytest.approx(
        ref_nll(logits, labels), abs=1e-13
    )
    assert cal.nll_from_vectors(pred.true_prob) == pytest.approx(ref_nll(logits, labels), abs=1e-12)
    assert cal.brier_from_vectors(pred.true_prob, pred.sum_sq) == pytest.approx(
        ref_brier(p, labels), abs=1e-13
    )
    # independent references, not the dense wrappers (they call these very functions)
    ref_smece = relplot.smECE(*relplot.multiclass_logits_to_confidences(logits, labels))
    assert cal.smooth_ece_from_vectors(c, a) == pytest.approx(ref_smece, rel=1e-9)
    bins = cal.reliability_bins_from_vectors(c, a, 15)
    count, s_conf, s_acc = ref_binned(p, labels, 15)
    np.testing.assert_array_equal(bins["count"], count)
    full = count > 0
    np.testing.assert_allclose(bins["mean_confidence"][full], (s_conf / count)[full], atol=1e-15)
    np.testing.assert_allclose(bins["accuracy"][full], (s_acc / count)[full], atol=1e-15)
    assert bins["mean_confidence"][~full].isna().all() and bins["accuracy"][~full].isna().all()
    np.testing.assert_allclose(bins["upper"], np.arange(1, 16) / 15, atol=1e-15)
    # by hand, with confidences on the edges (right-closed bins: 0.2 in the first, 0.4 in the
    # second, 1.0 in the last), M = 5:
    #   (0, .2]: 0.0 (right), 0.2 (wrong) -> conf .1, acc .5, gap .4, weight 2/6
    #   (.2, .4]: 0.4 (right) -> gap .6;  (.4, .6]: 0.4000001 (right) -> gap .5999999
    #   (.8, 1]: 0.9 (right), 1.0 (wrong) -> conf .95, acc .5, gap .45, weight 2/6
    c = np.array([0.0, 0.2, 0.4, 0.4000001, 1.0, 0.9])
    a = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0])
    bins = cal.reliability_bins_from_vectors(c, a, 5)
    assert bins["count"].tolist() == [2, 1, 1, 0, 2]
    np.testing.assert_allclose(bins["mean_confidence"], [0.1, 0.4, 0.4000001, np.nan, 0.95])
    np.testing.assert_allclose(bins["accuracy"], [0.5, 1.0, 1.0, np.nan, 0.5])
    ece = (2 * 0.4 + 0.6 + 0.5999999 + 2 * 0.45) / 6
    assert cal.ece_from_vectors(c, a, 5) == pytest.approx(ece, abs=1e-15)
    assert cal.mce_from_vectors(c, a, 5) == pytest.approx(0.6, abs=1e-15)


def test_report_from_vectors_equals_the_dense_report():
    logits, labels = random_case(n=900, k=8, seed=15)
    kwargs = dict(temperature=1.4, n_bins=15, n_resamples=60, seed=2, smece_resamples=4)
    dense = cal.calibration_report(logits, labels, **kwargs)
    pred = cal.predictions_from_logits(logits, labels, 1.4)
    vec = cal.calibration_report_from_vectors(
        pred.confidence, pred.correct, pred.true_prob, pred.sum_sq, **kwargs
    )
    assert vec["metric"].tolist() == [*cal.VECTOR_METRICS, "temperature"]
    dense = dense[dense["metric"] != "classwise_ece"].reset_index(drop=True)
    assert vec.columns.tolist() == dense.columns.tolist()
    num = ["estimate", "lower", "upper", "se"]
    np.testing.assert_allclose(vec[num], dense[num], rtol=0, atol=1e-12)
    # both reports end in the same call: check the estimates against independent references
    p_t = cal.softmax(logits / 1.4)
    estimate = vec.set_index("metric")["estimate"]
    assert estimate["accuracy"] == pytest.approx((p_t.argmax(axis=1) == labels).mean(), abs=1e-15)
    assert estimate["nll"] == pytest.approx(ref_nll(logits, labels, 1.4), abs=1e-12)
    assert estimate["brier"] == pytest.approx(ref_brier(p_t, labels), abs=1e-12)
    assert estimate["ece"] == pytest.approx(ref_ece(p_t, labels, 15), abs=1e-14)
    assert estimate["mce"] == pytest.approx(ref_mce(p_t, labels, 15), abs=1e-14)
    assert estimate["adaptive_ece"] == pytest.approx(ref_adaptive_ece(p_t, labels, 15), abs=1e-14)
    assert estimate["temperature"] == 1.4
    # the intervals, rebuilt here: resample rows by the documented index matrix
    # (numpy.random.default_rng(seed).integers(0, N, (B, N))), apply the references, take the
    # 2.5 % / 97.5 % quantiles (linear) and the standard deviation (ddof = 1) of the replicates
    idx = np.random.default_rng(2).integers(0, 900, size=(60, 900), dtype=np.int32)
    references = {
        "accuracy": lambda i: (p_t[i].argmax(axis=1) == labels[i]).mean(),
        "nll": lambda i: ref_nll(logits[i], labels[i], 1.4),
        "brier": lambda i: ref_brier(p_t[i], labels[i]),
        "ece": lambda i: ref_ece(p_t[i], labels[i], 15),
        "mce": lambda i: ref_mce(p_t[i], labels[i], 15),
        "smece": lambda i: relplot.smECE(p_t[i].max(axis=1), p_t[i].argmax(axis=1) == labels[i]),
    }
    table = vec.set_index("metric")
    for name, reference in references.items():
        rows = idx[:4] if name == "smece" else idx  # smece_resamples = 4: the first 4 rows
        replicates = np.array([reference(i) for i in rows])
        lower, upper = np.quantile(replicates, [0.025, 0.975])
        got = table.loc[name, ["lower", "upper", "se", "n_resamples"]].to_numpy(dtype=float)
        want = [lower, upper, replicates.std(ddof=1), len(rows)]
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=name)
    # no sum_sq: no Brier by default, and a clear error when asked for
    short = cal.calibration_report_from_vectors(
        pred.confidence,
        pred.correct,
        true_logprob=pred.true_logprob,
        n_bins=15,
        n_resamples=10,
        seed=0,
        metrics=None,
        smece_resamples=0,
    )
    assert "brier" not in set(short["metric"]) and "nll" in set(short["metric"])
    with pytest.raises(cal.CalibrationInputError, match=r"\['brier'\] cannot be computed"):
        cal.calibration_report_from_vectors(
            pred.confidence,
            pred.correct,
            pred.true_prob,
            n_bins=15,
            n_resamples=10,
            seed=0,
            metrics=["ece", "brier"],
        )
    with pytest.raises(cal.CalibrationInputError, match="classwise_ece"):
        cal.calibration_report_from_vectors(
            pred.confidence,
            pred.correct,
            n_bins=15,
            n_resamples=10,
            seed=0,
            metrics=["classwise_ece"],
        )


def test_bad_vectors_raise():
    c = np.array([0.9, 0.6, 0.7])
    with pytest.raises(cal.ShapeError, match="correct has 2 entries"):
        cal.ece_from_vectors(c, np.array([1, 0]))
    with pytest.raises(cal.CalibrationInputError, match="0/1"):
        cal.ece_from_vectors(c, np.array([1, 0, 2]))
    with pytest.raises(cal.CalibrationInputError, match=r"confidence must lie in \[0, 1\]"):
        cal.ece_from_vectors(c * 2, np.array([1, 0, 1]))
    with pytest.raises(cal.NonFiniteError, match="1 non-finite values in confidence"):
        cal.ece_from_vectors(np.array([0.9, np.nan, 0.7]), np.array([1, 0, 1]))
    with pytest.raises(cal.CalibrationInputError, match="were probabilities passed"):
        cal.nll_from_vectors(true_logprob=np.array([0.5, 0.2]))
    with pytest.raises(cal.EmptyInputError):
        cal.ece_from_vectors(np.array([]), np.array([]))


# --- masked vocabularies: -inf logits in non-target classes -----------------------------------


def test_nll_and_predictions_accept_masked_classes():
    logits, labels = random_case(n=400, k=8, seed=16)
    labels = labels % 6  # classes 6 and 7 are masked everywhere
    masked = logits.copy()
    masked[:, 6:] = -np.inf
    masked[::3, 2] = -np.inf  # and class 2 in some rows where it is not the label
    masked[labels == 2, 2] = logits[labels == 2, 2]
    reduced = masked[:, :6]
    assert cal.nll(masked, labels) == pytest.approx(cal.nll(reduced, labels), abs=1e-13)
    assert np.isfinite(cal.nll(masked, labels, temperature=0.5))
    a = cal.predictions_from_logits(masked, labels, chunk_rows=50)
    b = cal.predictions_from_logits(reduced, labels)
    for name in ("confidence", "correct", "true_logprob", "sum_sq"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=0, atol=1e-14)
    est, _ = cal.bootstrap_samples(
        masked,
        labels,
        temperature=1.0,
        n_bins=15,
        metrics=["nll", "classwise_ece"],
        n_resamples=5,
        seed=0,
    )
    assert est["nll"] == pytest.approx(cal.nll(reduced, labels), abs=1e-13)
    bad = masked.copy()
    bad[4, labels[4]] = -np.inf
    with pytest.raises(cal.NonFiniteError, match=r"true class has logit -inf .*first: row 4"):
        cal.nll(bad, labels)
    with pytest.raises(cal.NonFiniteError, match="first: row 4"):
        cal.predictions_from_logits(bad, labels, chunk_rows=3)


# --- adaptive ECE with tied confidences (issue 9) ---------------------------------------------


def tied_case(n=600, seed=0):
    """Binary model with confidences in {.6, .7, .8, .9} and labels Bernoulli(1 - c)."""
    rng = np.random.default_rng(seed)
    c = rng.choice([0.6, 0.7, 0.8, 0.9], size=n)
    labels = (rng.random(n) < 1.0 - c).astype(np.int64)  # class 0 (predicted) w.p. c
    return np.log(np.stack([c, 1.0 - c], axis=1)), labels


def test_adaptive_ece_bootstrap_replicates_equal_the_metric_with_ties():
    logits, labels = tied_case()
    est, rep = cal.bootstrap_samples(
        logits,
        labels,
        temperature=1.0,
        n_bins=15,
        metrics=["adaptive_ece"],
        n_resamples=200,
        seed=0,
    )
    p = cal.softmax(logits)
    recomputed = [cal.adaptive_ece(p[i], labels[i]) for i in cal.bootstrap_indices(600, 200, 0)]
    np.testing.assert_allclose(rep["adaptive_ece"], recomputed, rtol=0, atol=1e-12)
    # the metric is a function of the multiset: the order of tied examples does not matter
    perm = np.random.default_rng(1).permutation(600)
    assert cal.adaptive_ece(p[perm], labels[perm]) == pytest.approx(est["adaptive_ece"], abs=1e-15)


def test_adaptive_ece_tie_rule_by_hand():
    # 4 examples at confidence 0.8 (3 right: residuals .2 .2 .2 -.8, sum -0.2) and 2 at 0.6
    # (both wrong: residuals -.6 -.6). M = 2 equal-mass bins of 3: the first holds both 0.6s
    # and a third of the 0.8 run (-0.2 / 4 per member): |-1.2 - 0.05| + |3 * -0.05| = 1.4
    c = np.array([0.8, 0.6, 0.8, 0.8, 0.6, 0.8])
    a = np.array([1, 0, 1, 0, 0, 1])
    assert cal.adaptive_ece_from_vectors(c, a, 2) == pytest.approx(1.4 / 6, abs=1e-15)


# --- debiased ECE (Kumar, Liang & Ma 2019) ----------------------------------------------------


def test_debiased_ece_by_hand():
    # M = 2; bin (0.5, 1]: c = .9 .9 .7 .7 .6, a = 1 1 1 0 0 -> acc .6, conf .76, n 5
    # D^2 = (5/5) * [(.6 - .76)^2 - .6 * .4 / 4] = .0256 - .06 < 0 -> 0
    c = np.array([0.9, 0.9, 0.7, 0.7, 0.6])
    a = np.array([1, 1, 1, 0, 0])
    assert cal.squared_ce_debiased_from_vectors(c, a, 2) == pytest.approx(0.0256 - 0.06)
    assert cal.ece_debiased_from_vectors(c, a, 2) == 0.0
    # all right at .7: D^2 = (1 - .7)^2 - 0 = .09 -> 0.3, equal to the binned ECE
    assert cal.ece_debiased_from_vectors(np.full(5, 0.7), np.ones(5), 2) == pytest.approx(0.3)


def _bins_ce2(c, a, m=15):
    """Plug-in squared l2 calibration error over equal-width bins (the biased estimator)."""
    count, s_conf, s_acc = (np.bincount(cal.bin_index(c, m), w, m) for w in (None, c, a))
    full = count > 0
    return ((s_acc[full] - s_conf[full]) ** 2 / count[full]).sum() / c.size


@pytest.mark.parametrize("delta", [0.0, 0.05])
def test_debiased_ece_is_unbiased_on_a_model_with_known_calibration_error(delta):
    # confidences uniform on [0.25, 1], accuracy c - delta: every bin's true gap is delta, so the
    # binned calibration error is delta (l1 and l2 alike); n = 2000 in 15 bins leaves the plug-in
    # estimate visibly biased (its excess is about sum_m p_m acc_m (1 - acc_m) / n_m)
    rng = np.random.default_rng(17)
    n, reps = 2000, 300
    d2, plug2, ece, deb = [], [], [], []
    for _ in range(reps):
        c = rng.uniform(0.25, 1.0, n)
        a = (rng.random(n) < c - delta).astype(float)
        d2.append(cal.squared_ce_debiased_from_vectors(c, a))
        plug2.append(_bins_ce2(c, a))
        ece.append(cal.ece_from_vectors(c, a))
        deb.append(cal.ece_debiased_from_vectors(c, a))
    d2, plug2 = np.array(d2), np.array(plug2)
    se = d2.std(ddof=1) / np.sqrt(reps)
    assert abs(d2.mean() - delta**2) < 3.5 * se  # unbiased for delta^2
    excess = plug2.mean() - delta**2
    assert excess > 10 * se  # the plug-in is not
    if delta == 0.0:
        # calibrated: the binned ECE is clearly positive, the debiased one much smaller
        assert min(ece) > 0.01
        assert np.mean(deb) < 0.5 * np.mean(ece)
    else:
        assert np.mean(deb) == pytest.approx(delta, rel=0.05)
        assert np.mean(ece) > delta + 0.001  # the plug-in l1 ECE overshoots (by ~0.002)


def test_debiased_ece_in_bootstrap_equals_the_metric_on_resamples():
    logits, labels = random_case(n=700, k=6, seed=18)
    est, rep = cal.bootstrap_samples(
        logits,
        labels,
        temperature=2.0,
        n_bins=10,
        metrics=["ece_debiased"],
        n_resamples=30,
        seed=4,
    )
    p = cal.softmax(logits, 2.0)
    assert est["ece_debiased"] == pytest.approx(cal.ece_debiased(p, labels, 10), abs=1e-15)
    expected = [cal.ece_debiased(p[i], labels[i], 10) for i in cal.bootstrap_indices(700, 30, 4)]
    np.testing.assert_allclose(rep["ece_debiased"], expected, rtol=0, atol=1e-12)


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
        "ece_debiased": lambda p, y, z: cal.ece_debiased(p, y, n_bins=n_bins),
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
