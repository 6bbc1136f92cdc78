# Fetch (or copy from the mirror), verify checksums and save one dataset in canonical form.
# data_dir and mirror say where the files come from, not what they are (checksums fix that),
# so the script reads them from the config and they are deliberately not params: moving the
# mirror does not re-train anything.
rule prepare_data:
    output:
        prepared="results/data/{dataset}/prepared.npz",
    log:
        "results/logs/prepare_data/{dataset}.log",
    conda:
        "../../envs/lsrepro.yaml"
    script:
        "../scripts/prepare_data.py"


# Draw the paper's train/validation split of the official training set once, with its digest.
rule split_data:
    input:
        prepared=rules.prepare_data.output.prepared,
    output:
        split="results/data/{dataset}/split.npz",
    log:
        "results/logs/split_data/{dataset}.log",
    conda:
        "../../envs/lsrepro.yaml"
    params:
        split=get_split_params,
    script:
        "../scripts/split_data.py"
