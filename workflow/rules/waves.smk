"""Wave-to-wave comparison (rule `wave_comparison`; config `waves:`, docs/methods.md §2.5).

Each wave is compared with the one before it (primary wave = project.wave first, then `waves:` by
year), for every survey kind both hold (mhsurvey.surveys.comparisons).

REQUIRED INPUTS
    results/<earlier survey key>/04_estimates/estimates.csv   e.g. results/current/...
    results/<later survey key>/04_estimates/estimates.csv     e.g. results/waves/2025/current/...
    estimates_config (config/estimates.yaml)                  significance: alpha, adjust, min_n,
                                                              min_expected, confidence_level
OUTPUTS (results/waves/compare/<from>-<to>/<survey>/)
    comparison.csv (+ .dictionary.csv)   per outcome x category in both waves: n and % per wave,
                                         change in points, Newcombe CI, pooled z, p, adjusted p,
                                         significant, withheld
"""


rule wave_comparison:
    input:
        earlier=lambda wildcards: f"results/{wave_pair(wildcards)[0].surveys[wildcards.kind]}/04_estimates/estimates.csv",
        later=lambda wildcards: f"results/{wave_pair(wildcards)[1].surveys[wildcards.kind]}/04_estimates/estimates.csv",
        settings=config["estimates_config"],
        code=code_inputs("workflow/scripts/wave_comparison.py"),
    output:
        comparison="results/waves/compare/{pair}/{kind}/comparison.csv",
        comparison_dict="results/waves/compare/{pair}/{kind}/comparison.dictionary.csv",
    params:
        kind=lambda wildcards: wildcards.kind,
        wave_from=lambda wildcards: wave_pair(wildcards)[0].id,
        wave_to=lambda wildcards: wave_pair(wildcards)[1].id,
        year_from=lambda wildcards: wave_pair(wildcards)[0].year,
        year_to=lambda wildcards: wave_pair(wildcards)[1].year,
    wildcard_constraints:
        pair="[0-9a-z_]+-[0-9a-z_]+",
        kind="[a-z][a-z0-9_]*",
    resources:
        mem_mb=lambda wildcards, input: max(1000, int(1000 + 10 * input.size_mb)),
        runtime=lambda wildcards, input: max(10, int(input.size_mb / 5)),
    log:
        "logs/waves/compare/{pair}/{kind}/wave_comparison.log",
    benchmark:
        "logs/benchmarks/waves/compare/{pair}/{kind}/wave_comparison.tsv"
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/wave_comparison.py"
