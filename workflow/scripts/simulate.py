"""Rule simulate: synthetic raw export + calibration table of one survey (see workflow/simulate.smk)."""

import json

from mhsim.checks import table_docs
from mhsim.run import calibration, cleaning_settings, load_inputs, write
from mhsurvey.dictionary import write_dictionary
from mhsurvey.io import write_csv
from mhsurvey.logs import setup_logging

log = setup_logging(snakemake)
survey = snakemake.wildcards.survey
inp = load_inputs(
    snakemake.input.sim_config,
    snakemake.input.codebook,
    snakemake.input.scoring,
    list(snakemake.input.published),
    model=snakemake.input.model,
    items_spec=snakemake.input.items_spec,
)
counts = write(inp, snakemake.output.export)
log.info(
    "%s: export %s written: %s",
    survey,
    snakemake.output.export,
    json.dumps({k: v for k, v in counts.items() if k != "generator"}, sort_keys=True),
)
table, summary = calibration(
    inp, snakemake.output.export, cleaning_settings(snakemake.params.cleaning, snakemake.params.survey_cfg)
)
write_csv(table, snakemake.output.calibration)
write_dictionary(table_docs(), snakemake.output.calibration_dict, table)
log.info("%s: calibration %s", survey, json.dumps(summary, sort_keys=True))
print(
    f"[simulate] {survey}: "
    + ", ".join(
        f"{k} {v['within']}/{v['targets']}"
        for k, v in summary.items()
        if isinstance(v, dict) and "targets" in v
    )
)
