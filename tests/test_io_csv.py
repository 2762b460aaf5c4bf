"""The vectorised CSV writer of mhsurvey.io writes exactly the bytes of pandas ``to_csv``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mhsurvey.io import FORMULA_PREFIXES, _csv_text, write_csv

TRICKY = [
    "",
    "a",
    'say "hi"',
    "a,b",
    "line\nbreak",
    "cr\rhere",
    " lead",
    "Ønsker ikke svare",
    "=SUM(A1)",
    "'x",
    "nan",
]


def _pandas_bytes(df: pd.DataFrame, tmp_path) -> bytes:
    path = tmp_path / "ref.csv"
    df.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path.read_bytes()


def _random_frame(rng: np.random.Generator, n: int) -> pd.DataFrame:
    floats = rng.standard_normal(n) * 10.0 ** rng.integers(-20, 20, n)
    floats[rng.random(n) < 0.2] = np.nan
    floats[rng.random(n) < 0.1] = -0.0
    floats[rng.random(n) < 0.05] = np.inf
    shares = np.round(100 * rng.integers(0, 50, n) / np.maximum(rng.integers(1, 60, n), 1), 0) / 3
    ints = rng.integers(-(10**12), 10**12, n)
    nullable = pd.array(rng.integers(0, 40, n), dtype="Int64")
    nullable[rng.random(n) < 0.3] = pd.NA
    text = np.array(rng.choice(TRICKY, n), dtype=object)
    text[rng.random(n) < 0.1] = None
    text[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "text": text,
            "f": floats,
            "share": shares,
            "i": ints,
            "flag": rng.random(n) < 0.5,
            "nullable": nullable,
            "str": pd.array(rng.choice(TRICKY, n), dtype="string"),
            "odd, name": rng.integers(0, 3, n).astype(np.uint8),
        }
    )


@pytest.mark.parametrize("seed", range(8))
def test_fast_csv_equals_pandas(seed, tmp_path):
    rng = np.random.default_rng(seed)
    df = _random_frame(rng, int(rng.integers(0, 400)))
    text = _csv_text(df)
    assert text is not None
    assert text.encode("utf-8") == _pandas_bytes(df, tmp_path)
    write_csv(df, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_bytes() == _pandas_bytes(df, tmp_path)


@pytest.mark.parametrize(
    "df",
    [
        pd.DataFrame({"a": [1, 2]}),  # one column: pandas
        pd.DataFrame({"a": [1, 1.0, True], "b": [1, 2, 3]}, dtype=object),  # mixed objects
        pd.DataFrame({"a": pd.Categorical(["x", "y"]), "b": [1, 2]}),
        pd.DataFrame({"a": np.array([0.1, 0.2], dtype=np.float32), "b": [1, 2]}),
        pd.DataFrame({"a": pd.array([0.5, None], dtype="Float64"), "b": [1, 2]}),
        pd.DataFrame({"a": pd.to_datetime(["2020-01-01", "2021-02-03"]), "b": [1, 2]}),
        pd.DataFrame({1: [1, 2], "b": [1, 2]}),
    ],
)
def test_uncovered_frames_go_to_pandas_and_still_match(df, tmp_path):
    assert _csv_text(df) is None
    write_csv(df, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_bytes() == _pandas_bytes(df, tmp_path)


def test_read_responses_pyarrow_path_equals_pandas(tmp_path, monkeypatch):
    # responses.csv as stage 01 writes it: rid string, integer codes, "" for missing
    from mhsurvey import io as mio

    path = tmp_path / "responses.csv"
    path.write_text("rid,q1,q2,q3\nR001,1,,3\nR002,,2,-1\nR010,4,5,\n", encoding="utf-8")
    monkeypatch.setattr(mio, "ARROW_MIN_BYTES", 10**12)
    expected = mio.read_responses(path)
    monkeypatch.setattr(mio, "ARROW_MIN_BYTES", 0)
    got = mio.read_responses(path)
    pd.testing.assert_frame_equal(got, expected)
    assert got["q2"].tolist()[0] is pd.NA and got["q3"].tolist()[1] == -1
    assert got["rid"].tolist() == ["R001", "R002", "R010"]
    # a cell that is not an integer: pyarrow declines, pandas raises as before
    path.write_text("rid,q1\nR001,1\nR002,x\n", encoding="utf-8")
    assert mio._read_responses_arrow(path) is None
    with pytest.raises((TypeError, ValueError)):
        mio.read_responses(path)


def test_text_fields_written_as_they_are_unless_csv_quotes_them(tmp_path):
    """The shortcut for text (no ``,``, ``"`` or ``\\n``: the text itself) equals ``csv.writer``'s
    field for every code point of the Basic Multilingual Plane, alone, inside text and at the
    ends, and for the tricky values; and a column of them is written as pandas writes it."""
    from mhsurvey.io import _csv_field, _csv_text_field

    values = list(TRICKY)
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        values += [c, f"a{c}b", f" {c}"]
    assert [_csv_text_field(v) for v in values] == [_csv_field(v) for v in values]
    quoted = {v for v in values if _csv_text_field(v) != v}
    assert quoted and all(any(ch in v for ch in ',"\n') for v in quoted)
    plain = [v for v in values if not v.startswith(FORMULA_PREFIXES)][:5000]  # not neutralised
    df = pd.DataFrame({"t": plain, "n": range(len(plain))})
    path = tmp_path / "fast.csv"
    write_csv(df, path)
    assert path.read_bytes() == _pandas_bytes(df, tmp_path)


def test_text_with_nul_is_not_pooled_with_its_prefix(tmp_path):
    """pandas' factorize ends a string at NUL (" " and " \\x00" get one code): such a column is
    written cell by cell, so every value keeps its own bytes."""
    df = pd.DataFrame({"t": [" ", " \x00", "a\x00b", "a", "a\x00c"], "n": range(5)})
    path = tmp_path / "nul.csv"
    write_csv(df, path)
    assert path.read_bytes() == _pandas_bytes(df, tmp_path)
    assert path.read_bytes().split(b"\n")[2] == b" \x00,1"


@pytest.mark.parametrize(
    "n, dtype",
    [(0, np.int8), (127, np.int8), (128, np.int16), (32767, np.int16), (32768, np.int32), (2**31, np.int64)],
)
def test_smallest_code_dtype_holds_minus_one_to_n_minus_one(n, dtype):
    from mhsurvey.io import smallest_code_dtype

    got = smallest_code_dtype(n)
    assert got is dtype
    assert np.iinfo(got).min <= -1 and np.iinfo(got).max >= n - 1
