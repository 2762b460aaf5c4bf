"""Rule simulate_marker: data/synthetic/synthetic.json, the "Syntetiske data" marker (see workflow/simulate.smk)."""

from mhsim.marker import marker
from mhsurvey.io import write_json
from mhsurvey.logs import setup_logging

log = setup_logging(snakemake)
surveys = list(snakemake.params.surveys)
doc = marker(
    surveys,
    list(snakemake.input.exports),
    list(snakemake.input.sim_config),
    list(snakemake.input.codebook),
    list(snakemake.input.calibration),
    snakemake.input.scoring,
    list(snakemake.input.published),
)
write_json(doc, snakemake.output.marker)
log.info("marker written for %s", surveys)
