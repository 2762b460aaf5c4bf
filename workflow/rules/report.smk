"""Stage 06: the report (HTML and PDF) from the results of stages 01-05.

REQUIRED INPUTS
    results/<survey>/01_clean/cleaning_summary.json, exclusions.csv  sample and exclusions
    results/<survey>/02_scores/sensitivity.csv                        scoring variants
    results/<survey>/03_reliability/reliability.csv                   alphas
    results/<survey>/04_estimates/{estimates,subgroup_tests,margins_table}.csv
    results/<survey>/05_figures/figures.csv (+ the SVG and data CSV of every figure)
    config/report.yaml, config/estimates.yaml, config/scoring.yaml, data/published/*.csv
    reports/templates/** (Jinja templates, CSS, author content)
OUTPUTS
    reports/<edition>.html  one self-contained file (figures, CSS and figure data embedded);
                            editions in config/report.yaml (rapport = bokmål, report_en = English)
    reports/<edition>.pdf   the same HTML printed to A4 by WeasyPrint
"""

from mhsurvey.report.waves import comparison_inputs


rule report_html:
    input:
        results=report_survey_inputs,
        report_config="config/report.yaml",
        estimates_config=config["estimates_config"],
        scoring_config=config["scoring_config"],
        published=sorted(str(p) for p in Path(workflow.basedir, "data", "published").glob("*.csv")),
        css="reports/templates/css/report.css",
        reproduction="reports/reproduction.csv",
        audit_summary="results/audit/reproduction_summary.csv",
        errata="results/audit/errata.csv",
        waves=comparison_inputs(config),  # wave comparisons (config waves:; empty without)
        templates=REPORT_TEMPLATES,
        code=code_inputs("workflow/scripts/report_html.py"),
    output:
        html=report("reports/{edition}.html", caption="../report/report.rst", category="Rapport"),
    params:
        lang=lambda wildcards: REPORT_EDITIONS[wildcards.edition],
        audit_dir=lambda wildcards, input: str(Path(input.audit_summary).parent),
    resources:
        mem_mb=lambda wildcards, input: max(2000, int(1000 + 5 * input.size_mb)),
        runtime=30,
    log:
        "logs/report/{edition}_html.log",
    benchmark:
        "logs/benchmarks/report/{edition}_html.tsv"
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/report_html.py"


rule report_pdf:
    input:
        html=report("reports/{edition}.html", caption="../report/report.rst", category="Rapport"),
        code=code_inputs("workflow/scripts/report_pdf.py"),
    output:
        pdf=report("reports/{edition}.pdf", caption="../report/report.rst", category="Rapport"),
    resources:
        mem_mb=lambda wildcards, input: max(3000, int(1000 + 20 * input.size_mb)),
        runtime=30,
    log:
        "logs/report/{edition}_pdf.log",
    benchmark:
        "logs/benchmarks/report/{edition}_pdf.tsv"
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/report_pdf.py"
