"""Shared helpers of the workflow: config validation, path lookups and derived code inputs.

Validates config/config.yaml against workflow/schemas/config.schema.yaml at start-up, and every
file it references (scoring, estimates, codebooks, simulation targets; mhsurvey.configfiles):
an unknown key or a wrong type stops the run with a message naming the file and the key path.
"""

from pathlib import Path

from mhsurvey.codedeps import code_inputs as _code_inputs
from mhsurvey.config import validate_config
from mhsurvey.configfiles import items_spec_path, validate_config_files

validate_config(config, source="config (config/config.yaml + --configfile/--config)")
# Every file the config names (scoring, estimates, codebooks, simulation targets), at start-up too.
validate_config_files(config, cache=".snakemake/mhsurvey/validated.json")

SURVEYS = sorted(config["surveys"])


wildcard_constraints:
    survey="|".join(SURVEYS),


def survey_cfg(wildcards):
    """The config block of the survey in the wildcard."""
    return config["surveys"][wildcards.survey]


def export_path(wildcards):
    """Raw export of the survey (config key surveys.<survey>.export)."""
    return survey_cfg(wildcards)["export"]


def codebook_path(wildcards):
    """Codebook of the survey (config key surveys.<survey>.codebook)."""
    return survey_cfg(wildcards)["codebook"]


def exclusions_input(wildcards):
    """Configured exclusion list, if any (as a named input so edits trigger a rerun)."""
    path = survey_cfg(wildcards).get("exclusions")
    return [path] if path else []


def final_targets():
    """Everything `snakemake` builds by default, for every survey."""
    targets = []
    for survey in SURVEYS:
        targets += [
            f"results/{survey}/01_clean/responses.csv",
            f"results/{survey}/01_clean/cleaning_summary.json",
            f"results/{survey}/02_scores/scores.csv",
            f"results/{survey}/02_scores/sensitivity.csv",
            f"results/{survey}/03_reliability/reliability.csv",
            f"results/{survey}/04_estimates/estimates.csv",
            f"results/{survey}/04_estimates/subgroup_tests.csv",
            f"results/{survey}/04_estimates/margins_table.csv",
            f"results/{survey}/05_figures",
        ]
    return targets


def simulation_config_path(wildcards):
    """Synthetic-data targets of the survey (config key simulation.<survey>)."""
    return config["simulation"][wildcards.survey]


def simulation_items_path(wildcards):
    """Chapter-2 spec of the survey: <survey>_items.yaml beside its simulation config."""
    return items_spec_path(simulation_config_path(wildcards))


# Repository root (this file is workflow/rules/common.smk), whichever Snakefile includes it.
REPO_ROOT = Path(str(workflow.current_basedir)).resolve().parents[1]


def code_inputs(script):
    """The `code` input of a rule running `script` (repo-relative, e.g. "workflow/scripts/score.py").

    The modules of mhsurvey/mhsim the script imports, transitively (also inside functions), and
    the JSON schemas they validate against, as repo-relative paths (mhsurvey.codedeps.code_inputs).
    Editing any of them triggers a rerun: Snakemake tracks the script itself but not what it imports.
    Computed by parsing the files, once per snakemake call.
    """
    return _code_inputs(script, REPO_ROOT)


def package_code(*names):
    """Deprecated hand-kept list of package modules; use code_inputs(script) instead.

    Kept only until rules written against it on other branches are converted.
    """
    files = []
    for name in names:
        path = Path(workflow.basedir) / "workflow" / "mhsurvey" / name
        if path.is_dir():
            files += sorted(str(p.relative_to(workflow.basedir)) for p in path.glob("*.py"))
        else:
            files.append(str(path.relative_to(workflow.basedir)))
    return files
