"""Read what the figures of one survey are drawn from (the only module of the package that reads).

- stage-04 tables ``estimates.csv`` and ``subgroup_tests.csv``, as text (keys stay "1", not 1.0)
- the synthetic-data marker of ``01_clean/cleaning_summary.json`` (``data.synthetic``,
  ``data.label_no`` / ``label_en``): passed to the figures as data, never hard-coded
- ``significance.min_n`` of ``config/estimates.yaml`` (the small-n threshold)
- the trust bands of ``config/scoring.yaml`` (``instruments.trust.categories``)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..codebook import load_codebook
from ..config import load_yaml_validated
from ..errors import ConfigError
from .build import SurveyInputs
from .labels import build_labels


def read_table(path: str | Path) -> pd.DataFrame:
    """A stage-04 table with every cell as text ('' = empty)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def synthetic_label(summary_path: str | Path, lang: str = "no") -> str:
    """The "Syntetiske data" mark if the cleaning summary says the data are synthetic, else ''."""
    path = Path(summary_path)
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read cleaning summary {path}: {exc}") from exc
    data = summary.get("data") or {}
    if not data.get("synthetic"):
        return ""
    label = data.get(f"label_{lang}") or data.get("label_no")
    if not label:
        raise ConfigError(f"{path}: data.synthetic is true but data.label_{lang} is missing")
    return str(label)


def trust_bands(scoring_path: str | Path) -> list[dict[str, Any]]:
    """``instruments.trust.categories`` of config/scoring.yaml: name, min, max of each band."""
    scoring = load_yaml_validated(scoring_path, "scoring.schema.yaml")
    cats = scoring.get("instruments", {}).get("trust", {}).get("categories", [])
    return [{"name": c["name"], "min": c["min"], "max": c["max"]} for c in cats]


def load_survey_inputs(
    survey: str,
    estimates: str | Path,
    subgroup_tests: str | Path,
    codebook: str | Path,
    summary: str | Path,
    estimates_config: str | Path,
    scoring: str | Path,
    style: dict[str, Any],
) -> SurveyInputs:
    """Read every input of one survey's figures."""
    est = read_table(estimates)
    sub = read_table(subgroup_tests)
    settings = load_yaml_validated(estimates_config, "estimates.schema.yaml")
    return SurveyInputs(
        survey=survey,
        tables={"estimates": est, "subgroup_tests": sub},
        labels=build_labels(style, est, load_codebook(codebook)),
        synthetic_label=synthetic_label(summary),
        synthetic_label_en=synthetic_label(summary, "en"),
        min_n=int(settings["significance"]["min_n"]),
        bands=trust_bands(scoring),
    )
