"""A generated set of malformed exports (CSV, xlsx, sav) run through the command line.

Every case must end with exit status 2, one message naming the file (and the sheet, row, column
and value where they apply), no traceback, and no output folder. The exports are generated here,
in ``tmp_path``, from the fixture export of ``conftest.py``.
"""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from dataclasses import replace as dataclasses_replace
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import FIXTURES, REPO, fixture_frame, numeric_frame, write_sav

from mhsurvey.cli import main


def _csv(df: pd.DataFrame, path: Path, sep: str = ";", encoding: str = "utf-8") -> Path:
    df.to_csv(path, sep=sep, index=False, encoding=encoding, lineterminator="\n")
    return path


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _header(sep: str = ";") -> str:
    return sep.join(fixture_frame().columns)


def _large(n: int = 1500) -> pd.DataFrame:
    """The fixture repeated with unique ids: more than 131,072 characters of CSV."""
    base = fixture_frame()
    parts = []
    for k in range(n // len(base) + 1):
        part = base.copy()
        part["respondent_id"] = [str(10000 + k * 100 + i) for i in range(len(base))]
        parts.append(part)
    return pd.concat(parts, ignore_index=True).head(n)


def unclosed_quote_large(tmp: Path) -> Path:
    df = _large()
    path = _csv(df, tmp / "big.csv")
    lines = path.read_text(encoding="utf-8").split("\n")
    fields = lines[7].split(";")  # data row 7
    fields[-1] = '"Dette svaret har et anførselstegn som aldri lukkes'
    lines[7] = ";".join(fields)
    path.write_text("\n".join(lines), encoding="utf-8")
    assert len(path.read_text(encoding="utf-8")) > 131072
    return path


def quote_closed_much_later(tmp: Path) -> Path:
    path = _csv(fixture_frame(), tmp / "late.csv")
    lines = path.read_text(encoding="utf-8").split("\n")
    f4 = lines[4].split(";")
    f4[9] = '"åpnet her'  # incidents_other_text of data row 4
    lines[4] = ";".join(f4)
    lines[8] = lines[8].replace("h@example.invalid", 'h@example.invalid"')
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def long_field(tmp: Path) -> Path:
    df = fixture_frame()
    df.loc[2, "comment"] = "x" * 140_000  # data row 3
    return _csv(df, tmp / "long.csv")


def stray_cp1252_byte(tmp: Path) -> Path:
    path = _csv(fixture_frame(), tmp / "stray.csv")
    data = path.read_bytes().split(b"\n")
    data[5] = data[5].replace(b"e@example.invalid", b"e@example.invalid") + b""
    fields = data[5].split(b";")
    fields[-1] = "Ærlig talt".encode("cp1252")  # one Windows-1252 byte in a UTF-8 file
    data[5] = b";".join(fields)
    return _bytes(path, b"\n".join(data))


def mixed_encodings(tmp: Path) -> Path:
    df = fixture_frame()
    df["comment"] = ["Første svar på æøå"] * len(df)
    utf8 = df.to_csv(sep=";", index=False, lineterminator="\n").encode("utf-8").split(b"\n")
    cp = df.to_csv(sep=";", index=False, lineterminator="\n").encode("cp1252").split(b"\n")
    return _bytes(tmp / "mixed.csv", b"\n".join(utf8[:4] + cp[4:]))


def cp1252_undefined_byte(tmp: Path) -> Path:
    path = _csv(fixture_frame().assign(comment=""), tmp / "undef.csv", encoding="cp1252")
    data = path.read_bytes().replace(b"d@example.invalid", b"d@ex\x81mple.invalid")
    return _bytes(path, data)


def utf16_broken(tmp: Path) -> Path:
    data = codecs.BOM_UTF16_LE + _header("\t").encode("utf-16-le") + b"\n\x00\x00\xd8"  # lone surrogate
    return _bytes(tmp / "unicode.txt", data)


def edit(row: int, column: str, value: str) -> Callable[[Path], Path]:
    """A fixture export with one cell replaced (``row`` is the 1-based data row)."""

    def build(tmp: Path) -> Path:
        df = fixture_frame()
        df.loc[row - 1, column] = value
        return _csv(df, tmp / f"edit_{column}.csv")

    return build


def ragged(row: int, extra: bool) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        path = _csv(fixture_frame(), tmp / "ragged.csv")
        lines = path.read_text(encoding="utf-8").split("\n")
        lines[row] = lines[row] + ";extra" if extra else lines[row].rsplit(";", 2)[0]
        path.write_text("\n".join(lines), encoding="utf-8")
        return path

    return build


def header_edit(old: str, new: str) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        return _csv(fixture_frame().rename(columns={old: new}), tmp / "header.csv")

    return build


def all_outside_target(tmp: Path) -> Path:
    return _csv(fixture_frame().assign(direct_contact="2"), tmp / "nobody.csv")


def _xlsx(sheets: dict[str, pd.DataFrame], path: Path, header: bool = True) -> Path:
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for name, df in sheets.items():
            df.to_excel(xw, sheet_name=name, index=False, header=header)
    return path


def xlsx_data_on_second_sheet(tmp: Path) -> Path:
    return _xlsx({"Info": pd.DataFrame(), "Data": numeric_frame()}, tmp / "second.xlsx")


def xlsx_cover_sheet(tmp: Path) -> Path:
    cover = pd.DataFrame({"Om filen": ["Eksport fra SurveyXact", "Kartlegging 2023"]})
    return _xlsx({"Forside": cover, "Data": numeric_frame()}, tmp / "cover.xlsx")


def xlsx_edit(row: int, column: str, value: object) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        df = numeric_frame().astype(object)
        df.loc[row - 1, column] = value
        return _xlsx({"Data": df}, tmp / f"edit_{column}.xlsx")

    return build


def xlsx_header_only(tmp: Path) -> Path:
    return _xlsx({"Data": numeric_frame().head(0)}, tmp / "header_only.xlsx")


def xlsx_empty_header_cell(tmp: Path) -> Path:
    df = numeric_frame()
    rows = [list(df.columns)] + df.astype(object).where(df.notna(), None).values.tolist()
    rows[0][2] = None  # header cell C1 empty, its column has data
    return _xlsx({"Data": pd.DataFrame(rows)}, tmp / "no_name.xlsx", header=False)


def xlsx_header_on_row_3(tmp: Path) -> Path:
    path = tmp / "row3.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        numeric_frame().to_excel(xw, sheet_name="Data", index=False, startrow=2, startcol=1)
    return path


def zip_not_workbook(tmp: Path) -> Path:
    path = tmp / "zipped.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("export.csv", "respondent_id;gender\n1;1\n")
    return path


def sav_label_mismatch(tmp: Path) -> Path:
    import pyreadstat

    df = numeric_frame()
    labels = {"gender": {1.0: "Kvinne", 2.0: "Mann", 99.0: "Ønsker ikke svare"}}
    path = tmp / "swapped.sav"
    pyreadstat.write_sav(df, str(path), variable_value_labels=labels)
    return path


def sav_edit(row: int, column: str, value: float) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        import pyreadstat

        df = numeric_frame()
        df.loc[row - 1, column] = value
        path = tmp / f"edit_{column}.sav"
        pyreadstat.write_sav(df, str(path))
        return path

    return build


def sav_zero_rows(tmp: Path) -> Path:
    import pyreadstat

    path = tmp / "empty.sav"
    pyreadstat.write_sav(numeric_frame().head(0), str(path))
    return path


def sav_missing_column(tmp: Path) -> Path:
    import pyreadstat

    path = tmp / "missing.sav"
    pyreadstat.write_sav(numeric_frame().drop(columns=["trust"]), str(path))
    return path


def sav_truncated(tmp: Path) -> Path:
    path = write_sav(tmp / "full.sav")
    data = path.read_bytes()
    return _bytes(tmp / "truncated.sav", data[: len(data) // 2])


@dataclass(frozen=True)
class Case:
    """One malformed export and what the message must say."""

    id: str
    build: Callable[[Path], Path]
    says: tuple[str, ...]
    row: int | None = None
    column: str | None = None
    value: str | None = None
    sheet: str | None = None
    codebook: dict = field(default_factory=dict)  # overrides of the codebook's export block
    cleaning: dict = field(default_factory=dict)  # overrides of the config's cleaning block


CASES = [
    # --- CSV: file-level
    Case("csv_empty_file", lambda t: _bytes(t / "empty.csv", b""), ("the file is empty",)),
    Case(
        "csv_bom_only",
        lambda t: _bytes(t / "bom.csv", codecs.BOM_UTF8 + b"\r\n \r\n"),
        ("the file is empty",),
    ),
    Case(
        "csv_header_only",
        lambda t: _bytes(t / "head.csv", (_header() + "\n").encode()),
        ("header but no data rows",),
        row=1,
    ),
    Case(
        "csv_only_blank_rows",
        lambda t: _bytes(t / "blank.csv", (_header() + "\n" + ";" * 16 + "\n\n").encode()),
        ("no data", "2 row(s) under the header are blank"),
        row=1,
    ),
    Case("csv_sep_line_only", lambda t: _bytes(t / "sep.csv", b"sep=;\r\n"), ("sep=",)),
    Case(
        "csv_zip_renamed",
        lambda t: _bytes(t / "zip.csv", b"PK\x03\x04\x14\x00\x00\x00\x08\x00"),
        ("NUL bytes", "zip archive"),
    ),
    Case(
        "csv_nul_in_cell",
        lambda t: _bytes(
            t / "nul.csv",
            _csv(fixture_frame(), t / "n0.csv").read_bytes().replace(b"g@example", b"g@ex\x00ample"),
        ),
        ("NUL byte",),
        row=7,
        column="email",
    ),
    Case(
        "csv_header_not_on_first_line",
        lambda t: _bytes(t / "late.csv", b"\n\n" + _header().encode() + b"\n1;2\n"),
        ("the first line is empty", "line 3"),
        row=0,
    ),
    Case(
        "csv_no_delimiter",
        lambda t: _bytes(t / "one.csv", b"respondent_id\n101\n102\n"),
        ("cannot find a column delimiter",),
        row=0,
    ),
    # --- CSV: encoding
    Case(
        "csv_stray_cp1252_byte",
        stray_cp1252_byte,
        ("not valid utf-8", "invalid bytes"),
        row=5,
        column="comment",
        value="c6",
    ),
    Case("csv_mixed_encodings", mixed_encodings, ("mixes encodings",), row=4),
    Case(
        "csv_cp1252_undefined_byte",
        cp1252_undefined_byte,
        ("neither valid UTF-8 nor valid Windows-1252",),
        row=4,
        value="81",
    ),
    Case("txt_utf16_broken", utf16_broken, ("UTF-16",)),
    Case(
        "csv_utf8_required",
        lambda t: _csv(fixture_frame(), t / "cp.csv", encoding="cp1252"),
        ("not valid utf-8",),
        row=1,
        column="comment",
        value="f8",
        cleaning={"encoding": "utf-8"},
    ),
    # --- CSV: structure
    Case("csv_ragged_long", ragged(3, extra=True), ("row has 18 fields but the header has 17",), row=3),
    Case("csv_ragged_short", ragged(5, extra=False), ("row has 15 fields but the header has 17",), row=5),
    Case(
        "csv_unclosed_quote_large", unclosed_quote_large, ("never closed", "line 8"), row=7, column="comment"
    ),
    Case(
        "csv_quote_closed_later",
        quote_closed_much_later,
        ("closing quote missing", "incidents_other_text"),
        row=4,
    ),
    Case("csv_field_too_long", long_field, ("140,000 characters", "131,072"), row=3, column="comment"),
    Case(
        "csv_missing_column",
        lambda t: _csv(fixture_frame().drop(columns=["gad7_2"]), t / "m.csv"),
        ("missing required column",),
        row=0,
        column="gad7_2",
    ),
    Case(
        "csv_duplicated_header",
        header_edit("email", "gender"),
        ("duplicated column name",),
        row=0,
        column="gender",
    ),
    Case("csv_empty_header_name", header_edit("email", ""), ("empty column name", "column 4"), row=0),
    Case("csv_unknown_code", edit(7, "gad7_1", "4"), ("unknown code",), row=7, column="gad7_1", value="4"),
    Case("csv_wrong_type", edit(2, "trust", "sju"), ("wrong type",), row=2, column="trust", value="sju"),
    Case(
        "csv_number_too_large",
        edit(3, "gender", "99999999999999999999999"),
        ("too large for a code",),
        row=3,
        column="gender",
        value="99999999999999999999999",
    ),
    Case(
        "csv_label_instead_of_code",
        edit(2, "gender", "Kvinne"),
        ("wrong type", "label of code 2", "export.recode"),
        row=2,
        column="gender",
        value="Kvinne",
    ),
    Case("csv_float_code", edit(4, "gad7_2", "1.5"), ("wrong type",), row=4, column="gad7_2", value="1.5"),
    Case("csv_bad_timestamp", edit(6, "submitted", "i går"), ("not a date-time",), row=6, column="submitted"),
    Case(
        "csv_empty_id",
        edit(9, "respondent_id", ""),
        ("respondent id is empty",),
        row=9,
        column="respondent_id",
    ),
    Case(
        "csv_duplicate_ids_error",
        lambda t: _csv(fixture_frame(), t / "dup.csv"),
        ("duplicated respondent id",),
        row=6,
        column="respondent_id",
        value="105",
        cleaning={"duplicate_ids": "error"},
    ),
    Case(
        "csv_nobody_kept",
        all_outside_target,
        ("no respondent is left", "of 11 data rows", "rule 'target_group' excluded the last 8"),
    ),
    # --- Excel
    Case(
        "xlsx_garbage", lambda t: _bytes(t / "g.xlsx", b"\x00\x01garbage" * 10), ("cannot read Excel file",)
    ),
    Case(
        "xlsx_csv_renamed",
        lambda t: _csv(fixture_frame(), t / "renamed.xlsx"),
        ("not an Excel .xlsx workbook", "CSV"),
    ),
    Case("xlsx_zip_not_workbook", zip_not_workbook, ("cannot read Excel file",)),
    Case(
        "xlsx_data_on_second_sheet",
        xlsx_data_on_second_sheet,
        ("sheet read is empty", "'Data'", "export.sheet"),
        sheet="Info",
    ),
    Case(
        "xlsx_cover_sheet_first",
        xlsx_cover_sheet,
        ("missing required column", "'Data'", "export.sheet"),
        sheet="Forside",
        row=0,
    ),
    Case(
        "xlsx_sheet_not_found",
        xlsx_cover_sheet,
        ("'Svar' is not in the workbook", "'Forside', 'Data'"),
        codebook={"sheet": "Svar"},
    ),
    Case(
        "xlsx_sheet_index_out_of_range",
        xlsx_cover_sheet,
        ("export.sheet 5 does not exist",),
        codebook={"sheet": 5},
    ),
    Case("xlsx_header_only", xlsx_header_only, ("header but no data rows",), sheet="Data"),
    Case(
        "xlsx_unknown_code",
        xlsx_edit(5, "gad7_1", 7),
        ("unknown code",),
        row=5,
        column="gad7_1",
        value="7",
        sheet="Data",
    ),
    Case(
        "xlsx_huge_number",
        xlsx_edit(2, "trust", 1e20),
        ("too large for a code",),
        row=2,
        column="trust",
        sheet="Data",
    ),
    Case(
        "xlsx_text_in_code",
        xlsx_edit(8, "gender", "#N/A"),
        ("wrong type",),
        row=8,
        column="gender",
        value="#N/A",
        sheet="Data",
    ),
    Case("xlsx_header_on_row_3", xlsx_header_on_row_3, ("first row is empty", "row 3"), row=0, sheet="Data"),
    Case(
        "xlsx_empty_header_cell",
        xlsx_empty_header_cell,
        ("empty column name", "column C"),
        row=0,
        sheet="Data",
    ),
    # --- SPSS
    Case(
        "sav_garbage",
        lambda t: _bytes(t / "g.sav", b"$FL2" + b"\x00garbage" * 20),
        ("cannot read SPSS file",),
    ),
    Case("sav_csv_renamed", lambda t: _csv(fixture_frame(), t / "renamed.sav"), ("not an SPSS .sav file",)),
    Case("sav_truncated", sav_truncated, ("cannot read SPSS file",)),
    Case(
        "sav_label_contradicts_codebook",
        sav_label_mismatch,
        ("value label contradicts the codebook", "'Kvinne'", "'Mann'"),
        column="gender",
        value="1",
    ),
    Case("sav_zero_cases", sav_zero_rows, ("header but no data rows",)),
    Case(
        "sav_unknown_code", sav_edit(3, "trust", 42.0), ("unknown code",), row=3, column="trust", value="42.0"
    ),
    Case(
        "sav_fractional_code",
        sav_edit(1, "gender", 1.5),
        ("wrong type",),
        row=1,
        column="gender",
        value="1.5",
    ),
    Case("sav_missing_column", sav_missing_column, ("missing required column",), row=0, column="trust"),
]


def _setup(tmp_path: Path, case: Case) -> tuple[list[str], Path, Path]:
    export = case.build(tmp_path)
    codebook = FIXTURES / "mini_codebook.yaml"
    if case.codebook:
        data = yaml.safe_load(codebook.read_text(encoding="utf-8"))
        data["export"].update(case.codebook)
        codebook = tmp_path / "codebook.yaml"
        codebook.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    # a partial config, deep-merged over config/config.yaml by the CLI
    cfg = {
        "surveys": {
            "mini": {
                "export": str(export),
                "codebook": str(codebook),
                "exclusions": None,
                "target_group": {"column": "direct_contact", "keep": [1]},
            }
        },
        "cleaning": {"pseudonym_key": "test-key-123", **case.cleaning},
    }
    config = tmp_path / "my_wave.yaml"
    config.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    outdir = tmp_path / "out"
    return ["clean", "--survey", "mini", "--config", str(config), "--outdir", str(outdir)], export, outdir


def test_at_least_fifteen_cases_across_formats():
    formats = {c.id.split("_")[0] for c in CASES}
    assert len(CASES) >= 15 and {"csv", "xlsx", "sav"} <= formats
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_export_is_one_located_message(tmp_path, capsys, case):
    argv, export, outdir = _setup(tmp_path, case)
    status = main(argv)
    captured = capsys.readouterr()
    err = captured.err
    assert status == 2, err
    assert "Traceback" not in err and "Traceback" not in captured.out
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert f"file {export}" in err, err
    for text in case.says:
        assert text in err, (text, err)
    if case.row is not None:
        assert f"row {case.row}," in err or f"row {case.row})" in err, err
    if case.column is not None:
        assert f"column {case.column!r}" in err, err
    if case.value is not None:
        assert f"value {case.value!r}" in err or f"value {case.value}" in err, err
    if case.sheet is not None:
        assert f"sheet {case.sheet!r}" in err, err
    assert not outdir.exists()


@pytest.mark.parametrize(
    "case_id",
    [
        "csv_unclosed_quote_large",
        "xlsx_data_on_second_sheet",
        "sav_label_contradicts_codebook",
        "csv_nobody_kept",
    ],
)
def test_malformed_through_python_m_mhsurvey(tmp_path, case_id):
    """The real entry point (``python -m mhsurvey``): exit 2, no traceback, nothing written."""
    case = next(c for c in CASES if c.id == case_id)
    argv, export, outdir = _setup(tmp_path, case)
    env = {**os.environ, "PYTHONPATH": str(REPO / "workflow")}
    proc = subprocess.run(
        [sys.executable, "-m", "mhsurvey", *argv], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert str(export) in proc.stderr and case.says[0] in proc.stderr
    assert not outdir.exists()


def test_internal_error_is_exit_1_not_0(tmp_path, capsys, monkeypatch):
    """A bug (not bad input) is reported as an internal error with status 1, never 0."""
    import mhsurvey.cli as cli

    def boom(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(cli, "clean_survey", boom)
    argv, _, outdir = _setup(tmp_path, CASES[0])
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "internal error" in err and "ZeroDivisionError" in err and "Traceback" not in err
    assert not outdir.exists()


def test_unwritable_output_folder_is_exit_2_and_changes_nothing(tmp_path, capsys, monkeypatch):
    """Disk full or no permission while writing: one message, status 2, nothing half-written."""
    from conftest import write_csv_variant

    import mhsurvey.io as mio

    good = dataclasses_replace(CASES[0], build=lambda t: write_csv_variant(t / "good.csv"))
    argv, _, outdir = _setup(tmp_path, good)

    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(mio, "write_json", full)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "cannot write the outputs" in err and "No space left on device" in err and "Traceback" not in err
    assert not outdir.exists()
