"""Rule ``audit`` end to end: published table + crosswalk + stage outputs -> errata, reproduction, summary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..estimates import load_settings
from .crosswalk import load_crosswalk, resolve_all, vocabulary
from .errata import (
    check_caption_references,
    check_category_sums,
    check_figure_numbers,
    check_nesting,
    check_printed_rules,
    check_subgroup_averages,
    composition_frame,
    errata_table,
    evidence_map,
    facts_frame,
    figure_index,
)
from .published import load_published
from .regenerate import Results
from .reproduction import reproduction_table, summary_table


@dataclass(frozen=True)
class AuditOutputs:
    """The three tables the rule writes."""

    reproduction: pd.DataFrame
    summary: pd.DataFrame
    errata: pd.DataFrame


def run_audit(
    published_paths: list[str | Path],
    crosswalk_path: str | Path,
    estimates_config: str | Path,
    codebooks: Mapping[str, str | Path],
    results: Mapping[str, Results],
) -> AuditOutputs:
    """Resolve every published id, run the errata checks, regenerate and compare (docs/audit.md)."""
    published = load_published(published_paths)
    crosswalk = load_crosswalk(crosswalk_path)
    vocab = vocabulary(codebooks, estimates_config)
    resolutions = resolve_all(published, crosswalk, vocab)
    z = load_settings(estimates_config).report_z
    cfg = crosswalk["errata"]

    facts = facts_frame(published, resolutions, vocab)
    composition = composition_frame({s: r.subgroup_tests for s, r in results.items()})
    index = figure_index(published, cfg["figure_measures"])
    sensitivity = {s: r.sensitivity for s, r in results.items() if r.sensitivity is not None}
    findings = (
        check_category_sums(facts, cfg["sum_tolerance_per_category"])
        + check_subgroup_averages(facts, composition, cfg["average_slack"], cfg["average_min_coverage"])
        + check_printed_rules(published, sensitivity, cfg["printed_rules"], z)
        + check_figure_numbers(index)
        + check_caption_references(index, cfg["caption_references"])
        + check_nesting(facts, cfg["nested"])
    )
    errata = errata_table(findings)
    synthetic = all(bool(r.cleaning.get("data", {}).get("synthetic", False)) for r in results.values())
    repro = reproduction_table(published, resolutions, results, z, evidence_map(errata), synthetic)
    return AuditOutputs(repro, summary_table(repro), errata)
