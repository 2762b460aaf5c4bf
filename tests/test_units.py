"""Unit (region) editions: unit resolution, the unit's cleaned data, the unit vs the rest of the
service, suppressed cells in tables and figures, the rules (dry run), and one unit end to end."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mhsurvey.codebook import load_codebook
from mhsurvey.config import load_yaml_validated, survey_kind
from mhsurvey.errors import ConfigError, InputDataError
from mhsurvey.figures.kinds import _hidden, _value_label
from mhsurvey.figures.style import pct_text
from mhsurvey.report.render import Edition, Numbering, load_report_config, outline_for
from mhsurvey.report.units import UnitContext, result_counts, unit_rows
from mhsurvey.units import Unit, edition_units, resolve_units, subset_clean, unit_slug, units_index

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CODEBOOKS = {k: load_codebook(REPO / "config" / "codebook" / f"{k}.yaml") for k in ("current", "former")}
NORD = Unit("nord", "region", 3, "Kriminalomsorgen region nord", "Region North")


# ---- survey keys and units -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "key, kind", [("current", "current"), ("units/nord/current", "current"), ("units/sor/former", "former")]
)
def test_survey_kind_is_the_last_path_component(key, kind):
    assert survey_kind(key) == kind


def test_units_are_the_codebook_levels_with_configured_ids():
    units = resolve_units({"column": "region", "codes": "all", "ids": {3: "nord"}}, CODEBOOKS)
    assert [u.code for u in units] == [1, 2, 3, 4, 5, 6, 7]
    by_code = {u.code: u for u in units}
    assert by_code[3] == NORD
    assert by_code[4].id == "region-west"  # slug of the English label when no id is configured
    assert unit_slug("Region South-West") == "region-south-west"
    assert unit_slug("Kriminalomsorgen region sørvest") == "kriminalomsorgen-region-sorvest"


def test_units_config_errors_name_the_problem():
    with pytest.raises(ConfigError, match="code 9"):
        resolve_units({"column": "region", "codes": [3, 9]}, CODEBOOKS)
    with pytest.raises(ConfigError, match="no column"):
        resolve_units({"column": "no_such_column"}, CODEBOOKS)
    with pytest.raises(ConfigError, match="not unique"):
        resolve_units({"column": "region", "codes": [3, 4], "ids": {3: "x", 4: "x"}}, CODEBOOKS)
    assert resolve_units(None, CODEBOOKS) == []


def _clean_fixture():
    responses = pd.DataFrame(
        {"rid": ["p_a", "p_b", "p_c", "p_d", "p_e"], "region": pd.array([3, 4, 3, None, 3], dtype="Int64")}
    )
    flags = pd.DataFrame(
        {"raw_row": ["1", "2", "5"], "rid": ["p_a", "p_b", "p_e"], "issue": ["answered_not_asked"] * 3}
    )
    exclusions = pd.DataFrame({"raw_row": ["9"], "rid": ["p_x"], "rule": ["incomplete"], "reason": ["r"]})
    summary = {
        "survey": "current",
        "raw_rows": 6,
        "kept": 5,
        "excluded": 1,
        "excluded_by_rule": {"incomplete": 1},
        "data": {"synthetic": True, "label_no": "Syntetiske data"},
    }
    return responses, flags, exclusions, summary


def test_subset_keeps_the_units_respondents_and_marks_the_service():
    responses, flags, exclusions, summary = _clean_fixture()
    out, fl, ex, s = subset_clean(responses, flags, exclusions, summary, NORD, key="units/nord/current")
    assert list(out["rid"]) == ["p_a", "p_c", "p_e"]  # region 3 only, missing region not in the unit
    assert list(fl["rid"]) == ["p_a", "p_e"]
    assert ex.empty and list(ex.columns) == list(exclusions.columns)  # exclusions: service level
    assert s["kept"] == s["raw_rows"] == s["unit"]["n"] == 3
    assert s["unit"]["service_n"] == 5 and s["unit"]["exclusions"] == "service_level"
    assert s["unit"]["service"] == {
        "raw_rows": 6,
        "kept": 5,
        "excluded": 1,
        "excluded_by_rule": {"incomplete": 1},
    }
    assert s["data"]["synthetic"] is True and s["survey"] == "units/nord/current"
    assert s["flags_by_issue"] == {"answered_not_asked": 2}


def test_subset_of_an_empty_unit_stops_with_its_name():
    responses, flags, exclusions, summary = _clean_fixture()
    krus = Unit("krus", "region", 1, "Jobber i KRUS", "Works at KRUS")
    with pytest.raises(InputDataError, match="krus"):
        subset_clean(responses, flags, exclusions, summary, krus, key="units/krus/current")


def test_units_index_skips_units_without_respondents():
    responses, *_ = _clean_fixture()
    krus = Unit("krus", "region", 1, "Jobber i KRUS", "Works at KRUS")
    index = units_index({"current": responses, "former": responses.iloc[:2]}, [krus, NORD], min_n=1)
    nord = index[index["unit"] == "nord"].set_index("kind")
    assert nord.loc["current", "n"] == 3 and nord.loc["former", "n"] == 1
    assert nord.loc["current", "service_n"] == 5
    assert edition_units(index) == ["nord"]
    assert "n = 0 in current" in index[index["unit"] == "krus"]["reason"].iloc[0]
    assert (
        edition_units(units_index({"current": responses, "former": responses.iloc[:2]}, [NORD], min_n=2))
        == []
    )


# ---- the unit against the rest ---------------------------------------------------------------
KEYS = [
    {"section": "2.1", "variable": "a", "category": "1"},
    {"section": "2.1", "variable": "b", "category": "1"},
    {"section": "3.1", "variable": "c", "category": "1"},
    {"section": "3.2", "variable": "d", "category": "1"},
    {"section": "3.3", "variable": "not_asked", "category": "1"},
]


def _tests_fixture() -> pd.DataFrame:
    base = {
        "breakdown": "region",
        "breakdown_column": "region",
        "label_no": "x",
        "label_en": "x",
        "category": "1",
        "category_label_no": "Ja",
        "category_label_en": "Yes",
        "adjust_method": "holm",
        "p_value": 0.001,
        "p_bh": 0.002,
    }
    rows = [
        # a: the unit, significantly higher; b: significantly lower; c: tested, not significant;
        # d: suppressed (count/pct/n blank, not tested); plus a row of another level and breakdown.
        dict(
            variable="a",
            level="3",
            n=200,
            pct=60.0,
            rest_n=1500,
            rest_pct=50.0,
            p_holm=0.004,
            significant=1,
            withheld=None,
            suppressed=0,
        ),
        dict(
            variable="b",
            level="3",
            n=200,
            pct=20.0,
            rest_n=1500,
            rest_pct=30.0,
            p_holm=0.01,
            significant=1,
            withheld=None,
            suppressed=0,
        ),
        dict(
            variable="c",
            level="3",
            n=25,
            pct=12.0,
            rest_n=1500,
            rest_pct=10.0,
            p_holm=np.nan,
            significant=0,
            withheld="subgroup_n",
            suppressed=0,
        ),
        dict(
            variable="d",
            level="3",
            n=np.nan,
            pct=np.nan,
            rest_n=np.nan,
            rest_pct=np.nan,
            p_holm=np.nan,
            significant=0,
            withheld="suppressed",
            suppressed=1,
        ),
        dict(
            variable="a",
            level="4",
            n=300,
            pct=40.0,
            rest_n=1400,
            rest_pct=52.0,
            p_holm=0.001,
            significant=1,
            withheld=None,
            suppressed=0,
        ),
    ]
    df = pd.DataFrame([base | r for r in rows])
    other = df.iloc[[0]].assign(breakdown="gender", breakdown_column="gender", level="3", pct=99.0)
    df = pd.concat([df, other], ignore_index=True)
    df["level"] = df["level"].astype("string")
    df["category"] = df["category"].astype("string")
    return df


def test_unit_rows_are_the_service_rows_of_the_unit():
    rows = unit_rows(_tests_fixture(), "region", 3, KEYS)
    assert [r.variable for r in rows] == ["a", "b", "c", "d"]  # not_asked: no row, left out
    a, b, c, d = rows
    assert (a.pct, a.rest_pct, a.n, a.rest_n, a.p_adjusted) == (60.0, 50.0, 200, 1500, 0.004)
    assert a.diff == pytest.approx(10.0) and a.result == "higher"
    assert b.result == "lower" and c.result == "withheld" and d.result == "suppressed"
    assert d.pct is None and d.diff is None
    assert result_counts(rows) == {"higher": 1, "lower": 1, "same": 0, "untested": 2, "tested": 2}


def _edition(lang: str, tests: pd.DataFrame) -> Edition:
    cfg = load_report_config(REPO / "config" / "report.yaml")
    cfg["key_numbers"] = KEYS
    est = load_yaml_validated(REPO / "config" / "estimates.yaml", "estimates.schema.yaml")
    unit = UnitContext(unit=NORD.as_dict(), service_tests={"current": tests})
    return Edition(cfg, {}, est, lang, REPO, Numbering(), Numbering(), {}, pd.DataFrame(), unit)


@pytest.mark.parametrize("lang", ["no", "en"])
def test_unit_table_shows_suppressed_cells_as_a_dash(lang):
    cmp = _edition(lang, _tests_fixture()).unit_comparison("current")
    rows = {r["section"]: r for r in cmp["rows"]}
    text = " ".join(str(v) for r in cmp["rows"] for v in r.values()) + " ".join(cmp["sentences"])
    for bad in ("nan", "None", "NaN", "0 %", "0%"):
        assert not re.search(
            rf"(?<![0-9]){re.escape(bad)}\b" if bad[0].isalpha() else rf"(?<![0-9]){re.escape(bad)}", text
        ), bad
    d = rows["3.2"]
    assert ">–<" in str(d["unit"]) and "‡" in str(d["unit"]) and d["diff"] == "–" and d["p"] == "–"
    assert "(n\u00a0=\u00a025)" in unescape(str(rows["3.1"]["unit"]))  # small unit cell: its n and †
    first = cmp["rows"][0]
    assert first["diff"] == "+10" and first["p"] == ("0,004" if lang == "no" else "0.004")
    assert cmp["counts"]["higher"] == 1 and cmp["counts"]["lower"] == 1
    joined = " ".join(cmp["sentences"])
    assert (
        "1 signifikant høyere og 1 signifikant lavere" if lang == "no" else "1 are significantly higher and 1"
    ) in joined


def test_unit_table_with_no_rows_says_so():
    empty = _tests_fixture().iloc[0:0]
    cmp = _edition("no", empty).unit_comparison("current")
    assert cmp["rows"] == [] and "ingen rader" in cmp["sentences"][0]


def test_outline_scopes():
    cfg = load_report_config(REPO / "config" / "report.yaml")
    ids = lambda outline: [s["id"] for ch in outline for s in [ch, *ch["sections"]]]  # noqa: E731
    service, unit = ids(outline_for(cfg["outline"], False)), ids(outline_for(cfg["outline"], True))
    assert "vedlegg-5" in service and "vedlegg-5" not in unit
    assert "enheten" in unit and "enheten" not in service
    # the reproduction audit and the wave comparison are whole-service appendices
    assert "vedlegg-6" in service and "vedlegg-6" not in unit
    assert set(service) - {"vedlegg-5", "vedlegg-6"} == set(unit) - {"enheten"}


# ---- suppressed cells in figures ---------------------------------------------------------------
def test_figure_labels_of_suppressed_cells_are_dashes():
    assert pct_text(float("nan")) == "–" and pct_text(None) == "–"  # type: ignore[arg-type]
    assert pct_text(12.5) == "13\u00a0%"
    assert _hidden(np.nan, np.nan) and _hidden(np.nan, 209)  # suppressed (subgroup cell / estimate)
    assert not _hidden(np.nan, 0) and not _hidden(5.0, np.nan)  # a level without respondents; a value

    class S:
        def pct(self, v):
            return pct_text(v)

    assert _value_label(S(), np.nan, np.nan, 0.0) == "–"
    assert _value_label(S(), 40.0, 120, 40.0) == "40\u00a0%"


# ---- rules ------------------------------------------------------------------------------------
def _dry_run(work: Path, *targets: str) -> str:
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(REPO / "workflow"),
    }
    proc = subprocess.run(
        [str(BIN / "snakemake"), *targets, "-n"], cwd=work, capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def _job_counts(out: str) -> dict[str, int]:
    table = out.split("Job stats:", 1)[1].split("\n\n", 1)[0].splitlines()[3:]
    return {row.split()[0]: int(row.split()[1]) for row in table if row.split() and row.split()[0] != "total"}


def test_a_unit_target_runs_unit_subset_not_clean(tmp_path):
    work = tmp_path / "w"
    work.mkdir()
    for name in ("Snakefile", "workflow", "config", "data"):
        (work / name).symlink_to(REPO / name)
    (work / "reports").mkdir()
    (work / "reports" / "templates").symlink_to(REPO / "reports" / "templates")
    jobs = _job_counts(_dry_run(work, "results/units/nord/current/04_estimates/estimates.csv"))
    assert jobs["unit_subset"] == 1 and jobs["clean"] == 1  # clean: the whole service's, once
    assert jobs["score"] == 1 and jobs["estimates"] == 1  # the unit's (the service's cleaned data only)
    out = _dry_run(work, "reports/units/nord/rapport.html")
    blocks = re.findall(r"rule (\w+):\n(.*?)(?=\n\[|\Z)", out, flags=re.S)
    wildcards = {(rule, m.group(1)) for rule, body in blocks if (m := re.search(r"wildcards: (.*)", body))}
    assert ("unit_subset", "unit=nord, kind=current") in wildcards
    assert ("unit_subset", "unit=nord, kind=former") in wildcards
    assert ("score", "survey=units/nord/current") in wildcards
    assert {w for r, w in wildcards if r == "clean"} == {"survey=current", "survey=former"}


# ---- one unit end to end (in the directory of the default build) ----------------------------------
@pytest.fixture(scope="session")
def unit_built(built) -> Path:
    """The bokmål edition (HTML + PDF) of unit `nord` built in the default build's directory."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(
        [
            str(BIN / "snakemake"),
            "--cores",
            "2",
            "reports/units/nord/rapport.html",
            "reports/units/nord/rapport.pdf",
            "--quiet",
        ],
        cwd=built,
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-5000:]
    return built


def _text(html_path: Path) -> str:
    t = re.sub(r"data:[^\"]+", "", html_path.read_text(encoding="utf-8"))
    t = re.sub(r"<style>.*?</style>", "", t, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", t)))


def test_unit_edition_prints_the_units_n(unit_built):
    text = _text(unit_built / "reports" / "units" / "nord" / "rapport.html")
    n = {}
    for kind in ("current", "former"):
        responses = pd.read_csv(unit_built / "results" / kind / "01_clean" / "responses.csv", dtype=str)
        n[kind] = int((responses["region"] == "3").sum())
        unit = pd.read_csv(
            unit_built / "results" / "units" / "nord" / kind / "01_clean" / "responses.csv", dtype=str
        )
        assert len(unit) == n[kind] > 0
        summary = json.loads(
            (
                unit_built / "results" / "units" / "nord" / kind / "01_clean" / "cleaning_summary.json"
            ).read_text()
        )
        assert summary["kept"] == n[kind] and summary["unit"]["service_n"] == len(responses)
    fmt = lambda x: f"{x:,}".replace(",", "\u202f")  # noqa: E731
    assert f"Utgave for enheten: {fmt(n['current'])} nåværende ansatte" in text
    assert f"og {fmt(n['former'])} tidligere ansatte" in text
    assert "Kriminalomsorgen region nord" in text and "Enheten sammenlignet med resten" in text
    assert "Vedlegg 5" not in text  # the reproduction audit is left out of unit editions
    assert not re.search(r"\b(nan|None|NaN)\b", text)
    assert (unit_built / "reports" / "units" / "nord" / "rapport.pdf").stat().st_size > 100_000


def test_unit_vs_rest_table_equals_the_service_subgroup_tests(unit_built):
    html_text = (unit_built / "reports" / "units" / "nord" / "rapport.html").read_text(encoding="utf-8")
    table = html_text.split('class="unit-vs-rest"', 1)[1].split("</table>", 1)[0]
    cells = [
        [
            unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        ]
        for row in re.findall(r"<tr class=\"unit-[a-z]+\">(.*?)</tr>", table, flags=re.S)
    ]
    cfg = load_report_config(REPO / "config" / "report.yaml")
    tests = pd.read_csv(
        unit_built / "results" / "current" / "04_estimates" / "subgroup_tests.csv",
        dtype={"level": str, "category": str},
    )
    rows = unit_rows(tests, "region", 3, cfg["key_numbers"])
    assert len(cells) == len(rows) == len(cfg["key_numbers"])
    from mhsurvey.rounding import round_half_up

    for got, r in zip(cells, rows, strict=True):
        sel = tests[
            (tests.breakdown_column == "region")
            & (tests.level == "3")
            & (tests.variable == r.variable)
            & (tests.category == r.category)
        ]
        assert len(sel) == 1
        expect_pct = f"{int(round_half_up(float(sel.pct.iloc[0]), 0))}\u202f%"
        expect_rest = f"{int(round_half_up(float(sel.rest_pct.iloc[0]), 0))}\u202f%"
        assert got[2].startswith(expect_pct) and got[3].startswith(expect_rest), (got, r)
        if not math.isnan(float(sel.p_holm.iloc[0])):
            assert got[5] == f"{round_half_up(float(sel.p_holm.iloc[0]), 3):.3f}".replace(".", ",") or got[
                5
            ].startswith("<")
        assert (got[6].startswith("Signifikant")) == bool(int(sel.significant.iloc[0]))


def test_unit_edition_with_suppressed_cells_renders_dashes(unit_built, tmp_path):
    """Suppression forced on a copy of the unit's results (hand-made: cells blanked as stage 04
    does): the unit edition shows "–" and the note, never nan/None/0 %."""
    from mhsurvey.config import load_config
    from mhsurvey.report.build import build_html

    root = tmp_path / "results"
    shutil.copytree(unit_built / "results" / "units" / "nord", root / "units" / "nord")
    for kind in ("current", "former"):
        (root / kind / "04_estimates").mkdir(parents=True)
        tests = pd.read_csv(
            unit_built / "results" / kind / "04_estimates" / "subgroup_tests.csv",
            dtype=str,
            keep_default_na=False,
        )
        hide = (
            (tests.breakdown_column == "region")
            & (tests.level == "3")
            & (tests.variable == "incidents_threat_any")
        )
        tests.loc[hide, ["n", "count", "pct", "rest_n", "rest_pct", "p_holm", "z", "p_value"]] = ""
        tests.loc[hide, ["suppressed", "tested", "significant"]] = ["1", "0", "0"]
        tests.loc[hide, "withheld"] = "suppressed"
        tests.to_csv(root / kind / "04_estimates" / "subgroup_tests.csv", index=False)
        est_path = root / "units" / "nord" / kind / "04_estimates" / "estimates.csv"
        est = pd.read_csv(est_path, dtype=str, keep_default_na=False)
        est.loc[est.variable == "incidents_violence_any", ["count", "pct"]] = ""
        est.loc[est.variable == "incidents_violence_any", "suppressed"] = "1"
        est.to_csv(est_path, index=False)
    cfg = load_config(REPO / "config" / "config.yaml")
    html_text = build_html(
        REPO / "config" / "report.yaml",
        REPO / "config" / "estimates.yaml",
        REPO / "config" / "scoring.yaml",
        cfg,
        sorted((REPO / "data" / "published").glob("*.csv")),
        REPO / "reports" / "templates" / "css" / "report.css",
        root / "units" / "nord",
        "no",
        root=unit_built,
        unit=NORD.as_dict(),
        service_root=root,
    )
    text = _text_from(html_text)
    assert not re.search(r"\b(nan|None|NaN)\b", text)
    table = html_text.split('class="unit-vs-rest"', 1)[1].split("</table>", 1)[0]
    first = re.findall(r"<tr class=\"unit-([a-z]+)\">(.*?)</tr>", table, flags=re.S)[0]
    assert first[0] == "suppressed" and '<span class="suppressed">–</span>' in first[1]
    assert "Skjult (små celler skjult)" in unescape(first[1])
    assert "skjult for å beskytte personvernet" in text


def _text_from(html_text: str) -> str:
    t = re.sub(r"data:[^\"]+", "", html_text)
    t = re.sub(r"<style>.*?</style>", "", t, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", t)))
