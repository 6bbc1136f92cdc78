# Logit gaps, equidistance, cluster tightness and projection sizes of one model (train + val).
rule measure_geometry:
    input:
        train=rules.evaluate.output.train,
        val=rules.evaluate.output.val,
    output:
        geometry=f"results/representation/{RUN_DIR}/geometry.json",
    log:
        f"results/logs/measure_geometry/{RUN_DIR}.log",
    conda:
        "../../envs/lsrepro.yaml"
    params:
        triplets=get_triplets,
        per_class=get_run_per_class,
        example_seed=config["representation"]["example_seed"],
        run=get_run_info,
    script:
        "../scripts/measure_geometry.py"


# The geometry numbers of every model, and summarised over seeds.
rule tabulate_geometry:
    input:
        geometry=expand_runs(
            f"results/representation/{RUN_DIR}/geometry.json", DIRECT_RUNS
        ),
    output:
        per_seed="results/tables/geometry_per_seed.csv",
        summary="results/tables/geometry_summary.csv",
    log:
        "results/logs/tabulate_geometry.log",
    conda:
        "../../envs/lsrepro.yaml"
    params:
        confidence=config["calibration"]["confidence"],
    script:
        "../scripts/tabulate_geometry.py"


# Fig. 1: one row (train/val x hard/LS) per figure entry and class triplet.
rule project_penultimate:
    input:
        unpack(get_projection_inputs),
    output:
        shared_pdf="results/figures/projection/{figure}/{triplet}.pdf",
        shared_png=report(
            "results/figures/projection/{figure}/{triplet}.png",
            caption="../report/projection.rst",
            category="Representation, Fig. 1",
            subcategory="{figure}",
            labels={
                "figure": "projection (Fig. 1)",
                "experiment": "{figure}",
                "triplet": "{triplet}",
                "axes": "shared",
            },
        ),
        free_pdf="results/figures/projection/{figure}/{triplet}_free_axes.pdf",
        free_png="results/figures/projection/{figure}/{triplet}_free_axes.png",
    log:
        "results/logs/project_penultimate/{figure}/{triplet}.log",
    conda:
        "../../envs/lsrepro.yaml"
    params:
        classes=get_triplet_classes,
        alpha=get_comparison_alpha("representation"),
        per_class=get_figure_per_class,
        example_seed=config["representation"]["example_seed"],
    script:
        "../scripts/project_penultimate.py"


# Geometry numbers against alpha (mean and min-max over seeds), one figure per experiment.
rule plot_geometry_vs_alpha:
    input:
        per_seed=rules.tabulate_geometry.output.per_seed,
    output:
        pdf="results/figures/geometry_vs_alpha/{experiment}.pdf",
        png=report(
            "results/figures/geometry_vs_alpha/{experiment}.png",
            caption="../report/geometry_vs_alpha.rst",
            category="Representation, Fig. 1",
            subcategory="{experiment}",
            labels={"figure": "geometry vs alpha", "experiment": "{experiment}"},
        ),
    log:
        "results/logs/plot_geometry_vs_alpha/{experiment}.log",
    conda:
        "../../envs/lsrepro.yaml"
    script:
        "../scripts/plot_geometry_vs_alpha.py"
