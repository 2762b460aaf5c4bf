"""Item matrices on the scoring metric, built from ``responses.csv`` through the codebook."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from ..codebook import Codebook
from ..errors import ConfigError, InputDataError
from .logic import row_count, row_nansum


@dataclass(frozen=True)
class ItemSet:
    """Items of one instrument: ``values`` (rows x items, float, ``NaN`` = missing) on the scoring
    metric (fielded code minus the offset), with the range of a substantive answer."""

    columns: tuple[str, ...]
    values: np.ndarray
    item_min: int
    item_max: int

    def subset(self, columns: Sequence[str]) -> np.ndarray:
        """Columns ``columns`` of the matrix, in that order (``KeyError`` names an unknown item)."""
        idx = []
        for c in columns:
            if c not in self.columns:
                raise KeyError(f"item {c!r} is not one of {list(self.columns)}")
            idx.append(self.columns.index(c))
        return self.values[:, idx]

    @cached_property
    def n_valid(self) -> np.ndarray:
        """Answered items per row (computed once: every classification of the instrument uses it)."""
        return row_count(~np.isnan(self.values))

    @cached_property
    def row_sum(self) -> np.ndarray:
        """Sum of the answered items per row, :func:`~mhsurvey.scoring.logic.row_nansum` (once)."""
        return row_nansum(self.values)


def substantive_codes(codebook: Codebook, column: str) -> list[int]:
    """Sorted substantive codes of ``column`` (all codes minus the non-substantive ones)."""
    col = codebook.column(column)
    return sorted(col.valid_codes() - col.nonsubstantive_codes())


def item_values(
    responses: pd.DataFrame, codebook: Codebook, columns: Sequence[str], offset: int = 0
) -> np.ndarray:
    """Float matrix of ``columns`` minus ``offset``; empty cells and non-substantive codes -> ``NaN``.

    A code that is neither substantive nor non-substantive for its column raises
    ``InputDataError`` (the cleaning stage should have caught it; scoring never guesses).
    """
    out = np.full((len(responses), len(columns)), np.nan)
    for j, name in enumerate(columns):
        if name not in responses.columns:
            raise InputDataError("item column missing from responses", file="responses", column=name)
        raw = pd.to_numeric(responses[name], errors="coerce").astype("Float64")
        col = codebook.column(name)
        subst = set(substantive_codes(codebook, name))
        nonsub = col.nonsubstantive_codes()
        vals = raw.to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isnan(vals) & ~np.isin(vals, sorted(subst | set(nonsub)))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputDataError(
                "code not defined in the codebook",
                file="responses",
                row=row + 1,
                column=name,
                value=vals[row],
            )
        keep = np.isin(vals, sorted(subst))
        out[:, j] = np.where(keep, vals - offset, np.nan)
    return out


def instrument_items(
    responses: pd.DataFrame,
    codebook: Codebook,
    instrument: str,
    offset: int,
    n_items: int | None = None,
) -> ItemSet:
    """The :class:`ItemSet` of codebook instrument ``instrument`` (items in codebook order).

    The item range comes from the codebook's substantive codes minus ``offset``; every item must
    share it. ``n_items`` (from the scoring config) is checked against the codebook.
    """
    cols = codebook.instrument_items(instrument)
    if not cols:
        raise ConfigError(
            f"codebook {codebook.path or codebook.survey} has no items of instrument {instrument!r}"
        )
    if n_items is not None and len(cols) != n_items:
        raise ConfigError(
            f"instrument {instrument!r}: scoring config expects {n_items} items, codebook has {len(cols)} {cols}"
        )
    ranges = {(min(c), max(c)) for c in (substantive_codes(codebook, x) for x in cols)}
    if len(ranges) != 1:
        raise ConfigError(f"instrument {instrument!r}: items do not share one code range: {sorted(ranges)}")
    lo, hi = ranges.pop()
    return ItemSet(tuple(cols), item_values(responses, codebook, cols, offset), lo - offset, hi - offset)
