"""Crosswalk (config/crosswalk.yaml): every published id resolves to exactly one target or reason."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from mhsurvey.audit.crosswalk import Resolver, load_crosswalk, resolve_all, vocabulary
from mhsurvey.audit.published import chapter_of, figure_of, load_published, parse_number, printed_figure_of
from mhsurvey.errors import ConfigError
from mhsurvey.schemas import validate_against

REPO = Path(__file__).resolve().parents[1]
PUBLISHED = sorted((REPO / "data" / "published").glob("*.csv"))
CODEBOOKS = {"current": REPO / "config/codebook/current.yaml", "former": REPO / "config/codebook/former.yaml"}


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    return load_published(PUBLISHED)


@pytest.fixture(scope="module")
def crosswalk() -> dict:
    return load_crosswalk(REPO / "config/crosswalk.yaml")


@pytest.fixture(scope="module")
def vocab() -> pd.DataFrame:
    return vocabulary(CODEBOOKS, REPO / "config/estimates.yaml")


@pytest.fixture(scope="module")
def resolutions(published, crosswalk, vocab):
    return {r.id: r for r in resolve_all(published, crosswalk, vocab)}


def test_every_published_row_resolves_to_one_target_or_one_reason(published, resolutions):
    assert len(published) == 1388
    assert set(resolutions) == set(published["id"])
    for r in resolutions.values():
        assert (r.target is None) != (r.reason == ""), r.id  # exactly one of target / reason
    mapped = sum(r.target is not None for r in resolutions.values())
    reasons = Counter(r.reason for r in resolutions.values() if r.target is None)
    assert mapped == 1302
    assert reasons == {
        "scoring_rule": 32,
        "interview_count": 18,
        "verbal_approximation": 9,
        "ambiguous_fragment": 8,
        "literature_value": 5,
        "method_constant": 4,
        "open_comment_count": 3,
        "fieldwork_fact": 3,
        "breakdown_not_tabulated": 2,
        "no_population_frame": 2,
    }


@pytest.mark.parametrize(
    "pid, kind, mapping",
    [
        ("cur_trust_total_high", "estimate", "estimates:trust_category=high"),
        ("cur_trust_male_high", "subgroup", "subgroup_tests:trust_category=high|gender=Mann"),
        (
            "cur_trust_samfunn_low",
            "subgroup",
            "subgroup_tests:trust_category=low|form=Straffegjennomføring i samfunn",
        ),
        (
            "cur_cfq_prev_gender_mann_outside",
            "complement",
            "subgroup_tests:cfq_case_report=100-(1)|gender=Mann",
        ),
        ("cur_gad7_prev_total_normal", "complement", "estimates:gad7_case_report=100-(1)"),
        ("cur_dass_item_energy_total_top2_text", "merged", "estimates:dass_s3=2+3"),
        (
            "cur_inc_sexual_gender_diff",
            "difference",
            "difference: subgroup_tests:incidents_sexual=1|gender=Mann - subgroup_tests:incidents_sexual=1|gender=Kvinne",
        ),
        (
            "cur_wit_colleague_suicide_ost_diff",
            "difference",
            "difference: subgroup_tests:witnessed_colleague_suicide=1|region=Kriminalomsorgen region øst"
            " - estimates:witnessed_colleague_suicide=1",
        ),
        (
            "cur_safe_work_tenure_diff",
            "difference",
            "difference: subgroup_tests:safety_work=agree|tenure_group=Inntil 4 år - "
            "subgroup_tests:safety_work=agree|tenure_group=5-10 år+11-15 år+16-20 år+Mer enn 20 år",
        ),
        (
            "cur_lonely_dep_often",
            "subgroup",
            "subgroup_tests:loneliness=often|condition_depression=Innenfor kriteriene",
        ),
        ("app_cur_region_ost", "estimate", "estimates:region=7"),
        ("cur_inc_leader_tenure_16_20", "subgroup", "subgroup_tests:tenure=6|leader_role=Ja"),
        (
            "cur_safe_work_ten_5p_agree",
            "range",
            "range: "
            + "; ".join(
                f"subgroup_tests:safety_work=agree|tenure_group={lv}"
                for lv in ("5-10 år", "11-15 år", "16-20 år", "Mer enn 20 år")
            ),
        ),
        ("meth_dass_alpha", "reliability", "reliability(survey=current, scale=dass_stress, field=alpha)"),
        (
            "meth_cur_responses_total",
            "cleaning",
            "cleaning(survey=current, keys=['kept', 'excluded_by_rule.target_group'])",
        ),
    ],
)
def test_known_mappings(resolutions, pid, kind, mapping):
    r = resolutions[pid]
    assert r.target.kind == kind
    assert r.target.describe() == mapping


def test_range_over_items_and_reasons(resolutions):
    r = resolutions["cur_sss8_item_headache_pain_stomach_total_top2_text"]
    assert r.target.kind == "range"
    assert [c.variable for c in r.target.cells] == ["sss8_4", "sss8_2", "sss8_3", "sss8_1"]
    assert all(c.category.keys == ("4", "5") for c in r.target.cells)
    assert resolutions["app_qual_region_nord"].reason == "interview_count"
    assert resolutions["meth_cur_response_rate"].reason == "no_population_frame"
    assert resolutions["cur_coll_close_total_fully_agree"].reason == "verbal_approximation"
    assert resolutions["cur_trust_ssb2020_high"].reason == "literature_value"


def _row(**kw) -> pd.Series:
    base = dict(
        id="x1",
        survey="current",
        section="2.7",
        source="text",
        measure="trust_category",
        item="På en skala fra 0-10 ... vil du si at folk flest er til å stole på?",
        subgroup_var="total",
        subgroup_level="Total",
        category="Høy tillit (8-10)",
        pct="30",
        n="",
    )
    base.update(kw)
    return pd.Series(base)


def test_ambiguous_or_unresolvable_rows_are_errors(crosswalk, vocab):
    cw = copy.deepcopy(crosswalk)
    cw["not_reproducible"]["ids"].append(
        {"ids": ["meth_dass_alpha"], "reason": "literature_value", "note": "x"}
    )
    with pytest.raises(ConfigError, match="meth_dass_alpha.*more than once"):
        Resolver(cw, vocab)
    cw = copy.deepcopy(crosswalk)
    cw["not_reproducible"]["rules"].append(
        {"match": {"measure": "qualitative_sample"}, "reason": "literature_value", "note": "x"}
    )
    with pytest.raises(ConfigError, match="matches 2 not_reproducible rules"):
        Resolver(cw, vocab).resolve(_row(id="q1", measure="qualitative_sample"))
    resolver = Resolver(crosswalk, vocab)
    with pytest.raises(ConfigError, match="x1.*item 'Ukjent spørsmål'"):
        resolver.resolve(_row(measure="safety", item="Ukjent spørsmål", category="Helt eller delvis enig"))
    with pytest.raises(ConfigError, match="x1.*category 'Ukjent'"):
        resolver.resolve(_row(measure="safety", item="Føler seg trygg på arbeidsplassen", category="Ukjent"))
    with pytest.raises(ConfigError, match="no breakdowns entry for 'age'"):
        resolver.resolve(_row(subgroup_var="age", subgroup_level="30-39"))
    assert resolver.resolve(_row()).target.describe() == "estimates:trust_category=high"
    cw = copy.deepcopy(crosswalk)
    cw["items"]["safety"]["Føler seg trygg på fritiden"] = "no_such_column"
    with pytest.raises(ConfigError, match="'no_such_column' is not a codebook column"):
        Resolver(cw, vocab).resolve(
            _row(measure="safety", item="Føler seg trygg på fritiden", category="Helt eller delvis enig")
        )


def test_schema_rejects_unknown_keys_and_reasons(crosswalk):
    bad = copy.deepcopy(crosswalk)
    bad["extra"] = 1
    with pytest.raises(ConfigError, match="extra"):
        validate_against(bad, "crosswalk.schema.yaml", "test")
    bad = copy.deepcopy(crosswalk)
    bad["not_reproducible"]["ids"][0]["reason"] = "because"
    with pytest.raises(ConfigError, match="because"):
        validate_against(bad, "crosswalk.schema.yaml", "test")


def test_stale_ids_in_crosswalk_are_errors(published, crosswalk, vocab):
    cw = copy.deepcopy(crosswalk)
    cw["rows"]["no_such_id"] = {"cleaning": {"survey": "current", "keys": ["kept"]}}
    with pytest.raises(ConfigError, match="no_such_id"):
        resolve_all(published, cw, vocab)


def test_published_helpers():
    assert parse_number("14-17") == (14.0, 17.0)
    assert parse_number("0.83") == 0.83
    assert parse_number("1,1-2,5") == (1.1, 2.5)
    assert parse_number("> 8") is None
    assert figure_of("text+Figur 22") == "Figur 22"
    assert figure_of("Figur 59 (printed 'Figur 3.')") == "Figur 59"
    assert printed_figure_of("Figur 59 (printed 'Figur 3.')") == "Figur 3"
    assert figure_of("subgroup panel 3.3 (uncaptioned)") == "panel 3.3"
    assert figure_of("text") == ""
    assert chapter_of("2.4") == "2" and chapter_of("former") == "former"
