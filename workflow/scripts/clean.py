"""Rule clean: raw export -> results/<survey>/01_clean/ (see workflow/rules/clean.smk)."""

from mhsurvey.clean import clean_survey, settings_from_config, write_clean_result
from mhsurvey.codebook import load_codebook
from mhsurvey.logs import setup_logging

log = setup_logging(snakemake)
survey = snakemake.wildcards.survey
config = {"cleaning": snakemake.params.cleaning, "surveys": {survey: snakemake.params.survey_cfg}}
codebook = load_codebook(snakemake.input.codebook)
settings = settings_from_config(config, survey)
result = clean_survey(snakemake.input.export, codebook, settings)
write_clean_result(result, codebook, dict(snakemake.output.items()))
s = result.summary
log.info("%s: raw rows %d, kept %d, excluded %d %s", survey, s["raw_rows"], s["kept"], s["excluded"],
         s["excluded_by_rule"])
print(f"[clean] {survey}: n kept = {s['kept']:,} of {s['raw_rows']:,} raw rows")
