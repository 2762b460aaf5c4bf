"""Rule clean: raw export -> results/<survey>/01_clean/ (see workflow/rules/clean.smk).

Bad input or configuration (mhsurvey.errors.PipelineError) is logged as one message naming file,
row, column and value, and the script exits with status 2 without writing anything.
"""

import sys

from mhsurvey.clean import clean_survey, settings_from_config, write_clean_result
from mhsurvey.codebook import load_codebook
from mhsurvey.errors import PipelineError
from mhsurvey.logs import setup_logging

log = setup_logging(snakemake)
survey = snakemake.wildcards.survey
config = {"cleaning": snakemake.params.cleaning, "surveys": {survey: snakemake.params.survey_cfg}}
try:
    codebook = load_codebook(snakemake.input.codebook)
    settings = settings_from_config(config, survey)
    result = clean_survey(snakemake.input.export, codebook, settings)
    write_clean_result(result, codebook, dict(snakemake.output.items()))
except PipelineError as exc:
    log.error("%s: %s", survey, exc)
    sys.exit(2)
s = result.summary
log.info(
    "%s: raw rows %d, kept %d, excluded %d %s",
    survey,
    s["raw_rows"],
    s["kept"],
    s["excluded"],
    s["excluded_by_rule"],
)
print(f"[clean] {survey}: n kept = {s['kept']:,} of {s['raw_rows']:,} raw rows")
