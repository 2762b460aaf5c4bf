"""Unit editions: the report once per unit (region) of config `units`, the unit against the rest.

Not part of the default target (build time): `snakemake units` / `make units` (docs/report.md).

REQUIRED INPUTS
    results/<kind>/01_clean/*                    whole-service cleaned results (rule clean)
    results/<kind>/04_estimates/subgroup_tests.csv  the unit's level vs the rest of the service
    config/config.yaml units                     unit column, codes, ids, min_n
OUTPUTS
    results/units/units.csv (+ .dictionary.csv)  n per unit and survey; which units get an edition
    results/units/<unit>/<kind>/01_clean/        the unit's respondents (rule unit_subset); stages
                                                 02-05 then run unchanged on key units/<unit>/<kind>
    reports/units/<unit>/<edition>.html, .pdf    the unit's edition (rapport = bokmål, report_en)
"""


wildcard_constraints:
    unit="|".join(UNITS) or "no-units-configured",


checkpoint units_index:
    input:
        responses=expand("results/{kind}/01_clean/responses.csv", kind=SURVEYS),
        code=code_inputs("workflow/scripts/units_index.py"),
    output:
        index="results/units/units.csv",
        index_dict="results/units/units.dictionary.csv",
    params:
        kinds=SURVEYS,
        units=[u.as_dict() for u in UNITS.values()],
        min_n=int((config.get("units") or {}).get("min_n", 1)),
    resources:
        mem_mb=lambda wildcards, input: max(1000, int(1000 + 10 * input.size_mb)),
        runtime=10,
    log:
        "logs/units/units_index.log",
    benchmark:
        "logs/benchmarks/units/units_index.tsv"
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/units_index.py"


rule unit_subset:
    wildcard_constraints:
        kind="|".join(SURVEYS),
    input:
        responses="results/{kind}/01_clean/responses.csv",
        responses_dict="results/{kind}/01_clean/responses.dictionary.csv",
        exclusions="results/{kind}/01_clean/exclusions.csv",
        exclusions_dict="results/{kind}/01_clean/exclusions.dictionary.csv",
        flags="results/{kind}/01_clean/flags.csv",
        flags_dict="results/{kind}/01_clean/flags.dictionary.csv",
        summary="results/{kind}/01_clean/cleaning_summary.json",
        code=code_inputs("workflow/scripts/unit_subset.py"),
    output:
        responses="results/units/{unit}/{kind}/01_clean/responses.csv",
        responses_dict="results/units/{unit}/{kind}/01_clean/responses.dictionary.csv",
        exclusions="results/units/{unit}/{kind}/01_clean/exclusions.csv",
        exclusions_dict="results/units/{unit}/{kind}/01_clean/exclusions.dictionary.csv",
        flags="results/units/{unit}/{kind}/01_clean/flags.csv",
        flags_dict="results/units/{unit}/{kind}/01_clean/flags.dictionary.csv",
        summary="results/units/{unit}/{kind}/01_clean/cleaning_summary.json",
    params:
        unit=lambda wildcards: UNITS[wildcards.unit].as_dict(),
        key=lambda wildcards: f"units/{wildcards.unit}/{wildcards.kind}",
        min_n=int((config.get("units") or {}).get("min_n", 1)),
    resources:
        mem_mb=lambda wildcards, input: max(1000, int(1000 + 10 * input.size_mb)),
        runtime=10,
    log:
        "logs/units/{unit}/{kind}/unit_subset.log",
    benchmark:
        "logs/benchmarks/units/{unit}/{kind}/unit_subset.tsv"
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/unit_subset.py"


rule unit_report_html:
    input:
        results=unit_report_inputs,
        service_tests=expand("results/{kind}/04_estimates/subgroup_tests.csv", kind=SURVEYS),
        report_config="config/report.yaml",
        estimates_config=config["estimates_config"],
        scoring_config=config["scoring_config"],
        published=sorted(str(p) for p in Path(workflow.basedir, "data", "published").glob("*.csv")),
        css="reports/templates/css/report.css",
        unit_css="reports/templates/css/unit.css",
        templates=REPORT_TEMPLATES,
        code=code_inputs("workflow/scripts/report_html.py"),
    output:
        html="reports/units/{unit}/{edition}.html",
    params:
        lang=lambda wildcards: REPORT_EDITIONS[wildcards.edition],
        results_root=lambda wildcards: f"results/units/{wildcards.unit}",
        # results/<kind>/04_estimates/subgroup_tests.csv -> results
        service_root=lambda wildcards, input: str(Path(input.service_tests[0]).parents[2]),
        unit=lambda wildcards: UNITS[wildcards.unit].as_dict(),
    resources:
        mem_mb=lambda wildcards, input: max(2000, int(1000 + 5 * input.size_mb)),
        runtime=30,
    log:
        "logs/report/units/{unit}/{edition}_html.log",
    benchmark:
        "logs/benchmarks/report/units/{unit}/{edition}_html.tsv"
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/report_html.py"


use rule report_pdf as unit_report_pdf with:
    input:
        html="reports/units/{unit}/{edition}.html",
        code=code_inputs("workflow/scripts/report_pdf.py"),
    output:
        pdf="reports/units/{unit}/{edition}.pdf",
    log:
        "logs/report/units/{unit}/{edition}_pdf.log",
    benchmark:
        "logs/benchmarks/report/units/{unit}/{edition}_pdf.tsv"


rule units:
    input:
        unit_edition_targets,
