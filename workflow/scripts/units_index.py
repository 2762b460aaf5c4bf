"""Checkpoint units_index: respondents per unit -> results/units/units.csv (workflow/rules/units.smk)."""

from mhsurvey.dictionary import docs_from_mapping, write_dictionary
from mhsurvey.io import read_responses, write_csv
from mhsurvey.logs import setup_logging
from mhsurvey.units import INDEX_DOC, Unit, units_index

log = setup_logging(snakemake)
units = [Unit(**u) for u in snakemake.params.units]
responses = {
    kind: read_responses(path)
    for kind, path in zip(snakemake.params.kinds, snakemake.input.responses, strict=True)
}
index = units_index(responses, units, min_n=snakemake.params.min_n)
write_csv(index, snakemake.output.index)
write_dictionary(docs_from_mapping(INDEX_DOC), snakemake.output.index_dict, index)
for r in index[index["edition"] == 0].drop_duplicates("unit").itertuples():
    log.warning("unit %s (%s) gets no edition: %s", r.unit, r.label_en, r.reason)
log.info("units with an edition: %s", ", ".join(index[index["edition"] == 1]["unit"].unique()))
