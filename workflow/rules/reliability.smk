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
    # The scales' bootstrap intervals can run in parallel threads (same table for any number;
    # mhsurvey.reliability); BLAS stays on one thread in each (the script). One by default: on 2
    # cores a second thread only takes the core estimates runs on (100x the study: 23.6 s with 1
    # thread, 17.3 s with 2, but stages 01-04 40.9 s against 51.8 s). The SLURM profile sets more
    # (set-threads), where a job gets its own cores. docs/cluster.md.
    threads: 1
    # Started before the other jobs that wait for the cleaned data: it needs nothing else, and on
    # large surveys it is the longest job after cleaning (the bootstrap), so it sets the critical path.
    priority: 10
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
