"""Import and cleaning: identical results across formats, exclusions, flags, reconciliation."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import ROWS, write_csv_variant, write_sav, write_xlsx

from mhsurvey.clean import (
    clean_export,
    clean_survey,
    pseudonym,
    routing_mask,
    write_clean_result,
)
from mhsurvey.cli import CLEAN_OUTPUTS
from mhsurvey.readers import read_export


def _responses_bytes(tmp_path, export, codebook, settings) -> bytes:
    result = clean_survey(export, codebook, settings)
    out = tmp_path / f"out_{export.name}"
    write_clean_result(result, codebook, {k: out / v for k, v in CLEAN_OUTPUTS.items()})
    return (out / "responses.csv").read_bytes()


def test_all_formats_give_identical_responses(tmp_path, mini_codebook, mini_settings):
    exports = [
        write_csv_variant(tmp_path / "comma.csv", ","),
        write_csv_variant(tmp_path / "semicolon.csv", ";"),
        write_csv_variant(tmp_path / "excel_nb.csv", ";", "cp1252"),
        write_csv_variant(tmp_path / "bom.csv", ",", "utf-8-sig"),
        write_csv_variant(tmp_path / "tab.csv", "\t"),
        write_xlsx(tmp_path / "export.xlsx"),
        write_sav(tmp_path / "export.sav"),
    ]
    outputs = {e.name: _responses_bytes(tmp_path, e, mini_codebook, mini_settings) for e in exports}
    reference = outputs["comma.csv"]
    for name, data in outputs.items():
        assert data == reference, f"{name} differs from comma.csv"


def test_cp1252_is_detected_and_text_survives(tmp_path, mini_codebook, mini_settings):
    path = write_csv_variant(tmp_path / "excel_nb.csv", ";", "cp1252")
    raw = read_export(path)
    assert raw.encoding == "cp1252" and raw.delimiter == ";"
    result = clean_export(raw, mini_codebook, mini_settings)
    texts = set(result.comments["text"])
    assert "Ærlig talt: ønsker mer oppfølging." in texts
    assert "Ble dyttet i gangen på vei ut" in texts


def test_exclusions_and_counts_reconcile(tmp_path, mini_codebook, mini_settings):
    result = clean_survey(write_csv_variant(tmp_path / "e.csv"), mini_codebook, mini_settings)
    s = result.summary
    assert (s["raw_rows"], s["kept"], s["excluded"]) == (11, 7, 4)
    assert s["raw_rows"] == s["kept"] + s["excluded"] and s["reconciles"]
    assert s["excluded_by_rule"] == {"duplicate": 1, "incomplete": 2, "target_group": 1}
    excl = result.exclusions.set_index("raw_row")
    assert excl.loc[3, "rule"] == "target_group" and excl.loc[3, "detail"] == "direct_contact=2"
    assert excl.loc[4, "rule"] == "incomplete" and excl.loc[4, "detail"] == "status=partial"
    assert excl.loc[5, "rule"] == "duplicate" and excl.loc[5, "detail"] == "superseded by raw row 6"
    assert excl.loc[10, "rule"] == "incomplete" and excl.loc[10, "detail"] == "answered share=0.250"
    # every raw row is either kept or excluded, never both
    kept_rids = set(result.responses["rid"])
    assert kept_rids.isdisjoint(set(result.exclusions["rid"]) - {pseudonym("105", "test-key-123")})
    assert len(kept_rids) == 7


def test_responses_content(tmp_path, mini_codebook, mini_settings):
    result = clean_survey(write_csv_variant(tmp_path / "e.csv"), mini_codebook, mini_settings)
    r = result.responses.set_index("rid")
    assert list(result.responses.columns) == ["rid"] + [c.name for c in mini_codebook.columns]
    assert "email" not in result.responses.columns and "comment" not in result.responses.columns
    row107 = r.loc[pseudonym("107", "test-key-123")]
    assert row107["gender"] == 99 and row107["gad7_2"] == 99 and row107["trust"] == 98  # non-substantive kept
    assert row107["incident_freq_threat"] == 97
    # the duplicate keeps the later submission (gender 2), not the earlier (gender 1)
    assert r.loc[pseudonym("105", "test-key-123"), "gender"] == 2
    # row 8 answered incident_freq_threat without a threat: blanked
    row108 = r.loc[pseudonym("108", "test-key-123")]
    assert pd.isna(row108["incident_freq_threat"]) and row108["incident_freq_violence"] == 3


def test_flags(tmp_path, mini_codebook, mini_settings):
    result = clean_survey(write_csv_variant(tmp_path / "e.csv"), mini_codebook, mini_settings)
    f = result.flags
    blanked = f[f["issue"] == "answered_not_asked"]
    assert blanked[["raw_row", "column", "value", "action"]].values.tolist() == [
        [8, "incident_freq_threat", "2", "blanked"]
    ]
    excl = f[f["issue"] == "exclusive_with_others"]
    assert excl[["raw_row", "column"]].values.tolist() == [[9, "incidents"]]
    missing = f[(f["issue"] == "not_answered") & (f["column"] == "incident_freq_violence")]
    assert missing["raw_row"].tolist() == [11]
    assert result.summary["flags_by_issue"]["answered_not_asked"] == 1


def test_routing_violation_can_exclude(tmp_path, mini_codebook, mini_settings):
    from dataclasses import replace

    settings = replace(mini_settings, routing_violation="exclude")
    result = clean_survey(write_csv_variant(tmp_path / "e.csv"), mini_codebook, settings)
    assert result.summary["kept"] == 6
    assert result.exclusions.set_index("raw_row").loc[8, "rule"] == "routing"
    assert result.summary["raw_rows"] == result.summary["kept"] + result.summary["excluded"]


def test_configured_exclusion(tmp_path, mini_codebook, mini_settings):
    from dataclasses import replace

    settings = replace(mini_settings, exclusions=(("111", "withdrew consent"),))
    result = clean_survey(write_csv_variant(tmp_path / "e.csv"), mini_codebook, settings)
    row = result.exclusions.set_index("raw_row").loc[11]
    assert row["rule"] == "configured_exclusion" and row["detail"] == "withdrew consent"
    assert result.summary["kept"] == 6


def test_outputs_written_with_dictionaries(tmp_path, mini_codebook, mini_settings):
    result = clean_survey(write_csv_variant(tmp_path / "e.csv"), mini_codebook, mini_settings)
    out = tmp_path / "out"
    write_clean_result(result, mini_codebook, {k: out / v for k, v in CLEAN_OUTPUTS.items()})
    d = pd.read_csv(out / "responses.dictionary.csv")
    assert d["column"].tolist() == pd.read_csv(out / "responses.csv", nrows=0).columns.tolist()
    assert d.set_index("column").loc["incident_freq_threat", "routing"] == "incidents_threat == 1"
    summary = json.loads((out / "cleaning_summary.json").read_text(encoding="utf-8"))
    assert summary["kept"] == 7 and summary["dropped_identifier_columns"] == ["email"]
    text = (out / "responses.csv").read_text(encoding="utf-8")
    assert "example.invalid" not in text and "undersøkelse" not in text
    assert "undersøkelse" in (out / "restricted" / "comments.csv").read_text(encoding="utf-8")


def test_deterministic_bytes(tmp_path, mini_codebook, mini_settings):
    e = write_csv_variant(tmp_path / "e.csv")
    assert _responses_bytes(tmp_path / "a", e, mini_codebook, mini_settings) == _responses_bytes(
        tmp_path / "b", e, mini_codebook, mini_settings
    )


def test_pseudonym_known_value():
    import hashlib
    import hmac

    expected = "p_" + hmac.new(b"k" * 8, b"101", hashlib.sha256).hexdigest()[:12]
    assert pseudonym("101", "k" * 8) == expected
    assert pseudonym("101", "k" * 8) != pseudonym("102", "k" * 8)


@pytest.mark.parametrize(
    "expr, expected",
    [
        ("a == 1", [True, False, False]),
        ("a in [1, 2]", [True, True, False]),
        ("(a == 1) | (b == 1)", [True, True, False]),
    ],
)
def test_routing_mask(expr, expected):
    df = pd.DataFrame(
        {"a": pd.array([1, 2, None], dtype="Int64"), "b": pd.array([0, 1, None], dtype="Int64")}
    )
    assert routing_mask(df, expr).tolist() == expected


def test_fixture_has_eleven_rows():
    assert len(ROWS) == 11


def test_rename_and_recode_map_a_foreign_export(tmp_path, mini_codebook, mini_settings):
    """A real export with its own column names and labelled codes needs only codebook config."""
    import yaml
    from conftest import FIXTURES, fixture_frame

    from mhsurvey.codebook import parse_codebook

    df = fixture_frame().rename(columns={"gender": "Q1", "gad7_1": "GAD7_a", "respondent_id": "resp_id"})
    df["Q1"] = df["Q1"].map({"1": "Mann", "2": "Kvinne", "99": "Ønsker ikke svare", "": ""})
    foreign = tmp_path / "foreign.csv"
    df.to_csv(foreign, sep=";", index=False, encoding="cp1252")
    data = yaml.safe_load((FIXTURES / "mini_codebook.yaml").read_text(encoding="utf-8"))
    data["export"]["id_column"] = "resp_id"
    data["export"]["rename"] = {"gender": "Q1", "gad7_1": "GAD7_a"}
    data["export"]["recode"] = {"gender": {"Mann": 1, "Kvinne": 2, "Ønsker ikke svare": 99}}
    foreign_cb = parse_codebook(data, "foreign")
    a = clean_survey(foreign, foreign_cb, mini_settings).responses
    b = clean_survey(write_csv_variant(tmp_path / "e.csv"), mini_codebook, mini_settings).responses
    pd.testing.assert_frame_equal(a, b)


def test_synthetic_marker_is_recorded(tmp_path, mini_codebook, mini_settings):
    from mhsurvey.readers import file_sha256

    export = write_csv_variant(tmp_path / "e.csv")
    assert clean_survey(export, mini_codebook, mini_settings).summary["data"] == {"synthetic": False}
    marker = {
        "label_no": "Syntetiske data",
        "label_en": "Synthetic data",
        "surveys": {"mini": {"export": "e.csv", "sha256": file_sha256(export)}},
    }
    (tmp_path / "synthetic.json").write_text(json.dumps(marker), encoding="utf-8")
    data = clean_survey(export, mini_codebook, mini_settings).summary["data"]
    assert data["synthetic"] and data["label_no"] == "Syntetiske data" and data["checksum_matches"]
    export.write_text(export.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert clean_survey(export, mini_codebook, mini_settings).summary["data"]["checksum_matches"] is False


@pytest.mark.parametrize(
    "cells",
    [
        ["a", " ", "", "\t", "b "],
        ["a", None, float("nan"), pd.NA, " ", 3, 0.0],
        [],
    ],
)
def test_empty_mask_equals_is_empty_per_cell(cells):
    from mhsurvey.clean import _empty_mask, _is_empty

    values = pd.Series(cells, dtype=object)
    assert _empty_mask(values).tolist() == [_is_empty(v) for v in cells]
