"""Margins of error and the report's Vedlegg 3 table (mhsurvey.margins; docs/methods.md §1)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from mhsurvey.estimates import load_settings
from mhsurvey.margins import margins_docs, margins_table, moe, moe_range, z_for_confidence
from mhsurvey.rounding import round_half_up

REPO = Path(__file__).resolve().parents[1]
REPORT_P = [0.05, 0.10, 0.20, 0.30, 0.40, 0.50]


def test_z_for_confidence_is_the_normal_quantile():
    # Φ⁻¹(0.975) = 1.959963984540054 (standard tables: 1.95996)
    assert z_for_confidence(0.95) == pytest.approx(1.959963984540054, abs=1e-12)
    assert z_for_confidence(0.90) == pytest.approx(1.6448536269514722, abs=1e-12)
    with pytest.raises(ValueError):
        z_for_confidence(1.0)


def test_moe_hand_values():
    # 1.96 * sqrt(.2 * .8 / 1600) = 1.96 * 0.01 = 0.0196 (the report's check value, docs/methods.md §1)
    assert moe(0.2, 1600, 1.96) == pytest.approx(0.0196, abs=1e-15)
    # 2 * sqrt(.5 * .5 / 100) = 2 * 0.05 = 0.1
    assert moe(0.5, 100, 2.0) == pytest.approx(0.1, abs=1e-15)
    assert np.isnan(moe(0.5, 0, 2.0))
    assert moe(0.0, 50, 2.0) == 0.0


@pytest.mark.parametrize("count,nobs", [(320, 1600), (6, 30), (1, 30), (783, 1206), (17, 323)])
def test_moe_equals_statsmodels_normal_interval_half_width(count, nobs):
    _, hi = proportion_confint(count, nobs, alpha=0.05, method="normal")  # lower bound is clipped at 0
    assert moe(count / nobs, nobs, z_for_confidence(0.95)) == pytest.approx(hi - count / nobs, abs=1e-12)


def test_report_example_20_percent_at_1600_gives_2_0():
    # Vedlegg 3: "20 % ... 1600 respondenter ... +/- 2,0 prosentpoeng ... mellom 18 % og 22 %"
    for z in (2.0, z_for_confidence(0.95)):
        m = 100 * moe(0.20, 1600, z)
        assert round_half_up(m, 1) == 2.0
        assert round_half_up(20 - m) == 18.0 and round_half_up(20 + m) == 22.0


def test_report_ranges_reproduced_with_z_2():
    lo, hi = moe_range(1600, REPORT_P, 2.0)  # "±1,1 - 2,5" (current employees)
    assert (round_half_up(lo, 1), round_half_up(hi, 1)) == (1.1, 2.5)
    lo, hi = moe_range(300, REPORT_P, 2.0)  # "±2,5 - 5,8" (former employees)
    assert (round_half_up(lo, 1), round_half_up(hi, 1)) == (2.5, 5.8)


def test_report_ranges_not_reproduced_by_the_actual_n_or_z_1_96():
    # docs/methods.md §1: the exact n gives 1.0-2.4 (n=1726) and 2.4-5.5 (n=323); n=300 with z=1.96 tops at 5.7
    z95 = z_for_confidence(0.95)
    lo, hi = moe_range(1726, REPORT_P, z95)
    assert (round_half_up(lo, 1), round_half_up(hi, 1)) == (1.0, 2.4)
    lo, hi = moe_range(323, REPORT_P, z95)
    assert (round_half_up(lo, 1), round_half_up(hi, 1)) == (2.4, 5.5)
    assert round_half_up(moe_range(300, REPORT_P, z95)[1], 1) == 5.7
    # rounding pitfall: 1.95996 at n=1600, p=.5 gives 2.44995..., which rounds to 2.4, not 2.5
    assert round_half_up(100 * moe(0.5, 1600, z95), 1) == 2.4


def test_methods_table_rows():
    # docs/methods.md §1 table (two decimals): n=1600 z=1.96 and n=300 z=2.00
    expected = {
        (1600, 1.96): [1.07, 1.47, 1.96, 2.25, 2.40, 2.45],
        (1600, 2.00): [1.09, 1.50, 2.00, 2.29, 2.45, 2.50],
        (300, 1.96): [2.47, 3.39, 4.53, 5.19, 5.54, 5.66],
        (300, 2.00): [2.52, 3.46, 4.62, 5.29, 5.66, 5.77],
        (323, 1.96): [2.38, 3.27, 4.36, 5.00, 5.34, 5.45],
    }
    for (n, z), row in expected.items():
        got = [100 * moe(p, n, z) for p in REPORT_P]
        assert got == pytest.approx(row, abs=0.005 + 1e-9)


def test_margins_table_layout_and_marks():
    t = margins_table(
        [300, 1600],
        [0.2, 0.5],
        {"report": 2.0, "confidence_0.95": 1.959963984540054},
        survey="current",
        report_row_n=1600,
        survey_n=1726,
    )
    assert len(t) == 3 * 2 * 2
    assert set(t["row_kind"]) == {"table", "report_row", "survey_n"}
    assert set(t.loc[t["row_kind"] == "report_row", "n"]) == {1600}
    assert set(t.loc[t["row_kind"] == "survey_n", "n"]) == {1726}
    row = t[(t["n"] == 1600) & (t["p"] == 0.2) & (t["z_name"] == "report")].iloc[0]
    assert row["z"] == 2.0 and row["moe_pp"] == pytest.approx(2.0, abs=1e-12) and row["moe_pp_display"] == 2.0
    for _, r in t.iterrows():
        assert r["moe_pp_display"] == round_half_up(r["moe_pp"], 1)
    assert [d.column for d in margins_docs()] == list(t.columns)


def test_configured_table_reproduces_the_report():
    s = load_settings(REPO / "config" / "estimates.yaml")
    assert s.report_z == 2.0
    for survey, (lo_exp, hi_exp) in {"current": (1.1, 2.5), "former": (2.5, 5.8)}.items():
        t = margins_table(
            s.margins.n,
            s.margins.p,
            {"report": s.report_z},
            survey=survey,
            report_row_n=s.margins.report_row_n[survey],
            decimals=s.margins.decimals,
        )
        row = t[t["row_kind"] == "report_row"]
        assert (row["moe_pp_display"].min(), row["moe_pp_display"].max()) == (lo_exp, hi_exp)
    t = margins_table(s.margins.n, s.margins.p, {"report": s.report_z})
    assert t.loc[(t["n"] == 1600) & (t["p"] == 0.2), "moe_pp_display"].item() == 2.0
