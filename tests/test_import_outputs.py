"""All-or-nothing writes (mhsurvey.io.atomic_outputs) and spreadsheet-safe text (CSV injection)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from conftest import fixture_frame, write_csv_variant

import mhsurvey.io as mio
from mhsurvey.clean import clean_survey, write_clean_result
from mhsurvey.cli import CLEAN_OUTPUTS
from mhsurvey.io import OutputsNotWritten, atomic_outputs, neutralise_formula, neutralise_formulas, write_csv


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _all_entries(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.fixture
def old_outputs(tmp_path, mini_codebook, mini_settings):
    """A complete earlier run in tmp_path/out, and a different new result to write over it."""
    out = tmp_path / "out"
    paths = {k: out / v for k, v in CLEAN_OUTPUTS.items()}
    write_clean_result(
        clean_survey(write_csv_variant(tmp_path / "old.csv"), mini_codebook, mini_settings),
        mini_codebook,
        paths,
    )
    df = fixture_frame()
    df.loc[0, "gad7_1"] = "3"
    new_export = tmp_path / "new.csv"
    df.to_csv(new_export, index=False)
    new = clean_survey(new_export, mini_codebook, mini_settings)
    return out, paths, new


@pytest.mark.parametrize("fail_at", [1, 3, 5])
def test_failure_part_way_leaves_old_outputs_and_no_debris(old_outputs, mini_codebook, monkeypatch, fail_at):
    out, paths, new = old_outputs
    before = _snapshot(out)
    entries = _all_entries(out)
    real = mio.write_csv
    calls = {"n": 0}

    def flaky(df, path, **kwargs):
        calls["n"] += 1
        if calls["n"] == fail_at:
            raise OSError(28, "No space left on device")
        real(df, path, **kwargs)

    monkeypatch.setattr(mio, "write_csv", flaky)
    with pytest.raises(OSError, match="No space left"):
        write_clean_result(new, mini_codebook, paths)
    assert _snapshot(out) == before  # every old file byte for byte, none new
    assert _all_entries(out) == entries  # no .staging-* folder, no .tmp file


def test_success_replaces_every_file(old_outputs, mini_codebook):
    out, paths, new = old_outputs
    before = _snapshot(out)
    write_clean_result(new, mini_codebook, paths)
    after = _snapshot(out)
    assert set(after) == set(before)
    assert after["responses.csv"] != before["responses.csv"]
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]


def test_failure_on_a_fresh_folder_leaves_nothing(tmp_path, mini_codebook, mini_settings, monkeypatch):
    result = clean_survey(write_csv_variant(tmp_path / "e.csv"), mini_codebook, mini_settings)
    out = tmp_path / "fresh" / "01_clean"

    def fail_json(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(mio, "write_json", fail_json)
    with pytest.raises(PermissionError):
        write_clean_result(result, mini_codebook, {k: out / v for k, v in CLEAN_OUTPUTS.items()})
    assert not (tmp_path / "fresh").exists()


def test_failure_while_moving_into_place_rolls_back(tmp_path, monkeypatch):
    out = tmp_path / "o"
    targets = [out / "a.csv", out / "sub" / "b.csv", out / "c.json"]
    for i, t in enumerate(targets):
        t.parent.mkdir(parents=True, exist_ok=True)
        t.write_text(f"old {i}\n")
    before = _snapshot(out)
    real_replace = os.replace

    def replace(src, dst):
        if Path(dst) == targets[2].absolute() and ".staging-" in str(src) and "/new/" in str(src):
            raise OSError(5, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(mio.os, "replace", replace)
    with pytest.raises(OSError, match="Input/output"):
        with atomic_outputs(targets) as tmp:
            for i, t in enumerate(tmp):
                Path(t).write_text(f"new {i}\n")
    assert _snapshot(out) == before
    assert not list(out.glob(".staging-*"))


def test_atomic_outputs_mapping_and_missing_output(tmp_path):
    out = tmp_path / "x"
    with atomic_outputs({"t": out / "t.csv", "s": out / "deep" / "s.json"}) as tmp:
        assert set(tmp) == {"t", "s"} and ".staging-" in str(tmp["t"])
        write_csv(pd.DataFrame({"a": [1]}), tmp["t"])
        mio.write_json({"k": 1}, tmp["s"])
    assert (out / "t.csv").read_text() == "a\n1\n" and (out / "deep" / "s.json").exists()
    before = _snapshot(out)
    with pytest.raises(OutputsNotWritten, match="s.json"):
        with atomic_outputs({"t": out / "t.csv", "s": out / "deep" / "s.json"}) as tmp:
            write_csv(pd.DataFrame({"a": [2]}), tmp["t"])
    assert _snapshot(out) == before
    with pytest.raises(ValueError, match="twice"):
        with atomic_outputs([out / "t.csv", out / "t.csv"]):
            pass


@pytest.mark.parametrize(
    "value, expected",
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+47 99 88 77 66", "'+47 99 88 77 66"),
        ("-kjempebra", "'-kjempebra"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("-", "'-"),
        ("-1+1", "'-1+1"),
        ("-3", "-3"),
        ("+1.5", "+1.5"),
        ("-2e3", "-2e3"),
        (" =1", " =1"),
        ("a=b", "a=b"),
        ("", ""),
        (-3, -3),
        (None, None),
    ],
)
def test_neutralise_formula(value, expected):
    assert neutralise_formula(value) == expected


def test_neutralise_formulas_touches_text_columns_only():
    df = pd.DataFrame(
        {
            "n": pd.array([-1, 2, None], dtype="Int64"),
            "f": [-1.5, 0.0, 2.0],
            "i": [-3, -4, 5],
            "t": ["=1+1", "-2", None],
            "s": pd.array(["@x", "ok", None], dtype="string"),
        }
    )
    out = neutralise_formulas(df)
    for c in ("n", "f", "i"):
        pd.testing.assert_series_equal(out[c], df[c])
    assert out["t"].tolist() == ["'=1+1", "-2", None]
    assert out["s"].tolist()[:2] == ["'@x", "ok"] and out["s"].dtype == df["s"].dtype
    assert df["t"].tolist()[0] == "=1+1"  # the input is not modified


def test_clean_outputs_are_spreadsheet_safe(tmp_path, mini_codebook, mini_settings):
    from dataclasses import replace

    df = fixture_frame()
    df.loc[0, "comment"] = '=HYPERLINK("http://evil.invalid","klikk")'
    df.loc[6, "incidents_other_text"] = "-ble dyttet"
    export = tmp_path / "inj.csv"
    df.to_csv(export, index=False)
    settings = replace(mini_settings, exclusions=(("111", "@trakk samtykket"),))
    result = clean_survey(export, mini_codebook, settings)
    out = tmp_path / "out"
    write_clean_result(result, mini_codebook, {k: out / v for k, v in CLEAN_OUTPUTS.items()})
    comments = pd.read_csv(out / "restricted" / "comments.csv", dtype=str)
    assert '\'=HYPERLINK("http://evil.invalid","klikk")' in set(comments["text"])
    assert "'-ble dyttet" in set(comments["text"])
    excl = pd.read_csv(out / "exclusions.csv", dtype=str).set_index("raw_row")
    assert excl.loc["11", "detail"] == "'@trakk samtykket"
    # codes and numbers are untouched
    pd.testing.assert_frame_equal(
        pd.read_csv(out / "responses.csv", dtype={"rid": "string"}).astype(
            {c: "Int64" for c in result.responses.columns if c != "rid"}
        ),
        result.responses,
    )
    assert not any(str(v).startswith("'") for v in pd.read_csv(out / "flags.csv", dtype=str).stack())
