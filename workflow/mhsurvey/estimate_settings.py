"""Stage 04 settings: the parsed ``config/estimates.yaml`` (merged categories, classifications,
breakdowns, significance, suppression, margins table, population links).

A leaf of stage 04: it imports only the config loader, the errors and :mod:`mhsurvey.margins`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .config import load_yaml_validated
from .errors import ConfigError, InputDataError
from .margins import z_for_confidence


@dataclass(frozen=True)
class MergeRule:
    """A merged category: the codes ``codes`` of every column matching one of ``columns`` (globs)."""

    id: str
    label_no: str
    label_en: str
    columns: tuple[str, ...]
    codes: tuple[int, ...]
    exclude: tuple[str, ...] = ()

    def matches(self, column: str) -> bool:
        """True if ``column`` matches one of the ``columns`` globs and none of the ``exclude`` globs."""
        return any(fnmatch.fnmatchcase(column, pat) for pat in self.columns) and not any(
            fnmatch.fnmatchcase(column, pat) for pat in self.exclude
        )


@dataclass(frozen=True)
class Level:
    """One level of a breakdown or merged classification: the raw values (strings) that form level ``key``."""

    key: str
    label_no: str
    label_en: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class ClassificationSpec:
    """A classification column of ``scores.csv`` to estimate (e.g. ``gad7_case_report``)."""

    column: str
    label_no: str
    label_en: str
    kind: str  # "binary" (1/0 flag: the share of 1 is reported) or "categorical"
    levels: tuple[str, ...] | None = None
    merged: tuple[Level, ...] = ()
    surveys: tuple[str, ...] | None = None


@dataclass(frozen=True)
class BreakdownSpec:
    """A configured breakdown; exactly one of codebook breakdown id, responses or scores column."""

    id: str
    source: str  # "codebook" | "responses" | "scores"
    name: str
    label_no: str = ""
    label_en: str = ""
    groups: tuple[Level, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    surveys: tuple[str, ...] | None = None
    labels_en: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReferenceLink:
    """Compare reference value ``ref_id`` with category ``category`` of ``variable`` (all codes if None)."""

    ref_id: str
    variable: str
    category: str | None = None


@dataclass(frozen=True)
class SuppressionSettings:
    """Small-cell suppression (``docs/methods.md`` §5): counts in [min_count, max_count] are hidden.

    ``enabled`` is the decision for this run; ``configured`` what ``suppression.enabled`` says
    (``true``, ``false`` or ``"auto"``: on for real data, off for synthetic, :func:`suppression_on`).
    """

    enabled: bool = False
    min_count: int = 1
    max_count: int = 4
    configured: bool | str = False


def suppression_on(configured: bool | str, synthetic: bool | None) -> bool:
    """Whether small-cell suppression runs (``docs/methods.md`` §5).

    ``true``/``false`` as configured; ``"auto"``: on unless the data are synthetic (cleaning
    stage, ``01_clean/cleaning_summary.json`` ``data.synthetic``). Data not known to be synthetic
    (``synthetic=None``) count as real, as in the cleaning stage's provenance check.
    """
    if configured == "auto":
        return synthetic is not True
    return bool(configured)


def synthetic_from_summary(path: str | Path) -> bool:
    """``data.synthetic`` of a cleaning summary (``results/<survey>/01_clean/cleaning_summary.json``)."""
    import json

    try:
        summary = json.loads(Path(path).read_text(encoding="utf-8"))
        flag = summary["data"]["synthetic"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputDataError(
            f"no data.synthetic flag ({exc!r})", file=str(path), column="data.synthetic"
        ) from exc
    if not isinstance(flag, bool):
        raise InputDataError(
            "data.synthetic is not true/false", file=str(path), column="data.synthetic", value=flag
        )
    return flag


@dataclass(frozen=True)
class MarginsSettings:
    """The Vedlegg 3 margins table: rows n, columns p, and the row the report operates with."""

    n: tuple[int, ...]
    p: tuple[float, ...]
    report_row_n: Mapping[str, int]
    decimals: int = 1


@dataclass(frozen=True)
class EstimateSettings:
    """Parsed ``config/estimates.yaml`` (see the comments there for every key)."""

    confidence_level: float
    report_z: float
    include_nonsubstantive: bool
    alpha: float
    adjust: str  # "none" | "holm" | "fdr_bh"
    min_n: int
    min_expected: float
    chi2_min_expected: float
    include_nonsubstantive_levels: bool
    suppression: SuppressionSettings
    margins: MarginsSettings
    merges: tuple[MergeRule, ...]
    classifications: tuple[ClassificationSpec, ...]
    breakdowns: tuple[BreakdownSpec, ...]
    references: tuple[ReferenceLink, ...]

    @cached_property
    def z(self) -> float:
        """Critical value of the configured confidence level, Φ⁻¹(1 − (1 − level)/2)."""
        return z_for_confidence(self.confidence_level)


def _groups(raw: Sequence[Mapping[str, Any]] | None) -> tuple[Level, ...]:
    return tuple(
        Level(str(g["key"]), str(g["no"]), str(g.get("en", g["no"])), tuple(str(v) for v in g["values"]))
        for g in (raw or [])
    )


def _surveys(raw: Any) -> tuple[str, ...] | None:
    return tuple(raw) if raw else None


def settings_from_dict(data: Mapping[str, Any], synthetic: bool | None = None) -> EstimateSettings:
    """Build :class:`EstimateSettings` from the validated YAML mapping.

    ``synthetic`` (the cleaning stage's ``data.synthetic``) decides ``suppression.enabled: auto``
    (:func:`suppression_on`).
    """
    sig, sup, mt = data["significance"], data["suppression"], data["margins_table"]
    if int(sup["min_count"]) > int(sup["max_count"]):
        raise ConfigError("suppression.min_count is larger than suppression.max_count")
    merges = tuple(
        MergeRule(
            m["id"],
            m["no"],
            m.get("en", m["no"]),
            tuple(m["columns"]),
            tuple(int(c) for c in m["codes"]),
            tuple(m.get("exclude", [])),
        )
        for m in data.get("merged_categories", [])
    )
    classes = tuple(
        ClassificationSpec(
            column=c["column"],
            label_no=c["no"],
            label_en=c.get("en", c["no"]),
            kind=c["kind"],
            levels=tuple(str(v) for v in c["levels"]) if c.get("levels") else None,
            merged=_groups(c.get("merged")),
            surveys=_surveys(c.get("surveys")),
        )
        for c in data.get("classifications", [])
    )
    breakdowns = []
    for b in data["breakdowns"]:
        keys = [k for k in ("codebook_breakdown", "responses_column", "scores_column") if k in b]
        if len(keys) != 1:
            raise ConfigError(
                f"breakdown {b.get('id')!r}: give exactly one of codebook_breakdown, "
                f"responses_column, scores_column (got {keys})"
            )
        source = {
            "codebook_breakdown": "codebook",
            "responses_column": "responses",
            "scores_column": "scores",
        }[keys[0]]
        breakdowns.append(
            BreakdownSpec(
                id=b["id"],
                source=source,
                name=b[keys[0]],
                label_no=b.get("no", ""),
                label_en=b.get("en", ""),
                groups=_groups(b.get("groups")),
                labels={str(k): str(v) for k, v in (b.get("labels") or {}).items()},
                surveys=_surveys(b.get("surveys")),
                labels_en={str(k): str(v) for k, v in (b.get("labels_en") or {}).items()},
            )
        )
    ids = [b.id for b in breakdowns]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ConfigError(f"duplicated breakdown id(s) {dup}")
    refs = tuple(
        ReferenceLink(r["ref_id"], r["variable"], r.get("category"))
        for r in data.get("population_reference", [])
    )
    return EstimateSettings(
        confidence_level=float(data["confidence_level"]),
        report_z=float(data["report_z"]),
        include_nonsubstantive=bool(data["base"]["include_nonsubstantive"]),
        alpha=float(sig["alpha"]),
        adjust=str(sig["adjust"]),
        min_n=int(sig["min_n"]),
        min_expected=float(sig["min_expected"]),
        chi2_min_expected=float(sig["chi2_min_expected"]),
        include_nonsubstantive_levels=bool(data["base"]["include_nonsubstantive_levels"]),
        suppression=SuppressionSettings(
            suppression_on(sup["enabled"], synthetic),
            int(sup["min_count"]),
            int(sup["max_count"]),
            sup["enabled"],
        ),
        margins=MarginsSettings(
            n=tuple(int(v) for v in mt["n"]),
            p=tuple(float(v) for v in mt["p"]),
            report_row_n={str(k): int(v) for k, v in (mt.get("report_row_n") or {}).items()},
            decimals=int(mt.get("display_decimals", 1)),
        ),
        merges=merges,
        classifications=classes,
        breakdowns=tuple(breakdowns),
        references=refs,
    )


def load_settings(path: str | Path, synthetic: bool | None = None) -> EstimateSettings:
    """Read ``config/estimates.yaml``, validate it (``estimates.schema.yaml``) and parse it.

    ``synthetic``: whether the survey's data are synthetic (:func:`synthetic_from_summary`), for
    ``suppression.enabled: auto``; None = not known (treated as real data).
    """
    return settings_from_dict(load_yaml_validated(path, "estimates.schema.yaml"), synthetic)
