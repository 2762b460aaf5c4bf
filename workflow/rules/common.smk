"""Shared helpers of the workflow: config validation, path lookups and derived code inputs.

Validates config/config.yaml against workflow/schemas/config.schema.yaml at start-up, and every
file it references (scoring, estimates, codebooks, simulation targets; mhsurvey.configfiles):
an unknown key or a wrong type stops the run with a message naming the file and the key path.
"""

import re
from pathlib import Path

from mhsurvey.codedeps import code_inputs as _code_inputs
from mhsurvey.config import validate_config
from mhsurvey.configfiles import items_spec_path, validate_config_files
from mhsurvey.report.editions import report_editions
from mhsurvey.surveys import comparison_dir, comparisons, survey_blocks, survey_kind
from mhsurvey.units import configured_units

#: Start-up cache of checks and values derived from config files (mhsurvey.startup): the config's
#: validation, units and editions, each reused while its inputs and code are unchanged.
STARTUP_CACHE = ".snakemake/mhsurvey/startup.json"
validate_config(config, source="config (config/config.yaml + --configfile/--config)", cache=STARTUP_CACHE)
# Every file the config names (scoring, estimates, codebooks, simulation targets), at start-up too.
validate_config_files(config, cache=".snakemake/mhsurvey/validated.json")

SURVEYS = sorted(config["surveys"])
# Survey keys of the primary wave plus those of further waves (config `waves:`, key
# waves/<wave>/<kind>, results under results/waves/<wave>/<kind>/; mhsurvey.surveys).
SURVEY_BLOCKS = survey_blocks(config)
WAVE_SURVEYS = sorted(set(SURVEY_BLOCKS) - set(SURVEYS))
WAVE_COMPARISONS = comparisons(config)


# Units of config `units` (one report edition each; workflow/rules/units.smk), by id.
UNITS = configured_units(
    config.get("units"), {s: config["surveys"][s]["codebook"] for s in SURVEYS}, cache=STARTUP_CACHE
)
# Survey keys of the units' surveys ("units/<unit>/<kind>"): stages 02-05 run on them unchanged.
UNIT_SURVEYS = [f"units/{u}/{s}" for u in UNITS for s in SURVEYS]


REPORT_EDITIONS = report_editions("config/report.yaml", cache=STARTUP_CACHE)  # file stem -> language


wildcard_constraints:
    survey="|".join(re.escape(s) for s in sorted(SURVEY_BLOCKS) + UNIT_SURVEYS),
    figdir="05_figures|05_figures_[a-z]+",
    edition="|".join(REPORT_EDITIONS),


def survey_cfg(wildcards):
    """The config block of the survey in the wildcard: surveys.<s>, waves.<w>.surveys.<s>, or for a
    unit key "units/<unit>/<kind>" the block of its kind."""
    if wildcards.survey in SURVEY_BLOCKS:
        return SURVEY_BLOCKS[wildcards.survey]
    return config["surveys"][survey_kind(wildcards.survey)]


def survey_kind_of(wildcards):
    """Survey kind of the wildcard's key (its last path component: waves/2025/current -> current)."""
    return survey_kind(wildcards.survey)


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
    for survey in WAVE_SURVEYS:  # further waves: stages 01-04 only (no figures)
        targets += [
            f"results/{survey}/01_clean/cleaning_summary.json",
            f"results/{survey}/03_reliability/reliability.csv",
            f"results/{survey}/04_estimates/estimates.csv",
        ]
    targets += wave_comparison_files()
    targets += ["reports/reproduction.csv", "results/audit/reproduction_summary.csv", "results/audit/errata.csv"]
    editions = report_editions("config/report.yaml", default_only=True, cache=STARTUP_CACHE)
    targets += [f"reports/{stem}.{ext}" for stem in editions for ext in ("html", "pdf")]
    targets.append("results/manifest.json")
    return targets


def wave_comparison_files():
    """The comparison tables of every pair of consecutive waves (empty without `waves:`)."""
    return [f"{comparison_dir(a, b, kind)}/comparison.csv" for a, b, kind in WAVE_COMPARISONS]


WAVE_PAIRS = {f"{a.id}-{b.id}/{kind}": (a, b, kind) for a, b, kind in WAVE_COMPARISONS}


def wave_pair(wildcards):
    """(earlier wave, later wave, kind) of the comparison in the wildcards (rule wave_comparison)."""
    return WAVE_PAIRS[f"{wildcards.pair}/{wildcards.kind}"]


# Further waves with a generator config (waves.<wave>.simulation; workflow/simulate.smk).
SIM_WAVES = {w: sorted(b.get("simulation") or {}) for w, b in (config.get("waves") or {}).items()}
SIM_WAVES = {w: kinds for w, kinds in SIM_WAVES.items() if kinds}


def wave_sim_config(wildcards):
    """Generator config of survey {kind} of wave {wave} (waves.<wave>.simulation.<kind>)."""
    return config["waves"][wildcards.wave]["simulation"][wildcards.kind]


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
    return _code_inputs(script, REPO_ROOT, cache=".snakemake/mhsurvey/codedeps.json")


# ---- stage 06 (report) and provenance -------------------------------------------------------

REPORT_TEMPLATES = sorted(
    str(p) for p in Path(workflow.basedir, "reports", "templates").rglob("*") if p.is_file()
)


def figures_lang(figdir):
    """Language of a figure folder: 05_figures -> no, 05_figures_<lang> -> <lang>."""
    return figdir.split("_", 2)[2] if figdir.count("_") == 2 else "no"


def report_figure_dirs(wildcards):
    """The figure folders of an edition (their print SVGs go into the PDF)."""
    from mhsurvey.report.editions import figures_dir

    return [f"results/{survey}/{figures_dir(REPORT_EDITIONS[wildcards.edition])}" for survey in SURVEYS]


def report_survey_inputs(wildcards):
    """Every results file of every survey that the report reads (figures in the edition's language)."""
    from mhsurvey.report.editions import figures_dir

    figures = figures_dir(REPORT_EDITIONS[wildcards.edition])
    files = []
    for survey in SURVEYS:
        files += [
            f"results/{survey}/01_clean/cleaning_summary.json",
            f"results/{survey}/01_clean/exclusions.csv",
            f"results/{survey}/02_scores/sensitivity.csv",
            f"results/{survey}/03_reliability/reliability.csv",
            f"results/{survey}/04_estimates/estimates.csv",
            f"results/{survey}/04_estimates/subgroup_tests.csv",
            f"results/{survey}/04_estimates/margins_table.csv",
            f"results/{survey}/{figures}",
        ]
    return files


INPUT_GLOBS = ("config/**/*.yaml", "config/**/*.mplstyle", "data/published/*.csv", "data/reference/*.csv",
               "reports/templates/**/*", "workflow/**/*.py", "workflow/**/*.smk", "workflow/schemas/*.yaml",
               "Snakefile", "requirements.lock")


def manifest_inputs():
    """Input files of the workflow (repository-relative), plus every survey's export and exclusion list."""
    files = set()
    for pattern in INPUT_GLOBS:
        files.update(str(p) for p in Path(".").glob(pattern) if p.is_file() and "__pycache__" not in p.parts)
    for survey in sorted(SURVEY_BLOCKS):
        files.add(SURVEY_BLOCKS[survey]["export"])
        if SURVEY_BLOCKS[survey].get("exclusions"):
            files.add(SURVEY_BLOCKS[survey]["exclusions"])
    return sorted(files)


def manifest_rules():
    """Every rule (included before this file) with its script and output patterns, as plain data."""
    import os

    out = []
    for r in workflow.rules:
        if r.name in ("all", "manifest") or not r.output:
            continue
        script = ""
        if r.script:
            script = os.path.relpath(os.path.normpath(os.path.join(os.path.dirname(r.snakefile), r.script)),
                                     workflow.basedir)
        from mhsurvey.provenance import DIRECTORY_SUFFIX

        patterns = [str(o) + (DIRECTORY_SUFFIX if o.flags.get("directory") else "") for o in r.output]
        out.append({"rule": r.name, "script": script, "patterns": patterns})
    return out


def git_commit_of(root):
    """HEAD of the repository (a param, so a new commit reruns the manifest)."""
    from mhsurvey.provenance import git_state

    return git_state(root)["commit"]


# ---- unit editions (workflow/rules/units.smk) ----------------------------------------------

def unit_report_inputs(wildcards):
    """The unit's results files the edition reads (those of report_survey_inputs, under results/units/<unit>/)."""
    return [p.replace("results/", f"results/units/{wildcards.unit}/", 1) for p in report_survey_inputs(wildcards)]


def unit_edition_targets(wildcards):
    """Every edition (HTML + PDF) of every unit with enough respondents (checkpoint units_index)."""
    import pandas as pd

    from mhsurvey.units import edition_units

    index = pd.read_csv(checkpoints.units_index.get().output.index, dtype={"unit": str})
    return [
        f"reports/units/{u}/{stem}.{ext}"
        for u in edition_units(index)
        for stem in report_editions("config/report.yaml", default_only=True, cache=STARTUP_CACHE)
        for ext in ("html", "pdf")
    ]
