"""scores.csv / sensitivity.csv: layout, derived breakdowns, config defaults and validation,
data dictionaries, determinism, and the round trip through the CSV files the rule writes."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
import yaml
from test_scoring_support import RULES_PATH, codebook, random_responses, responses, rules

from mhsurvey.dictionary import write_dictionary
from mhsurvey.errors import ConfigError, InputDataError
from mhsurvey.io import read_responses, write_csv
from mhsurvey.scoring import (
    load_scoring_rules,
    score_responses,
    scores_docs,
    sensitivity_docs,
    sensitivity_table,
    validate_rules,
)

RULES = rules()
CB = codebook()

ISSUE_COLUMNS = [
    "dass_stress_sum",
    "sss8_sum",
    "cfq_sum",
    "cfq_likert_sum",
    "gad7_sum",
    "phq9_sum",
    "itq_ptsd_sum",
    "itq_dso_sum",
    "wsas_sum",
    "dass_stress_n_valid",
    "sss8_n_valid",
    "cfq_n_valid",
    "gad7_n_valid",
    "phq9_n_valid",
    "itq_ptsd_n_valid",
    "itq_dso_n_valid",
    "wsas_n_valid",
    "dass_stress_band",
    "itq_re",
    "itq_av",
    "itq_th",
    "itq_ad",
    "itq_nsc",
    "itq_dr",
    "functional_impairment",
    "trust_category",
    "incidents_threat_any",
    "incidents_violence_any",
    "incidents_harass_any",
    "exposed_serious",
    "tenure_group",
    "leader",
] + [
    f"{n}_case_{r}"
    for n in ("sss8", "cfq", "gad7", "phq9", "wsas", "itq_ptsd", "itq_cptsd")
    for r in ("report", "standard")
]


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return random_responses(300, seed=11)


@pytest.fixture(scope="module")
def scores(sample) -> pd.DataFrame:
    return score_responses(sample, CB, RULES)


# --------------------------------------------------------------------------- config


def test_shipped_config_holds_the_decided_defaults():
    r = load_scoring_rules(RULES_PATH)
    ins = r["instruments"]
    assert r["missing"]["policy"] == "bounds_then_prorate"
    assert r["functional_impairment"]["default"] == "F5"
    assert r["functional_impairment"]["options"]["F5"] == {
        **r["functional_impairment"]["options"]["F5"],
        "kind": "total",
        "min_total": 20,
    }
    assert sorted(r["functional_impairment"]["options"]) == [f"F{i}" for i in range(1, 8)]
    assert (
        ins["sss8"]["rules"]["report"]["metric"] == "scored"
        and ins["sss8"]["rules"]["report"]["min_total"] == 12
    )
    assert ins["sss8"]["code_offset"] == 1
    assert (
        ins["gad7"]["rules"]["report"]["min_total"] == 9
        and ins["gad7"]["rules"]["standard"]["min_total"] == 10
    )
    phq = ins["phq9"]["rules"]
    assert (phq["report"]["min_total"], phq["report"]["require_fi"]) == (15, True)
    assert phq["standard"]["min_total"] == 10 and not phq["standard"].get("require_fi", False)
    assert (
        ins["cfq"]["rules"]["report"]["min_total"] == 4
        and ins["cfq"]["rules"]["literal_over4"]["min_total"] == 5
    )
    assert ins["cfq"]["rules"]["standard"]["min_total"] == 4
    assert (
        ins["itq"]["rules"]["report"]["style"] == "report"
        and ins["itq"]["rules"]["standard"]["style"] == "manual"
    )
    assert (
        ins["wsas"]["rules"]["report"]["min_total"] == 20
        and ins["wsas"]["rules"]["standard"]["min_total"] == 21
    )
    assert ins["dass_stress"]["modplus_min_total"] == 19
    assert [b["min_total"] for b in ins["dass_stress"]["bands"]] == [0, 15, 19, 26, 34]
    assert [(c["min"], c["max"]) for c in ins["trust"]["categories"]] == [(0, 4), (5, 7), (8, 10)]


def _broken(mutate) -> dict:
    r = yaml.safe_load(RULES_PATH.read_text(encoding="utf-8"))
    mutate(r)
    return r


@pytest.mark.parametrize(
    "mutate, fragment",
    [
        (lambda r: r["instruments"]["gad7"].update(threshold=9), "threshold"),
        (lambda r: r["instruments"]["gad7"]["rules"].pop("standard"), "standard"),
        (lambda r: r["functional_impairment"].update(default="F9"), "F9"),
        (lambda r: r["missing"].update(policy="impute"), "policy"),
        (lambda r: r["functional_impairment"]["options"]["F1"].update(min_total=3), "F1"),
        (lambda r: r["instruments"]["dass_stress"]["bands"][1].update(min_total=40), "bands"),
        (
            lambda r: r["derived"]["conditions"]["columns"]["condition_ptsd"].update(source="ptsd"),
            "condition_ptsd",
        ),
        (
            lambda r: r["derived"]["incidents"]["merged"]["exposed_serious"].update(include=["nope"]),
            "exposed_serious",
        ),
        (lambda r: r["reliability"].update(seed="x"), "seed"),
    ],
)
def test_invalid_rules_are_rejected_naming_the_key(mutate, fragment):
    with pytest.raises(ConfigError, match=fragment):
        validate_rules(_broken(mutate), "test-rules")


# --------------------------------------------------------------------------- scores.csv layout


def test_scores_layout(sample, scores):
    assert list(scores.columns)[0] == "rid"
    assert scores["rid"].tolist() == sample["rid"].tolist()
    missing = [c for c in ISSUE_COLUMNS if c not in scores.columns]
    assert not missing
    flags = [c for c in scores.columns if "_case_" in c or c.startswith(("itq_re", "condition_"))]
    for c in flags:
        assert str(scores[c].dtype) == "Int64"
        assert set(scores[c].dropna().unique()) <= {0, 1}
    assert set(scores["dass_stress_band"].dropna()) <= {
        "normal",
        "mild",
        "moderate",
        "severe",
        "extremely_severe",
    }
    assert set(scores["trust_category"].dropna()) <= {"low", "medium", "high"}


def test_conditions_copy_their_headline_flags(scores):
    for name, spec in RULES["derived"]["conditions"]["columns"].items():
        pd.testing.assert_series_equal(scores[name], scores[spec["source"]], check_names=False)


def test_report_classes_nest_as_the_rules_imply(scores):
    """Structural facts of the rules, on a random sample."""
    both = scores[["gad7_case_report", "gad7_case_standard"]].dropna()
    assert (both["gad7_case_report"] >= both["gad7_case_standard"]).all()  # >= 9 contains >= 10
    w = scores[["wsas_case_report", "wsas_case_standard"]].dropna()
    assert (w["wsas_case_report"] >= w["wsas_case_standard"]).all()
    m = scores[["itq_ptsd_case_standard", "itq_cptsd_case_standard"]].dropna()
    assert not ((m["itq_ptsd_case_standard"] == 1) & (m["itq_cptsd_case_standard"] == 1)).any()  # exclusive
    k = scores[["itq_cptsd_case_standard", "itq_cptsd_case_report"]].dropna()
    assert (k["itq_cptsd_case_report"] >= k["itq_cptsd_case_standard"]).all()  # KPTSD_report ⊇ CPTSD_manual
    p = scores[["phq9_case_report", "functional_impairment"]].dropna()
    assert (p["functional_impairment"] >= p["phq9_case_report"]).all()


def test_non_substantive_codes_count_as_missing():
    a = score_responses(responses([{"phq9": [2, 2, None, 1, 1, 1, 1, 1, 1]}]), CB, RULES)
    b = score_responses(responses([{"phq9": [2, 2, 99, 1, 1, 1, 1, 1, 1]}]), CB, RULES)
    pd.testing.assert_frame_equal(a, b)
    assert a["phq9_n_valid"].iloc[0] == 8


def test_undefined_code_stops_with_location():
    with pytest.raises(InputDataError, match="gad7_3"):
        score_responses(responses([{"gad7": [0, 0, 7, 0, 0, 0, 0]}]), CB, RULES)


# --------------------------------------------------------------------------- derived breakdowns


def _incidents(**ticked: int) -> dict:
    from test_scoring_support import INCIDENT_OPTIONS

    return {f"incidents_{o}": ticked.get(o, 0) for o in INCIDENT_OPTIONS}


def test_merged_incident_categories():
    rows = [
        _incidents(threat_family_leisure=1),
        _incidents(violence_leisure=1),
        _incidents(harass_online=1),
        _incidents(none=1),
        _incidents(no_answer=1),
        {},  # question not answered
        _incidents(looks=1, threat_self_work=1, violence_work=1, harass_work=1),
    ]
    df = score_responses(responses(rows), CB, RULES)
    got = {
        c: [None if pd.isna(v) else int(v) for v in df[c]]
        for c in ("incidents_threat_any", "incidents_violence_any", "incidents_harass_any", "exposed_serious")
    }
    assert got["incidents_threat_any"] == [1, 0, 0, 0, None, None, 1]
    assert got["incidents_violence_any"] == [0, 1, 0, 0, None, None, 1]
    assert got["incidents_harass_any"] == [0, 0, 1, 0, None, None, 1]
    assert got["exposed_serious"] == [1, 1, 0, 0, None, None, 1]


def test_tenure_groups_and_leader():
    df = score_responses(
        responses([{"tenure": t, "leader_role": 1 + (t % 2)} for t in range(1, 8)] + [{}]), CB, RULES
    )
    assert [None if pd.isna(v) else int(v) for v in df["tenure_group"]] == [1, 1, 1, 2, 3, 4, 5, None]
    assert [None if pd.isna(v) else int(v) for v in df["tenure_5plus"]] == [0, 0, 0, 1, 1, 1, 1, None]
    assert [None if pd.isna(v) else int(v) for v in df["leader"]] == [0, 1, 0, 1, 0, 1, 0, None]
    labels = {lv["code"]: lv["label_no"] for lv in RULES["derived"]["groupings"]["tenure_group"]["levels"]}
    assert labels == {1: "Inntil 4 år", 2: "5-10 år", 3: "11-15 år", 4: "16-20 år", 5: "Mer enn 20 år"}


# --------------------------------------------------------------------------- sensitivity.csv


@pytest.fixture(scope="module")
def sens(sample) -> pd.DataFrame:
    return sensitivity_table(sample, CB, RULES)


def test_sensitivity_covers_every_rule_and_option(sens):
    fi_opts = sorted(RULES["functional_impairment"]["options"])
    for cls in ("phq9", "itq_ptsd", "itq_cptsd"):
        rep = sens[(sens["classification"] == cls) & (sens["variant"] == "report")]
        assert sorted(rep["fi_option"]) == fi_opts
    assert sorted(sens.loc[sens["classification"] == "functional_impairment", "variant"]) == fi_opts
    for cls, key in (
        ("sss8", "sss8"),
        ("cfq", "cfq"),
        ("gad7", "gad7"),
        ("wsas", "wsas"),
        ("itq_ptsd", "itq"),
    ):
        assert set(RULES["instruments"][key]["rules"]) <= set(
            sens.loc[sens["classification"] == cls, "variant"]
        )
    assert list(sens.columns) == [d.column for d in sensitivity_docs()]
    assert (sens["n_determined"] + sens["n_undetermined"] == sens["n_respondents"]).all()
    assert (sens["n_prorated"] <= sens["n_determined"]).all()


def test_sensitivity_matches_scores_columns(sens, scores):
    stored = sens[(sens["scores_column"] != "") & (sens["level"] == "case")]
    assert sorted(stored["scores_column"]) == sorted(
        [
            f"{i}_case_{r}"
            for i in ("cfq", "gad7", "itq_cptsd", "itq_ptsd", "phq9", "sss8", "wsas")
            for r in ("report", "standard")
        ]
        + ["dass_stress_modplus", "functional_impairment"]
    )
    for row in stored.itertuples():
        s = scores[row.scores_column].dropna()
        assert row.n_determined == len(s), row.scores_column
        assert row.n_cases == int(s.sum()), row.scores_column
        assert row.prevalence == pytest.approx(s.mean())
    bands = sens[sens["classification"] == "dass_stress_band"]
    assert bands["prevalence"].sum() == pytest.approx(1.0)
    counts = scores["dass_stress_band"].value_counts()
    for row in bands.itertuples():
        assert row.n_cases == counts.get(row.level, 0)
    headline = sens[(sens["headline"] == 1) & (sens["level"] == "case")]
    assert set(headline["scores_column"]) >= {
        f"{c}_case_report" for c in ("sss8", "cfq", "gad7", "phq9", "wsas")
    }


def test_sensitivity_prorated_counts_are_exact():
    rows = [{"gad7": [2, 2, 2, None, 1, 1, 1]}, {"gad7": [2, 2, 2, 2, 1, 1, 1]}, {"gad7": [None] * 7}]
    s = sensitivity_table(responses(rows), CB, RULES)
    std = s[(s["classification"] == "gad7") & (s["variant"] == "standard")].iloc[0]
    assert (std["n_determined"], std["n_undetermined"], std["n_prorated"], std["n_cases"]) == (2, 1, 1, 2)
    rep = s[(s["classification"] == "gad7") & (s["variant"] == "report")].iloc[0]
    assert rep["n_prorated"] == 0  # >= 9 is decided by the bounds (observed 9)


def test_literal_sss8_reading_is_far_more_lenient(sens):
    s = sens[sens["classification"] == "sss8"].set_index("variant")["prevalence"]
    assert s["literal_1to5"] > s["report"]


# --------------------------------------------------------------------------- dictionaries, files


def test_dictionaries_describe_every_column(scores, sens, tmp_path):
    docs = scores_docs(RULES, list(scores.columns))
    assert [d.column for d in docs] == list(scores.columns)
    assert all(d.description for d in docs)
    text = {d.column: d.description for d in docs}
    assert ">= 9" in text["gad7_case_report"] and "F5" in text["phq9_case_report"]
    write_dictionary(docs, tmp_path / "scores.dictionary.csv", scores)
    write_dictionary(sensitivity_docs(), tmp_path / "sensitivity.dictionary.csv", sens)
    with pytest.raises(ValueError):
        scores_docs(RULES, [*scores.columns, "unknown_column"])


def test_outputs_are_deterministic_and_round_trip(sample, tmp_path):
    src = tmp_path / "responses.csv"
    write_csv(sample, src)
    back = read_responses(src)
    paths = []
    for i in range(2):
        p = tmp_path / f"scores{i}.csv"
        write_csv(score_responses(back, CB, RULES), p)
        q = tmp_path / f"sens{i}.csv"
        write_csv(sensitivity_table(back, CB, RULES), q)
        paths.append((p, q))
    assert paths[0][0].read_bytes() == paths[1][0].read_bytes()
    assert paths[0][1].read_bytes() == paths[1][1].read_bytes()
    assert paths[0][0].read_bytes() == _bytes(score_responses(sample, CB, RULES), tmp_path / "direct.csv")


def _bytes(df: pd.DataFrame, path) -> bytes:
    write_csv(df, path)
    return path.read_bytes()


def test_bounds_only_policy_never_prorates(sample):
    r = copy.deepcopy(RULES)
    r["missing"]["policy"] = "bounds_only"
    s = sensitivity_table(sample, CB, r)
    assert (s["n_prorated"] == 0).all()


def test_breakdowns_without_their_source_questions_are_skipped():
    from test_scoring_support import codebook_dict

    from mhsurvey.codebook import parse_codebook

    d = codebook_dict()
    d["questions"] = [q for q in d["questions"] if q["id"] not in ("incidents", "leader_role")]
    cb = parse_codebook(d, "no-incidents")
    df = responses([{"gad7": [3] * 7, "tenure": 2}])
    df = df.drop(columns=[c for c in df.columns if c.startswith("incidents_") or c == "leader_role"])
    out = score_responses(df, cb, RULES)
    assert not any(c.startswith("incidents_") or c in ("exposed_serious", "leader") for c in out.columns)
    assert out["gad7_case_report"].tolist() == [1] and out["tenure_group"].tolist() == [1]
    assert [d.column for d in scores_docs(RULES, list(out.columns))] == list(out.columns)
