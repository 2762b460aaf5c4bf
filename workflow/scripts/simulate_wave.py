"""Rule simulate_wave: synthetic export of a further wave with configured changes (see workflow/simulate.smk)."""

import json

from mhsim.run import load_inputs
from mhsim.waves import changes_docs, load_wave_config, write_wave
from mhsurvey.dictionary import write_dictionary
from mhsurvey.io import write_csv
from mhsurvey.logs import setup_logging

log = setup_logging(snakemake)
wave_cfg = load_wave_config(snakemake.input.wave_config)
inp = load_inputs(
    snakemake.input.sim_config,
    snakemake.input.codebook,
    snakemake.input.scoring,
    list(snakemake.input.published),
    model=snakemake.input.model,
    items_spec=snakemake.input.items_spec,
)
counts, changes = write_wave(inp, wave_cfg, snakemake.output.export)
write_csv(changes, snakemake.output.changes)
write_dictionary(changes_docs(), snakemake.output.changes_dict, changes)
log.info(
    "wave %s/%s: export written: %s",
    snakemake.wildcards.wave,
    snakemake.wildcards.kind,
    json.dumps({k: v for k, v in counts.items() if k != "generator"}, sort_keys=True),
)
for row in changes.itertuples():
    log.info(
        "change %s: %.2f -> %.2f (configured %+.1f)",
        row.change_id,
        row.share_before,
        row.share_after,
        row.change_pp,
    )
print(
    f"[simulate_wave] {snakemake.wildcards.wave}/{snakemake.wildcards.kind}: {len(changes)} changes applied"
)
