"""Regenerated values of crosswalk targets, with their margin of error (docs/audit.md §2).

Margins of error are report style (Vedlegg 3, docs/methods.md §1): ``100 * z * sqrt(p (1 - p) / n)``
with the report's ``z`` (config/estimates.yaml ``report_z`` = 2), i.e. the ``moe_report`` column
of estimates.csv / subgroup_tests.csv. Derived values propagate it:

* merged categories and pooled levels: the same formula on the summed counts and bases;
* complement (100 - share): the margin of the share;
* difference of two shares (the study prints the size of the gap, ``|a - b|``; which side is
  higher is in the prose): ``sqrt(moe_a^2 + moe_b^2)`` (independent samples; conservative for a
  level vs the total, which contains it);
* range over cells: each end keeps the margin of the cell it comes from; the row's margin is the
  larger of the two;
* Cronbach's alpha: half the width of the Feldt 95 % interval of reliability.csv;
* margins-table values and counts: exact (margin 0).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputDataError
from .crosswalk import Cell, Target


@dataclass(frozen=True)
class Value:
    """A regenerated value: ``value`` (float or ``(low, high)``), margin, base and print format.

    ``digits`` = decimals of the printed value (0 for percentages, 2 for alphas, 1 for margins);
    ``allowance`` = half a unit of the printed value's rounding (0.5 points; 1.0 for a difference of
    two rounded shares; 0.005 for alphas; 0 for counts).
    """

    value: float | tuple[float, float]
    moe: float
    base_n: int | None
    digits: int
    allowance: float


@dataclass
class Results:
    """The stage outputs one survey's audit reads (paths as in the rule ``audit``)."""

    estimates: pd.DataFrame
    subgroup_tests: pd.DataFrame
    margins: pd.DataFrame
    cleaning: Mapping[str, Any]
    reliability: pd.DataFrame | None = None
    sensitivity: pd.DataFrame | None = None

    def rows_of(self, table: str, variable: str) -> pd.DataFrame:
        """Rows of ``estimates`` / ``subgroup_tests`` for one variable (indexed once, then cached)."""
        cache = self.__dict__.setdefault("_by_variable", {})
        if table not in cache:
            cache[table] = {v: g for v, g in getattr(self, table).groupby("variable", sort=False)}
        return cache[table].get(variable, getattr(self, table).iloc[0:0])


def read_results(paths: Mapping[str, str | Path]) -> Results:
    """Read one survey's tables: keys estimates, subgroup_tests, margins, cleaning[, reliability,
    sensitivity]."""

    def csv(key: str) -> pd.DataFrame:
        return pd.read_csv(
            paths[key], dtype={"category": str, "level": str}, keep_default_na=True, encoding="utf-8"
        )

    cleaning = json.loads(Path(paths["cleaning"]).read_text(encoding="utf-8"))
    return Results(
        estimates=csv("estimates"),
        subgroup_tests=csv("subgroup_tests"),
        margins=csv("margins"),
        cleaning=cleaning,
        reliability=csv("reliability") if "reliability" in paths else None,
        sensitivity=pd.read_csv(paths["sensitivity"], dtype={"fi_option": str})
        if "sensitivity" in paths
        else None,
    )


def report_moe(p: float, n: float, z: float) -> float:
    """Report-style margin in points: ``100 * z * sqrt(p (1 - p) / n)`` (Vedlegg 3; docs/methods.md §1)."""
    if n <= 0:
        return math.nan
    return 100.0 * z * math.sqrt(max(p * (1.0 - p), 0.0) / n)


class AuditError(InputDataError):
    """A target the results do not contain (names the file, the id and the missing cell)."""


def cell_counts(cell: Cell, results: Mapping[str, Results], where: str) -> tuple[float, float]:
    """``(count, base)`` of a cell: counts summed over its category keys and pooled levels."""
    res = results[cell.survey]
    keys = list(cell.category.keys)
    if not cell.breakdown:
        t = res.rows_of("estimates", cell.variable)
        rows = t[t["category"].isin(keys)]
        if len(rows) != len(keys):
            raise AuditError(
                f"{where}: estimates.csv has {len(rows)} of the {len(keys)} categories {keys} of "
                f"{cell.variable!r}",
                file=f"results/{cell.survey}/04_estimates/estimates.csv",
                column="variable",
                value=cell.variable,
            )
        return float(rows["count"].sum()), float(rows["base_n"].iloc[0])
    t = res.rows_of("subgroup_tests", cell.variable)
    rows = t[
        (t["breakdown"] == cell.breakdown)
        & (t["level_label_no"].isin(cell.levels))
        & (t["category"].isin(keys))
    ]
    if len(rows) != len(keys) * len(cell.levels):
        raise AuditError(
            f"{where}: subgroup_tests.csv has {len(rows)} of {len(keys) * len(cell.levels)} rows "
            f"for {cell.describe()}",
            file=f"results/{cell.survey}/04_estimates/subgroup_tests.csv",
            column="level_label_no",
            value="+".join(cell.levels),
        )
    base = float(rows.drop_duplicates("level")["n"].sum())
    return float(rows["count"].sum()), base


def cell_value(cell: Cell, results: Mapping[str, Results], z: float, where: str) -> Value:
    """Share of a cell in percent (or 100 minus it) with its report-style margin."""
    count, base = cell_counts(cell, results, where)
    p = count / base if base > 0 else math.nan
    pct = 100.0 * p
    if cell.category.complement:
        pct = 100.0 - pct
    return Value(pct, report_moe(p, base, z), int(base), 0, 0.5)


def evaluate(target: Target, results: Mapping[str, Results], z: float, where: str) -> Value:
    """The regenerated :class:`Value` of a target (formulas: module docstring)."""
    if target.kind in ("estimate", "subgroup", "complement", "merged", "pooled"):
        return cell_value(target.cells[0], results, z, where)
    if target.kind == "difference":
        a = cell_value(target.cells[0], results, z, where)
        b = cell_value(target.cells[1], results, z, where)
        return Value(abs(float(a.value) - float(b.value)), math.hypot(a.moe, b.moe), a.base_n, 0, 1.0)
    if target.kind == "range":
        vals = [cell_value(c, results, z, where) for c in target.cells]
        lo = min(vals, key=lambda v: float(v.value))
        hi = max(vals, key=lambda v: float(v.value))
        return Value(
            (float(lo.value), float(hi.value)), max(lo.moe, hi.moe), min(v.base_n or 0 for v in vals), 0, 0.5
        )
    params = target.params
    res = results[params["survey"]]
    if target.kind == "reliability":
        t = res.reliability
        row = t[t["scale"] == params["scale"]] if t is not None else pd.DataFrame()
        if row.empty:
            raise AuditError(
                f"{where}: reliability.csv has no scale {params['scale']!r}",
                file="results/current/03_reliability/reliability.csv",
                column="scale",
                value=params["scale"],
            )
        row = row.iloc[0]
        if params["field"] == "k":
            return Value(float(row["k"]), 0.0, int(row["n"]), 0, 0.0)
        half = (float(row["alpha_ci_high"]) - float(row["alpha_ci_low"])) / 2.0
        return Value(float(row["alpha"]), half, int(row["n"]), 2, 0.005)
    if target.kind == "margins":
        t = res.margins
        sel = t[(t["n"] == params["n"]) & (t["z_name"] == "report")]
        vals = []
        for p in params["p"]:
            hit = sel[(sel["p"] - p).abs() < 1e-9]
            if hit.empty:
                raise AuditError(
                    f"{where}: margins_table.csv has no row n={params['n']}, p={p}",
                    file=f"results/{params['survey']}/04_estimates/margins_table.csv",
                    column="p",
                    value=p,
                )
            vals.append(float(hit["moe_pp"].iloc[0]))
        if "interval_around" in params:
            c = float(params["interval_around"])
            return Value((c - vals[0], c + vals[0]), 0.0, int(params["n"]), 0, 0.5)
        if len(vals) == 1:
            return Value(vals[0], 0.0, int(params["n"]), 1, 0.05)
        return Value((min(vals), max(vals)), 0.0, int(params["n"]), 1, 0.05)
    if target.kind == "cleaning":
        total = 0.0
        for key in params["keys"]:
            node: Any = res.cleaning
            for part in key.split("."):
                node = node.get(part, 0) if isinstance(node, Mapping) else 0
            total += float(node)
        return Value(total, 0.0, None, 0, 0.0)
    raise ValueError(f"unknown target kind {target.kind!r}")
