"""Input files of rule ``audit`` (a leaf: no pandas, so Snakemake's start-up stays light)."""

from __future__ import annotations

from collections.abc import Mapping


def rule_inputs(surveys: list[str], config: Mapping) -> dict[str, str]:
    """Per-survey stage outputs of rule ``audit``, named ``<table>_<survey>`` (workflow/rules/audit.smk)."""
    files = {"reliability_current": "results/current/03_reliability/reliability.csv"}
    for s in surveys:
        files[f"estimates_{s}"] = f"results/{s}/04_estimates/estimates.csv"
        files[f"subgroup_tests_{s}"] = f"results/{s}/04_estimates/subgroup_tests.csv"
        files[f"margins_{s}"] = f"results/{s}/04_estimates/margins_table.csv"
        files[f"cleaning_{s}"] = f"results/{s}/01_clean/cleaning_summary.json"
        files[f"sensitivity_{s}"] = f"results/{s}/02_scores/sensitivity.csv"
        files[f"codebook_{s}"] = config["surveys"][s]["codebook"]
    return files
