"""The committed synthetic exports (data/synthetic/): reproducible from the generator, and they meet
the checks of issue [2/7] after the pipeline's own cleaning and scoring."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from mhsim import GENERATOR_VERSION
from mhsim.export import kept_rows, write_export
from mhsim.run import calibration, cleaning_settings, generate_export, load_inputs, quirk_summary
from mhsurvey.readers import file_sha256

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data/synthetic"
PUBLISHED = [REPO / "data/published/ch2_current.csv", REPO / "data/published/ch3_former_appendix.csv"]
MAIN = yaml.safe_load((REPO / "config/config.yaml").read_text(encoding="utf-8"))
SURVEYS = ("current", "former")
N_ANALYSED = {"current": 1726, "former": 323}  # the report's analysed samples (method section)


def _inputs(survey: str):
    return load_inputs(
        REPO / f"config/simulation/{survey}.yaml",
        REPO / f"config/codebook/{survey}.yaml",
        REPO / "config/scoring.yaml",
        PUBLISHED,
        model=DATA / f"{survey}_model.json",
        items_spec=REPO / f"config/simulation/{survey}_items.yaml",
    )


@pytest.fixture(scope="module", params=SURVEYS)
def survey(request):
    return request.param


@pytest.fixture(scope="module")
def inputs():
    return {s: _inputs(s) for s in SURVEYS}


@pytest.fixture(scope="module")
def checked(inputs):
    """Calibration table and summary recomputed from the committed exports."""
    out = {}
    for s in SURVEYS:
        settings = cleaning_settings(MAIN["cleaning"], MAIN["surveys"][s])
        out[s] = calibration(inputs[s], DATA / f"{s}_export.csv", settings)
    return out


def test_config_points_at_the_committed_exports(survey):
    assert MAIN["surveys"][survey]["export"] == f"data/synthetic/{survey}_export.csv"
    assert (DATA / f"{survey}_export.csv").exists()


def test_committed_export_equals_a_fresh_generation(survey, inputs, tmp_path):
    frame, _ = generate_export(inputs[survey])
    path = tmp_path / f"{survey}_export.csv"
    write_export(frame, path, inputs[survey].cfg["export"]["delimiter"])
    assert path.read_bytes() == (DATA / f"{survey}_export.csv").read_bytes()


def test_same_seed_same_bytes_other_seed_other_bytes(inputs, tmp_path):
    inp = inputs["former"]
    paths = []
    for k, seed in enumerate((7, 7, 8)):
        frame, _ = generate_export(inp, seed)
        paths.append(tmp_path / f"e{k}.csv")
        write_export(frame, paths[-1], ",")
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert paths[0].read_bytes() != paths[2].read_bytes()


def test_export_layout(survey, inputs):
    inp = inputs[survey]
    text = (DATA / f"{survey}_export.csv").read_bytes().decode("utf-8")
    assert "\r" not in text
    header = text.split("\n", 1)[0].split(inp.cfg["export"]["delimiter"])
    expected = ["respondent_id", "submitted", "status", "email"] + [c.name for c in inp.codebook.all_columns]
    assert header == expected
    df = pd.read_csv(
        DATA / f"{survey}_export.csv", sep=inp.cfg["export"]["delimiter"], dtype=str, keep_default_na=False
    )
    assert df["email"].str.fullmatch(r"r\d+@example\.invalid").all()
    assert set(df["status"]) == {"completed", "partial"}
    t = pd.to_datetime(df["submitted"])
    assert t.min() >= pd.Timestamp("2023-01-31") and t.max() < pd.Timestamp("2023-03-18")
    prison = df["form"] == "2"
    assert (df.loc[~prison & (df["status"] == "completed"), "security"] != "").sum() == sum(
        v["n"] for v in inp.cfg["quirks"]["routing_violations"] if v["column"] == "security"
    )


def test_cleaning_keeps_exactly_the_report_samples(survey, checked, inputs):
    table, summary = checked[survey]
    q = inputs[survey].cfg["quirks"]
    assert summary["cleaning"]["kept"] == N_ANALYSED[survey]
    by_rule = summary["cleaning"]["excluded_by_rule"]
    assert by_rule.get("incomplete", 0) == q["partial"]
    assert by_rule.get("duplicate", 0) == q["duplicates"]
    assert by_rule.get("target_group", 0) == {"current": 20, "former": 0}[survey]


def test_instrument_checks_of_the_issue(survey, checked):
    """Item distributions +-2 pp, alpha +-0.02, headline prevalences +-2 pp, Vedlegg 1 +-1 pp."""
    table, summary = checked[survey]
    counted = table[table["counted"]]
    instruments = counted[~counted["target_id"].str.startswith("chapter2:")]
    expected = {
        "current": {"sample": 1, "composition": 30, "item_distribution": 188, "alpha": 6, "prevalence": 19},
        "former": {"sample": 1, "composition": 22, "item_distribution": 277, "alpha": 6, "prevalence": 18},
    }
    for check, n in expected[survey].items():
        rows = instruments[instruments["check"] == check]
        assert len(rows) == n, check
        bad = rows[~rows["within"]]
        assert bad.empty, bad[["target_id", "published", "generated", "tolerance"]].to_string()
    alphas = instruments[instruments["check"] == "alpha"]
    assert len(alphas) == 6 and (alphas["diff"].abs() <= 0.02).all()
    prev = instruments[instruments["check"] == "prevalence"]
    assert set(prev["target_id"].str.split(":").str[0]) == {
        "dass_stress",
        "sss8",
        "cfq",
        "gad7",
        "phq9",
        "itq_ptsd",
        "itq_dso",
        "wsas",
    }
    assert (prev["diff"].abs() <= 2.0).all()


def test_subgroups_within_their_margin_of_error(checked):
    table, summary = checked["current"]
    sub = table[(table["check"] == "subgroup") & table["counted"]]
    assert len(sub) == 493
    assert sub["within"].mean() >= 0.90
    mine = sub[~sub["target_id"].str.startswith("chapter2:")]
    assert len(mine) == 204 and mine["within"].mean() >= 0.90


def test_committed_calibration_table_is_current(survey, checked):
    table, _ = checked[survey]
    committed = pd.read_csv(DATA / f"{survey}_calibration.csv", keep_default_na=False, na_values=[""])
    recomputed = pd.read_csv(
        pd.io.common.StringIO(table.to_csv(index=False)), keep_default_na=False, na_values=[""]
    )
    pd.testing.assert_frame_equal(committed, recomputed, check_exact=False, rtol=1e-12)


def test_marker(survey, inputs):
    marker = json.loads((DATA / "synthetic.json").read_text(encoding="utf-8"))
    assert marker["synthetic"] is True and marker["label_no"] == "Syntetiske data"
    assert marker["label_en"] == "Synthetic data" and marker["generator_version"] == GENERATOR_VERSION
    assert (
        "published aggregates" in marker["statement_en"] or "aggregates published" in marker["statement_en"]
    )
    entry = marker["surveys"][survey]
    export = DATA / f"{survey}_export.csv"
    assert entry["export"] == export.name and entry["sha256"] == file_sha256(export)
    assert entry["seed"] == inputs[survey].cfg["seed"]
    assert entry["quirks"] == quirk_summary(export, inputs[survey])
    q = inputs[survey].cfg["quirks"]
    assert entry["quirks"]["partial"] == q["partial"]
    assert entry["quirks"]["duplicated_submissions"] == q["duplicates"]
    assert entry["quirks"]["routing_violations"] == {v["column"]: v["n"] for v in q["routing_violations"]}
    assert entry["quirks"]["expected_analysed"] == N_ANALYSED[survey]


def test_nonsubstantive_answers_in_documented_numbers(survey, inputs):
    """The configured "Ønsker ikke svare" (99) answers on the instruments are all among the analysed."""
    inp = inputs[survey]
    df = pd.read_csv(
        DATA / f"{survey}_export.csv", sep=inp.cfg["export"]["delimiter"], dtype=str, keep_default_na=False
    )
    kept = df[kept_rows(df, "direct_contact", 2)]
    not_kept = df[~kept_rows(df, "direct_contact", 2) & (df["status"] == "completed")]
    for name, spec in inp.cfg["instruments"].items():
        items = inp.codebook.instrument_items(name)
        ns = spec.get("nonsubstantive", {})
        extra = ns.get("items", {})
        with_99 = (kept[items] == "99").any(axis=1).sum()
        assert ns.get("respondents", 0) <= with_99 <= ns.get("respondents", 0) + sum(extra.values()), name
        for item, k in extra.items():
            assert (kept[item] == "99").sum() >= k
        dup_ids = set(df.loc[df["respondent_id"].duplicated(), "respondent_id"])
        outside = not_kept[~not_kept["respondent_id"].isin(dup_ids)]
        assert not (outside[items] == "99").any().any(), name
