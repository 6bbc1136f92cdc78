"""Tests of the MI estimator (paper §4, A.2; issue 12) against distributions with known MI, and of
the experiment plumbing on tiny real models and snapshots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure
from scipy import integrate, stats

from lsrepro.artifacts.model import model_blob
from lsrepro.data import augment
from lsrepro.data.images import CIFAR10_CLASSES, Prepared, draw_split, save_prepared, save_split
from lsrepro.figures.information import information_figure, information_vs_distillation_figure
from lsrepro.information.estimator import (
    estimate_information,
    exact_information,
    information_estimate,
    kolchinsky_tracey_bounds,
    simulate,
    validation_cases,
    validation_table,
)
from lsrepro.information.experiment import (
    CURVE_COLUMNS,
    information_curve,
    logit_differences,
    select_examples,
)
from lsrepro.information.files import (
    SUMMARY_VALUES,
    information_vs_distillation,
    select_examples_file,
    snapshot_paths,
    spearman_bootstrap,
    tabulate_information,
)
from lsrepro.io import atomic_torch_save
from lsrepro.models import build_model

N = 600  # the paper's N (300 airplane + 300 dog)


# --- exact MI by quadrature -----------------------------------------------------------------------


def _exact_by_adaptive_quad(means: np.ndarray, var: float) -> float:
    """Independent reference: scipy.integrate.quad of −p log p over the whole real line."""
    sigma = np.sqrt(var)

    def integrand(y: float) -> float:
        p = np.mean(stats.norm.pdf(y, means, sigma))
        return -p * np.log(p) if p > 0 else 0.0

    points = np.unique(means)
    lo, hi = points.min() - 15 * sigma, points.max() + 15 * sigma
    h, _ = integrate.quad(integrand, lo, hi, points=points, limit=500, epsabs=1e-13)
    return h - 0.5 * np.log(2 * np.pi * np.e * var)


def test_exact_information_closed_forms() -> None:
    cases = validation_cases(N)
    assert abs(exact_information(cases["equal"], 1.0)) < 1e-10
    assert exact_information(cases["two far"], 1.0) == pytest.approx(np.log(2), abs=1e-10)
    assert exact_information(cases["N far"], 1.0) == pytest.approx(np.log(N), abs=1e-10)
    # σ only sets the scale: means 50σ apart with σ = 3
    assert exact_information(150.0 * np.arange(40), 9.0) == pytest.approx(np.log(40), abs=1e-10)


@pytest.mark.parametrize(
    "means, var",
    [
        (np.repeat([0.0, 4.0], 10), 1.0),  # two clusters 4σ apart
        (np.array([0.0, 0.3, 1.1, 2.5, 2.6, 7.0]), 0.7),  # generic
    ],
)
def test_exact_information_matches_adaptive_quadrature(means: np.ndarray, var: float) -> None:
    assert exact_information(means, var) == pytest.approx(
        _exact_by_adaptive_quad(means, var), abs=1e-8
    )


# --- the estimator's formula ----------------------------------------------------------------------


def _naive(y: np.ndarray, means: np.ndarray, with_1_over_n: bool = True) -> float:
    """The paper's Î written as explicit loops, with or without its 1/N factors."""
    n = len(y)
    var = sum((y[x] - means[x]) ** 2 for x in range(n)) / n
    total = 0.0
    for x in range(n):
        inner = sum(np.exp(-((y[x] - means[j]) ** 2) / (2 * var)) for j in range(n))
        inner = inner / n if with_1_over_n else inner
        total += -((y[x] - means[x]) ** 2) / (2 * var) - np.log(inner)
    return total / n if with_1_over_n else total


def test_estimate_is_the_formula_with_1_over_n_factors() -> None:
    rng = np.random.default_rng(1)
    means = rng.normal(scale=2.0, size=9)
    y = means + rng.normal(size=9)
    assert information_estimate(y, means) == pytest.approx(_naive(y, means), rel=1e-12)
    assert information_estimate(y, means) != pytest.approx(_naive(y, means, False), abs=1.0)


def test_formula_without_1_over_n_is_not_computed() -> None:
    """The older formula gives values like −4000 at N = 600 (math.techqa); ours gives log 2."""
    means = validation_cases(N)["two far"]
    sample, fresh = simulate(means, 5, np.random.default_rng(0))
    mu = sample.mean(axis=0)
    ours = information_estimate(fresh, mu)
    old = _naive(fresh, mu, with_1_over_n=False)
    assert old < -3000  # N · (Î − log N) ≈ 600 · (0.69 − 6.40)
    assert ours == pytest.approx(np.log(2), abs=0.15)
    assert abs(ours - old) > 1000


def test_estimate_never_exceeds_log_n() -> None:
    """Each bracket of Î is at most log N, whatever the inputs (also adversarial ones)."""
    rng = np.random.default_rng(2)
    for _ in range(50):
        n = int(rng.integers(2, 60))
        means = rng.normal(scale=rng.choice([0.01, 1.0, 100.0]), size=n)
        y = means + rng.normal(scale=rng.choice([1e-3, 1.0]), size=n)
        assert information_estimate(y, means) <= np.log(n) + 1e-12
        lower, upper = kolchinsky_tracey_bounds(means, float(rng.uniform(0.01, 5)))
        assert -1e-12 <= lower <= upper <= np.log(n) + 1e-12


def test_zero_variance_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="within-example variance is 0"):
        information_estimate(np.ones(4), np.ones(4))
    with pytest.raises(ValueError, match="non-finite"):
        estimate_information(np.array([[0.0, np.nan], [1.0, 2.0]]))


def test_bounds_bracket_the_exact_mi_of_their_mixture() -> None:
    """Kolchinsky–Tracey: lower ≤ I ≤ upper for the true mixtures and for fitted ones."""
    rng = np.random.default_rng(3)
    for means in validation_cases(200).values():
        exact = exact_information(means, 1.0)
        lower, upper = kolchinsky_tracey_bounds(means, 1.0)
        assert lower - 1e-9 <= exact <= upper + 1e-9
        sample, _ = simulate(means, 5, rng)
        est = estimate_information(sample)
        fitted = exact_information(sample.mean(axis=0), est.var_within)
        assert est.mi_lower - 1e-9 <= fitted <= est.mi_upper + 1e-9
    # the bounds are not trivially loose: N 0.1σ sits strictly inside a gap of < 1 nat
    lower, upper = kolchinsky_tracey_bounds(validation_cases(200)["N 0.1σ"], 1.0)
    assert 0 < upper - lower < 1.0


# --- known-MI validation (issue 12) ---------------------------------------------------------------


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    """Means over 16 repetitions at N = 600 (one repetition's noise is in the *_sd columns)."""
    return validation_table(seed=0, n=N, repeats=16).set_index("case")


def test_validation_cases_have_the_stated_exact_values(table: pd.DataFrame) -> None:
    assert table.loc["equal", "exact"] == pytest.approx(0.0, abs=1e-10)
    assert table.loc["two far", "exact"] == pytest.approx(np.log(2), abs=1e-10)
    assert table.loc["N far", "exact"] == pytest.approx(np.log(N), abs=1e-10)
    assert 0.3 < table.loc["two 4σ", "exact"] < np.log(2)
    assert 1.0 < table.loc["N 0.1σ", "exact"] < np.log(N) - 1.0


def test_estimate_within_tolerance_of_exact(table: pd.DataFrame) -> None:
    err5 = (table["fresh_L5"] - table["exact"]).abs()
    err100 = (table["fresh_L100"] - table["exact"]).abs()
    assert (err5 <= 0.15).all(), err5
    assert (err100 <= 0.03).all(), err100


def test_insample_and_fresh_bracket_the_exact_value(table: pd.DataFrame) -> None:
    tol = 1e-9  # "N far": all three equal log N up to rounding
    assert (table["insample_L5"] >= table["exact"] - tol).all()
    assert (table["exact"] >= table["fresh_L5"] - tol).all()
    # the biases are real where the clusters overlap, and shrink with L
    overlapping = ["equal", "two far", "two 4σ", "N 0.1σ"]
    assert (table.loc[overlapping, "insample_L5"] - table.loc[overlapping, "exact"] > 0.05).all()
    assert (table.loc[overlapping, "exact"] - table.loc[overlapping, "fresh_L5"] > 0.03).all()
    bias5 = (table["fresh_L5"] - table["exact"]).abs()
    bias100 = (table["fresh_L100"] - table["exact"]).abs()
    assert (bias100.loc[overlapping] < bias5.loc[overlapping]).all()


def test_fitted_bounds_bracket_the_fitted_mixture(table: pd.DataFrame) -> None:
    assert (table["lower"] <= table["fitted_exact"] + 1e-9).all()
    assert (table["fitted_exact"] <= table["upper"] + 1e-9).all()
    # and the truth, up to the fitting error of L = 5 means (≤ 0.15 nat, as the estimate)
    assert (table["lower"] <= table["exact"] + 0.15).all()
    assert (table["exact"] <= table["upper"] + 0.15).all()


def test_estimates_lie_in_0_log_n(table: pd.DataFrame) -> None:
    """Î ≤ log N exactly; below 0 only by its negative bias when the true MI is 0."""
    cols = ["fresh_L5", "insample_L5", "fresh_L100", "lower", "upper"]
    assert (table[cols].to_numpy() <= np.log(N) + 1e-9).all()
    assert (table[cols].to_numpy() >= -0.15).all()
    assert (table[["insample_L5", "lower", "upper"]].to_numpy() >= 0).all()


# --- experiment on tiny real models ---------------------------------------------------------------

MLP_SPEC = {"name": "mlp", "hidden": [16], "dropout": 0.0, "init_variance": 0.01}
INPUT = {"crop": 28, "pad": 2, "flip": False, "normalize": "unit"}  # MNIST teacher shifts


def _images(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, 28, 28, 1), dtype=np.uint8)


def _model(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build_model(MLP_SPEC, num_classes=10, in_channels=1)


def test_logit_differences_reproducible_and_seeded() -> None:
    model, images, spec = _model(0), _images(12), augment.InputSpec(**INPUT)
    a = logit_differences(model, images, spec, (0, 5), draws=3, seed=7, batch_size=5)
    b = logit_differences(model, images, spec, (0, 5), draws=3, seed=7, batch_size=12)
    c = logit_differences(model, images, spec, (0, 5), draws=3, seed=8, batch_size=5)
    assert a.shape == (3, 12) and a.dtype == np.float64
    # The augmentations do not depend on the batch size; the float32 forward pass may differ in
    # its last bits (BLAS picks its kernels by the batch's shape: 1.9e-7 seen on one CPU).
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not np.allclose(a, c)
    assert not np.allclose(a[0], a[1])  # draws differ from each other
    # the definition: logit[0] − logit[5] of the draw's augmentation, signed (no abs)
    from lsrepro.information.experiment import augmentation_generator

    x, _ = augment.train_batch(torch.from_numpy(images), spec, augmentation_generator(7, 1))
    with torch.no_grad():
        logits = model(x).double()
    np.testing.assert_allclose(a[1], (logits[:, 0] - logits[:, 5]).numpy(), rtol=1e-6, atol=1e-9)
    assert (a < 0).any()  # signed: an |difference| would never be negative


def _save_snapshots(run_dir, steps=(0, 100, 200), **recipe) -> list:
    model = _model(0)
    paths = []
    for k, step in enumerate(steps):
        with torch.no_grad():  # a different network at every step
            for p in model.parameters():
                p.add_(0.05 * k * torch.randn_like(p))
        meta = {
            "recipe": {"model": MLP_SPEC, "input": INPUT, **recipe},
            "build_args": {"num_classes": 10, "in_channels": 1},
            "step": step,
            "fingerprint": "test",
        }
        path = run_dir / f"step~{step}.pt"
        atomic_torch_save(model_blob(model, meta), path)
        paths.append(path)
    return paths


def test_information_curve_on_saved_snapshots(tmp_path) -> None:
    paths = _save_snapshots(tmp_path, steps=(0, 100, 200))
    images = _images(40)
    curve = information_curve(
        list(reversed(paths)), images, (0, 5), draws=5, reference_draws=20, seed=0
    )
    assert tuple(curve.columns) == CURVE_COLUMNS
    assert curve["step"].tolist() == [0, 100, 200]
    assert (curve["n_examples"] == 40).all() and (curve["draws"] == 5).all()
    assert np.allclose(curve["log_n"], np.log(40))
    assert (curve["mi"] <= np.log(40)).all()
    assert (curve["var_within"] > 0).all() and (curve["var_between"] > 0).all()
    assert (curve["mi_lower"] <= curve["mi_upper"]).all()
    # reference at first, peak and last only: with 3 snapshots, all of them
    assert curve["mi_reference"].notna().all()
    only_last = information_curve(
        paths, images, (0, 5), draws=5, reference_draws=20, seed=0, reference_at=("last",)
    )
    assert only_last["mi_reference"].isna().tolist() == [True, True, False]
    pd.testing.assert_series_equal(only_last["mi"], curve["mi"])  # same draws, same value
    assert snapshot_paths(tmp_path) == paths


def test_information_curve_runs_each_snapshot_in_its_recipe_precision(tmp_path) -> None:
    images, curves = _images(40), {}
    for precision in ("fp32", "bf16"):
        (tmp_path / precision).mkdir()
        paths = _save_snapshots(tmp_path / precision, steps=(0, 100), precision=precision)
        curves[precision] = information_curve(paths, images, (0, 5), draws=5, reference_at=())
    fp32, bf16 = (curves[p]["var_between"].to_numpy() for p in ("fp32", "bf16"))
    assert not np.array_equal(fp32, bf16)  # bf16 autocast ran for the bf16 recipe ...
    np.testing.assert_allclose(bf16, fp32, rtol=0.05)  # ... on the same networks


def test_select_examples_pair() -> None:
    labels = np.repeat(np.arange(10), 50)
    rows = select_examples(labels, (0, 5), 20, seed=3)
    assert rows.shape == (40,)
    assert (labels[rows[:20]] == 0).all() and (labels[rows[20:]] == 5).all()
    np.testing.assert_array_equal(rows, select_examples(labels, (0, 5), 20, seed=3))
    assert not np.array_equal(rows, select_examples(labels, (0, 5), 20, seed=4))
    with pytest.raises(ValueError, match="two distinct"):
        select_examples(labels, (5, 5), 20, seed=3)


# --- files ----------------------------------------------------------------------------------------


def test_select_examples_file(tmp_path) -> None:
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 30)
    data = Prepared(
        x_train=rng.integers(0, 256, (300, 4, 4, 3), dtype=np.uint8),
        y_train=y,
        x_test=rng.integers(0, 256, (10, 4, 4, 3), dtype=np.uint8),
        y_test=np.arange(10),
        class_names=CIFAR10_CLASSES,
    )
    save_prepared(data, tmp_path / "prep.npz")
    split = draw_split(y, 100, seed=0)
    save_split(split, tmp_path / "split.npz")
    rows = select_examples_file(
        tmp_path / "prep.npz",
        tmp_path / "split.npz",
        ["airplane", "dog"],
        10,
        1,
        tmp_path / "e.npz",
    )
    with np.load(tmp_path / "e.npz") as z:
        np.testing.assert_array_equal(z["rows"], rows)
        assert z["classes"].tolist() == [0, 5]
        assert (z["labels"] == y[rows]).all()
    assert set(rows) <= set(split.train)  # never a validation example
    with pytest.raises(ValueError, match="unknown class name.*'plane'.*valid names"):
        select_examples_file(
            tmp_path / "prep.npz",
            tmp_path / "split.npz",
            ["plane", "dog"],
            10,
            1,
            tmp_path / "f.npz",
        )


def _mi_csv(path, mi: list[float], log_n: float = np.log(600)) -> None:
    steps = [0, 100, 200][: len(mi)]
    df = pd.DataFrame({c: np.nan for c in CURVE_COLUMNS}, index=range(len(mi)))
    df["step"], df["mi"], df["log_n"] = steps, mi, log_n
    df["n_examples"], df["draws"] = 600, 5
    df.to_csv(path, index=False)


def test_tabulate_information(tmp_path) -> None:
    values = {(0.0, 1): [0.1, 3.0, 2.0], (0.0, 2): [0.3, 4.0, 1.0], (0.1, 1): [0.2, 2.0, 0.8]}
    files, runs = [], []
    for (alpha, seed), mi in values.items():
        files.append(tmp_path / f"{alpha}_{seed}.csv")
        _mi_csv(files[-1], mi)
        runs.append({"experiment": "resnet56", "alpha": alpha, "seed": seed})
    summary = tabulate_information(
        files, runs, 0.95, tmp_path / "per_seed.csv", tmp_path / "summary.csv"
    )
    assert set(summary["variable"]) == set(SUMMARY_VALUES)
    row = summary.loc[
        (summary["alpha"] == 0.0) & (summary["step"] == 100) & (summary["variable"] == "mi")
    ].iloc[0]
    assert (row["n"], row["mean"], row["min"], row["max"]) == (2, 3.5, 3.0, 4.0)
    half = stats.t.ppf(0.975, 1) * np.std([3.0, 4.0], ddof=1) / np.sqrt(2)
    assert row["ci_upper"] == pytest.approx(3.5 + half)
    assert len(pd.read_csv(tmp_path / "per_seed.csv")) == 9
    fig = information_figure(summary, "ResNet-56 / CIFAR-10")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert "nats" in ax.get_ylabel() and ax.get_xlabel()
    labels = [t.get_text() for t in ax.texts]
    assert any(t.startswith("log 2") for t in labels) and any("log 600" in t for t in labels)


def test_information_vs_distillation(tmp_path) -> None:
    alphas = [0.0, 0.15, 0.3, 0.45, 0.6, 0.75]
    final_mi = [2.0, 1.5, 1.2, 1.0, 0.9, 0.8]  # decreasing with α
    rows = []
    for alpha, mi in zip(alphas, final_mi, strict=True):
        for step, value in ((0, 0.1), (100, mi)):
            rows.append(
                {
                    "experiment": "t",
                    "alpha": alpha,
                    "step": step,
                    "variable": "mi",
                    "n": 5,
                    "mean": value,
                    "min": value - 0.1,
                    "max": value + 0.1,
                }
            )
    pd.DataFrame(rows).to_csv(tmp_path / "summary.csv", index=False)
    fig5 = []
    for k, alpha in enumerate(alphas):
        curve = "student_hard_teacher" if alpha == 0 else "student_ls_teacher"
        for seed in range(3):
            acc = 0.80 - 0.01 * k + 0.001 * seed
            fig5.append(
                {
                    "curve": curve,
                    "teacher_alpha": alpha,
                    "temperature": 1.0,
                    "gamma": alpha,
                    "seed": seed,
                    "val_accuracy": acc,
                    "test_accuracy": acc - 0.005,
                }
            )
    # distractors: another temperature, and a student trained without a teacher
    fig5.append(
        {
            "curve": "student_hard_teacher",
            "teacher_alpha": 0.0,
            "temperature": 4.0,
            "gamma": 0.1,
            "seed": 0,
            "val_accuracy": 0.1,
            "test_accuracy": 0.1,
        }
    )
    fig5.append(
        {
            "curve": "student_ls",
            "teacher_alpha": 0.3,
            "temperature": 1.0,
            "gamma": 0.3,
            "seed": 0,
            "val_accuracy": 0.1,
            "test_accuracy": 0.1,
        }
    )
    pd.DataFrame(fig5).to_csv(tmp_path / "fig5.csv", index=False)
    table = information_vs_distillation(
        tmp_path / "summary.csv", tmp_path / "fig5.csv", tmp_path / "out.csv"
    )
    assert table["teacher_alpha"].tolist() == alphas
    assert (table["mi_step"] == 100).all() and (table["student_seeds"] == 3).all()
    assert table["student_val_accuracy_mean"].iloc[0] == pytest.approx(0.801)
    assert table["spearman_rho"].iloc[0] == pytest.approx(1.0)  # monotone: lower MI, worse
    assert table["spearman_ci_lower"].iloc[0] <= 1.0 <= table["spearman_ci_upper"].iloc[0] + 1e-12
    assert isinstance(information_vs_distillation_figure(table), Figure)


def test_spearman_bootstrap_interval_covers_and_is_nontrivial() -> None:
    rng = np.random.default_rng(0)
    x = np.arange(12.0)
    y = x + rng.normal(scale=4.0, size=12)
    rho, lo, hi = spearman_bootstrap(x, y, n_boot=500, confidence=0.9, seed=0)
    assert rho == pytest.approx(stats.spearmanr(x, y).statistic)
    assert lo < rho < hi and hi - lo > 0.05
    assert np.isnan(spearman_bootstrap(x[:2], y[:2], n_boot=10, confidence=0.9, seed=0)[0])
