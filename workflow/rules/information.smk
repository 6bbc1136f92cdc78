# The N training examples of the mutual-information estimate (paper A.2: 300 "airplane" and 300
# "dog"), drawn once from a seed: the same examples for every model.
rule select_information_examples:
    input:
        prepared=rules.prepare_data.output.prepared,
        split=rules.split_data.output.split,
    output:
        examples="results/information/{dataset}/examples.npz",
    log:
        "results/logs/select_information_examples/{dataset}.log",
    conda:
        "../../envs/lsrepro.yaml"
    params:
        classes=config["information"]["classes"],
        per_class=config["information"]["per_class"],
        seed=config["information"]["example_seed"],
    script:
        "../scripts/select_information_examples.py"


# Fig. 6 curve of one run: the estimated MI at each weight snapshot of its training.
rule estimate_information:
    input:
        snapshots=get_snapshots,
        prepared=get_prepared,
        examples=get_information_examples,
    output:
        curve="results/information/{run}/mi.csv",
    log:
        "results/logs/estimate_information/{run}.log",
    benchmark:
        "results/benchmarks/estimate_information/{run}.tsv"
    conda:
        "../../envs/lsrepro.yaml"
    threads: 2
    resources:
        gpu=1,
        attempt=attempt_number,
        runtime=evaluate_runtime,
        mem_mb=8000,
    params:
        draws=config["information"]["draws"],
        reference_draws=config["information"]["reference_draws"],
        reference_at=config["information"]["reference_at"],
        seed=config["information"]["seed"],
    script:
        "../scripts/estimate_information.py"


# Every run's curve, and mean / min / max / t-interval over seeds per (experiment, alpha, step).
rule tabulate_information:
    input:
        curves=expand_runs("results/information/{run}/mi.csv", INFORMATION_RUNS),
    output:
        per_seed="results/tables/information_per_seed.csv",
        summary=report(
            "results/tables/information_summary.csv",
            caption="../report/information.rst",
            category="Information, Fig. 6",
            subcategory="tables",
            labels={
                "table": "MI summary",
                "content": "per alpha and step, over seeds",
            },
        ),
    log:
        "results/logs/tabulate_information.log",
    conda:
        "../../envs/lsrepro.yaml"
    params:
        runs=get_information_run_info,
        confidence=config["calibration"]["confidence"],
    script:
        "../scripts/tabulate_information.py"


# Fig. 6: MI against training step per alpha, band over seeds, log 2 and log N marked.
rule plot_information:
    input:
        summary=rules.tabulate_information.output.summary,
    output:
        pdf="results/figures/information/{experiment}.pdf",
        png=report(
            "results/figures/information/{experiment}.png",
            caption="../report/information.rst",
            category="Information, Fig. 6",
            subcategory="{experiment}",
            labels={"figure": "Fig. 6", "experiment": "{experiment}"},
        ),
    log:
        "results/logs/plot_information/{experiment}.log",
    conda:
        "../../envs/lsrepro.yaml"
    script:
        "../scripts/plot_information.py"


# C13, second half: each teacher's final MI against its students' accuracy (rank correlation).
rule relate_information_to_distillation:
    input:
        summary=rules.tabulate_information.output.summary,
        fig5="results/tables/fig5_distillation.csv",
    output:
        table=report(
            "results/tables/information_vs_distillation.csv",
            caption="../report/information.rst",
            category="Information, Fig. 6",
            subcategory="tables",
            labels={"table": "MI vs distillation", "content": "Spearman, C13"},
        ),
        pdf="results/figures/information/vs_distillation.pdf",
        png=report(
            "results/figures/information/vs_distillation.png",
            caption="../report/information.rst",
            category="Information, Fig. 6",
            subcategory="tables",
            labels={
                "figure": "MI vs distillation",
                "experiment": "teachers of Fig. 5",
            },
        ),
    log:
        "results/logs/relate_information_to_distillation.log",
    conda:
        "../../envs/lsrepro.yaml"
    params:
        experiment=get_fig5_teacher,
        confidence=config["calibration"]["confidence"],
    script:
        "../scripts/relate_information_to_distillation.py"
