"""Stage 05: every figure of the study from the stage-04 estimates, one process per survey.

REQUIRED INPUTS
    results/<survey>/04_estimates/{estimates,subgroup_tests}.csv   stage-04 tables
    results/<survey>/01_clean/cleaning_summary.json                synthetic-data marker
    surveys.<survey>.codebook                                      question wording, level labels
    config/figures.yaml                                            figure catalogue + palette
    config/figure_style.mplstyle                                   the one matplotlib style
    estimates_config, scoring_config                               small-n threshold, trust bands
OUTPUT (05_figures: labels in bokmål; 05_figures_en: the same figures in English, for report_en)
    results/<survey>/05_figures/   <id>.svg, <id>.png, <id>.data.csv per figure, figures.csv
                                   (+ figures.dictionary.csv, figure_data.dictionary.csv),
                                   contact_sheet.png (docs/figures.md)
"""


rule figures:
    input:
        estimates="results/{survey}/04_estimates/estimates.csv",
        subgroup_tests="results/{survey}/04_estimates/subgroup_tests.csv",
        summary="results/{survey}/01_clean/cleaning_summary.json",
        codebook=codebook_path,
        catalogue="config/figures.yaml",
        mplstyle="config/figure_style.mplstyle",
        schema="workflow/schemas/figures.schema.yaml",
        estimates_config=config["estimates_config"],
        scoring=config["scoring_config"],
        code=code_inputs("workflow/scripts/figures.py"),
    output:
        figures=directory("results/{survey}/{figdir}"),
    params:
        lang=lambda wildcards: figures_lang(wildcards.figdir),
        # the survey kind (current/former) of the catalogue and labels; a unit key's last component
        survey=lambda wildcards: survey_kind(wildcards.survey),
    resources:
        mem_mb=2000,
        runtime=30,
    log:
        "logs/{survey}/{figdir}.log",
    benchmark:
        "logs/benchmarks/{survey}/{figdir}.tsv"
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/figures.py"
