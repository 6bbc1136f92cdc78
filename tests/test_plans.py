"""The DAG-time plan: targets, input paths, params and job resources that common.smk delegates
to the package (lsrepro.runs, lsrepro.targets, <stage>.plan, lsrepro.runtime). Expected values
are written out by hand from the paper's config.yaml, not computed by the code under test."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest

from lsrepro import runs, runtime, targets
from lsrepro.distillation import plan as distillation
from lsrepro.evaluation import plan as evaluation
from lsrepro.information import plan as information
from lsrepro.representation import plan as representation
from lsrepro.runs import RunKey, TeacherKey
from test_config import merged


@pytest.fixture(scope="module")
def paper() -> dict:
    return merged("config.yaml")


def _student(temperature: str = "4.0") -> RunKey:
    return RunKey(
        "cifar10_alexnet_kd", "0.0", 1, TeacherKey("cifar10_resnet56", "0.1", 1), temperature
    )


def test_plan_modules_do_not_import_torch():
    """Snakemake imports these while it builds the DAG: no torch (seconds per dry run)."""
    code = (
        "import sys; import lsrepro.targets, lsrepro.runtime, lsrepro.evaluation.plan, "
        "lsrepro.representation.plan, lsrepro.information.plan; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_objective_of_a_direct_run_and_a_student(paper):
    assert runs.training_objective(paper, RunKey("cifar10_resnet56", "0.1", 0)) == {
        "name": "label_smoothing",
        "alpha": 0.1,
    }
    assert runs.training_objective(paper, _student("2.0")) == {
        "name": "soft_targets",
        "beta": 1.0,
        "student_temperature": 1.0,
        "temperature": 2.0,
    }
    # the config itself is not changed by filling in T
    assert "temperature" not in paper["distillation"]["students"]["cifar10_alexnet_kd"]["objective"]


def test_a_student_reads_its_student_experiments_data(paper):
    key = _student()
    assert runs.dataset_of(paper, key) == "cifar10"
    assert runs.prepared_path("cifar10") == "results/data/cifar10/prepared.npz"
    assert runs.split_path("cifar10") == "results/data/cifar10/split.npz"
    assert (
        runs.run_info(paper, key)["architecture"]
        == runs.run_info(paper, RunKey("cifar10_alexnet", "0.0", 0))["architecture"]
    )


def test_evaluate_params_take_the_datasets_train_sample(paper):
    assert evaluation.params(paper, RunKey("cifar10_resnet56", "0.0", 0)) == {
        "train_sample": 10000,
        "sample_seed": 0,
        "max_examples": None,
    }
    imagenet = evaluation.params(paper, RunKey("imagenet_inception_v4", "0.1", 0))
    assert imagenet["train_sample"] == 50000


def test_calibration_params_and_fig2_inputs(paper):
    assert targets.calibration_fit_params(paper) == {
        key: paper["calibration"][key]
        for key in ("tolerance", "temperature_bounds", "fit_by_ece", "n_bins")
    }
    assert set(targets.calibration_metric_params(paper)) == {
        "n_bins",
        "n_resamples",
        "smece_resamples",
        "bootstrap_seed",
        "confidence",
    }
    assert (
        targets.reliability_input(paper, "mnist_fc", "hard")
        == "results/calibration/mnist_fc_dropout/alpha~0.0/seed~0/reliability.csv"
    )
    assert (
        targets.reliability_input(paper, "cifar100_resnet56", "smooth")
        == "results/calibration/cifar100_resnet56/alpha~0.05/seed~0/reliability.csv"
    )
    with pytest.raises(ValueError, match="role"):
        targets.reliability_input(paper, "mnist_fc", "soft")


def test_fig1_inputs_per_class_and_targets(paper):
    assert representation.projection_inputs(paper, "mnist_fc") == {
        "hard_train": "results/evaluate/mnist_fc_dropout/alpha~0.0/seed~0/train.npz",
        "hard_val": "results/evaluate/mnist_fc_dropout/alpha~0.0/seed~0/val.npz",
        "smooth_train": "results/evaluate/mnist_fc_ls/alpha~0.1/seed~0/train.npz",
        "smooth_val": "results/evaluate/mnist_fc_ls/alpha~0.1/seed~0/val.npz",
    }
    assert representation.per_class(paper, "cifar10") == 100
    assert representation.per_class(paper, "imagenet") == 25
    assert representation.triplet_classes(paper, "mnist_fc", "similar") == ["4", "9", "0"]
    assert sorted(representation.triplet_names(paper)) == ["different", "paper", "similar"]
    figures = representation.figure_targets(paper)
    # imagenet is not in run: its entry draws nothing; the four others draw two triplets each
    assert len(figures) == 8 and not any("imagenet" in f for f in figures)
    assert "results/figures/projection/mnist_fc/different.pdf" in figures


def test_information_runs_and_the_table_relating_mi_to_distillation(paper):
    assert information.experiments(paper) == ["cifar10_resnet56"]
    seeds = len(paper["experiments"]["cifar10_resnet56"]["seeds"])
    alphas = len(paper["experiments"]["cifar10_resnet56"]["alphas"])
    assert len(information.runs(paper)) == seeds * alphas
    snapshots = information.snapshots(RunKey("a", "0.1", 2))
    assert snapshots == "results/train/a/alpha~0.1/seed~2/snapshots"
    # Fig. 5's teacher (cifar10_resnet56) is measured: C13's second half is made and judged
    assert targets.information_vs_distillation(paper)
    assert targets.INFORMATION_VS_DISTILLATION in targets.information_targets(paper)
    inputs = targets.claims_inputs(paper, translation=False)
    assert inputs["information_vs_distillation"] == targets.INFORMATION_VS_DISTILLATION
    assert "translation_per_seed" not in inputs
    no_mi = copy.deepcopy(paper)
    no_mi["information"]["experiments"] = ["cifar10_alexnet"]  # measured, but not Fig. 5's teacher
    assert not targets.information_vs_distillation(no_mi)
    assert "information_vs_distillation" not in targets.claims_inputs(no_mi, translation=True)
    assert "translation_per_seed" in targets.claims_inputs(no_mi, translation=True)
    no_mi["information"]["experiments"] = []
    assert targets.information_targets(no_mi) == []
    assert "information_per_seed" not in targets.claims_inputs(no_mi, translation=False)


def test_all_targets_of_the_paper_config(paper):
    wanted = targets.all_targets(paper, translation=["results/tables/translation_summary.csv"])
    assert len(wanted) == len(set(wanted))
    tests = [t for t in wanted if t.startswith("results/evaluate/")]
    assert len(tests) == len(runs.direct_runs(paper)) + len(runs.distilled_runs(paper))
    assert "results/evaluate/" + _student().fragment + "/test.npz" in tests
    for table in ("fig5_summary", "mnist_toy", "claims", "information_vs_distillation"):
        assert f"results/tables/{table}.csv" in wanted
    assert "results/tables/translation_summary.csv" in wanted
    assert "results/figures/reliability/imagenet_inception_v4.pdf" not in wanted
    assert "results/figures/geometry_vs_alpha/mnist_fc_student.pdf" in wanted


def test_fig5_inputs_are_the_students_data_and_every_evaluation_once(paper):
    inputs = distillation.fig5_inputs(paper)
    assert inputs["prepared"] == "results/data/cifar10/prepared.npz"
    assert inputs["split"] == "results/data/cifar10/split.npz"
    files = inputs["evaluations"]
    assert files == sorted(set(files))
    assert "results/teacher_outputs/cifar10_resnet56/alpha~0.1/seed~1/logits.npz" in files
    assert distillation.fig5_student_flip(paper) is bool(
        paper["recipes"]["alexnet_tf"]["input"]["flip"]
    )


# --- machine policy --------------------------------------------------------------------------


def two_gpus() -> list[str]:
    return ["0", "1"]


def test_local_gpu_limit():
    assert runtime.local_gpu_limit(None, {}, {}, two_gpus) == {"gpu": 2}
    assert runtime.local_gpu_limit(None, {}, {"LSREPRO_JOBS_PER_GPU": "3"}, two_gpus) == {"gpu": 6}
    assert runtime.local_gpu_limit(None, {}, {}, lambda: []) == {}  # no GPU: no limit
    assert runtime.local_gpu_limit(None, {"gpu": 1}, {}, two_gpus) == {}  # --resources wins
    assert runtime.local_gpu_limit(100, {}, {}, two_gpus) == {}  # cluster executor
    assert runtime.local_gpu_limit(None, {}, {"SLURM_JOB_ID": "7"}, two_gpus) == {}


def test_job_resources_of_streamed_and_in_memory_datasets():
    assert runtime.streamed("imagenet") and not runtime.streamed("cifar10")
    assert not runtime.streamed(None)
    assert runtime.on_cluster(None, {}) is False and runtime.on_cluster(5, {}) is True
    # ImageNet on a cluster: one 8-GPU node, 12 CPUs and 32 GB per GPU
    gpus = runtime.train_gpus(True, cluster=True)
    assert (gpus, runtime.train_threads(True, gpus), runtime.train_mem_mb(True, gpus)) == (
        8,
        96,
        256000,
    )
    # ImageNet locally: one GPU; in-memory datasets: 4 CPUs, 8 GB, anywhere
    assert runtime.train_gpus(True, cluster=False) == 1
    assert runtime.train_threads(True, 1) == 12 and runtime.train_mem_mb(True, 1) == 32000
    assert runtime.train_gpus(False, cluster=True) == 1
    assert runtime.train_threads(False, 1) == 4 and runtime.train_mem_mb(False, 1) == 8000
    assert (runtime.evaluate_threads(True), runtime.evaluate_mem_mb(True)) == (16, 32000)
    assert (runtime.evaluate_threads(False), runtime.evaluate_mem_mb(False)) == (2, 8000)
    assert [runtime.evaluate_minutes(False, a) for a in (1, 2)] == [30, 60]
    assert runtime.evaluate_minutes(True, 1) == 180
