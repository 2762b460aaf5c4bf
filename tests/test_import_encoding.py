"""Encoding decided per file from evidence; UTF-16 and Excel's ``sep=`` line; located bad bytes."""

from __future__ import annotations

import codecs
from dataclasses import replace

import pandas as pd
import pytest
from conftest import fixture_frame, write_csv_variant

from mhsurvey.clean import clean_export, clean_survey
from mhsurvey.errors import InputDataError
from mhsurvey.readers import decode_bytes, read_export

COMMENTS = {
    "Bra undersøkelse, særlig spørsmålene om støtte på jobben.",
    "Spørsmålene om søvn var vanskelige å svare på.",
    "Ærlig talt: ønsker mer oppfølging.",
}


def _text(sep: str = ";") -> str:
    return fixture_frame().to_csv(sep=sep, index=False, lineterminator="\r\n")


def _with_stray_byte(tmp_path, rows=(5,)):
    """UTF-8 export in which the given data rows' comment holds one Windows-1252 byte."""
    lines = _text().encode("utf-8").split(b"\r\n")
    for r in rows:
        fields = lines[r].split(b";")
        fields[-1] = b"Caf" + "é".encode("cp1252") + " på jobben".encode()
        lines[r] = b";".join(fields)
    path = tmp_path / "stray.csv"
    path.write_bytes(b"\r\n".join(lines))
    return path


def _reference(tmp_path, codebook, settings):
    return clean_survey(write_csv_variant(tmp_path / "ref.csv"), codebook, settings)


def test_one_stray_byte_does_not_turn_the_file_into_windows_1252(tmp_path, mini_codebook, mini_settings):
    path = _with_stray_byte(tmp_path)
    with pytest.raises(InputDataError) as info:
        read_export(path)
    e = info.value
    assert (e.row, e.column, e.value) == (5, "comment", "e9") and "utf-8" in str(e)
    raw = read_export(path, invalid_bytes="replace")
    assert raw.encoding == "utf-8"
    assert raw.invalid_bytes == ({"row": 5, "column": "comment", "bytes": "e9"},)
    result = clean_export(raw, mini_codebook, replace(mini_settings, invalid_bytes="replace"))
    texts = set(result.comments["text"])
    assert COMMENTS <= texts  # every æøå elsewhere survives: no mojibake
    assert not any("Ã" in t for t in texts)
    assert result.summary["export"]["invalid_bytes"] == [{"row": 5, "column": "comment", "bytes": "e9"}]
    pd.testing.assert_frame_equal(
        result.responses, _reference(tmp_path, mini_codebook, mini_settings).responses
    )


def test_several_bad_bytes_are_all_located(tmp_path):
    path = _with_stray_byte(tmp_path, rows=(1, 7))
    with pytest.raises(InputDataError, match="2 cell") as info:
        read_export(path)
    assert info.value.row == 1
    raw = read_export(path, invalid_bytes="replace")
    assert [(b["row"], b["column"]) for b in raw.invalid_bytes] == [(1, "comment"), (7, "comment")]
    assert raw.frame.loc[7, "comment"] == "Caf\ufffd på jobben"


def test_windows_1252_file_is_still_detected(tmp_path):
    path = tmp_path / "nb.csv"
    path.write_bytes(_text().encode("cp1252"))
    raw = read_export(path)
    assert raw.encoding == "cp1252" and set(raw.frame["comment"].dropna()) == COMMENTS


def test_decode_bytes_evidence():
    assert decode_bytes("æøå;x".encode(), "f").encoding == "utf-8"
    assert decode_bytes(codecs.BOM_UTF8 + "æøå".encode(), "f").encoding == "utf-8-sig"
    assert decode_bytes("æøå".encode("cp1252"), "f").encoding == "cp1252"
    mostly = decode_bytes("æøå æøå ".encode() + b"\xe9", "f")
    assert mostly.encoding == "utf-8" and mostly.has_invalid
    with pytest.raises(InputDataError, match="mixes encodings"):
        decode_bytes("ø".encode() + "æøå".encode("cp1252"), "f")


@pytest.mark.parametrize(
    "name, data, encoding",
    [
        ("le_bom", codecs.BOM_UTF16_LE + _text("\t").encode("utf-16-le"), "utf-16"),
        ("be_bom", codecs.BOM_UTF16_BE + _text("\t").encode("utf-16-be"), "utf-16"),
        ("le_no_bom", _text("\t").encode("utf-16-le"), "utf-16-le"),
        ("be_no_bom", _text("\t").encode("utf-16-be"), "utf-16-be"),
        ("utf32", codecs.BOM_UTF32_LE + _text("\t").encode("utf-32-le"), "utf-32"),
    ],
)
def test_utf16_unicode_text_is_read(tmp_path, mini_codebook, mini_settings, name, data, encoding):
    """Excel's "Unicode text" (UTF-16 LE with BOM, tab-separated) and its BOM-less cousins."""
    path = tmp_path / f"{name}.txt"
    path.write_bytes(data)
    raw = read_export(path)
    assert (raw.encoding, raw.delimiter) == (encoding, "\t")
    result = clean_export(raw, mini_codebook, mini_settings)
    assert COMMENTS <= set(result.comments["text"])
    pd.testing.assert_frame_equal(
        result.responses, _reference(tmp_path, mini_codebook, mini_settings).responses
    )


def test_utf16_by_configuration(tmp_path):
    path = tmp_path / "u.csv"
    path.write_bytes(_text(";").encode("utf-16-le"))
    assert read_export(path, "utf-16").encoding == "utf-16-le"


@pytest.mark.parametrize("sep, line", [(";", "sep=;"), (",", "sep=,"), ("\t", "sep=\t"), (";", '"sep=;"')])
def test_excel_sep_line(tmp_path, mini_codebook, mini_settings, sep, line):
    path = tmp_path / "sep.csv"
    path.write_text(line + "\r\n" + _text(sep), encoding="utf-8")
    raw = read_export(path)
    assert raw.delimiter == sep and raw.sep_line
    result = clean_export(raw, mini_codebook, mini_settings)
    ref = _reference(tmp_path, mini_codebook, mini_settings)
    pd.testing.assert_frame_equal(result.responses, ref.responses)
    # raw rows are numbered from the header, as without the sep= line
    pd.testing.assert_frame_equal(result.exclusions, ref.exclusions)


def test_sep_line_wins_over_sniffing(tmp_path):
    """A header holding commas inside names would be sniffed wrongly; the sep= line decides."""
    path = tmp_path / "s.csv"
    path.write_text("sep=;\na,b;c\n1;2\n", encoding="utf-8")
    raw = read_export(path)
    assert list(raw.frame.columns) == ["a,b", "c"]
