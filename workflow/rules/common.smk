# Helpers for the stage files (config validation, targets, input and params functions).
# No rules here; the logic lives in the tested package (workflow/scripts/lsrepro).
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "workflow" / "scripts"))

from lsrepro import config as lsconfig  # noqa: E402
from lsrepro import io as lsio  # noqa: E402
from lsrepro import runs as lsruns  # noqa: E402
from lsrepro.models import registry as lsregistry  # noqa: E402

# Everything checkable stops here, before any job: the config files Snakemake merged are
# re-read strictly (duplicate keys), then schema, model registry and cross-field rules; the
# mirror must exist if a dataset still has to be prepared.
lsconfig.validate_config(
    config,
    Path(workflow.basedir) / "workflow/schemas/config.schema.yaml",
    config_files=workflow.configfiles,
    prepared={d: f"results/data/{d}/prepared.npz" for d in config.get("datasets", {})},
)


# Temporary files that a killed job left beside an output no longer wanted (atomic writes:
# .<name>.<random>.tmp) are removed before the jobs start (lsrepro.io.sweep_stale_temporaries).
onstart:
    for path in lsio.sweep_stale_temporaries("results"):
        print(f"removed a stale temporary file: {path}", file=sys.stderr)


# Run identity lives in lsrepro.runs: one {run} wildcard holds a run's path fragment, e.g.
# cifar10_alexnet/alpha~0.1/seed~0 or, for a distilled student,
# cifar10_alexnet_kd/teacher~cifar10_resnet56~alpha~0.0~seed~0/T~4.0/seed~0.
DIRECT_RUNS = lsconfig.direct_runs(config)
DISTILLED_RUNS = lsconfig.distilled_runs(config)
RUNS = DIRECT_RUNS + DISTILLED_RUNS
RUN_DIR = "{run}"
RELIABILITY_FIGURES = lsconfig.comparisons(config, "calibration")
PROJECTION_FIGURES = lsconfig.comparisons(config, "representation")
TRIPLETS = config["representation"]["triplets"]


wildcard_constraints:
    dataset="|".join(config["datasets"]),
    experiment="|".join(config["experiments"]),
    run=lsruns.wildcard_pattern(RUNS),
    figure="|".join(
        [*config["calibration"]["figures"], *config["representation"]["figures"]]
    ),
    triplet="|".join({t for by_dataset in TRIPLETS.values() for t in by_dataset}),


def expand_runs(pattern, keys=None):
    """``pattern`` filled in for every run of the config (or of ``keys``)."""
    return [
        pattern.format(run=key.fragment) for key in (RUNS if keys is None else keys)
    ]


def run_key(wildcards):
    return lsruns.parse(wildcards.run)


def all_targets():
    experiments = list(config["run"])
    targets = expand_runs(f"results/evaluate/{RUN_DIR}/test.npz")
    targets += [
        "results/tables/table2_accuracy.csv",
        "results/tables/table3_calibration.csv",
        "results/tables/geometry_summary.csv",
        "results/tables/claims.csv",
        "results/tables/cost.csv",
    ]
    targets += expand(
        "results/figures/{kind}/{experiment}.pdf",
        kind=["calibration_vs_alpha", "geometry_vs_alpha"],
        experiment=experiments,
    )
    targets += expand(
        "results/figures/reliability/{figure}.pdf", figure=RELIABILITY_FIGURES
    )
    if lsdistill.fig5_wanted(config):
        targets += [
            "results/tables/fig5_summary.csv",
            "results/figures/distillation/fig5.pdf",
        ]
    if lsdistill.mnist_toy_wanted(config):
        targets += ["results/tables/mnist_toy.csv"]
    targets += information_targets()
    targets += translation_targets()
    for name, fig in PROJECTION_FIGURES.items():
        dataset = lsconfig.dataset_for(config, fig["hard"])
        targets += expand(
            "results/figures/projection/{figure}/{triplet}.pdf",
            figure=name,
            triplet=TRIPLETS.get(dataset, {}),
        )
    return targets


def run_path(stage, experiment, alpha, seed, artifact):
    return lsruns.RunKey(experiment, alpha, seed).path(stage, artifact)


def get_experiment(wildcards):
    """The experiment whose dataset and recipe the job's run uses."""
    if hasattr(wildcards, "run"):
        return lsconfig.experiment_of(config, run_key(wildcards))
    return wildcards.experiment


def get_dataset(wildcards):
    return lsconfig.dataset_for(config, get_experiment(wildcards))


def get_prepared(wildcards):
    return f"results/data/{get_dataset(wildcards)}/prepared.npz"


def get_split(wildcards):
    return f"results/data/{get_dataset(wildcards)}/split.npz"


def get_split_params(wildcards):
    # Only what decides the split: moving ImageNet's root must not re-train anything.
    dataset = config["datasets"][wildcards.dataset]
    return {key: dataset[key] for key in ("val_size", "split_seed")}


def get_evaluate_params(wildcards):
    """evaluate's settings, train_sample per dataset (train_sample_by_dataset)."""
    settings = config["evaluate"]
    by_dataset = settings.get("train_sample_by_dataset", {})
    train_sample = by_dataset.get(get_dataset(wildcards), settings["train_sample"])
    keys = ("sample_seed", "max_examples")
    return {"train_sample": train_sample, **{key: settings[key] for key in keys}}


def _per_class(dataset):
    settings = config["representation"]
    return settings.get("per_class_by_dataset", {}).get(dataset, settings["per_class"])


def get_run_per_class(wildcards):
    """Fig. 1 examples per class of the run's dataset (representation.per_class_by_dataset)."""
    return _per_class(get_dataset(wildcards))


def get_figure_per_class(wildcards):
    fig = config["representation"]["figures"][wildcards.figure]
    return _per_class(lsconfig.dataset_for(config, fig["hard"]))


def get_recipe(wildcards):
    return lsconfig.recipe_for(config, get_experiment(wildcards))


def get_run_info(wildcards):
    return lsconfig.run_info(config, run_key(wildcards))


def get_run_key(wildcards):
    return run_key(wildcards).as_dict()


def get_model(wildcards):
    return run_key(wildcards).model_path


def get_label_smoothing(wildcards):
    return {"name": "label_smoothing", "alpha": float(run_key(wildcards).alpha)}


def get_calibration_fit_params(wildcards):
    keys = ("tolerance", "temperature_bounds", "fit_by_ece", "n_bins")
    return {key: config["calibration"][key] for key in keys}


def get_calibration_metric_params(wildcards):
    keys = ("n_bins", "n_resamples", "smece_resamples", "bootstrap_seed", "confidence")
    return {key: config["calibration"][key] for key in keys}


def get_reliability_input(role):
    """Input function: the reliability table of a Fig. 2 entry's hard or smooth model."""

    def reliability(wildcards):
        fig = config["calibration"]["figures"][wildcards.figure]
        alpha = 0.0 if role == "hard" else fig["alpha"]
        seed = config["calibration"]["model_seed"]
        return run_path("calibration", fig[role], alpha, seed, "reliability.csv")

    return reliability


def get_comparison_alpha(section):
    def alpha(wildcards):
        return config[section]["figures"][wildcards.figure]["alpha"]

    return alpha


def get_triplets(wildcards):
    return TRIPLETS.get(get_dataset(wildcards), {})


def get_triplet_classes(wildcards):
    fig = config["representation"]["figures"][wildcards.figure]
    return TRIPLETS[lsconfig.dataset_for(config, fig["hard"])][wildcards.triplet]


def get_projection_inputs(wildcards):
    fig = config["representation"]["figures"][wildcards.figure]
    seed = config["representation"]["model_seed"]
    models = {"hard": (fig["hard"], 0.0), "smooth": (fig["smooth"], fig["alpha"])}
    return {
        f"{role}_{split}": run_path("evaluate", exp, alpha, seed, f"{split}.npz")
        for role, (exp, alpha) in models.items()
        for split in ("train", "val")
    }


# --- Machines: local GPU slots, cluster resources (README "Local GPUs", "SLURM") -------
from lsrepro import runtime as lsruntime  # noqa: E402

# Local runs: at most (GPUs x LSREPRO_JOBS_PER_GPU) GPU jobs at once, whatever --cores
# says; each binds its own device (lsrepro.runtime.bind_gpu). `--resources gpu=N` wins. No
# GPU: no limit, and the GPU rules run on the CPU. Under a cluster executor (--jobs sets
# workflow.nodes) or inside a SLURM job, SLURM assigns the GPUs.
if (
    workflow.nodes is None
    and "gpu" not in workflow.global_resources
    and not lsruntime.in_slurm_job()
):
    GPU_SLOTS = lsruntime.slot_count()
    if GPU_SLOTS:
        workflow.global_resources["gpu"] = GPU_SLOTS


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


# Cluster time limits from the model registry's per-step cost estimates (not measurements:
# a job that still hits its limit is not lost; SIGTERM checkpoints it, the retry resumes).
def train_runtime(wildcards, attempt):
    """Minutes for one training job (lsrepro.models.registry.train_minutes) on its GPUs."""
    return lsregistry.train_minutes(
        get_recipe(wildcards), attempt, train_gpus(wildcards)
    )


def attempt_number(wildcards, attempt):
    """The job's attempt (1, 2, ...), as `resources: attempt` of the GPU rules: their jobs
    stop a retry of a failure that would recur (lsrepro.io.setup_logging)."""
    return attempt


def evaluate_runtime(wildcards, attempt):
    """Minutes for one evaluation job (inference on val, test and a train sample); ImageNet
    (~150k images through Inception-v4, decoded from JPEG) gets 3 h."""
    return (180 if streamed(wildcards) else 30) * attempt


# Datasets read from image files by DataLoader workers (lsrepro.data.imagenet): their jobs get the
# CPUs to decode (~150-250 images/s per core; Inception-v4 trains at ~1500 images/s on one
# H100 in bf16, an estimate) and the memory for the workers.
STREAMED_DATASETS = ("imagenet",)
# GPUs of a streamed training job on a cluster: one 8-GPU node, data-parallel (DDP, one
# process per GPU: lsrepro.training.parallel). Locally a job binds one GPU (lsrepro.runtime) and
# reaches the batch by gradient accumulation alone.
STREAMED_GPUS = 8


def streamed(wildcards):
    """Whether the job's image run reads a streamed dataset (translation jobs: no)."""
    return hasattr(wildcards, "run") and get_dataset(wildcards) in STREAMED_DATASETS


def train_gpus(wildcards):
    on_cluster = workflow.nodes is not None or lsruntime.in_slurm_job()
    return STREAMED_GPUS if on_cluster and streamed(wildcards) else 1


def train_threads(wildcards):
    return 12 * train_gpus(wildcards) if streamed(wildcards) else 4


def train_mem_mb(wildcards):
    return 32000 * train_gpus(wildcards) if streamed(wildcards) else 8000


def evaluate_threads(wildcards):
    return 16 if streamed(wildcards) else 2


def evaluate_mem_mb(wildcards):
    return 32000 if streamed(wildcards) else 8000


# --- Distillation (rules in distillation.smk; logic in lsrepro.distillation.plan) ---------
from lsrepro.distillation import plan as lsdistill  # noqa: E402


def get_teacher_inputs(wildcards):
    return lsdistill.teacher_inputs(config, run_key(wildcards))


def get_teacher_mode(wildcards):
    return {"mode": lsdistill.teacher_mode(config)}


def get_distillation_objective(wildcards):
    return lsdistill.objective(config, run_key(wildcards))


def _fig5_dataset():
    return lsconfig.dataset_for(config, lsdistill.fig5_students(config)["student"])


def get_fig5_inputs(wildcards):
    files = sorted(
        {
            path
            for record in lsdistill.fig5_records(config)
            for key, path in record.items()
            if key in ("val", "test", "teacher_val", "teacher_cache")
        }
    )
    dataset = _fig5_dataset()
    return {
        "evaluations": files,
        "prepared": f"results/data/{dataset}/prepared.npz",
        "split": f"results/data/{dataset}/split.npz",
    }


def get_fig5_records(wildcards):
    return lsdistill.fig5_records(config)


def get_fig5_student_flip(wildcards):
    student = lsdistill.fig5_students(config)["student"]
    return bool(lsconfig.recipe_for(config, student)["input"]["flip"])


def get_mnist_toy_inputs(wildcards):
    return [record["test"] for record in lsdistill.mnist_toy_records(config)]


def get_mnist_toy_records(wildcards):
    return lsdistill.mnist_toy_records(config)


# --- Mutual information (rules in information.smk; logic in lsrepro.information) ----------
INFORMATION_EXPERIMENTS = [
    e for e in config["information"]["experiments"] if e in config["run"]
]
INFORMATION_RUNS = [k for k in DIRECT_RUNS if k.experiment in INFORMATION_EXPERIMENTS]


def get_snapshots(wildcards):
    return run_key(wildcards).path("train", "snapshots")


def get_information_examples(wildcards):
    return f"results/information/{get_dataset(wildcards)}/examples.npz"


def get_information_run_info(wildcards):
    keys = ("experiment", "dataset", "architecture", "alpha", "seed")
    return [
        {k: v for k, v in lsconfig.run_info(config, key).items() if k in keys}
        for key in INFORMATION_RUNS
    ]


def get_fig5_teacher(wildcards):
    return lsdistill.fig5_students(config)["teacher"]


def information_targets():
    if not INFORMATION_RUNS:
        return []
    targets = ["results/tables/information_summary.csv"]
    targets += expand(
        "results/figures/information/{experiment}.pdf",
        experiment=INFORMATION_EXPERIMENTS,
    )
    if (
        lsdistill.fig5_wanted(config)
        and get_fig5_teacher(None) in INFORMATION_EXPERIMENTS
    ):
        targets.append("results/tables/information_vs_distillation.csv")
    return targets


# --- Verdicts (rules in claims.smk; logic in lsrepro.claims) -------------------------------
def get_claims_inputs(wildcards):
    """The stage tables judge_claims reads (keys of lsrepro.claims.read.INPUTS); a stage
    not in this run is left out, and its claims say "not run"."""
    inputs = {
        "geometry_per_seed": "results/tables/geometry_per_seed.csv",
        "calibration_per_seed": "results/tables/calibration_per_seed.csv",
        "calibration_summary": "results/tables/calibration_summary.csv",
        "reliability": expand_runs(
            f"results/calibration/{RUN_DIR}/reliability.csv", DIRECT_RUNS
        ),
    }
    if lsdistill.mnist_toy_wanted(config):
        inputs["mnist_toy_per_seed"] = "results/tables/mnist_toy_per_seed.csv"
    if lsdistill.fig5_wanted(config):
        inputs["fig5_distillation"] = "results/tables/fig5_distillation.csv"
    if INFORMATION_RUNS:
        inputs["information_per_seed"] = "results/tables/information_per_seed.csv"
        if "results/tables/information_vs_distillation.csv" in information_targets():
            inputs["information_vs_distillation"] = (
                "results/tables/information_vs_distillation.csv"
            )
    if TRANSLATION_RUNS:
        inputs["translation_per_seed"] = "results/tables/translation_per_seed.csv"
        inputs["translation_beams_per_seed"] = (
            "results/tables/translation_beams_per_seed.csv"
        )
    return inputs


from lsrepro.claims.scale import scale_labels  # noqa: E402


def get_claims_scale(config):
    """Each experiment's scale label, against the repository's config.yaml (paper scale)."""
    reference = lsconfig.load_config_file(Path(workflow.basedir) / "config.yaml")
    return scale_labels(config, reference)


# --- Translation (rules in translation.smk; logic in lsrepro.translation.plan) -------------
from lsrepro.translation import plan as lstranslation  # noqa: E402

# Translation runs are RunKeys too, in their own {trun} wildcard (their paths live under
# results/translation/, so no output can match an image {run} rule).
TRANSLATION_RUNS = lstranslation.runs(config)
TRANSLATION_CORPUS = lstranslation.corpus_path(config)
TRANSLATION_VOCAB = lstranslation.vocab_path(config)
TRANSLATION_VOCAB_RECORD = lstranslation.vocab_record_path(config)


wildcard_constraints:
    trun=lsruns.wildcard_pattern(TRANSLATION_RUNS),


def translation_key(wildcards):
    return lsruns.parse(wildcards.trun)


def expand_translation_runs(pattern):
    return [pattern.format(trun=key.fragment) for key in TRANSLATION_RUNS]


def get_translation_corpus_files(wildcards):
    return lstranslation.corpus_files(config)


def get_translation_corpus_params(wildcards):
    corpus = config["translation"]["corpus"]
    return {**corpus, "splits": lstranslation.corpus_splits(config)}


def get_translation_recipe(wildcards):
    experiment = translation_key(wildcards).experiment
    return lstranslation.engine_recipe(lstranslation.recipe(config, experiment))


def get_translation_max_tokens(wildcards):
    return get_translation_recipe(wildcards)["max_tokens"]


def translation_train_runtime(wildcards, attempt):
    """Minutes for one translation training job (registry cost estimate per token batch)."""
    return lsregistry.train_minutes(get_translation_recipe(wildcards), attempt)


def get_translation_run_key(wildcards):
    return translation_key(wildcards).as_dict()


def get_translation_splits(wildcards):
    return lstranslation.split_labels(config)


def get_translation_run_info(wildcards):
    return [lstranslation.run_info(config, key) for key in TRANSLATION_RUNS]


def get_translation_reliability_inputs(wildcards):
    models = lstranslation.comparison_runs(config)
    return {
        role: lstranslation.run_path(key, "evaluate", "reliability.csv")
        for role, key in models.items()
    }


def get_translation_ls_alpha(wildcards):
    return float(lstranslation.comparison_runs(config)["smooth"].alpha)


def translation_targets():
    """The stage's tables and figures; none when translation.run is empty."""
    targets = lstranslation.targets(config)
    if targets and translation_projection_models() is not None:
        targets.append("results/figures/translation/fig7.pdf")
    return targets


def translation_projection_models():
    """Fig. 7's models: alpha 0 and translation.projection.alpha of the first run
    experiment, both at model_seed (as Fig. 3); None without an alpha-0 / LS pair."""
    models = lstranslation.comparison_runs(config)
    if models is None:
        return None
    alpha = config["translation"]["projection"]["alpha"]
    hard = models["hard"]
    smooth = lsruns.RunKey(hard.experiment, alpha, hard.seed)
    if smooth not in TRANSLATION_RUNS:
        raise ValueError(
            f"translation.projection.alpha: {alpha} is not among the alphas of translation "
            f"experiment {hard.experiment!r} (seed {hard.seed})"
        )
    return {"hard": hard, "smooth": smooth}


def get_translation_projection_inputs(wildcards):
    models = translation_projection_models()
    inputs = {
        role: lstranslation.run_path(key, "train", "model.pt")
        for role, key in models.items()
    }
    return {**inputs, "corpus": TRANSLATION_CORPUS, "vocab": TRANSLATION_VOCAB}


def get_translation_projection_alpha(wildcards):
    return float(translation_projection_models()["smooth"].alpha)


def get_translation_projection_max_tokens(wildcards):
    experiment = translation_projection_models()["hard"].experiment
    recipe = lstranslation.engine_recipe(lstranslation.recipe(config, experiment))
    return recipe["max_tokens"]
