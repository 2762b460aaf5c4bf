"""Rule simulate_marker: data/synthetic/synthetic.json, the "Syntetiske data" marker (see simulate.smk)."""

from mhsurvey.io import write_json
from mhsurvey.logs import setup_logging
from mhsurvey.simulate.marker import marker

log = setup_logging(snakemake)
surveys = list(snakemake.params.surveys)
doc = marker(surveys, list(snakemake.params.exports), list(snakemake.input.sim_config),
             list(snakemake.input.codebook), list(snakemake.input.calibration), snakemake.input.scoring,
             list(snakemake.input.published))
write_json(doc, snakemake.output.marker)
log.info("marker written for %s", surveys)
