"""Stage 01: import and audited cleaning of each survey's raw export.

REQUIRED INPUTS
    surveys.<survey>.export      raw export (.csv, .xlsx, .sav), config/config.yaml
    surveys.<survey>.codebook    codebook YAML (docs/codebook.md)
    surveys.<survey>.exclusions  optional CSV of respondent_id, reason
OUTPUTS (results/<survey>/01_clean/)
    responses.csv (+ .dictionary.csv)   kept rows, canonical columns, pseudonymous rid
    exclusions.csv (+ .dictionary.csv)  every raw row not kept, with rule and reason
    flags.csv (+ .dictionary.csv)       routing and consistency flags of kept rows
    cleaning_summary.json               counts raw / kept / excluded by reason (reconciled)
    restricted/comments.csv             free-text answers; no later stage reads it
"""


rule clean:
    # Whole-service surveys only: a unit's 01_clean comes from rule unit_subset (units.smk).
    wildcard_constraints:
        survey="|".join(re.escape(s) for s in sorted(SURVEY_BLOCKS)),  # raw exports: not unit keys
    input:
        export=export_path,
        codebook=codebook_path,
        exclusions=exclusions_input,
        code=code_inputs("workflow/scripts/clean.py"),
    output:
        responses="results/{survey}/01_clean/responses.csv",
        responses_dict="results/{survey}/01_clean/responses.dictionary.csv",
        exclusions="results/{survey}/01_clean/exclusions.csv",
        exclusions_dict="results/{survey}/01_clean/exclusions.dictionary.csv",
        flags="results/{survey}/01_clean/flags.csv",
        flags_dict="results/{survey}/01_clean/flags.dictionary.csv",
        summary="results/{survey}/01_clean/cleaning_summary.json",
        comments="results/{survey}/01_clean/restricted/comments.csv",
        comments_dict="results/{survey}/01_clean/restricted/comments.dictionary.csv",
    params:
        cleaning=config["cleaning"],
        survey_cfg=survey_cfg,
    resources:
        mem_mb=lambda wildcards, input: max(1000, int(1000 + 10 * input.size_mb)),
        runtime=lambda wildcards, input: max(10, int(input.size_mb / 5)),
    log:
        "logs/{survey}/clean.log",
    benchmark:
        "logs/benchmarks/{survey}/clean.tsv"
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/clean.py"
