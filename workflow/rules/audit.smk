"""Reproduction audit against every published number, and errata of the study (rule `audit`).

REQUIRED INPUTS
    data/published/*.csv                       every number the study prints (stable ids)
    config/crosswalk.yaml                      published id -> pipeline output or reason (+ errata settings)
    config/estimates.yaml, codebooks           vocabulary of variables and categories (labels, codes)
    results/<survey>/04_estimates/{estimates,subgroup_tests,margins_table}.csv
    results/<survey>/02_scores/sensitivity.csv  rule variants (printed-rule errata check)
    results/current/03_reliability/reliability.csv
    results/<survey>/01_clean/cleaning_summary.json
OUTPUTS (each with a .dictionary.csv)
    reports/reproduction.csv                   one row per published id: published vs regenerated, margin, within
    results/audit/reproduction_summary.csv     share within the margin overall / survey / chapter / section / figure
    results/audit/errata.csv                   inconsistencies of the study found by generic checks
Method: docs/audit.md.
"""


from mhsurvey.audit.inputs import rule_inputs as audit_inputs


rule audit:
    input:
        unpack(lambda wildcards: audit_inputs(SURVEYS, config)),
        published=sorted(str(p.relative_to(workflow.basedir)) for p in Path(workflow.basedir, "data", "published").glob("*.csv")),
        crosswalk="config/crosswalk.yaml",
        settings=config["estimates_config"],
        code=code_inputs("workflow/scripts/audit.py"),
    output:
        reproduction="reports/reproduction.csv",
        reproduction_dict="reports/reproduction.dictionary.csv",
        summary="results/audit/reproduction_summary.csv",
        summary_dict="results/audit/reproduction_summary.dictionary.csv",
        errata="results/audit/errata.csv",
        errata_dict="results/audit/errata.dictionary.csv",
    params:
        surveys=SURVEYS,
    resources:
        mem_mb=lambda wildcards, input: max(1000, int(1000 + 5 * input.size_mb)),
        runtime=15,
    log:
        "logs/audit.log",
    benchmark:
        "logs/benchmarks/audit.tsv"
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/audit.py"
