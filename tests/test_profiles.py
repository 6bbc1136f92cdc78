"""What the SLURM profile asks of the cluster, read from a dry run of the paper DAG (no cluster)."""

import re
from collections import defaultdict

import pytest

from workflow_runs import fresh_copy, snakemake

# Minutes the paper-scale recipes need at common.smk's GPU_SECONDS_PER_STEP, before the margin.
PAPER_GPU_MINUTES = {
    "cifar10_resnet56": 64000 * 0.08 / 60,
    "cifar100_resnet56": 64000 * 0.08 / 60,
    "cifar10_alexnet": 390000 * 0.015 / 60,
    "mnist_fc_dropout": 50000 * 0.005 * 100 / 128 / 60,
    "mnist_fc_ls": 50000 * 0.005 * 100 / 128 / 60,
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
    assert len(jobs["train"]) == len(jobs["evaluate"]) == 105
    for rule in ("train", "evaluate"):
        for job in jobs[rule]:
            assert job["gpu"] == "1" and job["slurm_partition"] == "<gpu-partition>"
            assert int(job["mem_mb"]) >= 8000
    for job in jobs["train"]:
        experiment = re.search(r"experiment=(\w+)", job["wildcards"]).group(1)
        need = PAPER_GPU_MINUTES[experiment]
        assert 2 * need <= int(job["runtime"]) <= 2 * need + 12, job  # margin x2 + overhead
    cpu_rules = set(jobs) - {"train", "evaluate"}
    assert {"split_data", "fit_temperature"} <= cpu_rules
    for rule in cpu_rules:
        for job in jobs[rule]:
            assert "gpu" not in job and job["slurm_partition"] == "<cpu-partition>", (rule, job)
