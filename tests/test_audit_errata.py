"""Errata checks (mhsurvey.audit.errata): each finds a known erratum in a hand-made table and
nothing in the corrected table."""

from __future__ import annotations

import pandas as pd

from mhsurvey.audit.errata import (
    FACT_COLUMNS,
    check_caption_references,
    check_category_sums,
    check_figure_numbers,
    check_nesting,
    check_printed_rules,
    check_subgroup_averages,
    errata_table,
    evidence_map,
    figure_index,
)

F = frozenset


def facts(rows: list[tuple]) -> pd.DataFrame:
    """(id, variable, breakdown, level, codes, complement, pct, category) -> a facts frame."""
    out = [
        (pid, "current", "2.7", "text", "m", var, bd, lv, codes, comp, pct, cat, "item")
        for pid, var, bd, lv, codes, comp, pct, cat in rows
    ]
    return pd.DataFrame(out, columns=FACT_COLUMNS)


def trust(high: float) -> pd.DataFrame:
    return facts(
        [
            ("low", "trust_category", "", "", F({"low"}), False, 30.0, "Lav"),
            ("mid", "trust_category", "", "", F({"medium"}), False, 46.0, "Middels"),
            ("high", "trust_category", "", "", F({"high"}), False, high, "Høy"),
        ]
    )


def test_category_sum_finds_106_and_accepts_rounding():
    found = check_category_sums(trust(30.0))
    assert len(found) == 1
    assert found[0].kind == "category_sum"
    assert set(found[0].evidence_ids) == {"low", "mid", "high"}
    assert "106" in found[0].printed
    assert check_category_sums(trust(24.0)) == []
    # 101 over three categories is rounding (each printed value may be 0.5 too high)
    assert check_category_sums(trust(25.0)) == []


def test_category_sum_does_not_add_overlapping_categories():
    f = facts(
        [
            ("any", "reaction", "", "", F({"1", "2"}), False, 68.0, "Ja, en eller flere ganger"),
            ("several", "reaction", "", "", F({"1"}), False, 52.0, "Ja, flere ganger"),
            ("no", "reaction", "", "", F({"3"}), False, 26.0, "Nei"),
            # a complement and its own case are disjoint (89 + 12 = 101 is rounding) ...
            ("case", "phq", "", "", F({"1"}), False, 12.0, "Depresjon"),
            ("normal", "phq", "", "", F({"1"}), True, 89.0, "Normal"),
        ]
    )
    assert check_category_sums(f) == []
    # ... but 89 + 13 is not
    f.loc[f["id"] == "case", "pct"] = 13.0
    found = check_category_sums(f)
    assert [set(x.evidence_ids) for x in found] == [{"case", "normal"}]


def composition(total_n: int = 1000, levels=(("Mann", 540), ("Kvinne", 456))) -> pd.DataFrame:
    return pd.DataFrame(
        [("current", "die", "gender", lv, n, total_n) for lv, n in levels],
        columns=["survey", "variable", "breakdown", "level", "n", "total_n"],
    )


def die(total: float) -> pd.DataFrame:
    return facts(
        [
            ("tot", "die", "", "", F({"1", "2"}), False, total, "Ja"),
            ("m", "die", "gender", "Mann", F({"1", "2"}), False, 31.0, "Ja"),
            ("k", "die", "gender", "Kvinne", F({"1", "2"}), False, 26.0, "Ja"),
        ]
    )


def test_subgroup_average_finds_a_total_the_levels_cannot_give():
    found = check_subgroup_averages(die(26.0), composition())
    assert len(found) == 1 and found[0].kind == "subgroup_average"
    assert found[0].evidence_ids == ("tot", "m", "k")
    assert "28.7" in found[0].check  # 0.54 * 31 + 0.456 * 26 over 0.996 coverage
    assert check_subgroup_averages(die(29.0), composition()) == []
    # with a large unprinted part of the base the check abstains
    assert check_subgroup_averages(die(26.0), composition(levels=(("Mann", 400), ("Kvinne", 300)))) == []


def test_printed_rule_detects_a_rule_that_does_not_give_the_prevalence():
    published = pd.DataFrame(
        [
            {"id": "cut", "section": "method", "pct": "> 4"},
            {"id": "prev", "section": "3.3", "pct": "56"},
        ]
    )
    rules = [
        {
            "classification": "cfq",
            "printed_rule_id": "cut",
            "literal_variant": "literal",
            "pipeline_variant": "report",
            "published_ids": {"current": "prev"},
            "no": "over 4",
            "en": "above 4",
        }
    ]

    def sens(literal: float) -> dict[str, pd.DataFrame]:
        return {
            "current": pd.DataFrame(
                [
                    ("cfq", "report", None, "case", 1725, 0.563),
                    ("cfq", "literal", None, "case", 1725, literal),
                ],
                columns=["classification", "variant", "fi_option", "level", "n_determined", "prevalence"],
            )
        }

    found = check_printed_rules(published, sens(0.434), rules)
    assert len(found) == 1 and found[0].kind == "printed_rule"
    assert found[0].evidence_ids == ("cut", "prev")
    assert "43.4" in found[0].check and "56.3" in found[0].check
    # within 2 * sqrt(p(1-p)/n) + 0.5 of the printed 56: no erratum
    assert check_printed_rules(published, sens(0.545), rules) == []


def fig_table(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["id", "section", "source", "measure"])


def test_duplicated_figure_numbers():
    pub = fig_table(
        [
            ("t1", "2.7", "Figur 22", "trust_category"),
            ("d1", "3.1", "text+Figur 22", "dass_stress"),
            ("c1", "former", "Figur 59 (printed 'Figur 3.')", "cfq"),
            ("g1", "3.4", "Figur 30", "gad7"),
            ("g2", "3.4", "text+Figur 30", "gad7"),
        ]
    )
    found = check_figure_numbers(
        figure_index(pub, [{"figure": "Figur 3", "section": "2.1", "measure": "incidents_experienced"}])
    )
    assert [f.kind for f in found] == ["figure_number_duplicated"] * 2
    assert [f.evidence_ids for f in found] == [("t1", "d1"), ("c1",)]  # sorted by printed number
    clean = fig_table(
        [
            ("t1", "2.7", "Figur 21", "trust_category"),
            ("d1", "3.1", "Figur 22", "dass_stress"),
            ("c1", "former", "Figur 59", "cfq"),
        ]
    )
    assert (
        check_figure_numbers(
            figure_index(clean, [{"figure": "Figur 3", "section": "2.1", "measure": "incidents_experienced"}])
        )
        == []
    )


def test_caption_pointing_at_the_wrong_figure():
    catalogue = [
        {"figure": "Figur 1", "section": "1", "measure": "risk_model"},
        {"figure": "Figur 3", "section": "2.1", "measure": "incidents_experienced"},
    ]
    index = figure_index(fig_table([("f5", "2.1", "Figur 5", "incident_frequency")]), catalogue)
    ref = {
        "figure": "Figur 5",
        "section": "2.1",
        "refers_to": "Figur 1",
        "expects_measure": "incidents_experienced",
        "caption_no": "(hendelse i Figur 1)",
    }
    found = check_caption_references(index, [ref])
    assert len(found) == 1 and found[0].kind == "caption_wrong_figure"
    assert "Figur 3" in found[0].check and "risk_model" in found[0].check
    assert check_caption_references(index, [dict(ref, refers_to="Figur 3")]) == []


def test_nesting_violation():
    def f(inner: float) -> pd.DataFrame:
        return facts(
            [
                ("c_tot", "cptsd", "", "", F({"1"}), False, inner, "KPTSD"),
                ("p_tot", "ptsd", "", "", F({"1"}), False, 9.0, "PTSD"),
                ("c_m", "cptsd", "gender", "Mann", F({"1"}), False, inner - 1, "KPTSD"),
                ("p_m", "ptsd", "gender", "Mann", F({"1"}), False, 9.0, "PTSD"),
            ]
        )

    nested = [
        {"inner": "cptsd", "outer": "ptsd", "source": "manual", "inner_no": "KPTSD", "outer_no": "PTSD"}
    ]
    found = check_nesting(f(12.0), nested)
    assert len(found) == 1 and found[0].kind == "nesting"
    assert set(found[0].evidence_ids) == {"c_tot", "p_tot", "c_m", "p_m"}
    assert "KPTSD 12 % > PTSD 9 %" in found[0].printed
    assert check_nesting(f(10.0), nested) == []  # 10 vs 9 is rounding


def test_errata_table_numbers_findings_and_maps_evidence():
    found = check_category_sums(trust(30.0)) + check_subgroup_averages(die(26.0), composition())
    table = errata_table(found)
    assert list(table["erratum_id"]) == ["E01", "E02"]
    assert list(table["kind"]) == ["category_sum", "subgroup_average"]
    assert all(table["text_no"].str.len() > 20) and all(table["text_en"].str.len() > 20)
    assert evidence_map(table)["tot"] == ["E02"]
