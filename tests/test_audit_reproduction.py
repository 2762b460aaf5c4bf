"""Regenerated values, margins of error, the within rule and the summary (mhsurvey.audit)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from mhsurvey.audit.crosswalk import Category, Cell, Resolution, Target
from mhsurvey.audit.regenerate import AuditError, Results, Value, evaluate, read_results, report_moe
from mhsurvey.audit.reproduction import compare, reproduction_table, summary_table

REPO = Path(__file__).resolve().parents[1]


def results() -> dict[str, Results]:
    """Hand-made stage outputs: safety_work codes 1/2 (agree = merged) by gender; one reliability row."""
    est = pd.DataFrame(
        [
            ("safety_work", "1", 300, 1000, None),
            ("safety_work", "2", 410, 1000, None),
            ("safety_work", "agree", 710, 1000, None),
            ("trust_category", "high", 240, 1000, None),
        ],
        columns=["variable", "category", "count", "base_n", "moe_report"],
    )
    est["moe_report"] = [report_moe(c / n, n, 2.0) for c, n in zip(est["count"], est["base_n"], strict=True)]
    sub = pd.DataFrame(
        [
            ("safety_work", "agree", "gender", "1", "Mann", 400, 320),
            ("safety_work", "agree", "gender", "2", "Kvinne", 600, 390),
            ("tenure_x", "1", "tenure_group", "1", "A", 100, 10),
            ("tenure_x", "1", "tenure_group", "2", "B", 300, 60),
        ],
        columns=["variable", "category", "breakdown", "level", "level_label_no", "n", "count"],
    )
    margins = pd.DataFrame(
        [(1600, "report", 0.05, 1.0897), (1600, "report", 0.5, 2.5), (1600, "report", 0.2, 2.0)],
        columns=["n", "z_name", "p", "moe_pp"],
    )
    rel = pd.DataFrame(
        [("gad7", 1720, 7, 0.898, 0.891, 0.905)],
        columns=["scale", "n", "k", "alpha", "alpha_ci_low", "alpha_ci_high"],
    )
    cleaning = {"kept": 1726, "excluded_by_rule": {"target_group": 20}}
    return {"current": Results(est, sub, margins, cleaning, rel)}


def cell(var: str, *keys: str, complement: bool = False, breakdown: str = "", levels: tuple = ()) -> Cell:
    return Cell("current", var, Category(tuple(keys), complement), breakdown, levels)


def test_report_moe_formula():
    # Vedlegg 3: n = 1600, p = 0.5 -> 2.5 points; p = 0.2 -> 2.0 points (z = 2)
    assert report_moe(0.5, 1600, 2.0) == pytest.approx(2.5)
    assert report_moe(0.2, 1600, 2.0) == pytest.approx(2.0)


def test_cells_merged_complement_pooled_difference_range():
    res = results()
    one = evaluate(Target("estimate", (cell("safety_work", "1"),)), res, 2.0, "t")
    assert one.value == pytest.approx(30.0) and one.base_n == 1000
    assert one.moe == pytest.approx(
        res["current"].estimates["moe_report"][0]
    )  # = moe_report of estimates.csv
    merged = evaluate(Target("merged", (cell("safety_work", "1", "2"),)), res, 2.0, "t")
    assert merged.value == pytest.approx(71.0)
    assert merged.moe == pytest.approx(100 * 2 * math.sqrt(0.71 * 0.29 / 1000))
    comp = evaluate(Target("complement", (cell("trust_category", "high", complement=True),)), res, 2.0, "t")
    assert comp.value == pytest.approx(76.0) and comp.moe == pytest.approx(
        100 * 2 * math.sqrt(0.24 * 0.76 / 1000)
    )
    pooled = evaluate(
        Target("pooled", (cell("tenure_x", "1", breakdown="tenure_group", levels=("A", "B")),)), res, 2.0, "t"
    )
    assert pooled.value == pytest.approx(70 / 400 * 100) and pooled.base_n == 400
    diff = evaluate(
        Target(
            "difference",
            (
                cell("safety_work", "agree", breakdown="gender", levels=("Mann",)),
                cell("safety_work", "agree", breakdown="gender", levels=("Kvinne",)),
            ),
        ),
        res,
        2.0,
        "t",
    )
    m_moe, k_moe = report_moe(0.8, 400, 2.0), report_moe(0.65, 600, 2.0)
    assert diff.value == pytest.approx(15.0) and diff.moe == pytest.approx(math.hypot(m_moe, k_moe))
    assert diff.allowance == 1.0
    rng = evaluate(Target("range", (cell("safety_work", "1"), cell("safety_work", "2"))), res, 2.0, "t")
    assert rng.value == (pytest.approx(30.0), pytest.approx(41.0))
    assert rng.moe == pytest.approx(report_moe(0.41, 1000, 2.0))


def test_other_tables():
    res = results()
    alpha = evaluate(
        Target("reliability", params={"survey": "current", "scale": "gad7", "field": "alpha"}), res, 2, "t"
    )
    assert alpha.value == 0.898 and alpha.moe == pytest.approx(0.007) and alpha.digits == 2
    k = evaluate(
        Target("reliability", params={"survey": "current", "scale": "gad7", "field": "k"}), res, 2, "t"
    )
    assert k.value == 7 and k.moe == 0
    moe = evaluate(Target("margins", params={"survey": "current", "n": 1600, "p": [0.05, 0.5]}), res, 2, "t")
    assert moe.value == (1.0897, 2.5)
    ci = evaluate(
        Target("margins", params={"survey": "current", "n": 1600, "p": [0.2], "interval_around": 20}),
        res,
        2,
        "t",
    )
    assert ci.value == (18.0, 22.0)
    n = evaluate(
        Target("cleaning", params={"survey": "current", "keys": ["kept", "excluded_by_rule.target_group"]}),
        res,
        2,
        "t",
    )
    assert n.value == 1746
    with pytest.raises(AuditError, match="no_such"):
        evaluate(Target("estimate", (cell("no_such", "1"),)), res, 2.0, "published id t")


def test_within_rule_allows_margin_plus_rounding():
    v = Value(24.0, 2.06, 1717, 0, 0.5)
    assert compare(30.0, v) == (6.0, False)
    assert compare(26.0, v) == (2.0, True)  # |26 - 24| <= 2.06 + 0.5
    assert compare(26.6, Value(24.0, 2.06, 1717, 0, 0.5))[1] is False
    # ranges: both ends must be within; the difference is the end with the larger gap
    assert compare((14.0, 17.0), Value((13.2, 16.0), 1.7, 1726, 0, 0.5)) == (1.0, True)
    assert compare((20.0, 30.0), Value((29.0, 29.0), 2.2, 1726, 0, 0.5)) == (-9.0, False)
    # alpha: 2 decimals, half the Feldt CI, 0.005 allowance
    assert compare(0.83, Value(0.8329, 0.012, 1720, 2, 0.005)) == (0.0, True)


def test_reproduction_table_and_summary():
    res = results()
    published = pd.DataFrame(
        [
            (
                "a",
                "current",
                "2.4",
                "Figur 10",
                "safety",
                "s",
                "total",
                "Total",
                "Helt eller delvis enig",
                "71",
                "",
            ),
            (
                "b",
                "current",
                "2.4",
                "text",
                "safety",
                "s",
                "gender",
                "Mann vs Kvinne",
                "difference (pp)",
                "25",
                "",
            ),
            (
                "c",
                "current",
                "method",
                "text",
                "response_rate",
                "r",
                "total",
                "Total",
                "responsrate",
                "41",
                "1746",
            ),
        ],
        columns=[
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
        ],
    )
    resolutions = [
        Resolution("a", Target("merged", (cell("safety_work", "1", "2"),)), "", "", "join"),
        Resolution(
            "b",
            Target(
                "difference",
                (
                    cell("safety_work", "agree", breakdown="gender", levels=("Mann",)),
                    cell("safety_work", "agree", breakdown="gender", levels=("Kvinne",)),
                ),
            ),
            "",
            "",
            "join",
        ),
        Resolution("c", None, "no_population_frame", "no frame", "rules"),
    ]
    rep = reproduction_table(published, resolutions, res, 2.0, {"b": ["E09"]}, synthetic=True)
    assert list(rep["within"].astype("object")) == [1, 0, pd.NA]
    assert list(rep["regenerated"]) == ["71", "15", ""]
    assert rep.loc[1, "difference"] == 10.0 and rep.loc[1, "inconsistent"] == "E09"
    assert rep.loc[0, "figure"] == "Figur 10" and rep.loc[2, "status"] == "not_reproducible"
    summary = summary_table(rep)
    overall = summary.iloc[0]
    assert (overall["scope"], overall["n_mapped"], overall["n_within"], overall["share_within"]) == (
        "overall",
        2,
        1,
        0.5,
    )
    assert overall["n_not_reproducible"] == 1 and overall["max_abs_difference_id"] == "b"
    assert summary[summary["scope"] == "largest_deviation"]["key"].iloc[0] == "b"
    assert "Figur 10 (2.4)" in set(summary[summary["scope"] == "figure"]["key"])


BUILT = [REPO / f"results/{s}/04_estimates/subgroup_tests.csv" for s in ("current", "former")]


@pytest.mark.skipif(not all(p.exists() for p in BUILT), reason="embedded results not built (run snakemake)")
def test_audit_on_the_built_embedded_results():
    from mhsurvey.audit.run import run_audit

    res = {}
    for s in ("current", "former"):
        b = REPO / "results" / s
        paths = {
            "estimates": b / "04_estimates/estimates.csv",
            "subgroup_tests": b / "04_estimates/subgroup_tests.csv",
            "margins": b / "04_estimates/margins_table.csv",
            "cleaning": b / "01_clean/cleaning_summary.json",
            "sensitivity": b / "02_scores/sensitivity.csv",
        }
        if s == "current":
            paths["reliability"] = b / "03_reliability/reliability.csv"
        res[s] = read_results(paths)
    out = run_audit(
        sorted((REPO / "data/published").glob("*.csv")),
        REPO / "config/crosswalk.yaml",
        REPO / "config/estimates.yaml",
        {s: REPO / f"config/codebook/{s}.yaml" for s in ("current", "former")},
        res,
    )
    overall = out.summary.iloc[0]
    assert overall["n_mapped"] == 1302
    assert overall["share_within"] >= 0.95
    kinds = set(out.errata["kind"])
    assert {
        "category_sum",
        "subgroup_average",
        "printed_rule",
        "figure_number_duplicated",
        "caption_wrong_figure",
        "nesting",
    } <= kinds
    # the study's known inconsistencies are found and flagged in the reproduction table
    flagged = out.reproduction.set_index("id")["inconsistent"]
    assert flagged["cur_trust_total_high"] != "" and flagged["cur_emo_thought_die_male_yes_any"] != ""
    assert flagged["cur_itq_cptsd_prev_total_inside"] != ""
    assert (out.reproduction["synthetic"] == 1).all()
