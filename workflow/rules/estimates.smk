"""Stage 04: estimates with margins of error, subgroup tests, Vedlegg 3 margins table.

REQUIRED INPUTS
    results/<survey>/01_clean/responses.csv   cleaned responses (docs/architecture.md contract)
    results/<survey>/02_scores/scores.csv     classifications and derived breakdowns (stage 02)
    surveys.<survey>.codebook                 codebook YAML (questions, codes, routing)
    estimates_config (config/estimates.yaml)  merged categories, classifications, breakdowns,
                                              significance, suppression, margins table
    results/<survey>/02_scores/levels.csv     labels of derived levels (bands, groups, condition
                                              status; stage 02 publishes them from config/scoring.yaml)
    data/reference/ssb.csv                    SSB population reference values
OUTPUTS (results/<survey>/04_estimates/, each with a .dictionary.csv)
    estimates.csv        count, base, %, report-style and exact margins, Wilson CI, SSB comparison,
                         estimable/reason (an outcome without valid answers is listed, not fatal)
    subgroup_tests.csv   every outcome category x breakdown level: estimate, difference to total,
                         z vs rest, Holm/BH p, n<30 flag, withheld (rule that withheld the test:
                         n_zero, subgroup_n, rest_n, expected_count, ...), chi-square of the table
                         (chi2_withheld), suppression flag, English labels
    margins_table.csv    Vedlegg 3 table (rows n, columns p) with the z used
"""


rule estimates:
    input:
        responses="results/{survey}/01_clean/responses.csv",
        scores="results/{survey}/02_scores/scores.csv",
        codebook=codebook_path,
        settings=config["estimates_config"],
        levels="results/{survey}/02_scores/levels.csv",
        reference="data/reference/ssb.csv",
        code=code_inputs("workflow/scripts/estimates.py"),
    output:
        estimates="results/{survey}/04_estimates/estimates.csv",
        estimates_dict="results/{survey}/04_estimates/estimates.dictionary.csv",
        subgroup_tests="results/{survey}/04_estimates/subgroup_tests.csv",
        subgroup_tests_dict="results/{survey}/04_estimates/subgroup_tests.dictionary.csv",
        margins="results/{survey}/04_estimates/margins_table.csv",
        margins_dict="results/{survey}/04_estimates/margins_table.dictionary.csv",
    params:
        # the survey kind (current/former) that config lookups use; a unit key's last component
        survey=lambda wildcards: survey_kind(wildcards.survey),
    resources:
        mem_mb=lambda wildcards, input: max(1000, int(1000 + 10 * input.size_mb)),
        runtime=lambda wildcards, input: max(10, int(input.size_mb / 5)),
    log:
        "logs/{survey}/estimates.log",
    benchmark:
        "logs/benchmarks/{survey}/estimates.tsv"
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/estimates.py"
