# Fit one temperature per trained model on its validation split (NLL; optionally ECE).
rule fit_temperature:
    input:
        val=rules.evaluate.output.val,
    output:
        fit=f"results/calibration/{RUN_DIR}/temperature.json",
    log:
        f"results/logs/fit_temperature/{RUN_DIR}.log",
    conda:
        "../../envs/lsrepro.yaml"
    params:
        calibration=get_calibration_fit_params,
    script:
        "../scripts/fit_temperature.py"


# Every calibration metric with bootstrap intervals, on val and test, at T = 1 and fitted T.
rule calibration_metrics:
    input:
        val=rules.evaluate.output.val,
        test=rules.evaluate.output.test,
        fit=rules.fit_temperature.output.fit,
    output:
        metrics=f"results/calibration/{RUN_DIR}/metrics.csv",
        reliability=f"results/calibration/{RUN_DIR}/reliability.csv",
    log:
        f"results/logs/calibration_metrics/{RUN_DIR}.log",
    conda:
        "../../envs/lsrepro.yaml"
    params:
        metrics=get_calibration_metric_params,
        run=get_run_info,
    script:
        "../scripts/calibration_metrics.py"


# Tables 2 and 3 in the paper's layout, and every metric summarised over seeds.
rule tabulate_calibration:
    input:
        metrics=expand_runs(f"results/calibration/{RUN_DIR}/metrics.csv"),
    output:
        per_seed="results/tables/calibration_per_seed.csv",
        summary="results/tables/calibration_summary.csv",
        table2=report(
            "results/tables/table2_accuracy.csv",
            caption="../report/table2.rst",
            category="Tables",
            subcategory="Paper tables",
            labels={"table": "Table 2", "content": "top-1 accuracy, paper vs ours"},
        ),
        table3=report(
            "results/tables/table3_calibration.csv",
            caption="../report/table3.rst",
            category="Tables",
            subcategory="Paper tables",
            labels={"table": "Table 3", "content": "ECE, paper vs ours"},
        ),
    log:
        "results/logs/tabulate_calibration.log",
    conda:
        "../../envs/lsrepro.yaml"
    params:
        confidence=config["calibration"]["confidence"],
    script:
        "../scripts/tabulate_calibration.py"


# Fig. 2: reliability diagrams of the hard-target model (with/without TS) and the LS model.
rule plot_reliability:
    input:
        hard=get_reliability_input("hard"),
        smooth=get_reliability_input("smooth"),
    output:
        pdf="results/figures/reliability/{figure}.pdf",
        png=report(
            "results/figures/reliability/{figure}.png",
            caption="../report/reliability.rst",
            category="Calibration, Table 3 and Figs. 2–3",
            subcategory="{figure}",
            labels={
                "figure": "reliability diagram (Fig. 2)",
                "experiment": "{figure}",
            },
        ),
    log:
        "results/logs/plot_reliability/{figure}.log",
    conda:
        "../../envs/lsrepro.yaml"
    params:
        alpha=get_comparison_alpha("calibration"),
        min_count=config["calibration"]["min_bin_count"],
    script:
        "../scripts/plot_reliability.py"


# ECE, accuracy and NLL against alpha with 95 % intervals over seeds, one figure per experiment.
rule plot_calibration_vs_alpha:
    input:
        summary=rules.tabulate_calibration.output.summary,
    output:
        pdf="results/figures/calibration_vs_alpha/{experiment}.pdf",
        png=report(
            "results/figures/calibration_vs_alpha/{experiment}.png",
            caption="../report/calibration_vs_alpha.rst",
            category="Calibration, Table 3 and Figs. 2–3",
            subcategory="{experiment}",
            labels={
                "figure": "ECE, accuracy, NLL vs alpha",
                "experiment": "{experiment}",
            },
        ),
    log:
        "results/logs/plot_calibration_vs_alpha/{experiment}.log",
    conda:
        "../../envs/lsrepro.yaml"
    script:
        "../scripts/plot_calibration_vs_alpha.py"
