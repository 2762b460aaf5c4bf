"""Stage 04 counts: the survey data as strings, each respondent's cell, and total-level counts.

Base n = respondents who were **asked** the question (its routing holds) and answered it
(``docs/methods.md`` §1).
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .codebook import Codebook
from .errors import InputDataError
from .estimate_settings import EstimateSettings
from .io import ARROW_MIN_BYTES, arrow_string_factors, smallest_code_dtype
from .outcomes import Outcome, category_matrix
from .routing import blank_unasked, routing_mask
from .suppression import suppress_table

log = logging.getLogger("mhsurvey.estimates")


@dataclass
class SurveyData:
    """The inputs of stage 04: responses (codes, and as strings) and scores (as strings).

    ``responses`` holds nullable Int64 codes (for routing); :meth:`codes` / :meth:`values` give a
    column as strings with ``""`` for empty (built per column on demand), so that codes and class
    labels compare alike; ``scores_str`` is ``scores.csv`` without ``rid``, each column strings or
    (as :func:`read_scores` reads it) a categorical of its strings.
    With a ``codebook``, routing is re-applied in questionnaire order
    (:func:`mhsurvey.routing.blank_unasked`, the codes of :func:`~mhsurvey.routing.apply_routing`) before anything is counted.
    """

    responses: pd.DataFrame
    scores: pd.DataFrame | None = None
    codebook: Codebook | None = None
    _routing_cache: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _codes_cache: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False
    )

    def __post_init__(self) -> None:
        # the data columns without a copy (drop() would copy every column: 1.1 GB at a million)
        columns = list(self.responses.columns)
        body = pd.DataFrame(
            {c: self.responses[c] for c in columns if c != "rid"}, index=self.responses.index, copy=False
        )
        if self.codebook is not None:
            # Defensive: re-apply routing in questionnaire order (a no-op on cleaned data), so an
            # answer given where a question was not asked can never enter a base, and nested
            # routing (satisfaction asked only if follow-up was asked and answered 1-3) holds.
            body, blanked = blank_unasked(body, self.codebook)
            if blanked:
                log.warning("%d answers given where the question was not asked were ignored", blanked)
            if blanked or ("rid" in columns and columns[0] != "rid"):  # (else they are already)
                self.responses = (
                    pd.concat([self.responses[["rid"]], body], axis=1) if "rid" in columns else body
                )
        self._body = body
        if self.scores is not None:
            if "rid" in self.scores.columns and "rid" in self.responses.columns:
                left = self.responses["rid"].astype(str).to_numpy()
                right = self.scores["rid"].astype(str).to_numpy()
                if len(left) != len(right) or not np.array_equal(left, right):
                    raise InputDataError(
                        "scores.csv rows do not match responses.csv rows (rid order)",
                        file="scores.csv",
                        column="rid",
                    )
            body_s = self.scores.drop(columns=["rid"], errors="ignore")
            self.scores_str = pd.DataFrame({c: _as_strings(body_s[c]) for c in body_s.columns})
        else:
            self.scores_str = pd.DataFrame(index=range(len(self.responses)))

    def _frame(self, source: str) -> pd.DataFrame:
        """The data columns of ``source``: responses (codes, routing re-applied) or scores (strings)."""
        return self._body if source == "responses" else self.scores_str

    def has_column(self, source: str, column: str) -> bool:
        """Whether ``column`` is a data column of ``source`` (``"responses"`` or ``"scores"``)."""
        return column in self._frame(source).columns

    @property
    def n(self) -> int:
        """Number of respondents."""
        return len(self.responses)

    def values(self, source: str, column: str) -> np.ndarray:
        """The column as an object array of strings (``""`` = empty), ``uniques[codes]``."""
        codes, uniques = self.codes(source, column)
        return uniques[codes]

    def codes(self, source: str, column: str) -> tuple[np.ndarray, np.ndarray]:
        """The column factorized once (cached): integer codes per respondent and the distinct strings.

        The same as ``pd.factorize`` of the column as strings (``""`` = empty; codes in order of
        first appearance), computed by :func:`string_codes` without a string per cell. Lookups
        map the few distinct strings, then index by code (:func:`cell_index`,
        :func:`mhsurvey.subgroups.level_index`).
        """
        key = (source, column)
        if key not in self._codes_cache:
            if not self.has_column(source, column):
                raise InputDataError(f"column missing from {source}", file=f"{source}.csv", column=column)
            self._codes_cache[key] = string_codes(self._frame(source)[column])
        return self._codes_cache[key]

    def asked(self, routing: str) -> np.ndarray:
        """Boolean mask of respondents the routing expression selects (all if empty)."""
        if not routing:
            return np.ones(self.n, dtype=bool)
        if routing not in self._routing_cache:  # _body: the responses without rid (no copy)
            self._routing_cache[routing] = routing_mask(self._body, routing).to_numpy(dtype=bool)
        return self._routing_cache[routing]


def _as_strings(column: pd.Series) -> np.ndarray | pd.Series:
    """The column as strings, ``""`` for missing (``astype("string")``): an object array, or for a
    categorical column of strings (``scores.csv`` as :func:`read_scores` reads it) the categorical
    itself, one small integer code per cell instead of a string per cell. A column of strings
    already is not copied cell by cell."""
    if isinstance(column.dtype, pd.CategoricalDtype) and pd.api.types.infer_dtype(
        column.cat.categories, skipna=True
    ) in ("string", "empty"):
        if column.isna().any():
            if "" not in column.cat.categories:
                column = column.cat.add_categories([""])
            column = column.fillna("")
        return column
    if column.dtype == object and pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty"):
        values = column.to_numpy(dtype=object)
        missing = pd.isna(values)
        if missing.any():
            values = values.copy()
            values[missing] = ""
        return values
    return column.astype("string").fillna("").to_numpy(dtype=object)


def string_codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(column.astype("string").fillna(""))`` without converting every cell.

    The column is factorized as it is (missing values apart), only its distinct values are
    converted to strings, and the codes are renumbered in order of first appearance of each
    distinct string; equal strings from distinct values (none for integer codes) are merged. So
    ``uniques[codes]`` is the column as strings, and codes and uniques equal those of factorizing
    the strings (the codes in the smallest integer type that holds them), at the cost of one
    integer factorization (stage 04 at 100x: 7 s and 1.6 GB less).
    """
    raw, distinct = pd.factorize(column, use_na_sentinel=True)
    as_str = pd.Series(distinct, dtype=column.dtype).astype("string").fillna("").to_numpy(dtype=object)
    full = np.append(as_str, np.array([""], dtype=object))
    cell = np.where(raw < 0, len(as_str), raw)
    codes, first = pd.factorize(cell)
    merged, uniques = pd.factorize(full[first])
    return merged[codes].astype(smallest_code_dtype(len(uniques))), np.asarray(uniques, dtype=object)


def read_scores(path: str | Path) -> pd.DataFrame:
    """Read ``02_scores/scores.csv`` with every cell as a string (``""`` = empty / undetermined).

    Each column is a ``Categorical`` of its distinct strings in order of first appearance, so
    its codes are those of ``pd.factorize`` of the strings (one small integer per cell: a
    million respondents' 57 columns take 0.1 GB instead of 3 GB of strings). From
    ``ARROW_MIN_BYTES`` on, pyarrow's multithreaded CSV reader parses the file (every column a
    string, ``""`` not missing) and encodes each column; smaller files go through
    ``pd.read_csv(dtype=str, keep_default_na=False)``, which reads the same strings.
    """
    if Path(path).stat().st_size >= ARROW_MIN_BYTES:
        return _read_scores_arrow(path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return pd.DataFrame({c: _categorical(*pd.factorize(raw[c].to_numpy(dtype=object))) for c in raw.columns})


def _categorical(codes: np.ndarray, uniques: np.ndarray) -> pd.Categorical:
    """``uniques[codes]`` as a Categorical whose categories are ``uniques`` in their order."""
    codes = np.asarray(codes).astype(smallest_code_dtype(len(uniques)), copy=False)
    return pd.Categorical.from_codes(
        codes, categories=pd.Index(np.asarray(uniques, dtype=object), dtype=object)
    )


def _read_scores_arrow(path: str | Path) -> pd.DataFrame:
    """:func:`read_scores` through ``pyarrow.csv`` and ``dictionary_encode`` (first-appearance order)."""
    import pyarrow.csv as pacsv

    with open(path, encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh), [])
    factors = arrow_string_factors(path, len(header), pacsv.ParseOptions(newlines_in_values=True))
    return pd.DataFrame({name: _categorical(*f) for name, f in zip(header, factors, strict=True)})


def cell_index(data: SurveyData, outcome: Outcome) -> np.ndarray:
    """Per respondent, the index of their cell in ``outcome.table_values``; −1 if not in the base.

    Not in the base: not asked (routing false), empty, or a value outside the table (e.g. a
    non-substantive code when those are excluded).
    """
    codes, uniques = data.codes(outcome.source, outcome.variable)
    lookup = {v: i for i, v in enumerate(outcome.table_values)}
    per_value = np.array([lookup.get(v, -1) for v in uniques] + [-1], dtype=np.int64)
    idx = per_value[codes]  # codes are never -1 (empty cells are the string "")
    idx[~data.asked(outcome.routing)] = -1
    return idx


@dataclass(frozen=True)
class OutcomeTotals:
    """Total-level counts of one outcome: base size, cell counts, category counts, suppression."""

    n_asked: int
    base_n: int
    cell_counts: np.ndarray
    category_counts: np.ndarray
    suppressed: np.ndarray  # bool per category


def outcome_totals(
    data: SurveyData, outcome: Outcome, cells: np.ndarray, settings: EstimateSettings
) -> OutcomeTotals:
    """Counts of ``outcome`` in the whole sample (``cells`` from :func:`cell_index`).

    With suppression enabled, category counts in [min_count, max_count] and the complementary
    cells needed to protect them are hidden (the base n stays public; see
    :func:`mhsurvey.suppression.suppress_table`).
    """
    k = len(outcome.table_values)
    in_base = cells >= 0
    counts = np.bincount(cells[in_base], minlength=k)
    w = category_matrix(outcome)
    cat_counts = counts @ w
    suppressed = np.zeros(len(outcome.categories), dtype=bool)
    if settings.suppression.enabled:
        res = suppress_table(
            counts[None, :],
            outcome.merged_cell_sets,
            settings.suppression.min_count,
            settings.suppression.max_count,
            col_totals=False,
            label=f"{outcome.variable} total",
        )
        merged_iter = iter(res.merged[0])
        for j, cat in enumerate(outcome.categories):
            if cat.kind == "merged":
                suppressed[j] = bool(next(merged_iter))
            else:
                suppressed[j] = bool(res.cells[0, list(cat.cells)].any())
    return OutcomeTotals(
        int(data.asked(outcome.routing).sum()), int(in_base.sum()), counts, cat_counts, suppressed
    )
