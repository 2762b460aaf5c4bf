"""Reading raw survey exports (CSV, Excel .xlsx, SPSS .sav) into one raw table of cells.

Every reader returns a :class:`RawExport` whose ``frame`` has the export's own column names and
one row per data row, with cells as Python objects (``str`` for CSV, numbers/strings for Excel and
SPSS) and ``None`` for empty cells. Mapping onto canonical columns and validating codes happens in
:mod:`mhsurvey.clean`, identically for every format.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import InputDataError

CSV_DELIMITERS = (";", ",", "\t")


@dataclass(frozen=True)
class RawExport:
    """A raw export as read from disk, before any mapping or validation.

    ``frame.index`` holds the 1-based data row number of each row in the file (header = row 0),
    which every error message and ``exclusions.csv`` use.
    """

    path: str
    format: str
    frame: pd.DataFrame
    sha256: str
    encoding: str | None = None
    delimiter: str | None = None
    value_labels: dict[str, dict[Any, str]] = field(default_factory=dict)


def file_sha256(path: str | Path) -> str:
    """SHA-256 hex digest of a file's bytes (recorded in the cleaning summary)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _decode_error(path: str, data: bytes, exc: UnicodeDecodeError, encoding: str) -> InputDataError:
    line = data.count(b"\n", 0, exc.start)  # 0-based line = data row number (header is line 0)
    bad = data[exc.start : exc.end]
    return InputDataError(
        f"file is not valid {encoding} text (byte {exc.start})",
        file=path,
        row=line,
        value=bad.hex(" "),
    )


def decode_bytes(data: bytes, path: str, encoding: str = "auto") -> tuple[str, str]:
    """Decode CSV bytes; return ``(text, encoding_used)``.

    ``auto`` tries UTF-8 (a BOM is accepted) and falls back to Windows-1252, the encoding
    Norwegian Excel uses for "CSV (semikolonseparert)". An explicit encoding that fails raises
    :class:`InputDataError` naming the row and the offending bytes.
    """
    candidates = ["utf-8-sig", "cp1252"] if encoding == "auto" else [encoding]
    last: UnicodeDecodeError | None = None
    for enc in candidates:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError as exc:
            last = exc
    assert last is not None
    raise _decode_error(path, data, last, candidates[-1])


def sniff_delimiter(header_line: str, path: str) -> str:
    """Pick the delimiter (``;``, ``,`` or tab) that splits the header line into most fields."""
    counts = {d: header_line.count(d) for d in CSV_DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        raise InputDataError(
            "cannot find a column delimiter (';', ',' or tab) in the header line",
            file=path,
            row=0,
            value=header_line[:80],
        )
    return best


def read_csv_export(path: str | Path, encoding: str = "auto") -> RawExport:
    """Read a delimited text export (comma, semicolon or tab; UTF-8 or Windows-1252)."""
    spath = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputDataError(f"cannot read file: {exc.strerror}", file=spath) from exc
    text, used = decode_bytes(data, spath, encoding)
    if "\x00" in text:
        raise InputDataError("file contains NUL bytes; is it a binary file?", file=spath)
    header = text.split("\n", 1)[0].rstrip("\r")
    delim = sniff_delimiter(header, spath)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    rows = list(reader)
    if not rows:
        raise InputDataError("file is empty", file=spath)
    columns = [c.strip() for c in rows[0]]
    _check_header(columns, spath)
    body: list[list[Any]] = []
    row_numbers: list[int] = []
    for i, row in enumerate(rows[1:], start=1):
        if not row or all(not c.strip() for c in row):
            continue
        row_numbers.append(i)
        if len(row) != len(columns):
            raise InputDataError(
                f"row has {len(row)} fields but the header has {len(columns)}",
                file=spath,
                row=i,
            )
        body.append([c if c.strip() != "" else None for c in row])
    frame = pd.DataFrame(body, columns=columns, dtype=object, index=pd.Index(row_numbers, name="raw_row"))
    return RawExport(spath, "csv", frame, file_sha256(path), encoding=used, delimiter=delim)


def _check_header(columns: list[str], path: str) -> None:
    seen: set[str] = set()
    for col in columns:
        if not col:
            raise InputDataError("empty column name in the header", file=path, row=0)
        if col in seen:
            raise InputDataError("duplicated column name in the header", file=path, row=0, column=col)
        seen.add(col)


def _clean_cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str) and value.strip() == "":
        return None
    if isinstance(value, pd.Timestamp) or hasattr(value, "isoformat"):
        return pd.Timestamp(value).isoformat()
    return value


def read_excel_export(path: str | Path) -> RawExport:
    """Read the first sheet of an .xlsx export (openpyxl); the first row is the header."""
    spath = str(path)
    try:
        frame = pd.read_excel(path, sheet_name=0, dtype=object, engine="openpyxl", header=0)
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise InputDataError(f"cannot read Excel file: {exc}", file=spath) from exc
    columns = [str(c).strip() for c in frame.columns]
    _check_header(columns, spath)
    frame.columns = columns
    frame = frame.map(_clean_cell).astype(object)
    frame = frame.dropna(how="all")
    frame.index = pd.Index(frame.index + 1, name="raw_row")
    return RawExport(spath, "xlsx", frame, file_sha256(path))


def read_spss_export(path: str | Path) -> RawExport:
    """Read an SPSS .sav export with pyreadstat, keeping codes and user-missing values.

    ``user_missing=True`` keeps user-defined missing codes (e.g. 98 "Vet ikke", 99 "Ønsker ikke
    svare") as their codes instead of turning them into system-missing, so they stay
    distinguishable; value labels are returned for a consistency check against the codebook.
    """
    import pyreadstat

    spath = str(path)
    try:
        frame, meta = pyreadstat.read_sav(spath, user_missing=True, apply_value_formats=False)
    except Exception as exc:  # pyreadstat.ReadstatError and OSError
        raise InputDataError(f"cannot read SPSS file: {exc}", file=spath) from exc
    _check_header(list(frame.columns), spath)
    frame = frame.astype(object).map(_clean_cell).astype(object)
    frame.index = pd.Index(frame.index + 1, name="raw_row")
    labels = {k: dict(v) for k, v in (meta.variable_value_labels or {}).items()}
    return RawExport(spath, "sav", frame, file_sha256(path), encoding=meta.file_encoding, value_labels=labels)


def read_export(path: str | Path, encoding: str = "auto") -> RawExport:
    """Read an export by its extension: ``.csv`` (also ``.txt``), ``.xlsx``, ``.sav``."""
    suffix = Path(path).suffix.lower()
    if not Path(path).exists():
        raise InputDataError("file does not exist", file=str(path))
    if suffix in (".csv", ".txt"):
        return read_csv_export(path, encoding)
    if suffix == ".xlsx":
        return read_excel_export(path)
    if suffix == ".sav":
        return read_spss_export(path)
    raise InputDataError(f"unsupported export format {suffix!r} (use .csv, .xlsx or .sav)", file=str(path))
