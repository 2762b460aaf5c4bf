"""Rule simulate_calibrate: solve the synthetic-data model of one survey (see workflow/simulate.smk)."""

from pathlib import Path

from mhsim.run import calibrate, load_inputs
from mhsurvey.logs import setup_logging

log = setup_logging(snakemake)
inp = load_inputs(
    snakemake.input.sim_config,
    snakemake.input.codebook,
    snakemake.input.scoring,
    list(snakemake.input.published),
)
model = calibrate(inp)
Path(snakemake.output.model).write_text(model.dumps(), encoding="utf-8")
log.info("%s: model written to %s", snakemake.wildcards.survey, snakemake.output.model)
