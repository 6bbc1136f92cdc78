# Translation stage (paper §3, Figs. 3-4, Table 3 EN-DE row): a label-smoothed Transformer.
# Runs are (experiment, alpha, seed) of config translation.run in the {trun} wildcard; every
# path is under results/translation/ (lsrepro.runs), apart from the image {run}s.


# The parallel corpus as one verified artifact with its content digest. Multi30k comes from
# the mirror or a verified download (mirror and data_dir are read from the config, not params,
# like prepare_data); another corpus from the files it names (inputs).
rule prepare_corpus:
    input:
        lstranslation.corpus_files(config),
    output:
        corpus=lsruns.corpus_path(config),
    log:
        "results/logs/prepare_corpus.log",
    conda:
        "../../envs/lsrepro.yaml"
    params:
        corpus=lstranslation.corpus_params(config),
    script:
        "../scripts/prepare_corpus.py"


# The joint sentencepiece vocabulary, trained on the training split only (a pinned artifact).
rule train_vocabulary:
    input:
        corpus=rules.prepare_corpus.output.corpus,
    output:
        vocab=lsruns.vocab_path(config),
        record=lsruns.vocab_record_path(config),
    log:
        "results/logs/train_vocabulary.log",
    conda:
        "../../envs/lsrepro.yaml"
    params:
        vocab=config["translation"]["vocab"],
    script:
        "../scripts/train_vocabulary.py"


# Train one Transformer per (experiment, alpha, seed): the engine's loop with token batches
# and label smoothing; resumable and preemptible like rule train.
rule train_translation:
    input:
        corpus=rules.prepare_corpus.output.corpus,
        vocab=rules.train_vocabulary.output.vocab,
    output:
        model="results/translation/train/{trun}/model.pt",
        history="results/translation/train/{trun}/history.csv",
        snapshots=directory("results/translation/train/{trun}/snapshots"),
    log:
        "results/logs/train_translation/{trun}.log",
    benchmark:
        "results/benchmarks/train_translation/{trun}.tsv"
    conda:
        "../../envs/lsrepro.yaml"
    threads: 4
    resources:
        gpu=1,
        attempt=attempt_number,
        runtime=translation_train_runtime,
        mem_mb=8000,
    params:
        recipe=get_translation_recipe,
        run=get_translation_run_key,
    script:
        "../scripts/train_translation.py"


# Teacher-forced next-token calibration on val and test at every T of the grid and at T fitted
# on validation NLL (Fig. 3, Fig. 4 ECE/NLL panels, Table 3 EN-DE row).
rule evaluate_tokens:
    input:
        model=rules.train_translation.output.model,
        corpus=rules.prepare_corpus.output.corpus,
        vocab=rules.train_vocabulary.output.vocab,
    output:
        tokens="results/translation/evaluate/{trun}/tokens.csv",
        temperature="results/translation/evaluate/{trun}/temperature.json",
        reliability="results/translation/evaluate/{trun}/reliability.csv",
    log:
        "results/logs/evaluate_tokens/{trun}.log",
    benchmark:
        "results/benchmarks/evaluate_tokens/{trun}.tsv"
    conda:
        "../../envs/lsrepro.yaml"
    threads: 2
    resources:
        gpu=1,
        attempt=attempt_number,
        runtime=evaluate_runtime,
        mem_mb=8000,
    params:
        splits=lstranslation.split_labels(config),
        temperatures=config["translation"]["temperatures"],
        max_tokens=get_translation_max_tokens,
        metrics=get_calibration_metric_params,
        fit=lstranslation.token_fit_params(config),
    script:
        "../scripts/evaluate_tokens.py"


# Beam search with log_softmax(z / T) at every step, at every T of the grid and the fitted T;
# greedy at T = 1 as a reference; sacrebleu BLEU (cased, uncased) and chrF (Fig. 4 BLEU).
rule decode_beam:
    input:
        model=rules.train_translation.output.model,
        corpus=rules.prepare_corpus.output.corpus,
        vocab=rules.train_vocabulary.output.vocab,
        temperature=rules.evaluate_tokens.output.temperature,
    output:
        bleu="results/translation/evaluate/{trun}/bleu.csv",
        hypotheses=directory("results/translation/evaluate/{trun}/hypotheses"),
    log:
        "results/logs/decode_beam/{trun}.log",
    benchmark:
        "results/benchmarks/decode_beam/{trun}.tsv"
    conda:
        "../../envs/lsrepro.yaml"
    threads: 2
    resources:
        gpu=1,
        attempt=attempt_number,
        runtime=evaluate_runtime,
        mem_mb=8000,
    params:
        splits=lstranslation.split_labels(config),
        temperatures=config["translation"]["temperatures"],
        beam=config["translation"]["beam"],
        max_sentences=config["translation"]["max_sentences"],
    script:
        "../scripts/decode_beam.py"


# The beam length bias (issue 18 extension, C10j): decode at T = 1 with every beam size of
# translation.beams; BLEU and sacrebleu's length ratio per split and beam size.
rule decode_beams:
    input:
        model=rules.train_translation.output.model,
        corpus=rules.prepare_corpus.output.corpus,
        vocab=rules.train_vocabulary.output.vocab,
    output:
        beams="results/translation/evaluate/{trun}/beams.csv",
        hypotheses=directory("results/translation/evaluate/{trun}/beam_hypotheses"),
    log:
        "results/logs/decode_beams/{trun}.log",
    benchmark:
        "results/benchmarks/decode_beams/{trun}.tsv"
    conda:
        "../../envs/lsrepro.yaml"
    threads: 2
    resources:
        gpu=1,
        attempt=attempt_number,
        runtime=evaluate_runtime,
        mem_mb=8000,
    params:
        splits=lstranslation.split_labels(config),
        beams=config["translation"]["beams"],
        beam=lstranslation.beam_grid_settings(config),
        max_sentences=config["translation"]["max_sentences"],
    script:
        "../scripts/decode_beams.py"


# BLEU and length ratio vs beam size per seed and over seeds (read by the verdicts, C10j).
rule tabulate_translation_beams:
    input:
        beams=expand_translation_runs("results/translation/evaluate/{trun}/beams.csv"),
    output:
        per_seed=report(
            "results/tables/translation_beams_per_seed.csv",
            caption="../report/translation.rst",
            category="Translation, Fig. 4",
            subcategory="Tables",
            labels={
                "table": "beam grid, per seed",
                "content": "BLEU, length ratio vs beam",
            },
        ),
        summary=report(
            "results/tables/translation_beams_summary.csv",
            caption="../report/translation.rst",
            category="Translation, Fig. 4",
            subcategory="Tables",
            labels={"table": "beam grid, summary", "content": "mean, 95 % interval"},
        ),
    log:
        "results/logs/tabulate_translation_beams.log",
    conda:
        "../../envs/lsrepro.yaml"
    params:
        runs=lstranslation.runs_info(config),
        confidence=config["calibration"]["confidence"],
    script:
        "../scripts/tabulate_translation_beams.py"


# BLEU and length ratio vs beam size, alpha as hue; val and test.
rule plot_translation_beams:
    input:
        per_seed=rules.tabulate_translation_beams.output.per_seed,
    output:
        pdf="results/figures/translation/beams.pdf",
        png=report(
            "results/figures/translation/beams.png",
            caption="../report/translation.rst",
            category="Translation, Fig. 4",
            subcategory="Figures",
            labels={"figure": "beam length bias", "content": "validation split"},
        ),
        test_pdf="results/figures/translation/beams_test.pdf",
        test_png=report(
            "results/figures/translation/beams_test.png",
            caption="../report/translation.rst",
            category="Translation, Fig. 4",
            subcategory="Figures",
            labels={"figure": "beam length bias", "content": "test split"},
        ),
    log:
        "results/logs/plot_translation_beams.log",
    conda:
        "../../envs/lsrepro.yaml"
    params:
        corpus=config["translation"]["corpus"],
    script:
        "../scripts/plot_translation_beams.py"


# Per-seed and over-seed tables (read by the verdicts, C10) and Table 3's EN-DE row.
rule tabulate_translation:
    input:
        tokens=expand_translation_runs("results/translation/evaluate/{trun}/tokens.csv"),
        temperatures=expand_translation_runs(
            "results/translation/evaluate/{trun}/temperature.json"
        ),
        bleu=expand_translation_runs("results/translation/evaluate/{trun}/bleu.csv"),
    output:
        per_seed=report(
            "results/tables/translation_per_seed.csv",
            caption="../report/translation.rst",
            category="Translation, Fig. 4",
            subcategory="Tables",
            labels={"table": "per seed", "content": "BLEU, token ECE and NLL vs T"},
        ),
        summary=report(
            "results/tables/translation_summary.csv",
            caption="../report/translation.rst",
            category="Translation, Fig. 4",
            subcategory="Tables",
            labels={"table": "summary", "content": "mean, 95 % interval over seeds"},
        ),
        table3=report(
            "results/tables/translation_table3.csv",
            caption="../report/translation.rst",
            category="Translation, Fig. 4",
            subcategory="Tables",
            labels={
                "table": "Table 3 EN-DE row",
                "content": "ECE, paper (WMT) vs ours",
            },
        ),
    log:
        "results/logs/tabulate_translation.log",
    conda:
        "../../envs/lsrepro.yaml"
    params:
        runs=lstranslation.runs_info(config),
        tokens_with_eos=config["translation"]["tokens_with_eos"],
        confidence=config["calibration"]["confidence"],
    script:
        "../scripts/tabulate_translation.py"


# Fig. 4: beam BLEU and token ECE vs T per model, token NLL vs T; val (as the paper) and test.
rule plot_translation:
    input:
        per_seed=rules.tabulate_translation.output.per_seed,
    output:
        pdf="results/figures/translation/fig4.pdf",
        png=report(
            "results/figures/translation/fig4.png",
            caption="../report/translation.rst",
            category="Translation, Fig. 4",
            subcategory="Figures",
            labels={"figure": "Fig. 4", "content": "validation split"},
        ),
        test_pdf="results/figures/translation/fig4_test.pdf",
        test_png=report(
            "results/figures/translation/fig4_test.png",
            caption="../report/translation.rst",
            category="Translation, Fig. 4",
            subcategory="Figures",
            labels={"figure": "Fig. 4", "content": "test split"},
        ),
    log:
        "results/logs/plot_translation.log",
    conda:
        "../../envs/lsrepro.yaml"
    params:
        corpus=config["translation"]["corpus"],
    script:
        "../scripts/plot_translation.py"


# Fig. 3: token reliability diagram, hard targets at T = 1 and fitted T vs LS (model_seed).
rule plot_translation_reliability:
    input:
        unpack(get_translation_reliability_inputs),
    output:
        pdf="results/figures/translation/fig3.pdf",
        png=report(
            "results/figures/translation/fig3.png",
            caption="../report/translation.rst",
            category="Translation, Fig. 4",
            subcategory="Figures",
            labels={"figure": "Fig. 3", "content": "token reliability, validation"},
        ),
    log:
        "results/logs/plot_translation_reliability.log",
    conda:
        "../../envs/lsrepro.yaml"
    params:
        alpha=get_translation_ls_alpha,
        corpus=config["translation"]["corpus"],
        min_count=config["calibration"]["min_bin_count"],
    script:
        "../scripts/plot_translation_reliability.py"


# Fig. 7 (App. B): next-token decoder outputs of three target pieces on their template plane.
rule project_translation:
    input:
        unpack(get_translation_projection_inputs),
    output:
        shared_pdf="results/figures/translation/fig7.pdf",
        shared_png=report(
            "results/figures/translation/fig7.png",
            caption="../report/translation_projection.rst",
            category="Translation, Fig. 4",
            subcategory="Fig. 7 (App. B)",
            labels={
                "figure": "Fig. 7",
                "content": "next-token projection, train and val",
                "axes": "shared",
            },
        ),
        free_pdf="results/figures/translation/fig7_free_axes.pdf",
        free_png="results/figures/translation/fig7_free_axes.png",
    log:
        "results/logs/project_translation.log",
    benchmark:
        "results/benchmarks/project_translation.tsv"
    conda:
        "../../envs/lsrepro.yaml"
    threads: 2
    resources:
        gpu=1,
        attempt=attempt_number,
        runtime=evaluate_runtime,
        mem_mb=8000,
    params:
        projection=config["translation"]["projection"],
        alpha=get_translation_projection_alpha,
        max_tokens=get_translation_projection_max_tokens,
        corpus=config["translation"]["corpus"],
    script:
        "../scripts/project_translation.py"
