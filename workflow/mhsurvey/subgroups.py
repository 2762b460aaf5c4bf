"""Stage 04: subgroup estimates, "subgroup vs total" tests, multiplicity, small cells.

The report calls a subgroup "higher" or "lower" when it differs significantly from the total of
all respondents. Because the subgroup is part of the total, the right test compares the subgroup
with **the rest of the sample** (``methods.md`` §2):

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
  flagged, not tested, never significant (``methods.md`` §5); the same minimum applies to the
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
    adjusted_residual,
    chi_square,
    gc_frozen,
    proportion_stats,
    withheld_vs_rest,
    z_test_vs_rest,
)
from .level_labels import DerivedLabels
from .outcomes import Outcome, category_matrix, outcome_key, value_sort_key
from .suppression import SuppressionResult, suppress_table

__all__ = [
    "ADJUST_METHODS", "Breakdown", "ChiSquare", "SuppressionResult", "adjust_pvalues", "adjusted_residual",
    "check_subgroup_table", "chi_square", "level_index", "resolve_breakdown", "resolve_breakdowns",
    "subgroup_docs", "subgroup_tests", "suppress_table", "z_test_vs_rest",
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
    frame = data.responses_str if source == "responses" else data.scores_str
    if column not in frame.columns:
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
            levels = (Level("1", col.label(1, "no"), col.label(1, "en"), ("1",)),
                      Level("0", col.label(0, "no"), col.label(0, "en"), ("0",)))
        else:
            levels = tuple(Level(str(c.code), c.no, c.en, (str(c.code),)) for c in codes)
    else:
        # every named level (level table, configured labels) is a level, observed or not, so a
        # level with no respondents is shown with n = 0 instead of disappearing
        named = set(labels.values["no"].get(column, {})) | set(spec.labels)
        keys = sorted((set(frame[column].unique()) - {""}) | named, key=value_sort_key)
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
            log.warning("%s: breakdown %s has no levels (column %s is empty): no subgroup rows", survey, b.id, b.column)
    return out


def level_index(data: SurveyData, breakdown: Breakdown) -> np.ndarray:
    """Per respondent, the index of their level in ``breakdown.levels``; −1 if none."""
    values = data.values(breakdown.source, breakdown.column)
    lookup: dict[str, int] = {}
    for i, lv in enumerate(breakdown.levels):
        for v in lv.values:
            if v in lookup:
                raise ConfigError(f"breakdown {breakdown.id!r}: value {v!r} is in two levels")
            lookup[v] = i
    return np.fromiter((lookup.get(v, -1) for v in values), dtype=np.int64, count=len(values))


# --------------------------------------------------------------------------- the subgroup table

SUBGROUP_COLUMNS = (
    "survey", "source", "variable", "question_id", "item_id", "label_no", "category", "category_label_no",
    "category_kind", "breakdown", "breakdown_column", "level", "level_label_no", "n", "count", "pct",
    "moe_report", "wilson_low", "wilson_high", "total_n", "total_count", "total_pct", "rest_n", "rest_pct",
    "diff_pp", "small_n", "tested", "z", "p_value", "p_holm", "p_bh", "family_size", "adjust_method",
    "significant", "direction", "chi2", "chi2_df", "chi2_p", "chi2_share_expected_lt5", "suppressed",
    "label_en", "category_label_en", "breakdown_label_no", "breakdown_label_en", "level_label_en",
    "withheld", "chi2_withheld",
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


def _family_rows(
    o: Outcome,
    b: Breakdown,
    counts_gk: np.ndarray,
    totals: OutcomeTotals,
    settings: EstimateSettings,
    survey: str,
    cols: dict[str, list[Any]],
) -> None:
    """Append the rows of one outcome × breakdown table (all categories × levels) to ``cols``."""
    w = category_matrix(o)
    x_gc = counts_gk @ w
    n_g = counts_gk.sum(axis=1)
    big_n = totals.base_n
    x_t = totals.category_counts
    g_count, c_count = x_gc.shape
    hidden_cells = np.zeros((g_count, c_count), dtype=bool)
    hidden_n = np.zeros(g_count, dtype=bool)
    if settings.suppression.enabled:
        res = suppress_table(counts_gk, o.merged_cell_sets, settings.suppression.min_count,
                             settings.suppression.max_count, col_totals=True)
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
    chi = chi_square(counts_gk)
    any_hidden = bool(hidden_cells.any() or totals.suppressed.any())
    chi_withheld = chi2_withheld(chi, any_hidden, settings.chi2_min_expected)
    stats = proportion_stats(x_gc.ravel(), np.repeat(n_g, c_count), settings.report_z, settings.confidence_level)
    small = n_g < settings.min_n
    with gc_frozen():
        for j, cat in enumerate(o.categories):
            total_hidden = bool(totals.suppressed[j])
            z = np.full(g_count, np.nan)
            p = np.full(g_count, np.nan)
            withheld = withheld_vs_rest(x_t[j], n_g, big_n, settings.min_n, settings.min_expected)
            withheld[(withheld == "") & (hidden_cells[:, j] | total_hidden)] = "suppressed"
            for g in np.flatnonzero(withheld == ""):
                z[g], p[g] = z_test_vs_rest(int(x_gc[g, j]), int(n_g[g]), int(x_t[j]), big_n)
            withheld[(withheld == "") & np.isnan(p)] = "no_variance"
            tested = withheld == ""
            p_holm = adjust_pvalues(p, "holm")
            p_bh = adjust_pvalues(p, "fdr_bh")
            chosen = {"none": p, "holm": p_holm, "fdr_bh": p_bh}[settings.adjust]
            signif = tested & (chosen < settings.alpha)
            total_pct = 100.0 * x_t[j] / big_n if big_n else np.nan
            for g, lv in enumerate(b.levels):
                k = g * c_count + j
                hid = bool(hidden_cells[g, j])
                rest_n = big_n - int(n_g[g])
                pct = float(stats["pct"][k])
                rest_pct = 100.0 * (x_t[j] - x_gc[g, j]) / rest_n if rest_n > 0 else np.nan
                diff = pct - total_pct
                row = {
                    "survey": survey, "source": o.source, "variable": o.variable, "question_id": o.question_id,
                    "item_id": o.item_id, "label_no": o.label_no, "category": cat.key,
                    "category_label_no": cat.label_no, "category_kind": cat.kind, "breakdown": b.id,
                    "breakdown_column": b.column, "level": lv.key, "level_label_no": lv.label_no,
                    "n": np.nan if hidden_n[g] else int(n_g[g]),
                    "count": np.nan if hid else int(x_gc[g, j]),
                    "pct": np.nan if hid else pct,
                    "moe_report": np.nan if hid else float(stats["moe_report"][k]),
                    "wilson_low": np.nan if hid else float(stats["wilson_low"][k]),
                    "wilson_high": np.nan if hid else float(stats["wilson_high"][k]),
                    "total_n": big_n,
                    "total_count": np.nan if total_hidden else int(x_t[j]),
                    "total_pct": np.nan if total_hidden else total_pct,
                    "rest_n": np.nan if hidden_n[g] else rest_n,
                    "rest_pct": np.nan if (hid or total_hidden) else rest_pct,
                    "diff_pp": np.nan if (hid or total_hidden) else diff,
                    "small_n": int(small[g]), "tested": int(tested[g]),
                    "z": z[g], "p_value": p[g], "p_holm": p_holm[g], "p_bh": p_bh[g],
                    "family_size": int(tested.sum()), "adjust_method": settings.adjust,
                    "significant": int(signif[g]),
                    "direction": ("higher" if diff > 0 else "lower") if signif[g] else "",
                    "chi2": np.nan if chi_withheld else chi.statistic,
                    "chi2_df": np.nan if chi_withheld else chi.dof,
                    "chi2_p": np.nan if chi_withheld else chi.p_value,
                    "chi2_share_expected_lt5": np.nan if any_hidden else chi.share_expected_lt5,
                    "suppressed": int(hid),
                    "label_en": o.label_en, "category_label_en": cat.label_en,
                    "breakdown_label_no": b.label_no, "breakdown_label_en": b.label_en,
                    "level_label_en": lv.label_en,
                    "withheld": withheld[g], "chi2_withheld": chi_withheld,
                }
                for key, value in row.items():
                    cols[key].append(value)


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
    """
    levels = {b.id: level_index(data, b) for b in breakdowns}
    cols: dict[str, list[Any]] = {c: [] for c in SUBGROUP_COLUMNS}
    for o in outcomes:
        cells = cell_index(data, o)
        k = len(o.table_values)
        t = totals[outcome_key(o)]
        for b in breakdowns:
            if b.source == o.source and b.column == o.variable:
                continue
            li = levels[b.id]
            sel = (cells >= 0) & (li >= 0)
            g_count = len(b.levels)
            counts = np.bincount(li[sel] * k + cells[sel], minlength=g_count * k).reshape(g_count, k)
            _family_rows(o, b, counts, t, settings, survey, cols)
    df = pd.DataFrame(cols, columns=list(SUBGROUP_COLUMNS))
    for c in ("n", "count", "rest_n", "chi2_df"):
        df[c] = df[c].astype("Float64").round().astype("Int64")
    return df


def subgroup_docs(settings: EstimateSettings) -> list[ColumnDoc]:
    """Data dictionary of ``subgroup_tests.csv``."""
    return docs_from_mapping({
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
        "moe_report": ("float", f"report-style margin in points: 100 * {settings.report_z:g} * sqrt(p(1-p)/n)"),
        "wilson_low": ("float", f"lower Wilson bound in percent ({settings.confidence_level:g})"),
        "wilson_high": ("float", "upper Wilson bound in percent"),
        "total_n": ("integer", "base of the whole sample (all respondents in the outcome's base, with or "
                    "without a level of this breakdown)"),
        "total_count": ("integer", "respondents of the whole sample in the category"),
        "total_pct": ("float", "100 * total_count / total_n"),
        "rest_n": ("integer", "total_n - n (the rest of the sample)"),
        "rest_pct": ("float", "share of the category in the rest of the sample, percent"),
        "diff_pp": ("float", "pct - total_pct, in points (the report's 'difference to the total')"),
        "small_n": ("integer (boolean)", f"1 if n < {settings.min_n}: shown for caution, not tested, never significant"),
        "tested": ("integer (boolean)", "1 if the level was tested against the rest (withheld empty)"),
        "z": ("float", "pooled two-proportion z of the level vs the rest (statsmodels proportions_ztest); "
              "equal to the adjusted standardized residual"),
        "p_value": ("float", "two-sided unadjusted p-value of z"),
        "p_holm": ("float", "Holm-adjusted p (multipletests method='holm'); family = this category x this breakdown"),
        "p_bh": ("float", "Benjamini-Hochberg-adjusted p (multipletests method='fdr_bh'); same family"),
        "family_size": ("integer", "number of tested levels in the family (withheld tests are not counted)"),
        "adjust_method": ("string", "p-value that decides `significant` (config significance.adjust)",
                          "none, holm, fdr_bh"),
        "significant": ("integer (boolean)", f"1 if tested and the chosen p < {settings.alpha:g}"),
        "direction": ("string", "for significant levels: higher or lower than the total", "higher, lower, empty"),
        "chi2": ("float", "Pearson chi-square of the whole level x answer table (scipy chi2_contingency, "
                 "correction=False); same on every row of the table; empty when withheld (chi2_withheld)"),
        "chi2_df": ("integer", "degrees of freedom of chi2"),
        "chi2_p": ("float", "p-value of chi2"),
        "chi2_share_expected_lt5": ("float", "share of cells with expected count < 5 (chi-square approximation warning)"),
        "suppressed": ("integer (boolean)", "1 if the count is hidden by small-cell suppression "
                       f"(enabled: {str(settings.suppression.enabled).lower()})"),
        "label_en": ("string", "English label of the outcome variable (as in estimates.csv)"),
        "category_label_en": ("string", "English label of the category (as in estimates.csv)"),
        "breakdown_label_no": ("string", "Norwegian label of the breakdown (config, else codebook question, else "
                               "02_scores/levels.csv)"),
        "breakdown_label_en": ("string", "English label of the breakdown (falls back to the Norwegian one)"),
        "level_label_en": ("string", "English label of the level (codebook code, config group or labels_en, "
                           "02_scores/levels.csv; falls back to the Norwegian one)"),
        "withheld": ("string", "why the level-vs-rest test was withheld; empty = tested",
                     f"n_zero = no respondent of the level in the base; subgroup_n = n < {settings.min_n}; "
                     f"rest_n = rest_n < {settings.min_n} (config significance.min_n applies to both sides); "
                     f"expected_count = an expected count of the level-vs-rest 2x2 table < {settings.min_expected:g} "
                     "(significance.min_expected; Cochran 1954); no_variance = pooled share 0 or 1; "
                     "suppressed = a count is hidden by small-cell suppression"),
        "chi2_withheld": ("string", "why the omnibus chi-square is not reported (chi2, chi2_df, chi2_p empty); "
                          "empty = reported",
                          f"expected_count = an expected count < {settings.chi2_min_expected:g} "
                          "(significance.chi2_min_expected); too_few_lines = fewer than 2 x 2 non-empty rows/columns; "
                          "suppressed = a cell is hidden by small-cell suppression"),
    })


def check_subgroup_table(
    sub: pd.DataFrame, outcomes: Sequence[Outcome], breakdowns: Sequence[Breakdown], min_n: int
) -> list[str]:
    """Problems with a finished ``subgroup_tests`` table (empty list = fine).

    Checks that every configured breakdown appears for every outcome category (an outcome crossed
    with itself excepted; a breakdown without any level has no rows), that ``small_n`` is set
    exactly where the level base is below ``min_n``, that no level with n or rest n below
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
    wrong = known & ((sub["n"] < min_n).astype(bool) != sub["small_n"].astype(bool))
    if wrong.any():
        problems.append(f"{int(wrong.sum())} rows with small_n inconsistent with n < {min_n}")
    bad = (sub["small_n"] == 1) & ((sub["tested"] == 1) | (sub["significant"] == 1))
    if bad.any():
        problems.append(f"{int(bad.sum())} rows with n < {min_n} tested or significant")
    rest_bad = sub["rest_n"].notna() & (sub["rest_n"] < min_n) & ((sub["tested"] == 1) | (sub["significant"] == 1))
    if rest_bad.any():
        problems.append(f"{int(rest_bad.sum())} rows with rest n < {min_n} tested or significant")
    if "withheld" in sub.columns:
        mismatch = (sub["withheld"].fillna("") == "") != (sub["tested"] == 1)
        if mismatch.any():
            problems.append(f"{int(mismatch.sum())} rows with tested inconsistent with withheld")
    return problems
