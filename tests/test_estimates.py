"""Estimates: bases under routing, merged categories, multi-select shares, intervals, reference.

The fixture is a ten-respondent survey built from a small hand-made codebook; every expected
count below is counted by hand from the table in ``RESPONSES``.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from mhsurvey.codebook import load_codebook, parse_codebook
from mhsurvey.dictionary import check_documented
from mhsurvey.errors import ConfigError, InputDataError
from mhsurvey.estimates import (
    SurveyData,
    classification_outcomes,
    codebook_outcomes,
    estimates_table,
    load_settings,
    not_estimable_reason,
    proportion_stats,
    run_stage,
    settings_from_dict,
)
from mhsurvey.margins import z_for_confidence
from mhsurvey.reference import attach_reference, read_reference, reference_test
from mhsurvey.routing import apply_routing, blank_unasked
from mhsurvey.schemas import validate_against

REPO = Path(__file__).resolve().parents[1]

AGREE = [
    {"code": 1, "no": "Helt enig", "en": "Strongly agree"},
    {"code": 2, "no": "Delvis enig", "en": "Somewhat agree"},
    {"code": 3, "no": "Verken enig eller uenig", "en": "Neither"},
    {"code": 4, "no": "Delvis uenig", "en": "Somewhat disagree"},
    {"code": 5, "no": "Helt uenig", "en": "Strongly disagree"},
    {"code": 98, "no": "Vet ikke", "en": "Don't know", "nonsubstantive": True},
    {"code": 99, "no": "Ønsker ikke svare", "en": "Prefer not to answer", "nonsubstantive": True},
]

CODEBOOK = {
    "survey": "fixture",
    "title_no": "Test",
    "title_en": "Test",
    "export": {"id_column": "respondent_id"},
    "value_sets": {"agree5": {"codes": AGREE}},
    "questions": [
        {
            "id": "gender",
            "type": "single",
            "text_no": "Er du",
            "text_en": "Are you",
            "breakdown": "gender",
            "codes": [
                {"code": 1, "no": "Mann", "en": "Man"},
                {"code": 2, "no": "Kvinne", "en": "Woman"},
                {"code": 99, "no": "Ønsker ikke svare", "en": "Prefer not", "nonsubstantive": True},
            ],
        },
        {
            "id": "region",
            "type": "single",
            "text_no": "Region",
            "text_en": "Region",
            "breakdown": "region",
            "codes": [{"code": 3, "no": "Nord", "en": "North"}, {"code": 7, "no": "Øst", "en": "East"}],
        },
        {
            "id": "incidents",
            "type": "multi",
            "text_no": "Utsatt for",
            "text_en": "Exposed to",
            "measure": "incidents_experienced",
            "options": [
                {"id": "threat_self_work", "no": "Trusler", "en": "Threats"},
                {"id": "violence_work", "no": "Vold", "en": "Violence"},
                {"id": "none", "no": "Ingen av disse", "en": "None", "exclusive": True},
                {"id": "no_answer", "no": "Ønsker ikke svare", "en": "No answer", "exclusive": True},
            ],
        },
        {
            "id": "followup",
            "type": "single",
            "text_no": "Fulgt opp?",
            "text_en": "Followed up?",
            "routing": "(incidents_threat_self_work == 1) | (incidents_violence_work == 1)",
            "codes": [
                {"code": 1, "no": "Ja, i stor grad", "en": "Yes, much"},
                {"code": 2, "no": "Ja, i noen grad", "en": "Yes, some"},
                {"code": 3, "no": "Ja, i liten grad", "en": "Yes, little"},
                {"code": 4, "no": "Nei", "en": "No"},
                {"code": 98, "no": "Vet ikke", "en": "Don't know", "nonsubstantive": True},
            ],
        },
        {
            "id": "followup_satisfaction",
            "type": "single",
            "text_no": "Fornøyd?",
            "text_en": "Satisfied?",
            "routing": "followup in [1, 2, 3]",
            "codes": [
                {"code": 1, "no": "Svært fornøyd", "en": "Very"},
                {"code": 2, "no": "Ganske fornøyd", "en": "Fairly"},
                {"code": 3, "no": "Verken eller", "en": "Neither"},
                {"code": 4, "no": "Ganske misfornøyd", "en": "F"},
                {"code": 5, "no": "Svært misfornøyd", "en": "V"},
                {"code": 98, "no": "Vet ikke", "en": "Don't know", "nonsubstantive": True},
            ],
        },
        {
            "id": "safety",
            "type": "grid",
            "text_no": "Påstander",
            "text_en": "Statements",
            "values": "agree5",
            "items": [
                {"id": "work", "no": "Trygg på jobb", "en": "Safe at work"},
                {"id": "leisure", "no": "Trygg på fritiden", "en": "Safe in leisure"},
            ],
        },
        {
            "id": "trust",
            "type": "numeric",
            "text_no": "Tillit",
            "text_en": "Trust",
            "min": 0,
            "max": 10,
            "codes": [
                {"code": 98, "no": "Vet ikke", "en": "Don't know", "nonsubstantive": True},
                {"code": 99, "no": "Ønsker ikke svare", "en": "Prefer not", "nonsubstantive": True},
            ],
        },
    ],
}

COLUMNS = [
    "rid",
    "gender",
    "region",
    "incidents_threat_self_work",
    "incidents_violence_work",
    "incidents_none",
    "incidents_no_answer",
    "followup",
    "followup_satisfaction",
    "safety_work",
    "safety_leisure",
    "trust",
]
N = None
RESPONSES = [
    # rid    gen reg thr vio none na  fup  sat  s_work s_leis trust
    ["r01", 1, 3, 1, 0, 0, 0, 1, 1, 1, 2, 7],
    ["r02", 1, 3, 0, 1, 0, 0, 2, 2, 2, 1, 8],
    ["r03", 2, 7, 1, 1, 0, 0, 4, 1, 4, 98, 3],  # satisfaction answered but not asked (followup 4)
    ["r04", 2, 7, 0, 0, 1, 0, N, N, 5, 5, 5],
    ["r05", 1, 7, 1, 0, 0, 0, 98, N, 1, 1, 99],
    ["r06", 2, 3, 0, 0, 0, 1, N, N, 98, 2, 10],
    ["r07", 99, 7, 1, 0, 0, 0, 3, 98, 2, 2, 0],
    ["r08", 1, 7, N, N, N, N, N, N, 1, N, N],  # incidents not answered
    ["r09", 2, 3, 0, 1, 0, 0, 1, 5, 3, 4, 4],
    ["r10", 1, 7, 0, 0, 1, 0, 1, N, 2, 1, 6],  # followup answered but not asked (not exposed)
]
SCORES = pd.DataFrame(
    {
        "rid": [r[0] for r in RESPONSES],
        "gad7_case_report": ["1", "0", "1", "0", "0", "1", "", "0", "0", "1"],
        "trust_category": ["medium", "high", "low", "medium", "", "high", "low", "", "low", "medium"],
        "condition_anxiety": ["1", "0", "1", "0", "0", "1", "", "0", "0", "1"],
    }
)

SETTINGS = {
    "confidence_level": 0.95,
    "report_z": 2.0,
    "base": {"include_nonsubstantive": True, "include_nonsubstantive_levels": False},
    "significance": {"alpha": 0.05, "adjust": "holm", "min_n": 3, "min_expected": 0, "chi2_min_expected": 0},
    "suppression": {"enabled": False, "min_count": 1, "max_count": 4},
    "margins_table": {"n": [100, 1600], "p": [0.2, 0.5], "report_row_n": {"fixture": 1600}},
    "merged_categories": [
        {"id": "agree", "no": "Helt eller delvis enig", "columns": ["safety_*"], "codes": [1, 2]},
        {"id": "disagree", "no": "Helt eller delvis uenig", "columns": ["safety_*"], "codes": [4, 5]},
        {"id": "followed_up", "no": "Ja (ble fulgt opp)", "columns": ["followup"], "codes": [1, 2, 3]},
        {
            "id": "satisfied",
            "no": "Svært eller ganske fornøyd",
            "columns": ["followup_satisfaction"],
            "codes": [1, 2],
        },
    ],
    "classifications": [
        {"column": "gad7_case_report", "kind": "binary", "no": "Angst"},
        {
            "column": "trust_category",
            "kind": "categorical",
            "no": "Tillit",
            "levels": ["low", "medium", "high"],
            "merged": [{"key": "medium_high", "no": "Middels eller høy", "values": ["medium", "high"]}],
        },
    ],
    "breakdowns": [
        {"id": "gender", "codebook_breakdown": "gender"},
        {"id": "region", "codebook_breakdown": "region"},
        {
            "id": "condition_anxiety",
            "scores_column": "condition_anxiety",
            "labels": {"1": "Innenfor", "0": "Utenfor"},
        },
    ],
    "population_reference": [
        {"ref_id": "ssb2020_trust_high", "variable": "trust_category", "category": "high"},
        {"ref_id": "ssb2020_trust_0_10", "variable": "trust"},
    ],
}


def make_settings(**changes):
    """Fixture settings, validated by the real schema, with top-level keys or dotted keys replaced."""
    data = copy.deepcopy(SETTINGS)
    for key, value in changes.items():
        *path, last = key.split("__")
        target = data
        for p in path:
            target = target[p]
        target[last] = value
    validate_against(data, "estimates.schema.yaml", "<test settings>")
    return settings_from_dict(data)


def responses_frame() -> pd.DataFrame:
    df = pd.DataFrame(RESPONSES, columns=COLUMNS)
    for c in COLUMNS[1:]:
        df[c] = df[c].astype("Int64")
    df["rid"] = df["rid"].astype("string")
    return df


@pytest.fixture(scope="module")
def codebook():
    return parse_codebook(copy.deepcopy(CODEBOOK))


@pytest.fixture(scope="module")
def table(codebook):
    s = make_settings()
    data = SurveyData(responses_frame(), SCORES, codebook)
    outcomes = codebook_outcomes(codebook, s) + classification_outcomes(
        s.classifications, data.scores_str, "fixture"
    )
    est, _ = estimates_table(data, outcomes, s, "fixture")
    return est


def row(est: pd.DataFrame, variable: str, category: str) -> pd.Series:
    sel = est[(est["variable"] == variable) & (est["category"] == category)]
    assert len(sel) == 1, (variable, category)
    return sel.iloc[0]


# --------------------------------------------------------------------------- bases and routing


def test_followup_base_is_the_exposed(table):
    # exposed to threats or violence: r01 r02 r03 r05 r07 r09 (r10's answer was not asked for)
    r = row(table, "followup", "followed_up")
    assert (r["n_asked"], r["base_n"], r["count"]) == (6, 6, 4)  # codes 1, 2, 3: r01 r02 r07 r09
    assert r["pct"] == pytest.approx(100 * 4 / 6, abs=1e-12)
    assert row(table, "followup", "98")["count"] == 1  # "Vet ikke" stays in the base (report convention)
    assert row(table, "followup", "1")["count"] == 2  # r01, r09 (not r10)


def test_satisfaction_base_is_the_followed_up(table):
    # followup in 1-3: r01 r02 r07 r09; r03 answered but followup == 4; r10's followup was not
    # asked (not exposed), so routing is nested: r10 is not asked about satisfaction either
    r = row(table, "followup_satisfaction", "satisfied")
    assert (r["n_asked"], r["base_n"], r["count"]) == (4, 4, 2)


def test_routing_without_codebook_uses_the_expression_only(codebook):
    s = make_settings()
    flat = SurveyData(responses_frame(), SCORES)  # no nested routing: r10's followup == 1 counts
    est, _ = estimates_table(flat, codebook_outcomes(codebook, s), s, "fixture")
    assert row(est, "followup_satisfaction", "satisfied")["n_asked"] == 5
    assert row(est, "followup", "followed_up")["base_n"] == 6  # r10 still not asked for followup


def test_stage_blanking_equals_the_cleaning_routing_check(codebook):
    """Stage 04 re-applies routing with blank_unasked: the codes of apply_routing, without its flags."""
    body = responses_frame().drop(columns=["rid"])
    expected, flags = apply_routing(body, codebook, responses_frame()["rid"])
    got, blanked = blank_unasked(body, codebook)
    pd.testing.assert_frame_equal(got, expected)
    assert blanked == int((flags["issue"] == "answered_not_asked").sum()) > 0
    assert body.equals(responses_frame().drop(columns=["rid"]))  # the input is not changed


def test_nonsubstantive_excluded_from_base_when_configured(codebook):
    s = make_settings(base__include_nonsubstantive=False)
    data = SurveyData(responses_frame(), SCORES, codebook)
    est, _ = estimates_table(data, codebook_outcomes(codebook, s), s, "fixture")
    r = row(est, "followup", "followed_up")
    assert (r["base_n"], r["count"]) == (5, 4)
    assert "98" not in set(est.loc[est["variable"] == "followup", "category"])


def test_multi_select_is_a_share_of_respondents(table):
    # 9 answered the question (r08 did not); ticks: threat r01 r03 r05 r07, violence r02 r03 r09
    threat = row(table, "incidents_threat_self_work", "1")
    violence = row(table, "incidents_violence_work", "1")
    assert (threat["base_n"], threat["count"]) == (9, 4)
    assert (violence["base_n"], violence["count"]) == (9, 3)
    assert threat["pct"] == pytest.approx(100 * 4 / 9, abs=1e-12)
    assert row(table, "incidents_no_answer", "1")["count"] == 1
    assert set(table.loc[table["qtype"] == "multi", "category_kind"]) == {"ticked"}


def test_merged_categories_of_a_grid(table):
    # safety_work codes 1,2,4,5,1,98,2,1,3,2 -> agree 6, disagree 2, base 10
    assert (row(table, "safety_work", "agree")["count"], row(table, "safety_work", "disagree")["count"]) == (
        6,
        2,
    )
    assert row(table, "safety_work", "agree")["base_n"] == 10
    # safety_leisure: r08 empty -> base 9; codes 2,1,98,5,1,2,2,4,1 -> agree 6
    r = row(table, "safety_leisure", "agree")
    assert (r["base_n"], r["count"], r["category_kind"]) == (9, 6, "merged")


def test_numeric_question_expands_its_range(table):
    trust = table[table["variable"] == "trust"]
    assert list(trust["category"]) == [str(v) for v in range(11)] + ["98", "99"]
    assert trust["base_n"].unique().tolist() == [9]  # 99 kept in the base, r08 empty
    assert row(table, "trust", "99")["nonsubstantive"] == 1


def test_classifications_from_scores(table):
    gad = row(table, "gad7_case_report", "1")  # one undetermined (r07) -> base 9, cases 4
    assert (gad["source"], gad["base_n"], gad["count"]) == ("scores", 9, 4)
    assert len(table[table["variable"] == "gad7_case_report"]) == 1
    trust = table[table["variable"] == "trust_category"].set_index("category")
    assert trust.loc[["low", "medium", "high", "medium_high"], "count"].tolist() == [3, 3, 2, 5]
    assert trust["base_n"].unique().tolist() == [8]


def test_classification_values_are_checked():
    s = make_settings()
    bad = SCORES.assign(gad7_case_report=["2"] + list(SCORES["gad7_case_report"][1:]))
    with pytest.raises(InputDataError, match="other than 0/1"):
        classification_outcomes(s.classifications, SurveyData(responses_frame(), bad).scores_str, "fixture")
    with pytest.raises(ConfigError, match="not in scores.csv"):
        classification_outcomes(s.classifications, SCORES.drop(columns=["trust_category"]), "fixture")


def test_merge_rule_naming_a_missing_code_stops(codebook):
    s = make_settings(merged_categories=[{"id": "x", "no": "X", "columns": ["followup"], "codes": [1, 5]}])
    with pytest.raises(ConfigError, match="code\\(s\\) \\[5\\]"):
        codebook_outcomes(codebook, s)


def test_merge_rule_exclude_glob():
    s = make_settings(
        merged_categories=[
            {
                "id": "agree",
                "no": "Enig",
                "columns": ["leader_*"],
                "exclude": ["leader_role"],
                "codes": [1, 2],
            }
        ]
    )
    rule = s.merges[0]
    assert rule.matches("leader_can_talk") and not rule.matches("leader_role")


def test_scores_rows_must_match_responses():
    with pytest.raises(InputDataError, match="rid order"):
        SurveyData(responses_frame(), SCORES.iloc[::-1].reset_index(drop=True))


# --------------------------------------------------------------------------- intervals


def test_intervals_agree_with_statsmodels_and_closed_forms():
    count = np.array([320, 6, 1, 0, 30])
    n = np.array([1600, 30, 30, 30, 30])
    st = proportion_stats(count, n, z_report=2.0, confidence=0.95)
    z = z_for_confidence(0.95)
    for i in range(len(count)):
        p = count[i] / n[i]
        lo, hi = proportion_confint(count[i], n[i], alpha=0.05, method="wilson")
        assert st["wilson_low"][i] == pytest.approx(100 * lo, abs=1e-9)
        assert st["wilson_high"][i] == pytest.approx(100 * hi, abs=1e-9)
        # Wilson closed form (docs/methods.md §1)
        centre = (p + z * z / (2 * n[i])) / (1 + z * z / n[i])
        half = z * math.sqrt(p * (1 - p) / n[i] + z * z / (4 * n[i] ** 2)) / (1 + z * z / n[i])
        assert st["wilson_low"][i] == pytest.approx(100 * (centre - half), abs=1e-9)
        assert st["moe"][i] == pytest.approx(100 * z * math.sqrt(p * (1 - p) / n[i]), abs=1e-9)
        assert st["moe_report"][i] == pytest.approx(200 * math.sqrt(p * (1 - p) / n[i]), abs=1e-9)
    # docs/methods.md §1 known answers: 6/30 Wilson .095-.373; 320/1600 Wald .180-.220
    assert (round(st["wilson_low"][1] / 100, 3), round(st["wilson_high"][1] / 100, 3)) == (0.095, 0.373)
    assert st["pct"][0] - st["moe"][0] == pytest.approx(18.04, abs=0.005)
    assert np.isnan(proportion_stats(np.array([0]), np.array([0]), 2.0, 0.95)["pct"][0])


def test_estimates_table_uses_the_interval_functions(table):
    r = row(table, "followup", "followed_up")
    lo, hi = proportion_confint(4, 6, alpha=0.05, method="wilson")
    assert (r["wilson_low"], r["wilson_high"]) == pytest.approx((100 * lo, 100 * hi), abs=1e-9)
    assert r["moe_report"] == pytest.approx(100 * 2 * math.sqrt((4 / 6) * (2 / 6) / 6), abs=1e-9)


# --------------------------------------------------------------------------- suppression in the totals


def test_suppression_hides_small_totals_and_a_complement(codebook):
    s = make_settings(suppression={"enabled": True, "min_count": 1, "max_count": 4})
    data = SurveyData(responses_frame(), SCORES, codebook)
    est, _ = estimates_table(data, codebook_outcomes(codebook, s), s, "fixture")
    fu = est[est["variable"] == "followup"].set_index("category")
    # every code count of followup is 1-2 (<= 4): all hidden, base stays public
    assert fu.loc[["1", "2", "3", "4", "98"], "suppressed"].tolist() == [1, 1, 1, 1, 1]
    assert fu["count"].isna().all() and fu["base_n"].tolist() == [6] * 6
    unsup = make_settings()
    est2, _ = estimates_table(data, codebook_outcomes(codebook, unsup), unsup, "fixture")
    assert est2["suppressed"].sum() == 0 and est2["count"].notna().all()


# --------------------------------------------------------------------------- settings and reference


def test_repo_config_is_valid_and_consistent_with_the_codebooks():
    s = load_settings(REPO / "config" / "estimates.yaml", synthetic=True)
    assert s.adjust == "holm" and s.min_n == 30 and s.report_z == 2.0 and not s.suppression.enabled
    assert s.suppression.configured == "auto"  # off for the synthetic exports, on for real data
    assert load_settings(REPO / "config" / "estimates.yaml", synthetic=False).suppression.enabled
    assert {b.id for b in s.breakdowns} >= {
        "gender",
        "region",
        "form",
        "security",
        "tenure_group",
        "leader_role",
        "followup",
        "exposed_serious",
    }
    for survey in ("current", "former"):
        path = REPO / "config" / "codebook" / f"{survey}.yaml"
        if not path.exists():
            continue
        outcomes = codebook_outcomes(load_codebook(path), s)  # raises if a merge names a missing code
        merged = {c.key for o in outcomes for c in o.categories if c.kind == "merged"}
        assert merged == {m.id for m in s.merges}, survey


def test_invalid_config_names_the_key(tmp_path):
    text = (
        (REPO / "config" / "estimates.yaml")
        .read_text(encoding="utf-8")
        .replace("adjust: holm", "adjust: bonf")
    )
    path = tmp_path / "estimates.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="significance.adjust"):
        load_settings(path)


def test_reference_table_has_sources_and_no_invented_values():
    ref = read_reference(REPO / "data" / "reference" / "ssb.csv").set_index("ref_id")
    assert ref.loc[["ssb2020_trust_low", "ssb2020_trust_medium", "ssb2020_trust_high"], "pct"].tolist() == [
        "17",
        "39",
        "44",
    ]
    assert set(ref.loc[ref["available"] == "false", "pct"]) == {""}
    assert {"ssb2022_friends", "ssb2022_close_persons"} <= set(ref.index[ref["available"] == "false"])
    assert (ref["year"] != "").all() and (ref["source"] != "").all() and (ref["survey"] != "").all()


def test_reference_comparison(table):
    ref = read_reference(REPO / "data" / "reference" / "ssb.csv")
    out = attach_reference(table, ref, make_settings().references)
    high = row(out, "trust_category", "high")  # 2 of 8 = 25 % vs 44 %
    assert high["ref_pct"] == 44.0 and high["ref_diff_pp"] == pytest.approx(25.0 - 44.0, abs=1e-12)
    assert high["ref_z"] == pytest.approx((0.25 - 0.44) / math.sqrt(0.44 * 0.56 / 8), abs=1e-9)
    z, p = reference_test(2, 8, 44.0)
    assert high["ref_p_value"] == pytest.approx(p, abs=1e-12) and z == pytest.approx(high["ref_z"])
    trust = out[out["variable"] == "trust"]
    assert (trust["ref_id"] == "ssb2020_trust_0_10").all() and (trust["ref_available"] == 0).all()
    assert trust["ref_pct"].isna().all()
    assert out.loc[out["variable"] == "safety_work", "ref_id"].isna().all()


@pytest.mark.parametrize(
    "count,n,ref_pct", [(2, 8, 44.0), (0, 5, 12.5), (323, 323, 99.9), (17, 1726, 1.3), (900, 1726, 52.0)]
)
def test_reference_test_equals_statsmodels_bit_for_bit(count, n, ref_pct):
    z, p = reference_test(count, n, ref_pct)
    z_ref, p_ref = proportions_ztest(count, n, value=ref_pct / 100, prop_var=ref_pct / 100)
    assert (z, p) == (float(z_ref), float(p_ref))


def test_unknown_reference_id_stops(table):
    ref = read_reference(REPO / "data" / "reference" / "ssb.csv")
    s = make_settings(population_reference=[{"ref_id": "nope", "variable": "trust"}])
    with pytest.raises(ConfigError, match="nope"):
        attach_reference(table, ref, s.references)


# --------------------------------------------------------------------------- the stage


def test_run_stage_tables_and_dictionaries(codebook):
    ref = read_reference(REPO / "data" / "reference" / "ssb.csv")
    out = run_stage(responses_frame(), SCORES, codebook, make_settings(), ref, "fixture")
    check_documented(out.estimates, out.estimates_docs, "estimates")
    check_documented(out.subgroup_tests, out.subgroup_docs, "subgroup_tests")
    check_documented(out.margins, out.margins_docs, "margins")
    # every breakdown x every outcome (except an outcome crossed with itself)
    pairs = set(zip(out.subgroup_tests["variable"], out.subgroup_tests["breakdown"], strict=True))
    variables = set(out.estimates["variable"])
    for b in ("gender", "region", "condition_anxiety"):
        for v in variables:
            if (v, b) not in {("gender", "gender"), ("region", "region")}:
                assert (v, b) in pairs, (v, b)
    assert not {("gender", "gender"), ("region", "region")} & pairs
    # the fixture is tiny: n < min_n = 3 levels are flagged (gender 99 is not a level)
    assert set(out.subgroup_tests["level"][out.subgroup_tests["breakdown"] == "gender"]) == {"1", "2"}
    assert set(out.margins["row_kind"]) == {"report_row", "survey_n", "table"}


def test_run_stage_is_deterministic(codebook):
    ref = read_reference(REPO / "data" / "reference" / "ssb.csv")
    a = run_stage(responses_frame(), SCORES, codebook, make_settings(), ref, "fixture")
    b = run_stage(responses_frame(), SCORES, codebook, make_settings(), ref, "fixture")
    pd.testing.assert_frame_equal(a.subgroup_tests, b.subgroup_tests)
    pd.testing.assert_frame_equal(a.estimates, b.estimates)


def test_run_stage_labels_derived_levels_from_the_level_table(codebook):
    # condition_anxiety has no configured labels here: they come from 02_scores/levels.csv
    ref = read_reference(REPO / "data" / "reference" / "ssb.csv")
    settings = make_settings(breakdowns=[{"id": "condition_anxiety", "scores_column": "condition_anxiety"}])
    levels = pd.DataFrame(
        {
            "column": ["condition_anxiety"] * 2 + ["trust_category"] * 3,
            "kind": ["condition"] * 2 + ["category"] * 3,
            "column_label_no": ["Angst"] * 2 + ["Tillit"] * 3,
            "column_label_en": ["Anxiety"] * 2 + ["Trust"] * 3,
            "order": ["1", "2", "1", "2", "3"],
            "code": ["1", "0", "low", "medium", "high"],
            "label_no": ["Innenfor kriteriene", "Utenfor kriteriene", "Lav", "Middels", "Høy"],
            "label_en": ["Within the criteria", "Outside the criteria", "Low", "Medium", "High"],
            "config_key": [""] * 5,
        }
    )
    out = run_stage(responses_frame(), SCORES, codebook, settings, ref, "fixture", levels=levels)
    sub = out.subgroup_tests
    got = dict(zip(sub["level"], sub["level_label_no"], strict=True))
    assert got == {"0": "Utenfor kriteriene", "1": "Innenfor kriteriene"}
    got_en = dict(zip(sub["level"], sub["level_label_en"], strict=True))
    assert got_en == {"0": "Outside the criteria", "1": "Within the criteria"}
    assert set(sub["breakdown_label_no"]) == {"Angst"} and set(sub["breakdown_label_en"]) == {"Anxiety"}
    safety = sub[sub["variable"] == "safety_work"]
    assert set(safety["label_en"]) == {"Safe at work"}
    assert dict(zip(safety["category"], safety["category_label_en"], strict=False))["1"] == "Strongly agree"
    est = out.estimates[out.estimates["variable"] == "trust_category"]
    assert list(est["category_label_no"]) == ["Lav", "Middels", "Høy", "Middels eller høy"]
    bare = run_stage(responses_frame(), SCORES, codebook, settings, ref, "fixture")
    assert set(bare.subgroup_tests["level_label_no"]) == {"0", "1"}


def test_an_instrument_without_any_valid_answer_does_not_stop_the_stage(codebook, caplog):
    # nobody answered the safety grid, and the anxiety classification is empty for everyone
    responses = responses_frame()
    responses[["safety_work", "safety_leisure"]] = pd.NA
    scores = SCORES.copy()
    scores["gad7_case_report"] = ""
    scores["condition_anxiety"] = ""
    ref = read_reference(REPO / "data" / "reference" / "ssb.csv")
    with caplog.at_level("WARNING", logger="mhsurvey.estimates"):
        out = run_stage(responses, scores, codebook, make_settings(), ref, "fixture")
    est = out.estimates
    assert list(est.columns[-2:]) == ["estimable", "reason"]
    empty = est[est["variable"].isin(["safety_work", "safety_leisure"])]
    assert len(empty) == 2 * 9 and (empty["base_n"] == 0).all() and empty["pct"].isna().all()
    assert (empty["estimable"] == 0).all() and (empty["reason"] == "no_valid_answers").all()
    gad = est[est["variable"] == "gad7_case_report"].iloc[0]
    assert (gad["estimable"], gad["reason"], gad["base_n"]) == (0, "undetermined", 0)
    # the other estimates are there and unchanged
    full = run_stage(responses_frame(), SCORES, codebook, make_settings(), ref, "fixture").estimates
    keep = ~est["variable"].isin(["safety_work", "safety_leisure", "gad7_case_report"])
    pd.testing.assert_frame_equal(
        est[keep].drop(columns=["estimable", "reason"]).reset_index(drop=True),
        full[keep.to_numpy()].drop(columns=["estimable", "reason"]).reset_index(drop=True),
    )
    assert (est.loc[keep, "estimable"] == 1).all() and (est.loc[keep, "reason"] == "").all()
    assert "not estimable (no_valid_answers): safety_work, safety_leisure" in caplog.text
    # the empty breakdown keeps its named levels, each with n = 0, untested
    cond = out.subgroup_tests[out.subgroup_tests["breakdown"] == "condition_anxiety"]
    assert set(cond["level"]) == {"0", "1"} and (cond["n"] == 0).all()
    assert (cond["withheld"] == "n_zero").all() and (cond["tested"] == 0).all()
    rows = out.subgroup_tests[out.subgroup_tests["variable"] == "safety_work"]
    assert len(rows) and (rows["withheld"] == "n_zero").all()


def test_not_estimable_reasons():
    assert not_estimable_reason("responses", 10, 3) == ""
    assert not_estimable_reason("responses", 0, 0) == "no_one_asked"
    assert not_estimable_reason("responses", 10, 0) == "no_valid_answers"
    assert not_estimable_reason("scores", 10, 0) == "undetermined"


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([3, None, 1, 3, 2, None, 1], dtype="Int64"),
        pd.Series([None, None, 5], dtype="Int64"),
        pd.Series([1.5, float("nan"), 2.0, 1.5]),
        pd.Series(["b", "", "a", "b", ""], dtype=object),
        pd.Series(["x", None, "x"], dtype=object),
        pd.Series([], dtype="Int64"),
        pd.Series(pd.Categorical(["b", "", "a", "b"], categories=["a", "b", ""])),  # not in order
        pd.Series(pd.Categorical(["1", None, "0", "1"])),
    ],
)
def test_string_codes_equals_factorizing_the_strings(column):
    from mhsurvey.counts import string_codes

    strings = column.astype("string").fillna("").to_numpy(dtype=object)
    exp_codes, exp_uniques = pd.factorize(strings)
    codes, uniques = string_codes(column)
    assert codes.tolist() == exp_codes.tolist()
    assert list(uniques) == list(exp_uniques)
    assert list(uniques[codes]) == list(strings)


def test_read_scores_pyarrow_path_equals_pandas(tmp_path, monkeypatch):
    """scores.csv as categoricals of its strings: the pyarrow path (large files) reads the same
    strings as pd.read_csv(dtype=str, keep_default_na=False), categories in first-appearance order."""
    from mhsurvey import counts
    from mhsurvey.io import write_csv

    df = pd.DataFrame(
        {
            "rid": ["p_1", "p_2", "p_3", "p_4"],
            "sum": ["6.0", "", "6.0", "12.5"],
            "band": ["normal", "NA", "a,b", 'say "x"'],
            "flag": ["1", "0", "", "1"],
            "text": ["line\nbreak", " 1 ", "null", "ø"],
        }
    )
    path = tmp_path / "scores.csv"
    write_csv(df, path)
    plain = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    monkeypatch.setattr(counts, "ARROW_MIN_BYTES", 10**12)
    small = counts.read_scores(path)
    monkeypatch.setattr(counts, "ARROW_MIN_BYTES", 0)
    large = counts.read_scores(path)
    for got in (small, large):
        assert list(got.columns) == list(df.columns)
        for c in df.columns:
            assert isinstance(got[c].dtype, pd.CategoricalDtype)
            assert got[c].astype(object).tolist() == plain[c].tolist() == df[c].tolist()
            assert list(got[c].cat.categories) == list(pd.unique(df[c].to_numpy(dtype=object)))
    assert large["sum"].cat.codes.tolist() == [0, 1, 0, 2]


def test_categorical_scores_give_the_tables_of_string_scores(codebook, table):
    """Scores read as categoricals (read_scores) give the estimates of the same scores as strings."""
    from mhsurvey.counts import _categorical

    cats = pd.DataFrame(
        {c: _categorical(*pd.factorize(SCORES[c].to_numpy(dtype=object))) for c in SCORES.columns}
    )
    s = make_settings()
    data = SurveyData(responses_frame(), cats, codebook)
    assert all(isinstance(data.scores_str[c].dtype, pd.CategoricalDtype) for c in data.scores_str.columns)
    outcomes = codebook_outcomes(codebook, s) + classification_outcomes(
        s.classifications, data.scores_str, "fixture"
    )
    est, _ = estimates_table(data, outcomes, s, "fixture")
    pd.testing.assert_frame_equal(est, table)
