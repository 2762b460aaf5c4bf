"""Rule wave_comparison: two waves' estimates.csv -> results/waves/compare/<from>-<to>/<survey>/ (see workflow/rules/waves.smk)."""

from mhsurvey.dictionary import write_dictionary
from mhsurvey.estimate_settings import load_settings
from mhsurvey.io import write_csv
from mhsurvey.logs import setup_logging
from mhsurvey.waves import compare_waves, comparison_docs, read_estimates

log = setup_logging(snakemake)
settings = load_settings(snakemake.input.settings)
p = snakemake.params
table = compare_waves(
    read_estimates(snakemake.input.earlier),
    read_estimates(snakemake.input.later),
    settings,
    survey=p.kind,
    waves=(p.wave_from, p.wave_to),
    years=(p.year_from, p.year_to),
    names=(snakemake.input.earlier, snakemake.input.later),
)
write_csv(table, snakemake.output.comparison)
write_dictionary(comparison_docs(settings), snakemake.output.comparison_dict, table)
sig = table[table["significant"] == 1]
log.info(
    "%s %s -> %s: %d outcome categories, %d tested, %d significant (%d up, %d down; adjust %s)",
    p.kind,
    p.wave_from,
    p.wave_to,
    len(table),
    int(table["tested"].sum()),
    len(sig),
    int((sig["change_pp"] > 0).sum()),
    int((sig["change_pp"] < 0).sum()),
    settings.adjust,
)
