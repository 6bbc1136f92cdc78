"""profiles/cpu (small CPU machines): every job on one thread, read from a dry run."""

import re

import yaml

from workflow_runs import ROOT, snakemake


def job_threads(output: str) -> dict[str, set[int]]:
    """Per rule, the threads of its jobs in a dry run's output (a job without a threads line has
    one thread)."""
    threads: dict[str, set[int]] = {}
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", output):
        rule = re.match(r"(?:local)?rule (\w+):", block)
        if rule:
            n = re.search(r"^\s+threads: (\d+)$", block, re.M)
            threads.setdefault(rule.group(1), set()).add(int(n.group(1)) if n else 1)
    return threads


def test_cpu_profile_runs_every_multithreaded_rule_on_one_thread():
    """A rule that asks for several threads and is missing from the profile fails here."""
    args = ("-n", "--cores", "8", "--configfile", "presets/quick.yaml")
    default = job_threads(snakemake(*args).stdout)
    multi = {rule for rule, n in default.items() if max(n) > 1}
    assert {"train", "distill", "evaluate", "decode_beams"} <= multi  # the dry run was read
    profile = yaml.safe_load((ROOT / "profiles/cpu/config.yaml").read_text())
    assert multi <= set(profile["set-threads"]), multi - set(profile["set-threads"])
    with_profile = job_threads(snakemake(*args, "--profile", "profiles/cpu").stdout)
    assert set(with_profile) == set(default)  # the same jobs
    assert all(n == {1} for n in with_profile.values()), with_profile
