"""Rule unit_subset: results/<kind>/01_clean/ -> results/units/<unit>/<kind>/01_clean/ (workflow/rules/units.smk)."""

import json
from pathlib import Path

import pandas as pd

from mhsurvey.io import atomic_outputs, read_responses, write_csv, write_json
from mhsurvey.logs import setup_logging
from mhsurvey.units import Unit, subset_clean

log = setup_logging(snakemake)
unit = Unit(**snakemake.params.unit)
out = dict(snakemake.output.items())
responses, flags, exclusions, summary = subset_clean(
    read_responses(snakemake.input.responses),
    pd.read_csv(snakemake.input.flags, dtype=str, keep_default_na=False),
    pd.read_csv(snakemake.input.exclusions, dtype=str, keep_default_na=False),
    json.loads(Path(snakemake.input.summary).read_text(encoding="utf-8")),
    unit,
    key=snakemake.params.key,
    min_n=snakemake.params.min_n,
)
with atomic_outputs(out) as tmp:
    write_csv(responses, tmp["responses"])
    write_csv(
        pd.read_csv(snakemake.input.responses_dict, dtype=str, keep_default_na=False), tmp["responses_dict"]
    )
    write_csv(exclusions, tmp["exclusions"], spreadsheet_safe=True)
    write_csv(
        pd.read_csv(snakemake.input.exclusions_dict, dtype=str, keep_default_na=False), tmp["exclusions_dict"]
    )
    write_csv(flags, tmp["flags"], spreadsheet_safe=True)
    write_csv(pd.read_csv(snakemake.input.flags_dict, dtype=str, keep_default_na=False), tmp["flags_dict"])
    write_json(summary, tmp["summary"])
u = summary["unit"]
log.info(
    "%s: unit %s (%s = %s): n = %d of %d",
    snakemake.params.key,
    unit.id,
    unit.column,
    unit.code,
    u["n"],
    u["service_n"],
)
