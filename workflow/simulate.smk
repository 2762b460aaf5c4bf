# The synthetic-data generator as a workflow of its own (package mhsim). The analysis
# (Snakefile) never imports it: it reads the committed exports in data/synthetic/ as plain inputs.
#
#     make simulate                                                   # = the first line
#     snakemake -s workflow/simulate.smk --cores 2                    # regenerate what is out of date
#     snakemake -s workflow/simulate.smk --cores 2 --forcerun simulate             # exports from the models
#     snakemake -s workflow/simulate.smk --cores 2 --forcerun simulate_calibrate   # re-solve the models too
#
# REQUIRED INPUTS
#     simulation.<survey>                    config/simulation/<survey>.yaml (targets, seed, quirks)
#     config/simulation/<survey>_items.yaml  chapter-2 spec (beside the simulation config)
#     surveys.<survey>.codebook              codebook YAML
#     scoring_config                         config/scoring.yaml (the report rules the model is calibrated to)
#     data/published/*.csv                   the published numbers (calibration targets)
# OUTPUTS (data/synthetic/, committed: they are the inputs of the analysis)
#     <survey>_model.json                    calibrated model parameters (rule simulate_calibrate, slow)
#     <survey>_export.csv                    raw export (rule simulate)
#     <survey>_calibration.csv (+ .dictionary.csv)  every target: published vs generated after the
#                                            pipeline's own cleaning and scoring, tolerance, within
#     synthetic.json                         the "Syntetiske data" marker with the quirk counts
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/simulate.smk"
