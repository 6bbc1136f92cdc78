"""Config validation: the paper config and presets pass; every kind of bad value stops the run
before any job with a message that names its key (or its file and line)."""

import copy
import subprocess
from pathlib import Path

import pytest
import yaml

from lsrepro.config import (
    CIFAR100_CLASSES,
    DATASET_FACTS,
    ConfigError,
    direct_runs,
    fmt_float,
    load_config_file,
    validate_config,
)
from lsrepro.data.images import CIFAR10_CLASSES
from workflow_runs import fresh_copy, in_parallel, snakemake

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
SHIPPED = [
    ("config.yaml",),
    ("config.yaml", "presets/quick.yaml"),
    ("config.yaml", "presets/quick.yaml", "presets/smoke.yaml"),
    ("config.yaml", "tests/synthetic_preset.yaml"),
    ("config.yaml", "presets/mnist_toy.yaml"),
    ("config.yaml", "presets/mnist_toy.yaml", "presets/mnist_all_train.yaml"),
    ("config.yaml", "presets/cpu_study.yaml"),
    ("config.yaml", "presets/cpu_study.yaml", "presets/cpu_study_lr_grid.yaml"),
    ("config.yaml", "presets/cpu_study_cifar.yaml"),
]


def merged(*files: str) -> dict:
    """Deep-merge like snakemake --configfile (dicts merge, everything else replaces)."""

    def update(base: dict, new: dict) -> None:
        for key, value in new.items():
            if isinstance(value, dict) and isinstance(base.get(key), dict):
                update(base[key], value)
            else:
                base[key] = value

    config: dict = {}
    for f in files:
        update(config, yaml.safe_load((ROOT / f).read_text()))
    return config


@pytest.fixture
def paper() -> dict:
    return merged("config.yaml")


@pytest.mark.parametrize("files", SHIPPED)
def test_shipped_configs_are_valid(files):
    validate_config(merged(*files), SCHEMA, config_files=[ROOT / f for f in files])


def test_paper_grid(paper):
    grid = direct_runs(paper)
    figure_runs = [r for r in grid if not r.experiment.startswith("mnist_fc_student")]
    assert len(figure_runs) == 8 * 5 + 8 * 5 + 3 * 5 + 5 + 5  # Tables 2-3, Figs. 1-2, teachers
    assert {r.alpha for r in grid if r.experiment == "cifar100_resnet56"} == {"0.0", "0.05", "0.1"}


def recipe(name):
    return lambda c: c["recipes"][name]


def setter(get, key, value):
    def edit(config):
        get(config)[key] = value

    return edit


BAD = {
    # -- schema (existing) --
    "alpha_above_one": (
        lambda c: c["experiments"]["cifar10_resnet56"]["alphas"].append(1.0),
        r"experiments\.cifar10_resnet56\.alphas\[8\]: 1\.0 is greater than or equal to the max",
    ),
    "alpha_negative": (
        lambda c: c["experiments"]["cifar10_alexnet"]["alphas"].__setitem__(0, -0.1),
        r"experiments\.cifar10_alexnet\.alphas\[0\]: -0\.1 is less than the minimum of 0",
    ),
    "unknown_top_level_key": (
        lambda c: c.__setitem__("learning_rate", 0.1),
        r"<top level>: Additional properties are not allowed \('learning_rate' was unexp",
    ),
    "lr_not_a_number": (
        setter(lambda c: c["recipes"]["resnet56"]["optimizer"], "lr", "fast"),
        r"recipes\.resnet56\.optimizer\.lr: 'fast' is not of type 'number'",
    ),
    "missing_steps": (
        lambda c: c["recipes"]["resnet56"].pop("steps"),
        r"recipes\.resnet56: 'steps' is a required property",
    ),
    "unknown_experiment_in_run": (
        lambda c: c["run"].append("imagenet_inception"),
        r"run: unknown experiment 'imagenet_inception'",
    ),
    "unknown_recipe": (
        setter(lambda c: c["experiments"]["mnist_fc_ls"], "recipe", "nope"),
        r"experiments\.mnist_fc_ls\.recipe: no recipe 'nope'",
    ),
    "milestone_after_the_end": (
        setter(lambda c: c["recipes"]["resnet56"]["lr_schedule"], "milestones", [70000]),
        r"recipes\.resnet56\.lr_schedule\.milestones: 70000 >= steps \(64000\)",
    ),
    "duplicate_seeds": (
        setter(lambda c: c["experiments"]["cifar10_resnet56"], "seeds", [0, 0]),
        r"experiments\.cifar10_resnet56\.seeds: duplicate values",
    ),
    # -- issue 10 §1: whole-number floats in integer fields --
    "float_steps": (
        setter(recipe("resnet56"), "steps", 20.0),
        r"recipes\.resnet56\.steps: 20\.0 is not of type 'integer'",
    ),
    "float_batch_size": (
        setter(recipe("mlp1200"), "batch_size", 100.0),
        r"recipes\.mlp1200\.batch_size: 100\.0 is not of type 'integer'",
    ),
    "float_seed": (
        setter(lambda c: c["experiments"]["mnist_fc_ls"], "seeds", [0, 1.0]),
        r"experiments\.mnist_fc_ls\.seeds\[1\]: 1\.0 is not of type 'integer'",
    ),
    "float_model_depth": (
        setter(recipe("resnet56"), "model", {"name": "resnet", "depth": 56.0}),
        r"recipes\.resnet56\.model\.depth: must be an integer, got 56\.0",
    ),
    # -- schedule fields per kind --
    "piecewise_without_factor": (
        setter(recipe("resnet56"), "lr_schedule", {"name": "piecewise", "milestones": [100]}),
        r"recipes\.resnet56\.lr_schedule: a piecewise schedule needs 'factor'",
    ),
    "piecewise_without_milestones": (
        setter(recipe("resnet56"), "lr_schedule", {"name": "piecewise", "factor": 0.1}),
        r"recipes\.resnet56\.lr_schedule: a piecewise schedule needs 'milestones'",
    ),
    "milestones_not_increasing": (
        setter(lambda c: c["recipes"]["alexnet_tf"]["lr_schedule"], "milestones", [260000, 130000]),
        r"recipes\.alexnet_tf\.lr_schedule\.milestones: must increase, got \[260000, 130000\]",
    ),
    "warmup_past_the_run": (
        setter(lambda c: c["recipes"]["mlp800"]["lr_schedule"], "warmup_steps", 50000),
        r"recipes\.mlp800\.lr_schedule\.warmup_steps: 50000 >= steps \(50000\)",
    ),
    "negative_warmup": (
        setter(lambda c: c["recipes"]["mlp800"]["lr_schedule"], "warmup_steps", -1),
        r"recipes\.mlp800\.lr_schedule\.warmup_steps: -1 is less than the minimum of 0",
    ),
    "linear_with_milestones": (
        setter(recipe("mlp1200"), "lr_schedule", {"name": "linear", "milestones": [10]}),
        r"recipes\.mlp1200\.lr_schedule\.milestones: a linear schedule has no milestones",
    ),
    "constant_with_factor": (
        setter(recipe("mlp1200"), "lr_schedule", {"name": "constant", "factor": 0.1}),
        r"recipes\.mlp1200\.lr_schedule\.factor: a constant schedule has no factor",
    ),
    # -- cross-field --
    "temperature_bounds_reversed": (
        setter(lambda c: c["calibration"], "temperature_bounds", [100.0, 0.01]),
        r"calibration\.temperature_bounds: \[T_min, T_max\] must have T_min < T_max",
    ),
    "temperature_bounds_equal": (
        setter(lambda c: c["calibration"], "temperature_bounds", [1.0, 1.0]),
        r"calibration\.temperature_bounds: .* got \[1\.0, 1\.0\]",
    ),
    "val_size_is_the_whole_training_set": (
        setter(lambda c: c["datasets"]["cifar10"], "val_size", 50000),
        r"datasets\.cifar10\.val_size: 50000 leaves no training examples: cifar10's official "
        r"training set holds 50000",
    ),
    "mnist_val_size_too_large": (
        setter(lambda c: c["datasets"]["mnist"], "val_size", 70000),
        r"datasets\.mnist\.val_size: 70000 leaves no training examples",
    ),
    "crop_larger_than_padded_image": (
        setter(lambda c: c["recipes"]["resnet56"]["input"], "crop", 48),
        r"recipes\.resnet56\.input\.crop: 48 exceeds image \+ 2 x pad = 40 px \(cifar10 images",
    ),
    "crop_larger_than_image": (
        setter(lambda c: c["recipes"]["resnet56"]["input"], "crop", 36),
        r"recipes\.resnet56\.input\.crop: 36 exceeds the 32 px cifar10 images .* central crop",
    ),
    "model_image_size_is_not_the_crop": (
        setter(lambda c: c["recipes"]["alexnet_tf"]["input"], "crop", 28),
        r"recipes\.alexnet_tf\.model\.image_size: 24 but input\.crop is 28",
    ),
    # -- model arguments via the registry --
    "argument_the_model_does_not_take": (
        setter(recipe("mlp1200"), "model", {"name": "mlp", "hidden": [1200], "depth": 56}),
        r"recipes\.mlp1200\.model\.depth: model 'mlp' takes no argument 'depth' \(its arguments: "
        r"hidden, dropout",
    ),
    "resnet_depth_not_6n_plus_2": (
        setter(recipe("resnet56"), "model", {"name": "resnet", "depth": 50 + 1}),
        r"recipes\.resnet56\.model\.depth: ResNet depth must be 6n \+ 2 .* got 51",
    ),
    "unknown_model": (
        setter(recipe("resnet56"), "model", {"name": "vgg"}),
        r"recipes\.resnet56\.model\.name: unknown model 'vgg'; known models: alexnet_tf, "
        r"inception_v4, mlp",
    ),
    "translation_model_on_images": (
        setter(
            recipe("resnet56"),
            "model",
            {"name": "transformer", "layers": 1, "d_model": 8, "heads": 2, "ffn": 8, "dropout": 0},
        ),
        r"experiments\.cifar10_resnet56\.recipe: model 'transformer' of recipe 'resnet56' is "
        r"not an image classifier",
    ),
    "unknown_precision": (
        setter(recipe("mlp1200"), "precision", "fp16"),
        r"recipes\.mlp1200\.precision: 'fp16' is not one of \['fp32', 'bf16'\]",
    ),
    "compile_not_a_boolean": (
        setter(recipe("resnet56"), "compile", "yes"),
        r"recipes\.resnet56\.compile: 'yes' is not of type 'boolean'",
    ),
    "unknown_weight_decay_scope": (
        setter(lambda c: c["recipes"]["resnet56"]["weight_decay"], "scope", "bn"),
        r"recipes\.resnet56\.weight_decay\.scope: 'bn' is not one of \['weights', 't2t'",
    ),
    # -- class names of the projection triplets --
    "triplet_class_not_in_dataset": (
        setter(
            lambda c: c["representation"]["triplets"]["cifar10"],
            "paper",
            ["aeroplane", "cat", "dog"],
        ),
        r"representation\.triplets\.cifar10\.paper: 'aeroplane' is not a cifar10 class; did you "
        r"mean 'airplane'\?",
    ),
    "triplet_class_of_another_dataset": (
        setter(
            lambda c: c["representation"]["triplets"]["cifar100"], "paper", ["cat", "otter", "seal"]
        ),
        r"representation\.triplets\.cifar100\.paper: 'cat' is not a cifar100 class",
    ),
    # -- mirror --
    "empty_mirror": (
        lambda c: c.__setitem__("mirror", ""),
        r"mirror: empty string; write null to download the official files",
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_config_names_the_key(paper, case):
    edit, message = BAD[case]
    config = copy.deepcopy(paper)
    edit(config)
    with pytest.raises(ConfigError, match=message):
        validate_config(config, SCHEMA)


def test_a_preset_can_switch_a_piecewise_recipe_to_linear(paper):
    # A preset cannot delete inherited keys; empty milestones and a null factor count as absent.
    paper["recipes"]["resnet56"]["lr_schedule"] |= {
        "name": "linear",
        "milestones": [],
        "factor": None,
    }
    validate_config(paper, SCHEMA)


def test_a_preset_sets_precision_per_recipe(tmp_path):
    """A preset's recipe block merges into config.yaml's: bf16 for one recipe, the others keep
    fp32 (what Snakemake's --configfile does, and what the train rule's params then carry)."""
    preset = tmp_path / "bf16_mlp.yaml"
    preset.write_text("recipes:\n  mlp1200: {precision: bf16, compile: true}\n")
    config = merged("config.yaml", "presets/quick.yaml", str(preset))  # an absolute path
    validate_config(config, SCHEMA, config_files=[ROOT / "config.yaml", preset])
    assert config["recipes"]["mlp1200"]["precision"] == "bf16"
    assert config["recipes"]["mlp1200"]["steps"] == 1000  # the quick preset's, kept
    before = merged("config.yaml", "presets/quick.yaml")["recipes"]  # quick: bf16 image models
    others = {n: r["precision"] for n, r in config["recipes"].items() if n != "mlp1200"}
    assert others == {n: r["precision"] for n, r in before.items() if n != "mlp1200"}
    assert set(others.values()) == {"fp32", "bf16"}  # recipes quick leaves alone keep fp32


def test_every_problem_is_reported_at_once(paper):
    paper["recipes"]["resnet56"]["steps"] = 20.0
    paper["recipes"]["mlp1200"]["batch_size"] = 100.0
    with pytest.raises(ConfigError) as error:
        validate_config(paper, SCHEMA)
    assert "recipes.resnet56.steps" in str(error.value)
    assert "recipes.mlp1200.batch_size" in str(error.value)


# --- the mirror directory ---------------------------------------------------------------------


def prepared_paths(root: Path) -> dict[str, Path]:
    return {d: root / d / "prepared.npz" for d in DATASET_FACTS}


def test_missing_mirror_is_rejected_while_a_dataset_is_unprepared(paper, tmp_path):
    paper["mirror"] = str(tmp_path / "no-such-mirror")
    with pytest.raises(ConfigError, match=r"mirror: directory .*no-such-mirror does not exist"):
        validate_config(paper, SCHEMA, prepared=prepared_paths(tmp_path))
    (tmp_path / "no-such-mirror").mkdir()
    validate_config(paper, SCHEMA, prepared=prepared_paths(tmp_path))


def test_missing_mirror_is_fine_once_every_dataset_is_prepared(paper, tmp_path):
    # Jobs on a compute node re-read the config but never the mirror (prepare_data is local).
    paper["mirror"] = str(tmp_path / "login-node-only")
    for path in prepared_paths(tmp_path).values():
        path.parent.mkdir(parents=True)
        path.write_bytes(b"")
    validate_config(paper, SCHEMA, prepared=prepared_paths(tmp_path))


# --- the config files themselves ---------------------------------------------------------------


def test_duplicate_key_names_file_and_line(tmp_path):
    path = tmp_path / "preset.yaml"
    path.write_text("recipes:\n  resnet56:\n    steps: 20\n    log_every: 5\n    steps: 30\n")
    with pytest.raises(
        ConfigError, match=rf"{path}:5: duplicate key 'steps' \(first given on line 3\)"
    ):
        load_config_file(path)


def test_duplicate_top_level_key_in_a_file_given_to_validation(paper, tmp_path):
    path = tmp_path / "preset.yaml"
    path.write_text("run: [cifar10_alexnet]\nevaluate: {max_examples: 10}\nrun: [mnist_fc_ls]\n")
    with pytest.raises(ConfigError, match=rf"{path}:3: duplicate key 'run'"):
        validate_config(paper, SCHEMA, config_files=[ROOT / "config.yaml", path])


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    path = tmp_path / "preset.yaml"
    path.write_text("recipes:\n  resnet56:\n    steps: [1, 2\n    log_every: 5\n")
    with pytest.raises(
        ConfigError, match=rf"{path}:4:\d+: YAML syntax error: while parsing a flow"
    ):
        load_config_file(path)


def test_strict_loader_reads_what_yaml_reads():
    for path in [ROOT / "config.yaml", *(ROOT / "presets").glob("*.yaml")]:
        assert load_config_file(path) == yaml.safe_load(path.read_text())


# --- dataset facts ------------------------------------------------------------------------------


def test_dataset_class_names():
    assert DATASET_FACTS["cifar10"].classes == CIFAR10_CLASSES
    # The CIFAR-100 meta file lists the 100 fine labels alphabetically.
    assert len(set(CIFAR100_CLASSES)) == 100 and list(CIFAR100_CLASSES) == sorted(CIFAR100_CLASSES)
    assert {"beaver", "dolphin", "otter", "maple_tree", "oak_tree"} <= set(CIFAR100_CLASSES)
    assert DATASET_FACTS["mnist"].classes == tuple("0123456789")


# --- end to end: the run stops before any job --------------------------------------------------


STOPPING = [
    pytest.param(
        "recipes:\n  resnet56:\n    steps: 20.0\n",
        "recipes.resnet56.steps: 20.0 is not of type 'integer'",
        id="float_steps",
    ),
    pytest.param(
        "recipes:\n  mlp1200:\n    model: {name: mlp, hidden: [1200, 1200], depth: 56}\n",
        "recipes.mlp1200.model.depth: model 'mlp' takes no argument 'depth'",
        id="model_argument",
    ),
    pytest.param(
        "recipes:\n  mlp1200:\n    steps: 20\n    steps: 30\n",
        "bad.yaml:4: duplicate key 'steps'",
        id="duplicate_key",
    ),
    pytest.param(
        "mirror: no-such-mirror\n",
        "mirror: directory no-such-mirror does not exist",
        id="missing_mirror",
    ),
]


@pytest.fixture(scope="module")
def stopped(tmp_path_factory) -> dict[str, tuple[Path, subprocess.CompletedProcess]]:
    """Per STOPPING overlay: a fresh workflow copy and ``snakemake -n --configfile bad.yaml``
    run in it with the overlay as bad.yaml, one per core at a time (workflow_runs.in_parallel:
    each is mostly snakemake's start-up)."""

    def one(i_overlay: tuple[int, str]) -> tuple[str, tuple[Path, subprocess.CompletedProcess]]:
        i, overlay = i_overlay
        wd = fresh_copy(tmp_path_factory.mktemp(f"workflow{i}"))
        (wd / "bad.yaml").write_text(overlay)
        return overlay, (wd, snakemake("-n", "--configfile", "bad.yaml", cwd=wd, check=False))

    return dict(in_parallel(one, enumerate(param.values[0] for param in STOPPING)))


@pytest.mark.parametrize("overlay, message", STOPPING)
def test_snakemake_stops_before_any_job(stopped, overlay, message):
    workflow_copy, proc = stopped[overlay]
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert message in output, output
    assert "Job stats" not in output
    assert not (workflow_copy / "results").exists()


def test_dag_is_built_without_torch(paper_dag):
    """The paper DAG's dry run with ``import torch`` made to fail: nothing on the way needs it
    (conftest.paper_dag: the same run test_workflow counts the paper DAG's jobs of)."""
    proc = paper_dag
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "train " in proc.stdout + proc.stderr


def test_fmt_float_is_the_one_formatter():
    assert [fmt_float(a) for a in (0, 0.0, 0.05, 0.1, 0.15, 0.3, 0.75)] == [
        "0.0",
        "0.0",
        "0.05",
        "0.1",
        "0.15",
        "0.3",
        "0.75",
    ]
    assert fmt_float(0.1 + 0.2) == "0.30000000000000004"  # honest, not rounded


def test_a_student_experiment_need_not_be_trained_alone(paper):
    """The MNIST students lend the 800-800 recipe of an experiment that is not in ``run``: valid,
    and the distilled runs are listed; the Fig. 5 set still needs its students trained alone."""
    from lsrepro.config import distilled_runs

    paper["run"] = [r for r in paper["run"] if r != "mnist_fc_student"]
    paper["distillation"].update(
        run=["mnist_student_of_dropout_teacher"], fig5=None, mnist_toy=None
    )
    validate_config(paper, SCHEMA)
    assert [k.fragment for k in distilled_runs(paper)][:1] == [
        "mnist_student_of_dropout_teacher/teacher~mnist_fc_dropout~alpha~0.0~seed~0/T~1.0/seed~0"
    ]
    paper["distillation"].update(
        run=["cifar10_alexnet_kd"], fig5={"students": "cifar10_alexnet_kd"}
    )
    paper["run"] = [r for r in paper["run"] if r != "cifar10_alexnet"]
    with pytest.raises(
        ConfigError,
        match=r"student: experiment 'cifar10_alexnet' is not in run "
        r"\(Fig\. 5 draws its students trained alone\)",
    ):
        validate_config(paper, SCHEMA)
