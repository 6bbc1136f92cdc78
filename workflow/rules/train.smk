# Train one model per (experiment, alpha, seed) with label smoothing alpha; resumes from its
# checkpoint when a previous attempt was killed or preempted.
rule train:
    input:
        prepared=get_prepared,
        split=get_split,
    output:
        model=f"results/train/{RUN_DIR}/model.pt",
        history=f"results/train/{RUN_DIR}/history.csv",
        snapshots=directory(f"results/train/{RUN_DIR}/snapshots"),
    log:
        f"results/logs/train/{RUN_DIR}.log",
    benchmark:
        f"results/benchmarks/train/{RUN_DIR}.tsv"
    conda:
        "../../envs/lsrepro.yaml"
    threads: train_threads
    resources:
        gpu=train_gpus,
        attempt=attempt_number,
        runtime=train_runtime,
        mem_mb=train_mem_mb,
    params:
        recipe=get_recipe,
        dataset=get_dataset,
        objective=get_label_smoothing,
        run=get_run_key,
    script:
        "../scripts/train.py"
