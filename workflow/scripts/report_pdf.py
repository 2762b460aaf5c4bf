"""Rule report_pdf: reports/rapport.html -> reports/rapport.pdf with WeasyPrint."""

from pathlib import Path

from mhsurvey.logs import setup_logging
from mhsurvey.report.build import build_pdf

log = setup_logging(snakemake)
out = Path(snakemake.output.pdf)
tmp = out.with_name(f".{out.name}.tmp.pdf")
build_pdf(snakemake.input.html, tmp)
tmp.replace(out)
log.info("wrote %s (%d bytes)", out, out.stat().st_size)
