"""Exports that write a text mark for "no answer" (R's ``NA``, SPSS's ``#NULL!``): listed under
``export.missing_values`` they read exactly as empty cells, counted per column in the summary;
not listed, the run stops at the first such cell with a hint (mhsurvey.clean)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import FIXTURES, fixture_frame, numeric_frame

from mhsurvey.clean import blank_missing_values, clean_survey
from mhsurvey.codebook import load_codebook, parse_codebook
from mhsurvey.errors import ConfigError, InputDataError


def _codebook(**export):
    data = yaml.safe_load((FIXTURES / "mini_codebook.yaml").read_text(encoding="utf-8"))
    data["export"].update(export)
    return parse_codebook(data, "mini-missing")


def test_blank_missing_values_hand_example():
    frame = pd.DataFrame(
        {
            "id": ["NA", "2", "3", "4"],
            "a": ["1", "NA", " na ", None],
            "b": [1.0, np.nan, 3.0, 4.0],  # numbers are never tokens
            "c": ["#NULL!", "x", "#null!", "NA"],
        },
        dtype=object,
    )
    out, counts = blank_missing_values(frame, ("NA", "#NULL!"), skip=("id",))
    assert counts == {"a": 2, "c": 3}
    assert out["id"].tolist() == ["NA", "2", "3", "4"]  # the id column is skipped
    assert out["a"].tolist() == ["1", None, None, None]
    assert out["c"].tolist() == [None, "x", None, None]
    assert out["b"].tolist()[0] == 1.0 and np.isnan(out["b"].tolist()[1])
    assert frame["a"].tolist() == ["1", "NA", " na ", None]  # input untouched
    same, none = blank_missing_values(frame, ())
    assert same is frame and none == {}


def _with_marks(frame: pd.DataFrame, mark: str) -> tuple[pd.DataFrame, int]:
    """The fixture with ``mark`` in every empty cell of the columns after the id; how many."""
    out = frame.copy()
    n = 0
    for col in out.columns[1:]:
        empty = out[col] == ""
        out.loc[empty, col] = mark
        n += int(empty.sum())
    return out, n


@pytest.mark.parametrize("mark", ["NA", "#NULL!"])
def test_listed_marks_read_exactly_as_empty_cells(tmp_path, mini_codebook, mini_settings, mark):
    blank = tmp_path / "blank.csv"
    fixture_frame().to_csv(blank, index=False)
    marked_frame, n_marks = _with_marks(fixture_frame(), mark)
    assert n_marks > 20
    marked = tmp_path / "marked.csv"
    marked_frame.to_csv(marked, index=False)
    expected = clean_survey(blank, mini_codebook, mini_settings)
    got = clean_survey(marked, _codebook(missing_values=[mark]), mini_settings)
    pd.testing.assert_frame_equal(got.responses, expected.responses)
    pd.testing.assert_frame_equal(got.exclusions, expected.exclusions)
    pd.testing.assert_frame_equal(got.flags, expected.flags)
    cells = got.summary["export"]["missing_value_cells"]
    assert sum(cells.values()) == n_marks
    assert cells == {c: int((fixture_frame()[c] == "").sum()) for c in cells}
    assert got.summary["export"]["missing_values"] == [mark]
    assert expected.summary["export"]["missing_value_cells"] == {}


def test_marks_in_an_excel_export_read_as_empty(tmp_path, mini_codebook, mini_settings):
    frame = numeric_frame().astype(object)
    frame.loc[0, "gender"] = "NA"  # a text cell in a numeric column, as an R-written workbook has
    path = tmp_path / "marked.xlsx"
    frame.to_excel(path, index=False, engine="openpyxl")
    plain = tmp_path / "plain.xlsx"
    numeric_frame().assign(gender=numeric_frame()["gender"].where(frame.index != 0)).to_excel(
        plain, index=False, engine="openpyxl"
    )
    got = clean_survey(path, _codebook(missing_values=["NA"]), mini_settings)
    expected = clean_survey(plain, mini_codebook, mini_settings)
    pd.testing.assert_frame_equal(got.responses, expected.responses)
    assert got.summary["export"]["missing_value_cells"] == {"gender": 1}


def test_an_unlisted_mark_stops_the_run_with_a_hint(tmp_path, mini_codebook, mini_settings):
    marked_frame, _ = _with_marks(fixture_frame(), "NA")
    path = tmp_path / "marked.csv"
    marked_frame.to_csv(path, index=False)
    with pytest.raises(InputDataError) as err:
        clean_survey(path, mini_codebook, mini_settings)
    msg = str(err.value)
    assert "list it under export.missing_values" in msg and "value 'NA'" in msg
    assert f"file {path}" in msg and "row " in msg and "column '" in msg


def test_an_other_text_gets_no_missing_value_hint(tmp_path, mini_codebook, mini_settings):
    frame = fixture_frame()
    frame.loc[0, "gender"] = "banana"
    path = tmp_path / "odd.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InputDataError) as err:
        clean_survey(path, mini_codebook, mini_settings)
    assert "missing_values" not in str(err.value) and "value 'banana'" in str(err.value)


@pytest.mark.parametrize("token, why", [("-99", "is a number"), ("98", "is a number"), ("  ", "is blank")])
def test_numeric_or_blank_tokens_are_refused(token, why):
    with pytest.raises(ConfigError, match=rf"export.missing_values: '{token}' {why}"):
        _codebook(missing_values=[token])


def test_the_schema_describes_the_key(tmp_path):
    data = yaml.safe_load((FIXTURES / "mini_codebook.yaml").read_text(encoding="utf-8"))
    data["export"]["missing_values"] = "NA"  # a list is required
    path = tmp_path / "cb.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"export\.missing_values"):
        load_codebook(path)
