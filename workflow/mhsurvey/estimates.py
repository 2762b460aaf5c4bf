"""Stage 04: unweighted survey estimates (count, base, share, margin of error, Wilson interval).

Every non-text column of the codebook and every configured classification of ``scores.csv`` is
turned into an :class:`Outcome`: a variable whose answers fall into the cells of a table (its
``table_values``) and whose reported categories are single codes or merged code sets ("Helt eller
delvis enig" = codes 1, 2). Methods (``docs/methods.md`` §1):

* base n = respondents who were **asked** the question (its routing holds) and answered it;
  non-substantive answers ("Vet ikke", "Ønsker ikke svare") stay in the base by default, as in the
  report (its printed shares of e.g. the follow-up question sum to 90 %, the rest is "Vet ikke");
* multi-select options are shares of the respondents who answered the question (not of ticks);
* ``moe_report`` = report_z · √(p(1 − p)/n) with the report's z = 2 (Vedlegg 3, see
  :mod:`mhsurvey.margins`), ``moe`` the same at z = Φ⁻¹(1 − α/2) for the configured confidence;
* Wilson score interval via ``statsmodels.stats.proportion.proportion_confint(method="wilson")``.

All values are unrounded; display rounding belongs to :func:`mhsurvey.rounding.round_half_up`.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from statsmodels.stats.proportion import proportion_confint

from .codebook import Codebook, Column
from .config import load_yaml_validated
from .dictionary import ColumnDoc, docs_from_mapping
from .errors import ConfigError, InputDataError, PipelineError
from .margins import moe, z_for_confidence
from .routing import apply_routing, routing_mask

log = logging.getLogger("mhsurvey.estimates")


# --------------------------------------------------------------------------- settings


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


@dataclass(frozen=True)
class ReferenceLink:
    """Compare reference value ``ref_id`` with category ``category`` of ``variable`` (all codes if None)."""

    ref_id: str
    variable: str
    category: str | None = None


@dataclass(frozen=True)
class SuppressionSettings:
    """Small-cell suppression (``docs/methods.md`` §5): counts in [min_count, max_count] are hidden."""

    enabled: bool = False
    min_count: int = 1
    max_count: int = 4


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


def settings_from_dict(data: Mapping[str, Any]) -> EstimateSettings:
    """Build :class:`EstimateSettings` from the validated YAML mapping."""
    sig, sup, mt = data["significance"], data["suppression"], data["margins_table"]
    if int(sup["min_count"]) > int(sup["max_count"]):
        raise ConfigError("suppression.min_count is larger than suppression.max_count")
    merges = tuple(
        MergeRule(m["id"], m["no"], m.get("en", m["no"]), tuple(m["columns"]), tuple(int(c) for c in m["codes"]),
                  tuple(m.get("exclude", [])))
        for m in data.get("merged_categories", [])
    )
    classes = tuple(
        ClassificationSpec(
            column=c["column"], label_no=c["no"], label_en=c.get("en", c["no"]), kind=c["kind"],
            levels=tuple(str(v) for v in c["levels"]) if c.get("levels") else None,
            merged=_groups(c.get("merged")), surveys=_surveys(c.get("surveys")),
        )
        for c in data.get("classifications", [])
    )
    breakdowns = []
    for b in data["breakdowns"]:
        keys = [k for k in ("codebook_breakdown", "responses_column", "scores_column") if k in b]
        if len(keys) != 1:
            raise ConfigError(f"breakdown {b.get('id')!r}: give exactly one of codebook_breakdown, "
                              f"responses_column, scores_column (got {keys})")
        source = {"codebook_breakdown": "codebook", "responses_column": "responses",
                  "scores_column": "scores"}[keys[0]]
        breakdowns.append(BreakdownSpec(
            id=b["id"], source=source, name=b[keys[0]], label_no=b.get("no", ""), label_en=b.get("en", ""),
            groups=_groups(b.get("groups")), labels={str(k): str(v) for k, v in (b.get("labels") or {}).items()},
            surveys=_surveys(b.get("surveys")),
        ))
    ids = [b.id for b in breakdowns]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ConfigError(f"duplicated breakdown id(s) {dup}")
    refs = tuple(ReferenceLink(r["ref_id"], r["variable"], r.get("category")) for r in data.get("population_reference", []))
    return EstimateSettings(
        confidence_level=float(data["confidence_level"]),
        report_z=float(data["report_z"]),
        include_nonsubstantive=bool(data["base"]["include_nonsubstantive"]),
        alpha=float(sig["alpha"]),
        adjust=str(sig["adjust"]),
        min_n=int(sig["min_n"]),
        include_nonsubstantive_levels=bool(data["base"]["include_nonsubstantive_levels"]),
        suppression=SuppressionSettings(bool(sup["enabled"]), int(sup["min_count"]), int(sup["max_count"])),
        margins=MarginsSettings(
            n=tuple(int(v) for v in mt["n"]), p=tuple(float(v) for v in mt["p"]),
            report_row_n={str(k): int(v) for k, v in (mt.get("report_row_n") or {}).items()},
            decimals=int(mt.get("display_decimals", 1)),
        ),
        merges=merges,
        classifications=classes,
        breakdowns=tuple(breakdowns),
        references=refs,
    )


def load_settings(path: str | Path) -> EstimateSettings:
    """Read ``config/estimates.yaml``, validate it (``estimates.schema.yaml``) and parse it."""
    return settings_from_dict(load_yaml_validated(path, "estimates.schema.yaml"))


def scoring_labels(path: str | Path | None) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Value labels and variable labels of ``scores.csv`` columns, from ``config/scoring.yaml``.

    The scoring config is the one place where derived levels are named (DASS bands, trust
    categories, ``derived.groupings`` levels, ``derived.conditions`` value labels). Returns
    ``({column: {value: label_no}}, {column: label_no})``; missing sections give empty maps.
    """
    if path is None:
        return {}, {}
    try:
        cfg = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read scoring config {path}: {exc}") from exc
    values: dict[str, dict[str, str]] = {}
    names: dict[str, str] = {}
    ins = cfg.get("instruments", {}) or {}
    if "bands" in ins.get("dass_stress", {}):
        values["dass_stress_band"] = {str(b["name"]): str(b["label_no"]) for b in ins["dass_stress"]["bands"]}
    if "categories" in ins.get("trust", {}):
        values["trust_category"] = {str(c["name"]): str(c["label_no"]) for c in ins["trust"]["categories"]}
    der = cfg.get("derived", {}) or {}
    for name, spec in (der.get("groupings") or {}).items():
        values[name] = {str(lv["code"]): str(lv["label_no"]) for lv in spec.get("levels", [])}
        if spec.get("description"):
            names[name] = str(spec["description"])
    cond = der.get("conditions") or {}
    for name, spec in (cond.get("columns") or {}).items():
        values[name] = {str(k): str(v) for k, v in (cond.get("value_labels") or {}).items()}
        names[name] = str(spec.get("label_no", name))
    for name, spec in ((der.get("incidents") or {}).get("merged") or {}).items():
        names[name] = str(spec.get("label_no", name))
    return values, names


# --------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Category:
    """A reported category of an outcome: the table cells (indices into ``table_values``) it sums."""

    key: str
    label_no: str
    label_en: str
    kind: str  # "code" | "merged" | "ticked" | "level"
    cells: tuple[int, ...]
    nonsubstantive: bool = False


@dataclass(frozen=True)
class Outcome:
    """A variable to estimate: its source table, routing and categories.

    ``table_values`` are the raw values (as strings) that form the cells of the variable's table;
    a respondent is in the base when asked (routing) and their value is one of them.
    """

    variable: str
    source: str
    question_id: str
    item_id: str
    qtype: str
    label_no: str
    label_en: str
    measure: str
    routing: str
    table_values: tuple[str, ...]
    categories: tuple[Category, ...]

    @property
    def merged_cell_sets(self) -> list[tuple[int, ...]]:
        """Cell sets of the merged categories (for suppression of sums of cells)."""
        return [c.cells for c in self.categories if c.kind == "merged"]


def _code_values(col: Column) -> list[tuple[int, str, str, bool]]:
    """``(code, label_no, label_en, nonsubstantive)`` of a single/grid/scale/numeric column."""
    out = []
    if col.qtype == "numeric" and col.minimum is not None and col.maximum is not None:
        listed = {c.code for c in col.codes}
        out += [(v, str(v), str(v), False) for v in range(col.minimum, col.maximum + 1) if v not in listed]
    out += [(c.code, c.no, c.en, c.nonsubstantive) for c in col.codes]
    return sorted(out, key=lambda t: (t[3], t[0]))


def column_outcome(col: Column, merges: Sequence[MergeRule], include_nonsubstantive: bool) -> Outcome:
    """The :class:`Outcome` of one codebook column.

    Multi-select options are binary (cells ``1`` ticked, ``0`` not ticked; reported category
    ``1``). Other columns have one cell per code (numeric ranges expanded), non-substantive codes
    only if ``include_nonsubstantive``, plus the merged categories whose column globs match.
    A merge rule naming a code the column does not have is a ``ConfigError``.
    """
    common = dict(
        variable=col.name, source="responses", question_id=col.question_id, item_id=col.item_id or "",
        qtype=col.qtype, label_no=col.label_no, label_en=col.label_en, measure=col.measure or "",
        routing=col.routing or "",
    )
    if col.qtype == "multi":
        cat = Category("1", col.label(1, "no"), col.label(1, "en"), "ticked", (0,))
        return Outcome(table_values=("1", "0"), categories=(cat,), **common)
    codes = [c for c in _code_values(col) if include_nonsubstantive or not c[3]]
    values = tuple(str(c[0]) for c in codes)
    cats = [Category(str(code), no, en, "code", (i,), ns) for i, (code, no, en, ns) in enumerate(codes)]
    for rule in merges:
        if not rule.matches(col.name):
            continue
        missing = [c for c in rule.codes if str(c) not in values]
        if missing:
            raise ConfigError(
                f"merged category {rule.id!r} names code(s) {missing} that column {col.name!r} does not have"
            )
        cats.append(Category(rule.id, rule.label_no, rule.label_en, "merged",
                             tuple(values.index(str(c)) for c in rule.codes)))
    return Outcome(table_values=values, categories=tuple(cats), **common)


def codebook_outcomes(codebook: Codebook, settings: EstimateSettings) -> list[Outcome]:
    """One outcome per non-text codebook column, in questionnaire order."""
    out = [column_outcome(c, settings.merges, settings.include_nonsubstantive) for c in codebook.columns]
    for rule in settings.merges:
        if not any(rule.matches(c.name) for c in codebook.columns):
            log.info("merged category %s matches no column of codebook %s", rule.id, codebook.survey)
    return out


def _applies(surveys: tuple[str, ...] | None, survey: str) -> bool:
    return surveys is None or survey in surveys


def classification_outcomes(
    specs: Sequence[ClassificationSpec],
    scores: pd.DataFrame,
    survey: str,
    value_labels: Mapping[str, Mapping[str, str]] | None = None,
) -> list[Outcome]:
    """Outcomes for the configured classifications (columns of ``scores.csv`` as strings).

    Binary classifications report the share of ``1`` among determined respondents (empty =
    undetermined, not in the base). Categorical ones report every level (configured order, else
    sorted observed values) plus configured merged levels. A configured column missing from
    ``scores.csv`` is a ``ConfigError`` (restrict it with ``surveys:`` if it does not apply).
    """
    value_labels = value_labels or {}
    out = []
    for spec in specs:
        if not _applies(spec.surveys, survey):
            continue
        if spec.column not in scores.columns:
            raise ConfigError(f"classification column {spec.column!r} is not in scores.csv ({survey})")
        observed = sorted(set(scores[spec.column].unique()) - {""}, key=value_sort_key)
        labels = value_labels.get(spec.column, {})
        common = dict(variable=spec.column, source="scores", question_id=spec.column, item_id="",
                      label_no=spec.label_no, label_en=spec.label_en, measure=spec.column, routing="")
        if spec.kind == "binary":
            bad = sorted(set(observed) - {"0", "1"})
            if bad:
                raise InputDataError("binary classification holds values other than 0/1",
                                     file="scores.csv", column=spec.column, value=bad[0])
            cat = Category("1", labels.get("1", spec.label_no), labels.get("1", spec.label_en), "level", (0,))
            out.append(Outcome(qtype="classification", table_values=("1", "0"), categories=(cat,), **common))
            continue
        levels = list(spec.levels) if spec.levels else observed
        unknown = sorted(set(observed) - set(levels))
        if unknown:
            raise InputDataError("classification holds values not among its configured levels",
                                 file="scores.csv", column=spec.column, value=unknown[0])
        cats = [Category(v, labels.get(v, v), labels.get(v, v), "level", (i,)) for i, v in enumerate(levels)]
        for g in spec.merged:
            missing = [v for v in g.values if v not in levels]
            if missing:
                raise ConfigError(f"merged level {g.key!r} of {spec.column!r} names unknown levels {missing}")
            cats.append(Category(g.key, g.label_no, g.label_en, "merged", tuple(levels.index(v) for v in g.values)))
        out.append(Outcome(qtype="classification", table_values=tuple(levels), categories=tuple(cats), **common))
    return out


def value_sort_key(v: str) -> tuple[int, float, str]:
    """Sort key putting numeric strings first in numeric order, then other strings alphabetically."""
    try:
        return (0, float(v), v)
    except ValueError:
        return (1, 0.0, v)


# --------------------------------------------------------------------------- data


@dataclass
class SurveyData:
    """The inputs of stage 04: responses (codes, and as strings) and scores (as strings).

    ``responses`` holds nullable Int64 codes (for routing), ``responses_str`` and ``scores_str``
    the same cells as strings with ``""`` for empty, so that codes and class labels compare alike.
    With a ``codebook``, routing is re-applied in questionnaire order
    (:func:`mhsurvey.clean.apply_routing`) before anything is counted.
    """

    responses: pd.DataFrame
    scores: pd.DataFrame | None = None
    codebook: Codebook | None = None
    _routing_cache: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        body = self.responses.drop(columns=["rid"], errors="ignore")
        if self.codebook is not None:
            # Defensive: re-apply routing in questionnaire order (a no-op on cleaned data), so an
            # answer given where a question was not asked can never enter a base, and nested
            # routing (satisfaction asked only if follow-up was asked and answered 1-3) holds.
            rids = self.responses["rid"] if "rid" in self.responses.columns else pd.Series(body.index)
            body, flags = apply_routing(body, self.codebook, rids)
            blanked = int((flags["issue"] == "answered_not_asked").sum()) if len(flags) else 0
            if blanked:
                log.warning("%d answers given where the question was not asked were ignored", blanked)
            self.responses = pd.concat([self.responses[["rid"]], body], axis=1) \
                if "rid" in self.responses.columns else body
        self.responses_str = pd.DataFrame(
            {c: body[c].astype("string").fillna("").to_numpy(dtype=object) for c in body.columns}
        )
        if self.scores is not None:
            if "rid" in self.scores.columns and "rid" in self.responses.columns:
                left = self.responses["rid"].astype(str).to_numpy()
                right = self.scores["rid"].astype(str).to_numpy()
                if len(left) != len(right) or not np.array_equal(left, right):
                    raise InputDataError("scores.csv rows do not match responses.csv rows (rid order)",
                                         file="scores.csv", column="rid")
            body_s = self.scores.drop(columns=["rid"], errors="ignore")
            self.scores_str = pd.DataFrame(
                {c: body_s[c].astype("string").fillna("").to_numpy(dtype=object) for c in body_s.columns}
            )
        else:
            self.scores_str = pd.DataFrame(index=range(len(self.responses)))

    @property
    def n(self) -> int:
        """Number of respondents."""
        return len(self.responses)

    def values(self, source: str, column: str) -> np.ndarray:
        """The column as an object array of strings (``""`` = empty)."""
        frame = self.responses_str if source == "responses" else self.scores_str
        if column not in frame.columns:
            raise InputDataError(f"column missing from {source}", file=f"{source}.csv", column=column)
        return frame[column].to_numpy(dtype=object)

    def asked(self, routing: str) -> np.ndarray:
        """Boolean mask of respondents the routing expression selects (all if empty)."""
        if not routing:
            return np.ones(self.n, dtype=bool)
        if routing not in self._routing_cache:
            body = self.responses.drop(columns=["rid"], errors="ignore")
            self._routing_cache[routing] = routing_mask(body, routing).to_numpy(dtype=bool)
        return self._routing_cache[routing]


def read_scores(path: str | Path) -> pd.DataFrame:
    """Read ``02_scores/scores.csv`` with every cell as a string (``""`` = empty / undetermined)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def cell_index(data: SurveyData, outcome: Outcome) -> np.ndarray:
    """Per respondent, the index of their cell in ``outcome.table_values``; −1 if not in the base.

    Not in the base: not asked (routing false), empty, or a value outside the table (e.g. a
    non-substantive code when those are excluded).
    """
    values = data.values(outcome.source, outcome.variable)
    lookup = {v: i for i, v in enumerate(outcome.table_values)}
    idx = np.fromiter((lookup.get(v, -1) for v in values), dtype=np.int64, count=len(values))
    idx[~data.asked(outcome.routing)] = -1
    return idx


def category_matrix(outcome: Outcome) -> np.ndarray:
    """K × C 0/1 matrix W with W[k, c] = 1 if cell k belongs to category c (category counts = cell counts @ W)."""
    w = np.zeros((len(outcome.table_values), len(outcome.categories)), dtype=np.int64)
    for j, cat in enumerate(outcome.categories):
        w[list(cat.cells), j] = 1
    return w


# --------------------------------------------------------------------------- estimates


def proportion_stats(
    count: np.ndarray, n: np.ndarray, z_report: float, confidence: float
) -> dict[str, np.ndarray]:
    """Share and uncertainty of ``count`` successes out of ``n`` (arrays), in percent / points.

    * ``pct`` = 100 · count / n;
    * ``moe_report`` = 100 · z_report · √(p(1 − p)/n) (report's Wald formula, ``docs/methods.md`` §1);
    * ``moe`` = 100 · z · √(p(1 − p)/n), z = Φ⁻¹(1 − (1 − confidence)/2);
    * ``wilson_low``/``wilson_high`` = 100 · Wilson score bounds, statsmodels ``proportion_confint``.

    ``n = 0`` gives NaN everywhere.
    """
    count = np.asarray(count, dtype=float)
    n = np.asarray(n, dtype=float)
    ok = n > 0
    safe_n = np.where(ok, n, 1.0)
    p = np.where(ok, count / safe_n, np.nan)
    lo, hi = proportion_confint(count, safe_n, alpha=1.0 - confidence, method="wilson")
    return {
        "pct": 100.0 * p,
        "moe_report": 100.0 * np.where(ok, moe(p, safe_n, z_report), np.nan),
        "moe": 100.0 * np.where(ok, moe(p, safe_n, z_for_confidence(confidence)), np.nan),
        "wilson_low": 100.0 * np.where(ok, lo, np.nan),
        "wilson_high": 100.0 * np.where(ok, hi, np.nan),
    }


@dataclass(frozen=True)
class OutcomeTotals:
    """Total-level counts of one outcome: base size, cell counts, category counts, suppression."""

    n_asked: int
    base_n: int
    cell_counts: np.ndarray
    category_counts: np.ndarray
    suppressed: np.ndarray  # bool per category


def outcome_totals(data: SurveyData, outcome: Outcome, cells: np.ndarray, settings: EstimateSettings) -> OutcomeTotals:
    """Counts of ``outcome`` in the whole sample (``cells`` from :func:`cell_index`).

    With suppression enabled, category counts in [min_count, max_count] and the complementary
    cells needed to protect them are hidden (the base n stays public; see
    :func:`mhsurvey.subgroups.suppress_table`).
    """
    k = len(outcome.table_values)
    in_base = cells >= 0
    counts = np.bincount(cells[in_base], minlength=k)
    w = category_matrix(outcome)
    cat_counts = counts @ w
    suppressed = np.zeros(len(outcome.categories), dtype=bool)
    if settings.suppression.enabled:
        from .subgroups import suppress_table

        res = suppress_table(counts[None, :], outcome.merged_cell_sets, settings.suppression.min_count,
                             settings.suppression.max_count, col_totals=False)
        merged_iter = iter(res.merged[0])
        for j, cat in enumerate(outcome.categories):
            if cat.kind == "merged":
                suppressed[j] = bool(next(merged_iter))
            else:
                suppressed[j] = bool(res.cells[0, list(cat.cells)].any())
    return OutcomeTotals(int(data.asked(outcome.routing).sum()), int(in_base.sum()), counts, cat_counts, suppressed)


ESTIMATE_COLUMNS = (
    "survey", "source", "variable", "question_id", "item_id", "qtype", "measure", "label_no", "label_en",
    "category", "category_label_no", "category_label_en", "category_kind", "nonsubstantive", "routing",
    "n_asked", "base_n", "count", "pct", "moe_report", "moe", "wilson_low", "wilson_high", "suppressed",
)


def estimates_table(
    data: SurveyData, outcomes: Sequence[Outcome], settings: EstimateSettings, survey: str
) -> tuple[pd.DataFrame, dict[str, OutcomeTotals]]:
    """The tidy ``estimates.csv`` (one row per outcome × category) and the totals per variable key.

    Suppressed rows keep ``base_n`` but have empty count, share and intervals.
    """
    rows: list[dict[str, Any]] = []
    totals: dict[str, OutcomeTotals] = {}
    for o in outcomes:
        cells = cell_index(data, o)
        t = outcome_totals(data, o, cells, settings)
        totals[outcome_key(o)] = t
        stats = proportion_stats(t.category_counts, np.full(len(o.categories), t.base_n),
                                 settings.report_z, settings.confidence_level)
        for j, cat in enumerate(o.categories):
            row = {
                "survey": survey, "source": o.source, "variable": o.variable, "question_id": o.question_id,
                "item_id": o.item_id, "qtype": o.qtype, "measure": o.measure, "label_no": o.label_no,
                "label_en": o.label_en, "category": cat.key, "category_label_no": cat.label_no,
                "category_label_en": cat.label_en, "category_kind": cat.kind,
                "nonsubstantive": int(cat.nonsubstantive), "routing": o.routing, "n_asked": t.n_asked,
                "base_n": t.base_n, "count": int(t.category_counts[j]),
                **{k: float(v[j]) for k, v in stats.items()}, "suppressed": int(t.suppressed[j]),
            }
            if t.suppressed[j]:
                for k in ("count", *stats):
                    row[k] = np.nan
            rows.append(row)
    df = pd.DataFrame(rows, columns=list(ESTIMATE_COLUMNS))
    df["count"] = df["count"].astype("Int64")
    return df, totals


def outcome_key(o: Outcome) -> str:
    """Unique key of an outcome across sources (``<source>:<variable>``)."""
    return f"{o.source}:{o.variable}"



# --------------------------------------------------------------------------- dictionary and stage


def estimates_docs(settings: EstimateSettings) -> list[ColumnDoc]:
    """Data dictionary of ``estimates.csv`` (including the population comparison columns)."""
    z = settings.z
    return docs_from_mapping({
        "survey": ("string", "survey key ({survey} wildcard)"),
        "source": ("string", "where the variable comes from", "responses = 01_clean/responses.csv; "
                   "scores = 02_scores/scores.csv"),
        "variable": ("string", "canonical column (responses) or classification column (scores)"),
        "question_id": ("string", "codebook question id (classification column for scores)"),
        "item_id": ("string", "grid item / multi option id; empty for single questions"),
        "qtype": ("string", "question type", "single, multi, grid, scale, numeric, classification"),
        "measure": ("string", "link to `measure` in data/published/*.csv (codebook)"),
        "label_no": ("string", "Norwegian label of the variable (item / option label for grids and multi)"),
        "label_en": ("string", "English label of the variable"),
        "category": ("string", "category key: the code, the merged-category id, '1' = ticked / case, or the class level"),
        "category_label_no": ("string", "Norwegian label of the category"),
        "category_label_en": ("string", "English label of the category"),
        "category_kind": ("string", "what the category is", "code; merged (sum of codes, config "
                          "merged_categories); ticked (multi-select option); level (classification)"),
        "nonsubstantive": ("integer (boolean)", "1 if the code is non-substantive (Vet ikke, Ønsker ikke svare ...)"),
        "routing": ("string", "routing expression of the question (empty = asked of all)"),
        "n_asked": ("integer", "respondents for whom the routing holds (all respondents if no routing)"),
        "base_n": ("integer", "percentage base: asked and answered"
                   + (" (non-substantive answers included)" if settings.include_nonsubstantive
                      else " (non-substantive answers excluded)")
                   + "; multi-select: respondents who answered the question"),
        "count": ("integer", "respondents in the category; empty if suppressed"),
        "pct": ("float", "100 * count / base_n (unrounded)"),
        "moe_report": ("float", f"margin of error in points, report style: 100 * {settings.report_z:g} * "
                       "sqrt(p(1-p)/base_n) (Wald, z from config report_z; Vedlegg 3)"),
        "moe": ("float", f"margin of error in points at confidence {settings.confidence_level:g}: "
                f"100 * {z:.6f} * sqrt(p(1-p)/base_n) (Wald)"),
        "wilson_low": ("float", f"lower Wilson score bound in percent ({settings.confidence_level:g}), "
                       "statsmodels proportion_confint(method='wilson')"),
        "wilson_high": ("float", "upper Wilson score bound in percent"),
        "suppressed": ("integer (boolean)", "1 if the count is hidden by small-cell suppression "
                       f"(enabled: {str(settings.suppression.enabled).lower()})"),
        "ref_id": ("string", "population reference value compared with (data/reference/ssb.csv)"),
        "ref_available": ("integer (boolean)", "1 if the reference value is published, 0 if not available"),
        "ref_pct": ("float", "population percentage"),
        "ref_year": ("string", "year of the population survey"),
        "ref_survey": ("string", "population survey (SSB)"),
        "ref_diff_pp": ("float", "pct - ref_pct, in points"),
        "ref_z": ("float", "one-sample score z of pct against the fixed ref_pct"),
        "ref_p_value": ("float", "two-sided p-value of ref_z"),
    })


@dataclass(frozen=True)
class StageOutputs:
    """The three tables of stage 04 and their dictionaries."""

    estimates: pd.DataFrame
    estimates_docs: list[ColumnDoc]
    subgroup_tests: pd.DataFrame
    subgroup_docs: list[ColumnDoc]
    margins: pd.DataFrame
    margins_docs: list[ColumnDoc]


def run_stage(
    responses: pd.DataFrame,
    scores: pd.DataFrame | None,
    codebook: Codebook,
    settings: EstimateSettings,
    reference: pd.DataFrame,
    survey: str,
    scoring_config: str | Path | None = None,
) -> StageOutputs:
    """Compute ``estimates.csv``, ``subgroup_tests.csv`` and ``margins_table.csv`` for one survey."""
    from .margins import margins_docs, margins_table
    from .reference import attach_reference
    from .subgroups import check_subgroup_table, resolve_breakdowns, subgroup_docs, subgroup_tests

    value_labels, variable_labels = scoring_labels(scoring_config)
    data = SurveyData(responses, scores, codebook)
    outcomes = codebook_outcomes(codebook, settings)
    if scores is not None:
        outcomes += classification_outcomes(settings.classifications, data.scores_str, survey, value_labels)
    est, totals = estimates_table(data, outcomes, settings, survey)
    est = attach_reference(est, reference, settings.references)
    breakdowns = resolve_breakdowns(codebook, data, settings, survey, value_labels, variable_labels)
    sub = subgroup_tests(data, outcomes, breakdowns, totals, settings, survey)
    problems = check_subgroup_table(sub, outcomes, breakdowns, settings.min_n)
    if problems:
        raise PipelineError(f"{survey}: subgroup table incomplete: " + "; ".join(problems[:10]))
    small = sub[sub["small_n"] == 1].drop_duplicates(["breakdown", "level"])
    for b_id, group in small.groupby("breakdown", sort=False):
        log.info("%s: levels of %s with n < %d for some outcome: %s", survey, b_id, settings.min_n,
                 ", ".join(group["level_label_no"].astype(str)))
    margins = margins_table(
        settings.margins.n, settings.margins.p,
        {"report": settings.report_z, f"confidence_{settings.confidence_level:g}": settings.z},
        survey=survey, report_row_n=settings.margins.report_row_n.get(survey), survey_n=data.n,
        decimals=settings.margins.decimals,
    )
    log.info("%s: %d outcomes, %d estimate rows, %d breakdowns, %d subgroup rows (%d significant)",
             survey, len(outcomes), len(est), len(breakdowns), len(sub), int(sub["significant"].sum()))
    return StageOutputs(est, estimates_docs(settings), sub, subgroup_docs(settings), margins, margins_docs())
