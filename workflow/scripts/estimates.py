"""Rule estimates: responses + scores -> results/<survey>/04_estimates/ (see workflow/rules/estimates.smk)."""

from mhsurvey.codebook import load_codebook
from mhsurvey.dictionary import write_dictionary
from mhsurvey.estimates import load_settings, read_levels, read_scores, run_stage
from mhsurvey.io import read_responses, write_csv
from mhsurvey.logs import setup_logging
from mhsurvey.reference import read_reference

log = setup_logging(snakemake)
survey = snakemake.params.survey  # survey kind (a unit key "units/<unit>/<kind>" -> <kind>)
out = run_stage(
    responses=read_responses(snakemake.input.responses),
    scores=read_scores(snakemake.input.scores),
    codebook=load_codebook(snakemake.input.codebook),
    settings=load_settings(snakemake.input.settings),
    reference=read_reference(snakemake.input.reference),
    survey=survey,
    levels=read_levels(snakemake.input.levels),
)
for name, table, docs in (
    ("estimates", out.estimates, out.estimates_docs),
    ("subgroup_tests", out.subgroup_tests, out.subgroup_docs),
    ("margins", out.margins, out.margins_docs),
):
    write_csv(table, snakemake.output[name])
    write_dictionary(docs, snakemake.output[f"{name}_dict"], table)
log.info(
    "%s: wrote %d estimates, %d subgroup rows, %d margin rows",
    survey,
    len(out.estimates),
    len(out.subgroup_tests),
    len(out.margins),
)
