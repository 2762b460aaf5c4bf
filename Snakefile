# Reproducible pipeline: raw survey export -> cleaned data -> scores -> reliability ->
# estimates and subgroup tests -> figures -> report. See README.md and docs/architecture.md.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/clean.smk"
include: "workflow/rules/score.smk"
include: "workflow/rules/reliability.smk"
include: "workflow/rules/estimates.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/audit.smk"
include: "workflow/rules/waves.smk"
include: "workflow/rules/report.smk"
# Last: the manifest lists every rule included before it.
include: "workflow/rules/provenance.smk"
# Unit (region) editions: target `units`, not built by default, so not in the manifest.
include: "workflow/rules/units.smk"


rule all:
    default_target: True
    input:
        final_targets(),
