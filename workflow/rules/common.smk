# Helpers for the stage files (config validation, targets, input and params functions).
# No rules here; the logic lives in the tested package (workflow/scripts/lsrepro).
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "workflow" / "scripts"))

from lsrepro import config as lsconfig  # noqa: E402

lsconfig.validate_config(
    config, Path(workflow.basedir) / "workflow/schemas/config.schema.yaml"
)

RUNS = lsconfig.runs(config)
RUN_DIR = "{experiment}/alpha~{alpha}/seed~{seed}"
RELIABILITY_FIGURES = lsconfig.comparisons(config, "calibration")
PROJECTION_FIGURES = lsconfig.comparisons(config, "representation")
TRIPLETS = config["representation"]["triplets"]


wildcard_constraints:
    dataset="|".join(config["datasets"]),
    experiment="|".join(config["experiments"]),
    alpha=r"\d+\.\d+",
    seed=r"\d+",
    figure="|".join(
        [*config["calibration"]["figures"], *config["representation"]["figures"]]
    ),
    triplet="|".join({t for by_dataset in TRIPLETS.values() for t in by_dataset}),


def expand_runs(pattern):
    """``pattern`` filled in for every (experiment, alpha, seed) of the config."""
    return [
        pattern.format(experiment=r.experiment, alpha=r.alpha, seed=r.seed)
        for r in RUNS
    ]


def all_targets():
    experiments = list(config["run"])
    targets = expand_runs(f"results/evaluate/{RUN_DIR}/test.npz")
    targets += [
        "results/tables/table2_accuracy.csv",
        "results/tables/table3_calibration.csv",
        "results/tables/geometry_summary.csv",
    ]
    targets += expand(
        "results/figures/{kind}/{experiment}.pdf",
        kind=["calibration_vs_alpha", "geometry_vs_alpha"],
        experiment=experiments,
    )
    targets += expand(
        "results/figures/reliability/{figure}.pdf", figure=RELIABILITY_FIGURES
    )
    for name, fig in PROJECTION_FIGURES.items():
        dataset = lsconfig.dataset_for(config, fig["hard"])
        targets += expand(
            "results/figures/projection/{figure}/{triplet}.pdf",
            figure=name,
            triplet=TRIPLETS.get(dataset, {}),
        )
    return targets


def run_path(stage, experiment, alpha, seed, artifact):
    alpha = lsconfig.fmt_float(alpha)
    return f"results/{stage}/{experiment}/alpha~{alpha}/seed~{seed}/{artifact}"


def get_dataset(wildcards):
    return lsconfig.dataset_for(config, wildcards.experiment)


def get_prepared(wildcards):
    return f"results/data/{get_dataset(wildcards)}/prepared.npz"


def get_split(wildcards):
    return f"results/data/{get_dataset(wildcards)}/split.npz"


def get_split_params(wildcards):
    return config["datasets"][wildcards.dataset]


def get_recipe(wildcards):
    return lsconfig.recipe_for(config, wildcards.experiment)


def get_run_info(wildcards):
    return lsconfig.run_info(
        config, wildcards.experiment, wildcards.alpha, wildcards.seed
    )


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
from lsrepro import gpus as lsgpus  # noqa: E402

# Local runs: at most (GPUs x LSREPRO_JOBS_PER_GPU) GPU jobs at once, whatever --cores
# says; each binds its own device (lsrepro.gpus.bind_gpu). `--resources gpu=N` wins. No
# GPU: no limit, and the GPU rules run on the CPU. Under a cluster executor (--jobs sets
# workflow.nodes) or inside a SLURM job, SLURM assigns the GPUs.
if (
    workflow.nodes is None
    and "gpu" not in workflow.global_resources
    and not lsgpus.in_slurm_job()
):
    GPU_SLOTS = lsgpus.slot_count()
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


# Cluster time limits. Seconds per training step on a slow data-centre GPU (V100/T4 class)
# at batch size 128, with headroom; ResNets per layer. Estimates, not measurements: a job
# that still hits its limit is not lost (SIGTERM checkpoints it; the retry resumes).
GPU_SECONDS_PER_STEP = {"resnet": 0.08 / 56, "alexnet_tf": 0.015, "mlp": 0.005}
RUNTIME_MARGIN = 2.0  # x the estimate
RUNTIME_OVERHEAD_MIN = 10  # start-up, data loading, checkpoints


def train_runtime(wildcards, attempt):
    """Minutes for one training job: steps x GPU_SECONDS_PER_STEP x RUNTIME_MARGIN plus
    overhead, doubled on each retry (a retry resumes from its checkpoint)."""
    recipe = get_recipe(wildcards)
    model = recipe["model"]
    if model["name"] not in GPU_SECONDS_PER_STEP:
        raise ValueError(
            f"add model {model['name']!r} to GPU_SECONDS_PER_STEP (common.smk)"
        )
    per_step = GPU_SECONDS_PER_STEP[model["name"]] * model.get("depth", 1)
    per_step *= recipe["batch_size"] / 128
    minutes = recipe["steps"] * per_step * RUNTIME_MARGIN / 60 + RUNTIME_OVERHEAD_MIN
    return int(minutes * 2 ** (attempt - 1)) + 1


def evaluate_runtime(wildcards, attempt):
    """Minutes for one evaluation job (inference on val, test and a train sample)."""
    return 30 * attempt
