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
  flagged, not tested, never significant (``docs/methods.md`` §5);
* with real microdata, counts 1–4 are suppressed with complementary suppression
  (:func:`suppress_table`) so no hidden cell can be recomputed from the published totals.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.stats import chi2_contingency
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from .codebook import Codebook
from .dictionary import ColumnDoc, docs_from_mapping
from .errors import ConfigError
from .estimates import (
    BreakdownSpec,
    EstimateSettings,
    Level,
    Outcome,
    OutcomeTotals,
    SurveyData,
    category_matrix,
    cell_index,
    outcome_key,
    proportion_stats,
    value_sort_key,
)

log = logging.getLogger("mhsurvey.subgroups")

ADJUST_METHODS = {"holm": "holm", "fdr_bh": "fdr_bh"}


# --------------------------------------------------------------------------- statistics


def z_test_vs_rest(x_g: int, n_g: int, x_total: int, n_total: int) -> tuple[float, float]:
    """Pooled two-proportion z-test of subgroup g against the rest of the sample (two-sided).

    ``proportions_ztest([x_g, x_T − x_g], [n_g, N − n_g])`` (pooled variance, ``value=None``).
    Returns ``(z, p)``; NaN when a side is empty or the pooled share is 0 or 1 (no variance).
    """
    n_rest = n_total - n_g
    if n_g <= 0 or n_rest <= 0 or x_total <= 0 or x_total >= n_total:
        return np.nan, np.nan
    z, p = proportions_ztest(np.array([x_g, x_total - x_g]), np.array([n_g, n_rest]))
    return float(z), float(p)


def adjusted_residual(x_g: float, n_g: float, x_total: float, n_total: float) -> float:
    """Haberman's adjusted standardized residual of cell (g, yes), closed form (``docs/methods.md`` §2).

    r = (O − E)/√(E (1 − n_g/N)(1 − p_T)) with O = x_g, E = n_g p_T, p_T = x_T/N; identical to
    (p_g − p_T)/√(p_T(1 − p_T)(1/n_g − 1/N)) and to the pooled z of g vs the rest.
    """
    p_t = x_total / n_total
    expected = n_g * p_t
    return float((x_g - expected) / np.sqrt(expected * (1.0 - n_g / n_total) * (1.0 - p_t)))


@dataclass(frozen=True)
class ChiSquare:
    """Omnibus test of the whole table: statistic, degrees of freedom, p, share of E < 5."""

    statistic: float
    dof: float  # NaN when the table has fewer than 2 x 2 non-empty lines
    p_value: float
    share_expected_lt5: float


def chi_square(counts: np.ndarray) -> ChiSquare:
    """Pearson chi-square of independence on a G × K table, no Yates correction.

    ``scipy.stats.chi2_contingency(observed, correction=False)`` after dropping all-zero rows and
    columns (they carry no information and would give zero expected counts). Fewer than 2 × 2
    non-empty rows/columns gives NaN.
    """
    t = np.asarray(counts, dtype=float)
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    if t.shape[0] < 2 or t.shape[1] < 2:
        return ChiSquare(np.nan, np.nan, np.nan, np.nan)
    res = chi2_contingency(t, correction=False)
    return ChiSquare(float(res.statistic), float(res.dof), float(res.pvalue),
                     float((res.expected_freq < 5).mean()))


@contextlib.contextmanager
def _gc_frozen() -> Iterator[None]:
    """Freeze the garbage collector's current objects while calling ``multipletests``.

    statsmodels' Holm branch calls ``gc.collect()`` on every call, which costs ~50 ms per family
    with pandas/scipy loaded; ``gc.freeze()`` makes that collection scan only new objects.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def adjust_pvalues(p_values: Sequence[float], method: str) -> np.ndarray:
    """Multiplicity-adjusted p-values of one family; NaN entries stay NaN and are not counted.

    ``multipletests(p, method=method)[1]`` with ``method`` ``"holm"`` or ``"fdr_bh"`` given
    explicitly.
    """
    if method not in ADJUST_METHODS:
        raise ConfigError(f"unknown p-value adjustment {method!r} (use one of {sorted(ADJUST_METHODS)})")
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method=ADJUST_METHODS[method])[1]
    return out


# --------------------------------------------------------------------------- small-cell suppression


@dataclass(frozen=True)
class SuppressionResult:
    """Which entries of a table are hidden.

    ``cells`` G × K; ``row_totals`` G (level bases; only for G > 1); ``col_totals`` K (only when
    modelled); ``merged`` G × M (sums of cell sets); ``merged_totals`` M; ``unprotected`` lists
    entries that could not be protected (e.g. a hidden cell equal to the public grand total).
    """

    cells: np.ndarray
    row_totals: np.ndarray
    col_totals: np.ndarray
    merged: np.ndarray
    merged_totals: np.ndarray
    unprotected: tuple[str, ...] = ()


class _Table:
    """A table with margins as a linear system: entries (cells, margins, merged sums) and equations."""

    def __init__(self, counts: np.ndarray, merged_groups: Sequence[Sequence[int]], col_totals: bool) -> None:
        self.counts = np.asarray(counts, dtype=np.int64)
        g, k = self.counts.shape
        self.g, self.k, self.groups = g, k, [tuple(s) for s in merged_groups]
        names: list[tuple[str, int, int]] = []
        values: list[int] = []

        def add(kind: str, i: int, j: int, v: int) -> int:
            names.append((kind, i, j))
            values.append(int(v))
            return len(names) - 1

        self.cell = np.array([[add("cell", i, j, self.counts[i, j]) for j in range(k)] for i in range(g)])
        self.row = np.array([add("row", i, -1, self.counts[i].sum()) for i in range(g)]) if g > 1 else np.array([], int)
        self.col = np.array([add("col", -1, j, self.counts[:, j].sum()) for j in range(k)]) if col_totals and g > 1 \
            else np.array([], int)
        self.merged = np.array([[add("merged", i, m, self.counts[i, list(s)].sum()) for m, s in enumerate(self.groups)]
                                for i in range(g)]).reshape(g, len(self.groups))
        self.merged_total = np.array([add("merged_total", -1, m, self.counts[:, list(s)].sum())
                                      for m, s in enumerate(self.groups)]) if col_totals and g > 1 else np.array([], int)
        self.grand = add("grand", -1, -1, self.counts.sum())
        self.names, self.values = names, np.array(values, dtype=float)
        eqs: list[dict[int, float]] = []
        for i in range(g):  # row total (or grand total when there is one row) = sum of its cells
            eq = {int(self.cell[i, j]): -1.0 for j in range(k)}
            eq[int(self.row[i]) if g > 1 else self.grand] = 1.0
            eqs.append(eq)
        if g > 1:
            eq = {int(r): -1.0 for r in self.row}
            eq[self.grand] = 1.0
            eqs.append(eq)
        if len(self.col):
            for j in range(k):
                eq = {int(self.cell[i, j]): -1.0 for i in range(g)}
                eq[int(self.col[j])] = 1.0
                eqs.append(eq)
        for i in range(g):
            for m, s in enumerate(self.groups):
                eq = {int(self.cell[i, j]): -1.0 for j in s}
                eq[int(self.merged[i, m])] = 1.0
                eqs.append(eq)
        if len(self.merged_total):
            for m in range(len(self.groups)):
                eq = {int(self.merged[i, m]): -1.0 for i in range(g)}
                eq[int(self.merged_total[m])] = 1.0
                eqs.append(eq)
        self.a = np.zeros((len(eqs), len(names)))
        for r, eq in enumerate(eqs):
            for c, v in eq.items():
                self.a[r, c] = v

    def bounds(self, entry: int, hidden: set[int]) -> tuple[float, float]:
        """Smallest and largest value of ``entry`` consistent with every published entry (LP, x ≥ 0)."""
        unknown = sorted(hidden)
        known = [i for i in range(len(self.names)) if i not in hidden]
        a_u = self.a[:, unknown]
        b = -self.a[:, known] @ self.values[known]
        pos = unknown.index(entry)
        c = np.zeros(len(unknown))
        out = []
        for sign in (1.0, -1.0):
            c[pos] = sign
            res = linprog(c, A_eq=a_u, b_eq=b, bounds=[(0, None)] * len(unknown), method="highs")
            if res.status == 3:  # unbounded
                out.append(-sign * np.inf)
            elif res.status != 0:
                raise RuntimeError(f"suppression audit LP failed: {res.message}")
            else:
                out.append(sign * res.fun)
        return out[0], out[1]

    def protected(self, entry: int, hidden: set[int]) -> bool:
        """True if the hidden ``entry`` cannot be recomputed exactly (its feasible range is wider than 0)."""
        lo, hi = self.bounds(entry, hidden)
        return hi - lo > 0.5

    def related(self, entry: int, other: int) -> bool:
        """True if ``other`` is a cell in the same row or column (or cell set) as ``entry``."""
        kind, i, j = self.names[entry]
        okind, oi, oj = self.names[other]
        if okind != "cell":
            return False
        if kind == "cell":
            return oi == i or oj == j
        if kind in ("row", "merged"):
            return oi == i
        if kind == "col":
            return oj == j
        if kind == "merged_total":
            return oj in self.groups[j]
        return True


def suppress_table(
    counts: np.ndarray,
    merged_groups: Sequence[Sequence[int]] = (),
    min_count: int = 1,
    max_count: int = 4,
    col_totals: bool = True,
) -> SuppressionResult:
    """Primary and complementary suppression of a G × K count table (``docs/methods.md`` §5).

    Published alongside the cells are the row totals (level bases), the column totals (treated as
    public: the attacker is assumed to know the level table's column sums), the grand total, and
    the sums over each merged cell set (per row and in total). Entries in ``[min_count,
    max_count]`` are hidden (primary). Then, while some hidden entry can be recomputed exactly
    from the published ones — its range under "all published equations hold, all counts ≥ 0",
    found by linear programming (``scipy.optimize.linprog``, HiGHS), is a single value — the
    smallest positive published cell in its row or column that protects it (else the smallest)
    is hidden too. Zero cells are never used as complements (a hidden zero next to published
    zeros can be pinned by non-negativity). ``col_totals=False`` models a one-row table whose
    column totals are the cells themselves (the total-level estimates).
    """
    t = _Table(np.atleast_2d(counts), merged_groups, col_totals)
    hidden = {i for i, v in enumerate(t.values) if min_count <= v <= max_count and i != t.grand}
    unprotected: list[str] = []
    for _ in range(len(t.names) + 1):
        exposed = [e for e in sorted(hidden) if not t.protected(e, hidden)]
        if not exposed:
            break
        e = exposed[0]
        cands = [c for c in range(len(t.names)) if c not in hidden and c != t.grand and t.values[c] > 0]
        if not cands:
            unprotected = [str(t.names[x]) for x in exposed]
            log.warning("suppression: cannot protect %s", unprotected)
            break
        cands.sort(key=lambda c: (not t.related(e, c), t.names[c][0] != "cell", t.values[c], c))
        chosen = next((c for c in cands if t.protected(e, hidden | {c})), cands[0])
        hidden.add(chosen)

    def mask(ix: np.ndarray) -> np.ndarray:
        return np.isin(ix, sorted(hidden)) if ix.size else np.zeros(ix.shape, dtype=bool)

    return SuppressionResult(
        cells=mask(t.cell), row_totals=mask(t.row), col_totals=mask(t.col), merged=mask(t.merged),
        merged_totals=mask(t.merged_total), unprotected=tuple(unprotected),
    )


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
    value_labels: Mapping[str, Mapping[str, str]] | None = None,
    variable_labels: Mapping[str, str] | None = None,
) -> Breakdown:
    """Resolve a configured breakdown against the codebook and the data.

    Levels, in order of preference: the configured ``groups``; the codebook codes of the column
    (non-substantive codes only if ``include_nonsubstantive_levels``); the observed values of a
    ``scores.csv`` column (numeric order), labelled by ``labels`` in the config, else by the
    scoring config, else by the value itself. A missing column is a ``ConfigError``.
    """
    value_labels = value_labels or {}
    variable_labels = variable_labels or {}
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
    label_no = spec.label_no or variable_labels.get(column, "")
    label_en = spec.label_en or label_no
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
        observed = sorted(set(frame[column].unique()) - {""}, key=value_sort_key)
        labels = {**value_labels.get(column, {}), **spec.labels}
        levels = tuple(Level(v, labels.get(v, v), labels.get(v, v), (v,)) for v in observed)
    return Breakdown(spec.id, label_no or spec.id, label_en or spec.id, source, column, levels)


def resolve_breakdowns(
    codebook: Codebook,
    data: SurveyData,
    settings: EstimateSettings,
    survey: str,
    value_labels: Mapping[str, Mapping[str, str]] | None = None,
    variable_labels: Mapping[str, str] | None = None,
) -> list[Breakdown]:
    """All configured breakdowns that apply to ``survey``, resolved (see :func:`resolve_breakdown`)."""
    return [
        resolve_breakdown(s, codebook, data, settings, value_labels, variable_labels)
        for s in settings.breakdowns
        if s.surveys is None or survey in s.surveys
    ]


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
)


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
    stats = proportion_stats(x_gc.ravel(), np.repeat(n_g, c_count), settings.report_z, settings.confidence_level)
    with _gc_frozen():
        for j, cat in enumerate(o.categories):
            total_hidden = bool(totals.suppressed[j])
            z = np.full(g_count, np.nan)
            p = np.full(g_count, np.nan)
            small = n_g < settings.min_n
            tested = np.zeros(g_count, dtype=bool)
            for g in range(g_count):
                if small[g] or hidden_cells[g, j] or total_hidden:
                    continue
                z[g], p[g] = z_test_vs_rest(int(x_gc[g, j]), int(n_g[g]), int(x_t[j]), big_n)
                tested[g] = not np.isnan(p[g])
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
                    "chi2": np.nan if any_hidden else chi.statistic,
                    "chi2_df": np.nan if any_hidden else chi.dof,
                    "chi2_p": np.nan if any_hidden else chi.p_value,
                    "chi2_share_expected_lt5": np.nan if any_hidden else chi.share_expected_lt5,
                    "suppressed": int(hid),
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
        "tested": ("integer (boolean)", "1 if the level was tested (n large enough, not suppressed, variance > 0)"),
        "z": ("float", "pooled two-proportion z of the level vs the rest (statsmodels proportions_ztest); "
              "equal to the adjusted standardized residual"),
        "p_value": ("float", "two-sided unadjusted p-value of z"),
        "p_holm": ("float", "Holm-adjusted p (multipletests method='holm'); family = this category x this breakdown"),
        "p_bh": ("float", "Benjamini-Hochberg-adjusted p (multipletests method='fdr_bh'); same family"),
        "family_size": ("integer", "number of tested levels in the family"),
        "adjust_method": ("string", "p-value that decides `significant` (config significance.adjust)",
                          "none, holm, fdr_bh"),
        "significant": ("integer (boolean)", f"1 if tested and the chosen p < {settings.alpha:g}"),
        "direction": ("string", "for significant levels: higher or lower than the total", "higher, lower, empty"),
        "chi2": ("float", "Pearson chi-square of the whole level x answer table (scipy chi2_contingency, "
                 "correction=False); same on every row of the table; empty if any cell is suppressed"),
        "chi2_df": ("integer", "degrees of freedom of chi2"),
        "chi2_p": ("float", "p-value of chi2"),
        "chi2_share_expected_lt5": ("float", "share of cells with expected count < 5 (chi-square approximation warning)"),
        "suppressed": ("integer (boolean)", "1 if the count is hidden by small-cell suppression "
                       f"(enabled: {str(settings.suppression.enabled).lower()})"),
    })


def check_subgroup_table(
    sub: pd.DataFrame, outcomes: Sequence[Outcome], breakdowns: Sequence[Breakdown], min_n: int
) -> list[str]:
    """Problems with a finished ``subgroup_tests`` table (empty list = fine).

    Checks that every configured breakdown appears for every outcome category (an outcome crossed
    with itself excepted), that ``small_n`` is set exactly where the level base is below
    ``min_n``, and that no small level is tested or called significant.
    """
    problems = []
    got = set(zip(sub["source"], sub["variable"], sub["category"], sub["breakdown"], strict=True))
    for o in outcomes:
        for b in breakdowns:
            if b.source == o.source and b.column == o.variable:
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
    return problems
