# Logits and penultimate features of a trained model on val, test and a fixed training sample.
rule evaluate:
    input:
        model=get_model,
        prepared=get_prepared,
        split=get_split,
    output:
        train=f"results/evaluate/{RUN_DIR}/train.npz",
        val=f"results/evaluate/{RUN_DIR}/val.npz",
        test=f"results/evaluate/{RUN_DIR}/test.npz",
    log:
        f"results/logs/evaluate/{RUN_DIR}.log",
    benchmark:
        f"results/benchmarks/evaluate/{RUN_DIR}.tsv"
    conda:
        "../../envs/lsrepro.yaml"
    threads: evaluate_threads
    resources:
        gpu=1,
        attempt=attempt_number,
        runtime=evaluate_runtime,
        mem_mb=evaluate_mem_mb,
    params:
        evaluate=get_evaluate_params,
    script:
        "../scripts/evaluate.py"
