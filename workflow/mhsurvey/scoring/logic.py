"""Three-valued classification primitives: bounds logic, proration, Kleene combinations.

Every classification in the scoring stage is three-valued: ``True`` (case), ``False`` (not a case)
or ``NA`` (undetermined). Values are pandas nullable booleans (``BooleanArray``), whose ``&``, ``|``
and ``~`` implement Kleene's logic (``False & NA == False``, ``True | NA == True``).

Missing-data rule (``docs/scoring.md`` "Missing data"; docs/methods.md §6.2):

1. **Bounds.** With missing items, the total can take any integer value between ``lo`` (missing
   items at their minimum, 0) and ``hi`` (missing items at their maximum). A monotone rule (a
   threshold, or ordered bands) gives the same class for every completion exactly when it gives
   the same class at ``lo`` and at ``hi``; that class is assigned.
2. **Proration.** Otherwise, if the instrument allows it (at most ``max_missing`` items missing and
   the policy is ``bounds_then_prorate``), the prorated total ``k * mean(answered items)`` decides.
   The prorated total lies in ``[lo, hi]``, so proration never contradicts the bounds.
3. Otherwise the class is ``NA``.

Rules over several disjoint item sets combine with Kleene ``&``/``|``; because the components share
no items, the combination is determined exactly when every completion of the missing items gives
the same result (a component that is ``False`` for all completions forces ``False``, and so on).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

BOUNDS_ONLY = "bounds_only"
BOUNDS_THEN_PRORATE = "bounds_then_prorate"
POLICIES = (BOUNDS_THEN_PRORATE, BOUNDS_ONLY)


def tri(value: np.ndarray, known: np.ndarray) -> pd.arrays.BooleanArray:
    """Nullable boolean array equal to ``value`` where ``known`` and ``NA`` elsewhere."""
    value = np.asarray(value, dtype=bool)
    known = np.asarray(known, dtype=bool)
    return pd.arrays.BooleanArray(value & known, ~known)


def constant(n: int, value: bool = True) -> pd.arrays.BooleanArray:
    """A length-``n`` array of one known value (used for "no extra requirement")."""
    return tri(np.full(n, value), np.ones(n, dtype=bool))


def row_count(mask: np.ndarray) -> np.ndarray:
    """Number of ``True`` per row of a boolean matrix: ``mask.sum(axis=1)`` (int64), added up one
    column at a time, since a reduction along a row of a few items is about ten times slower than
    as many whole-column additions (the counts are integers: the same values either way)."""
    mask = np.asarray(mask, dtype=bool)
    out = np.zeros(mask.shape[0], dtype=np.int64)
    for j in range(mask.shape[1]):
        out += mask[:, j]
    return out


def row_any(mask: np.ndarray) -> np.ndarray:
    """``mask.any(axis=1)`` one column at a time (see :func:`row_count`)."""
    mask = np.asarray(mask, dtype=bool)
    out = np.zeros(mask.shape[0], dtype=bool)
    for j in range(mask.shape[1]):
        out |= mask[:, j]
    return out


def row_nansum(x: np.ndarray) -> np.ndarray:
    """``np.nansum(x, axis=1)`` one column at a time, left to right (see :func:`row_count`).

    Item matrices hold integer codes, whose sums are exact in any order, so this equals
    ``np.nansum`` bit for bit; only for non-integer values and 8 or more columns could the last
    bit differ (NumPy sums a long row pairwise).
    """
    x = np.asarray(x, dtype=float)
    out = np.zeros(x.shape[0])
    for j in range(x.shape[1]):
        col = x[:, j]
        out += np.where(np.isnan(col), 0.0, col)
    return out


def n_valid(x: np.ndarray) -> np.ndarray:
    """Number of answered items per row of an item matrix (``NaN`` = missing)."""
    return row_count(~np.isnan(x))


def sum_bounds(
    x: np.ndarray,
    item_max: float,
    item_min: float = 0.0,
    observed: np.ndarray | None = None,
    valid: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)``: the smallest and largest total over all completions of the missing items.

    ``lo = sum(answered) + n_missing * item_min``; ``hi = sum(answered) + n_missing * item_max``
    (docs/methods.md §6.2). With no missing item ``lo == hi ==`` the total. ``observed`` /
    ``valid``: ``row_nansum(x)`` / ``n_valid(x)`` where the caller has them already.
    """
    observed = row_nansum(x) if observed is None else observed
    n_missing = x.shape[1] - (n_valid(x) if valid is None else valid)
    return observed + n_missing * item_min, observed + n_missing * item_max


def prorated_total(
    x: np.ndarray, max_missing: int, observed: np.ndarray | None = None, valid: np.ndarray | None = None
) -> np.ndarray:
    """Total prorated from the answered items, ``k * mean(answered)``, or ``NaN``.

    Proration = each missing item replaced by the person mean of the answered items (docs/methods.md
    §6.2). Defined when at most ``max_missing`` of the ``k`` items are missing and at least one is
    answered; complete rows give the plain sum. Not rounded. ``observed`` / ``valid`` as in
    :func:`sum_bounds`.
    """
    k = x.shape[1]
    valid = n_valid(x) if valid is None else valid
    ok = (k - valid <= max_missing) & (valid > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (row_nansum(x) if observed is None else observed) / np.where(valid > 0, valid, 1)
    return np.where(ok, k * mean, np.nan)


def at_least(
    lo: np.ndarray, hi: np.ndarray, fallback: np.ndarray, min_total: float
) -> pd.arrays.BooleanArray:
    """Three-valued ``total >= min_total`` from the bounds ``[lo, hi]`` and a fallback total.

    True when ``lo >= min_total`` (every completion is a case); False when ``hi < min_total``
    (none is); otherwise ``fallback >= min_total`` where the fallback (prorated total) is
    not ``NaN``; else ``NA``.
    """
    sure_yes = lo >= min_total
    sure_no = hi < min_total
    open_ = ~(sure_yes | sure_no)
    fb_known = ~np.isnan(fallback)
    with np.errstate(invalid="ignore"):
        fb_yes = fallback >= min_total
    value = sure_yes | (open_ & fb_yes)
    known = sure_yes | sure_no | (open_ & fb_known)
    return tri(value, known)


def band_index(
    lo: np.ndarray, hi: np.ndarray, fallback: np.ndarray, band_mins: Sequence[float]
) -> np.ndarray:
    """Index of the ordered band holding the total, or -1 when undetermined.

    Bands are ``[band_mins[i], band_mins[i+1])``; ``band_mins`` must be increasing. The band is
    determined when ``lo`` and ``hi`` fall in the same band (bands are ordered, so every total in
    between does too); otherwise the fallback (prorated total) decides when not ``NaN``.
    """
    mins = np.asarray(band_mins, dtype=float)
    b_lo = np.searchsorted(mins, lo, side="right") - 1
    b_hi = np.searchsorted(mins, hi, side="right") - 1
    fb_ok = ~np.isnan(fallback)
    b_fb = np.searchsorted(mins, np.where(fb_ok, fallback, mins[0]), side="right") - 1
    out = np.where(b_lo == b_hi, b_lo, np.where(fb_ok, b_fb, -1))
    return out.astype(int)


def any_at_least(x: np.ndarray, min_code: float) -> pd.arrays.BooleanArray:
    """Three-valued "at least one item >= ``min_code``" (docs/methods.md §6.2, diagnostic rules).

    True if any answered item is ``>= min_code``; False if every item is answered and below it;
    otherwise ``NA``. No proration: the answer for a missing item is unknowable.
    """
    with np.errstate(invalid="ignore"):
        hit = row_any(x >= min_code)
    complete = n_valid(x) == x.shape[1]
    return tri(hit, hit | complete)


def count_at_least(x: np.ndarray, min_codes: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)`` number of items at or above their own threshold over all completions.

    ``min_codes[j]`` is item ``j``'s threshold. ``lo`` counts answered items that meet it; ``hi``
    adds every missing item (a missing item can always be completed to meet it).
    """
    thr = np.asarray(min_codes, dtype=float)
    with np.errstate(invalid="ignore"):
        lo = row_count(x >= thr)
    return lo, lo + row_count(np.isnan(x))


def decide_over_grid(
    ranges: Sequence[tuple[np.ndarray, np.ndarray]],
    predicate: Callable[..., np.ndarray],
    max_values: Sequence[int],
) -> pd.arrays.BooleanArray:
    """Three-valued ``predicate(*counts)`` over every integer point of the per-row box of counts.

    ``ranges[d] = (lo_d, hi_d)`` are per-row integer bounds of count ``d`` (each value in between is
    reachable because every missing item can independently meet or miss its threshold);
    ``max_values[d]`` bounds the grid. The result is True (False) when the predicate holds
    (fails) at every reachable point, else ``NA``. Exact for any predicate, monotone or not.
    """
    n = len(ranges[0][0])
    can_true = np.zeros(n, dtype=bool)
    can_false = np.zeros(n, dtype=bool)
    grids = np.meshgrid(*[np.arange(m + 1) for m in max_values], indexing="ij")
    for point in zip(*[g.ravel() for g in grids], strict=True):
        reach = np.ones(n, dtype=bool)
        for (lo, hi), v in zip(ranges, point, strict=True):
            reach &= (lo <= v) & (v <= hi)
        if not reach.any():
            continue
        holds = bool(predicate(*[np.int64(v) for v in point]))
        if holds:
            can_true |= reach
        else:
            can_false |= reach
    return tri(can_true & ~can_false, can_true ^ can_false)


def to_int01(values: pd.arrays.BooleanArray) -> pd.Series:
    """Nullable boolean -> nullable ``Int64`` 1/0 (``<NA>`` stays missing), for CSV output."""
    return pd.Series(values, dtype="boolean").astype("Int64")
