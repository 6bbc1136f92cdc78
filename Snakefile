# Reproduction of "When Does Label Smoothing Help?" (Mueller, Kornblith, Hinton; NeurIPS 2019).
# Table of contents: config + validation, one rule file per stage, and the targets.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/calibration.smk"
include: "workflow/rules/representation.smk"
include: "workflow/rules/distillation.smk"
include: "workflow/rules/information.smk"
include: "workflow/rules/translation.smk"
include: "workflow/rules/claims.smk"


# Everything the config asks for.
rule all:
    default_target: True
    input:
        all_targets(),
