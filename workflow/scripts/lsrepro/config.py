"""The workflow's config: validation with messages that name the key, and the job grid it implies.

``common.smk`` calls these; the package functions take explicit dicts and never read a global.
Nothing here imports torch: Snakemake runs it while it builds the DAG.

Validation has four layers, each message naming the key path (``recipes.resnet56.steps: ...``):
the config files themselves (duplicate keys and syntax errors, by file and line), the JSON schema
(``workflow/schemas/config.schema.yaml``; integers must be written as integers), the model
registry (each model's arguments and constraints), and the cross-field rules the schema cannot
express (schedule fields per kind, bounds order, crop vs image size, val_size vs the dataset,
class names, references between sections, the mirror directory).
"""

from __future__ import annotations

import difflib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import yaml

from lsrepro.data.images import CIFAR10_CLASSES, class_quotas
from lsrepro.models import registry
from lsrepro.models.registry import validate_model_spec

# The job grid lives in lsrepro.runs; these names stay importable from here (common.smk, tests).
from lsrepro.runs import (  # noqa: F401
    RunKey,
    all_runs,
    comparisons,
    dataset_for,
    direct_runs,
    distilled_runs,
    experiment_of,
    fmt_float,
    recipe_for,
    run_info,
    student_sets,
    teacher_seed,
)
from lsrepro.targets import reference_study_dirs
from lsrepro.translation.plan import built_problems
from lsrepro.translation.plan import problems as translation_problems


class ConfigError(ValueError):
    """The config is invalid; the message names every offending key (or file and line)."""


# --- config files: strict YAML ------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects a key given twice in one mapping (PyYAML keeps the last)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in seen:
            raise ConfigError(
                f"{key_node.start_mark.name}:{line}: duplicate key {key!r} "
                f"(first given on line {seen[key]}); YAML would silently keep the last value"
            )
        seen[key] = line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_config_file(path: Path | str) -> Any:
    """Parse one config file strictly: a duplicate key or a syntax error raises ConfigError
    naming the file and line (Snakemake's own loader keeps the last duplicate and reports a
    syntax error without file or line)."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as stream:  # PyYAML's marks take the stream's name
            return yaml.load(stream, Loader=_StrictLoader)  # a SafeLoader
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config file ({e.strerror})") from e
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        what = " ".join(str(x) for x in (e.context, e.problem) if x)
        raise ConfigError(f"{where}: YAML syntax error: {what}") from e


def config_file_problems(paths: list[Path | str]) -> list[str]:
    """Strict re-parse of every config file Snakemake merged (duplicates, syntax)."""
    problems = []
    for path in dict.fromkeys(Path(p).resolve() for p in paths):
        try:
            load_config_file(path)
        except ConfigError as e:
            problems.append(str(e))
    return problems


# --- facts about the datasets (torch-free; checked against the files in prepare_data) -----------


@dataclass(frozen=True)
class DatasetFacts:
    train_size: int  # examples in the official training set (train + validation splits)
    image_size: int | None  # side length in pixels (None: images of any size, ImageNet)
    classes: tuple[str, ...]  # class names in label order, as the prepared file stores them
    class_counts: tuple[int, ...]  # training-set examples per class, in label order

    def train_split_counts(self, val_size: int) -> dict[str, int]:
        """Class name -> examples in the training split once ``val_size`` are held out
        (the stratified draw of :func:`lsrepro.data.draw_split`)."""
        if not self.class_counts:  # not listed (ImageNet): nothing to check against
            return {}
        left = np.asarray(self.class_counts) - class_quotas(self.class_counts, val_size)
        return dict(zip(self.classes, (int(n) for n in left), strict=True))


# CIFAR-100's fine label names in label order (the dataset's ``meta`` file: alphabetical).
CIFAR100_CLASSES = tuple(
    """apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus
    butterfly camel can castle caterpillar cattle chair chimpanzee clock cloud cockroach couch
    crab crocodile cup dinosaur dolphin elephant flatfish forest fox girl hamster house kangaroo
    keyboard lamp lawn_mower leopard lion lizard lobster man maple_tree motorcycle mountain mouse
    mushroom oak_tree orange orchid otter palm_tree pear pickup_truck pine_tree plain plate poppy
    porcupine possum rabbit raccoon ray road rocket rose sea seal shark shrew skunk skyscraper
    snail snake spider squirrel streetcar sunflower sweet_pepper table tank telephone television
    tiger tractor train trout tulip turtle wardrobe whale willow_tree wolf woman worm""".split()
)


def imagenet_wnids() -> tuple[str, ...]:
    """The 1000 ILSVRC-2012 WNIDs in label order (sorted), from timm's class list, read as a
    file (importing timm would import torch); empty when timm is not installed."""
    spec = importlib.util.find_spec("timm")
    for folder in (spec.submodule_search_locations if spec else None) or []:
        path = Path(folder) / "data" / "_info" / "imagenet_synsets.txt"
        if path.is_file():
            return tuple(path.read_text().split())
    return ()


DATASET_FACTS = {
    # ILSVRC-2012 train; a copy may hold fewer (datasets.imagenet.expect, e.g. tests). Its
    # classes hold 732-1,300 images each: no per-class counts are listed.
    "imagenet": DatasetFacts(1_281_167, None, imagenet_wnids(), ()),
    "cifar10": DatasetFacts(50_000, 32, CIFAR10_CLASSES, (5_000,) * 10),
    "cifar100": DatasetFacts(50_000, 32, CIFAR100_CLASSES, (500,) * 100),
    "mnist": DatasetFacts(
        60_000,
        28,
        tuple(str(i) for i in range(10)),
        (5_923, 6_742, 5_958, 6_131, 5_842, 5_421, 5_918, 6_265, 5_851, 5_949),
    ),
}


# --- validation ---------------------------------------------------------------------------------


def _strict_integers(checker: Any, instance: Any) -> bool:
    # JSON Schema counts 20.0 as an integer; the training code needs a Python int.
    return isinstance(instance, int) and not isinstance(instance, bool)


_Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _strict_integers),
)


def _key_path(error: jsonschema.ValidationError) -> str:
    parts = []
    for p in error.absolute_path:
        parts.append(f"[{p}]" if isinstance(p, int) else (f".{p}" if parts else str(p)))
    return "".join(parts) or "<top level>"


def validate_config(
    config: dict[str, Any],
    schema_path: Path | str,
    config_files: list[Path | str] = (),
    prepared: dict[str, Path | str] | None = None,
    workflow_dir: Path | str | None = None,
) -> None:
    """Check everything that can be checked before the first job; raise ConfigError listing
    every problem as ``key.path: message`` (or ``file:line: message`` for a config file).

    Args:
        config: the merged config Snakemake built.
        schema_path: the JSON schema (YAML).
        config_files: the files Snakemake merged (``workflow.configfiles``), re-parsed strictly
            for duplicate keys and syntax errors.
        prepared: dataset -> its prepared file; when one that a run needs is missing,
            ``prepare_data`` will read the mirror, so the mirror directory must exist now.
            None skips file-system checks (tests of the dict alone).
        workflow_dir: the workflow's directory, against which relative ``reference_studies``
            are read; None skips that check.
    """
    problems = config_file_problems(list(config_files))
    if not problems:
        validator = _Validator(yaml.safe_load(Path(schema_path).read_text()))
        problems = [
            f"{_key_path(e)}: {e.message}"
            for e in sorted(
                validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path))
            )
        ]
    if not problems:
        problems = _cross_reference_problems(config)
    if not problems and prepared is not None:
        problems = _mirror_problems(config, prepared) + _built_problems(config)
    if not problems and workflow_dir is not None:
        problems = reference_study_problems(config, workflow_dir)
    if problems:
        raise ConfigError("invalid config:\n  " + "\n  ".join(problems))


def _cross_reference_problems(config: dict[str, Any]) -> list[str]:
    problems = []
    experiments = config["experiments"]
    if config["mirror"] == "":
        problems.append(
            "mirror: empty string; write null to download the official files, or give the "
            "path of a local mirror directory"
        )
    for name in config["run"]:
        if name not in experiments:
            problems.append(f"run: unknown experiment {name!r} (defined: {', '.join(experiments)})")
    for name, dataset in config["datasets"].items():
        total = dataset.get("expect", {}).get("train_images", DATASET_FACTS[name].train_size)
        if dataset["val_size"] >= total:
            problems.append(
                f"datasets.{name}.val_size: {dataset['val_size']} leaves no training examples: "
                f"{name}'s official training set holds {total}"
            )
    for name, recipe in config["recipes"].items():
        problems += _recipe_problems(f"recipes.{name}", recipe)
    for name, exp in experiments.items():
        key = f"experiments.{name}"
        if exp["dataset"] not in config["datasets"]:
            problems.append(f"{key}.dataset: no dataset {exp['dataset']!r} in datasets")
        if exp["recipe"] not in config["recipes"]:
            problems.append(f"{key}.recipe: no recipe {exp['recipe']!r} in recipes")
        elif exp["dataset"] in DATASET_FACTS:
            problems += _input_problems(config, name, exp)
        for field in ("alphas", "seeds"):
            if len(set(exp[field])) != len(exp[field]):
                problems.append(f"{key}.{field}: duplicate values {exp[field]}")
    bounds = config["calibration"]["temperature_bounds"]
    if not bounds[0] < bounds[1]:
        problems.append(
            f"calibration.temperature_bounds: [T_min, T_max] must have T_min < T_max, got {bounds}"
        )
    for dataset, triplets in config["representation"]["triplets"].items():
        problems += _triplet_problems(dataset, triplets)
    for section in ("calibration", "representation"):
        problems += _comparison_problems(config, section)
    problems += _distillation_problems(config)
    problems += _translation_problems(config)
    return problems


def _recipe_problems(key: str, recipe: dict[str, Any]) -> list[str]:
    problems = [f"{key}.model.{p}" for p in validate_model_spec(recipe["model"])]
    steps = recipe["steps"]
    schedule = recipe["lr_schedule"]
    milestones = schedule.get("milestones")
    if schedule["name"] == "piecewise":
        for field in ("milestones", "factor"):
            if not schedule.get(field):
                problems.append(
                    f"{key}.lr_schedule: a piecewise schedule needs {field!r} (the lr is "
                    f"multiplied by factor at each milestone; no milestones: name: constant)"
                )
        milestones = milestones or []
        if any(b <= a for a, b in zip(milestones, milestones[1:], strict=False)):
            problems.append(f"{key}.lr_schedule.milestones: must increase, got {milestones}")
        for m in milestones:
            if m >= steps:
                problems.append(f"{key}.lr_schedule.milestones: {m} >= steps ({steps})")
    else:
        # A preset cannot delete keys it inherits, so [] and null count as absent.
        for field, given in (("milestones", milestones), ("factor", schedule.get("factor"))):
            if given:
                problems.append(
                    f"{key}.lr_schedule.{field}: a {schedule['name']} schedule has no {field} "
                    f"(remove it; a preset that switches a piecewise recipe writes "
                    f"milestones: [] and factor: null)"
                )
    if (schedule.get("warmup_steps") or 0) >= steps:
        problems.append(
            f"{key}.lr_schedule.warmup_steps: {schedule['warmup_steps']} >= steps ({steps})"
        )
    accumulate = recipe.get("accumulate", 1)
    if recipe["batch_size"] % accumulate:
        problems.append(
            f"{key}.accumulate: batch_size {recipe['batch_size']} does not split into "
            f"{accumulate} equal micro-batches"
        )
    for s in recipe.get("snapshot_steps", []):
        if s > steps:
            problems.append(f"{key}.snapshot_steps: {s} > steps ({steps})")
    return problems


def _input_problems(config: dict[str, Any], experiment: str, exp: dict[str, Any]) -> list[str]:
    """The recipe's crop and the model's input size against the experiment's dataset."""
    recipe_name, dataset = exp["recipe"], exp["dataset"]
    recipe = config["recipes"][recipe_name]
    key = f"recipes.{recipe_name}"
    size = DATASET_FACTS[dataset].image_size
    crop, pad = recipe["input"]["crop"], recipe["input"]["pad"]
    where = f"{dataset} images of experiment {experiment!r}"
    problems = []
    if size is None:  # image files of any size: Inception crops, resized to crop x crop
        if "resized_crop" not in recipe:
            problems.append(
                f"{key}.resized_crop: required for the {where} (random resized crops of "
                f"image files; see recipes.inception_v4 in config.yaml)"
            )
    elif crop > size + 2 * pad:
        problems.append(
            f"{key}.input.crop: {crop} exceeds image + 2 x pad = {size + 2 * pad} px ({where})"
        )
    elif crop > size:
        problems.append(
            f"{key}.input.crop: {crop} exceeds the {size} px {where}: evaluation takes a "
            f"central crop without padding"
        )
    if validate_model_spec(recipe["model"]):
        return problems  # reported with the recipe
    model = registry.entry(recipe["model"]["name"])
    if model.build_args != registry.IMAGE_BUILD_ARGS:
        problems.append(
            f"experiments.{experiment}.recipe: model {model.name!r} of recipe {recipe_name!r} "
            f"is not an image classifier"
        )
    elif "image_size" in model.args:
        image_size = registry.resolve(recipe["model"])["image_size"]
        if image_size != crop:
            problems.append(
                f"{key}.model.image_size: {image_size} but input.crop is {crop} (the model "
                f"sees crop x crop inputs)"
            )
    return problems


def _triplet_problems(dataset: str, triplets: dict[str, list[str]]) -> list[str]:
    classes = DATASET_FACTS[dataset].classes
    problems = []
    if not classes:  # ImageNet without timm: checked against the data in prepare_data
        return problems
    for name, triplet in triplets.items():
        for label in triplet:
            if label not in classes:
                near = difflib.get_close_matches(label, classes, n=3)
                hint = f"; did you mean {', '.join(map(repr, near))}?" if near else ""
                problems.append(
                    f"representation.triplets.{dataset}.{name}: {label!r} is not a {dataset} "
                    f"class{hint}"
                )
    return problems


def reference_study_problems(config: dict[str, Any], workflow_dir: Path | str) -> list[str]:
    """``reference_studies`` that hold no claims.csv, or two that share a name (the front page
    names each study by its directory)."""
    problems = []
    dirs = reference_study_dirs(config, workflow_dir)
    for i, directory in enumerate(dirs):
        claims = directory / "claims.csv"
        if not claims.is_file():
            problems.append(
                f"reference_studies[{i}]: {directory} holds no claims.csv (a shipped reference "
                f"study: reference/README.md); copy the workflow's reference/ folder with it, "
                f"or set reference_studies: [] to quote none"
            )
    names = [d.name for d in dirs]
    if len(set(names)) != len(names):
        problems.append(f"reference_studies: two studies share a directory name ({names})")
    return problems


def _mirror_problems(config: dict[str, Any], prepared: dict[str, Path | str]) -> list[str]:
    mirror = config["mirror"]
    needed = sorted({config["experiments"][name]["dataset"] for name in config["run"]})
    problems = []
    if "imagenet" in needed and not Path(prepared["imagenet"]).is_file():
        root = config["datasets"]["imagenet"].get("root")
        if root is None or not Path(root).is_dir():
            problems.append(
                f"datasets.imagenet.root: {root!r} is not a directory (relative to "
                f"{Path.cwd()}); prepare_data needs your local ImageNet copy (train/ and val/ "
                f"class folders, or the official ILSVRC2012 tar files and devkit)"
            )
    needed = [d for d in needed if d != "imagenet"]
    if mirror is None or Path(mirror).is_dir():
        return problems
    missing = [d for d in needed if not Path(prepared[d]).is_file()]
    if not missing:
        return problems  # every dataset is prepared: the mirror is not read
    return problems + [
        f"mirror: directory {mirror} does not exist (relative to {Path.cwd()}); "
        f"prepare_data needs it for {', '.join(missing)} (null downloads instead)"
    ]


def _comparison_problems(config: dict[str, Any], section: str) -> list[str]:
    problems = []
    experiments = config["experiments"]
    seed = config[section]["model_seed"]
    for name, fig in config[section]["figures"].items():
        key = f"{section}.figures.{name}"
        unknown = [
            f"{key}.{role}: unknown experiment {fig[role]!r}"
            for role in ("hard", "smooth")
            if fig[role] not in experiments
        ]
        problems += unknown
        if unknown or not {fig["hard"], fig["smooth"]} <= set(config["run"]):
            continue  # skipped figure: its experiments do not run
        hard, smooth = experiments[fig["hard"]], experiments[fig["smooth"]]
        if 0.0 not in hard["alphas"]:
            problems.append(f"{key}.hard: experiment {fig['hard']!r} has no alpha = 0 model")
        if fig["alpha"] not in smooth["alphas"]:
            problems.append(
                f"{key}.alpha: {fig['alpha']} is not in experiments.{fig['smooth']}.alphas "
                f"{smooth['alphas']}"
            )
        for role, exp in (("hard", hard), ("smooth", smooth)):
            if seed not in exp["seeds"]:
                problems.append(f"{section}.model_seed: {seed} is not a seed of {fig[role]!r}")
    return problems


def _distillation_problems(config: dict[str, Any]) -> list[str]:
    """References of the distillation section (its schema comes with the section)."""
    section = config.get("distillation") or {}
    students = section.get("students") or {}
    problems = []
    for name in section.get("run", []):
        if name not in students:
            problems.append(f"distillation.run: unknown student set {name!r}")
            continue
        entry = students[name]
        key = f"distillation.students.{name}"
        # The teacher's runs must be trained; the student experiment lends its dataset and
        # recipe and need not be trained alone, except for the Fig. 5 set, which draws the
        # student trained alone beside the distilled ones.
        fig5 = (section.get("fig5") or {}).get("students") == name
        missing = False
        for role in ("teacher", "student"):
            experiment = entry.get(role)
            if role == "student" and not fig5 and experiment in config["experiments"]:
                continue
            if experiment not in config["run"]:
                missing = True
                why = " (Fig. 5 draws its students trained alone)" if role == "student" else ""
                problems.append(f"{key}.{role}: experiment {experiment!r} is not in run{why}")
        if missing:
            continue
        teacher = config["experiments"][entry["teacher"]]
        student = config["experiments"][entry["student"]]
        if dataset_for(config, entry["teacher"]) != student["dataset"]:
            problems.append(
                f"{key}: teacher {entry['teacher']!r} ({teacher['dataset']}) and student "
                f"{entry['student']!r} ({student['dataset']}) train on different datasets"
            )
        problems += _grid_duplicates(key, entry["grid"])
        for i, cell in enumerate(entry["grid"]):
            for alpha in cell["teacher_alphas"]:
                if alpha not in teacher["alphas"]:
                    problems.append(
                        f"{key}.grid[{i}].teacher_alphas: {alpha} is not in "
                        f"experiments.{entry['teacher']}.alphas {teacher['alphas']}"
                    )
        seeds = [teacher_seed(entry, s) for s in entry["seeds"]]
        absent = sorted({s for s in seeds if s not in teacher["seeds"]})
        if absent:
            what = "teacher_seed" if entry.get("teacher_seed") is not None else "seeds"
            problems.append(
                f"{key}.{what}: teacher seed(s) {absent} are not seeds of "
                f"{entry['teacher']!r} {teacher['seeds']} (null pairs student seed s with "
                f"teacher seed s)"
            )
        if entry["objective"]["name"] == "logit_matching" and any(
            t != 1.0 for cell in entry["grid"] for t in cell["temperatures"]
        ):
            problems.append(f"{key}.grid: logit matching has no temperature; use [1.0]")
    for figure in ("fig5", "mnist_toy"):
        entry = section.get(figure) or {}
        for role, name in entry.items():
            is_set = role in ("students", "student_A", "student_B")
            if name not in (students if is_set else config["experiments"]):
                problems.append(f"distillation.{figure}.{role}: unknown {name!r}")
            elif name not in (section.get("run", []) if is_set else config["run"]):
                # Without this the figure and its tables would leave the DAG without a word.
                where = "distillation.run" if is_set else "run"
                problems.append(
                    f"distillation.{figure}.{role}: {'student set' if is_set else 'experiment'} "
                    f"{name!r} is not in {where}, so {figure} would not be made (add it, or "
                    f"write distillation.{figure}: null)"
                )
    return problems + _information_problems(config)


def _grid_duplicates(key: str, grid: list[dict[str, Any]]) -> list[str]:
    """A (teacher alpha, T) pair given twice in a student set's grid names one run twice."""
    problems = []
    seen: set[tuple[float, float]] = set()
    for i, cell in enumerate(grid):
        for field in ("teacher_alphas", "temperatures"):
            if len(set(cell[field])) != len(cell[field]):
                problems.append(f"{key}.grid[{i}].{field}: duplicate values {cell[field]}")
        for alpha in dict.fromkeys(cell["teacher_alphas"]):
            for t in dict.fromkeys(cell["temperatures"]):
                if (alpha, t) in seen:
                    problems.append(
                        f"{key}.grid: teacher alpha {alpha} at T = {t} is given twice "
                        f"(again in grid[{i}])"
                    )
                seen.add((alpha, t))
    return problems


def _translation_problems(config: dict[str, Any]) -> list[str]:
    """References and model specs of the translation section (lsrepro.translation.plan)."""
    return translation_problems(config)


def _built_problems(config: dict[str, Any]) -> list[str]:
    """Config values against artifacts already built (lsrepro.translation.plan)."""
    return built_problems(config)


def _information_problems(config: dict[str, Any]) -> list[str]:
    section = config.get("information") or {}
    problems = []
    for name in section.get("experiments", []):
        if name not in config["experiments"]:
            problems.append(f"information.experiments: unknown experiment {name!r}")
            continue
        if name not in config["run"]:
            continue
        recipe = recipe_for(config, name)
        if len(recipe.get("snapshot_steps", [])) < 2:
            problems.append(
                f"information.experiments: {name!r} keeps fewer than 2 weight snapshots "
                f"(recipes.{config['experiments'][name]['recipe']}.snapshot_steps)"
            )
        dataset = dataset_for(config, name)
        classes = DATASET_FACTS[dataset].classes
        for label in section.get("classes", []):
            if label not in classes:
                problems.append(f"information.classes: {label!r} is not a {dataset} class")
        val_size = config["datasets"][dataset]["val_size"]
        counts = DATASET_FACTS[dataset].train_split_counts(val_size)
        for label in section.get("classes", []):
            if label in counts and section["per_class"] > counts[label]:
                problems.append(
                    f"information.per_class: {section['per_class']} exceeds the "
                    f"{counts[label]} examples of class {label!r} in the {dataset} training "
                    f"split (datasets.{dataset}.val_size: {val_size})"
                )
    return problems
