"""Tests of mhsim.items (synthetic chapter-2 questions).

Three layers:

* known-answer unit tests of the building blocks (threshold cut, two-stage largest remainder,
  boundary targets, raking, calibration table) on hand-computed examples;
* a small hand-made codebook and spec whose targets are mutually consistent, so every total and
  subgroup count must come out exactly;
* the real configs (``config/simulation/<survey>_items.yaml``) on a synthetic background with the
  sample composition of Vedlegg 1 (read from ``data/published``): routing exact, published totals
  within +-2 pp, >= 90 % of subgroup targets within their margin of error, follow-up bases exact,
  deterministic given the seed.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mhsim import items as it
from mhsim.items import ordinal, raking, spec
from mhsim.targets import PUBLISHED_COLUMNS, Published, largest_remainder, load_published
from mhsurvey.clean import routing_mask
from mhsurvey.codebook import load_codebook, parse_codebook
from mhsurvey.config import load_yaml_validated
from mhsurvey.errors import ConfigError
from mhsurvey.schemas import validate_against

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED_FILES = [ROOT / "data/published/ch2_current.csv", ROOT / "data/published/ch3_former_appendix.csv"]
SCHEMA = "simulation_items.schema.yaml"

# Not printed in the report (assumptions of this test only): security levels among prison staff,
# the share with leader responsibility, and the respondents without direct contact (1746 - 1726).
SECURITY_SHARES = [10, 50, 40]
LEADER_SHARE = 0.25
N_OUTSIDE_TARGET_GROUP = {"current": 20, "former": 0}
COMPOSITION = {  # published row ids of the Vedlegg 1 shares, in code order
    "current": {
        "n": "app_cur_sample_n",
        "gender": ["app_cur_gender_mann", "app_cur_gender_kvinne"],
        "region": [
            "app_cur_region_krus",
            "app_cur_region_kdi",
            "app_cur_region_nord",
            "app_cur_region_vest",
            "app_cur_region_sorvest",
            "app_cur_region_sor",
            "app_cur_region_ost",
        ],
        "form": ["app_cur_form_samfunn", "app_cur_form_fengsel", "app_cur_form_annet"],
        "tenure": [
            "app_cur_tenure_lt1",
            "app_cur_tenure_1_2",
            "app_cur_tenure_3_4",
            "app_cur_tenure_5_10",
            "app_cur_tenure_11_15",
            "app_cur_tenure_16_20",
            "app_cur_tenure_gt20",
        ],
    },
    "former": {
        "n": "app_fmr_sample_n",
        "gender": ["app_fmr_gender_mann", "app_fmr_gender_kvinne"],
        "region": [
            None,
            None,
            "app_fmr_region_nord",
            "app_fmr_region_vest",
            "app_fmr_region_sorvest",
            "app_fmr_region_sor",
            "app_fmr_region_ost",
        ],
        "form": ["app_fmr_form_samfunn", "app_fmr_form_fengsel", "app_fmr_form_annet"],
        "tenure": [
            "app_fmr_tenure_lt1",
            "app_fmr_tenure_1_2",
            "app_fmr_tenure_3_4",
            "app_fmr_tenure_5_10",
            "app_fmr_tenure_11_15",
            "app_fmr_tenure_16_20",
            "app_fmr_tenure_gt20",
        ],
    },
}


# ---------------------------------------------------------------------------------------------
# Known-answer unit tests
# ---------------------------------------------------------------------------------------------


def test_cut_for_count_known_values():
    v = np.array([3.0, 1.0, 2.0, 5.0])
    assert it.cut_for_count(v, 1) == 4.0  # between 5 and 3
    assert it.cut_for_count(v, 2) == 2.5  # between 3 and 2
    assert it.cut_for_count(v, 0) == pytest.approx(5.0 + 1e-6)
    assert it.cut_for_count(v, 4) == pytest.approx(1.0 - 1e-6)
    for k in range(5):
        assert int((v > it.cut_for_count(v, k)).sum()) == k
    with pytest.raises(ValueError):
        it.cut_for_count(v, 5)


def test_entry_counts_keep_a_merged_published_count():
    # 783 of 1206 followed up (Figur 13 base), 25 % not at all, the rest "Vet ikke".
    # Stage 1 by hand: q = 1206 * [64.925..., 25, 10.074...] / 100 = [783.0, 301.5, 121.5];
    # floors 782 + 301 + 121 = 1204; the two largest fractions (.9955 and .5045) get +1.
    # Stage 2: 783 * [.35, .40, .25] = [274.05, 313.2, 195.75] -> 274, 313, 196.
    yes = 100 * 783 / 1206
    entries = [
        ([1, 2, 3], yes, np.array([35.0, 40.0, 25.0])),
        ([4], 25.0, np.array([1.0])),
        ([98], 100 - yes - 25.0, np.array([1.0])),
    ]
    counts = ordinal._entry_counts(entries, 1206)
    assert counts == {1: 274, 2: 313, 3: 196, 4: 301, 98: 122}
    assert counts[1] + counts[2] + counts[3] == 783


def test_wanted_boundaries_prefix_suffix_and_band():
    K, m = 4, 100
    cur = np.array([10, 20, 30, 40])
    assert raking._wanted_boundaries([it.Band(0, 0, 1, 30.0)], cur, m, K) == {1: 30.0}
    assert raking._wanted_boundaries([it.Band(0, 3, 4, 20.0)], cur, m, K) == {2: 80.0}
    # interior band next to a fixed prefix: fixed from the prefix side
    assert raking._wanted_boundaries([it.Band(0, 0, 1, 30.0), it.Band(0, 2, 2, 10.0)], cur, m, K) == {
        1: 30.0,
        2: 40.0,
    }
    # interior band alone: anchored at its smaller outer side (20 above < 70 below), kept at 20
    assert raking._wanted_boundaries([it.Band(0, 2, 2, 14.0)], cur, m, K) == {1: 20.0, 2: 34.0}
    # chain of two interior bands anchored at the bottom (only 100 - 40 = 60 below ... vs 20 above):
    # here the top is smaller, so c_1 stays 20, then c_2 = 20 + 5 and c_3 = 25 + 12
    assert raking._wanted_boundaries([it.Band(0, 2, 2, 5.0), it.Band(0, 3, 3, 12.0)], cur, m, K) == {
        1: 20.0,
        2: 25.0,
        3: 37.0,
    }
    # a chain ending next to a small bottom category is anchored there (c_3 = 95 kept)
    cur2 = np.array([30, 50, 70, 95])
    assert raking._wanted_boundaries([it.Band(0, 2, 2, 20.0), it.Band(0, 3, 3, 10.0)], cur2, m, K) == {
        3: 95.0,
        2: 85.0,
        1: 65.0,
    }


def test_rake_categories_binary_known_answer():
    # Scores 0..9, group = rows 0-4 (the five lowest). 4 ticked in total, 3 of them in the group:
    # the group's 3 best (rows 2, 3, 4) and the best outside (row 9).
    score = np.arange(10, dtype=float)
    member = np.zeros((10, 1), dtype=bool)
    member[:5, 0] = True
    all_rows = np.ones(10, dtype=bool)
    r = it.rake_categories(score, all_rows, all_rows, member, [4, 6], [it.Band(0, 0, 0, 3.0)])
    assert sorted(np.flatnonzero(r.position == 0).tolist()) == [2, 3, 4, 9]


def test_rake_categories_ordinal_group_and_totals_exact():
    rng = np.random.default_rng(3)
    n = 600
    score = rng.standard_normal(n)
    g = np.zeros((n, 2), dtype=bool)
    g[: n // 2, 0] = True  # group A
    g[n // 2 :, 1] = True  # group B (the rest)
    pop = np.ones(n, dtype=bool)
    pop[-50:] = False  # 50 rows outside the calibration population
    counts = [150, 200, 200]  # totals among the 550 population rows
    # A: 40 % top, 25 % bottom of its 300 rows; B: the rest, consistent with the totals
    bands = [it.Band(0, 0, 0, 120.0), it.Band(0, 2, 2, 75.0)]
    r = it.rake_categories(score, np.ones(n, dtype=bool), pop, g, counts, bands)
    p = r.position
    assert [int(((p == k) & pop).sum()) for k in range(3)] == counts
    assert int(((p == 0) & pop & g[:, 0]).sum()) == 120
    assert int(((p == 2) & pop & g[:, 0]).sum()) == 75
    assert (p[~pop] >= 0).all()  # rows outside the population are categorised too


def _published(rows: list[dict]) -> Published:
    df = pd.DataFrame([{c: "" for c in PUBLISHED_COLUMNS} | r for r in rows]).astype(str)
    return Published(df.set_index("id"))


def test_row_value_variants():
    pub = _published(
        [
            {"id": "base", "n": "1726", "pct": ""},
            {"id": "cnt", "n": "1206", "pct": "65"},
            {"id": "rng", "pct": "69-70"},
        ]
    )
    assert spec._row_value({"source": "cnt"}, pub, "t") == 65.0
    assert spec._row_value({"source": "cnt", "field": "n", "of": "base"}, pub, "t") == pytest.approx(
        100 * 1206 / 1726
    )
    assert spec._row_value({"source": "rng"}, pub, "t") == 69.5
    assert spec._row_value({"like": "cnt", "assumed": "borrowed"}, pub, "t") == 65.0
    assert spec._row_value({"value": 24, "assumed": "why"}, pub, "t") == 24.0
    with pytest.raises(ConfigError, match="assumed"):
        spec._row_value({"value": 24}, pub, "t")


def test_item_calibration_known_answer():
    # 10 respondents (2 outside the population). Item x: codes 1-2 = agree.
    resp = pd.DataFrame(
        {
            "direct_contact": pd.array([1, 1, 1, 1, 1, 1, 1, 1, 2, 2], dtype="Int64"),
            "gender": pd.array([1, 1, 1, 1, 2, 2, 2, 2, 1, 2], dtype="Int64"),
            "x": pd.array([1, 2, 3, 98, 1, 4, 5, None, 1, 1], dtype="Int64"),
        }
    )
    spec = {
        "resolved": True,
        "population": {"column": "direct_contact", "keep": [1]},
        "checks": {"total_tolerance_pp": 2.0, "moe_z": 1.959964, "min_subgroup_share": 0.9},
        "levels": {"gender": {"Mann": {"gender": [1]}, "Kvinne": {"gender": [2]}}},
        "targets": [
            {
                "id": "t",
                "source": "s1",
                "columns": ["x"],
                "codes": [1, 2],
                "by": "total",
                "level_label": "Total",
                "levels": [],
                "kind": "total",
                "pct": 40.0,
                "measure": "m",
                "category": "agree",
                "approx": False,
                "unattainable": "",
                "note": "",
            },
            {
                "id": "m",
                "source": "s2",
                "columns": ["x"],
                "codes": [1, 2],
                "by": "gender",
                "level_label": "Mann",
                "levels": ["Mann"],
                "kind": "subgroup",
                "pct": 50.0,
                "measure": "m",
                "category": "agree",
                "approx": False,
                "unattainable": "",
                "note": "",
            },
            {
                "id": "d",
                "source": "s3",
                "columns": ["x"],
                "codes": [1, 2],
                "by": "gender",
                "level_label": "Mann vs Kvinne",
                "levels": ["Mann", "Kvinne"],
                "kind": "difference",
                "pct": 20.0,
                "measure": "m",
                "category": "difference (pp)",
                "approx": False,
                "unattainable": "",
                "note": "",
            },
        ],
    }
    tab = it.item_calibration(resp, spec).set_index("target_id")
    # total: 7 answered in the population (98 counts in the base, missing does not), 3 agree
    assert tab.loc["t", "n"] == 7
    assert tab.loc["t", "generated"] == pytest.approx(300 / 7)
    assert bool(tab.loc["t", "within"]) is False  # 42.86 vs 40 > 2 pp
    # Mann: 4 answered, 2 agree -> 50 %, MOE = 1.959964 * sqrt(.25 / 4) * 100
    assert tab.loc["m", "generated"] == 50.0
    assert tab.loc["m", "tolerance"] == pytest.approx(1.959964 * math.sqrt(0.25 / 4) * 100)
    assert bool(tab.loc["m", "within"]) is True
    # difference |50 - 33.3| = 16.7 (Kvinne: 1 of 3 answered)
    assert tab.loc["d", "generated"] == pytest.approx(100 * (0.5 - 1 / 3))
    assert list(it.item_calibration(resp, spec).columns) == list(it.CALIBRATION_COLUMNS)


# ---------------------------------------------------------------------------------------------
# A small hand-made questionnaire with consistent targets: everything exact
# ---------------------------------------------------------------------------------------------


def _code(c: int, label: str, ns: bool = False) -> dict:
    d = {"code": c, "no": label, "en": label}
    return d | ({"nonsubstantive": True} if ns else {})


MINI_CODEBOOK = {
    "survey": "mini",
    "title_no": "Mini",
    "title_en": "Mini",
    "export": {"id_column": "respondent_id"},
    "value_sets": {
        "yes_no": {"codes": [_code(1, "Ja"), _code(2, "Nei")]},
        "agree": {
            "codes": [
                _code(1, "Helt enig"),
                _code(2, "Delvis enig"),
                _code(3, "Verken"),
                _code(4, "Delvis uenig"),
                _code(5, "Helt uenig"),
                _code(98, "Vet ikke", True),
                _code(99, "Ønsker ikke svare", True),
            ]
        },
        "freq": {"codes": [_code(1, "Ofte"), _code(2, "Sjelden"), _code(97, "Husker ikke", True)]},
    },
    "questions": [
        {"id": "direct_contact", "type": "single", "text_no": "k", "text_en": "c", "values": "yes_no"},
        {
            "id": "gender",
            "type": "single",
            "text_no": "k",
            "text_en": "g",
            "breakdown": "gender",
            "codes": [_code(1, "Mann"), _code(2, "Kvinne")],
        },
        {
            "id": "incidents",
            "type": "multi",
            "text_no": "h",
            "text_en": "i",
            "options": [
                {"id": "threat", "no": "Trusler", "en": "Threats"},
                {"id": "violence", "no": "Vold", "en": "Violence"},
                {"id": "looks", "no": "Blikk", "en": "Looks"},
                {"id": "none", "no": "Ingen", "en": "None", "exclusive": True},
                {"id": "no_answer", "no": "Ønsker ikke svare", "en": "No answer", "exclusive": True},
            ],
        },
        {
            "id": "freq",
            "type": "grid",
            "text_no": "f",
            "text_en": "f",
            "values": "freq",
            "items": [{"id": "threat", "no": "t", "en": "t", "routing": "incidents_threat == 1"}],
        },
        {
            "id": "followup",
            "type": "single",
            "text_no": "o",
            "text_en": "o",
            "values": "yes_no",
            "routing": "(incidents_threat == 1) | (incidents_violence == 1)",
        },
        {"id": "safe", "type": "single", "text_no": "t", "text_en": "s", "values": "agree"},
        {
            "id": "trust",
            "type": "numeric",
            "text_no": "t",
            "text_en": "t",
            "min": 0,
            "max": 10,
            "codes": [_code(98, "Vet ikke", True)],
        },
    ],
}

MINI_PUBLISHED = [
    {"id": "m_n", "n": "400"},
    {"id": "m_threat", "pct": "60", "subgroup_var": "total", "subgroup_level": "Total", "category": "Ja"},
    {"id": "m_threat_m", "pct": "75", "subgroup_var": "gender", "subgroup_level": "Mann", "category": "Ja"},
    {"id": "m_threat_k", "pct": "45", "subgroup_var": "gender", "subgroup_level": "Kvinne", "category": "Ja"},
    {"id": "m_violence", "pct": "40", "subgroup_var": "total", "subgroup_level": "Total", "category": "Ja"},
    {"id": "m_looks", "pct": "70", "subgroup_var": "total", "subgroup_level": "Total", "category": "Ja"},
    {"id": "m_none", "pct": "10", "subgroup_var": "total", "subgroup_level": "Total", "category": "Ingen"},
    {
        "id": "m_noans",
        "pct": "0",
        "subgroup_var": "total",
        "subgroup_level": "Total",
        "category": "Ønsker ikke",
    },
    {"id": "m_often", "pct": "30", "subgroup_var": "total", "subgroup_level": "Total", "category": "Ofte"},
    {
        "id": "m_safe_agree",
        "pct": "70",
        "subgroup_var": "total",
        "subgroup_level": "Total",
        "category": "Enig",
    },
    {
        "id": "m_safe_agree_m",
        "pct": "60",
        "subgroup_var": "gender",
        "subgroup_level": "Mann",
        "category": "Enig",
    },
    {
        "id": "m_safe_dis",
        "pct": "20",
        "subgroup_var": "total",
        "subgroup_level": "Total",
        "category": "Uenig",
    },
    {"id": "m_trust_low", "pct": "30", "subgroup_var": "total", "subgroup_level": "Total", "category": "0-4"},
    {
        "id": "m_trust_low_dep",
        "pct": "70",
        "subgroup_var": "condition",
        "subgroup_level": "Dep",
        "category": "0-4",
    },
    {"id": "m_dep", "pct": "10", "subgroup_var": "total", "subgroup_level": "Total", "category": "Dep"},
]

MINI_SPEC = {
    "survey": "mini",
    "population": {"column": "direct_contact", "keep": [1]},
    "checks": {"total_tolerance_pp": 2.0, "moe_z": 1.959964, "min_subgroup_share": 0.9},
    "levels": {"gender": {"Mann": {"gender": [1]}, "Kvinne": {"gender": [2]}}},
    "conditions": {"groups": {"Dep": {"sources": ["m_dep"]}}},
    "exposure": {"assumed": "test", "distress": 0.2, "effects": {"gender": {1: 0.3, 2: -0.3}}},
    "variables": {
        "threat": {
            "columns": ["incidents_threat"],
            "codes": [1],
            "rows": ["m_threat", "m_threat_m", "m_threat_k"],
        },
        "violence": {"columns": ["incidents_violence"], "codes": [1], "rows": ["m_violence"]},
        "looks": {"columns": ["incidents_looks"], "codes": [1], "rows": ["m_looks"]},
        "none": {"columns": ["incidents_none"], "codes": [1], "rows": ["m_none"]},
        "noans": {"columns": ["incidents_no_answer"], "codes": [1], "rows": ["m_noans"]},
        "often": {"columns": ["freq_threat"], "codes": [1], "rows": ["m_often"]},
        "exposed": {
            "columns": ["incidents_threat", "incidents_violence"],
            "codes": [1],
            "rows": [{"id": "m_exposed", "source": "m_threat"}],
        },
        "safe": {
            "columns": ["safe"],
            "rows": [
                {"source": "m_safe_agree", "codes": [1, 2]},
                {"source": "m_safe_agree_m", "codes": [1, 2]},
                {"source": "m_safe_dis", "codes": [4, 5]},
            ],
        },
        "trust": {"columns": ["trust"], "codes": [0, 1, 2, 3, 4], "rows": ["m_trust_low", "m_trust_low_dep"]},
    },
    "generate": [
        {
            "model": "multi",
            "question": "incidents",
            "factors": {"exposure": 0.7},
            "no_answer": "no_answer",
            "none": "none",
            "root": {
                "id": "any",
                "cover": True,
                "children": [
                    {"option": "looks"},
                    {"option": "threat", "children": [{"option": "violence", "factors": {"parent": 0.5}}]},
                ],
            },
        },
        {
            "model": "ordinal",
            "order": [1, 2],
            "items": {
                "freq_threat": {
                    "factors": {"incidents_threat": 0.4},
                    "total": [
                        {"codes": [1], "target": "m_often"},
                        {"codes": [97], "value": 5, "assumed": "test"},
                        {"codes": [2], "rest": True},
                    ],
                }
            },
        },
        {
            "model": "ordinal",
            "order": [1, 2],
            "items": {
                "followup": {
                    "total": [{"codes": [1], "value": 60, "assumed": "test"}, {"codes": [2], "rest": True}]
                }
            },
        },
        {
            "model": "ordinal",
            "order": [1, 2, 3, 4, 5],
            "items": {
                "safe": {
                    "factors": {"exposure": -0.4},
                    "total": [
                        {"codes": [1, 2], "target": "m_safe_agree", "split": [1, 1]},
                        {"codes": [4, 5], "target": "m_safe_dis", "split": [3, 1]},
                        {"codes": [98], "value": 4, "assumed": "test"},
                        {"codes": [99], "value": 1, "assumed": "test"},
                        {"codes": [3], "rest": True},
                    ],
                }
            },
        },
        {
            "model": "ordinal",
            "order": [10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
            "items": {
                "trust": {
                    "factors": {"distress": -0.3},
                    "calibrate": {"factor": "distress", "range": [-0.9, 0.0]},
                    "total": [
                        {"codes": [0, 1, 2, 3, 4], "target": "m_trust_low"},
                        {"codes": [98], "value": 1, "assumed": "test"},
                        {"codes": [5, 6, 7, 8, 9, 10], "rest": True},
                    ],
                }
            },
        },
    ],
}


@pytest.fixture(scope="module")
def mini():
    validate_against(MINI_SPEC, SCHEMA, "MINI_SPEC")
    codebook = parse_codebook(copy.deepcopy(MINI_CODEBOOK))
    spec = it.resolve_item_spec(MINI_SPEC, _published(MINI_PUBLISHED))
    n_pop, n_out = 400, 10
    bg = pd.DataFrame(
        {
            "direct_contact": pd.array([1] * n_pop + [2] * n_out, dtype="Int64"),
            "gender": pd.array([1, 2] * (n_pop // 2) + [1, 2] * (n_out // 2), dtype="Int64"),
        }
    )
    g = np.random.default_rng(11).standard_normal(len(bg))
    out = it.generate_items(bg, g, spec, codebook, np.random.default_rng(12))
    return codebook, spec, bg, g, out


def test_mini_columns_and_codes(mini):
    codebook, spec, bg, _, out = mini
    assert list(out.columns) == it.generated_columns(spec, codebook)
    assert list(out.columns) == [
        "incidents_threat",
        "incidents_violence",
        "incidents_looks",
        "incidents_none",
        "incidents_no_answer",
        "freq_threat",
        "followup",
        "safe",
        "trust",
    ]
    assert out.index.equals(bg.index)
    for col in out.columns:
        values = set(out[col].dropna().astype(int))
        assert values <= set(codebook.column(col).valid_codes()), col


def test_mini_totals_and_subgroups_exact(mini):
    _, _, bg, _, out = mini
    pop = (bg["direct_contact"] == 1).to_numpy()
    man = pop & (bg["gender"] == 1).to_numpy()
    o = out[pop]
    assert int(o["incidents_threat"].sum()) == 240  # 60 % of 400
    assert int(out.loc[man, "incidents_threat"].sum()) == 150  # 75 % of 200 (consistent with 45 %)
    assert int(o["incidents_violence"].sum()) == 160
    assert int(o["incidents_looks"].sum()) == 280
    assert int(o["incidents_none"].sum()) == 40
    assert int(o["incidents_no_answer"].sum()) == 0
    assert int((o["safe"].isin([1, 2])).sum()) == 280
    assert int((out.loc[man, "safe"].isin([1, 2])).sum()) == 120
    assert int((o["safe"].isin([4, 5])).sum()) == 80
    assert int((o["safe"] == 98).sum()) == 16 and int((o["safe"] == 99).sum()) == 4
    assert int((o["trust"] <= 4).sum()) == 120
    assert int((o["freq_threat"] == 1).sum()) == 72  # 30 % of the 240 asked


def test_mini_routing_nesting_and_exclusivity(mini):
    _, _, _, _, out = mini
    threat = out["incidents_threat"] == 1
    assert out["freq_threat"].notna().eq(threat).all()
    assert out["followup"].notna().eq(threat | (out["incidents_violence"] == 1)).all()
    assert ((out["incidents_violence"] == 1) <= threat).all()  # violence drawn inside threats
    opts = out[["incidents_threat", "incidents_violence", "incidents_looks"]].sum(axis=1)
    assert (opts[out["incidents_none"] == 1] == 0).all()
    assert ((out["incidents_none"] == 1) | (opts > 0) | (out["incidents_no_answer"] == 1)).all()
    assert out[["incidents_threat", "incidents_none"]].notna().all().all()


def test_mini_condition_calibration_raises_low_trust_in_the_group(mini):
    _, spec, bg, g, out = mini
    pop = (bg["direct_contact"] == 1).to_numpy()
    dep = it.condition_proxies(g, spec, pop)["Dep"].to_numpy()
    assert int((dep & pop).sum()) == 40  # top 10 % of the 400
    share = float((out.loc[dep & pop, "trust"] <= 4).mean())
    assert share == pytest.approx(0.70, abs=0.08)  # target 70 % vs 30 % overall


def test_mini_given_conditions_replace_the_proxy(mini):
    # A diagnostic group unrelated to G (every 10th population row): calibrating the trust loading
    # on it cannot move its low-trust share far from the overall 30 %, unlike the G-tail proxy.
    codebook, spec, bg, g, _ = mini
    pop = (bg["direct_contact"] == 1).to_numpy()
    group = pd.DataFrame({"Dep": (np.arange(len(bg)) % 10 == 0) & pop})
    out = it.generate_items(bg, g, spec, codebook, np.random.default_rng(12), conditions=group)
    in_group = group["Dep"].to_numpy()
    assert int((out.loc[pop, "trust"] <= 4).sum()) == 120  # total still exact
    assert float((out.loc[in_group, "trust"] <= 4).mean()) < 0.5


def test_mini_deterministic_and_seed_dependent(mini):
    codebook, spec, bg, g, out = mini
    again = it.generate_items(bg, g, spec, codebook, np.random.default_rng(12))
    pd.testing.assert_frame_equal(out, again)
    other = it.generate_items(bg, g, spec, codebook, np.random.default_rng(13))
    assert not out.equals(other)


def test_mini_inconsistent_distribution_is_rejected(mini):
    codebook, _, bg, g, _ = mini
    bad = copy.deepcopy(MINI_SPEC)
    bad["generate"][3]["items"]["safe"]["total"][0]["target"] = "m_threat"  # 60 % vs published 70 %
    spec = it.resolve_item_spec(bad, _published(MINI_PUBLISHED))
    with pytest.raises(ConfigError, match="m_safe_agree"):
        it.generate_items(bg, g, spec, codebook, np.random.default_rng(1))


def test_mini_unresolved_spec_and_wrong_survey_are_rejected(mini):
    codebook, spec, bg, g, _ = mini
    with pytest.raises(ConfigError, match="resolve"):
        it.generate_items(bg, g, MINI_SPEC, codebook, np.random.default_rng(1))
    with pytest.raises(ConfigError, match="survey"):
        it.generate_items(bg, g, dict(spec, survey="other"), codebook, np.random.default_rng(1))


def test_schema_rejects_value_without_reason():
    bad = copy.deepcopy(MINI_SPEC)
    bad["variables"]["threat"]["rows"].append({"id": "x", "value": 3})
    with pytest.raises(ConfigError):
        validate_against(bad, SCHEMA, "bad")


# ---------------------------------------------------------------------------------------------
# The real configs on a synthetic background of the published composition
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def published() -> Published:
    return load_published(PUBLISHED_FILES)


def _assign(rng: np.random.Generator, codes: list[int], shares: list[float], n: int) -> np.ndarray:
    """Exactly the largest-remainder counts of ``codes``, in random order."""
    return rng.permutation(np.repeat(codes, largest_remainder(shares, n))).astype(float)


def synthetic_background(published: Published, survey: str, rng: np.random.Generator) -> pd.DataFrame:
    """Background with the Vedlegg 1 composition (exact margins) plus the test's assumptions."""
    comp = COMPOSITION[survey]
    n_pop = published.n(comp["n"])
    n = n_pop + N_OUTSIDE_TARGET_GROUP[survey]

    def shares(ids):
        return [published.pct(i) if i else 0.0 for i in ids]

    bg = {"direct_contact": np.r_[np.ones(n_pop), np.full(n - n_pop, 2.0)]}
    for var in ("gender", "region", "form", "tenure"):
        bg[var] = _assign(rng, list(range(1, len(comp[var]) + 1)), shares(comp[var]), n)
    frame = pd.DataFrame(bg)
    prison = frame["form"] == 2
    frame["security"] = np.nan
    frame.loc[prison, "security"] = _assign(rng, [1, 2, 3], SECURITY_SHARES, int(prison.sum()))
    leader_p = LEADER_SHARE * (0.4 + 0.2 * frame["tenure"]) / 1.2  # more leaders with longer tenure
    frame["leader_role"] = np.where(rng.random(n) < leader_p, 1.0, 2.0)
    return frame.astype("Int64")


@pytest.fixture(scope="module", params=["current", "former"])
def real(request, published):
    survey = request.param
    codebook = load_codebook(ROOT / f"config/codebook/{survey}.yaml")
    spec = it.resolve_item_spec(
        load_yaml_validated(ROOT / f"config/simulation/{survey}_items.yaml", SCHEMA), published
    )
    rng = np.random.default_rng(20230 + len(survey))
    bg = synthetic_background(published, survey, rng)
    g = rng.standard_normal(len(bg))
    out = it.generate_items(bg, g, spec, codebook, np.random.default_rng(7))
    resp = pd.concat([bg, out], axis=1)
    pop = it.population_mask(resp, spec)
    table = it.item_calibration(resp, spec, it.condition_proxies(g, spec, pop))
    return {
        "survey": survey,
        "codebook": codebook,
        "spec": spec,
        "bg": bg,
        "g": g,
        "out": out,
        "resp": resp,
        "pop": pop,
        "table": table,
    }


CHAPTER2 = {
    "incidents",
    "incident_freq",
    "witnessed",
    "reaction",
    "safety",
    "strain",
    "followup",
    "followup_satisfaction",
    "followup_missing",
    "talk",
    "leader",
    "colleague",
    "friends",
    "close_persons",
    "loneliness",
    "trust",
}


def test_real_covers_every_chapter2_question(real):
    codebook, out = real["codebook"], real["out"]
    generated = {codebook.column(c).question_id for c in out.columns}
    assert generated == CHAPTER2
    for q in codebook.questions:
        if q.id in CHAPTER2:
            assert {c.name for c in q.columns if not c.is_text} <= set(out.columns), q.id
    assert not any(codebook.column(c).is_text for c in out.columns)


def test_real_routing_exact_and_codes_valid(real):
    codebook, resp, out = real["codebook"], real["resp"], real["out"]
    for col in out.columns:
        c = codebook.column(col)
        asked = routing_mask(resp, c.routing).to_numpy()
        assert out[col].notna().to_numpy().tolist() == asked.tolist(), col
        assert set(out[col].dropna().astype(int)) <= set(c.valid_codes()), col


def test_real_multi_exclusive_and_nested(real):
    out = real["out"]
    for q in ("incidents", "witnessed"):
        opts = [c for c in out.columns if c.startswith(q + "_") and not c.endswith(("_none", "_no_answer"))]
        n_ticked = out[opts].sum(axis=1)
        assert (n_ticked[out[f"{q}_none"] == 1] == 0).all()
        assert (n_ticked[out[f"{q}_no_answer"] == 1] == 0).all()
        assert ((out[f"{q}_none"] + out[f"{q}_no_answer"] + (n_ticked > 0)) == 1).all()
    assert ((out["incidents_violence_leisure"] == 1) <= (out["incidents_violence_work"] == 1)).all()


def test_real_followup_bases_exact(real, published):
    resp, pop, survey = real["resp"], real["pop"], real["survey"]
    ids = {
        "current": ("cur_fu_received_total_yes", "cur_fu_satisf_total_satisfied"),
        "former": ("fmr_followup_total_yes", "fmr_followup_sat_total_very_satisfied"),
    }[survey]
    assert int(resp.loc[pop, "followup"].notna().sum()) == published.n(ids[0])  # 1206 / 198
    assert int(resp.loc[pop, "followup_satisfaction"].notna().sum()) == published.n(ids[1])  # 783 / 107


def test_real_published_totals_within_tolerance(real):
    tab = real["table"]
    tot = tab[(tab["kind"] == "total") & tab["attainable"]]
    bad = tot[~tot["within"].astype(bool)]
    assert bad.empty, bad[["target_id", "published", "generated"]].to_string()
    assert len(tot) >= (140 if real["survey"] == "current" else 120)


def test_real_subgroups_within_moe(real):
    tab, spec = real["table"], real["spec"]
    summary = it.calibration_summary(tab)
    if real["survey"] == "former":
        assert summary["subgroups"] == 0  # the report prints no subgroups for former employees
        return
    assert summary["subgroups"] >= 280
    assert summary["subgroup_share"] >= spec["checks"]["min_subgroup_share"]
    assert summary["not_evaluated"] == 0


def test_real_unattainable_targets_are_the_report_inconsistencies(real):
    tab = real["table"]
    flagged = set(tab.loc[~tab["attainable"], "target_id"])
    expected = {
        "current": {
            "cur_inc_unclear_ten_5_10",
            "cur_inc_threat_any_gender_diff",
            "cur_inc_harass_work_ost_yes",
            "cur_wit_legit_force_total_yes",
            "cur_wit_inmate_found_dead_female_yes",
            "cur_emo_thought_die_female_yes_any",
            "cur_lonely_fatigue_often",
            "cur_trust_total_high",
        },
        "former": set(),
    }[real["survey"]]
    assert flagged == expected


def test_real_deterministic(real, published):
    again = it.generate_items(real["bg"], real["g"], real["spec"], real["codebook"], np.random.default_rng(7))
    pd.testing.assert_frame_equal(real["out"], again)


# --------------------------------------------------------------------------- cover repair


def _cover_case(seed: int, n: int = 400, n_kids: int = 3, groups: int = 2):
    from mhsim.items.multi import _Drawn

    rng = np.random.default_rng(seed)
    parent = rng.random(n) < 0.7
    pop = rng.random(n) < 0.85
    kids = []
    for _ in range(n_kids):
        ticked = parent & (rng.random(n) < 0.45)
        margin = np.round(rng.normal(size=n), 1)  # rounded: ties between rows occur
        sig = rng.random((n, groups)) < 0.5 if groups else np.zeros((n, 0), dtype=bool)
        kids.append(_Drawn({"id": "k"}, ticked, margin, rng.normal(size=n), sig))
    return parent, kids, pop


@pytest.mark.parametrize("seed,groups", [(0, 2), (1, 0), (2, 1), (3, 3), (4, 2)])
def test_repair_cover_equals_the_row_scan(seed, groups):
    from mhsim.items.multi import _repair_cover, _repair_cover_scan

    parent, kids, pop = _cover_case(seed, groups=groups)
    ref_kids = copy.deepcopy(kids)
    before = [k.ticked.sum() for k in kids]
    _repair_cover(parent, kids, pop, "test")
    _repair_cover_scan(parent, ref_kids, pop, "test")
    for a, b in zip(kids, ref_kids, strict=True):
        assert np.array_equal(a.ticked, b.ticked)
    T = np.column_stack([k.ticked for k in kids])
    assert T[parent].any(axis=1).all()  # every ticked parent row is covered
    changed = sum(
        not np.array_equal(k.ticked, c.ticked)
        for k, c in zip(kids, _cover_case(seed, groups=groups)[1], strict=True)
    )
    assert changed > 0  # the case exercises the repair
    # counts are kept wherever a donor existed (population rows), as the scan does
    assert [k.ticked.sum() for k in kids] == [k.ticked.sum() for k in ref_kids]
    assert sum(before) <= sum(k.ticked.sum() for k in kids)
