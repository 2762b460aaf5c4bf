"""Codes are matched whatever the cell's type; SPSS value labels are checked against the codebook."""

from __future__ import annotations

import unicodedata
from dataclasses import replace

import pandas as pd
import pytest
import yaml
from conftest import FIXTURES, fixture_frame, numeric_frame, write_csv_variant

from mhsurvey.clean import clean_survey, value_label_mismatches
from mhsurvey.codebook import code_key, normalise_label, parse_codebook, split_recode
from mhsurvey.config import validate_config
from mhsurvey.errors import ConfigError, InputDataError
from mhsurvey.readers import read_export

KEY = "test-key-123"


NO_ANSWER = "Ønsker ikke å svare"  # has a character (å) whose NFD form differs


def _codebook(**export):
    data = yaml.safe_load((FIXTURES / "mini_codebook.yaml").read_text(encoding="utf-8"))
    data["export"].update(export)
    data["questions"][0]["codes"][2]["no"] = NO_ANSWER
    return parse_codebook(data, "mini-variant")


def _sav(path, df=None, labels=None):
    import pyreadstat

    pyreadstat.write_sav(numeric_frame() if df is None else df, str(path), variable_value_labels=labels or {})
    return path


def _gender_by_raw_id(result) -> dict[str, int]:
    from mhsurvey.clean import pseudonym

    ids = {pseudonym(str(i), KEY): str(i) for i in range(100, 120)}
    return {ids[r]: int(g) for r, g in zip(result.responses["rid"], result.responses["gender"], strict=True)}


@pytest.mark.parametrize(
    "value, key",
    [
        (2, 2),
        (2.0, 2),
        ("2", 2),
        ("2.0", 2),
        (" +2 ", 2),
        ("2,0", 2),
        ("-1", -1),
        ("007", 7),
        ("Mann", "mann"),
        ("  ØNSKER  ikke svare ", "ønsker ikke svare"),
        (2.5, "2.5"),
        (True, "true"),
        (float("inf"), "inf"),
        ("", None),
        (None, None),
        (float("nan"), None),
        (pd.NA, None),
    ],
)
def test_code_key_known_values(value, key):
    assert code_key(value) == key
    assert type(code_key(value)) is type(key)


def test_normalise_label_nfc_case_whitespace():
    nfd = unicodedata.normalize("NFD", NO_ANSWER)
    assert nfd != NO_ANSWER
    assert (
        normalise_label(f"  {nfd.upper()}\t")
        == normalise_label("ønsker  ikke å svare")
        == "ønsker ikke å svare"
    )


def test_split_recode_merges_equivalent_keys_and_rejects_conflicts():
    numeric, labels = split_recode({1: 2, "2": 1, "Mann": 1, " KVINNE ": 2})
    assert numeric == {1: 2, 2: 1} and labels == {"mann": 1, "kvinne": 2}
    with pytest.raises(ConfigError, match="different codes"):
        split_recode({1: 2, "1.0": 1})
    with pytest.raises(ConfigError, match="different codes"):
        split_recode({"Mann": 1, "mann ": 2})


def test_codebook_rejects_conflicting_recode_and_unknown_column():
    with pytest.raises(ConfigError, match="gender"):
        _codebook(recode={"gender": {1: 2, "1": 1}})
    with pytest.raises(ConfigError, match="gendr"):
        _codebook(recode={"gendr": {1: 2}})


@pytest.mark.parametrize("fmt", ["sav", "float_csv", "int_csv", "xlsx"])
@pytest.mark.parametrize("keys", ["int", "str"])
def test_recode_applies_whatever_the_cell_type(tmp_path, mini_settings, fmt, keys):
    """An export that codes gender 1 = Kvinne, 2 = Mann (the codebook: 1 = Mann, 2 = Kvinne)."""
    df = numeric_frame()
    df["gender"] = df["gender"].map({1.0: 2.0, 2.0: 1.0, 99.0: 99.0})  # the export's own codes
    if fmt == "sav":
        export = _sav(tmp_path / "x.sav", df, {"gender": {1.0: "Kvinne", 2.0: "Mann", 99.0: NO_ANSWER}})
    elif fmt == "float_csv":  # pandas writes float columns as 2.0
        export = tmp_path / "x.csv"
        df.to_csv(export, index=False)
        assert ",2.0," in export.read_text(encoding="utf-8")
    elif fmt == "int_csv":
        export = tmp_path / "x.csv"
        df.astype({c: "Int64" for c in df.columns if df[c].dtype == float}).to_csv(export, index=False)
    else:
        export = tmp_path / "x.xlsx"
        df.to_excel(export, index=False)
    recode = {1: 2, 2: 1} if keys == "int" else {"1": 2, "2.0": 1}
    result = clean_survey(export, _codebook(recode={"gender": recode}), mini_settings)
    reference = clean_survey(write_csv_variant(tmp_path / "ref.csv"), _codebook(), mini_settings)
    pd.testing.assert_frame_equal(result.responses, reference.responses)
    genders = _gender_by_raw_id(result)
    assert genders["101"] == 1 and genders["102"] == 2 and genders["107"] == 99  # Mann, Kvinne, no answer


def test_recode_by_label_ignores_case_whitespace_and_normal_form(tmp_path, mini_settings):
    df = fixture_frame()
    nfd = unicodedata.normalize("NFD", NO_ANSWER)
    df["gender"] = df["gender"].map({"1": " MANN", "2": "kvinne ", "99": nfd, "": ""})
    export = tmp_path / "labels.csv"
    df.to_csv(export, sep=";", index=False)
    cb = _codebook(recode={"gender": {"Mann": 1, "Kvinne": 2, NO_ANSWER: 99}})
    result = clean_survey(export, cb, mini_settings)
    reference = clean_survey(write_csv_variant(tmp_path / "ref.csv"), _codebook(), mini_settings)
    pd.testing.assert_frame_equal(result.responses, reference.responses)


def test_unrecoded_label_is_still_a_wrong_type(tmp_path, mini_settings):
    df = fixture_frame()
    df.loc[3, "gender"] = "Annet"
    export = tmp_path / "x.csv"
    df.to_csv(export, index=False)
    cb = _codebook(recode={"gender": {"Mann": 1, "Kvinne": 2}})
    with pytest.raises(InputDataError) as info:
        clean_survey(export, cb, mini_settings)
    assert (info.value.row, info.value.column, info.value.value) == (4, "gender", "Annet")


def test_label_mismatch_stops_by_default(tmp_path, mini_codebook, mini_settings):
    export = _sav(
        tmp_path / "x.sav",
        labels={"gender": {1.0: "Kvinne", 2.0: "Mann"}, "gad7_1": {0.0: "Ikke i det hele tatt"}},
    )
    with pytest.raises(InputDataError) as info:
        clean_survey(export, mini_codebook, mini_settings)
    e = info.value
    assert e.column == "gender" and e.value == 1 and e.file == str(export)
    assert "'Kvinne' in the export but 'Mann' in the codebook" in str(e) and "1 more" in str(e)


def test_label_mismatch_warn_lists_them_in_the_summary(tmp_path, mini_codebook, mini_settings):
    export = _sav(
        tmp_path / "x.sav", labels={"gender": {1.0: "Kvinne", 2.0: "Mann", 99.0: "Ønsker ikke svare"}}
    )
    result = clean_survey(export, mini_codebook, replace(mini_settings, label_mismatch="warn"))
    mism = result.summary["value_label_mismatches"]
    assert [(m["column"], m["code"], m["export_label"], m["codebook_label"]) for m in mism] == [
        ("gender", 1, "Kvinne", "Mann"),
        ("gender", 2, "Mann", "Kvinne"),
    ]
    assert result.summary["settings"]["label_mismatch"] == "warn"
    assert result.summary["kept"] == 7


def test_labels_compared_after_normalising_and_recoding(tmp_path, mini_settings):
    nfd = unicodedata.normalize("NFD", "  ØNSKER ikke  Å svare")
    labels = {
        "gender": {1.0: "kvinne", 2.0: " MANN ", 99.0: nfd, 97.0: "Vet ikke"},  # 97: not in codebook
        "gad7_1": {0.0: "Not at all"},
    }  # the codebook's English label counts too
    df = numeric_frame()
    df["gender"] = df["gender"].map({1.0: 2.0, 2.0: 1.0, 99.0: 99.0})
    export = _sav(tmp_path / "x.sav", df, labels)
    cb = _codebook(recode={"gender": {1: 2, 2: 1}})
    raw = read_export(export)
    assert value_label_mismatches(raw, cb) == []
    assert clean_survey(export, cb, mini_settings).summary["value_label_mismatches"] == []
    # the same labels without the recode contradict the codebook on codes 1 and 2
    assert [m["code"] for m in value_label_mismatches(raw, _codebook())] == [1, 2]


def test_label_mismatch_setting_is_schema_validated():
    cfg = yaml.safe_load((FIXTURES.parents[1] / "config" / "config.yaml").read_text(encoding="utf-8"))
    assert cfg["cleaning"]["label_mismatch"] == "stop"
    cfg["cleaning"]["label_mismatch"] = "ignore"
    with pytest.raises(ConfigError, match="cleaning.label_mismatch"):
        validate_config(cfg)


def test_fixture_sav_labels_agree_with_codebook(tmp_path, mini_codebook):
    from conftest import write_sav

    raw = read_export(write_sav(tmp_path / "ok.sav"))
    assert raw.value_labels["gender"][1.0] == "Mann"
    assert value_label_mismatches(raw, mini_codebook) == []


def test_code_with_nul_is_not_pooled_with_the_code_before_it(mini_codebook):
    """pandas' factorize ends a string at NUL, so "1" and "1\\x00x" would share one key and the
    second cell would silently be read as code 1; such a column is read cell by cell instead."""
    from mhsurvey.clean import _map_distinct, _parse_codes

    col = mini_codebook.column("gender")
    values = pd.Series(["1", "2", "1\x00x", "1"], index=[1, 2, 3, 4], dtype=object)
    with pytest.raises(InputDataError) as info:
        _parse_codes(values, col, "gender", "x.csv", {})
    assert (info.value.row, info.value.value) == (3, "1\x00x")
    assert _parse_codes(values.drop(3), col, "gender", "x.csv", {}).tolist() == [1, 2, 1]
    assert _map_distinct(values, repr).tolist() == ["'1'", "'2'", "'1\\x00x'", "'1'"]
