"""Stage 04 outcomes: the variables to estimate and their reported categories.

Every non-text column of the codebook and every configured classification of ``scores.csv`` is
turned into an :class:`Outcome`: a variable whose answers fall into the cells of a table (its
``table_values``) and whose reported categories are single codes or merged code sets ("Helt eller
delvis enig" = codes 1, 2).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .codebook import Codebook, Column
from .errors import ConfigError, InputDataError
from .estimate_settings import ClassificationSpec, EstimateSettings, MergeRule

log = logging.getLogger("mhsurvey.estimates")


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
        variable=col.name,
        source="responses",
        question_id=col.question_id,
        item_id=col.item_id or "",
        qtype=col.qtype,
        label_no=col.label_no,
        label_en=col.label_en,
        measure=col.measure or "",
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
        cats.append(
            Category(
                rule.id,
                rule.label_no,
                rule.label_en,
                "merged",
                tuple(values.index(str(c)) for c in rule.codes),
            )
        )
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
    value_labels_en: Mapping[str, Mapping[str, str]] | None = None,
) -> list[Outcome]:
    """Outcomes for the configured classifications (columns of ``scores.csv`` as strings).

    ``value_labels`` / ``value_labels_en``: Norwegian / English level labels by column and code
    (stage 02's ``levels.csv``); a level without a label is labelled by its code.

    Binary classifications report the share of ``1`` among determined respondents (empty =
    undetermined, not in the base). Categorical ones report every level (configured order, else
    sorted observed values) plus configured merged levels. A configured column missing from
    ``scores.csv`` is a ``ConfigError`` (restrict it with ``surveys:`` if it does not apply).
    """
    value_labels = value_labels or {}
    value_labels_en = value_labels_en or {}
    out = []
    for spec in specs:
        if not _applies(spec.surveys, survey):
            continue
        if spec.column not in scores.columns:
            raise ConfigError(f"classification column {spec.column!r} is not in scores.csv ({survey})")
        observed = sorted(set(scores[spec.column].unique()) - {""}, key=value_sort_key)
        labels = value_labels.get(spec.column, {})
        labels_en = value_labels_en.get(spec.column, {})
        common = dict(
            variable=spec.column,
            source="scores",
            question_id=spec.column,
            item_id="",
            label_no=spec.label_no,
            label_en=spec.label_en,
            measure=spec.column,
            routing="",
        )
        if spec.kind == "binary":
            bad = sorted(set(observed) - {"0", "1"})
            if bad:
                raise InputDataError(
                    "binary classification holds values other than 0/1",
                    file="scores.csv",
                    column=spec.column,
                    value=bad[0],
                )
            cat = Category(
                "1", labels.get("1", spec.label_no), labels_en.get("1", spec.label_en), "level", (0,)
            )
            out.append(Outcome(qtype="classification", table_values=("1", "0"), categories=(cat,), **common))
            continue
        levels = list(spec.levels) if spec.levels else observed
        unknown = sorted(set(observed) - set(levels))
        if unknown:
            raise InputDataError(
                "classification holds values not among its configured levels",
                file="scores.csv",
                column=spec.column,
                value=unknown[0],
            )
        cats = [
            Category(v, labels.get(v, v), labels_en.get(v, v), "level", (i,)) for i, v in enumerate(levels)
        ]
        for g in spec.merged:
            missing = [v for v in g.values if v not in levels]
            if missing:
                raise ConfigError(f"merged level {g.key!r} of {spec.column!r} names unknown levels {missing}")
            cats.append(
                Category(g.key, g.label_no, g.label_en, "merged", tuple(levels.index(v) for v in g.values))
            )
        out.append(
            Outcome(qtype="classification", table_values=tuple(levels), categories=tuple(cats), **common)
        )
    return out


def value_sort_key(v: str) -> tuple[int, float, str]:
    """Sort key putting numeric strings first in numeric order, then other strings alphabetically."""
    try:
        return (0, float(v), v)
    except ValueError:
        return (1, 0.0, v)


def category_matrix(outcome: Outcome) -> np.ndarray:
    """K × C 0/1 matrix W with W[k, c] = 1 if cell k belongs to category c (category counts = cell counts @ W)."""
    w = np.zeros((len(outcome.table_values), len(outcome.categories)), dtype=np.int64)
    for j, cat in enumerate(outcome.categories):
        w[list(cat.cells), j] = 1
    return w


def outcome_key(o: Outcome) -> str:
    """Unique key of an outcome across sources (``<source>:<variable>``)."""
    return f"{o.source}:{o.variable}"
