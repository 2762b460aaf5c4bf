"""Read-only access to the results of stages 01-05 for one survey, as the templates need them.

Every number the report prints comes through :class:`SurveyResults`: an estimate is looked up by
``(variable, category)`` in ``04_estimates/estimates.csv``, a subgroup test in
``subgroup_tests.csv``; nothing is recomputed here.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionDtype
from pandas.core.dtypes.cast import maybe_box_native

from ..errors import InputDataError


@dataclass(frozen=True)
class Estimate:
    """One row of estimates.csv as the report uses it (``pct`` in points, unrounded)."""

    variable: str
    category: str
    label_no: str
    label_en: str
    category_label_no: str
    category_label_en: str
    pct: float | None
    count: int | None
    base_n: int
    moe_report: float | None
    suppressed: bool

    def label(self, lang: str = "no") -> str:
        """Label of the variable (item or option label for grids and multi-select)."""
        return self.label_no if lang == "no" else self.label_en

    def category_label(self, lang: str = "no") -> str:
        """Label of the category."""
        return self.category_label_no if lang == "no" else self.category_label_en


def _opt_int(v: Any) -> int | None:
    return None if pd.isna(v) else int(v)


def _opt_float(v: Any) -> float | None:
    return None if pd.isna(v) else float(v)


@dataclass(frozen=True)
class SurveyPaths:
    """Where the results of one survey are (``results/<survey>/``)."""

    root: Path
    figures_dir: str = "05_figures"  # the edition's figures: 05_figures (bokmål), 05_figures_en (English)

    @property
    def estimates(self) -> Path:
        return self.root / "04_estimates" / "estimates.csv"

    @property
    def subgroup_tests(self) -> Path:
        return self.root / "04_estimates" / "subgroup_tests.csv"

    @property
    def margins(self) -> Path:
        return self.root / "04_estimates" / "margins_table.csv"

    @property
    def reliability(self) -> Path:
        return self.root / "03_reliability" / "reliability.csv"

    @property
    def sensitivity(self) -> Path:
        return self.root / "02_scores" / "sensitivity.csv"

    @property
    def cleaning_summary(self) -> Path:
        return self.root / "01_clean" / "cleaning_summary.json"

    @property
    def exclusions(self) -> Path:
        return self.root / "01_clean" / "exclusions.csv"

    @property
    def figures(self) -> Path:
        return self.root / self.figures_dir / "figures.csv"


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """``frame.to_dict("records")``, built from each column's ``tolist()`` instead of a tuple per
    row (several times faster on the report's many small tables). The values are the same:
    native Python scalars, and in object or extension columns ``maybe_box_native`` of each cell
    (``NA`` -> ``None``), as ``to_dict`` boxes them."""
    names = list(frame.columns)
    if not names:
        return [{} for _ in range(len(frame))]
    columns = []
    for c in names:
        values = frame[c].tolist()
        dtype = frame[c].dtype
        if dtype == np.dtype(object) or isinstance(dtype, ExtensionDtype):
            values = [maybe_box_native(v) for v in values]
        columns.append(values)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise InputDataError("report input missing", file=str(path))
    return pd.read_csv(path, dtype={"category": "string", "level": "string"}, keep_default_na=True)


class SurveyResults:
    """The results tables of one survey, loaded once, with lookups by key."""

    def __init__(self, survey: str, paths: SurveyPaths) -> None:
        self.survey = survey
        self.paths = paths
        self.estimates = _read_csv(paths.estimates)
        self.subgroups = _read_csv(paths.subgroup_tests)
        self.margins = _read_csv(paths.margins)
        self.reliability = _read_csv(paths.reliability)
        self.sensitivity = _read_csv(paths.sensitivity)
        self.exclusions = _read_csv(paths.exclusions)
        self.figures = _read_csv(paths.figures)
        self.summary: Mapping[str, Any] = json.loads(paths.cleaning_summary.read_text(encoding="utf-8"))
        self._subgroup_index: dict[tuple[str, str, str], Any] | None = None
        self._subgroup_columns: dict[str, list[Any]] | None = None
        self._estimate_cache: dict[tuple[str, str], Estimate] = {}
        self._figure_cache: dict[str, list[dict[str, Any]]] = {}
        self._index = {
            (str(r.variable), str(r.category)): i
            for i, r in enumerate(self.estimates.itertuples(index=False))
        }

    @property
    def synthetic(self) -> bool:
        """True when cleaning recorded the synthetic-data marker for this survey's export."""
        return bool(self.summary.get("data", {}).get("synthetic", False))

    def has(self, variable: str, category: str = "1") -> bool:
        """True if estimates.csv has the row ``(variable, category)``."""
        return (variable, str(category)) in self._index

    def estimate(self, variable: str, category: str = "1") -> Estimate:
        """The estimate of ``category`` of ``variable``; a missing row stops with its key."""
        key = (variable, str(category))
        if key not in self._index:
            raise InputDataError(
                f"report: no estimate for variable {variable!r}, category {category!r} "
                f"(file {self.paths.estimates})",
                file=str(self.paths.estimates),
            )
        if key in self._estimate_cache:  # (Estimate is frozen: one per row, built once)
            return self._estimate_cache[key]
        r = self.estimates.iloc[self._index[key]]
        self._estimate_cache[key] = est = Estimate(
            variable=variable,
            category=str(category),
            label_no=str(r["label_no"]),
            label_en=str(r["label_en"]),
            category_label_no=str(r["category_label_no"]),
            category_label_en=str(r["category_label_en"]),
            pct=_opt_float(r["pct"]),
            count=_opt_int(r["count"]),
            base_n=int(r["base_n"]),
            moe_report=_opt_float(r["moe_report"]),
            suppressed=bool(r["suppressed"]),
        )
        return est

    def variables(self, patterns: Sequence[str], category: str = "1") -> list[str]:
        """Variables (in estimates order) matching any glob in ``patterns`` that have ``category``."""
        seen: list[str] = []
        for var, cat in self._index:
            if (
                cat == str(category)
                and var not in seen
                and any(fnmatch.fnmatchcase(var, p) for p in patterns)
            ):
                seen.append(var)
        return seen

    def subgroup_rows(self, variable: str, category: str, breakdown: str) -> pd.DataFrame:
        """Rows of subgroup_tests.csv for one outcome category and one breakdown, in table order."""
        if self._subgroup_index is None:
            self._subgroup_index = self.subgroups.groupby(
                ["variable", "category", "breakdown"], sort=False
            ).indices
        positions = self._subgroup_index.get((variable, str(category), breakdown), [])
        return self.subgroups.iloc[positions].reset_index(drop=True)

    def subgroup_records(self, variable: str, category: str, breakdown: str) -> list[dict[str, Any]]:
        """:meth:`subgroup_rows` as records (``to_dict("records")``: native Python values), from
        the table's columns converted once rather than a frame per call."""
        if self._subgroup_index is None:
            self._subgroup_index = self.subgroups.groupby(
                ["variable", "category", "breakdown"], sort=False
            ).indices
        if self._subgroup_columns is None:
            self._subgroup_columns = {c: self.subgroups[c].tolist() for c in self.subgroups.columns}
        cols = self._subgroup_columns
        positions = self._subgroup_index.get((variable, str(category), breakdown), [])
        return [{c: values[i] for c, values in cols.items()} for i in positions]

    def figure_records(self, section: str) -> list[dict[str, Any]]:
        """:meth:`figure_rows` as records (cached per section)."""
        if section not in self._figure_cache:
            self._figure_cache[section] = records(self.figure_rows(section))
        return self._figure_cache[section]

    def figure_rows(self, section: str) -> pd.DataFrame:
        """Rows of the figure index (05_figures/figures.csv) of one section, in catalogue order."""
        f = self.figures
        return f[f["section"].astype(str) == str(section)].sort_values("order", kind="stable")


@dataclass(frozen=True)
class AuditResults:
    """The reproduction audit: reproduction.csv (one row per published number), its summary by
    scope and the errata of the study (results/audit/)."""

    reproduction: pd.DataFrame
    summary: pd.DataFrame
    errata: pd.DataFrame

    @classmethod
    def read(cls, audit_dir: str | Path, reproduction: str | Path) -> AuditResults:
        audit_dir = Path(audit_dir)
        return cls(
            reproduction=_read_csv(Path(reproduction)),
            summary=_read_csv(audit_dir / "reproduction_summary.csv"),
            errata=_read_csv(audit_dir / "errata.csv"),
        )

    def scope(self, name: str) -> list[dict[str, Any]]:
        """Summary rows of one scope (overall, survey, chapter, section, figure, largest_deviation)."""
        return self.summary[self.summary["scope"] == name].to_dict("records")

    def deviations(self) -> list[dict[str, Any]]:
        """The largest deviations with their published and regenerated values, largest first."""
        ids = [r["key"] for r in self.scope("largest_deviation")]
        rep = self.reproduction.set_index("id")
        rows = [
            {k: ("" if isinstance(v, float) and pd.isna(v) else v) for k, v in rep.loc[i].to_dict().items()}
            | {"id": i}
            for i in ids
            if i in rep.index
        ]
        return [r for r in rows if not pd.isna(r.get("abs_difference")) and float(r["abs_difference"]) > 0]
