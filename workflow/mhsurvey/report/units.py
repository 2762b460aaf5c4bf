"""The unit compared with the rest of the service, for a unit edition of the report.

Every number comes from the whole service's ``results/<kind>/04_estimates/subgroup_tests.csv``:
the rows whose breakdown column is the unit column (config ``units.column``) and whose level is
the unit's code already hold the unit's share (``pct``, ``n``), the share of the rest of the
service (``rest_pct``, ``rest_n``), the two-proportion z-test of the unit against the rest, the
adjusted p-value, ``significant``, and why a test was withheld (docs/methods.md, subgroup tests:
level vs rest). Nothing is recomputed here; suppressed cells (``suppressed`` = 1) stay hidden.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputDataError

#: p-value column per adjustment method of stage 04 (``adjust_method``).
P_COLUMN = {"holm": "p_holm", "fdr_bh": "p_bh", "none": "p_value"}


def _opt(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def _flag(v: Any) -> bool:
    return False if v is None or pd.isna(v) else bool(int(float(v)))


@dataclass(frozen=True)
class UnitRow:
    """One key outcome: the unit vs the rest of the service (one subgroup_tests.csv row)."""

    section: str
    variable: str
    category: str
    label_no: str
    label_en: str
    category_label_no: str
    category_label_en: str
    n: int | None
    pct: float | None
    rest_n: int | None
    rest_pct: float | None
    p_adjusted: float | None
    significant: bool
    withheld: str
    suppressed: bool

    @property
    def diff(self) -> float | None:
        """``pct - rest_pct`` in points (None when either is missing or suppressed)."""
        if self.suppressed or self.pct is None or self.rest_pct is None:
            return None
        return self.pct - self.rest_pct

    @property
    def result(self) -> str:
        """``higher`` / ``lower`` (significant), ``same`` (tested, not significant), ``suppressed``,
        or ``withheld`` (not tested: too few answers, empty cells, ...)."""
        if self.suppressed:
            return "suppressed"
        if self.withheld:
            return "withheld"
        if self.significant and self.diff is not None:
            return "higher" if self.diff > 0 else "lower"
        return "same"

    def label(self, lang: str = "no") -> str:
        return self.label_no if lang == "no" else self.label_en

    def category_label(self, lang: str = "no") -> str:
        return self.category_label_no if lang == "no" else self.category_label_en


def read_service_tests(path: str | Path) -> pd.DataFrame:
    """The whole service's subgroup_tests.csv (``category`` and ``level`` as text)."""
    path = Path(path)
    if not path.exists():
        raise InputDataError("unit edition: whole-service subgroup tests missing", file=str(path))
    return pd.read_csv(path, dtype={"category": "string", "level": "string", "withheld": "string"})


def unit_rows(
    tests: pd.DataFrame, column: str, code: int | str, key_numbers: Sequence[Mapping[str, Any]]
) -> list[UnitRow]:
    """The unit's row of each key outcome (config/report.yaml ``key_numbers``) that the survey has.

    Rows are those of ``tests`` with ``breakdown_column == column`` and ``level == str(code)``;
    a key outcome the survey does not ask is left out. The adjusted p-value is the column of the
    row's ``adjust_method`` (:data:`P_COLUMN`).
    """
    sub = tests[(tests["breakdown_column"] == column) & (tests["level"].astype(str) == str(code))]
    index = {(str(r["variable"]), str(r["category"])): r for r in sub.to_dict("records")}
    out = []
    for k in key_numbers:
        r = index.get((str(k["variable"]), str(k["category"])))
        if r is None:
            continue
        method = str(r.get("adjust_method") or "none")
        withheld = r.get("withheld")
        out.append(
            UnitRow(
                section=str(k["section"]),
                variable=str(r["variable"]),
                category=str(r["category"]),
                label_no=str(r["label_no"]),
                label_en=str(r.get("label_en", r["label_no"])),
                category_label_no=str(r["category_label_no"]),
                category_label_en=str(r.get("category_label_en", r["category_label_no"])),
                n=None if _opt(r.get("n")) is None else int(r["n"]),
                pct=_opt(r.get("pct")),
                rest_n=None if _opt(r.get("rest_n")) is None else int(r["rest_n"]),
                rest_pct=_opt(r.get("rest_pct")),
                p_adjusted=_opt(r.get(P_COLUMN.get(method, "p_value"))),
                significant=_flag(r.get("significant")),
                withheld="" if withheld is None or pd.isna(withheld) else str(withheld),
                suppressed=_flag(r.get("suppressed")),
            )
        )
    return out


def result_counts(rows: Sequence[UnitRow]) -> dict[str, int]:
    """How many key outcomes are significantly ``higher`` / ``lower`` than the rest, ``same``
    (tested, not significant), ``untested`` (withheld or suppressed), and ``tested`` in all."""
    counts = {"higher": 0, "lower": 0, "same": 0, "untested": 0}
    for r in rows:
        res = r.result
        counts["untested" if res in ("withheld", "suppressed") else res] += 1
    counts["tested"] = counts["higher"] + counts["lower"] + counts["same"]
    return counts


@dataclass
class UnitContext:
    """What a unit edition knows about its unit: who it is, and the service's tests of it."""

    unit: Mapping[str, Any]  # id, column, code, label_no, label_en (mhsurvey.units.Unit.as_dict)
    service_tests: Mapping[str, pd.DataFrame] = field(default_factory=dict)  # survey kind -> table

    def label(self, lang: str = "no") -> str:
        return str(self.unit["label_no"] if lang == "no" else self.unit["label_en"])

    def rows(self, kind: str, key_numbers: Sequence[Mapping[str, Any]]) -> list[UnitRow]:
        """The unit vs the rest for each key outcome of survey ``kind`` (:func:`unit_rows`)."""
        if kind not in self.service_tests:
            return []
        return unit_rows(self.service_tests[kind], str(self.unit["column"]), self.unit["code"], key_numbers)
