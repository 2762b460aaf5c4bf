"""Bounds logic and missing data: hand-computed cases and hypothesis property tests.

Property: with missing items, a class is assigned only when every completion of the missing items
gives that class, and NA only when two completions disagree. Checked against brute-force
enumeration of all completions (itertools.product), for sums, bands, "any item" rules, the PHQ-9
DSM algorithm and the ITQ composite rules.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mhsurvey.scoring.instruments import (
    functional_impairment,
    itq_clusters,
    itq_diagnoses,
    phq9_algorithm,
)
from mhsurvey.scoring.items import ItemSet
from mhsurvey.scoring.logic import (
    any_at_least,
    at_least,
    band_index,
    constant,
    decide_over_grid,
    prorated_total,
    sum_bounds,
    to_int01,
)

NA = None


def vals(b: pd.arrays.BooleanArray) -> list:
    """BooleanArray -> list of True/False/None."""
    return [None if pd.isna(v) else bool(v) for v in b]


def mat(rows: list[list]) -> np.ndarray:
    return np.array([[np.nan if v is None else v for v in r] for r in rows], dtype=float)


def completions(row: list, lo: int, hi: int):
    """Every completion of the ``None`` cells of ``row`` with integers lo..hi."""
    miss = [j for j, v in enumerate(row) if v is None]
    for fill in itertools.product(range(lo, hi + 1), repeat=len(miss)):
        full = list(row)
        for j, v in zip(miss, fill, strict=True):
            full[j] = v
        yield full


def expected(classes: set) -> object:
    """The determined class if all completions agree, else None (NA)."""
    return next(iter(classes)) if len(classes) == 1 else None


# --------------------------------------------------------------------------- hand-computed cases


def test_sum_bounds_and_proration_hand_values():
    x = mat([[2, 2, 2, None, 1, 1, 1], [1, 1, 1, 1, 1, 1, 2], [None, None, 3, 3, 3, 3, 3]])
    lo, hi = sum_bounds(x, item_max=3)
    assert lo.tolist() == [9, 8, 15]
    assert hi.tolist() == [12, 8, 21]
    pr = prorated_total(x, max_missing=1)
    assert pr[0] == pytest.approx(10.5)  # 9 / 6 * 7 (docs/methods.md §6.4 worked example)
    assert pr[1] == 8
    assert np.isnan(pr[2])  # two missing > 1


def test_at_least_uses_bounds_before_fallback():
    lo = np.array([9.0, 9.0, 9.0, 5.0])
    hi = np.array([12.0, 12.0, 12.0, 8.0])
    fb = np.array([10.5, np.nan, 9.5, 7.0])
    # >= 9: determined yes by bounds for the first three; hi 8 < 9 -> no
    assert vals(at_least(lo, hi, fb, 9)) == [True, True, True, False]
    # >= 10: open for the first three, decided by the fallback if any
    assert vals(at_least(lo, hi, fb, 10)) == [True, None, False, False]


def test_band_index_hand_values():
    mins = [0, 15, 19, 26, 34]
    lo = np.array([14.0, 16.0, 12.0, 40.0])
    hi = np.array([14.0, 18.0, 20.0, 42.0])
    fb = np.array([np.nan, np.nan, 16.0, np.nan])
    assert band_index(lo, hi, fb, mins).tolist() == [0, 1, 1, 4]
    assert band_index(lo, hi, np.full(4, np.nan), mins).tolist() == [0, 1, -1, 4]


def test_any_at_least_three_valued():
    x = mat([[2, None], [0, None], [0, 1], [None, None], [3, 0]])
    assert vals(any_at_least(x, 2)) == [True, None, False, None, True]


def test_to_int01_keeps_na():
    out = to_int01(pd.array([True, False, None], dtype="boolean"))
    assert out.dtype == "Int64"
    assert out.tolist()[:2] == [1, 0] and pd.isna(out.iloc[2])


# --------------------------------------------------------------------------- property tests


def item_rows(k: int, hi: int, max_missing: int):
    """Strategy: a row of k items in 0..hi with at most max_missing None cells."""
    return st.lists(st.one_of(st.none(), st.integers(0, hi)), min_size=k, max_size=k).filter(
        lambda r: sum(v is None for v in r) <= max_missing
    )


@settings(max_examples=150, deadline=None)
@given(row=item_rows(7, 3, 4), t=st.integers(0, 22))
def test_threshold_class_matches_every_completion(row, t):
    x = mat([row])
    lo, hi = sum_bounds(x, 3)
    got = vals(at_least(lo, hi, np.full(1, np.nan), t))[0]
    classes = {sum(c) >= t for c in completions(row, 0, 3)}
    assert got == expected(classes)


@settings(max_examples=150, deadline=None)
@given(row=item_rows(7, 3, 4))
def test_band_matches_every_completion(row):
    mins = [0, 15, 19, 26, 34]  # DASS bands on the x2 metric
    x = mat([row])
    lo, hi = sum_bounds(x, 3)
    got = band_index(2 * lo, 2 * hi, np.full(1, np.nan), mins)[0]
    classes = {int(np.searchsorted(mins, 2 * sum(c), side="right") - 1) for c in completions(row, 0, 3)}
    exp = expected(classes)
    assert got == (-1 if exp is None else exp)


@settings(max_examples=150, deadline=None)
@given(row=item_rows(7, 3, 2), t=st.integers(0, 22))
def test_proration_never_contradicts_the_bounds(row, t):
    x = mat([row])
    lo, hi = sum_bounds(x, 3)
    pr = prorated_total(x, max_missing=2)
    assert lo[0] <= pr[0] <= hi[0]
    bounds = vals(at_least(lo, hi, np.full(1, np.nan), t))[0]
    both = vals(at_least(lo, hi, pr, t))[0]
    if bounds is not None:
        assert both == bounds
    else:  # undetermined by bounds: proration decides (<= 2 missing, at least one answered)
        assert both == (pr[0] >= t)


@settings(max_examples=150, deadline=None)
@given(row=item_rows(5, 8, 3), t=st.integers(0, 8))
def test_any_item_rule_matches_every_completion(row, t):
    got = vals(any_at_least(mat([row]), t))[0]
    classes = {max(c) >= t for c in completions(row, 0, 8)}
    assert got == expected(classes)


PHQ_ALG = {
    "core_items": ["phq9_1", "phq9_2"],
    "symptom_min_code": 2,
    "any_level_items": ["phq9_9"],
    "any_level_min_code": 1,
    "mds_min_symptoms": 5,
    "ods_min_symptoms": 2,
    "ods_max_symptoms": 4,
}
PHQ_COLS = tuple(f"phq9_{i}" for i in range(1, 10))


def phq_reference(items: list[int], which: str) -> bool:
    """Direct DSM algorithm on complete items (CamCOPS phq9.py logic)."""
    core = sum(v >= 2 for v in items[:2])
    other = sum(v >= 2 for v in items[2:8]) + (items[8] >= 1)
    total = core + other
    if which == "mds":
        return core >= 1 and total >= 5
    return core >= 1 and 2 <= total <= 4


@settings(max_examples=120, deadline=None)
@given(row=item_rows(9, 3, 4), which=st.sampled_from(["mds", "ods"]))
def test_phq9_algorithm_matches_every_completion(row, which):
    items = ItemSet(PHQ_COLS, mat([row]), 0, 3)
    got = vals(phq9_algorithm(items, PHQ_ALG, which, max_missing=0, policy="bounds_only"))[0]
    classes = {phq_reference(c, which) for c in completions(row, 0, 3)}
    assert got == expected(classes)


def test_decide_over_grid_non_monotone_predicate():
    # ODS is not monotone: core 1, other 1..5 reachable -> both outcomes possible
    out = decide_over_grid(
        [(np.array([1]), np.array([1])), (np.array([1]), np.array([5]))],
        lambda c, o: (c >= 1) & (2 <= c + o) & (c + o <= 4),
        [2, 7],
    )
    assert vals(out) == [None]


ITQ_CFG = {
    "endorse_min_code": 2,
    "clusters": {
        "re": ["itq_p1", "itq_p2"],
        "av": ["itq_p3", "itq_p4"],
        "th": ["itq_p5", "itq_p6"],
        "ad": ["itq_c1", "itq_c2"],
        "nsc": ["itq_c3", "itq_c4"],
        "dr": ["itq_c5", "itq_c6"],
    },
}
WSAS_CFG = {"missing_rule": "nhs", "work_item": "wsas_1", "prorate_max_missing": 1}
F1 = {"kind": "any_item", "min_item": 2, "items": [f"wsas_{i}" for i in range(1, 6)]}
F5 = {"kind": "total", "min_total": 20}


def itq_reference(p: list[int], c: list[int], w: list[int], fi_rule: dict, style: str) -> tuple[bool, bool]:
    """ITQ diagnoses on complete items, written from the manual text (comorbidityguidelines.org.au)."""

    def e(v):
        return v >= 2

    re_, av, th = e(p[0]) or e(p[1]), e(p[2]) or e(p[3]), e(p[4]) or e(p[5])
    ad, nsc, dr = e(c[0]) or e(c[1]), e(c[2]) or e(c[3]), e(c[4]) or e(c[5])
    fi = max(w) >= fi_rule["min_item"] if fi_rule["kind"] == "any_item" else sum(w) >= fi_rule["min_total"]
    crit, dso = re_ and av and th, ad and nsc and dr
    if style == "report":
        return crit and fi, dso and fi
    cptsd = crit and fi and dso and fi  # PTSD criteria incl. FI_PTSD, plus DSO and FI_DSO
    return (crit and fi) and not cptsd, cptsd


@settings(max_examples=120, deadline=None)
@given(
    p=st.lists(st.integers(0, 4), min_size=6, max_size=6),
    c=st.lists(st.integers(0, 4), min_size=6, max_size=6),
    w=st.lists(st.integers(0, 8), min_size=5, max_size=5),
    holes=st.sets(st.integers(0, 16), max_size=3),
    style=st.sampled_from(["report", "manual"]),
    fi_rule=st.sampled_from([F1, F5]),
)
def test_itq_rules_match_every_completion(p, c, w, holes, style, fi_rule):
    cells: list = [*p, *c, *w]
    for h in holes:
        cells[h] = None
    pr, cr, wr = cells[:6], cells[6:12], cells[12:]
    P = ItemSet(tuple(f"itq_p{i}" for i in range(1, 7)), mat([pr]), 0, 4)
    C = ItemSet(tuple(f"itq_c{i}" for i in range(1, 7)), mat([cr]), 0, 4)
    W = ItemSet(tuple(f"wsas_{i}" for i in range(1, 6)), mat([wr]), 0, 8)
    fi = functional_impairment(W, fi_rule, WSAS_CFG, "bounds_only")
    ptsd, cptsd = itq_diagnoses(itq_clusters(P, C, ITQ_CFG), fi, style)
    outcomes = set()
    # enumerate completions of the (at most 3) holes with their own item ranges
    ranges = [range(0, 5)] * 12 + [range(0, 9)] * 5
    miss = [j for j, v in enumerate(cells) if v is None]
    for fill in itertools.product(*[ranges[j] for j in miss]):
        full = list(cells)
        for j, v in zip(miss, fill, strict=True):
            full[j] = v
        outcomes.add(itq_reference(full[:6], full[6:12], full[12:], fi_rule, style))
    assert vals(ptsd)[0] == expected({o[0] for o in outcomes})
    assert vals(cptsd)[0] == expected({o[1] for o in outcomes})


def test_constant_is_known_true():
    assert vals(constant(3)) == [True, True, True]
