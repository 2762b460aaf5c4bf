"""Stage 04: subgroup estimates, "subgroup vs total" tests, multiplicity, small cells.

The report calls a subgroup "higher" or "lower" when it differs significantly from the total of
all respondents. Because the subgroup is part of the total, the right test compares the subgroup
with **the rest of the sample** (``docs/methods.md`` §2):

* pooled two-proportion z-test of g vs rest, ``statsmodels.stats.proportion.proportions_ztest``;
  algebraically equal to z = (p̂_g − p̂_T)/√(p̂_T(1 − p̂_T)(1/n_g − 1/N)) and to Haberman's
  adjusted standardized residual of cell (g, yes) (:func:`adjusted_residual`);
* the omnibus chi-square of the whole breakdown × answer table,
  ``scipy.stats.chi2_contingency(correction=False)``;
* multiplicity: the **family** is one outcome category × one breakdown variable (e.g. "helt
  eller delvis enig" with safety_work, over all regions). Holm and Benjamini–Hochberg adjusted
  p-values come from ``statsmodels.stats.multitest.multipletests`` with ``method="holm"`` /
  ``"fdr_bh"`` passed explicitly (its default is Holm–Šidák); the configured method decides
  ``significant``;
* levels with n < 30 (Vedlegg 3: "forsiktighet ... mindre enn 30 intervjuer") are shown and
  flagged, not tested, never significant (``docs/methods.md`` §5); the same minimum applies to the
  rest of the sample, and a test whose level-vs-rest table has an expected count below
  ``significance.min_expected`` (Cochran 1954: 5) is withheld too; ``withheld`` names the rule
  (:func:`mhsurvey.inference.withheld_vs_rest`). The omnibus chi-square is withheld the same way
  (``significance.chi2_min_expected``, ``chi2_withheld``). Withheld tests are not in the family;
* with real microdata, counts 1–4 are suppressed with complementary suppression
  (:func:`suppress_table`) so no hidden cell can be recomputed from the published totals.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .codebook import Codebook
from .counts import OutcomeTotals, SurveyData, cell_index
from .dictionary import ColumnDoc, docs_from_mapping
from .errors import ConfigError
from .estimate_settings import BreakdownSpec, EstimateSettings, Level
from .inference import (
    ADJUST_METHODS,
    ChiSquare,
    adjust_pvalues,
    adjust_pvalues_padded,
    adjusted_residual,
    chi_square,
    proportion_stats,
    withheld_vs_rest,
    z_test_vs_rest,
    z_test_vs_rest_array,
)
from .level_labels import DerivedLabels
from .outcomes import Outcome, category_matrix, outcome_key, value_sort_key
from .suppression import SuppressionResult, suppress_table

__all__ = [
    "ADJUST_METHODS",
    "Breakdown",
    "ChiSquare",
    "SuppressionResult",
    "adjust_pvalues",
    "adjusted_residual",
    "check_subgroup_table",
    "chi_square",
    "level_index",
    "resolve_breakdown",
    "resolve_breakdowns",
    "subgroup_docs",
    "subgroup_tests",
    "suppress_table",
    "z_test_vs_rest",
]

log = logging.getLogger("mhsurvey.subgroups")


# --------------------------------------------------------------------------- breakdowns


@dataclass(frozen=True)
class Breakdown:
    """A resolved breakdown variable: where its column lives and its ordered levels."""

    id: str
    label_no: str
    label_en: str
    source: str  # "responses" | "scores"
    column: str
    levels: tuple[Level, ...]


def resolve_breakdown(
    spec: BreakdownSpec,
    codebook: Codebook,
    data: SurveyData,
    settings: EstimateSettings,
    labels: DerivedLabels | None = None,
) -> Breakdown:
    """Resolve a configured breakdown against the codebook and the data.

    Levels, in order of preference: the configured ``groups``; the codebook codes of the column
    (non-substantive codes only if ``include_nonsubstantive_levels``); the observed and the named
    values of a ``scores.csv`` column (numeric order), labelled by ``labels`` / ``labels_en`` in the config,
    else by stage 02's level table (``labels``, :mod:`mhsurvey.level_labels`), else by the value
    itself. English labels fall back to the Norwegian ones. A missing column is a ``ConfigError``.
    """
    labels = labels or DerivedLabels()
    if spec.source == "codebook":
        try:
            column = codebook.breakdown_column(spec.name)
        except KeyError as exc:
            raise ConfigError(f"breakdown {spec.id!r}: {exc.args[0]}") from None
        source = "responses"
    else:
        column, source = spec.name, spec.source
    if not data.has_column(source, column):
        raise ConfigError(f"breakdown {spec.id!r}: column {column!r} is not in {source}")
    label_no = spec.label_no or labels.names["no"].get(column, "")
    label_en = spec.label_en or labels.names["en"].get(column, "") or label_no
    if source == "responses" and codebook.has_column(column):
        col = codebook.column(column)
        label_no = label_no or col.label_no
        label_en = spec.label_en or col.label_en
    if spec.groups:
        levels = spec.groups
    elif source == "responses" and codebook.has_column(column):
        col = codebook.column(column)
        codes = [c for c in col.codes if settings.include_nonsubstantive_levels or not c.nonsubstantive]
        if col.qtype == "multi":
            levels = (
                Level("1", col.label(1, "no"), col.label(1, "en"), ("1",)),
                Level("0", col.label(0, "no"), col.label(0, "en"), ("0",)),
            )
        else:
            levels = tuple(Level(str(c.code), c.no, c.en, (str(c.code),)) for c in codes)
    else:
        # every named level (level table, configured labels) is a level, observed or not, so a
        # level with no respondents is shown with n = 0 instead of disappearing
        named = set(labels.values["no"].get(column, {})) | set(spec.labels)
        keys = sorted((set(data.codes(source, column)[1]) - {""}) | named, key=value_sort_key)
        no = {**labels.values["no"].get(column, {}), **spec.labels}
        en = {**labels.values["en"].get(column, {}), **spec.labels, **spec.labels_en}
        levels = tuple(Level(v, no.get(v, v), en.get(v, no.get(v, v)), (v,)) for v in keys)
    return Breakdown(spec.id, label_no or spec.id, label_en or spec.id, source, column, levels)


def resolve_breakdowns(
    codebook: Codebook,
    data: SurveyData,
    settings: EstimateSettings,
    survey: str,
    labels: DerivedLabels | None = None,
) -> list[Breakdown]:
    """All configured breakdowns that apply to ``survey``, resolved (see :func:`resolve_breakdown`).

    A breakdown without any level (a ``scores.csv`` column that is empty and has no named levels)
    is kept but logged: it gives no rows.
    """
    out = [
        resolve_breakdown(s, codebook, data, settings, labels)
        for s in settings.breakdowns
        if s.surveys is None or survey in s.surveys
    ]
    for b in out:
        if not b.levels:
            log.warning(
                "%s: breakdown %s has no levels (column %s is empty): no subgroup rows",
                survey,
                b.id,
                b.column,
            )
    return out


def level_index(data: SurveyData, breakdown: Breakdown) -> np.ndarray:
    """Per respondent, the index of their level in ``breakdown.levels``; −1 if none."""
    codes, uniques = data.codes(breakdown.source, breakdown.column)
    lookup: dict[str, int] = {}
    for i, lv in enumerate(breakdown.levels):
        for v in lv.values:
            if v in lookup:
                raise ConfigError(f"breakdown {breakdown.id!r}: value {v!r} is in two levels")
            lookup[v] = i
    return np.array([lookup.get(v, -1) for v in uniques] + [-1], dtype=np.int64)[codes]


# --------------------------------------------------------------------------- the subgroup table

SUBGROUP_COLUMNS = (
    "survey",
    "source",
    "variable",
    "question_id",
    "item_id",
    "label_no",
    "category",
    "category_label_no",
    "category_kind",
    "breakdown",
    "breakdown_column",
    "level",
    "level_label_no",
    "n",
    "count",
    "pct",
    "moe_report",
    "wilson_low",
    "wilson_high",
    "total_n",
    "total_count",
    "total_pct",
    "rest_n",
    "rest_pct",
    "diff_pp",
    "small_n",
    "tested",
    "z",
    "p_value",
    "p_holm",
    "p_bh",
    "family_size",
    "adjust_method",
    "significant",
    "direction",
    "chi2",
    "chi2_df",
    "chi2_p",
    "chi2_share_expected_lt5",
    "suppressed",
    "label_en",
    "category_label_en",
    "breakdown_label_no",
    "breakdown_label_en",
    "level_label_en",
    "withheld",
    "chi2_withheld",
)


def chi2_withheld(chi: ChiSquare, any_hidden: bool, min_expected: float) -> str:
    """Why the omnibus chi-square of a table is not reported (``""`` = reported).

    ``suppressed`` (a cell is hidden: the statistic would let a reader solve for it),
    ``too_few_lines`` (fewer than 2 × 2 non-empty rows/columns), ``expected_count`` (an expected
    count below ``min_expected``, config ``significance.chi2_min_expected``; Cochran 1954).
    """
    if any_hidden:
        return "suppressed"
    if np.isnan(chi.dof):
        return "too_few_lines"
    if chi.min_expected < min_expected:
        return "expected_count"
    return ""


def _suppression_masks(
    o: Outcome, counts_gk: np.ndarray, settings: EstimateSettings, label: str = ""
) -> tuple[np.ndarray, np.ndarray]:
    """Hidden category cells (G × C, level bases included) and hidden level bases (G) of one table."""
    g_count, c_count = counts_gk.shape[0], len(o.categories)
    hidden_cells = np.zeros((g_count, c_count), dtype=bool)
    hidden_n = np.zeros(g_count, dtype=bool)
    if settings.suppression.enabled:
        res = suppress_table(
            counts_gk,
            o.merged_cell_sets,
            settings.suppression.min_count,
            settings.suppression.max_count,
            col_totals=True,
            label=label,
        )
        merged_iter = 0
        for j, cat in enumerate(o.categories):
            if cat.kind == "merged":
                hidden_cells[:, j] = res.merged[:, merged_iter]
                merged_iter += 1
            else:
                hidden_cells[:, j] = res.cells[:, list(cat.cells)].any(axis=1)
        if len(res.row_totals):
            hidden_n = res.row_totals.copy()
        hidden_cells |= hidden_n[:, None]
    return hidden_cells, hidden_n


class _Rows:
    """The subgroup table's columns, gathered one outcome × breakdown table at a time.

    Within a table rows run category-major (every level of the first category, then the next), so
    each family (one category × one breakdown) is a contiguous run of G rows. A value is stored
    once per table (outcome, breakdown, chi-square), per category (C values), per level (G values)
    or per row (G × C); :meth:`column` expands it to one value per row with index arrays.
    """

    def __init__(self) -> None:
        self.per_table: dict[str, list[Any]] = {}
        self.per_category: dict[str, list[np.ndarray]] = {}
        self.per_level: dict[str, list[np.ndarray]] = {}
        self.per_row: dict[str, list[np.ndarray]] = {}
        self.g: list[int] = []
        self.c: list[int] = []
        self.families: list[tuple[int, int]] = []  # (first row, G)
        self.rows = 0
        self._index: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def add(
        self,
        g: int,
        c: int,
        table: dict[str, Any],
        categories: dict[str, np.ndarray],
        levels: dict[str, np.ndarray],
        rows: dict[str, np.ndarray],
    ) -> None:
        """Add one G × C table: per-table scalars, per-category (C), per-level (G) and per-row (G·C) arrays."""
        self.families += [(self.rows + j * g, g) for j in range(c)]
        self.rows += g * c
        self.g.append(g)
        self.c.append(c)
        for store, values in (
            (self.per_table, table),
            (self.per_category, categories),
            (self.per_level, levels),
            (self.per_row, rows),
        ):
            for key, value in values.items():
                store.setdefault(key, []).append(value)
        self._index = None

    def _indices(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per row: its table, its position among all levels, its position among all categories."""
        if self._index is None:
            g = np.asarray(self.g, dtype=np.int64)
            c = np.asarray(self.c, dtype=np.int64)
            size = g * c
            table = np.repeat(np.arange(len(g)), size)
            local = np.arange(int(size.sum())) - np.repeat(np.cumsum(size) - size, size)
            g_row = g[table]
            level = np.repeat(np.cumsum(g) - g, size) + local % np.maximum(g_row, 1)
            category = np.repeat(np.cumsum(c) - c, size) + local // np.maximum(g_row, 1)
            self._index = (table, level, category)
        return self._index

    def column(self, key: str, dtype: Any = None) -> np.ndarray:
        """One value per row of ``key`` (``dtype`` as given; strings as ``object``)."""
        table, level, category = self._indices()
        if key in self.per_row:
            out = np.concatenate(self.per_row[key])
        elif key in self.per_table:
            out = np.array(self.per_table[key], dtype=object if dtype is object else None)[table]
        elif key in self.per_level:
            out = np.concatenate(self.per_level[key])[level]
        elif key in self.per_category:
            out = np.concatenate(self.per_category[key])[category]
        else:
            return np.array([], dtype=dtype or float)
        if not len(out):
            return np.array([], dtype=dtype or float)
        return out if dtype is None else out.astype(dtype)


def _category_columns(o: Outcome, totals: OutcomeTotals) -> dict[str, np.ndarray]:
    """Per-category columns of an outcome's rows (the same in every breakdown)."""
    cats = o.categories
    return {
        "category": np.array([c.key for c in cats], dtype=object),
        "category_label_no": np.array([c.label_no for c in cats], dtype=object),
        "category_kind": np.array([c.kind for c in cats], dtype=object),
        "category_label_en": np.array([c.label_en for c in cats], dtype=object),
        "x_total": np.asarray(totals.category_counts).astype(np.int64),
        "total_hidden": totals.suppressed.astype(bool),
    }


def _level_labels(b: Breakdown) -> dict[str, np.ndarray]:
    """Per-level label columns of a breakdown's rows."""
    return {
        "level": np.array([lv.key for lv in b.levels], dtype=object),
        "level_label_no": np.array([lv.label_no for lv in b.levels], dtype=object),
        "level_label_en": np.array([lv.label_en for lv in b.levels], dtype=object),
    }


def _table_block(
    rows: _Rows,
    o: Outcome,
    b: Breakdown,
    counts_gk: np.ndarray,
    totals: OutcomeTotals,
    settings: EstimateSettings,
    survey: str,
    categories: dict[str, np.ndarray] | None = None,
    level_labels: dict[str, np.ndarray] | None = None,
) -> None:
    """Add the rows of one outcome × breakdown table (all categories × levels) to ``rows``.

    ``categories`` / ``level_labels`` (:func:`_category_columns`, :func:`_level_labels`) may be
    passed in when the caller has them already.
    """
    x_gc = counts_gk @ category_matrix(o)
    n_g = counts_gk.sum(axis=1)
    g_count, c_count = x_gc.shape
    hidden_cells, hidden_n = _suppression_masks(o, counts_gk, settings, f"{survey}: {o.variable} by {b.id}")
    chi = chi_square(counts_gk)
    any_hidden = bool(hidden_cells.any() or totals.suppressed.any())
    chi_withheld = chi2_withheld(chi, any_hidden, settings.chi2_min_expected)
    rows.add(
        g_count,
        c_count,
        table={
            "survey": survey,
            "source": o.source,
            "variable": o.variable,
            "question_id": o.question_id,
            "item_id": o.item_id,
            "label_no": o.label_no,
            "breakdown": b.id,
            "breakdown_column": b.column,
            "label_en": o.label_en,
            "breakdown_label_no": b.label_no,
            "breakdown_label_en": b.label_en,
            "n_total": totals.base_n,
            "chi2": np.nan if chi_withheld else chi.statistic,
            "chi2_df": np.nan if chi_withheld else chi.dof,
            "chi2_p": np.nan if chi_withheld else chi.p_value,
            "chi2_share_expected_lt5": np.nan if any_hidden else chi.share_expected_lt5,
            "chi2_withheld": chi_withheld,
        },
        categories=categories if categories is not None else _category_columns(o, totals),
        levels={
            **(level_labels if level_labels is not None else _level_labels(b)),
            "n": n_g.astype(np.int64),
            "hidden_n": hidden_n,
        },
        rows={"x": x_gc.T.ravel().astype(np.int64), "hidden": hidden_cells.T.ravel()},
    )


def _adjust_families(p: np.ndarray, families: Sequence[tuple[int, int]], method: str) -> np.ndarray:
    """Adjusted p-values, one family per contiguous run of rows (families padded by size)."""
    out = np.full(p.shape, np.nan)
    by_size: dict[int, list[int]] = {}
    for first, size in families:
        if size:
            by_size.setdefault(size, []).append(first)
    for size, firsts in by_size.items():
        idx = np.asarray(firsts)[:, None] + np.arange(size)[None, :]
        out[idx] = adjust_pvalues_padded(p[idx], method)
    return out


def _family_sizes(tested: np.ndarray, families: Sequence[tuple[int, int]]) -> np.ndarray:
    """Per row, the number of tested rows of its family."""
    out = np.zeros(tested.shape, dtype=np.int64)
    for first, size in families:
        if size:
            out[first : first + size] = int(tested[first : first + size].sum())
    return out


def _finish(rows: _Rows, settings: EstimateSettings) -> pd.DataFrame:
    """Compute every statistic of the collected rows with array formulas and build the table."""
    x, n = rows.column("x", np.int64), rows.column("n", np.int64)
    x_t, n_t = rows.column("x_total", np.int64), rows.column("n_total", np.int64)
    hid, hidden_n = rows.column("hidden", bool), rows.column("hidden_n", bool)
    total_hidden = rows.column("total_hidden", bool)
    stats = proportion_stats(x, n, settings.report_z, settings.confidence_level)
    withheld = withheld_vs_rest(x_t, n, n_t, settings.min_n, settings.min_expected)
    withheld[(withheld == "") & (hid | total_hidden)] = "suppressed"
    # a hidden level base: every reason computed from n (n_zero, subgroup_n, rest_n, expected_count)
    # would tell a reader about the hidden n, so the reason is "suppressed" whatever it was
    withheld[hidden_n] = "suppressed"
    z = np.full(len(x), np.nan)
    p = np.full(len(x), np.nan)
    go = withheld == ""
    z[go], p[go] = z_test_vs_rest_array(x[go], n[go], x_t[go], n_t[go])
    withheld[go & np.isnan(p)] = "no_variance"
    tested = withheld == ""
    p_holm = _adjust_families(p, rows.families, "holm")
    p_bh = _adjust_families(p, rows.families, "fdr_bh")
    chosen = {"none": p, "holm": p_holm, "fdr_bh": p_bh}[settings.adjust]
    with np.errstate(invalid="ignore"):
        signif = tested & (chosen < settings.alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        total_pct = np.where(n_t > 0, 100.0 * x_t / np.where(n_t > 0, n_t, 1), np.nan)
        rest_n = n_t - n
        rest_pct = np.where(rest_n > 0, 100.0 * (x_t - x) / np.where(rest_n > 0, rest_n, 1), np.nan)
    pct = stats["pct"]
    diff = pct - total_pct
    masked = hid | total_hidden

    def where(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
        return np.where(mask, np.nan, values.astype(float))

    total_count = where(total_hidden, x_t)
    cols: dict[str, Any] = {
        key: rows.column(key, object)
        for key in (
            "survey",
            "source",
            "variable",
            "question_id",
            "item_id",
            "label_no",
            "category",
            "category_label_no",
            "category_kind",
            "breakdown",
            "breakdown_column",
            "level",
            "level_label_no",
        )
    }
    cols.update(
        {
            "n": where(hidden_n, n),
            "count": where(hid, x),
            "pct": where(hid, pct),
            "moe_report": where(hid, stats["moe_report"]),
            "wilson_low": where(hid, stats["wilson_low"]),
            "wilson_high": where(hid, stats["wilson_high"]),
            "total_n": n_t,
            "total_count": total_count if np.isnan(total_count).any() else x_t,
            "total_pct": where(total_hidden, total_pct),
            "rest_n": where(hidden_n, rest_n),
            "rest_pct": where(masked, rest_pct),
            "diff_pp": where(masked, diff),
            # empty where n is hidden: the flag would tell whether the hidden n is below min_n
            "small_n": pd.arrays.IntegerArray((n < settings.min_n).astype(np.int64), hidden_n.copy()),
            "tested": tested.astype(np.int64),
            "z": z,
            "p_value": p,
            "p_holm": p_holm,
            "p_bh": p_bh,
            "family_size": _family_sizes(tested, rows.families),
            "adjust_method": np.full(len(x), settings.adjust, dtype=object),
            "significant": signif.astype(np.int64),
            "direction": np.where(signif, np.where(diff > 0, "higher", "lower"), "").astype(object),
        }
    )
    for key in ("chi2", "chi2_df", "chi2_p", "chi2_share_expected_lt5"):
        cols[key] = rows.column(key, float)
    cols["suppressed"] = hid.astype(np.int64)
    for key in (
        "label_en",
        "category_label_en",
        "breakdown_label_no",
        "breakdown_label_en",
        "level_label_en",
    ):
        cols[key] = rows.column(key, object)
    cols["withheld"] = withheld
    cols["chi2_withheld"] = rows.column("chi2_withheld", object)
    return pd.DataFrame(cols, columns=list(SUBGROUP_COLUMNS))


def subgroup_tests(
    data: SurveyData,
    outcomes: Sequence[Outcome],
    breakdowns: Sequence[Breakdown],
    totals: Mapping[str, OutcomeTotals],
    settings: EstimateSettings,
    survey: str,
) -> pd.DataFrame:
    """The tidy ``subgroup_tests.csv``: every outcome category × every breakdown level.

    Skips only an outcome crossed with itself (same source and column). The total is all
    respondents in the outcome's base, whether or not they have a level of the breakdown, as in
    the report ("gjennomsnittet for alle i utvalget"); the rest = total − level. The chi-square
    uses the level × cell table of the outcome (respondents with a level only) and is left empty
    for tables with suppressed cells (the statistic would let a reader solve for them).

    The counts are gathered table by table; shares, intervals, tests and adjustments are then
    computed for all rows at once with the array forms of :mod:`mhsurvey.inference`.
    """
    # level index + 1 (0 = no level): the level x cell table is bincount((l + 1)(k + 1) + c + 1)
    # without its first row and column, so no mask of the rows is built per table
    levels1 = {b.id: level_index(data, b) + 1 for b in breakdowns}
    labels = {b.id: _level_labels(b) for b in breakdowns}
    rows = _Rows()
    for o in outcomes:
        cells1 = cell_index(data, o) + 1
        k = len(o.table_values)
        t = totals[outcome_key(o)]
        cats = _category_columns(o, t)
        idx = np.empty_like(cells1)
        for b in breakdowns:
            if b.source == o.source and b.column == o.variable:
                continue
            g_count = len(b.levels)
            np.multiply(levels1[b.id], k + 1, out=idx)
            idx += cells1
            full = np.bincount(idx, minlength=(g_count + 1) * (k + 1)).reshape(g_count + 1, k + 1)
            counts = np.ascontiguousarray(full[1:, 1:])
            _table_block(rows, o, b, counts, t, settings, survey, cats, labels[b.id])
    df = _finish(rows, settings)
    for c in ("n", "count", "rest_n", "chi2_df"):
        df[c] = df[c].astype("Float64").round().astype("Int64")
    return df


def subgroup_docs(settings: EstimateSettings) -> list[ColumnDoc]:
    """Data dictionary of ``subgroup_tests.csv``."""
    return docs_from_mapping(
        {
            "survey": ("string", "survey key ({survey} wildcard)"),
            "source": ("string", "responses or scores (where the outcome variable comes from)"),
            "variable": ("string", "outcome variable (as in estimates.csv)"),
            "question_id": ("string", "codebook question id (classification column for scores)"),
            "item_id": ("string", "grid item / multi option id"),
            "label_no": ("string", "Norwegian label of the outcome variable"),
            "category": ("string", "outcome category key (as in estimates.csv)"),
            "category_label_no": ("string", "Norwegian label of the category"),
            "category_kind": ("string", "code, merged, ticked or level (as in estimates.csv)"),
            "breakdown": ("string", "breakdown id (config/estimates.yaml breakdowns)"),
            "breakdown_column": ("string", "column holding the breakdown (responses or scores)"),
            "level": ("string", "breakdown level key (code, group key or class value)"),
            "level_label_no": ("string", "Norwegian label of the level"),
            "n": ("integer", "respondents of the level in the outcome's base; empty if suppressed"),
            "count": ("integer", "respondents of the level in the category; empty if suppressed"),
            "pct": ("float", "100 * count / n (unrounded)"),
            "moe_report": (
                "float",
                f"report-style margin in points: 100 * {settings.report_z:g} * sqrt(p(1-p)/n)",
            ),
            "wilson_low": ("float", f"lower Wilson bound in percent ({settings.confidence_level:g})"),
            "wilson_high": ("float", "upper Wilson bound in percent"),
            "total_n": (
                "integer",
                "base of the whole sample (all respondents in the outcome's base, with or "
                "without a level of this breakdown)",
            ),
            "total_count": ("integer", "respondents of the whole sample in the category"),
            "total_pct": ("float", "100 * total_count / total_n"),
            "rest_n": ("integer", "total_n - n (the rest of the sample)"),
            "rest_pct": ("float", "share of the category in the rest of the sample, percent"),
            "diff_pp": ("float", "pct - total_pct, in points (the report's 'difference to the total')"),
            "small_n": (
                "integer (boolean)",
                f"1 if n < {settings.min_n}: shown for caution, not tested, never significant; "
                "empty where n is suppressed",
            ),
            "tested": ("integer (boolean)", "1 if the level was tested against the rest (withheld empty)"),
            "z": (
                "float",
                "pooled two-proportion z of the level vs the rest (statsmodels proportions_ztest); "
                "equal to the adjusted standardized residual",
            ),
            "p_value": ("float", "two-sided unadjusted p-value of z"),
            "p_holm": (
                "float",
                "Holm-adjusted p (multipletests method='holm'); family = this category x this breakdown",
            ),
            "p_bh": ("float", "Benjamini-Hochberg-adjusted p (multipletests method='fdr_bh'); same family"),
            "family_size": (
                "integer",
                "number of tested levels in the family (withheld tests are not counted)",
            ),
            "adjust_method": (
                "string",
                "p-value that decides `significant` (config significance.adjust)",
                "none, holm, fdr_bh",
            ),
            "significant": ("integer (boolean)", f"1 if tested and the chosen p < {settings.alpha:g}"),
            "direction": (
                "string",
                "for significant levels: higher or lower than the total",
                "higher, lower, empty",
            ),
            "chi2": (
                "float",
                "Pearson chi-square of the whole level x answer table (scipy chi2_contingency, "
                "correction=False); same on every row of the table; empty when withheld (chi2_withheld)",
            ),
            "chi2_df": ("integer", "degrees of freedom of chi2"),
            "chi2_p": ("float", "p-value of chi2"),
            "chi2_share_expected_lt5": (
                "float",
                "share of cells with expected count < 5 (chi-square approximation warning)",
            ),
            "suppressed": (
                "integer (boolean)",
                "1 if the count is hidden by small-cell suppression "
                f"(enabled: {str(settings.suppression.enabled).lower()})",
            ),
            "label_en": ("string", "English label of the outcome variable (as in estimates.csv)"),
            "category_label_en": ("string", "English label of the category (as in estimates.csv)"),
            "breakdown_label_no": (
                "string",
                "Norwegian label of the breakdown (config, else codebook question, else "
                "02_scores/levels.csv)",
            ),
            "breakdown_label_en": (
                "string",
                "English label of the breakdown (falls back to the Norwegian one)",
            ),
            "level_label_en": (
                "string",
                "English label of the level (codebook code, config group or labels_en, "
                "02_scores/levels.csv; falls back to the Norwegian one)",
            ),
            "withheld": (
                "string",
                "why the level-vs-rest test was withheld; empty = tested",
                f"n_zero = no respondent of the level in the base; subgroup_n = n < {settings.min_n}; "
                f"rest_n = rest_n < {settings.min_n} (config significance.min_n applies to both sides); "
                f"expected_count = an expected count of the level-vs-rest 2x2 table < {settings.min_expected:g} "
                "(significance.min_expected; Cochran 1954); no_variance = pooled share 0 or 1; "
                "suppressed = a count is hidden by small-cell suppression (always the reason where the "
                "level's n is hidden, so that no other reason hints at it)",
            ),
            "chi2_withheld": (
                "string",
                "why the omnibus chi-square is not reported (chi2, chi2_df, chi2_p empty); empty = reported",
                f"expected_count = an expected count < {settings.chi2_min_expected:g} "
                "(significance.chi2_min_expected); too_few_lines = fewer than 2 x 2 non-empty rows/columns; "
                "suppressed = a cell is hidden by small-cell suppression",
            ),
        }
    )


def check_subgroup_table(
    sub: pd.DataFrame, outcomes: Sequence[Outcome], breakdowns: Sequence[Breakdown], min_n: int
) -> list[str]:
    """Problems with a finished ``subgroup_tests`` table (empty list = fine).

    Checks that every configured breakdown appears for every outcome category (an outcome crossed
    with itself excepted; a breakdown without any level has no rows), that ``small_n`` is set
    exactly where the level base is below ``min_n`` (and empty where the base is hidden), that no level with n or rest n below
    ``min_n`` is tested or called significant, and that ``tested`` is set exactly where
    ``withheld`` is empty.
    """
    problems = []
    got = set(zip(sub["source"], sub["variable"], sub["category"], sub["breakdown"], strict=True))
    for o in outcomes:
        for b in breakdowns:
            if (b.source == o.source and b.column == o.variable) or not b.levels:
                continue
            for cat in o.categories:
                if (o.source, o.variable, cat.key, b.id) not in got:
                    problems.append(f"no rows for {o.source}:{o.variable}={cat.key} by {b.id}")
    known = sub["n"].notna()
    small = sub["small_n"].fillna(0).astype(bool)
    wrong = known & ((sub["n"] < min_n).fillna(False).astype(bool) != small)
    if wrong.any():
        problems.append(f"{int(wrong.sum())} rows with small_n inconsistent with n < {min_n}")
    leaked = ~known & sub["small_n"].notna()
    if leaked.any():
        problems.append(f"{int(leaked.sum())} rows with a hidden n but a small_n flag")
    bad = small & ((sub["tested"] == 1) | (sub["significant"] == 1))
    if bad.any():
        problems.append(f"{int(bad.sum())} rows with n < {min_n} tested or significant")
    rest_bad = (
        sub["rest_n"].notna() & (sub["rest_n"] < min_n) & ((sub["tested"] == 1) | (sub["significant"] == 1))
    )
    if rest_bad.any():
        problems.append(f"{int(rest_bad.sum())} rows with rest n < {min_n} tested or significant")
    if "withheld" in sub.columns:
        mismatch = (sub["withheld"].fillna("") == "") != (sub["tested"] == 1)
        if mismatch.any():
            problems.append(f"{int(mismatch.sum())} rows with tested inconsistent with withheld")
    return problems
