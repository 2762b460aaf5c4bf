"""Rule audit: published numbers + crosswalk + stage outputs -> reproduction audit and errata
(see workflow/rules/audit.smk; logic in mhsurvey.audit)."""

from mhsurvey.audit.errata import errata_docs
from mhsurvey.audit.regenerate import read_results
from mhsurvey.audit.reproduction import reproduction_docs, summary_docs
from mhsurvey.audit.run import run_audit
from mhsurvey.dictionary import write_dictionary
from mhsurvey.io import write_csv
from mhsurvey.logs import setup_logging

log = setup_logging(snakemake)
inp = snakemake.input
surveys = list(snakemake.params.surveys)
results = {}
for s in surveys:
    keys = ("estimates", "subgroup_tests", "margins", "cleaning", "sensitivity")
    paths = {key: inp[f"{key}_{s}"] for key in keys}
    if s == "current":
        paths["reliability"] = inp.reliability_current
    results[s] = read_results(paths)
out = run_audit(
    published_paths=list(inp.published),
    crosswalk_path=inp.crosswalk,
    estimates_config=inp.settings,
    codebooks={s: inp[f"codebook_{s}"] for s in surveys},
    results=results,
)
for table, docs, name in (
    (out.errata, errata_docs(), "errata"),
    (out.reproduction, reproduction_docs(), "reproduction"),
    (out.summary, summary_docs(), "summary"),
):
    write_csv(table, snakemake.output[name])
    write_dictionary(docs, snakemake.output[f"{name}_dict"], table)
overall = out.summary.iloc[0]
log.info(
    "audit: %d published numbers, %d mapped with a value, %d within their margin (%.1f %%), %d errata",
    len(out.reproduction),
    overall["n_mapped"],
    overall["n_within"],
    100 * overall["share_within"],
    len(out.errata),
)
