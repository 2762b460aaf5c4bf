"""Rule report_html: results of stages 01-05 -> reports/rapport.html (see workflow/rules/report.smk)."""

from pathlib import Path

from mhsurvey.logs import setup_logging
from mhsurvey.report.build import build_html

log = setup_logging(snakemake)
text = build_html(
    report_config=snakemake.input.report_config,
    estimates_config=snakemake.input.estimates_config,
    scoring_config=snakemake.input.scoring_config,
    main_config=snakemake.config,
    published=snakemake.input.published,
    css=snakemake.input.css,
    results_root="results",
    lang=snakemake.params.lang,
    audit_dir=snakemake.params.audit_dir,
    reproduction=snakemake.input.reproduction,
)
out = Path(snakemake.output.html)
tmp = out.with_name(f".{out.name}.tmp")
tmp.write_text(text, encoding="utf-8", newline="\n")
tmp.replace(out)
log.info("wrote %s (%d bytes)", out, len(text.encode("utf-8")))
