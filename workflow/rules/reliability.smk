"""Stage 03: scale reliability (rule `reliability`).

REQUIRED INPUTS
    results/{survey}/01_clean/responses.csv   cleaned responses (data contract: docs/architecture.md)
    config/codebook/{survey}.yaml             codebook of the survey (via codebook_path)
    config/scoring.yaml                       `reliability:` block (nan policy, CI level, bootstrap, seed, scales)
OUTPUTS
    results/{survey}/03_reliability/reliability.csv                one row per scale: alpha, CIs, omega
    results/{survey}/03_reliability/reliability.dictionary.csv
    results/{survey}/03_reliability/item_statistics.csv            item-rest r, alpha if item deleted
    results/{survey}/03_reliability/item_statistics.dictionary.csv
Methods: docs/scoring.md ("Reliability").
"""


rule reliability:
    input:
        responses="results/{survey}/01_clean/responses.csv",
        codebook=codebook_path,
        rules=config["scoring_config"],
        code=code_inputs("workflow/scripts/reliability.py"),
    output:
        reliability="results/{survey}/03_reliability/reliability.csv",
        reliability_dict="results/{survey}/03_reliability/reliability.dictionary.csv",
        item_stats="results/{survey}/03_reliability/item_statistics.csv",
        item_stats_dict="results/{survey}/03_reliability/item_statistics.dictionary.csv",
    resources:
        mem_mb=lambda wildcards, input: max(1000, int(1000 + 10 * input.size_mb)),
        runtime=lambda wildcards, input: max(10, int(input.size_mb / 5)),
    log:
        "logs/{survey}/reliability.log",
    benchmark:
        "logs/benchmarks/{survey}/reliability.tsv"
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/reliability.py"
