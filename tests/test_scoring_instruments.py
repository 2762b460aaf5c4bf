"""Known-answer tests of every scoring rule, from the manuals and the worked examples.

Expected values are hand-computed worked examples of the rules in docs/methods.md §6.3-§6.11, test
vectors of public implementations (awell-score, CamCOPS), and hand arithmetic noted inline. Inputs go through ``score_responses``
with the shipped ``config/scoring.yaml``, so the tests also pin the configured defaults.
"""

from __future__ import annotations

import pandas as pd
import pytest
from test_scoring_support import codebook, responses, rules

from mhsurvey.scoring import score_responses
from mhsurvey.scoring.instruments import classify, prepare
from mhsurvey.scoring.logic import BOUNDS_ONLY

RULES = rules()
CB = codebook()

W0 = [0, 0, 0, 0, 0]  # WSAS with no impairment


def score(rows: list[dict], rules_: dict | None = None) -> pd.DataFrame:
    return score_responses(responses(rows), CB, rules_ or RULES)


def col(df: pd.DataFrame, name: str) -> list:
    return [None if pd.isna(v) else v for v in df[name]]


def variant(rows: list[dict], cls: str, rule: str, fi: str | None = None, policy: str | None = None) -> list:
    prep = prepare(responses(rows), CB, RULES)
    out = classify(prep, RULES, cls, rule, policy or RULES["missing"]["policy"], fi)
    return [None if pd.isna(v) else int(v) for v in out]


# --------------------------------------------------------------------------- DASS (docs/methods.md §6.3)


def test_dass_worked_examples():
    df = score(
        [
            {"dass_stress": [1] * 7},
            {"dass_stress": [2, 1, 1, 1, 1, 1, 1]},
            {"dass_stress": [2, 1, 2, 1, 2, 1, 1]},
            {"dass_stress": [3, 2, 3, 2, 3, 2, 3]},
        ]
    )
    assert col(df, "dass_stress_sum") == [14, 16, 20, 36]
    assert col(df, "dass_stress_band") == ["normal", "mild", "moderate", "extremely_severe"]
    assert col(df, "dass_stress_modplus") == [0, 0, 1, 1]
    assert col(df, "dass_stress_n_valid") == [7, 7, 7, 7]


def rows_dass_missing() -> list[dict]:
    return [
        {"dass_stress": [1, 1, 1, 1, 0, 0, None]},
        {"dass_stress": [1, 1, 1, 1, 1, 0, None]},
        {"dass_stress": [2, 2, 1, 1, 1, 1, None]},
        {"dass_stress": [1, 1, 1, 1, 1, None, None]},
    ]


def test_dass_band_boundaries_and_missing():
    # raw 9 -> 18 (mild, upper edge); raw 13 -> 26 (severe); raw 17 -> 34 (extremely severe)
    df = score(
        [
            {"dass_stress": [3, 3, 3, 0, 0, 0, 0]},
            {"dass_stress": [3, 3, 3, 3, 1, 0, 0]},
            {"dass_stress": [3, 3, 3, 3, 3, 2, 0]},
            # one missing, observed raw 4 -> bounds 8..14, all 'normal' -> determined by bounds
            {"dass_stress": [1, 1, 1, 1, 0, 0, None]},
            # one missing, observed raw 5 -> bounds 10..16 (normal/mild) -> prorated 5/6*7*2=11.67 normal
            {"dass_stress": [1, 1, 1, 1, 1, 0, None]},
            # one missing, observed raw 8 -> bounds 16..22 (mild/moderate) -> prorated 8/6*7*2=18.67 mild
            {"dass_stress": [2, 2, 1, 1, 1, 1, None]},
            # two missing: not prorated; bounds 10..22 open -> NA
            {"dass_stress": [1, 1, 1, 1, 1, None, None]},
        ]
    )
    assert col(df, "dass_stress_band") == [
        "mild",
        "severe",
        "extremely_severe",
        "normal",
        "normal",
        "mild",
        None,
    ]
    assert df["dass_stress_sum"].iloc[5] == pytest.approx(2 * 7 * 8 / 6)
    assert pd.isna(df["dass_stress_sum"].iloc[6])
    bounds_only = dict(RULES, missing={"policy": BOUNDS_ONLY})
    assert col(score(rows_dass_missing(), bounds_only), "dass_stress_band") == ["normal", None, None, None]


# --------------------------------------------------------------------------- GAD-7 (docs/methods.md §6.4)


def test_gad7_worked_examples_and_boundaries():
    rows = [
        {"gad7": [3, 0, 1, 2, 0, 0, 1]},
        {"gad7": [1, 1, 1, 1, 1, 1, 2]},
        {"gad7": [1, 1, 1, 2, 1, 1, 2]},
        {"gad7": [2, 2, 2, 2, 1, 1, 0]},
        {"gad7": [0] * 7},
        {"gad7": [3] * 7},
    ]
    df = score(rows)
    assert col(df, "gad7_sum") == [7, 8, 9, 10, 0, 21]  # awell-score: [3,0,1,2,0,0,1] -> 7; extremes 0, 21
    assert col(df, "gad7_case_report") == [0, 0, 1, 1, 0, 1]  # "> 8"
    assert col(df, "gad7_case_standard") == [0, 0, 0, 1, 0, 1]  # >= 10
    assert variant(rows, "gad7", "plummer_ge8") == [0, 1, 1, 1, 0, 1]


def test_gad7_missing_item_example():
    # 2,2,2,NA,1,1,1: observed 9, bounds 9..12, prorated 10.5 (docs/methods.md §6.4)
    rows = [{"gad7": [2, 2, 2, None, 1, 1, 1]}, {"gad7": [2, 2, 2, 99, 1, 1, 1]}]
    df = score(rows)
    assert col(df, "gad7_sum") == [pytest.approx(10.5)] * 2  # 99 counts as missing
    assert col(df, "gad7_n_valid") == [6, 6]
    assert col(df, "gad7_case_report") == [1, 1]  # min 9 > 8: determined by bounds
    assert col(df, "gad7_case_standard") == [1, 1]  # open by bounds, yes when prorated
    assert variant(rows, "gad7", "standard", policy=BOUNDS_ONLY) == [None, None]
    assert variant(rows, "gad7", "plummer_ge8") == [1, 1]


# --------------------------------------------------------------------------- PHQ-9 (docs/methods.md §6.5)

IMPAIRED = [4, 4, 4, 4, 4]  # WSAS total 20: passes F1-F5, fails F6


def test_phq9_worked_examples():
    rows = [
        {"phq9": [3, 0, 1, 2, 0, 0, 1, 0, 3], "wsas": IMPAIRED},
        {"phq9": [2, 2, 2, 2, 1, 2, 1, 1, 0], "wsas": IMPAIRED},
        {"phq9": [2, 2, 2, 2, 2, 2, 2, 1, 0], "wsas": [2, 1, 1, 0, 1]},
        {"phq9": [0, 1, 1, 1, 0, 0, 0, 0, 1], "wsas": IMPAIRED},
    ]
    df = score(rows)
    assert col(df, "phq9_sum") == [10, 13, 15, 4]  # awell-score: [3,0,1,2,0,0,1,0,3] -> 10
    assert col(df, "phq9_case_standard") == [1, 1, 1, 0]
    assert col(df, "phq9_case_report") == [0, 0, 0, 0]  # < 15, or 15 without F5 impairment
    assert variant(rows, "phq9", "dsm_mds") == [0, 1, 1, 0]
    assert variant(rows, "phq9", "dsm_ods") == [1, 0, 0, 0]
    # case 3 (sum 15, WSAS [2,1,1,0,1], total 5): F1 yes; F4 no; F5 no
    assert variant(rows, "phq9", "report", "F1")[2] == 1
    assert variant(rows, "phq9", "report", "F4")[2] == 0
    assert variant(rows, "phq9", "report", "F5")[2] == 0
    assert variant(rows, "phq9", "ge15_no_fi") == [0, 0, 1, 0]


def test_phq9_report_rule_boundaries():
    rows = [
        {"phq9": [2, 2, 2, 2, 2, 2, 2, 1, 0], "wsas": IMPAIRED},  # 15 & WSAS 20 -> case
        {"phq9": [2, 2, 2, 2, 2, 2, 1, 1, 0], "wsas": IMPAIRED},  # 14 -> no
        {"phq9": [2, 2, 2, 2, 2, 2, 2, 1, 0], "wsas": [4, 4, 4, 4, 3]},  # WSAS 19 -> no
        {"phq9": [3, 3, 3, 3, 3, 3, 3, 3, 3], "wsas": IMPAIRED},  # awell extreme 27
    ]
    df = score(rows)
    assert col(df, "phq9_case_report") == [1, 0, 0, 1]
    assert variant(rows, "phq9", "gt15_fi") == [0, 0, 0, 1]
    assert col(df, "phq9_sum")[3] == 27


def test_phq9_missing_data():
    rows = [
        # two missing: prorated 13/7*9 = 16.71; bounds 13..19 open for >= 15 -> case by proration
        {"phq9": [2, 2, 2, 2, 2, 2, 1, None, None], "wsas": IMPAIRED},
        # three missing: no proration (limit 2), bounds 12..21 open -> NA
        {"phq9": [2, 2, 2, 2, 2, 2, 1, None, None][:6] + [None, None, None], "wsas": IMPAIRED},
        # three missing but observed 15 already -> determined case by bounds
        {"phq9": [3, 3, 3, 3, 3, None, None, None, 0], "wsas": IMPAIRED},
        # PHQ case but WSAS missing entirely -> impairment unknown -> NA; not impaired -> 0
        {"phq9": [3, 3, 3, 3, 3, 0, 0, 0, 0], "wsas": [None] * 5},
        {"phq9": [3, 3, 3, 3, 3, 0, 0, 0, 0], "wsas": W0},
    ]
    df = score(rows)
    assert df["phq9_sum"].iloc[0] == pytest.approx(13 / 7 * 9)
    assert col(df, "phq9_case_report") == [1, None, 1, None, 0]


# --------------------------------------------------------------------------- CFQ (docs/methods.md §6.6)


def test_cfq_worked_examples():
    rows = [
        {"cfq": [2, 2, 1, 1, 2, 1, 1, 1, 0, 1, 1]},
        {"cfq": [2, 2, 2, 1, 2, 1, 1, 1, 0, 1, 1]},
        {"cfq": [3, 3, 2, 2, 3, 2, 1, 2, 1, 1, 2]},
        {"cfq": [2, 2, 2, None, 1, 1, 1, 1, 1, 1, None]},
    ]
    df = score(rows)
    assert col(df, "cfq_likert_sum")[:3] == [13, 14, 22]
    assert col(df, "cfq_sum")[:3] == [3, 4, 8]
    assert col(df, "cfq_case_standard") == [0, 1, 1, None]  # >= 4; row 4: bounds 3..5 -> NA
    assert col(df, "cfq_case_report") == [0, 1, 1, None]  # report default >= 4
    assert variant(rows, "cfq", "literal_over4") == [0, 0, 1, None]  # "over 4" = >= 5
    # row 4: two missing -> no Likert proration (limit 1), no bimodal proration (limit 0)
    assert pd.isna(df["cfq_likert_sum"].iloc[3]) and pd.isna(df["cfq_sum"].iloc[3])
    assert col(df, "cfq_n_valid") == [11, 11, 11, 9]


def test_cfq_likert_proration_formula():
    # docs/methods.md §6.6: observed 12 over 9 items, prorated 12 x 11/9 = 14.67 (when 2 missing are allowed)
    from mhsurvey.scoring.instruments import sum_score

    prep = prepare(responses([{"cfq": [2, 2, 2, None, 1, 1, 1, 1, 1, 1, None]}]), CB, RULES)
    assert sum_score(prep.cfq, 2)[0] == pytest.approx(12 * 11 / 9)


def test_cfq_bimodal_bounds_decide_with_missing():
    rows = [
        {"cfq": [3, 3, 3, 3, None, None, 0, 0, 0, 0, 0]},  # 4 endorsed already -> case
        {"cfq": [1, 1, 1, 1, 1, 1, 1, 1, 1, None, None]},
    ]  # 0 endorsed + 2 missing < 4 -> no
    assert col(score(rows), "cfq_case_report") == [1, 0]


# --------------------------------------------------------------------------- SSS-8 (docs/methods.md §6.7)


def test_sss8_worked_examples_on_fielded_codes():
    zero_to_four = [[0] * 8, [0, 1, 0, 1, 0, 0, 1, 1], [1, 2, 1, 2, 0, 0, 3, 3], [3, 2, 2, 3, 1, 1, 4, 4]]
    rows = [{"sss8": [v + 1 for v in r]} for r in zero_to_four]  # responses.csv holds 1-5 codes
    df = score(rows)
    assert col(df, "sss8_sum") == [0, 4, 12, 20]
    assert col(df, "sss8_case_report") == [0, 0, 1, 1]
    assert col(df, "sss8_case_standard") == [0, 0, 1, 1]
    assert variant(rows, "sss8", "literal_1to5") == [0, 1, 1, 1]


def test_sss8_boundary_11_vs_12():
    rows = [
        {"sss8": [v + 1 for v in [1, 2, 1, 2, 0, 0, 3, 2]]},
        {"sss8": [v + 1 for v in [1, 2, 1, 2, 0, 0, 3, 3]]},
    ]
    assert col(score(rows), "sss8_case_report") == [0, 1]


# --------------------------------------------------------------------------- ITQ (docs/methods.md §6.8)

CASE_A = {"itq_ptsd": [2, 0, 0, 2, 1, 3], "itq_dso": [0, 1, 0, 1, 1, 0], "wsas": [4, 2, 3, 1, 2]}
CASE_B = {"itq_ptsd": [0, 1, 1, 0, 2, 1], "itq_dso": [2, 3, 2, 1, 2, 0], "wsas": [6, 5, 5, 3, 6]}
CASE_C = {"itq_ptsd": [3, 2, 2, 3, 3, 3], "itq_dso": [3, 2, 3, 3, 2, 3], "wsas": [6, 6, 6, 6, 6]}
ABC = [CASE_A, CASE_B, CASE_C]


def test_itq_clusters_and_sums_cases_abc():
    df = score(ABC)
    assert col(df, "itq_re") == [1, 0, 1]
    assert col(df, "itq_av") == [1, 0, 1]
    assert col(df, "itq_th") == [1, 1, 1]
    assert col(df, "itq_ad") == [0, 1, 1]
    assert col(df, "itq_nsc") == [0, 1, 1]
    assert col(df, "itq_dr") == [0, 1, 1]
    assert col(df, "itq_ptsd_sum") == [8, 5, 16]
    assert col(df, "itq_dso_sum") == [3, 10, 16]
    assert col(df, "wsas_sum") == [12, 25, 30]


@pytest.mark.parametrize(
    "fi, a_ptsd", [("F1", 1), ("F2", 1), ("F3", 0), ("F4", 1), ("F5", 0), ("F6", 0), ("F7", 1)]
)
def test_itq_case_a_depends_on_impairment_rule(fi, a_ptsd):
    # docs/methods.md §6.9 case A: PTSD if FI holds; F1 Y, F2 Y, F3 N, F4 Y, F5 N, F6 N (F7: W1 = 4 >= 4)
    for rule in ("report", "standard"):
        assert variant([CASE_A], "itq_ptsd", rule, fi) == [a_ptsd]
        assert variant([CASE_A], "itq_cptsd", rule, fi) == [0]


@pytest.mark.parametrize("fi", ["F1", "F2", "F3", "F4", "F5", "F6", "F7"])
def test_itq_cases_b_and_c_under_every_impairment_rule(fi):
    # B: manual none; report KPTSD only. C: manual CPTSD only; report PTSD and KPTSD.
    assert variant([CASE_B, CASE_C], "itq_ptsd", "standard", fi) == [0, 0]
    assert variant([CASE_B, CASE_C], "itq_cptsd", "standard", fi) == [0, 1]
    assert variant([CASE_B, CASE_C], "itq_ptsd", "report", fi) == [0, 1]
    assert variant([CASE_B, CASE_C], "itq_cptsd", "report", fi) == [1, 1]


def test_itq_default_columns_cases_abc():
    df = score(ABC)  # default F5: A's WSAS 12 fails, B 25 and C 30 pass
    assert col(df, "functional_impairment") == [0, 1, 1]
    assert col(df, "itq_ptsd_case_report") == [0, 0, 1]
    assert col(df, "itq_cptsd_case_report") == [0, 1, 1]
    assert col(df, "itq_ptsd_case_standard") == [0, 0, 0]
    assert col(df, "itq_cptsd_case_standard") == [0, 0, 1]


def test_itq_manual_ptsd_vector_and_symptom_only_variants():
    # Norwegian manual-rule vector (docs/methods.md §6.8): P = 2,0,2,0,2,0, C all 0, function present -> PTSD
    row = {"itq_ptsd": [2, 0, 2, 0, 2, 0], "itq_dso": [0] * 6, "wsas": IMPAIRED}
    df = score([row])
    assert col(df, "itq_ptsd_case_standard") == [1]
    assert col(df, "itq_cptsd_case_standard") == [0]
    assert col(df, "itq_ptsd_sum") == [6] and col(df, "itq_dso_sum") == [0]
    no_fi = {**row, "wsas": W0}
    assert variant([no_fi], "itq_ptsd", "standard") == [0]
    assert variant([no_fi], "itq_ptsd", "manual_no_fi") == [1]
    assert variant([no_fi], "itq_ptsd", "report_no_fi") == [1]


def test_itq_missing_items_three_valued():
    rows = [
        {"itq_ptsd": [None, 2, 2, None, None, 3], "itq_dso": [0] * 6, "wsas": IMPAIRED},  # all clusters met
        {"itq_ptsd": [None, 1, 2, 0, 2, 0], "itq_dso": [0] * 6, "wsas": IMPAIRED},  # Re open -> PTSD NA
        {"itq_ptsd": [None, 1, 0, 0, 2, 0], "itq_dso": [0] * 6, "wsas": IMPAIRED},  # Av false -> PTSD no
    ]
    df = score(rows)
    assert col(df, "itq_re") == [1, None, None]
    assert col(df, "itq_ptsd_case_report") == [1, None, 0]
    assert col(df, "itq_cptsd_case_report") == [0, 0, 0]


# --------------------------------------------------------------------------- WSAS (docs/methods.md §6.10)


def test_wsas_worked_examples():
    rows = [
        {"wsas": [2, 2, 2, 2, 2]},
        {"wsas": [4, 4, 4, 4, 4]},
        {"wsas": [8, 6, 5, 4, 3]},
        {"wsas": [None, 3, 4, 2, 5]},
    ]
    df = score(rows)
    assert col(df, "wsas_sum") == [10, 20, 26, pytest.approx(17.5)]  # NHS proration 3.5 x 5
    assert col(df, "wsas_case_report") == [0, 1, 1, 0]  # >= 20 (report)
    assert col(df, "wsas_case_standard") == [0, 0, 1, 0]  # > 20 (Mundt)
    assert variant(rows, "wsas", "mundt_ge10") == [1, 1, 1, 1]
    # any item >= 5 (F3): only rows 3 and 4 (W5 = 5)
    from mhsurvey.scoring.instruments import fi_flag

    prep = prepare(responses(rows), CB, RULES)
    assert [int(v) for v in fi_flag(prep, RULES, "F3", "bounds_then_prorate")] == [0, 0, 1, 1]


def test_wsas_camcops_missing_rule():
    import copy

    r = copy.deepcopy(RULES)
    r["instruments"]["wsas"]["missing_rule"] = "camcops"
    rows = [
        {"wsas": [None, 3, 4, 2, 5]},
        {"wsas": [None, 5, 5, 5, 5]},
        {"wsas": [3, None, 4, 2, 5]},
        {"wsas": [None, None, 4, 2, 5]},
    ]
    df = score(rows, r)
    # CamCOPS: only the work item missing -> sum of items 2-5 (14, 20); any other gap -> no total
    assert col(df, "wsas_sum") == [14, 20, None, None]
    assert col(df, "wsas_case_report") == [0, 1, None, None]  # rows 3-4: bounds 14..22 and 11..27 open


# --------------------------------------------------------------------------- trust (docs/methods.md §6.11)


def test_trust_categories():
    values = [4, 5, 7, 8, 10, 0, 98, 99, None]
    df = score([{"trust": v} for v in values])
    assert col(df, "trust_category") == ["low", "medium", "medium", "high", "high", "low", None, None, None]


def test_trust_report_histogram_vector():
    # Former staff, Fig. 53 histogram 0..10 = 2,5,6,8,11,11,11,15,15,8,7 (%): low 32, medium 37, high 30
    counts = [2, 5, 6, 8, 11, 11, 11, 15, 15, 8, 7]
    rows = [{"trust": v} for v, c in enumerate(counts) for _ in range(c)]
    cats = score(rows)["trust_category"].value_counts()
    assert (cats["low"], cats["medium"], cats["high"]) == (32, 37, 30)
