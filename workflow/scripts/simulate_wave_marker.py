"""Rule simulate_wave_marker: data/synthetic/waves/<wave>/synthetic.json (see workflow/simulate.smk)."""

from mhsim.marker import wave_marker
from mhsurvey.io import write_json
from mhsurvey.logs import setup_logging

log = setup_logging(snakemake)
kinds = list(snakemake.params.kinds)
doc = wave_marker(
    snakemake.wildcards.wave,
    kinds,
    list(snakemake.input.exports),
    list(snakemake.input.wave_config),
    list(snakemake.input.sim_config),
    list(snakemake.input.codebook),
    list(snakemake.input.changes),
    snakemake.input.scoring,
    list(snakemake.input.published),
)
write_json(doc, snakemake.output.marker)
log.info("wave marker written for %s", kinds)
