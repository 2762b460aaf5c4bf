"""Unit tests of the synthetic-data generator (mhsim): known answers, hand-worked
examples from the scoring specification, and invariants of the model, the polish and the export."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import yaml

from mhsim.background import generate_background
from mhsim.calibrate import Population, assumed_marginals, solve_loading
from mhsim.comments import BANKS, generate_comments, make_comment
from mhsim.export import count_quirks, kept_rows
from mhsim.instruments import ItemCheck, ItemSpec, ScaleTargets, nonsubstantive_mask
from mhsim.latent import (
    ScaleModel,
    SurveyModel,
    draw_latent,
    rank_assign,
    shift_for_top_share,
    shift_shares,
    thresholds_from_shares,
)
from mhsim.polish import ShareTarget, polish
from mhsim.rules import Rule, class_shares, rules_from_scoring
from mhsim.targets import Published, largest_remainder, load_published, parse_range, resolve_value
from mhsurvey.codebook import parse_codebook
from mhsurvey.config import load_yaml_validated
from mhsurvey.errors import ConfigError
from mhsurvey.reliability import cronbach_alpha
from mhsurvey.schemas import validate_against
from mhsurvey.scoring import load_scoring_rules

REPO = Path(__file__).resolve().parents[1]
PUBLISHED = [REPO / "data/published/ch2_current.csv", REPO / "data/published/ch3_former_appendix.csv"]
SIM = {s: REPO / f"config/simulation/{s}.yaml" for s in ("current", "former")}


# ----------------------------------------------------------------------------- small codebook

MINI = {
    "survey": "mini",
    "title_no": "Mini",
    "title_en": "Mini",
    "export": {
        "id_column": "respondent_id",
        "submitted_column": "submitted",
        "status_column": "status",
        "complete_values": ["completed"],
        "drop_columns": ["email"],
    },
    "value_sets": {
        "yes_no": {"codes": [{"code": 1, "no": "Ja", "en": "Yes"}, {"code": 2, "no": "Nei", "en": "No"}]},
        "gender": {
            "codes": [
                {"code": 1, "no": "Mann", "en": "Man"},
                {"code": 2, "no": "Kvinne", "en": "Woman"},
                {"code": 99, "no": "Ønsker ikke svare", "en": "No answer", "nonsubstantive": True},
            ]
        },
        "form": {"codes": [{"code": c, "no": f"f{c}", "en": f"f{c}"} for c in (1, 2, 3)]},
        "tenure": {"codes": [{"code": c, "no": f"t{c}", "en": f"t{c}"} for c in range(1, 8)]},
        "sat": {"codes": [{"code": c, "no": f"s{c}", "en": f"s{c}"} for c in (1, 2, 3)]},
    },
    "questions": [
        {"id": "direct_contact", "type": "single", "text_no": "d", "text_en": "d", "values": "yes_no"},
        {
            "id": "gender",
            "type": "single",
            "text_no": "g",
            "text_en": "g",
            "values": "gender",
            "breakdown": "gender",
        },
        {
            "id": "form",
            "type": "single",
            "text_no": "f",
            "text_en": "f",
            "values": "form",
            "breakdown": "form",
        },
        {
            "id": "security",
            "type": "single",
            "text_no": "s",
            "text_en": "s",
            "values": "sat",
            "routing": "form == 2",
            "breakdown": "security",
        },
        {
            "id": "tenure",
            "type": "single",
            "text_no": "t",
            "text_en": "t",
            "values": "tenure",
            "breakdown": "tenure",
        },
        {
            "id": "leader_role",
            "type": "single",
            "text_no": "l",
            "text_en": "l",
            "values": "yes_no",
            "breakdown": "leader_role",
        },
        {"id": "followup_missing", "type": "single", "text_no": "m", "text_en": "m", "values": "yes_no"},
        {
            "id": "followup_missing_text",
            "type": "text",
            "text_no": "mt",
            "text_en": "mt",
            "routing": "followup_missing == 1",
        },
    ],
}


@pytest.fixture(scope="module")
def mini():
    return parse_codebook(copy.deepcopy(MINI), "mini")


@pytest.fixture(scope="module")
def published():
    return load_published(PUBLISHED)


def _pub(rows):
    """A Published table from (id, pct, n) tuples."""
    cols = [
        "id",
        "survey",
        "section",
        "source",
        "measure",
        "item",
        "subgroup_var",
        "subgroup_level",
        "category",
        "pct",
        "n",
    ]
    df = pd.DataFrame([[i, "x", "", "", "m", "", "", "", "", p, n] for i, p, n in rows], columns=cols)
    return Published(df.set_index("id"))


# ----------------------------------------------------------------------------- targets


def test_largest_remainder_known_answers():
    assert largest_remainder([54, 46], 1726).tolist() == [932, 794]  # 932.04 / 793.96
    assert largest_remainder([33.3, 33.3, 33.4], 10).tolist() == [3, 3, 4]
    # a published row summing to 102 (Figur 34 "drømmer") is normalised first
    assert largest_remainder([67, 19, 9, 6, 1], 100).tolist() == [66, 18, 9, 6, 1]
    assert largest_remainder([1, 1, 1], 4).tolist() == [2, 1, 1]  # ties: lower index first
    with pytest.raises(ValueError):
        largest_remainder([0, 0], 5)


def test_published_values_ranges_and_assumptions():
    pub = _pub([("a", "19", ""), ("b", "52-63", ""), ("c", "0.83", ""), ("d", "", "1726")])
    assert pub.pct("a") == 19.0 and pub.pct_range("b") == (52.0, 63.0) and pub.pct("b") == 57.5
    assert resolve_value({"source": "c"}, pub, "x") == 0.83
    assert resolve_value({"source": "d", "field": "n"}, pub, "x") == 1726.0
    assert resolve_value({"value": 10, "assumed": "not printed"}, pub, "x") == 10.0
    with pytest.raises(ConfigError, match="assumed"):
        resolve_value({"value": 10}, pub, "x")
    with pytest.raises(ConfigError, match="does not exist"):
        pub.pct("nope")
    assert parse_range("14-17") == (14.0, 17.0)


# ----------------------------------------------------------------------------- latent model


def test_thresholds_and_shifts():
    assert thresholds_from_shares([50, 50]).tolist() == [0.0]
    assert thresholds_from_shares([2.275013194817921, 97.72498680518208])[0] == pytest.approx(-2.0, abs=1e-9)
    base = [21, 44, 23, 11]  # former DASS "energy" (Figur 55)
    assert shift_shares(base, 0.0) == pytest.approx(np.array(base) / sum(base) * 100)
    up = shift_shares(base, 0.5)
    assert up.sum() == pytest.approx(100) and up[0] < 21 and up[3] > 11
    d = shift_for_top_share(base, 2, 49.0)  # current text: "energy" top-2 = 49 %
    assert shift_shares(base, d)[2:].sum() == pytest.approx(49.0)
    d2 = shift_for_top_share(base, 2, 49.0, s=0.6)
    assert shift_shares(base, d2, 0.6)[2:].sum() == pytest.approx(49.0)


def test_rank_assign_exact_counts_by_rank():
    z = np.array([0.3, -1.0, 2.0, 0.5])
    assert rank_assign(z, [1, 2, 1], [0, 1, 2]).tolist() == [1.0, 0.0, 2.0, 1.0]
    rng = np.random.default_rng(3)
    z = rng.standard_normal(1000)
    x = rank_assign(z, [500, 300, 200], [0, 1, 2])
    assert np.bincount(x.astype(int)).tolist() == [500, 300, 200]
    assert (np.diff(x[np.argsort(z)]) >= 0).all()
    with pytest.raises(ValueError):
        rank_assign(z, [1, 2], [0, 1])


def test_model_json_roundtrip():
    sc = ScaleModel(
        "gad7",
        ["a", "b"],
        [[0, 1], [0, 1]],
        [[60.0, 40.0], [50.0, 50.0]],
        [0.7, 0.7],
        0.8,
        {"gender": {1: 0.1, 2: -0.12}},
        {"a": "published", "b": "assumed"},
    )
    m = SurveyModel("current", {"gad7": sc}, {"seed": 1})
    back = SurveyModel.from_json(yaml.safe_load(m.dumps()))
    assert back.scales["gad7"] == sc and back.meta == {"seed": 1}
    assert back.dumps() == m.dumps()


def test_shift_vector_is_additive():
    sc = ScaleModel(
        "x", ["a"], [[0, 1]], [[50, 50]], [0.5], 0.5, {"gender": {1: 0.2, 2: -0.3}, "form": {2: 0.1}}
    )
    bg = pd.DataFrame({"gender": [1, 2, 2, np.nan], "form": [2, 1, 2, 2]})
    assert sc.shift_vector(bg) == pytest.approx([0.3, -0.3, -0.2, 0.1])


# ----------------------------------------------------------------------------- rules


@pytest.fixture(scope="module")
def report_rules():
    items = {
        "dass_stress": [f"dass_s{i}" for i in range(1, 8)],
        "sss8": [f"sss8_{i}" for i in range(1, 9)],
        "cfq": [f"cfq_{i}" for i in range(1, 12)],
        "gad7": [f"gad7_{i}" for i in range(1, 8)],
        "phq9": [f"phq9_{i}" for i in range(1, 10)],
        "itq_ptsd": [f"itq_p{i}" for i in range(1, 7)],
        "itq_dso": [f"itq_c{i}" for i in range(1, 7)],
        "wsas": [f"wsas_{i}" for i in range(1, 6)],
    }
    return rules_from_scoring(load_scoring_rules(REPO / "config/scoring.yaml"), items)


def test_report_rules_worked_examples(report_rules):
    """Worked examples of the scoring specification (docs/methods.md §6: DASS §6.3, GAD-7 §6.4, PHQ-9 §6.5, CFQ §6.6, SSS-8 §6.7, WSAS §6.10)."""
    rules, imp = report_rules
    dass = np.array([[1] * 7, [2, 1, 1, 1, 1, 1, 1], [2, 1, 2, 1, 2, 1, 1], [3, 2, 3, 2, 3, 2, 3]])
    assert rules["dass_stress"].classify(dass).tolist() == [
        0,
        1,
        2,
        4,
    ]  # 14 normal, 16 mild, 20 moderate, 36 extreme
    gad = np.array([[3, 0, 1, 2, 0, 0, 1], [1, 1, 1, 1, 1, 1, 2], [1, 1, 1, 2, 1, 1, 2]])
    assert rules["gad7"].classify(gad).tolist() == [0, 0, 1]  # 7, 8, 9 with "> 8"
    sss = np.array([[0, 1, 0, 1, 0, 0, 1, 1], [1, 2, 1, 2, 0, 0, 3, 3]]) + 1  # fielded 1-5
    assert rules["sss8"].classify(sss).tolist() == [0, 1]  # 0-4 sums 4 and 12
    cfq = np.array([[2, 2, 1, 1, 2, 1, 1, 1, 0, 1, 1], [2, 2, 2, 1, 2, 1, 1, 1, 0, 1, 1]])
    assert rules["cfq"].classify(cfq).tolist() == [0, 1]  # bimodal 3 and 4
    wsas = np.array([[2, 1, 1, 0, 1], [4, 4, 4, 4, 4], [2, 2, 2, 2, 2]])
    assert rules["wsas"].classify(wsas).tolist() == [0, 1, 0]
    impaired = imp.classify(wsas)
    assert impaired.tolist() == [0, 1, 0]  # default F5: WSAS total >= 20
    phq = np.array([[2, 2, 2, 2, 2, 2, 2, 1, 0]] * 3)  # sum 15
    assert rules["phq9"].classify(phq, impaired).tolist() == [0, 1, 0]
    ptsd = np.array([[2, 0, 0, 2, 0, 3], [2, 0, 0, 0, 1, 3], [2, 0, 0, 2, 0, 3]])
    assert rules["itq_ptsd"].classify(ptsd, np.array([1, 1, 0])).tolist() == [1, 0, 0]
    dso = np.array([[0, 2, 2, 0, 0, 2], [0, 2, 2, 0, 1, 1]])
    assert rules["itq_dso"].classify(dso, np.array([1, 1])).tolist() == [1, 0]
    assert rules["gad7"].classify(np.array([[1, np.nan, 1, 1, 1, 1, 1]])).tolist() == [-1]
    assert class_shares(np.array([1, 0, 0, -1]), 2).tolist() == pytest.approx([200 / 3, 100 / 3])


def test_cronbach_alpha_hand_vector_and_pingouin():
    x = np.array([[1, 2, 2], [2, 2, 3], [3, 3, 3], [4, 4, 5], [5, 4, 5]], dtype=float)
    assert cronbach_alpha(x) == pytest.approx(0.962838, abs=1e-6)  # docs/methods.md §3.5 test vector 1
    rng = np.random.default_rng(11)
    y = rng.integers(0, 4, (200, 6)).astype(float) + rng.integers(0, 2, (200, 1))
    assert cronbach_alpha(y) == pytest.approx(pg.cronbach_alpha(pd.DataFrame(y))[0], abs=1e-12)


# ----------------------------------------------------------------------------- polish


def _toy_items(n=600, k=6, lam=0.6, seed=5):
    rng = np.random.default_rng(seed)
    f = rng.standard_normal(n)
    z = lam * f[:, None] + np.sqrt(1 - lam * lam) * rng.standard_normal((n, k))
    return np.column_stack(
        [rank_assign(z[:, i], largest_remainder([40, 35, 15, 10], n), [0, 1, 2, 3]) for i in range(k)]
    )


def test_polish_keeps_marginals_and_hits_targets():
    x = _toy_items()
    rule = Rule("sum_cutoff", cutoff=9)
    before = class_shares(rule.classify(x), 2)[1]
    group = np.arange(len(x)) % 3 == 0
    targets = [
        ShareTarget("total", (1,), before + 4.0, 0.5, 0.4),
        ShareTarget("group", (1,), before + 8.0, 2.0, 1.5, group),
    ]
    alpha_target = cronbach_alpha(x) + 0.03
    res = polish(x, rule, targets, alpha_target, 0.004, 0.003, np.random.default_rng(1), max_batches=5000)
    for i in range(x.shape[1]):  # every item keeps its multiset of values
        assert sorted(res.x[:, i]) == sorted(x[:, i])
    cls = rule.classify(res.x)
    assert abs(class_shares(cls, 2)[1] - (before + 4.0)) <= 0.4
    assert abs(class_shares(cls[group], 2)[1] - (before + 8.0)) <= 1.5
    assert abs(cronbach_alpha(res.x) - alpha_target) <= 0.003
    again = polish(x, rule, targets, alpha_target, 0.004, 0.003, np.random.default_rng(1), max_batches=5000)
    assert np.array_equal(again.x, res.x)  # deterministic


def test_nonsubstantive_mask_counts():
    rng = np.random.default_rng(2)
    m = nonsubstantive_mask(9, np.arange(500), 7, {8: 5}, rng)
    assert m.any(axis=1).sum() >= 7 and m[:, 8].sum() >= 5
    assert m.sum(axis=1).max() <= 3


# ----------------------------------------------------------------------------- calibration pieces


def _scale_targets(items, shares, alpha=0.85, checks=()):
    return ScaleTargets(
        name="toy",
        alpha=alpha,
        alpha_source="x",
        alpha_assumed=False,
        gamma=0.8,
        calibrate_gamma=False,
        items=tuple(
            ItemSpec(n, tuple(range(len(s))), tuple(s), ("x",) * len(s), "shifted")
            for n, s in zip(items, shares, strict=True)
        ),
        classes=(),
        item_checks=tuple(checks),
    )


def test_solve_loading_hits_alpha():
    shares = [[39, 50, 8, 4], [44, 41, 9, 5], [29, 51, 13, 8], [32, 51, 11, 7], [56, 32, 8, 4]]
    items = [f"i{j}" for j in range(5)]
    scale = ScaleModel("toy", items, [[0, 1, 2, 3]] * 5, shares, [0.5] * 5, 0.8)
    model = SurveyModel("t", {"toy": scale})
    rng = np.random.default_rng(4)
    bg = pd.DataFrame({"gender": rng.integers(1, 3, 8000)})
    pop = Population(
        bg, draw_latent(8000, model, rng), {"toy": Rule("sum_cutoff", cutoff=9)}, Rule("sum_cutoff")
    )
    lam = solve_loading(pop, scale, 0.88)
    assert 0.05 < lam < 0.98
    assert cronbach_alpha(pop.items(scale)) == pytest.approx(0.88, abs=1e-3)
    with pytest.raises(ConfigError, match="cannot be reached"):
        solve_loading(pop, scale, 0.999)


def test_assumed_marginals_hit_text_shares_and_ranges():
    base = [[21, 44, 23, 11], [26, 47, 23, 4], [40, 42, 15, 4]]
    st = _scale_targets(
        ["a", "b", "c"],
        base,
        checks=[ItemCheck(("a",), (2, 3), 49.0, 49.0, "x"), ItemCheck(("b", "c"), (2, 3), 30.0, 40.0, "y")],
    )
    m = assumed_marginals(st, d=-0.5, s=1.0)
    assert sum(m[0][2:]) == pytest.approx(49.0)
    assert 30.0 <= sum(m[1][2:]) <= 40.0 and 30.0 <= sum(m[2][2:]) <= 40.0
    assert all(sum(v) == pytest.approx(100.0) for v in m)


# ----------------------------------------------------------------------------- background

BG_SPEC = {
    "gender": {
        "shares": [{"code": 1, "source": "g1"}, {"code": 2, "source": "g2"}],
        "nonsubstantive": [{"code": 99, "n": 3}],
    },
    "form": {
        "shares": [
            {"code": 1, "value": 13, "assumed": "t"},
            {"code": 2, "value": 85, "assumed": "t"},
            {"code": 3, "value": 2, "assumed": "t"},
        ]
    },
    "security": {
        "asked_if": {"column": "form", "codes": [2]},
        "shares": [
            {"code": 1, "value": 10, "assumed": "t"},
            {"code": 2, "value": 60, "assumed": "t"},
            {"code": 3, "value": 30, "assumed": "t"},
        ],
    },
    "tenure": {
        "shares": [
            {"code": c, "value": v, "assumed": "t"}
            for c, v in zip(range(1, 8), [1, 4, 9, 25, 21, 14, 26], strict=True)
        ]
    },
    "leader_role": {
        "shares": [{"code": 1, "value": 20, "assumed": "t"}, {"code": 2, "value": 80, "assumed": "t"}],
        "conditional": {
            "column": "tenure",
            "given_code": 1,
            "shares": [{"code": 6, "source": "l6"}, {"code": 7, "source": "l7"}],
        },
    },
}


def test_background_exact_margins_nesting_and_leader_tenure(mini):
    pub = _pub([("g1", "54", ""), ("g2", "46", ""), ("l6", "18", ""), ("l7", "32", "")])
    bg = generate_background(1726, BG_SPEC, pub, mini, np.random.default_rng(8))
    assert (bg["gender"] == 99).sum() == 3
    assert (bg["gender"] == 1).sum() == 930 and (bg["gender"] == 2).sum() == 793  # 930.42 / 792.58 of 1723
    assert bg["form"].value_counts().sort_index().tolist() == largest_remainder([13, 85, 2], 1726).tolist()
    prison = bg["form"] == 2
    assert bg.loc[~prison, "security"].isna().all() and bg.loc[prison, "security"].notna().all()
    assert (
        bg.loc[prison, "security"].value_counts().sort_index().tolist()
        == largest_remainder([10, 60, 30], int(prison.sum())).tolist()
    )
    assert (
        bg["tenure"].value_counts().sort_index().tolist()
        == largest_remainder([1, 4, 9, 25, 21, 14, 26], 1726).tolist()
    )
    leaders = bg[bg["leader_role"] == 1]
    assert len(leaders) == 345  # 20 % of 1726
    assert (leaders["tenure"] == 6).sum() == 62 and (
        leaders["tenure"] == 7
    ).sum() == 110  # 18 % / 32 % of 345
    share_long = (bg.loc[bg["tenure"] >= 6, "leader_role"] == 1).mean()
    share_short = (bg.loc[bg["tenure"] <= 3, "leader_role"] == 1).mean()
    assert share_long > share_short  # leaders more common with longer tenure
    again = generate_background(1726, BG_SPEC, pub, mini, np.random.default_rng(8))
    pd.testing.assert_frame_equal(bg, again)


def test_background_rejects_unknown_column_and_code(mini):
    pub = _pub([("g1", "54", ""), ("g2", "46", "")])
    with pytest.raises(ConfigError, match="not a column"):
        generate_background(10, {"nope": BG_SPEC["gender"]}, pub, mini, np.random.default_rng(1))
    bad = {"gender": {"shares": [{"code": 7, "source": "g1"}]}}
    with pytest.raises(ConfigError, match="not defined"):
        generate_background(10, bad, pub, mini, np.random.default_rng(1))


# ----------------------------------------------------------------------------- comments


def test_comments_are_invented_norwegian_text_of_realistic_length(mini):
    rng = np.random.default_rng(0)
    texts = [make_comment(t, rng) for t in BANKS for _ in range(30)]
    assert all(20 <= len(t) <= 400 for t in texts)
    assert any(ch in "".join(texts) for ch in "æøå")
    codes = pd.DataFrame({c.name: np.nan for c in mini.columns}, index=range(50))
    target = np.arange(50) < 45
    spec = {
        "followup_missing_text": {
            "topic": "followup",
            "gate": "followup_missing",
            "n": {"value": 12, "assumed": "t"},
        }
    }
    out, text, rep = generate_comments(codes, mini, spec, _pub([]), target, np.random.default_rng(1))
    assert rep == {"followup_missing_text": 12}
    assert (out["followup_missing"] == 1).sum() == 12 and (out["followup_missing"] == 2).sum() == 38
    assert text["followup_missing_text"].notna().sum() == 12
    assert (text["followup_missing_text"].notna() == (out["followup_missing"] == 1)).all()


# ----------------------------------------------------------------------------- export quirks


def test_count_quirks_on_a_hand_made_export(mini):
    cols = ["respondent_id", "submitted", "status", "email"] + [c.name for c in mini.all_columns]
    rows = [
        [
            "1",
            "2023-02-01T10:00:00",
            "completed",
            "r1@example.invalid",
            "1",
            "1",
            "2",
            "1",
            "3",
            "1",
            "1",
            "Savner mer.",
        ],
        [
            "2",
            "2023-02-01T11:00:00",
            "completed",
            "r2@example.invalid",
            "1",
            "99",
            "1",
            "2",
            "4",
            "2",
            "2",
            None,
        ],  # violation
        [
            "3",
            "2023-02-02T09:00:00",
            "completed",
            "r3@example.invalid",
            "2",
            "2",
            "2",
            "1",
            "5",
            "2",
            "2",
            None,
        ],  # outside
        [
            "4",
            "2023-02-02T12:00:00",
            "partial",
            "r4@example.invalid",
            "1",
            "1",
            None,
            None,
            None,
            None,
            None,
            None,
        ],
        [
            "5",
            "2023-02-03T08:00:00",
            "completed",
            "r5@example.invalid",
            "1",
            "1",
            "2",
            "3",
            "6",
            "1",
            "1",
            "Tidligere.",
        ],
        [
            "5",
            "2023-02-04T08:00:00",
            "completed",
            "r5@example.invalid",
            "1",
            "1",
            "2",
            "3",
            "6",
            "1",
            "2",
            None,
        ],
    ]
    frame = pd.DataFrame(rows, columns=cols)
    q = count_quirks(frame, mini, "direct_contact", 2)
    assert q["rows"] == 6 and q["partial"] == 1 and q["duplicated_submissions"] == 1
    assert q["outside_target_group"] == 1 and q["routing_violations"] == {"security": 1}
    assert q["expected_analysed"] == 3  # ids 1, 2 and the later submission of 5
    assert q["nonsubstantive_answers"] == {"99 Ønsker ikke svare": 1}
    assert q["free_text_answers"] == {"followup_missing_text": 1}
    assert kept_rows(frame, "direct_contact", 2).tolist() == [True, True, False, False, False, True]


# ----------------------------------------------------------------------------- configuration


@pytest.mark.parametrize("survey", ["current", "former"])
def test_simulation_configs_valid_and_every_source_exists(survey, published):
    cfg = load_yaml_validated(SIM[survey], "simulation.schema.yaml")
    ids = set(published.rows.index)

    def walk(node):
        if isinstance(node, dict):
            if "source" in node:
                assert node["source"] in ids, node["source"]
                published.pct(node["source"]) if node.get("field") != "n" else published.n(node["source"])
            if "value" in node and "source" not in node:
                assert str(node.get("assumed", "")).strip(), node
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(cfg)


def test_schema_rejects_unsourced_value_and_unknown_key():
    cfg = yaml.safe_load(SIM["current"].read_text(encoding="utf-8"))
    bad = copy.deepcopy(cfg)
    bad["background"]["gender"]["shares"][0] = {"code": 1, "value": 54}
    with pytest.raises(ConfigError, match="background.gender.shares.0"):
        validate_against(bad, "simulation.schema.yaml", "x")
    bad = copy.deepcopy(cfg)
    bad["quirks"]["typo"] = 1
    with pytest.raises(ConfigError, match="typo"):
        validate_against(bad, "simulation.schema.yaml", "x")


def test_published_alpha_and_prevalence_values_are_those_of_the_report(published):
    """Spot checks that the config resolves to the report's numbers (docs/methods.md §3.5, report ch. 3)."""
    assert published.pct("meth_phq9_alpha") == 0.89 and published.pct("meth_wsas_alpha") == 0.92
    assert (
        published.pct("cur_itq_ptsd_prev_total_inside") == 9
        and published.pct("cur_itq_cptsd_prev_total_inside") == 12
    )
    assert (
        published.pct("fmr_itq_ptsd_prev_total_inside") == 7
        and published.pct("fmr_itq_cptsd_prev_total_inside") == 8
    )
