"""Population reference values (Statistics Norway) and their comparison with the estimates.

The values live in ``data/reference/ssb.csv`` (source, year and survey of each; unavailable
values are rows with ``available = false``, never invented); ``population_reference:`` in
``config/estimates.yaml`` links them to categories of ``estimates.csv``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtr

from .errors import ConfigError, InputDataError
from .estimate_settings import ReferenceLink

log = logging.getLogger("mhsurvey.reference")


REFERENCE_COLUMNS = (
    "ref_id",
    "ref_available",
    "ref_pct",
    "ref_year",
    "ref_survey",
    "ref_diff_pp",
    "ref_z",
    "ref_p_value",
)
REFERENCE_FILE_COLUMNS = (
    "ref_id",
    "measure",
    "category",
    "label_no",
    "label_en",
    "pct",
    "n",
    "year",
    "survey",
    "source",
    "available",
    "note",
)


def read_reference(path: str | Path) -> pd.DataFrame:
    """Read ``data/reference/ssb.csv`` and check its columns and availability flags."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in REFERENCE_FILE_COLUMNS if c not in df.columns]
    if missing:
        raise InputDataError(f"reference table lacks columns {missing}", file=str(path))
    bad = df.loc[~df["available"].isin(["true", "false"]), "available"]
    if len(bad):
        raise InputDataError(
            "available must be true or false", file=str(path), column="available", value=bad.iloc[0]
        )
    no_pct = df[(df["available"] == "true") & (df["pct"] == "")]
    if len(no_pct):
        raise InputDataError(
            "an available reference value has no pct",
            file=str(path),
            column="pct",
            value=no_pct["ref_id"].iloc[0],
        )
    if df["ref_id"].duplicated().any():
        raise InputDataError(
            "duplicated ref_id",
            file=str(path),
            column="ref_id",
            value=df.loc[df["ref_id"].duplicated(), "ref_id"].iloc[0],
        )
    return df


def reference_test(count: int, n: int, ref_pct: float) -> tuple[float, float]:
    """One-sample score test of the sample share against a population value held fixed.

    ``proportions_ztest(count, n, value=p0, prop_var=p0)``: z = (p̂ − p0)/√(p0(1 − p0)/n), p =
    2 Φ(−|z|). The population value's own sampling error is ignored (SSB n ≈ 11,500 against
    n ≈ 1,700 here). Written with statsmodels' operations in its order (bit-identical; statsmodels
    is the reference of ``tests/test_estimates.py``), so the stage need not import statsmodels.
    """
    p0 = ref_pct / 100.0
    if n <= 0 or not 0.0 < p0 < 1.0:
        return np.nan, np.nan
    diff = np.asarray(count) * 1.0 / (np.asarray(n) * np.ones_like(np.asarray(count))) - p0
    std = np.sqrt(p0 * (1 - p0) * np.sum(1.0 / (np.asarray(n) * np.ones_like(np.asarray(count)))))
    z = diff / std
    return float(z), float(ndtr(-np.abs(z)) * 2)  # norm.sf(|z|) * 2


def attach_reference(
    estimates: pd.DataFrame, reference: pd.DataFrame, links: Sequence[ReferenceLink]
) -> pd.DataFrame:
    """Add the population comparison columns to ``estimates`` (empty where no link applies).

    A link with a ``category`` applies to that category of ``variable``; a link without one to
    every code/level category of ``variable`` not linked otherwise. ``ref_diff_pp`` = pct − ref_pct,
    with the score test of :func:`reference_test`. Links to unavailable values are shown with
    ``ref_available = 0`` and no numbers. Unknown ``ref_id``s are a ``ConfigError``; links whose
    variable is absent in this survey are logged.
    """
    out = estimates.copy()
    for c in REFERENCE_COLUMNS:
        out[c] = pd.Series([pd.NA] * len(out), dtype="object")
    ref = reference.set_index("ref_id")
    for link in sorted(links, key=lambda lk: lk.category is None):
        if link.ref_id not in ref.index:
            raise ConfigError(f"population_reference: ref_id {link.ref_id!r} is not in the reference table")
        r = ref.loc[link.ref_id]
        target = out["variable"] == link.variable
        if link.category is not None:
            target &= out["category"] == link.category
        else:
            target &= out["category_kind"].isin(["code", "level"])
        target &= out["ref_id"].isna()
        if not target.any():
            log.warning(
                "population reference %s: no estimate row for %s/%s",
                link.ref_id,
                link.variable,
                link.category,
            )
            continue
        available = r["available"] == "true"
        for i in out.index[target]:
            out.at[i, "ref_id"] = link.ref_id
            out.at[i, "ref_available"] = int(available)
            out.at[i, "ref_year"] = r["year"]
            out.at[i, "ref_survey"] = r["survey"]
            if available and not out.at[i, "suppressed"]:
                ref_pct = float(r["pct"])
                z, p = reference_test(int(out.at[i, "count"]), int(out.at[i, "base_n"]), ref_pct)
                out.at[i, "ref_pct"] = ref_pct
                out.at[i, "ref_diff_pp"] = float(out.at[i, "pct"]) - ref_pct
                out.at[i, "ref_z"] = z
                out.at[i, "ref_p_value"] = p
    for c in ("ref_pct", "ref_diff_pp", "ref_z", "ref_p_value"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    out["ref_available"] = out["ref_available"].astype("Int64")
    return out
