"""Rules report_html / unit_report_html: results of stages 01-05 -> reports/[units/<unit>/]<edition>.html
(see workflow/rules/report.smk and units.smk)."""

from pathlib import Path

from mhsurvey.logs import setup_logging
from mhsurvey.report.build import build_html

log = setup_logging(snakemake)
unit = getattr(snakemake.params, "unit", None)  # a unit edition (rule unit_report_html)
text = build_html(
    report_config=snakemake.input.report_config,
    estimates_config=snakemake.input.estimates_config,
    scoring_config=snakemake.input.scoring_config,
    main_config=snakemake.config,
    published=snakemake.input.published,
    css=snakemake.input.css,
    results_root=getattr(snakemake.params, "results_root", "results"),
    lang=snakemake.params.lang,
    audit_dir=getattr(snakemake.params, "audit_dir", None),
    reproduction=getattr(snakemake.input, "reproduction", None),
    unit=unit,
    service_root=getattr(snakemake.params, "service_root", "results"),
    extra_css=[snakemake.input.unit_css] if unit else [],
)
out = Path(snakemake.output.html)
tmp = out.with_name(f".{out.name}.tmp")
tmp.write_text(text, encoding="utf-8", newline="\n")
tmp.replace(out)
log.info("wrote %s (%d bytes)", out, len(text.encode("utf-8")))
