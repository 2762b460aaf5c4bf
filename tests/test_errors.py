"""Structural problems stop the run with one message naming file, row, column and value."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, fixture_frame, write_csv_variant

from mhsurvey.clean import clean_survey
from mhsurvey.cli import main
from mhsurvey.codebook import load_codebook, parse_codebook
from mhsurvey.config import validate_config
from mhsurvey.errors import ConfigError, InputDataError


def _write(df, path: Path, sep=",", encoding="utf-8") -> Path:
    df.to_csv(path, sep=sep, index=False, encoding=encoding)
    return path


def _err(path, codebook, settings) -> InputDataError:
    with pytest.raises(InputDataError) as info:
        clean_survey(path, codebook, settings)
    return info.value


def test_missing_required_column(tmp_path, mini_codebook, mini_settings):
    e = _err(
        _write(fixture_frame().drop(columns=["gad7_2"]), tmp_path / "x.csv"), mini_codebook, mini_settings
    )
    assert (e.column, e.row) == ("gad7_2", 0)
    assert "missing required column" in str(e) and "x.csv" in str(e)


def test_unknown_code(tmp_path, mini_codebook, mini_settings):
    df = fixture_frame()
    df.loc[6, "gad7_1"] = "4"  # data row 7
    e = _err(_write(df, tmp_path / "x.csv"), mini_codebook, mini_settings)
    assert (e.row, e.column, e.value) == (7, "gad7_1", "4")
    assert str(e).startswith("unknown code")


def test_wrong_type(tmp_path, mini_codebook, mini_settings):
    df = fixture_frame()
    df.loc[1, "trust"] = "seven"
    e = _err(_write(df, tmp_path / "x.csv"), mini_codebook, mini_settings)
    assert (e.row, e.column, e.value) == (2, "trust", "seven")
    assert "wrong type" in str(e)


def test_numeric_out_of_range(tmp_path, mini_codebook, mini_settings):
    df = fixture_frame()
    df.loc[0, "trust"] = "11"
    e = _err(_write(df, tmp_path / "x.csv"), mini_codebook, mini_settings)
    assert (e.row, e.column, e.value) == (1, "trust", "11")


def test_duplicate_ids_error_when_configured(tmp_path, mini_codebook, mini_settings):
    e = _err(
        write_csv_variant(tmp_path / "x.csv"), mini_codebook, replace(mini_settings, duplicate_ids="error")
    )
    assert (e.row, e.column, e.value) == (6, "respondent_id", "105")
    assert "duplicated respondent id" in str(e)


def test_empty_id(tmp_path, mini_codebook, mini_settings):
    df = fixture_frame()
    df.loc[2, "respondent_id"] = ""
    e = _err(_write(df, tmp_path / "x.csv"), mini_codebook, mini_settings)
    assert (e.row, e.column) == (3, "respondent_id")


def test_bad_encoding_when_utf8_required(tmp_path, mini_codebook, mini_settings):
    path = write_csv_variant(tmp_path / "x.csv", ";", "cp1252")
    e = _err(path, mini_codebook, replace(mini_settings, encoding="utf-8"))
    assert "not valid utf-8" in str(e)
    assert e.row == 1  # the first data row holds "ø" in cp1252
    assert e.value == "f8"  # the byte of "ø" in Windows-1252


def test_ragged_row(tmp_path, mini_codebook, mini_settings):
    path = write_csv_variant(tmp_path / "x.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3] + ",extra"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    e = _err(path, mini_codebook, mini_settings)
    assert e.row == 3 and "fields" in str(e)


def test_missing_and_unsupported_files(tmp_path, mini_codebook, mini_settings):
    assert "does not exist" in str(_err(tmp_path / "nope.csv", mini_codebook, mini_settings))
    odd = tmp_path / "x.json"
    odd.write_text("{}", encoding="utf-8")
    assert "unsupported export format" in str(_err(odd, mini_codebook, mini_settings))
    broken = tmp_path / "x.xlsx"
    broken.write_bytes(b"not a zip file")
    assert "cannot read Excel file" in str(_err(broken, mini_codebook, mini_settings))
    broken_sav = tmp_path / "x.sav"
    broken_sav.write_bytes(b"garbage")
    assert "cannot read SPSS file" in str(_err(broken_sav, mini_codebook, mini_settings))


def _mini_config(tmp_path: Path, export: Path) -> Path:
    cfg = yaml.safe_load(
        (Path(__file__).resolve().parents[1] / "config" / "config.yaml").read_text(encoding="utf-8")
    )
    cfg["surveys"] = {
        "mini": {
            "export": str(export),
            "codebook": str(FIXTURES / "mini_codebook.yaml"),
            "exclusions": None,
            "target_group": {"column": "direct_contact", "keep": [1]},
        }
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def test_cli_exit_code_and_no_partial_output(tmp_path, capsys):
    df = fixture_frame()
    df.loc[6, "gad7_1"] = "4"
    export = _write(df, tmp_path / "bad.csv")
    outdir = tmp_path / "out"
    status = main(
        [
            "clean",
            "--survey",
            "mini",
            "--config",
            str(_mini_config(tmp_path, export)),
            "--outdir",
            str(outdir),
        ]
    )
    assert status == 2
    err = capsys.readouterr().err
    assert (
        "unknown code" in err and "bad.csv" in err and "row 7" in err and "'gad7_1'" in err and "'4'" in err
    )
    assert not outdir.exists()


def test_cli_success(tmp_path, capsys):
    export = write_csv_variant(tmp_path / "good.csv")
    status = main(
        [
            "clean",
            "--survey",
            "mini",
            "--config",
            str(_mini_config(tmp_path, export)),
            "--outdir",
            str(tmp_path / "out"),
        ]
    )
    assert status == 0
    assert "kept 7" in capsys.readouterr().out
    assert (tmp_path / "out" / "responses.csv").exists()


def test_config_unknown_key_named():
    cfg = yaml.safe_load(
        (Path(__file__).resolve().parents[1] / "config" / "config.yaml").read_text(encoding="utf-8")
    )
    cfg["cleaning"]["duplicate_idz"] = "error"
    with pytest.raises(ConfigError, match="duplicate_idz"):
        validate_config(cfg)


def test_config_wrong_type_named():
    cfg = yaml.safe_load(
        (Path(__file__).resolve().parents[1] / "config" / "config.yaml").read_text(encoding="utf-8")
    )
    cfg["cleaning"]["incomplete"]["min_required_share"] = "high"
    with pytest.raises(ConfigError, match=r"cleaning\.incomplete\.min_required_share"):
        validate_config(cfg)


def test_codebook_errors_named():
    data = yaml.safe_load((FIXTURES / "mini_codebook.yaml").read_text(encoding="utf-8"))
    data["questions"][3]["items"][0]["routing"] = "incidents_threath == 1"
    with pytest.raises(ConfigError, match="incidents_threath"):
        parse_codebook(data, "mini")
    data = yaml.safe_load((FIXTURES / "mini_codebook.yaml").read_text(encoding="utf-8"))
    data["questions"][0]["type"] = "singel"
    with pytest.raises(ConfigError, match=r"questions\.0\.type"):
        parse_codebook(data, "mini")
    data = yaml.safe_load((FIXTURES / "mini_codebook.yaml").read_text(encoding="utf-8"))
    data["questions"][1]["values"] = "yes_no"
    with pytest.raises(ConfigError, match="unknown value set 'yes_no'"):
        parse_codebook(data, "mini")


def test_real_codebooks_load():
    repo = Path(__file__).resolve().parents[1]
    for survey in ("current", "former"):
        path = repo / "config" / "codebook" / f"{survey}.yaml"
        if not path.exists():
            pytest.skip("codebook not written yet")
        cb = load_codebook(path)
        for col in (
            "gender",
            "region",
            "form",
            "security",
            "tenure",
            "leader_role",
            "direct_contact",
            "trust",
        ):
            assert cb.has_column(col), (survey, col)
        assert cb.instrument_items("gad7") == [f"gad7_{i}" for i in range(1, 8)]
        assert cb.instrument_items("wsas") == [f"wsas_{i}" for i in range(1, 6)]
