"""Stage 02: instrument scoring (rule `score`).

REQUIRED INPUTS
    results/{survey}/01_clean/responses.csv   cleaned responses (data contract: docs/architecture.md)
    config/codebook/{survey}.yaml             codebook of the survey (via codebook_path)
    config/scoring.yaml                       scoring rules (schema workflow/schemas/scoring.schema.yaml)
OUTPUTS
    results/{survey}/02_scores/scores.csv                one row per respondent: sums, classes, breakdowns
    results/{survey}/02_scores/scores.dictionary.csv     its data dictionary
    results/{survey}/02_scores/sensitivity.csv           prevalence under every rule variant / FI option
    results/{survey}/02_scores/sensitivity.dictionary.csv
    results/{survey}/02_scores/levels.csv                Norwegian/English labels of the named levels of
                                                         derived columns (bands, groups, condition status)
    results/{survey}/02_scores/levels.dictionary.csv
Rules and defaults: docs/scoring.md.
"""


rule score:
    input:
        responses="results/{survey}/01_clean/responses.csv",
        codebook=codebook_path,
        rules=config["scoring_config"],
        code=code_inputs("workflow/scripts/score.py"),
    output:
        scores="results/{survey}/02_scores/scores.csv",
        scores_dict="results/{survey}/02_scores/scores.dictionary.csv",
        sensitivity="results/{survey}/02_scores/sensitivity.csv",
        sensitivity_dict="results/{survey}/02_scores/sensitivity.dictionary.csv",
        levels="results/{survey}/02_scores/levels.csv",
        levels_dict="results/{survey}/02_scores/levels.dictionary.csv",
    resources:
        mem_mb=lambda wildcards, input: max(1000, int(1000 + 10 * input.size_mb)),
        runtime=lambda wildcards, input: max(10, int(input.size_mb / 5)),
    log:
        "logs/{survey}/score.log",
    benchmark:
        "logs/benchmarks/{survey}/score.tsv"
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/score.py"
