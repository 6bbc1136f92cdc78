# Helpers for the stage files: config validation, wildcards, and one-line input, params and
# resource functions. No rules and no logic here: the logic lives in the tested package
# (workflow/scripts/lsrepro: runs, runtime, targets and each stage's plan.py).
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "workflow" / "scripts"))

from lsrepro import config as lsconfig  # noqa: E402
from lsrepro import io as lsio  # noqa: E402
from lsrepro import runs as lsruns  # noqa: E402
from lsrepro import runtime as lsruntime  # noqa: E402
from lsrepro import targets as lstargets  # noqa: E402
from lsrepro.claims.scale import scale_labels  # noqa: E402
from lsrepro.distillation import plan as lsdistill  # noqa: E402
from lsrepro.evaluation import plan as lsevaluation  # noqa: E402
from lsrepro.information import plan as lsinformation  # noqa: E402
from lsrepro.models import registry as lsregistry  # noqa: E402
from lsrepro.representation import plan as lsrepresentation  # noqa: E402
from lsrepro.translation import plan as lstranslation  # noqa: E402

# Everything checkable stops here, before any job: the config files Snakemake merged are
# re-read strictly (duplicate keys), then schema, model registry and cross-field rules; the
# mirror must exist if a dataset still has to be prepared.
lsconfig.validate_config(
    config,
    Path(workflow.basedir) / "workflow/schemas/config.schema.yaml",
    config_files=workflow.configfiles,
    prepared={d: lsruns.prepared_path(d) for d in config.get("datasets", {})},
    workflow_dir=workflow.basedir,
)


# Temporary files that a killed job left beside an output no longer wanted (atomic writes:
# .<name>.<random>.tmp) are removed before the jobs start (lsrepro.io.sweep_stale_temporaries).
onstart:
    for path in lsio.sweep_stale_temporaries("results"):
        print(f"removed a stale temporary file: {path}", file=sys.stderr)


# Run identity lives in lsrepro.runs: one {run} wildcard holds a run's path fragment, e.g.
# cifar10_alexnet/alpha~0.1/seed~0 or, for a distilled student,
# cifar10_alexnet_kd/teacher~cifar10_resnet56~alpha~0.0~seed~0/T~4.0/seed~0.
DIRECT_RUNS = lsruns.direct_runs(config)
RUNS = lsruns.all_runs(config)
RUN_DIR = "{run}"
INFORMATION_RUNS = lsinformation.runs(config)


wildcard_constraints:
    dataset="|".join(config["datasets"]),
    experiment="|".join(config["experiments"]),
    run=lsruns.wildcard_pattern(RUNS),
    figure="|".join(
        [*config["calibration"]["figures"], *config["representation"]["figures"]]
    ),
    triplet="|".join(lsrepresentation.triplet_names(config)),


def all_targets():
    return lstargets.all_targets(config, translation=lstranslation.targets(config))


def expand_runs(pattern, keys=None):
    """``pattern`` filled in for every run of the config (or of ``keys``)."""
    return lsruns.expand(pattern, RUNS if keys is None else keys)


def run_key(wildcards):
    return lsruns.parse(wildcards.run)


# --- Runs: data, training, evaluation (rules in data.smk, train.smk, evaluate.smk) ---------
def get_dataset(wildcards):
    return lsruns.dataset_of(config, run_key(wildcards))


def get_prepared(wildcards):
    return lsruns.prepared_path(get_dataset(wildcards))


def get_split(wildcards):
    return lsruns.split_path(get_dataset(wildcards))


def get_split_params(wildcards):
    # Only what decides the split: moving ImageNet's root must not re-train anything.
    dataset = config["datasets"][wildcards.dataset]
    return {key: dataset[key] for key in ("val_size", "split_seed")}


def get_recipe(wildcards):
    return lsruns.recipe_for(config, lsruns.experiment_of(config, run_key(wildcards)))


def get_run_info(wildcards):
    return lsruns.run_info(config, run_key(wildcards))


def get_run_key(wildcards):
    return run_key(wildcards).as_dict()


def get_model(wildcards):
    return run_key(wildcards).model_path


def get_label_smoothing(wildcards):
    return lsruns.training_objective(config, run_key(wildcards))


def get_evaluate_params(wildcards):
    return lsevaluation.params(config, run_key(wildcards))


# --- Machines: threads, memory, GPUs, time limits (lsrepro.runtime; README "Local GPUs",
# "SLURM"). Locally at most (GPUs x LSREPRO_JOBS_PER_GPU) GPU jobs run at once, each binding its
# own device; `--resources gpu=N` wins; under a cluster executor SLURM assigns the GPUs.
GPU_LIMIT = lsruntime.local_gpu_limit(workflow.nodes, workflow.global_resources)
for name, limit in GPU_LIMIT.items():
    workflow.global_resources[name] = limit
ON_CLUSTER = lsruntime.on_cluster(workflow.nodes)


# Rules cheap enough to run in the main Snakemake process under a cluster executor: the
# targets, downloads (compute nodes are often offline), tables, figures. Add new ones here.
localrules:
    all,
    prepare_data,
    tabulate_calibration,
    tabulate_geometry,
    plot_reliability,
    plot_calibration_vs_alpha,
    plot_geometry_vs_alpha,
    tabulate_fig5,
    plot_distillation,
    tabulate_mnist_toy,
    tabulate_information,
    judge_claims,
    tabulate_cost,
    plot_information,
    relate_information_to_distillation,
    prepare_corpus,
    tabulate_translation,
    tabulate_translation_beams,
    plot_translation,
    plot_translation_beams,
    plot_translation_reliability,


def streamed(wildcards):
    """Whether the job's image run reads a streamed dataset (translation jobs: no)."""
    return hasattr(wildcards, "run") and lsruntime.streamed(get_dataset(wildcards))


def attempt_number(wildcards, attempt):
    """The job's attempt (1, 2, ...), as `resources: attempt` of the GPU rules: their jobs
    stop a retry of a failure that would recur (lsrepro.runtime.setup_logging)."""
    return attempt


# Cluster time limits from the model registry's per-step cost estimates (not measurements:
# a job that still hits its limit is not lost; SIGTERM checkpoints it, the retry resumes).
def train_runtime(wildcards, attempt):
    return lsregistry.train_minutes(
        get_recipe(wildcards), attempt, train_gpus(wildcards)
    )


def train_gpus(wildcards):
    return lsruntime.train_gpus(streamed(wildcards), ON_CLUSTER)


def train_threads(wildcards):
    return lsruntime.train_threads(streamed(wildcards), train_gpus(wildcards))


def train_mem_mb(wildcards):
    return lsruntime.train_mem_mb(streamed(wildcards), train_gpus(wildcards))


def evaluate_runtime(wildcards, attempt):
    return lsruntime.evaluate_minutes(streamed(wildcards), attempt)


def evaluate_threads(wildcards):
    return lsruntime.evaluate_threads(streamed(wildcards))


def evaluate_mem_mb(wildcards):
    return lsruntime.evaluate_mem_mb(streamed(wildcards))


# --- Calibration and representation (lsrepro.targets, lsrepro.representation.plan) ---------
def get_calibration_fit_params(wildcards):
    return lstargets.calibration_fit_params(config)


def get_calibration_metric_params(wildcards):
    return lstargets.calibration_metric_params(config)


def get_reliability_input(role):
    """Input function: the reliability table of a Fig. 2 entry's hard or smooth model."""

    def reliability(wildcards):
        return lstargets.reliability_input(config, wildcards.figure, role)

    return reliability


def get_comparison_alpha(section):
    def alpha(wildcards):
        return config[section]["figures"][wildcards.figure]["alpha"]

    return alpha


def get_run_per_class(wildcards):
    return lsrepresentation.per_class(config, get_dataset(wildcards))


def get_figure_per_class(wildcards):
    dataset = lsrepresentation.figure_dataset(config, wildcards.figure)
    return lsrepresentation.per_class(config, dataset)


def get_triplets(wildcards):
    return lsrepresentation.triplets(config, get_dataset(wildcards))


def get_triplet_classes(wildcards):
    return lsrepresentation.triplet_classes(config, wildcards.figure, wildcards.triplet)


def get_projection_inputs(wildcards):
    return lsrepresentation.projection_inputs(config, wildcards.figure)


# --- Distillation (rules in distillation.smk; logic in lsrepro.distillation.plan) ---------
def get_teacher_inputs(wildcards):
    return lsdistill.teacher_inputs(config, run_key(wildcards))


def get_teacher_mode(wildcards):
    return {"mode": lsdistill.teacher_mode(config)}


def get_distillation_objective(wildcards):
    return lsdistill.objective(config, run_key(wildcards))


def get_fig5_inputs(wildcards):
    return lsdistill.fig5_inputs(config)


def get_fig5_records(wildcards):
    return lsdistill.fig5_records(config)


def get_fig5_student_flip(wildcards):
    return lsdistill.fig5_student_flip(config)


def get_fig5_teacher(wildcards):
    return lsdistill.fig5_students(config)["teacher"]


def get_mnist_toy_inputs(wildcards):
    return lsdistill.mnist_toy_inputs(config)


def get_mnist_toy_records(wildcards):
    return lsdistill.mnist_toy_records(config)


# --- Mutual information (rules in information.smk; logic in lsrepro.information.plan) -----
def get_snapshots(wildcards):
    return lsinformation.snapshots(run_key(wildcards))


def get_information_examples(wildcards):
    return lsinformation.examples_path(get_dataset(wildcards))


def get_information_run_info(wildcards):
    return lsinformation.run_info(config)


# --- Verdicts (rules in claims.smk; logic in lsrepro.targets and lsrepro.claims) ----------
def get_claims_inputs(wildcards):
    return lstargets.claims_inputs(
        config, translation=bool(TRANSLATION_RUNS), workflow_dir=workflow.basedir
    )


def get_claims_scale(config):
    """Each experiment's scale label, against the repository's config.yaml (paper scale)."""
    reference = lsconfig.load_config_file(Path(workflow.basedir) / "config.yaml")
    return scale_labels(config, reference)


# --- Translation (rules in translation.smk; runs and paths in lsrepro.runs, the rest in
# lsrepro.translation.plan). Translation runs are RunKeys in their own {trun} wildcard.
TRANSLATION_RUNS = lsruns.translation_runs(config)


wildcard_constraints:
    trun=lsruns.wildcard_pattern(TRANSLATION_RUNS),


def translation_key(wildcards):
    return lsruns.parse(wildcards.trun)


def expand_translation_runs(pattern):
    return lsruns.expand_translation(pattern, TRANSLATION_RUNS)


def get_translation_recipe(wildcards):
    return lstranslation.run_recipe(config, translation_key(wildcards))


def get_translation_max_tokens(wildcards):
    return lstranslation.max_tokens(config, translation_key(wildcards))


def translation_train_runtime(wildcards, attempt):
    """Minutes for one translation training job (registry cost estimate per token batch)."""
    return lsregistry.train_minutes(get_translation_recipe(wildcards), attempt)


def get_translation_run_key(wildcards):
    return translation_key(wildcards).as_dict()


def get_translation_reliability_inputs(wildcards):
    return lstranslation.reliability_inputs(config)


def get_translation_ls_alpha(wildcards):
    return lstranslation.ls_alpha(config)


def get_translation_projection_inputs(wildcards):
    return lstranslation.projection_inputs(config)


def get_translation_projection_alpha(wildcards):
    return lstranslation.projection_alpha(config)


def get_translation_projection_max_tokens(wildcards):
    return lstranslation.projection_max_tokens(config)
