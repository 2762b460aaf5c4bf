"""Wave-to-wave comparison (mhsurvey.waves) on a hand-made two-wave fixture with known changes,
survey keys of further waves (mhsurvey.surveys), and the second synthetic wave (mhsim.waves)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from mhsurvey.errors import PipelineError
from mhsurvey.estimate_settings import load_settings
from mhsurvey.surveys import comparisons, survey_blocks, survey_kind, wave_survey_key, waves
from mhsurvey.waves import (
    adjust_by_family,
    compare_waves,
    comparison_docs,
    newcombe_interval,
    two_proportion_z,
    withheld_change,
)

REPO = Path(__file__).resolve().parents[1]
SETTINGS = load_settings(REPO / "config" / "estimates.yaml")  # alpha 0.05, holm, min_n 30, min_expected 5


def estimates(rows: list[tuple[str, str, int, int | None]]) -> pd.DataFrame:
    """A tiny estimates.csv: (variable, category, base_n, count); count None = suppressed."""
    out = []
    for variable, category, n, x in rows:
        out.append(
            {
                "survey": "current",
                "source": "responses",
                "variable": variable,
                "question_id": variable,
                "item_id": "",
                "qtype": "single",
                "label_no": f"{variable} no",
                "label_en": f"{variable} en",
                "category": category,
                "category_label_no": f"kat {category}",
                "category_label_en": f"cat {category}",
                "category_kind": "code",
                "nonsubstantive": 0,
                "base_n": n,
                "count": np.nan if x is None else x,
                "pct": np.nan if x is None else 100 * x / n,
                "estimable": 1,
            }
        )
    return pd.DataFrame(out)


# Known changes: a rises 25 % -> 40 % (n 200 -> 250); b is tiny in wave 1 (n 20 < min_n);
# c is rare (1 % and 2 %: expected count 1.5 < 5); d is suppressed in wave 2; f does not change
# (30 % -> 30 %); e exists in wave 2 only and is not compared.
EARLIER = estimates(
    [
        ("a", "1", 200, 50),
        ("a", "2", 200, 150),
        ("b", "1", 20, 10),
        ("c", "1", 100, 1),
        ("d", "1", 300, 100),
        ("f", "1", 200, 60),
    ]
)
LATER = estimates(
    [
        ("a", "1", 250, 100),
        ("a", "2", 250, 150),
        ("b", "1", 80, 40),
        ("c", "1", 100, 2),
        ("d", "1", 300, None),
        ("e", "1", 100, 50),
        ("f", "1", 250, 75),
    ]
)


def compare(settings=SETTINGS) -> pd.DataFrame:
    table = compare_waves(
        EARLIER, LATER, settings, survey="current", waves=("2023", "2025"), years=(2023, 2025)
    )
    return table.set_index(["variable", "category"])


def test_known_changes_by_hand():
    t = compare()
    assert list(t.index) == [("a", "1"), ("a", "2"), ("b", "1"), ("c", "1"), ("d", "1"), ("f", "1")]
    a1 = t.loc[("a", "1")]
    assert (a1.n_from, a1.count_from, a1.n_to, a1.count_to) == (200, 50, 250, 100)
    assert a1.pct_from == pytest.approx(25.0) and a1.pct_to == pytest.approx(40.0)
    assert a1.change_pp == pytest.approx(15.0)
    # pooled p = 150/450 = 1/3; se = sqrt(1/3 * 2/3 * (1/200 + 1/250)) = sqrt(0.002)
    assert a1.z == pytest.approx(0.15 / math.sqrt(0.002), rel=1e-12)
    assert a1.z == pytest.approx(3.3541019662, rel=1e-9)
    assert a1.p_value == pytest.approx(7.962301576e-4, rel=1e-8)
    a2 = t.loc[("a", "2")]
    assert a2.change_pp == pytest.approx(-15.0) and a2.z == pytest.approx(-a1.z)
    # Holm over the family {a:1, a:2} of two equal p: both 2p
    assert a1.family == "responses:a" and a1.family_size == 2
    assert a1.p_adjusted == pytest.approx(2 * 7.962301576e-4, rel=1e-8) == a2.p_adjusted
    assert a1.significant == 1 and a2.significant == 1
    f1 = t.loc[("f", "1")]
    assert (
        f1.change_pp == pytest.approx(0.0) and f1.z == pytest.approx(0.0) and f1.p_value == pytest.approx(1.0)
    )
    assert f1.significant == 0 and f1.tested == 1 and f1.p_adjusted == pytest.approx(1.0)


def test_withheld_as_stage_04():
    t = compare()
    assert t.loc[("b", "1"), "withheld"] == "wave_n"  # n 20 < min_n 30 in the earlier wave
    assert t.loc[("c", "1"), "withheld"] == "expected_count"  # min(100, 100) * 0.015 = 1.5 < 5
    assert t.loc[("d", "1"), "withheld"] == "suppressed"
    for key in (("b", "1"), ("c", "1"), ("d", "1")):
        row = t.loc[key]
        assert row.tested == 0 and row.significant == 0 and row.family_size == 0
        assert np.isnan(row.z) and np.isnan(row.p_value) and np.isnan(row.p_adjusted)
    assert t.loc[("b", "1"), "change_pp"] == pytest.approx(0.0)  # 50 % -> 50 %, shown though untested
    assert pd.isna(t.loc[("d", "1"), "count_to"]) and np.isnan(t.loc[("d", "1"), "diff_low"])
    assert t["withheld"].fillna("").eq("").sum() == 3
    # min_n 10 tests b; min_expected 1 tests c
    relaxed = compare(dataclasses.replace(SETTINGS, min_n=10, min_expected=1.0))
    assert relaxed.loc[("b", "1"), "tested"] == 1 and relaxed.loc[("c", "1"), "tested"] == 1
    assert relaxed.loc[("c", "1"), "withheld"] == ""


def test_against_statsmodels():
    t = compare()
    for key in (("a", "1"), ("a", "2"), ("f", "1")):
        r = t.loc[key]
        z, p = proportions_ztest([r.count_to, r.count_from], [r.n_to, r.n_from])
        assert r.z == pytest.approx(z, rel=1e-12) and r.p_value == pytest.approx(p, rel=1e-10)
        lo, hi = confint_proportions_2indep(r.count_to, r.n_to, r.count_from, r.n_from, method="newcomb")
        assert r.diff_low == pytest.approx(100 * lo, rel=1e-10) and r.diff_high == pytest.approx(
            100 * hi, rel=1e-10
        )
    # a rise from 25 % to 40 % has an interval above 0
    assert 0 < t.loc[("a", "1"), "diff_low"] < 15 < t.loc[("a", "1"), "diff_high"]


@pytest.mark.parametrize("method", ["holm", "fdr_bh", "none"])
def test_adjustment_follows_stage_04_setting(method):
    p = np.array([0.01, 0.04, np.nan, 0.03, 0.5, 0.02])
    fam = ["x", "x", "x", "x", "y", "y"]
    adj, sizes = adjust_by_family(p, fam, method)
    assert list(sizes) == [3, 3, 3, 3, 2, 2]
    for f in ("x", "y"):
        idx = [i for i, g in enumerate(fam) if g == f and not np.isnan(p[i])]
        want = p[idx] if method == "none" else multipletests(p[idx], method=method)[1]
        np.testing.assert_allclose(adj[idx], want, rtol=1e-12)
    assert np.isnan(adj[2])
    # the table uses the configured rule: fdr_bh and none give other p_adjusted than holm
    t = compare(dataclasses.replace(SETTINGS, adjust=method))
    a1 = t.loc[("a", "1")]
    want = {"holm": 2 * a1.p_value, "fdr_bh": a1.p_value, "none": a1.p_value}[method]
    assert a1.p_adjusted == pytest.approx(want, rel=1e-10)


def test_array_functions_by_hand():
    z, p = two_proportion_z(np.array([50, 0]), np.array([200, 10]), np.array([100, 0]), np.array([250, 10]))
    assert z[0] == pytest.approx(3.3541019662, rel=1e-9) and np.isnan(z[1]) and np.isnan(p[1])
    w = withheld_change(
        np.array([5, 50, np.nan, 0, 10]),
        np.array([100, 0, 100, 100, 100]),
        np.array([5, 50, 3, 0, 10]),
        np.array([100, 100, 100, 100, 20]),
        30,
        5,
    )
    assert list(w) == ["", "n_zero", "suppressed", "expected_count", "wave_n"]
    assert (
        withheld_change(np.array([0]), np.array([100]), np.array([0]), np.array([100]), 30, 0)[0]
        == "no_variance"
    )
    lo, hi = newcombe_interval(np.array([50]), np.array([200]), np.array([100]), np.array([250]), 0.95)
    assert lo[0] < 0.15 < hi[0]


def test_bad_input_names_the_file_and_outcome():
    dup = pd.concat([EARLIER, EARLIER.iloc[[0]]], ignore_index=True)
    with pytest.raises(PipelineError, match=r"wave1\.csv.*'a'.*'1'"):
        compare_waves(
            dup, LATER, SETTINGS, survey="current", waves=("1", "2"), years=(1, 2), names=("wave1.csv", "w2")
        )
    with pytest.raises(PipelineError, match="lacks column"):
        compare_waves(
            EARLIER.drop(columns="count"), LATER, SETTINGS, survey="c", waves=("1", "2"), years=(1, 2)
        )


def test_every_column_documented():
    t = compare_waves(EARLIER, LATER, SETTINGS, survey="current", waves=("2023", "2025"), years=(2023, 2025))
    assert [d.column for d in comparison_docs(SETTINGS)] == list(t.columns)


# --------------------------------------------------------------------------- survey keys


CONFIG = {
    "project": {"wave": 2023},
    "surveys": {"current": {"export": "a.csv"}, "former": {"export": "b.csv"}},
    "waves": {
        "2027": {"year": 2027, "surveys": {"current": {"export": "d.csv"}}},
        "2025": {
            "year": 2025,
            "label": {"no": "Ny", "en": "New"},
            "surveys": {"current": {"export": "c.csv"}},
        },
    },
}


def test_survey_keys_and_kinds():
    assert survey_kind("waves/2025/current") == "current" and survey_kind("former") == "former"
    assert wave_survey_key("2025", "current") == "waves/2025/current"
    blocks = survey_blocks(CONFIG)
    assert sorted(blocks) == ["current", "former", "waves/2025/current", "waves/2027/current"]
    assert blocks["waves/2025/current"]["export"] == "c.csv"
    ws = waves(CONFIG)
    assert [w.id for w in ws] == ["2023", "2025", "2027"] and ws[0].primary and not ws[1].primary
    assert ws[1].label_no == "Ny" and ws[2].label_en == "2027"
    pairs = [(a.id, b.id, k) for a, b, k in comparisons(CONFIG)]
    assert pairs == [("2023", "2025", "current"), ("2025", "2027", "current")]
    assert comparisons({"project": {"wave": 2023}, "surveys": {"current": {}}}) == []


def test_default_config_has_a_second_wave():
    import yaml

    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    assert "waves/2025/current" in survey_blocks(cfg)
    export = Path(REPO / survey_blocks(cfg)["waves/2025/current"]["export"])
    assert export.exists() and (export.parent / "synthetic.json").exists()


# --------------------------------------------------------------------------- the synthetic second wave


def test_generated_wave_applies_the_configured_changes():
    """The committed changes table: every configured change moved round(pp/100 * base) respondents."""
    from mhsim.waves import load_wave_config

    cfg = load_wave_config(REPO / "config" / "simulation" / "waves" / "2025" / "current.yaml")
    table = pd.read_csv(REPO / "data" / "synthetic" / "waves" / "2025" / "current_changes.csv")
    assert list(table["change_id"]) == [c["id"] for c in cfg["changes"]]
    for row, change in zip(table.itertuples(), cfg["changes"], strict=True):
        assert row.moved == round(abs(change["change_pp"]) / 100 * row.base_n)
        assert row.achieved_pp == pytest.approx(change["change_pp"], abs=100 / row.base_n)


# --------------------------------------------------------------------------- the report appendix


def test_appendix_only_when_waves_are_configured():
    from mhsurvey.report.render import load_report_config, present_sections

    cfg = load_report_config(REPO / "config" / "report.yaml")
    ids = lambda outline: [s["id"] for ch in outline for s in [ch, *ch["sections"]]]  # noqa: E731
    assert "vedlegg-6" in ids(present_sections(cfg["outline"], {"waves"}))
    without = ids(present_sections(cfg["outline"], set()))
    assert "vedlegg-6" not in without and "vedlegg-5" in without


class _Edition:
    """What WaveReport needs of an edition: strings, language, configs."""

    def __init__(self, lang: str) -> None:
        from mhsurvey.report.render import load_report_config

        self.cfg = load_report_config(REPO / "config" / "report.yaml")
        self.lang = lang
        self.estimates_cfg = {"significance": {"adjust": "holm", "alpha": 0.05}}

    def s(self, key: str, **kw) -> str:
        return self.cfg["strings"][key][self.lang].format(**kw)


@pytest.mark.parametrize("lang", ["no", "en"])
def test_appendix_narrative_from_the_numbers(lang):
    from mhsurvey.report.waves import WaveComparison, WaveReport

    cfg = {**CONFIG, "waves": {"2025": CONFIG["waves"]["2025"]}}
    a, b = waves(cfg)
    table = compare_waves(
        EARLIER, LATER, SETTINGS, survey="current", waves=("2023", "2025"), years=(2023, 2025)
    )
    view = WaveReport(_Edition(lang), [WaveComparison(a, b, "current", table, 500, 600, True, Path("x"))])
    c = view.items[0]
    assert view.counts(c) == {"tested": 3, "significant": 2, "up": 1, "down": 1}
    counts, largest = view.narrative(c)
    if lang == "no":
        assert (
            counts.startswith("Fra 2023 til 2025 er 2 av 3 testede") and "1 økninger og 1 nedganger" in counts
        )
        assert "a no" in largest and "fra 25\u202f% til 40\u202f%, 15,0 prosentpoeng" in largest
    else:
        assert (
            counts.startswith("From 2023 to 2025, 2 of 3 tested") and "1 increases and 1 decreases" in counts
        )
        assert "a en" in largest and "from 25% to 40%, 15.0 percentage points" in largest
    rows = view.rows(c)
    assert [r["change"] for r in rows[:2]] in (["+15,0", "\u221215,0"], ["+15.0", "\u221215.0"])
    assert all(r["significant"] for r in rows[:2])
    assert view.wave_label(a) == view.e.s("w_primary_label") and view.wave_label(b) in ("Ny", "New")


def test_committed_wave_export_equals_a_fresh_generation(tmp_path):
    """Same seed + same wave-1 model: the 2025 export, its changes table and marker hash are current."""
    import json

    from mhsim.run import load_inputs
    from mhsim.waves import load_wave_config, write_wave
    from mhsurvey.readers import file_sha256

    sim = REPO / "config" / "simulation"
    inp = load_inputs(
        sim / "current.yaml",
        REPO / "config" / "codebook" / "current.yaml",
        REPO / "config" / "scoring.yaml",
        [REPO / "data" / "published" / f for f in ("ch2_current.csv", "ch3_former_appendix.csv")],
        model=REPO / "data" / "synthetic" / "current_model.json",
        items_spec=sim / "current_items.yaml",
    )
    out = tmp_path / "current_export.csv"
    _, changes = write_wave(inp, load_wave_config(sim / "waves" / "2025" / "current.yaml"), out)
    wave_dir = REPO / "data" / "synthetic" / "waves" / "2025"
    assert out.read_bytes() == (wave_dir / "current_export.csv").read_bytes()
    committed = pd.read_csv(wave_dir / "current_changes.csv")
    pd.testing.assert_frame_equal(committed, changes, check_exact=False, rtol=1e-12)
    marker = json.loads((wave_dir / "synthetic.json").read_text(encoding="utf-8"))
    assert marker["synthetic"] is True and marker["surveys"]["current"]["sha256"] == file_sha256(out)
