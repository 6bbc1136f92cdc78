"""Malformed configs of the newer sections (distillation, information, translation): each is
rejected by ``validate_config`` -- before Snakemake schedules any job -- with a message that names
the offending key. One case per mistake a user can make: wrong types, out-of-range T / beta /
alpha, unknown teachers, students, corpora or splits, empty grids, duplicates, duplicate YAML keys.
"""

import copy
import re
from pathlib import Path

import pytest
import yaml

from lsrepro.config import ConfigError, validate_config

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
KD = "distillation.students.cifar10_alexnet_kd"
TOY = "distillation.students.mnist_student_of_ls_teacher"
TR_RECIPE = "translation.recipes.multi30k_transformer"
TR_EXP = "translation.experiments.multi30k_transformer"


@pytest.fixture(scope="module")
def paper() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text())


def _walk(config: dict, path: str):
    """(container, last key) of a dotted path; ``a.b[0].c`` indexes lists."""
    parts = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path)]
    node = config
    for p in parts[:-1]:
        node = node[p]
    return node, parts[-1]


def put(path: str, value):
    def edit(config):
        node, last = _walk(config, path)
        node[last] = value

    return edit


def drop(path: str):
    def edit(config):
        node, last = _walk(config, path)
        del node[last]

    return edit


def both(*edits):
    def edit(config):
        for e in edits:
            e(config)

    return edit


# case -> (edit, text the message must contain: the key path, and what is wrong)
BAD = {
    # --- distillation -----------------------------------------------------------------------
    "kd_teacher_outputs_unknown_mode": (
        put("distillation.teacher_outputs", "sometimes"),
        "distillation.teacher_outputs: 'sometimes' is not one of",
    ),
    "kd_teacher_outputs_not_a_string": (
        put("distillation.teacher_outputs", 1),
        "distillation.teacher_outputs: 1 is not",
    ),
    "kd_unknown_teacher": (put(f"{KD}.teacher", "cifar10_vgg"), f"{KD}.teacher: "),
    "kd_unknown_student": (put(f"{KD}.student", "cifar10_vgg"), f"{KD}.student: "),
    "kd_teacher_not_run": (
        put(f"{KD}.teacher", "mnist_fc_dropout_input"),
        f"{KD}.teacher: experiment 'mnist_fc_dropout_input' is not in run",
    ),
    "kd_teacher_of_another_dataset": (
        put(f"{KD}.teacher", "cifar100_resnet56"),
        f"{KD}: teacher 'cifar100_resnet56' (cifar100) and student",
    ),
    "kd_teacher_is_a_translation_experiment": (
        put(f"{KD}.teacher", "multi30k_transformer"),
        f"{KD}.teacher: ",
    ),
    "kd_teacher_not_a_string": (put(f"{KD}.teacher", ["cifar10_resnet56"]), f"{KD}.teacher: "),
    "kd_missing_teacher": (drop(f"{KD}.teacher"), f"{KD}: 'teacher' is a required property"),
    "kd_unknown_key_in_student_set": (
        put(f"{KD}.temperature", 4.0),
        f"{KD}: Additional properties are not allowed ('temperature'",
    ),
    "kd_unknown_objective": (
        put(f"{KD}.objective.name", "kl_divergence"),
        f"{KD}.objective.name: 'kl_divergence' is not one of",
    ),
    "kd_beta_above_one": (put(f"{KD}.objective.beta", 1.5), f"{KD}.objective.beta: 1.5 is greater"),
    "kd_beta_negative": (put(f"{KD}.objective.beta", -0.1), f"{KD}.objective.beta: -0.1 is less"),
    "kd_beta_a_string": (
        put(f"{KD}.objective.beta", "high"),
        f"{KD}.objective.beta: 'high' is not",
    ),
    "kd_beta_missing": (drop(f"{KD}.objective.beta"), f"{KD}.objective: 'beta' is a required"),
    "kd_student_temperature_zero": (
        put(f"{KD}.objective.student_temperature", 0.0),
        f"{KD}.objective.student_temperature: 0.0 is less than or equal to the minimum",
    ),
    "kd_student_temperature_negative": (
        put(f"{KD}.objective.student_temperature", -1.0),
        f"{KD}.objective.student_temperature: -1.0 is less than or equal",
    ),
    "kd_empty_grid": (put(f"{KD}.grid", []), f"{KD}.grid: [] should be non-empty"),
    "kd_grid_not_a_list": (
        put(f"{KD}.grid", {"teacher_alphas": [0.0], "temperatures": [1.0]}),
        f"{KD}.grid: ",
    ),
    "kd_empty_temperatures": (
        put(f"{KD}.grid[0].temperatures", []),
        f"{KD}.grid[0].temperatures: [] should be non-empty",
    ),
    "kd_empty_teacher_alphas": (
        put(f"{KD}.grid[1].teacher_alphas", []),
        f"{KD}.grid[1].teacher_alphas: [] should be non-empty",
    ),
    "kd_temperature_zero": (
        put(f"{KD}.grid[0].temperatures[0]", 0.0),
        f"{KD}.grid[0].temperatures[0]: 0.0 is less than or equal to the minimum",
    ),
    "kd_temperature_negative": (
        put(f"{KD}.grid[0].temperatures[2]", -4.0),
        f"{KD}.grid[0].temperatures[2]: -4.0 is less than or equal",
    ),
    "kd_temperature_a_string": (
        put(f"{KD}.grid[0].temperatures[1]", "2"),
        f"{KD}.grid[0].temperatures[1]: '2' is not of type 'number'",
    ),
    "kd_duplicate_temperature": (
        put(f"{KD}.grid[0].temperatures", [1.0, 2.0, 2.0]),
        f"{KD}.grid[0].temperatures: duplicate values",
    ),
    "kd_same_cell_twice_across_the_grid": (
        put(f"{KD}.grid[1].teacher_alphas", [0.0, 0.15]),
        f"{KD}.grid: teacher alpha 0.0 at T = 1.0 is given twice",
    ),
    "kd_teacher_alpha_one": (
        put(f"{KD}.grid[1].teacher_alphas[0]", 1.0),
        f"{KD}.grid[1].teacher_alphas[0]: 1.0 is greater than or equal to the maximum",
    ),
    "kd_teacher_alpha_not_trained": (
        put(f"{KD}.grid[1].teacher_alphas[0]", 0.2),
        f"{KD}.grid[1].teacher_alphas: 0.2 is not in experiments.cifar10_resnet56.alphas",
    ),
    "kd_empty_seeds": (put(f"{KD}.seeds", []), f"{KD}.seeds: [] should be non-empty"),
    "kd_duplicate_seeds": (put(f"{KD}.seeds", [0, 0]), f"{KD}.seeds: [0, 0] has non-unique"),
    "kd_float_seed": (put(f"{KD}.seeds", [0, 1.0]), f"{KD}.seeds[1]: 1.0 is not of type 'integer'"),
    "kd_teacher_seed_not_trained": (
        put(f"{KD}.teacher_seed", 7),
        f"{KD}.teacher_seed: teacher seed(s) [7] are not seeds of 'cifar10_resnet56'",
    ),
    "kd_student_seeds_without_teachers": (
        put(f"{KD}.seeds", [0, 9]),
        f"{KD}.seeds: teacher seed(s) [9] are not seeds of 'cifar10_resnet56'",
    ),
    "kd_teacher_seed_negative": (put(f"{KD}.teacher_seed", -1), f"{KD}.teacher_seed: -1 is less"),
    "kd_logit_matching_with_a_temperature": (
        put(f"{TOY}.grid[0].temperatures", [4.0]),
        f"{TOY}.grid: logit matching has no temperature",
    ),
    "kd_run_unknown_student_set": (
        put("distillation.run", ["cifar10_alexnet_kd", "cifar10_kd"]),
        "distillation.run: unknown student set 'cifar10_kd'",
    ),
    "kd_run_duplicate": (
        put("distillation.run", ["cifar10_alexnet_kd", "cifar10_alexnet_kd"]),
        "distillation.run: ['cifar10_alexnet_kd', 'cifar10_alexnet_kd'] has non-unique",
    ),
    "kd_run_a_string": (
        put("distillation.run", "cifar10_alexnet_kd"),
        "distillation.run: 'cifar10_alexnet_kd' is not of type 'array'",
    ),
    "kd_fig5_unknown_student_set": (
        put("distillation.fig5.students", "cifar10_kd"),
        "distillation.fig5.students: unknown 'cifar10_kd'",
    ),
    "kd_fig5_student_set_not_run": (
        put(
            "distillation.run", ["mnist_student_of_dropout_teacher", "mnist_student_of_ls_teacher"]
        ),
        "distillation.fig5.students: student set 'cifar10_alexnet_kd' is not in distillation.run",
    ),
    "kd_mnist_toy_unknown_teacher": (
        put("distillation.mnist_toy.teacher_A", "mnist_fc_dropout_typo"),
        "distillation.mnist_toy.teacher_A: unknown 'mnist_fc_dropout_typo'",
    ),
    "kd_mnist_toy_student_is_an_experiment": (
        put("distillation.mnist_toy.student_B", "mnist_fc_student"),
        "distillation.mnist_toy.student_B: unknown 'mnist_fc_student'",
    ),
    "kd_mnist_toy_missing_role": (
        drop("distillation.mnist_toy.student_alone"),
        "distillation.mnist_toy: 'student_alone' is a required property",
    ),
    # --- information -----------------------------------------------------------------------
    "mi_unknown_experiment": (
        put("information.experiments", ["cifar10_resnet110"]),
        "information.experiments: unknown experiment 'cifar10_resnet110'",
    ),
    "mi_experiments_a_string": (
        put("information.experiments", "cifar10_resnet56"),
        "information.experiments: 'cifar10_resnet56' is not of type 'array'",
    ),
    "mi_duplicate_experiment": (
        put("information.experiments", ["cifar10_resnet56", "cifar10_resnet56"]),
        "information.experiments: ['cifar10_resnet56', 'cifar10_resnet56'] has non-unique",
    ),
    "mi_student_set_as_experiment": (
        put("information.experiments", ["cifar10_alexnet_kd"]),
        "information.experiments: unknown experiment 'cifar10_alexnet_kd'",
    ),
    "mi_experiment_without_snapshots": (
        put("information.experiments", ["cifar10_alexnet"]),
        "information.experiments: 'cifar10_alexnet' keeps fewer than 2 weight snapshots",
    ),
    "mi_one_class": (
        put("information.classes", ["dog"]),
        "information.classes: ['dog'] is too short",
    ),
    "mi_three_classes": (
        put("information.classes", ["dog", "cat", "ship"]),
        "information.classes: ['dog', 'cat', 'ship'] is too long",
    ),
    "mi_same_class_twice": (
        put("information.classes", ["dog", "dog"]),
        "information.classes: ['dog', 'dog'] has non-unique",
    ),
    "mi_class_not_in_dataset": (
        put("information.classes", ["airplane", "otter"]),
        "information.classes: 'otter' is not a cifar10 class",
    ),
    "mi_per_class_one": (put("information.per_class", 1), "information.per_class: 1 is less"),
    "mi_per_class_float": (
        put("information.per_class", 300.0),
        "information.per_class: 300.0 is not of type 'integer'",
    ),
    "mi_per_class_above_the_split": (
        put("information.per_class", 4001),
        "information.per_class: 4001 exceeds",
    ),
    "mi_draws_one": (put("information.draws", 1), "information.draws: 1 is less than the minimum"),
    "mi_reference_draws_zero": (
        put("information.reference_draws", 0),
        "information.reference_draws: 0 is less than the minimum",
    ),
    "mi_unknown_reference_point": (
        put("information.reference_at", ["first", "middle"]),
        "information.reference_at[1]: 'middle' is not one of",
    ),
    "mi_negative_seed": (put("information.seed", -1), "information.seed: -1 is less"),
    "mi_example_seed_a_string": (
        put("information.example_seed", "zero"),
        "information.example_seed: 'zero' is not of type 'integer'",
    ),
    "mi_unknown_key": (
        put("information.bins", 30),
        "information: Additional properties are not allowed ('bins'",
    ),
    "mi_missing_key": (drop("information.draws"), "information: 'draws' is a required property"),
    # --- translation -----------------------------------------------------------------------
    "tr_corpus_name_with_a_space": (
        put("translation.corpus.name", "multi 30k"),
        "translation.corpus.name: 'multi 30k' does not match",
    ),
    "tr_unknown_corpus_without_files": (
        put("translation.corpus.name", "wmt14"),
        "translation.corpus.files: corpus 'wmt14' is not multi30k, so its files must be given",
    ),
    "tr_multi30k_language_it_lacks": (
        put("translation.corpus.tgt", "cs"),
        "translation.corpus.tgt: Multi30k task 1 has en and de only",
    ),
    "tr_same_language_twice": (
        put("translation.corpus.tgt", "en"),
        "translation.corpus: src and tgt are the same language",
    ),
    "tr_files_without_val": (
        both(
            put("translation.corpus.name", "mine"),
            put(
                "translation.corpus.files",
                {s: {"src": f"{s}.en", "tgt": f"{s}.de"} for s in ("train", "test_2016_flickr")},
            ),
        ),
        "translation.corpus.files: no split 'val'",
    ),
    "tr_files_side_missing": (
        both(
            put("translation.corpus.name", "mine"),
            put(
                "translation.corpus.files",
                {s: {"src": f"{s}.en"} for s in ("train", "val", "test_2016_flickr")},
            ),
        ),
        "translation.corpus.files.train: 'tgt' is a required property",
    ),
    "tr_empty_test_splits": (
        put("translation.test_splits", []),
        "translation.test_splits: [] should be non-empty",
    ),
    "tr_unknown_test_split": (
        put("translation.test_splits", ["test_2019_flickr"]),
        "translation.test_splits: 'test_2019_flickr' is not a Multi30k test split",
    ),
    "tr_duplicate_test_split": (
        put("translation.test_splits", ["test_2016_flickr", "test_2016_flickr"]),
        "translation.test_splits: duplicate names",
    ),
    "tr_beam_grid_size_zero": (
        put("translation.beams", [0, 4]),
        "translation.beams[0]: 0 is less than the minimum of 1",
    ),
    "tr_beam_grid_not_an_integer": (
        put("translation.beams", [1, 4.5]),
        "translation.beams[1]: 4.5 is not of type 'integer'",
    ),
    "tr_beam_grid_empty": (
        put("translation.beams", []),
        "translation.beams: [] should be non-empty",
    ),
    "tr_beam_grid_duplicates": (
        put("translation.beams", [1, 4, 4]),
        "translation.beams: duplicate beam sizes [4] in [1, 4, 4]",
    ),
    "tr_vocab_too_small": (put("translation.vocab.size", 4), "translation.vocab.size: 4 is less"),
    "tr_vocab_below_the_alphabet": (
        put("translation.vocab.size", 100),
        "translation.vocab.size: 100 is below",
    ),
    "tr_vocab_size_a_string": (
        put("translation.vocab.size", "8k"),
        "translation.vocab.size: '8k' is not of type 'integer'",
    ),
    "tr_unknown_vocab_model": (
        put("translation.vocab.model_type", "word"),
        "translation.vocab.model_type: 'word' is not one of",
    ),
    "tr_max_tokens_one": (put(f"{TR_RECIPE}.max_tokens", 1), f"{TR_RECIPE}.max_tokens: 1 is less"),
    "tr_zero_steps": (put(f"{TR_RECIPE}.steps", 0), f"{TR_RECIPE}.steps: 0 is less"),
    "tr_zero_lr": (put(f"{TR_RECIPE}.optimizer.lr", 0.0), f"{TR_RECIPE}.optimizer.lr: 0.0 is less"),
    "tr_one_beta": (
        put(f"{TR_RECIPE}.optimizer.betas", [0.9]),
        f"{TR_RECIPE}.optimizer.betas: [0.9] is too short",
    ),
    "tr_beta_of_one": (
        put(f"{TR_RECIPE}.optimizer.betas", [0.9, 1.0]),
        f"{TR_RECIPE}.optimizer.betas[1]: 1.0 is greater than or equal",
    ),
    "tr_rsqrt_without_warmup": (
        drop(f"{TR_RECIPE}.lr_schedule.warmup_steps"),
        f"{TR_RECIPE}.lr_schedule: rsqrt needs warmup_steps",
    ),
    "tr_unknown_schedule": (
        put(f"{TR_RECIPE}.lr_schedule.name", "cosine"),
        f"{TR_RECIPE}.lr_schedule.name: 'cosine' is not one of",
    ),
    "tr_image_model": (
        put(f"{TR_RECIPE}.model", {"name": "resnet", "depth": 20}),
        f"{TR_RECIPE}.model.name: the translation stage trains a transformer",
    ),
    "tr_model_argument_it_does_not_take": (
        put(f"{TR_RECIPE}.model.depth", 6),
        f"{TR_RECIPE}.model.depth: model 'transformer' takes no argument 'depth'",
    ),
    "tr_heads_do_not_divide_width": (
        put(f"{TR_RECIPE}.model.heads", 3),
        f"{TR_RECIPE}.model.",
    ),
    "tr_unknown_precision": (
        put(f"{TR_RECIPE}.precision", "fp16"),
        f"{TR_RECIPE}.precision: 'fp16' is not one of",
    ),
    "tr_snapshot_after_the_end": (
        put(f"{TR_RECIPE}.snapshot_steps", [20000]),
        f"{TR_RECIPE}.snapshot_steps: 20000 > steps (12000)",
    ),
    "tr_experiment_unknown_recipe": (
        put(f"{TR_EXP}.recipe", "transformer_big"),
        f"{TR_EXP}.recipe: no recipe 'transformer_big'",
    ),
    "tr_alpha_one": (put(f"{TR_EXP}.alphas", [0.0, 1.0]), f"{TR_EXP}.alphas[1]: 1.0 is greater"),
    "tr_duplicate_alphas": (
        put(f"{TR_EXP}.alphas", [0.0, 0.1, 0.1]),
        f"{TR_EXP}.alphas: duplicate values",
    ),
    "tr_empty_seeds": (put(f"{TR_EXP}.seeds", []), f"{TR_EXP}.seeds: [] should be non-empty"),
    "tr_run_unknown_experiment": (
        put("translation.run", ["wmt_transformer_base"]),
        "translation.run: unknown experiment 'wmt_transformer_base'",
    ),
    "tr_run_duplicate": (
        put("translation.run", ["multi30k_transformer", "multi30k_transformer"]),
        "translation.run: ['multi30k_transformer', 'multi30k_transformer'] has non-unique",
    ),
    "tr_beam_size_zero": (put("translation.beam.size", 0), "translation.beam.size: 0 is less"),
    "tr_negative_length_penalty": (
        put("translation.beam.length_penalty", -0.6),
        "translation.beam.length_penalty: -0.6 is less",
    ),
    "tr_temperatures_without_one": (
        put("translation.temperatures", [0.5, 2.0]),
        "translation.temperatures: the grid must contain 1.0",
    ),
    "tr_temperature_zero": (
        put("translation.temperatures", [0.0, 1.0]),
        "translation.temperatures[0]: 0.0 is less than or equal to the minimum",
    ),
    "tr_empty_temperatures": (
        put("translation.temperatures", []),
        "translation.temperatures: [] should be non-empty",
    ),
    "tr_duplicate_temperatures": (
        put("translation.temperatures", [1.0, 1.0]),
        "translation.temperatures: duplicate values",
    ),
    "tr_max_sentences_zero": (
        put("translation.max_sentences", 0),
        "translation.max_sentences: 0 is less",
    ),
    "tr_tokens_with_eos_a_string": (
        put("translation.tokens_with_eos", "yes"),
        "translation.tokens_with_eos: 'yes' is not of type 'boolean'",
    ),
    "tr_model_seed_not_trained": (
        put("translation.model_seed", 5),
        "translation.model_seed: 5 is not a seed of translation experiment 'multi30k_transformer'",
    ),
    "tr_projection_alpha_not_trained": (
        put("translation.projection.alpha", 0.2),
        "translation.projection.alpha: 0.2 is not among the alphas of translation experiment",
    ),
    "tr_projection_two_tokens": (
        put("translation.projection.tokens", ["▁Mann", "▁Frau"]),
        "translation.projection.tokens: ['▁Mann', '▁Frau'] is too short",
    ),
    "tr_projection_per_class_zero": (
        put("translation.projection.per_class", 0),
        "translation.projection.per_class: 0 is less",
    ),
    "tr_unknown_key": (
        put("translation.label_smoothing", 0.1),
        "translation: Additional properties are not allowed ('label_smoothing'",
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_malformed_config_is_rejected_naming_the_key(paper, case):
    edit, message = BAD[case]
    config = copy.deepcopy(paper)
    edit(config)
    with pytest.raises(ConfigError) as error:
        validate_config(config, SCHEMA)
    assert message in str(error.value), str(error.value)


# Duplicate keys: YAML keeps the last value silently; the strict re-read names file and line.
DUPLICATES = {
    "distillation_beta": (
        "distillation:\n  students:\n    cifar10_alexnet_kd:\n"
        "      objective: {name: soft_targets, beta: 1.0, beta: 0.5}\n",
        "duplicate key 'beta'",
    ),
    "information_per_class": (
        "information:\n  per_class: 300\n  draws: 5\n  per_class: 30\n",
        "bad.yaml:4: duplicate key 'per_class'",
    ),
    "translation_section": (
        "translation:\n  model_seed: 0\ntranslation:\n  model_seed: 1\n",
        "bad.yaml:3: duplicate key 'translation'",
    ),
    "translation_temperatures": (
        "translation:\n  temperatures: [1.0]\n  beam: {size: 4}\n  temperatures: [0.5, 1.0]\n",
        "bad.yaml:4: duplicate key 'temperatures'",
    ),
}


@pytest.mark.parametrize("case", DUPLICATES)
def test_duplicate_key_is_rejected_naming_file_and_line(paper, tmp_path, case):
    text, message = DUPLICATES[case]
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(ConfigError) as error:
        validate_config(copy.deepcopy(paper), SCHEMA, config_files=[ROOT / "config.yaml", bad])
    assert message in str(error.value), str(error.value)


def test_the_suite_is_large_enough():
    assert len(BAD) + len(DUPLICATES) >= 60


MIRROR = Path("/work/shared/data/multi30k")


@pytest.mark.skipif(not (MIRROR / "train.en.gz").is_file(), reason="no Multi30k mirror here")
def test_multi30k_minimum_vocabulary_is_what_sentencepiece_needs():
    """The bound behind ``tr_vocab_below_the_alphabet``: one piece less does not train."""
    import gzip

    from lsrepro.data.vocab import train_vocab
    from lsrepro.translation.plan import MULTI30K_MIN_VOCAB

    sentences = [
        line.rstrip("\n")
        for side in ("en", "de")
        for line in gzip.open(MIRROR / f"train.{side}.gz", "rt", encoding="utf-8")
    ]
    assert len(train_vocab(sentences, vocab_size=MULTI30K_MIN_VOCAB)) == MULTI30K_MIN_VOCAB
    with pytest.raises(RuntimeError, match="Vocabulary size is smaller than required_chars"):
        train_vocab(sentences, vocab_size=MULTI30K_MIN_VOCAB - 1)
