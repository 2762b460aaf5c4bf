"""Report text helpers: the number filter, words for shares, subgroup sentences (known answers)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mhsurvey.report.narrative import NarrativeSettings, subgroup_paragraph
from mhsurvey.report.numbers import THIN, format_number, format_percent, format_points
from mhsurvey.report.phrasing import share_phrase, vocabulary_from_config
from mhsurvey.report.render import load_report_config

REPO = Path(__file__).resolve().parents[1]
CFG = load_report_config(REPO / "config" / "report.yaml")
VOCAB = vocabulary_from_config(CFG["phrasing"])


@pytest.mark.parametrize(
    "x, digits, lang, expected",
    [
        (1726, 0, "no", f"1{THIN}726"),
        (1234567, 0, "no", f"1{THIN}234{THIN}567"),
        (999, 0, "no", "999"),
        (0.835, 2, "no", "0,84"),  # half up on the printed decimal (binary 0.8349999...)
        (2.45, 1, "no", "2,5"),
        (-7.5, 0, "no", "\u22128"),
        (1726, 0, "en", "1,726"),
        (0.835, 2, "en", "0.84"),
        (None, 0, "no", "–"),
        (float("nan"), 1, "no", "–"),
    ],
)
def test_format_number(x, digits, lang, expected):
    assert format_number(x, digits, lang) == expected


def test_format_percent_and_points():
    assert format_percent(65.5) == f"66{THIN}%"
    assert format_percent(64.49) == f"64{THIN}%"
    assert format_percent(12.25, 1) == f"12,3{THIN}%"
    assert format_percent(65.5, lang="en") == "66%"
    assert format_points(-26.4) == "26 prosentpoeng"
    with pytest.raises(ValueError, match="unknown language"):
        format_number(1, lang="de")


@pytest.mark.parametrize(
    "pct, expected",
    [
        (50.0, "halvparten"),
        (51.0, "halvparten"),  # |p - 50| <= exact (1.0)
        (51.01, "litt over halvparten"),
        (54.0, "litt over halvparten"),  # <= near (4.0)
        (54.01, "omtrent halvparten"),  # beyond near, 50 still the nearest anchor
        (46.0, "nesten halvparten"),
        (45.0, "omtrent halvparten"),  # tie 40/50: the named fraction wins
        (66.0, "to tredjedeler"),
        (64.0, "nesten to tredjedeler"),
        (33.3, "en tredjedel"),
        (25.0, "en fjerdedel"),
        (23.9, "nesten en fjerdedel"),
        (70.0, "7 av 10"),
        (80.0, "8 av 10"),
        (82.0, "litt over 8 av 10"),
        (39.0, "4 av 10"),
        (75.4, "tre fjerdedeler"),
        (20.0, "en femtedel"),
        (4.99, "svært få"),
        (5.0, "omtrent 1 av 10"),
        (95.0, "omtrent 9 av 10"),
        (95.01, "nesten alle"),
    ],
)
def test_share_phrase_boundaries(pct, expected):
    assert share_phrase(pct, VOCAB, "no") == expected


def test_share_phrase_english():
    assert share_phrase(66.0, VOCAB, "en") == "two thirds"
    assert share_phrase(52.0, VOCAB, "en") == "just over half"
    assert share_phrase(80.0, VOCAB, "en") == "8 in 10"


def _settings(adjust: str = "holm") -> NarrativeSettings:
    return NarrativeSettings(strings=CFG["strings"], adjust=adjust, alpha=0.05, min_n=30, lang="no")


def _rows(levels: list[dict]) -> pd.DataFrame:
    base = {"small_n": 0, "suppressed": 0, "tested": 1, "significant": 0}
    return pd.DataFrame([base | lv for lv in levels])


def test_one_significant_one_not():
    rows = _rows(
        [
            {
                "level": "1",
                "level_label_no": "Region nord",
                "n": 200,
                "pct": 30.0,
                "rest_pct": 20.2,
                "significant": 1,
            },
            {
                "level": "2",
                "level_label_no": "Region sør",
                "n": 300,
                "pct": 22.0,
                "rest_pct": 21.0,
                "significant": 0,
            },
            {
                "level": "3",
                "level_label_no": "Region øst",
                "n": 600,
                "pct": 19.0,
                "rest_pct": 23.0,
                "significant": 0,
            },
        ]
    )
    assert subgroup_paragraph(rows, _settings()) == [
        f"Andelen er signifikant høyere i gruppen «Region nord» (30{THIN}%) enn blant de øvrige "
        f"(20{THIN}%), en forskjell på 10 prosentpoeng."
    ]


def test_lower_and_small_group_and_none():
    rows = _rows(
        [
            {
                "level": "1",
                "level_label_no": "Inntil 4 år",
                "n": 241,
                "pct": 14.5,
                "rest_pct": 28.4,
                "significant": 1,
            },
            {
                "level": "2",
                "level_label_no": "5-10 år",
                "n": 432,
                "pct": 30.0,
                "rest_pct": 22.0,
                "significant": 0,
            },
            {
                "level": "3",
                "level_label_no": "Liten gruppe",
                "n": 12,
                "pct": 80.0,
                "rest_pct": 20.0,
                "small_n": 1,
                "tested": 0,
                "significant": 0,
            },
        ]
    )
    out = subgroup_paragraph(rows, _settings())
    assert out[0] == (
        f"Andelen er signifikant lavere i gruppen «Inntil 4 år» (15{THIN}%) enn blant de øvrige "
        f"(28{THIN}%), en forskjell på 14 prosentpoeng."
    )
    assert out[1] == "Grupper med færre enn 30 svar er ikke testet: Liten gruppe (n\u00a0=\u00a012)."
    assert len(out) == 2  # the small group's 80 % is never described as a difference

    none = _rows(
        [
            {"level": "1", "level_label_no": "Mann", "n": 900, "pct": 18.0, "rest_pct": 19.3},
            {"level": "2", "level_label_no": "Kvinne", "n": 790, "pct": 19.3, "rest_pct": 18.0},
        ]
    )
    assert subgroup_paragraph(none, _settings("fdr_bh")) == [
        "Ingen av forskjellene mellom gruppene er statistisk signifikante "
        f"(Benjamini–Hochberg-korrigert for multiple tester, signifikansnivå 5{THIN}%)."
    ]


def test_two_levels_are_one_comparison():
    rows = _rows(
        [
            {
                "level": "1",
                "level_label_no": "Mann",
                "n": 929,
                "pct": 82.0,
                "rest_pct": 56.4,
                "significant": 1,
            },
            {
                "level": "2",
                "level_label_no": "Kvinne",
                "n": 792,
                "pct": 56.3,
                "rest_pct": 81.9,
                "significant": 1,
            },
        ]
    )
    assert subgroup_paragraph(rows, _settings()) == [
        f"Andelen er signifikant høyere i gruppen «Mann» (82{THIN}%) enn i gruppen «Kvinne» (56{THIN}%), "
        "en forskjell på 26 prosentpoeng."
    ]


def test_flagged_significant_small_group_is_not_described():
    rows = _rows(
        [
            {
                "level": "1",
                "level_label_no": "KRUS",
                "n": 10,
                "pct": 90.0,
                "rest_pct": 20.0,
                "small_n": 1,
                "significant": 1,
            },
            {"level": "2", "level_label_no": "Øst", "n": 600, "pct": 21.0, "rest_pct": 20.0},
            {"level": "3", "level_label_no": "Sør", "n": 300, "pct": 19.0, "rest_pct": 21.0},
        ]
    )
    out = subgroup_paragraph(rows, _settings())
    assert out[0].startswith("Ingen av forskjellene")
    assert "KRUS (n\u00a0=\u00a010)" in out[1]


def test_small_and_suppressed_estimates_are_marked():
    from mhsurvey.report.numbers import estimate_text

    assert estimate_text(65.9, 1206, False, 30) == (f"66{THIN}%", "")
    assert estimate_text(33.3, 12, False, 30) == (f"33{THIN}% (n\u00a0=\u00a012)", "caution")
    assert estimate_text(33.3, 29, False, 30)[1] == "caution"
    assert estimate_text(33.3, 30, False, 30)[1] == ""
    assert estimate_text(None, 1206, True, 30) == ("–", "suppressed")
    assert estimate_text(40.0, 1206, True, 30) == ("–", "suppressed")


def test_records_equal_to_dict_records():
    """mhsurvey.report.results.records: the same native values as DataFrame.to_dict("records")."""
    from mhsurvey.report.results import records

    df = pd.DataFrame(
        {
            "i": [1, 2, 3],
            "f": [0.5, float("nan"), 2.0],
            "s": pd.array(["a", None, "c"], dtype="string"),
            "o": ["x", None, 3],
            "I": pd.array([1, None, 3], dtype="Int64"),
            "b": [True, False, True],
        }
    )
    got, want = records(df), df.to_dict("records")
    assert len(got) == len(want) == 3
    for g, w in zip(got, want, strict=True):
        assert list(g) == list(w)
        for k in w:
            assert type(g[k]) is type(w[k]) and (g[k] == w[k] or (pd.isna(g[k]) and pd.isna(w[k])))
    assert records(df.iloc[:0]) == [] and records(pd.DataFrame(index=range(2))) == [{}, {}]


def test_significant_rows_order_equals_the_pandas_sort():
    """Largest |pct - rest_pct| first, ties by level, then table order; only significant, tested,
    not small, not suppressed rows (reference: the pandas filter and stable sort it replaced)."""
    import random

    from mhsurvey.report.narrative import significant_rows

    rng = random.Random(3)
    for _ in range(30):
        rows = pd.DataFrame(
            [
                {
                    "level": rng.choice(["1", "2", "3", "10"]),
                    "pct": float(rng.choice([10, 20, 30])),
                    "rest_pct": float(rng.choice([10, 15, 20])),
                    "significant": rng.choice([1, 0, float("nan")]),
                    "tested": rng.choice([1, 1, 0]),
                    "small_n": rng.choice([0, 0, 1, float("nan")]),
                    "suppressed": rng.choice([0, 0, 1]),
                    "row": i,
                }
                for i in range(rng.randint(0, 12))
            ],
            columns=["level", "pct", "rest_pct", "significant", "tested", "small_n", "suppressed", "row"],
        )
        rows["level"] = rows["level"].astype("string")
        flag = lambda c, rows=rows: rows[c].fillna(0).astype(bool)  # noqa: E731
        ok = rows[flag("significant") & flag("tested") & ~flag("small_n") & ~flag("suppressed")].copy()
        ok["_gap"] = (ok["pct"] - ok["rest_pct"]).abs()
        want = ok.sort_values(["_gap", "level"], ascending=[False, True], kind="stable")["row"].tolist()
        assert [r["row"] for r in significant_rows(rows)] == want
