"""Shared helpers of the workflow: config validation and path lookups.

Validates config/config.yaml against workflow/schemas/config.schema.yaml at start-up
(an unknown key or a wrong type stops the run with a message that names it).
"""

from pathlib import Path

from mhsurvey.config import validate_config

validate_config(config, source="config (config/config.yaml + --configfile/--config)")

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
        ]
    targets += ["reports/reproduction.csv", "results/audit/reproduction_summary.csv", "results/audit/errata.csv"]
    return targets


def simulation_config_path(wildcards):
    """Synthetic-data targets of the survey (config key simulation.<survey>)."""
    return config["simulation"][wildcards.survey]


def package_code(*names):
    """Package modules (files or subpackage folders under workflow/mhsurvey) a rule's script uses.

    Listed as the rule's `code` input, so editing them triggers a rerun: Snakemake tracks the
    script itself but not the modules it imports.
    """
    files = []
    for name in names:
        path = Path(workflow.basedir) / "workflow" / "mhsurvey" / name
        if path.is_dir():
            files += sorted(str(p.relative_to(workflow.basedir)) for p in path.glob("*.py"))
        else:
            files.append(str(path.relative_to(workflow.basedir)))
    return files
