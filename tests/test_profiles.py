"""What the SLURM profile asks of the cluster, read from a dry run of the paper DAG (no cluster)."""

import re
from collections import defaultdict

import pytest

from workflow_runs import fresh_copy, snakemake

# Minutes the paper-scale training recipes need at the registry's GPU seconds per step (batch
# 128 ResNet-56 0.08 s, AlexNet 0.015 s, MLP 0.005 s x batch/128), before the margin.
RESNET56, ALEXNET, MLP = 64000 * 0.08 / 60, 390000 * 0.015 / 60, 50000 * 0.005 * 100 / 128 / 60
PAPER_GPU_MINUTES = {
    "cifar10_resnet56": RESNET56,
    "cifar100_resnet56": RESNET56,
    "cifar10_alexnet": ALEXNET,
    "cifar10_alexnet_kd": ALEXNET,  # students: the student experiment's recipe
    "mnist_fc_dropout": MLP,
    "mnist_fc_ls": MLP,
    "mnist_fc_student": MLP,
    "mnist_student_of_dropout_teacher": MLP,
    "mnist_student_of_ls_teacher": MLP,
}
# Every rule that runs a network (asks for gpu=1 and must land on the GPU partition).
GPU_RULES = {
    "train",
    "evaluate",
    "cache_teacher_outputs",
    "distill",
    "estimate_information",
    "train_translation",
    "evaluate_tokens",
    "decode_beam",
    "decode_beams",
    "project_translation",
}


def job_resources(output: str) -> dict[str, list[dict[str, str]]]:
    """Per rule, the resources of each job a dry run prints (rule name -> [resources])."""
    jobs = defaultdict(list)
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", output):
        rule = re.match(r"(?:local)?rule (\w+):", block)
        res = re.search(r"^\s+resources: (.*)$", block, re.M)
        wildcards = re.search(r"^\s+wildcards: (.*)$", block, re.M)
        if rule and res:
            fields = dict(kv.split("=", 1) for kv in res.group(1).split(", "))
            fields["wildcards"] = wildcards.group(1) if wildcards else ""
            jobs[rule.group(1)].append(fields)
    return jobs


@pytest.mark.slow
def test_slurm_profile_gives_gpu_jobs_a_gpu_and_paper_scale_time(tmp_path):
    pytest.importorskip("snakemake_executor_plugin_slurm", reason="pip install -e '.[slurm]'")
    wd = fresh_copy(tmp_path)
    proc = snakemake("-n", "--workflow-profile", "profiles/slurm", cwd=wd)
    jobs = job_resources(proc.stdout + proc.stderr)
    # config.yaml: 2 x 8 x 5 CIFAR-10 + 3 x 5 CIFAR-100 + 3 x 5 MNIST runs trained directly;
    # 15 x 5 Fig. 5 students (alpha = 0 teacher at 7 T, LS teachers at T = 1, the alpha = 0.1
    # teacher also at T = 2 and 4 for C12f/g) + 2 x 5 MNIST students; every one is evaluated.
    assert len(jobs["train"]) == 80 + 15 + 15
    assert len(jobs["distill"]) == 75 + 10
    assert len(jobs["evaluate"]) == 110 + 85
    assert set(jobs) & GPU_RULES == GPU_RULES  # the paper DAG runs every GPU rule
    for rule, rule_jobs in jobs.items():
        for job in rule_jobs:
            if rule in GPU_RULES:
                assert job["gpu"] == "1" and job["slurm_partition"] == "<gpu-partition>", job
                assert int(job["mem_mb"]) >= 8000
            else:
                assert "gpu" not in job and job["slurm_partition"] == "<cpu-partition>", (rule, job)
    for job in jobs["train"] + jobs["distill"]:
        experiment = re.search(r"run=(\w+)/", job["wildcards"]).group(1)
        need = PAPER_GPU_MINUTES[experiment]
        assert 2 * need <= int(job["runtime"]) <= 2 * need + 12, job  # margin x2 + overhead
    assert {"split_data", "fit_temperature", "calibration_metrics"} <= set(jobs) - GPU_RULES
