"""Derived breakdowns of ``scores.csv``: merged incident categories, recoded groups, conditions.

Definitions and Norwegian labels live in ``config/scoring.yaml`` (``derived:``); column ids follow
``docs/architecture.md``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..codebook import Codebook
from .logic import tri

log = logging.getLogger("mhsurvey.scoring")


def merged_incidents(
    responses: pd.DataFrame, codebook: Codebook, cfg: Mapping[str, Any]
) -> dict[str, pd.arrays.BooleanArray]:
    """Merged incident categories (Figur 2) from the multi-select ``incidents_<option>`` columns.

    A category is True if any of its ``options`` (or any ``include``-d earlier category) is
    ticked; False if the question was answered (some option column non-empty, the refusal option
    not ticked) and none is ticked; NA otherwise (not answered, or only "Ønsker ikke svare").
    The option columns are the codebook question's; categories whose columns are absent are
    skipped with a warning.
    """
    q = cfg["question"]
    try:
        question = codebook.question(q)
    except KeyError:
        log.warning("question %s not in the codebook: merged incident categories skipped", q)
        return {}
    opt_cols = [c.name for c in question.columns if c.qtype == "multi" and c.name in responses.columns]
    if not opt_cols:
        log.warning("no %s option columns in responses: merged incident categories skipped", q)
        return {}
    answered = responses[opt_cols].notna().any(axis=1).to_numpy()
    refusal = f"{q}_{cfg['refusal_option']}"
    if refusal in responses.columns:
        answered &= ~(responses[refusal].fillna(0).to_numpy() == 1)
    out: dict[str, pd.arrays.BooleanArray] = {}
    for name, spec in cfg["merged"].items():
        cols = [f"{q}_{o}" for o in spec.get("options", [])]
        absent = [c for c in cols if c not in responses.columns]
        if absent:
            log.warning("merged category %s skipped: columns %s not in responses", name, absent)
            continue
        ticked = np.zeros(len(responses), dtype=bool)
        for c in cols:
            ticked |= responses[c].fillna(0).to_numpy() == 1
        skip = [inc for inc in spec.get("include", []) if inc not in out]
        if skip:
            log.warning("merged category %s skipped: included categories %s unavailable", name, skip)
            continue
        for inc in spec.get("include", []):
            ticked |= np.asarray(out[inc].fillna(False), dtype=bool)
        out[name] = tri(ticked & answered, answered)
    return out


def grouping(responses: pd.DataFrame, spec: Mapping[str, Any]) -> pd.Series | None:
    """Recode ``spec['source']`` into the level codes of ``spec['levels']`` (nullable Int64).

    Codes not listed in any level (empty, non-substantive) become missing. Returns ``None`` with a
    warning when the source column is absent.
    """
    src = spec["source"]
    if src not in responses.columns:
        log.warning("grouping source column %s not in responses: skipped", src)
        return None
    mapping = {code: lv["code"] for lv in spec["levels"] for code in lv["from"]}
    values = responses[src].astype("Int64")
    return values.map(mapping, na_action="ignore").astype("Int64")
