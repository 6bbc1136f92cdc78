# The teacher's logits on every training-split image and its mirror image, computed once per
# teacher run; a student step looks up its images' rows (distillation.teacher_outputs: cached).
rule cache_teacher_outputs:
    input:
        model=get_model,
        prepared=get_prepared,
        split=get_split,
    output:
        logits="results/teacher_outputs/{run}/logits.npz",
    log:
        "results/logs/cache_teacher_outputs/{run}.log",
    benchmark:
        "results/benchmarks/cache_teacher_outputs/{run}.tsv"
    conda:
        "../../envs/lsrepro.yaml"
    threads: 2
    resources:
        gpu=1,
        attempt=attempt_number,
        runtime=evaluate_runtime,
        mem_mb=8000,
    script:
        "../scripts/cache_teacher_outputs.py"


# Train one student towards a teacher's outputs (paper §4): the student experiment's recipe
# unchanged, only the targets differ. Resumable and preemptible like rule train.
rule distill:
    input:
        unpack(get_teacher_inputs),
        prepared=get_prepared,
        split=get_split,
    output:
        model="results/distill/{run}/model.pt",
        history="results/distill/{run}/history.csv",
        snapshots=directory("results/distill/{run}/snapshots"),
    log:
        "results/logs/distill/{run}.log",
    benchmark:
        "results/benchmarks/distill/{run}.tsv"
    conda:
        "../../envs/lsrepro.yaml"
    threads: 4
    resources:
        gpu=1,
        attempt=attempt_number,
        runtime=train_runtime,
        mem_mb=8000,
    params:
        recipe=get_recipe,
        dataset=get_dataset,
        objective=get_distillation_objective,
        run=get_run_key,
        teacher=get_teacher_mode,
    script:
        "../scripts/train.py"


# Fig. 5 table: teacher, student alone, and distilled students with their smoothness index.
rule tabulate_fig5:
    input:
        unpack(get_fig5_inputs),
    output:
        per_seed=report(
            "results/tables/fig5_distillation.csv",
            caption="../report/distillation.rst",
            category="Distillation, Fig. 5",
            subcategory="CIFAR-10 ResNet-56 -> AlexNet",
            labels={
                "table": "Fig. 5 per seed",
                "content": "accuracy, gamma, agreement",
            },
        ),
        summary=report(
            "results/tables/fig5_summary.csv",
            caption="../report/distillation.rst",
            category="Distillation, Fig. 5",
            subcategory="CIFAR-10 ResNet-56 -> AlexNet",
            labels={
                "table": "Fig. 5 summary",
                "content": "min/mean/max, 95 % interval",
            },
        ),
    log:
        "results/logs/tabulate_fig5.log",
    conda:
        "../../envs/lsrepro.yaml"
    params:
        records=get_fig5_records,
        student_flip=get_fig5_student_flip,
        confidence=config["calibration"]["confidence"],
    script:
        "../scripts/tabulate_fig5.py"


# Fig. 5: accuracy against the smoothness index gamma, min-mean-max over seeds.
rule plot_distillation:
    input:
        summary=rules.tabulate_fig5.output.summary,
    output:
        pdf="results/figures/distillation/fig5.pdf",
        png=report(
            "results/figures/distillation/fig5.png",
            caption="../report/distillation.rst",
            category="Distillation, Fig. 5",
            subcategory="CIFAR-10 ResNet-56 -> AlexNet",
            labels={"figure": "Fig. 5", "content": "accuracy vs gamma"},
        ),
    log:
        "results/logs/plot_distillation.log",
    conda:
        "../../envs/lsrepro.yaml"
    script:
        "../scripts/plot_distillation.py"


# The MNIST toy table (paper A.5): teachers A (dropout) and B (LS) and their students.
rule tabulate_mnist_toy:
    input:
        get_mnist_toy_inputs,
    output:
        per_seed="results/tables/mnist_toy_per_seed.csv",
        summary=report(
            "results/tables/mnist_toy.csv",
            caption="../report/mnist_toy.rst",
            category="Distillation, Fig. 5",
            subcategory="MNIST toy (A.5)",
            labels={"table": "MNIST toy", "content": "test error, paper vs ours"},
        ),
    log:
        "results/logs/tabulate_mnist_toy.log",
    conda:
        "../../envs/lsrepro.yaml"
    params:
        records=get_mnist_toy_records,
        confidence=config["calibration"]["confidence"],
    script:
        "../scripts/tabulate_mnist_toy.py"
