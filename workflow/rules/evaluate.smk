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
    conda:
        "../../envs/lsrepro.yaml"
    threads: 2
    resources:
        gpu=1,
        attempt=attempt_number,
        runtime=evaluate_runtime,
        mem_mb=8000,
    params:
        evaluate=config["evaluate"],
    script:
        "../scripts/evaluate.py"
