"""The CSV reader's body check (readers._body_frame) against a row-by-row reference.

_body_frame checks field counts in one pass and blank/long fields per distinct value of each
column; the reference below is the plain row loop it replaced (the semantics of
readers.read_csv_export): rows in file order, blank records skipped, the first record with another
number of fields or with a field longer than the limit is the error. Random small bodies, with
blank records of every kind, wrong widths, long fields and whitespace cells, must give the same
frame, the same blank records, the same error (message, row, column), and factors equal to
``pd.factorize`` of the frame's columns.
"""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from mhsurvey import readers
from mhsurvey.errors import InputDataError

LIMIT = 6  # a small field limit so random rows hit it


def reference(body_rows, header, columns, keep_idx, ends, path, check_length):
    """The row-by-row semantics: blank -> listed; wrong width or long field -> error, in order."""
    width = len(header)
    numbers, blank, kept = [], [], []
    for i, row in enumerate(body_rows, start=1):
        if not row or not "".join(row).strip():
            blank.append(i)
            continue
        if len(row) != width:
            raise InputDataError(
                f"row has {len(row)} fields but the header has {width}"
                f"{readers._spans_hint(row, header, ends, i)}",
                file=path,
                row=i,
            )
        if check_length and max(map(len, row)) > LIMIT:
            j = next(j for j, cell in enumerate(row) if len(cell) > LIMIT)
            raise InputDataError(
                f"field is {len(row[j]):,} characters long (more than the CSV field limit of "
                f"{LIMIT:,}){readers._spans_hint(row, header, ends, i)}",
                file=path,
                row=i,
                column=readers._column_name(header, j),
            )
        numbers.append(i)
        kept.append([None if not cell.strip() else cell for cell in row])
    data = {name: [r[j] for r in kept] for name, j in zip(columns, keep_idx, strict=True)}
    index = pd.Index(np.array(numbers, dtype=np.int64), name="raw_row")
    return pd.DataFrame(data, columns=columns, index=index, dtype=object), blank


def random_body(rng: random.Random, width: int, n: int, long: bool, ragged: bool) -> list[list[str]]:
    """``n`` records: codes, text, whitespace cells, blank records, fields longer than ``LIMIT``
    (if ``long``) and rows of another width (if ``ragged``)."""
    values = ["1", "2", "3", "x", " 2", "", " ", "\t"]
    if long:
        values += ["toolongvalue", "   longer  "]
    rows = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.08:
            rows.append([])  # an empty line
        elif kind < 0.16:
            rows.append([rng.choice(["", " "]) for _ in range(rng.choice([width, width - 1, 1]))])
        elif ragged and kind < 0.2:
            rows.append([rng.choice(values) for _ in range(rng.choice([width - 1, width + 1]))])
        else:
            rows.append([rng.choice(values) for _ in range(width)])
    return rows


def run(fn, rows, header, columns, keep_idx, check_length):
    ends = list(range(len(rows) + 2))  # one line per record: no spans hint
    try:
        return fn([list(r) for r in rows], header, columns, keep_idx, ends, "t.csv", check_length), None
    except InputDataError as exc:
        return None, (exc.reason, exc.row, exc.column)


@pytest.mark.parametrize("seed", range(60))
def test_body_frame_matches_row_by_row_reference(seed, monkeypatch):
    monkeypatch.setattr(readers, "CSV_FIELD_LIMIT", LIMIT)
    rng = random.Random(seed)
    width = rng.choice([1, 2, 4])
    header = [f"c{j}" for j in range(width)]
    keep_idx = sorted(rng.sample(range(width), rng.randint(1, width)))
    columns = [header[j] for j in keep_idx]
    rows = random_body(rng, width, rng.randint(0, 30), long=seed % 4 == 0, ragged=seed % 3 == 0)
    check_length = seed % 2 == 0
    got, got_err = run(readers._body_frame, rows, header, columns, keep_idx, check_length)
    want, want_err = run(reference, rows, header, columns, keep_idx, check_length)
    assert got_err == want_err
    if want_err is not None:
        return
    frame, blank, distinct = got
    want_frame, want_blank = want
    assert blank == want_blank
    pd.testing.assert_frame_equal(frame, want_frame, check_index_type=False)
    assert frame.index.name == "raw_row"
    for name in columns:
        codes, uniques = pd.factorize(frame[name].to_numpy(dtype=object))
        np.testing.assert_array_equal(distinct[name][0], codes)
        assert list(distinct[name][1]) == list(uniques)


def test_long_field_before_a_later_wrong_width_is_reported_first(monkeypatch):
    monkeypatch.setattr(readers, "CSV_FIELD_LIMIT", LIMIT)
    rows = [["1", "2"], ["  ", " "], ["1", "much too long"], ["1"]]
    _, err = run(readers._body_frame, rows, ["a", "b"], ["a", "b"], [0, 1], True)
    assert err == (f"field is 13 characters long (more than the CSV field limit of {LIMIT})", 3, "b")
    rows = [["1", "2"], ["1"], ["1", "much too long"]]
    _, err = run(readers._body_frame, rows, ["a", "b"], ["a", "b"], [0, 1], True)
    assert err == ("row has 1 fields but the header has 2", 2, None)


def test_blank_records_of_every_kind_are_listed_in_order():
    rows = [["1", "x"], [], ["", " "], [" "], ["2", " "], ["\t", ""]]
    (frame, blank, distinct), err = run(readers._body_frame, rows, ["a", "b"], ["a", "b"], [0, 1], False)
    assert err is None and blank == [2, 3, 4, 6]
    assert frame.index.tolist() == [1, 5] and frame["b"].tolist() == ["x", None]
    assert distinct["b"][0].tolist() == [0, -1] and list(distinct["b"][1]) == ["x"]


@pytest.mark.parametrize("seed", range(40))
def test_lines_equal_stringio_lines(seed):
    """readers._lines splits text as io.StringIO(text, newline="") iterates it (CSV reading
    without StringIO's copy of the text), for every mix of \\r, \\n, \\r\\n, quotes and text."""
    import io

    rng = random.Random(seed)
    text = "".join(rng.choice(["a", "b;c", '"', "\r", "\n", "\r\n", "\n\r", " ", "ø"]) for _ in range(60))
    assert list(readers._lines(text)) == list(io.StringIO(text, newline=""))
    assert list(readers._lines("")) == [] and list(readers._lines("x")) == ["x"]


def random_file(rng: random.Random, width: int) -> str:
    """A delimited text: header, records of codes, whitespace, empty lines, blank and ragged
    records, long fields, an unnamed empty last column, a BOM, a ``sep=`` line, ``\\n`` or
    ``\\r\\n`` line ends (sometimes a lone ``\\r`` or a quote, which the fast path leaves alone)."""
    delim = rng.choice([";", ",", "\t"])
    header = [f"c{j}" for j in range(width)] + ([""] if rng.random() < 0.2 else [])
    rows = random_body(
        rng, len(header), rng.randint(0, 25), long=rng.random() < 0.3, ragged=rng.random() < 0.3
    )
    eol = rng.choice(["\n", "\r\n"])
    lines = [delim.join(header)] + [delim.join(r) for r in rows]
    text = eol.join(lines) + (eol if rng.random() < 0.7 else "")
    if rng.random() < 0.1:
        text = text.replace("x", '"x"', 1)
    if rng.random() < 0.1:
        text = text.replace(eol, "\r", 1) if eol == "\n" else text + "\r"
    if rng.random() < 0.15:
        text = f"sep={delim}{eol}" + text
    if rng.random() < 0.15:
        text = "\ufeff" + text
    return text


def read_or_error(path, monkeypatch, min_bytes):
    monkeypatch.setattr(readers, "ARROW_MIN_BYTES", min_bytes)
    try:
        return readers.read_csv_export(path), None
    except InputDataError as exc:
        return None, (exc.reason, exc.row, exc.column)


def test_arrow_fast_path_reads_as_the_exact_reader(tmp_path, monkeypatch):
    """The pyarrow parse of a large quote-free export (readers._arrow_factors) gives the same
    RawExport as the csv-module reader: frame, blank records, distinct values, or the same error."""
    monkeypatch.setattr(readers, "CSV_FIELD_LIMIT", LIMIT)
    taken = []
    real = readers._arrow_factors
    monkeypatch.setattr(readers, "_arrow_factors", lambda *a: taken.append(r := real(*a)) or r)
    for seed in range(400):
        rng = random.Random(seed)
        path = tmp_path / f"e{seed}.csv"
        path.write_bytes(random_file(rng, rng.choice([1, 2, 4])).encode("utf-8"))
        want, want_err = read_or_error(path, monkeypatch, 10**12)
        n_taken = len(taken)
        got, got_err = read_or_error(path, monkeypatch, 0)
        assert got_err == want_err, seed
        if want_err is not None:
            continue
        assert got.blank_rows == want.blank_rows, seed
        pd.testing.assert_frame_equal(got.frame, want.frame, check_index_type=False)
        assert (got.encoding, got.delimiter, got.sep_line) == (want.encoding, want.delimiter, want.sep_line)
        assert got.distinct.keys() == want.distinct.keys()
        for name, (codes, uniques) in want.distinct.items():
            np.testing.assert_array_equal(got.distinct[name][0], codes)
            assert got.distinct[name][0].dtype == codes.dtype and list(got.distinct[name][1]) == list(uniques)
        assert len(taken) == n_taken + 1
    fast = sum(r is not None for r in taken)
    assert fast > 80, fast  # many files went through pyarrow (the rest: quotes, lone \r, ragged rows)


def test_arrow_fast_path_declines_quotes_and_lone_cr():
    assert readers._arrow_factors('a;b\n"1";2\n', ";", 2) is None
    assert readers._arrow_factors("a;b\n1;2\r3;4\n", ";", 2) is None
    assert readers._arrow_factors("a;b\n1;2\n3\n", ";", 2) is None  # another width: the exact reader names it
    (c0, u0), (c1, u1) = readers._arrow_factors("a;b\r\n2;x\r\n1;x\r\n2; \r\n", ";", 2)
    assert (
        c0.tolist() == [0, 1, 0]
        and list(u0) == ["2", "1"]
        and c1.tolist() == [0, 0, 1]
        and list(u1) == ["x", " "]
    )
