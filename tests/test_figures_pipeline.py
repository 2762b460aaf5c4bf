"""The real rule `figures` on the embedded synthetic data, run once in a scratch directory.

Checks that every catalogue entry is drawn for both surveys, that each <id>.data.csv holds
exactly the rows of the stage-04 tables its catalogue entry names (recomputed here with plain
pandas filters, independently of mhsurvey.figures.select), and that a redraw in this process
gives byte-identical SVG and PNG files.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402
from PIL import Image  # noqa: E402

from mhsurvey.figures.build import draw_entry  # noqa: E402
from mhsurvey.figures.catalogue import survey_entries  # noqa: E402
from mhsurvey.figures.inputs import load_survey_inputs  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LINKED = ("Snakefile", "workflow", "config", "data")
SURVEYS = ("current", "former")
INDEX_COLUMNS = [
    "figure_id",
    "survey",
    "order",
    "chapter",
    "section",
    "study_figure",
    "study_figure_note",
    "kind",
    "caption_no",
    "caption_en",
    "base_n",
    "alt_no",
    "svg",
    "svg_print",
    "png",
    "data_csv",
    "synthetic",
    "small_n",
]
SECTIONS = {f"2.{i}" for i in range(1, 8)} | {f"3.{i}" for i in range(1, 9)} | {"V1"}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    if not (REPO / "data" / "synthetic" / "current_export.csv").exists():
        pytest.skip("synthetic exports not generated")
    work = tmp_path_factory.mktemp("figures")
    for name in LINKED:
        (work / name).symlink_to(REPO / name)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    targets = [f"results/{s}/05_figures" for s in SURVEYS]
    proc = subprocess.run(
        [str(BIN / "snakemake"), *targets, "--cores", "2", "--quiet"],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-5000:]
    return work


@pytest.fixture(scope="module")
def catalogue() -> dict:
    return yaml.safe_load((REPO / "config" / "figures.yaml").read_text(encoding="utf-8"))


def _table(built: Path, survey: str, name: str) -> pd.DataFrame:
    return pd.read_csv(
        built / "results" / survey / "04_estimates" / f"{name}.csv", dtype=str, keep_default_na=False
    )


def _expected(sel: dict, est: pd.DataFrame, sub: pd.DataFrame) -> pd.DataFrame:
    """Rows a selector names, by plain filters (the catalogue uses exact names only)."""
    t = sub if sel.get("table") == "subgroup_tests" else est
    m = pd.Series(True, index=t.index)
    if "question" in sel:
        m &= t["question_id"] == sel["question"]
    if "variable" in sel:
        m &= t["variable"].isin(sel["variable"])
    if "exclude_variable" in sel:
        m &= ~t["variable"].isin(sel["exclude_variable"])
    for key, col in (("category", "category"), ("breakdown", "breakdown"), ("level", "level")):
        if key in sel:
            m &= t[col].isin([str(v) for v in sel[key]])
    return t[m]


@pytest.mark.parametrize("survey", SURVEYS)
def test_every_catalogue_entry_is_drawn(built, catalogue, survey):
    out = built / "results" / survey / "05_figures"
    index = pd.read_csv(out / "figures.csv", dtype=str, keep_default_na=False)
    assert list(index.columns[: len(INDEX_COLUMNS)]) == INDEX_COLUMNS
    ids = [e.id for e in survey_entries(catalogue, survey)]
    assert index["figure_id"].tolist() == ids and index["order"].tolist() == [
        str(i) for i in range(1, len(ids) + 1)
    ]
    assert set(index["section"]) <= SECTIONS and set(index["synthetic"]) == {"true"}
    assert len(ids) == {"current": 52, "former": 39}[survey]
    for row in index.itertuples(index=False):
        for path in (row.svg, row.png, row.data_csv):
            assert (built / path).stat().st_size > 500, path
        assert len(row.alt_no) > 40 and "Syntetiske data" in row.alt_no, row.figure_id
        assert "(n = " in row.caption_no and row.caption_en, row.figure_id
        png = Image.open(built / row.png)
        assert round(png.info["dpi"][0]) >= 150
    dictionary = pd.read_csv(out / "figures.dictionary.csv")
    assert dictionary["column"].tolist() == list(index.columns)
    assert (out / "contact_sheet.png").stat().st_size > 10_000
    assert (built / "logs" / survey / "05_figures.log").exists()
    assert (built / "logs" / "benchmarks" / survey / "05_figures.tsv").exists()


@pytest.mark.parametrize("survey", SURVEYS)
def test_data_csv_is_exactly_the_estimates_it_claims(built, catalogue, survey):
    est, sub = _table(built, survey, "estimates"), _table(built, survey, "subgroup_tests")
    est_key = est.set_index(["variable", "category"])
    sub_key = sub.set_index(["variable", "category", "breakdown", "level"])
    for e in survey_entries(catalogue, survey):
        data = pd.read_csv(
            built / "results" / survey / "05_figures" / f"{e.id}.data.csv", dtype=str, keep_default_na=False
        )
        data = data.rename(columns={"count": "cnt"})  # namedtuple rows have a count() method
        own = data[(data["derived"] == "0") & (data["role"] != "reference")]
        for i, sel in enumerate(e.rows):
            got = own[own["selector"] == str(i)]
            want = _expected(sel, est, sub)
            keys = ["variable", "category"] + (
                ["breakdown", "level"] if sel.get("table") == "subgroup_tests" else []
            )
            got_keys = sorted(map(tuple, got[["item", "category"] + keys[2:]].to_numpy().tolist()))
            assert got_keys == sorted(map(tuple, want[keys].to_numpy().tolist())), (e.id, i)
        for r in own.itertuples(index=False):
            if r.table == "estimates":
                ref = est_key.loc[(r.item, r.category)]
                assert (float(r.n), float(r.cnt)) == (float(ref["base_n"]), float(ref["count"])), (
                    e.id,
                    r.item,
                )
            else:
                ref = sub_key.loc[(r.item, r.category, r.breakdown, r.level)]
                assert (float(r.n), float(r.cnt), r.small_n) == (
                    float(ref["n"]),
                    float(ref["count"]),
                    ref["small_n"],
                ), (e.id, r.item)
            if ref["pct"] == "":  # a level with n = 0: no percentage, drawn as an empty row
                assert r.pct == "" and float(r.n) == 0, (e.id, r.item, r.level)
            else:
                assert float(r.pct) == float(ref["pct"]), (e.id, r.item, r.category)
        for r in data[data["role"] == "complement"].itertuples(index=False):
            case = own[own["role"] != "complement"].iloc[0]
            assert float(r.pct) == pytest.approx(100 - float(case["pct"]), abs=1e-9)
            assert float(r.cnt) == float(case["n"]) - float(case["cnt"])
        for r in data[data["role"] == "reference"].itertuples(index=False):
            ref = est_key.loc[(r.item, r.category)]
            assert ref["ref_available"] == "1" and float(r.pct) == float(ref["ref_pct"]), (e.id, r.item)


def test_small_subgroups_are_marked_not_dropped(built):
    index = pd.read_csv(built / "results" / "current" / "05_figures" / "figures.csv", dtype=str)
    panel = pd.read_csv(
        built / "results" / "current" / "05_figures" / "anxiety_subgroups.data.csv", dtype=str
    )
    region = panel[panel["breakdown"] == "region"]
    assert region["level"].tolist() == [str(i) for i in range(1, 8)]  # KRUS and KDI kept
    assert (region.set_index("level").loc[["1", "2"], "small_n"] == "1").all()
    assert index.set_index("figure_id").loc["anxiety_subgroups", "small_n"] == "true"


@pytest.mark.parametrize(
    "survey, ids",
    [
        ("current", ["safety", "trust_subgroups", "stress_prevalence"]),
        ("former", ["incident_frequency", "trust_distribution"]),
    ],
)
def test_redraw_is_byte_identical(built, catalogue, survey, ids):
    r = built / "results" / survey
    inputs = load_survey_inputs(
        survey,
        r / "04_estimates" / "estimates.csv",
        r / "04_estimates" / "subgroup_tests.csv",
        REPO / "config" / "codebook" / f"{survey}.yaml",
        r / "01_clean" / "cleaning_summary.json",
        REPO / "config" / "estimates.yaml",
        REPO / "config" / "scoring.yaml",
        catalogue["style"],
    )
    with mpl.rc_context(fname=str(REPO / "config" / "figure_style.mplstyle")):
        for e in survey_entries(catalogue, survey):
            if e.id in ids:
                fig = draw_entry(e, inputs, catalogue["style"], f"results/{survey}/05_figures")
                assert fig.svg == (r / "05_figures" / f"{e.id}.svg").read_bytes(), e.id
                assert fig.png == (r / "05_figures" / f"{e.id}.png").read_bytes(), e.id
