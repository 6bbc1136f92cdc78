"""The workflow as a user runs it: lint, a dry run of the paper DAG, a synthetic end-to-end run."""

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workflow_runs import assert_schedules, changed_dry_runs, dry_run, job_counts, snakemake


def expected_jobs(
    *,
    datasets: int,
    direct: int,
    distilled: int,
    teachers: int,
    experiments: int,
    reliability: int,
    projections: int,
    information_runs: int,
    translation: dict[str, int] | None = None,
) -> Counter:
    """Jobs of a full run: per dataset, per trained model (direct + distilled students), per
    teacher, per experiment, and the once-only tables, figures and verdicts."""
    models = direct + distilled
    jobs = Counter(prepare_data=datasets, split_data=datasets)
    jobs.update(train=direct, measure_geometry=direct, distill=distilled)
    jobs.update(evaluate=models, fit_temperature=models, calibration_metrics=models)
    jobs.update(cache_teacher_outputs=teachers, project_penultimate=projections)
    jobs.update(plot_calibration_vs_alpha=experiments, plot_geometry_vs_alpha=experiments)
    jobs.update(plot_reliability=reliability, estimate_information=information_runs)
    once = [
        "tabulate_calibration",
        "tabulate_geometry",
        "judge_claims",
        "tabulate_cost",
        "all",
        "tabulate_fig5",
        "plot_distillation",
        "tabulate_mnist_toy",
        "select_information_examples",
        "tabulate_information",
        "plot_information",
        "relate_information_to_distillation",
    ]
    jobs.update({rule: 1 for rule in once})
    jobs.update(translation or {})
    return +jobs


# The paper DAG. 110 direct runs: CIFAR-10 ResNet-56 and AlexNet 8 alphas x 5 seeds, CIFAR-100
# 3 x 5, MNIST teachers 2 x 5 and the MNIST student alone 5; 85 distilled students: Fig. 5
# (7 T + 5 LS teachers + the alpha = 0.1 teacher at 3 T) x 5 seeds and the two MNIST toy
# students x 5; 45 teacher runs to cache (ResNet-56 at the 7 Fig. 5 alphas x 5, MNIST teachers
# 2 x 5); 40 MI curves (every CIFAR-10
# ResNet-56 run); 4 reliability diagrams (Fig. 2) and 4 Fig. 1 rows x 2 triplets.
PAPER_JOBS = expected_jobs(
    datasets=3,
    direct=110,
    distilled=85,
    teachers=45,
    experiments=6,
    reliability=4,
    projections=8,
    information_runs=40,
    # Multi30k: one corpus and vocabulary, 2 alphas x 3 seeds (each also decoded on the beam
    # grid), the tables and the figures
    translation={
        "prepare_corpus": 1,
        "train_vocabulary": 1,
        "train_translation": 6,
        "evaluate_tokens": 6,
        "decode_beam": 6,
        "decode_beams": 6,
        "tabulate_translation": 1,
        "tabulate_translation_beams": 1,
        "plot_translation": 1,
        "plot_translation_beams": 1,
        "plot_translation_reliability": 1,
        "project_translation": 1,
    },
)
# The synthetic preset: 12 direct runs (ResNet-56 2 alphas x 2 seeds, AlexNet 2, CIFAR-100 3,
# MNIST 3), 8 students (Fig. 5: 3 cells x 2 seeds; MNIST 2), 6 cached teachers (ResNet-56
# alpha 0 and 0.1 x 2 seeds, MNIST 2), 4 MI curves; prepared files stand in for the downloads.
SYNTHETIC_JOBS = expected_jobs(
    datasets=3,
    direct=12,
    distilled=8,
    teachers=6,
    experiments=6,
    reliability=4,
    projections=8,
    information_runs=4,
)
del SYNTHETIC_JOBS["prepare_data"]


def test_lint_is_silent():
    proc = snakemake("--lint", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Lints for" not in proc.stdout + proc.stderr


def test_paper_dag_dry_run(paper_dag):
    """The paper DAG (conftest.paper_dag: the dry run that test_config also reads, run with
    ``import torch`` made to fail, which builds the same DAG as without)."""
    assert paper_dag.returncode == 0, paper_dag.stdout + paper_dag.stderr
    assert job_counts(paper_dag.stdout + paper_dag.stderr) == PAPER_JOBS


def test_bad_config_fails_before_any_job(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("experiments:\n  cifar10_resnet56:\n    alphas: [0.0, 1.5]\n")
    proc = snakemake("-n", "--configfile", str(bad), check=False)
    assert proc.returncode != 0
    assert (
        "experiments.cifar10_resnet56.alphas[1]: 1.5 is greater than or equal to the maximum"
        in (proc.stdout + proc.stderr)
    )


CONFIG = ("--configfile", "synthetic.yaml")


@pytest.fixture(scope="module")
def completed(synthetic_run) -> Path:
    """The synthetic workflow run to the end (conftest.synthetic_run); its dry run beforehand
    planned exactly the expected jobs."""
    workdir, planned = synthetic_run
    assert planned == SYNTHETIC_JOBS
    return workdir


@pytest.mark.slow
def test_synthetic_end_to_end(completed):
    workdir = completed
    for run in [
        "cifar10_resnet56/alpha~0.1/seed~1",
        "cifar100_resnet56/alpha~0.05/seed~0",
        "mnist_fc_ls/alpha~0.1/seed~0",
        "cifar10_alexnet/alpha~0.0/seed~0",
    ]:
        k = 100 if run.startswith("cifar100") else 10
        sizes = (
            {"train": 500, "val": 300, "test": 100}
            if k == 100
            else {"train": 160, "val": 40, "test": 60}
        )
        for split, n in sizes.items():
            z = np.load(workdir / "results/evaluate" / run / f"{split}.npz")
            assert z["logits"].shape == (n, k) and z["labels"].shape == (n,)
            np.testing.assert_allclose(
                z["logits"], z["features"] @ z["weight"].T + z["bias"], rtol=1e-4, atol=1e-4
            )
        assert (workdir / "results/train" / run / "history.csv").exists()
        assert (workdir / "results/logs/train" / f"{run}.log").read_text().count("step ") >= 3
    snaps = sorted(
        p.name
        for p in (workdir / "results/train/cifar10_resnet56/alpha~0.0/seed~0/snapshots").glob(
            "*.pt"
        )
    )
    assert snaps == ["step~0.pt", "step~4.pt", "step~6.pt"]
    tables = workdir / "results/tables"
    per_seed = pd.read_csv(tables / "calibration_per_seed.csv")
    assert (
        len(
            per_seed.groupby(
                ["experiment", "alpha", "seed", "teacher_alpha", "temperature"], dropna=False
            )
        )
        == 12 + 8
    )
    assert set(per_seed["scaling"]) == {"none", "temperature", "temperature_ece"}
    table3 = pd.read_csv(tables / "table3_calibration.csv")
    assert table3["dataset"].tolist() == ["CIFAR-100"]  # the only Table 3 row this config runs
    figures = sorted(
        p.relative_to(workdir / "results/figures").as_posix()
        for p in (workdir / "results/figures").rglob("*.png")
    )
    assert "reliability/cifar100_resnet56.png" in figures
    assert "projection/cifar100_resnet56/paper_free_axes.png" in figures
    assert "distillation/fig5.png" in figures and "information/cifar10_resnet56.png" in figures
    # calibration and geometry vs alpha (6 experiments), Fig. 2 (4), Fig. 1 (8 x 2 axes), Fig. 5,
    # Fig. 6 and MI vs distillation
    assert len(figures) == 6 + 6 + 4 + 8 * 2 + 1 + 2
    fig5 = pd.read_csv(tables / "fig5_distillation.csv")
    assert fig5.groupby("curve").size().to_dict() == {
        "teacher": 4,
        "student_ls": 2,
        "student_hard_teacher": 4,
        "student_ls_teacher": 2,
    }
    hard = fig5[fig5["curve"] == "student_hard_teacher"].groupby("temperature")["gamma"].mean()
    assert hard[4.0] > hard[1.0]  # a hotter teacher gives smoother targets
    toy = pd.read_csv(tables / "mnist_toy.csv")
    assert list(toy["role"]) == [
        "teacher_A",
        "student_A",
        "teacher_B",
        "student_B",
        "student_alone",
    ]
    mi = pd.read_csv(tables / "information_summary.csv")
    assert sorted(set(mi["step"])) == [0, 4, 6] and set(mi["alpha"]) == {0.0, 0.1}
    claims = pd.read_csv(tables / "claims.csv")
    assert {f"C{i}" for i in range(1, 14)} <= set(claims["claim"])
    assert set(claims["verdict"]) <= {"supported", "contradicted", "inconclusive", "not run"}
    assert dry_run(workdir, *CONFIG) == Counter()  # a second run does nothing


# --- incremental re-runs: each rule depends on exactly the config it uses -------------------------

AGGREGATES = {
    "tabulate_calibration": 1,
    "tabulate_geometry": 1,
    "plot_calibration_vs_alpha": 6,
    "plot_geometry_vs_alpha": 6,
    "judge_claims": 1,
    "tabulate_cost": 1,
    "all": 1,
}
CHAIN = ("train", "evaluate", "fit_temperature", "calibration_metrics", "measure_geometry")
STUDENT_CHAIN = ("distill", "evaluate", "fit_temperature", "calibration_metrics")
FIG5_AGGREGATES = {
    "tabulate_fig5": 1,
    "plot_distillation": 1,
    "relate_information_to_distillation": 1,
    "judge_claims": 1,
    "tabulate_cost": 1,
    "all": 1,
}


CHANGES = [
    pytest.param(  # a new alpha: its chain and the aggregates, nothing else
        "experiments: {cifar10_alexnet: {alphas: [0.0, 0.1, 0.05]}}",
        {**dict.fromkeys(CHAIN, 1), **AGGREGATES, **FIG5_AGGREGATES},  # AlexNet: Fig. 5
        id="add-alpha",
    ),
    pytest.param(  # a new seed for two alphas
        "experiments: {cifar10_alexnet: {seeds: [0, 1]}}",
        {**dict.fromkeys(CHAIN, 2), **AGGREGATES, **FIG5_AGGREGATES},
        id="add-seed",
    ),
    pytest.param(  # one recipe: its 2 direct runs, the 6 students that use it, what reads them
        "recipes: {alexnet_tf: {steps: 7}}",
        {
            **dict.fromkeys(CHAIN, 2),
            **{rule: 2 + 6 for rule in STUDENT_CHAIN[1:]},
            "distill": 6,
            **AGGREGATES,
            **FIG5_AGGREGATES,
            "plot_reliability": 1,
            "project_penultimate": 2,
        },
        id="change-recipe",
    ),
    pytest.param(  # a deliberate re-training after a change in package code
        "recipes: {mlp1200: {version: 2}}",
        {  # teacher B, its cached outputs, its student and the MNIST toy table
            **dict.fromkeys(CHAIN, 1),
            **{rule: 1 + 1 for rule in STUDENT_CHAIN[1:]},
            "distill": 1,
            "cache_teacher_outputs": 1,
            "tabulate_mnist_toy": 1,
            **AGGREGATES,
            "plot_reliability": 1,
            "project_penultimate": 2,
        },
        id="bump-recipe-version",
    ),
    pytest.param(  # a calibration setting: calibration only, no training or inference
        "calibration: {n_bins: 10}",
        {  # 12 direct runs and 8 students
            "fit_temperature": 20,
            "calibration_metrics": 20,
            "tabulate_calibration": 1,
            "plot_calibration_vs_alpha": 6,
            "plot_reliability": 4,
            "judge_claims": 1,
            "tabulate_cost": 1,
            "all": 1,
        },
        id="calibration-setting",
    ),
    pytest.param(  # a figure setting: that figure only
        "calibration: {figures: {cifar10_alexnet: {alpha: 0.1, hard: cifar10_resnet56,"
        " smooth: cifar10_resnet56}}}",
        {"plot_reliability": 1, "judge_claims": 1, "tabulate_cost": 1, "all": 1},
        id="figure-setting",
    ),
    pytest.param(  # a representation setting: representation only
        "representation: {per_class: 2}",
        {
            "measure_geometry": 12,
            "tabulate_geometry": 1,
            "plot_geometry_vs_alpha": 6,
            "project_penultimate": 8,
            "judge_claims": 1,
            "tabulate_cost": 1,
            "all": 1,
        },
        id="representation-setting",
    ),
    pytest.param(  # an evaluation setting: inference and everything after it, no training
        "evaluate: {sample_seed: 1}",
        {  # no training and no teacher re-cached (its outputs do not depend on evaluate.*)
            **{rule: 20 for rule in CHAIN[1:-1]},
            "measure_geometry": 12,
            **AGGREGATES,
            **FIG5_AGGREGATES,
            "tabulate_mnist_toy": 1,
            "plot_reliability": 4,
            "project_penultimate": 8,
        },
        id="evaluate-setting",
    ),
    pytest.param(  # a new temperature for the hard-target teacher: only those students
        "distillation: {students: {cifar10_alexnet_kd: {grid: ["
        "{teacher_alphas: [0.0], temperatures: [1.0, 4.0, 2.0]},"
        " {teacher_alphas: [0.1], temperatures: [1.0]}]}}}",
        {
            **{rule: 2 for rule in STUDENT_CHAIN},  # 2 seeds, no teacher re-cached
            "tabulate_calibration": 1,
            "plot_calibration_vs_alpha": 6,
            **FIG5_AGGREGATES,
        },
        id="add-temperature",
    ),
    pytest.param(  # an information setting: the MI curves and what reads them, no training
        "information: {draws: 4}",
        {
            "estimate_information": 4,
            "tabulate_information": 1,
            "plot_information": 1,
            "relate_information_to_distillation": 1,
            "judge_claims": 1,
            "tabulate_cost": 1,
            "all": 1,
        },
        id="information-setting",
    ),
    pytest.param(  # where the data comes from is not what it is: nothing re-runs
        "mirror: /somewhere/else",
        {},
        id="move-mirror",
    ),
]


@pytest.fixture(scope="module")
def changed_dags(completed, tmp_path_factory) -> dict[str, Counter | AssertionError]:
    """Each of CHANGES' dry runs, overlaid on the synthetic config of the finished run."""
    changes = [param.values[0] for param in CHANGES]
    return changed_dry_runs(completed, "synthetic.yaml", changes, tmp_path_factory)


@pytest.mark.slow
@pytest.mark.parametrize("change, expected", CHANGES)
def test_a_config_change_schedules_exactly_what_it_touches(changed_dags, change, expected):
    assert_schedules(changed_dags[change], expected)
