# Verdicts on the paper's claims C1-C13 (and the extensions), Holm-adjusted, and every number
# the paper prints beside ours.
rule judge_claims:
    input:
        unpack(get_claims_inputs),
    output:
        claims=report(
            "results/tables/claims.csv",
            caption="../report/claims.rst",
            category="Tables",
            subcategory="Verdicts",
            labels={"table": "claims C1-C13", "content": "rules, measured, verdicts"},
        ),
        verdicts=report(
            "results/tables/verdicts.csv",
            caption="../report/verdicts.rst",
            category="Tables",
            subcategory="Verdicts",
            labels={"table": "verdicts (front page)", "content": "verdict per claim"},
        ),
        paper_vs_ours=report(
            "results/tables/paper_vs_ours.csv",
            caption="../report/paper_vs_ours.rst",
            category="Tables",
            subcategory="Paper vs ours",
            labels={"table": "paper vs ours", "content": "Tables 2-3, MNIST toy"},
        ),
    log:
        "results/logs/judge_claims.log",
    conda:
        "../../envs/lsrepro.yaml"
    params:
        representation_pairs=lsconfig.comparisons(config, "representation"),
        calibration_pairs=lsconfig.comparisons(config, "calibration"),
        scale=get_claims_scale(config),
    script:
        "../scripts/judge_claims.py"


# What a re-run costs: wall time and peak memory of the benchmarked (GPU) rules, per stage.
# After the verdicts, so every benchmark file of the run exists.
rule tabulate_cost:
    input:
        claims=rules.judge_claims.output.claims,
    output:
        cost=report(
            "results/tables/cost.csv",
            caption="../report/cost.rst",
            category="Tables",
            subcategory="Cost",
            labels={
                "table": "cost per rule and stage",
                "content": "wall time, peak memory",
            },
        ),
    log:
        "results/logs/tabulate_cost.log",
    conda:
        "../../envs/lsrepro.yaml"
    params:
        benchmarks="results/benchmarks",
    script:
        "../scripts/tabulate_cost.py"
