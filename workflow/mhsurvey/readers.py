"""Reading raw survey exports (CSV, Excel .xlsx, SPSS .sav) into one raw table of cells.

Every reader returns a :class:`RawExport` whose ``frame`` has the export's own column names and
one row per non-blank data row, with cells as Python objects (``str`` for CSV, numbers/strings for
Excel and SPSS) and ``None`` for empty cells. Rows in which every cell is empty are not in
``frame`` but listed in ``blank_rows``, so that cleaning can account for them. Mapping onto
canonical columns and validating codes happens in :mod:`mhsurvey.clean`, identically for every
format.

Anything a reader library raises on a malformed file (``csv.Error``, ``UnicodeError``,
openpyxl's and pyreadstat's exceptions, ...) is turned into one
:class:`~mhsurvey.errors.InputDataError` that names the file and, where it applies, the sheet,
row and column.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import math
import re
import unicodedata
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputDataError
from .io import ARROW_MIN_BYTES, arrow_string_factors, smallest_code_dtype

CSV_DELIMITERS = (";", ",", "\t")
#: Python's default ``csv.field_size_limit()``; a longer field is almost always an unclosed quote.
CSV_FIELD_LIMIT = 131072
ENCODINGS = ("auto", "utf-8", "utf-8-sig", "cp1252", "utf-16")
INVALID_BYTES = ("stop", "replace")

_SURROGATE = re.compile("[\udc80-\udcff]+")
_SEP_LINE = re.compile(r'^\s*"?sep=(.)"?\s*$', re.IGNORECASE)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_MAGIC = {
    b"PK\x03\x04": "a zip archive (an Excel .xlsx workbook?)",
    b"\xd0\xcf\x11\xe0": "an OLE2 file (an old Excel .xls workbook, or a password-protected workbook)",
    b"$FL2": "an SPSS .sav file",
    b"$FL3": "a compressed SPSS .zsav file",
    b"%PDF": "a PDF document",
}


@dataclass(frozen=True)
class RawExport:
    """A raw export as read from disk, before any mapping or validation.

    ``frame.index`` holds the 1-based data row number of each row in the file (header = row 0),
    which every error message and ``exclusions.csv`` use. For CSV this is the record number
    (a quoted field may span several lines; an Excel ``sep=`` line is not counted); for Excel the
    data row n is worksheet row n + 1.
    """

    path: str
    format: str
    frame: pd.DataFrame
    sha256: str
    encoding: str | None = None
    delimiter: str | None = None
    value_labels: dict[str, dict[Any, str]] = field(default_factory=dict)
    sheet: str | None = None
    sheets: tuple[str, ...] = ()
    blank_rows: tuple[int, ...] = ()
    sep_line: bool = False
    invalid_bytes: tuple[dict[str, Any], ...] = ()
    #: column -> ``(codes, uniques)``, ``pd.factorize`` of ``frame[column]`` (``None`` = -1; the
    #: codes in the smallest integer type that holds them), from the CSV reader, so cleaning reads
    #: each distinct value once without hashing every cell again; absent where a reader does not
    #: provide it. Valid for ``frame`` as read.
    distinct: dict[str, tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def n_rows(self) -> int:
        """Number of data rows in the file, blank rows included."""
        return len(self.frame) + len(self.blank_rows)


def _exc_text(exc: BaseException) -> str:
    """``Type: message`` of a library exception (``zlib.error`` rather than a bare ``error``)."""
    name = type(exc).__name__
    if name == "error":
        name = f"{type(exc).__module__}.error"
    return f"{name}: {exc}"


def file_sha256(path: str | Path) -> str:
    """SHA-256 hex digest of a file's bytes (recorded in the cleaning summary)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------------------------
# Encoding


def _line_of(data: bytes, offset: int) -> int:
    """0-based line number of byte ``offset`` (the header is line 0)."""
    return data.count(b"\n", 0, offset)


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when the NUL bytes follow UTF-16's pattern, else ``None``.

    Text that is mostly ASCII, stored as UTF-16 without a byte-order mark, has a NUL byte in
    every other position: odd positions for little-endian, even positions for big-endian.
    """
    sample = data[:8192]
    n = len(sample) // 2
    if n < 2:
        return None
    even = sum(1 for b in sample[0 : 2 * n : 2] if b == 0)
    odd = sum(1 for b in sample[1 : 2 * n : 2] if b == 0)
    if odd >= 0.3 * n and even <= 0.02 * n:
        return "utf-16-le"
    if even >= 0.3 * n and odd <= 0.02 * n:
        return "utf-16-be"
    return None


@dataclass(frozen=True)
class Decoded:
    """Decoded CSV text; invalid bytes (UTF-8 only) are kept as lone surrogates for locating."""

    text: str
    encoding: str
    has_invalid: bool = False


def decode_bytes(data: bytes, path: str, encoding: str = "auto") -> Decoded:
    """Decode CSV bytes, deciding the encoding per file from evidence.

    ``auto``: a byte-order mark decides (UTF-8, UTF-16, UTF-32); BOM-less UTF-16 is recognised by
    its NUL-byte pattern; otherwise the file is UTF-8 if it decodes as UTF-8. If it does not, the
    valid multi-byte UTF-8 characters are weighed against the invalid bytes: none valid means a
    Windows-1252 file (what Norwegian Excel saves as "CSV (semikolonseparert)"); more valid
    characters than invalid bytes means a UTF-8 file with a few bad bytes, which stays UTF-8 (the
    bad bytes are returned as surrogates so the reader can name their row and column); anything
    in between is a file that mixes encodings and stops the run. An explicit ``encoding`` is used
    as given.
    """
    if encoding not in ENCODINGS:
        raise InputDataError(
            f"unsupported encoding {encoding!r} (use one of {', '.join(ENCODINGS)})", file=path
        )
    boms = [
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ]
    enc = encoding
    if encoding == "auto":
        enc = next((name for bom, name in boms if data.startswith(bom)), "")
        if not enc:
            enc = _utf16_without_bom(data) or ""
    elif encoding == "utf-16" and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        enc = _utf16_without_bom(data) or "utf-16-le"
    if enc.startswith(("utf-16", "utf-32")):
        try:
            return Decoded(data.decode(enc), enc)
        except UnicodeDecodeError as exc:
            raise InputDataError(
                f'file looks like {enc.upper()} text (Excel\'s "Unicode text") but is not valid {enc.upper()} '
                f"at byte {exc.start}",
                file=path,
                value=data[exc.start : exc.end].hex(" "),
            ) from exc
    if enc == "cp1252":
        return _decode_cp1252(data, path)
    utf8 = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    if enc in ("utf-8", "utf-8-sig"):
        utf8 = enc
    try:
        return Decoded(data.decode(utf8), utf8)
    except UnicodeDecodeError:
        pass
    text = data.decode(utf8, errors="surrogateescape")
    if encoding != "auto":
        return Decoded(text, utf8, has_invalid=True)
    n_invalid = sum(len(m) for m in _SURROGATE.findall(text))
    n_valid = sum(1 for ch in text if ord(ch) > 0x7F) - n_invalid
    if n_valid == 0:
        return _decode_cp1252(data, path)
    if n_valid > n_invalid:
        return Decoded(text, utf8, has_invalid=True)
    first = _SURROGATE.search(text)
    assert first is not None
    offset = len(text[: first.start()].encode(utf8, errors="surrogateescape"))
    raise InputDataError(
        f"file mixes encodings: {n_valid} character(s) are valid UTF-8 but {n_invalid} byte(s) are not "
        "(Windows-1252?); convert the file to one encoding, or set cleaning.encoding to the one it is in",
        file=path,
        row=_line_of(data, offset),
        value=data[offset : offset + 1].hex(),
    )


def _decode_cp1252(data: bytes, path: str) -> Decoded:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return Decoded(data.decode("cp1252"), "cp1252")
    except UnicodeDecodeError as exc:
        raise InputDataError(
            f"file is neither valid UTF-8 nor valid Windows-1252 text (byte {exc.start})",
            file=path,
            row=_line_of(data, exc.start),
            value=data[exc.start : exc.end].hex(" "),
        ) from exc


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


# --------------------------------------------------------------------------------------------
# CSV


@contextmanager
def _field_limit(limit: int) -> Iterator[None]:
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, limit))
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _column_name(header: list[str], index: int) -> str:
    if 0 <= index < len(header) and header[index].strip():
        return header[index].strip()
    return f"field {index + 1}"


#: A line as ``io.StringIO(text, newline="")`` yields it: up to and with ``\r\n``, ``\r`` or ``\n``,
#: or the rest of the text without a line end.
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` exactly as ``io.StringIO(text, newline="")`` iterates them, without
    its copy of the whole text (4 bytes per character once it is read: 1.4 GB for a 360 MB
    export of a million respondents)."""
    return (m.group() for m in _LINE.finditer(text))


def _parse_records(text: str, delim: str, path: str) -> tuple[list[list[str]], list[int]]:
    """Parse CSV text into records; return them with the last physical line (1-based) of each.

    A quote that is never closed makes Python's reader swallow the rest of the file into one
    field; a strict first pass detects it and the error names the row and column where the quote
    opened. Other quoting sloppiness (``"a"b``) is read leniently, as spreadsheets do.
    """
    rows: list[list[str]] = []
    ends: list[int] = []
    with _field_limit(len(text) + 1):
        reader = csv.reader(_lines(text), delimiter=delim, strict=True)
        try:
            for row in reader:
                rows.append(row)
                ends.append(reader.line_num)
            return rows, ends
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                start_line = ends[-1] + 1 if ends else 1
                lines = _LINE_BREAK.split(text)
                rest = "\n".join(lines[start_line - 1 :])
                partial = next(csv.reader(io.StringIO(rest, newline=""), delimiter=delim), [""])
                header = rows[0] if rows else []  # in the header itself: name the field by position
                n_lines = len(lines) - (1 if lines and lines[-1] == "" else 0)
                raise InputDataError(
                    f"a quote opened in this field is never closed: it runs from line {start_line} to "
                    f"the end of the file (line {n_lines}), swallowing every row after it",
                    file=path,
                    row=len(rows),
                    column=_column_name(header, len(partial) - 1),
                    value=(partial[-1][:40] + "...") if partial else None,
                ) from None
        except Exception as exc:  # any other csv.Error: fall back to lenient parsing below
            if not isinstance(exc, csv.Error):
                raise
        rows, ends = [], []
        reader = csv.reader(_lines(text), delimiter=delim)
        try:
            for row in reader:
                rows.append(row)
                ends.append(reader.line_num)
        except csv.Error as exc:
            raise InputDataError(f"cannot parse CSV: {exc}", file=path, row=len(rows)) from None
    return rows, ends


def _arrow_factors(text: str, delim: str, width: int) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Each field's ``(codes, uniques)`` over the records after the header, parsed by pyarrow's
    multithreaded CSV reader; ``None`` where its reading could differ from :func:`_parse_records`.

    Text without a quote character has no quoting to interpret: a record is a line (ended by LF
    or CR LF; a text with a lone CR is left to the exact reader) and a field is what lies between
    delimiters, so pyarrow (no quoting, no escapes, no type conversion, empty lines kept as
    records of empty fields, which are blank records as they are for the exact reader) reads the
    same fields. A record of another width than the header makes pyarrow stop: ``None``, and the
    exact reader reads the file and names the record. ``uniques`` are in order of first
    occurrence, as ``pd.factorize`` gives them (tests/test_import_body_frame.py compares the two
    readers on random files).
    """
    if '"' in text or text.count("\r") != text.count("\r\n"):
        return None
    import pyarrow as pa
    import pyarrow.csv as pacsv

    options = pacsv.ParseOptions(
        delimiter=delim,
        quote_char=False,
        double_quote=False,
        escape_char=False,
        newlines_in_values=False,
        ignore_empty_lines=False,
    )
    try:
        return arrow_string_factors(pa.BufferReader(text.encode("utf-8")), width, options)
    except pa.ArrowException:  # ArrowInvalid: a record of another width
        return None


def _located_invalid_bytes(rows: list[list[str]], header: list[str], utf8: str) -> list[dict[str, Any]]:
    """Every cell holding bytes that are not valid UTF-8, with row, column and the bytes (hex)."""
    found = []
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            for m in _SURROGATE.finditer(cell):
                found.append(
                    {
                        "row": i,
                        "column": _column_name(header, j),
                        "bytes": m.group().encode(utf8, errors="surrogateescape").hex(" "),
                    }
                )
    return found


def _header_hint(data: bytes) -> str:
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            return f"the file is {what}, not delimited text"
    return ""


def read_csv_export(path: str | Path, encoding: str = "auto", invalid_bytes: str = "stop") -> RawExport:
    """Read a delimited text export (``;``, ``,`` or tab; UTF-8, UTF-16 or Windows-1252).

    An Excel ``sep=;`` first line sets the delimiter and is skipped. Invalid UTF-8 bytes stop the
    run naming row, column and bytes, or with ``invalid_bytes="replace"`` become U+FFFD and are
    listed in ``RawExport.invalid_bytes``.

    From ``ARROW_MIN_BYTES`` on, a text without quotes, NUL or invalid bytes is parsed by pyarrow
    (:func:`_arrow_factors`), which reads the same records; any other file, and any file pyarrow
    refuses, goes through Python's ``csv`` module, whose errors name the record and field.
    """
    spath = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputDataError(f"cannot read file: {exc.strerror}", file=spath) from exc
    if not data:
        raise InputDataError("the file is empty (0 bytes)", file=spath)
    decoded = decode_bytes(data, spath, encoding)
    text = decoded.text.lstrip("\ufeff")
    if not text.strip():
        raise InputDataError("the file is empty (it holds no text)", file=spath)
    has_nul = "\x00" in text
    if has_nul and (_header_hint(data) or text.count("\x00") > 0.1 * len(text)):
        nul = text.index("\x00")
        raise InputDataError(
            f"file contains NUL bytes: {_header_hint(data) or 'is it a binary file?'}",
            file=spath,
            row=text.count("\n", 0, nul),
        )
    del data  # the text is what is parsed (file_sha256 reads the file again)
    eol = text.find("\n")
    first_line = text if eol < 0 else text[:eol]  # (no copy of the rest unless it is needed)
    sep_line = False
    delim: str | None = None
    m = _SEP_LINE.match(first_line.rstrip("\r"))
    if m:
        sep_line, delim, text = True, m.group(1), ("" if eol < 0 else text[eol + 1 :])
        if not text.strip():
            raise InputDataError("the file holds only Excel's 'sep=' line: no header, no data", file=spath)
    header_line = text[: m_end.start()] if (m_end := _LINE_BREAK.search(text)) else text
    if not header_line.strip():
        first = next(i for i, line in enumerate(_LINE_BREAK.split(text)) if line.strip())
        raise InputDataError(
            f"the first line is empty: the header must be on the first line (the first "
            f"non-empty line is line {first + 1})",
            file=spath,
            row=0,
        )
    if delim is None:
        delim = sniff_delimiter(header_line, spath)
    factors = None
    if len(text) >= ARROW_MIN_BYTES and not has_nul and not decoded.has_invalid:
        header = header_line.split(delim)  # (no quote in the text: what csv.reader reads)
        factors = _arrow_factors(text, delim, len(header))
    invalid: list[dict[str, Any]] = []
    check_length, file_encoding = len(text) > CSV_FIELD_LIMIT, decoded.encoding
    if factors is not None:
        columns = [_column_label(c) for c in header]
        keep_idx = [j for j, name in enumerate(columns) if name or any(u.strip() for u in factors[j][1])]
        columns = [columns[j] for j in keep_idx]
        _check_header(columns, spath)
        n = len(factors[0][0]) if factors else 0
        del text, decoded  # the file's text is no longer needed
        numbers = np.arange(1, n + 1, dtype=np.int64)
        frame, blank, distinct = _factored_frame(
            factors, numbers, [], None, header, columns, keep_idx, range(1, n + 2), spath, check_length
        )
    else:
        rows, ends = _parse_records(text, delim, spath)
        header = rows[0]
        if decoded.has_invalid:
            invalid = _located_invalid_bytes(rows, header, decoded.encoding)
            if invalid and invalid_bytes != "replace":
                first = invalid[0]
                raise InputDataError(
                    f"file is not valid utf-8 text: {len(invalid)} cell(s) hold invalid bytes "
                    "(set cleaning.invalid_bytes: replace to read them as U+FFFD and list them in the "
                    "cleaning summary)",
                    file=spath,
                    row=first["row"],
                    column=first["column"],
                    value=first["bytes"],
                )
            rows = [[_SURROGATE.sub("\ufffd", c) for c in row] for row in rows]
            header = rows[0]
        if has_nul:  # a few NUL bytes in a text file: name the first cell that holds one
            for i, row in enumerate(rows):
                for j, cell in enumerate(row):
                    if "\x00" in cell:
                        raise InputDataError(
                            "cell contains a NUL byte (binary data in a text export?)",
                            file=spath,
                            row=i,
                            column=_column_name(header, j),
                            value=cell.replace("\x00", "\\0")[:40],
                        )
        columns = [_column_label(c) for c in header]
        body_rows = rows[1:]
        del rows[:]  # the records now live in body_rows only: _body_frame frees them as it goes
        columns, keep_idx = _drop_empty_unnamed(columns, body_rows)
        _check_header(columns, spath)
        del text, decoded  # the file's text is no longer needed
        frame, blank, distinct = _body_frame(body_rows, header, columns, keep_idx, ends, spath, check_length)
    return RawExport(
        spath,
        "csv",
        frame,
        file_sha256(path),
        encoding=file_encoding,
        delimiter=delim,
        blank_rows=tuple(blank),
        sep_line=sep_line,
        invalid_bytes=tuple(invalid),
        distinct=distinct,
    )


def _spans_hint(row: list[str], header: list[str], ends: list[int], i: int) -> str:
    """Where a record spans several lines, say which field: usually a quote closed too late."""
    first = ends[i - 1] + 1
    if ends[i] == first:
        return ""
    for j, cell in enumerate(row):
        if "\n" in cell or "\r" in cell:
            return (
                f"; the quoted field in column {_column_name(header, j)!r} runs from line {first} to "
                f"line {ends[i]}: is a closing quote missing?"
            )
    return ""


def _column_label(name: Any) -> str:
    """A header cell as a column name: stripped, Unicode NFC (as the codebook is compared)."""
    return unicodedata.normalize("NFC", str(name).strip())


def _body_frame(
    body_rows: list[list[str]],
    header: list[str],
    columns: list[str],
    keep_idx: list[int],
    ends: Sequence[int],
    path: str,
    check_length: bool,
) -> tuple[pd.DataFrame, list[int], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """The data rows as an object frame indexed by ``raw_row`` (1-based record number), the
    numbers of blank records, and each column's distinct values (see ``RawExport.distinct``).

    A record is blank when every field is whitespace (``"".join(row).strip() == ""``, the same
    test as stripping each field); a record with another number of fields than the header, or a
    field longer than ``CSV_FIELD_LIMIT`` (checked only if the text is that long), is an
    :class:`InputDataError` naming the record (and the field). Whitespace-only cells become
    ``None``. Both tests run on each column's distinct values (``pd.factorize``), not on every
    cell, and the first bad record in file order is the one reported (:func:`_factored_frame`).
    ``body_rows`` is emptied (its lists are the bulk of the memory while a large file is read).
    """
    width = len(header)
    blank: list[int] = []
    first_bad = len(body_rows)  # first record with another number of fields that is not blank
    for i, row in enumerate(body_rows):
        if len(row) != width:
            if not row or not "".join(row).strip():
                blank.append(i + 1)
                continue
            first_bad = i
            break
    skip = set(blank)  # blank records of another width, before the first bad record
    numbers = np.array([i for i in range(1, first_bad + 1) if i not in skip], dtype=np.int64)
    rows_ok = [body_rows[i - 1] for i in numbers] if skip else body_rows[:first_bad]
    cells = np.array(rows_ok, dtype=object).reshape(len(rows_ok), width)
    del rows_ok
    bad = (first_bad + 1, body_rows[first_bad]) if first_bad < len(body_rows) else None
    body_rows.clear()
    factors = []
    for j in range(width):
        codes, uniques = pd.factorize(cells[:, j])
        factors.append((codes.astype(smallest_code_dtype(len(uniques)), copy=False), uniques))
    del cells  # each cell's own string: the frame shares one string per distinct value instead
    return _factored_frame(factors, numbers, blank, bad, header, columns, keep_idx, ends, path, check_length)


def _factored_frame(
    factors: list[tuple[np.ndarray, np.ndarray]],
    numbers: np.ndarray,
    blank: list[int],
    bad: tuple[int, list[str]] | None,
    header: list[str],
    columns: list[str],
    keep_idx: list[int],
    ends: Sequence[int],
    path: str,
    check_length: bool,
) -> tuple[pd.DataFrame, list[int], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """:func:`_body_frame` from each field's ``(codes, uniques)`` (``pd.factorize`` order: first
    occurrence) over the records ``numbers`` of the header's width, the blank records of another
    width before the first ``bad`` one (its number and fields), if any.

    Checks, per distinct value: a field longer than ``CSV_FIELD_LIMIT`` (if ``check_length``) in
    a record before ``bad`` is the error, else ``bad`` is; records whose fields are all
    whitespace are blank. The frame's cells are ``uniques[codes]`` (whitespace-only -> ``None``),
    so equal cells share one string object.
    """
    empty = np.ones(len(numbers), dtype=bool)  # every field so far whitespace
    blank_u = []
    for codes, uniques in factors:
        u_empty = np.fromiter((not u.strip() for u in uniques), dtype=bool, count=len(uniques))
        blank_u.append(u_empty)
        empty &= u_empty[codes]
    long_row = None
    if check_length:
        for j, (codes, uniques) in enumerate(factors):
            u_long = np.fromiter((len(u) > CSV_FIELD_LIMIT for u in uniques), dtype=bool, count=len(uniques))
            hit = np.flatnonzero(u_long[codes] & ~empty)
            if len(hit) and (long_row is None or hit[0] < long_row[0]):
                long_row = (int(hit[0]), j)
    if long_row is not None:  # the first record with a long field; there its first such field
        r = long_row[0]
        i = int(numbers[r])
        row = [uniques[codes[r]] for codes, uniques in factors]
        j = next(j for j, cell in enumerate(row) if len(cell) > CSV_FIELD_LIMIT)
        raise InputDataError(
            f"field is {len(row[j]):,} characters long (more than the CSV field limit of "
            f"{CSV_FIELD_LIMIT:,}){_spans_hint(row, header, ends, i)}",
            file=path,
            row=i,
            column=_column_name(header, j),
        )
    if bad is not None:
        i, row = bad
        raise InputDataError(
            f"row has {len(row)} fields but the header has {len(header)}{_spans_hint(row, header, ends, i)}",
            file=path,
            row=i,
        )
    blank = sorted(blank + [int(i) for i in numbers[empty]])
    keep = ~empty
    index = pd.Index(numbers[keep], name="raw_row")
    out = np.empty((int(keep.sum()), len(keep_idx)), dtype=object)
    distinct: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for k, (name, j) in enumerate(zip(columns, keep_idx, strict=True)):
        (codes, uniques), u_empty = factors[j], blank_u[j]
        if not keep.all():
            codes = codes[keep]
        if u_empty.any():  # whitespace-only cells become None: code -1, renumbered in order
            renumber = np.where(u_empty, -1, np.cumsum(~u_empty) - 1)
            codes = renumber[codes]
            uniques = uniques[~u_empty]
        codes = codes.astype(smallest_code_dtype(len(uniques)), copy=False)
        column = uniques.take(codes) if len(uniques) else np.empty(len(codes), dtype=object)
        if u_empty.any():
            column[codes < 0] = None
        out[:, k] = column
        distinct[name] = (codes, uniques)
    frame = pd.DataFrame(out, columns=columns, index=index, dtype=object, copy=False)
    return frame, blank, distinct


def _drop_empty_unnamed(columns: list[str], body: list[list[Any]]) -> tuple[list[str], list[int]]:
    """Drop columns with no name and no data (a trailing delimiter on every line, Excel padding)."""
    keep = []
    for j, name in enumerate(columns):
        if name:
            keep.append(j)
            continue
        if any(j < len(r) and r[j] is not None and str(r[j]).strip() for r in body):
            keep.append(j)
    return [columns[j] for j in keep], keep


def _check_header(columns: list[str], path: str, sheet: str | None = None, letters: bool = False) -> None:
    seen: set[str] = set()
    for j, col in enumerate(columns):
        where = _excel_column(j) if letters else str(j + 1)
        if not col:
            raise InputDataError(
                f"empty column name in the header (column {where}; is the header on the first row?)",
                file=path,
                row=0,
                sheet=sheet,
            )
        if col in seen:
            raise InputDataError(
                f"duplicated column name in the header (column {where})",
                file=path,
                row=0,
                column=col,
                sheet=sheet,
            )
        seen.add(col)


def _excel_column(index: int) -> str:
    """Spreadsheet column letters of a 0-based column index (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# --------------------------------------------------------------------------------------------
# Excel and SPSS


def _clean_cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str):
        return None if value.strip() == "" else value
    if isinstance(value, (dt.datetime, dt.date, pd.Timestamp)):
        return pd.Timestamp(value).isoformat()
    if isinstance(value, (dt.time, dt.timedelta)):
        return str(value)
    return value


def _excel_value(value: Any) -> Any:
    """An openpyxl cell value as pandas' Excel reader returns it (integral floats as int)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return _clean_cell(value)


def _check_magic(path: str, expected: tuple[bytes, ...], what: str, kind: str) -> None:
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        raise InputDataError("the file is empty (0 bytes)", file=path)
    if head.startswith(expected):
        return
    found = next((desc for magic, desc in _MAGIC.items() if head.startswith(magic)), None)
    if found is None:
        found = (
            "text (a CSV file?)" if all(32 <= b < 127 or b in (9, 10, 13) for b in head) else "not recognised"
        )
    raise InputDataError(f"cannot read {kind} file: it is not {what} (its content is {found})", file=path)


def read_excel_export(path: str | Path, sheet: str | int | None = None) -> RawExport:
    """Read one sheet of an .xlsx export (openpyxl); the sheet's first row is the header.

    ``sheet`` is a sheet name or 0-based index (codebook ``export.sheet``); default: the first
    sheet. An empty sheet, or a missing one, stops the run naming the sheets the workbook has.
    Trailing empty rows (the sheet's formatted but empty range) are not records; empty rows
    between records are listed as blank rows.
    """
    import openpyxl

    spath = str(path)
    _check_magic(spath, (b"PK\x03\x04",), "an Excel .xlsx workbook", "Excel")
    try:
        with warnings.catch_warnings():  # e.g. "Workbook contains no default style": not the user's concern
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(spath, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise InputDataError(
            f"cannot read Excel file (damaged, or not an .xlsx workbook): {_exc_text(exc)}", file=spath
        ) from exc
    try:
        names = tuple(wb.sheetnames)
        listed = ", ".join(repr(n) for n in names)
        if not names:
            raise InputDataError("the workbook has no sheets", file=spath)
        if sheet is None:
            name = names[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise InputDataError(
                    f"export.sheet {sheet} does not exist: the workbook has {len(names)} sheet(s) ({listed})",
                    file=spath,
                )
            name = names[sheet]
        else:
            if sheet not in names:
                raise InputDataError(
                    f"export.sheet {sheet!r} is not in the workbook (sheets: {listed})", file=spath
                )
            name = sheet
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rows = [list(r) for r in wb[name].iter_rows(values_only=True)]
        except Exception as exc:
            raise InputDataError(
                f"cannot read Excel sheet (the workbook is damaged?): {_exc_text(exc)}",
                file=spath,
                sheet=name,
            ) from exc
    finally:
        wb.close()
    rows = [[_excel_value(v) for v in r] for r in rows]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    if not rows:
        others = [n for n in names if n != name]
        hint = (
            (
                f"; the data may be on another sheet ({', '.join(repr(n) for n in others)}): "
                "set export.sheet in the codebook"
            )
            if others
            else ""
        )
        raise InputDataError(f"the sheet read is empty{hint}", file=spath, sheet=name)
    if all(v is None for v in rows[0]):
        first = next(i for i, r in enumerate(rows) if any(v is not None for v in r))
        raise InputDataError(
            f"the sheet's first row is empty: the header must be on row 1 (the first "
            f"non-empty row is row {first + 1})",
            file=spath,
            sheet=name,
            row=0,
        )
    width = max(len(r) for r in rows)
    rows = [r + [None] * (width - len(r)) for r in rows]
    columns = ["" if v is None else _column_label(v) for v in rows[0]]
    body_rows = rows[1:]
    columns, keep_idx = _drop_empty_unnamed(columns, body_rows)
    _check_header(columns, spath, sheet=name, letters=True)
    body, numbers, blank = [], [], []
    for i, r in enumerate(body_rows, start=1):
        cells = [r[j] for j in keep_idx]
        if all(v is None for v in r):
            blank.append(i)
            continue
        numbers.append(i)
        body.append(cells)
    frame = pd.DataFrame(body, columns=columns, dtype=object, index=pd.Index(numbers, name="raw_row"))
    return RawExport(
        spath, "xlsx", frame, file_sha256(path), sheet=name, sheets=names, blank_rows=tuple(blank)
    )


def read_spss_export(path: str | Path) -> RawExport:
    """Read an SPSS .sav export with pyreadstat, keeping codes and user-missing values.

    ``user_missing=True`` keeps user-defined missing codes (e.g. 98 "Vet ikke", 99 "Ønsker ikke
    svare") as their codes instead of turning them into system-missing, so they stay
    distinguishable; value labels are returned for a consistency check against the codebook.
    Cases in which every variable is missing are listed as blank rows.
    """
    import pyreadstat

    spath = str(path)
    _check_magic(spath, (b"$FL2", b"$FL3"), "an SPSS .sav file", "SPSS")
    try:
        frame, meta = pyreadstat.read_sav(spath, user_missing=True, apply_value_formats=False)
    except Exception as exc:  # pyreadstat.ReadstatError, OSError, UnicodeError, ...
        raise InputDataError(
            f"cannot read SPSS file (damaged, or not a .sav file): {_exc_text(exc)}", file=spath
        ) from exc
    columns = [_column_label(c) for c in frame.columns]
    _check_header(columns, spath)
    frame.columns = columns
    frame = frame.astype(object).map(_clean_cell).astype(object)
    frame.index = pd.Index(frame.index + 1, name="raw_row")
    blank_mask = frame.isna().all(axis=1) if len(frame.columns) else pd.Series(True, index=frame.index)
    blank = tuple(int(i) for i in frame.index[blank_mask.to_numpy()])
    frame = frame[~blank_mask.to_numpy()]
    labels = {k: dict(v) for k, v in (meta.variable_value_labels or {}).items()}
    return RawExport(
        spath,
        "sav",
        frame,
        file_sha256(path),
        encoding=meta.file_encoding,
        value_labels=labels,
        blank_rows=blank,
    )


def read_export(
    path: str | Path, encoding: str = "auto", *, sheet: str | int | None = None, invalid_bytes: str = "stop"
) -> RawExport:
    """Read an export by its extension: ``.csv`` (also ``.txt``, ``.tsv``), ``.xlsx``, ``.sav``.

    Whatever a reader library raises is converted to :class:`InputDataError` naming the file.
    """
    spath = str(path)
    suffix = Path(path).suffix.lower()
    if not Path(path).exists():
        raise InputDataError("file does not exist", file=spath)
    if Path(path).is_dir():
        raise InputDataError("is a folder, not a file", file=spath)
    try:
        if suffix in (".csv", ".txt", ".tsv"):
            return read_csv_export(path, encoding, invalid_bytes)
        if suffix in (".xlsx", ".xlsm"):
            return read_excel_export(path, sheet)
        if suffix == ".sav":
            return read_spss_export(path)
    except InputDataError:
        raise
    except OSError as exc:
        raise InputDataError(f"cannot read file: {exc.strerror or exc}", file=spath) from exc
    except Exception as exc:  # never let a reader library's exception escape as a traceback
        raise InputDataError(f"cannot read {suffix} file: {_exc_text(exc)}", file=spath) from exc
    if suffix == ".xls":
        raise InputDataError("old Excel .xls workbooks are not supported: save the file as .xlsx", file=spath)
    raise InputDataError(f"unsupported export format {suffix!r} (use .csv, .xlsx or .sav)", file=spath)
