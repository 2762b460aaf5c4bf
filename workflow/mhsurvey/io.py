"""Reading and writing the pipeline's tidy tables (UTF-8 CSV, deterministic formatting).

Writes are all-or-nothing: :func:`atomic_outputs` stages every output of a rule in a temporary
folder beside the outputs and moves them into place only when all of them are written, so a
failure part-way (disk full, permission, a bug) leaves the previous outputs untouched and no
temporary files behind. Text that a spreadsheet would execute as a formula is neutralised by
:func:`neutralise_formulas` in every table a reviewer may open in Excel.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")

K = TypeVar("K")


def neutralise_formula(value: Any) -> Any:
    """Prefix ``'`` to a string a spreadsheet would read as a formula (CSV injection).

    OWASP "CSV Injection" guidance: a cell that starts with ``=``, ``+``, ``-``, ``@``, tab or
    carriage return is executed as a formula by Excel/LibreOffice; a leading single quote makes it
    literal text. Plain numbers written as text (``"-3"``, ``"+1.5"``) are left alone, as are
    non-strings (numbers, missing values).
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_PREFIXES):
        return value
    if _PLAIN_NUMBER.match(value):
        return value
    return "'" + value


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``df`` with :func:`neutralise_formula` applied to its text columns only.

    Numeric, boolean and datetime columns are returned unchanged (a negative number stored as a
    number is never touched); only ``object``/``string`` columns are examined.
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype):
            if s.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_PREFIXES)).any():
                out[col] = s.map(neutralise_formula).astype(s.dtype)
    return out


def smallest_code_dtype(n_uniques: int) -> type[np.signedinteger]:
    """The smallest signed integer type that holds the codes ``-1 .. n_uniques - 1`` of a
    factorized column (int8 for the few answer codes of most columns: an eighth of int64)."""
    for dtype in (np.int8, np.int16, np.int32):
        if n_uniques <= np.iinfo(dtype).max:
            return dtype
    return np.int64


def holds_nul(values: pd.Series) -> bool:
    """Whether a text cell of ``values`` holds NUL. pandas' string hash table ends a string there,
    so ``pd.factorize`` would give ``"1"`` and ``"1\x00x"`` one code: a column that holds NUL must
    be handled cell by cell, not per distinct value."""
    return bool(values.astype(object).str.contains("\x00", regex=False, na=False).any())


#: Characters that make ``csv.writer`` (QUOTE_MINIMAL, ``,``, ``"``, line end ``\n``) quote a
#: text field: the delimiter, the quote and ``\n`` (checked over every code point, alone and
#: inside text; ``\r`` is not quoted with this line end). Any other text is written as it is.
_QUOTED_CHARS = re.compile('[,"\n]')


def _csv_text_field(value: str) -> str:
    """``_csv_field(value)`` for a string: the string itself unless it holds a quoted character."""
    return _csv_field(value) if _QUOTED_CHARS.search(value) else value


def _csv_field(value: Any) -> str:
    """One field exactly as ``csv.writer`` (QUOTE_MINIMAL, ``,``, ``"``) writes it."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([value, ""])
    return buf.getvalue()[:-2]  # drop the empty second field and the line end


def _csv_column(s: pd.Series) -> np.ndarray | None:
    """The column's CSV fields as ``DataFrame.to_csv`` writes them; None for an unsupported dtype.

    pandas writes float64 with ``ndarray.astype(str)`` (the shortest round-trip repr, equal to
    Python's ``repr``), integers with ``str``, missing values as ``""``, and passes objects to
    ``csv.writer``. Each distinct value is formatted once (floats by bit pattern, so -0.0 stays
    -0.0) and the fields are gathered by code.
    """
    d = s.dtype
    if isinstance(d, pd.api.extensions.ExtensionDtype):
        if not isinstance(d, pd.core.arrays.integer.IntegerDtype | pd.StringDtype):
            return None
    elif d.kind not in "iubfO" or (d.kind == "f" and d != np.float64):
        return None
    elif d.kind == "f":
        v = s.to_numpy()
        ok = ~np.isnan(v)
        uniq, inv = np.unique(v[ok].view(np.int64), return_inverse=True)
        out = np.full(len(v), "", dtype=object)
        out[ok] = np.array([repr(x) for x in uniq.view(np.float64).tolist()] or [""], dtype=object)[inv]
        return out
    elif d.kind == "O" and pd.api.types.infer_dtype(s, skipna=True) not in ("string", "empty"):
        return None  # mixed objects: equal hashes (1, 1.0, True) would share one field
    if (d.kind == "O" or isinstance(d, pd.StringDtype)) and holds_nul(s):
        return None  # written by pandas, cell by cell
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    if d.kind == "O" or isinstance(d, pd.StringDtype):
        fields = [_csv_text_field(x) for x in uniq]  # strings (infer_dtype) or a StringArray
    else:
        fields = [str(x) for x in uniq]
    table = np.array([*fields, ""], dtype=object)  # code -1 (missing) -> ""
    return table[codes]


def _csv_text(df: pd.DataFrame) -> str | None:
    """``df.to_csv(index=False, lineterminator="\\n")`` as text, vectorised; None if a dtype is not covered.

    Every distinct value is formatted once (:func:`_csv_column`), so a table with many repeated
    labels and shares is written several times faster; the bytes are those of pandas
    (``tests/test_io_csv.py`` compares them). Frames with fewer than two columns or non-string
    labels go to pandas.
    """
    if df.shape[1] < 2 or not all(isinstance(c, str) for c in df.columns) or not df.columns.is_unique:
        return None
    cols = []
    for c in df.columns:
        col = _csv_column(df[c])
        if col is None:
            return None
        cols.append(col)
    header = ",".join(_csv_field(c) for c in df.columns)
    if not len(df):
        return header + "\n"
    return header + "\n" + "\n".join(map(",".join, zip(*cols, strict=True))) + "\n"


def write_csv(df: pd.DataFrame, path: str | Path, *, spreadsheet_safe: bool = False) -> None:
    """Write ``df`` as UTF-8 CSV without index, ``\\n`` line endings, shortest-repr floats.

    With ``spreadsheet_safe`` text cells that a spreadsheet would run as a formula are
    neutralised first (:func:`neutralise_formulas`). The file is written to a temporary name and
    renamed, so a failure never leaves a partial file behind. Same frame in, same bytes out.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if spreadsheet_safe:
        df = neutralise_formulas(df)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        text = _csv_text(df)
        if text is None:
            df.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
        else:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(obj: Mapping[str, Any], path: str | Path) -> None:
    """Write ``obj`` as pretty, key-sorted UTF-8 JSON (deterministic), atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class OutputsNotWritten(RuntimeError):
    """Raised by :func:`atomic_outputs` when the block did not write every declared output."""


def _missing_parents(path: Path) -> list[Path]:
    """Ancestors of ``path`` that do not exist yet, deepest first."""
    missing = []
    for parent in path.parents:
        if parent.exists():
            break
        missing.append(parent)
    return missing


@contextmanager
def atomic_outputs(paths: Mapping[K, str | Path] | Sequence[str | Path]) -> Iterator[Any]:
    """Stage several output files and move them into place only when all are written.

    Usage (the outputs of a rule, e.g. ``dict(snakemake.output.items())``)::

        with atomic_outputs({"table": "results/x/table.csv", "summary": "results/x/s.json"}) as tmp:
            write_csv(df, tmp["table"])
            write_json(summary, tmp["summary"])

    ``paths`` is a mapping (the block receives a dict with the same keys) or a sequence (the
    block receives a list in the same order) of final paths. The block gets temporary paths in a
    staging folder ``.staging-*`` created in the outputs' common parent folder (same file system,
    so the final moves are renames). When the block returns, every temporary file must exist
    (otherwise :class:`OutputsNotWritten`); existing outputs are moved aside, the new files are
    moved into place, and the old ones are deleted. If the block raises, or a move fails, the
    staging folder is removed, any output already moved is put back, and folders this call
    created are removed again: the previous outputs (or their absence) are exactly restored.
    """
    keys: list[Any]
    if isinstance(paths, Mapping):
        keys = list(paths)
        finals = [Path(paths[k]) for k in keys]
    else:
        keys = []
        finals = [Path(p) for p in paths]
    if not finals:
        raise ValueError("atomic_outputs needs at least one output path")
    resolved = [p.absolute() for p in finals]
    if len(set(resolved)) != len(resolved):
        raise ValueError("atomic_outputs: an output path is listed twice")
    root = Path(os.path.commonpath([str(p.parent) for p in resolved]))
    created = sorted({d for p in resolved for d in _missing_parents(p)}, key=lambda d: -len(d.parts))
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=root, prefix=".staging-"))
    temps = [staging / "new" / p.relative_to(root) for p in resolved]
    for t in temps:
        t.parent.mkdir(parents=True, exist_ok=True)
    handed = dict(zip(keys, temps, strict=True)) if keys else list(temps)
    moved: list[tuple[Path, Path | None]] = []  # (final path, backup of the old file or None)
    try:
        yield handed
        missing = [str(f) for f, t in zip(finals, temps, strict=True) if not t.is_file()]
        if missing:
            raise OutputsNotWritten(f"outputs not written: {', '.join(missing)}")
        backup_dir = staging / "old"
        for final, tmp in zip(resolved, temps, strict=True):
            final.parent.mkdir(parents=True, exist_ok=True)
            backup = None
            if final.exists() or final.is_symlink():
                backup = backup_dir / final.relative_to(root)
                backup.parent.mkdir(parents=True, exist_ok=True)
                os.replace(final, backup)
            moved.append((final, backup))
            os.replace(tmp, final)
    except BaseException:
        for final, backup in reversed(moved):
            if backup is not None:
                os.replace(backup, final)
            else:
                final.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        for d in created:
            try:
                d.rmdir()
            except OSError:
                pass
        raise
    shutil.rmtree(staging, ignore_errors=True)


ARROW_MIN_BYTES = 8 * 2**20  # files from this size on are parsed by pyarrow (read_responses)


def arrow_string_factors(source: Any, width: int, parse_options: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each column's ``(codes, uniques)`` (``pd.factorize`` order: first occurrence; codes in the
    smallest integer type) of the CSV ``source`` (a path or a pyarrow buffer) after its header
    line, read by pyarrow's multithreaded CSV reader with ``parse_options``, every field a string
    (``""`` is a string, never missing). Each column's text is freed once encoded and pyarrow's
    pool returns the parse's memory. pyarrow's errors (``ArrowInvalid``: a record of another
    width) propagate."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    names = [f"f{j}" for j in range(width)]
    table = pacsv.read_csv(
        source,
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
        parse_options=parse_options,
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            null_values=[],
        ),
    )
    factors, encoded = [], None
    for name in names:
        column = table.column(name)
        table = table.drop_columns([name])
        encoded = pc.dictionary_encode(column.combine_chunks())
        del column
        uniques = encoded.dictionary.to_numpy(zero_copy_only=False).astype(object, copy=False)
        factors.append((encoded.indices.to_numpy().astype(smallest_code_dtype(len(uniques))), uniques))
    del table, encoded
    pa.default_memory_pool().release_unused()  # (the pool would keep the parsed text's memory)
    return factors


def read_responses(path: str | Path) -> pd.DataFrame:
    """Read ``01_clean/responses.csv``: ``rid`` as string, every other column as nullable Int64.

    From ``ARROW_MIN_BYTES`` on, pyarrow's multithreaded CSV reader parses the file with the
    same types (``rid`` string, every other column int64, ``""`` missing); a cell that is not
    an integer makes it fall back to pandas, which raises as before. Smaller files (the study's
    size) skip the pyarrow import, which costs more than it saves there.
    """
    if Path(path).stat().st_size >= ARROW_MIN_BYTES:
        df = _read_responses_arrow(path)
        if df is not None:
            return df
    df = pd.read_csv(path, dtype={"rid": "string"}, encoding="utf-8")
    for col in df.columns:
        if col != "rid":
            df[col] = df[col].astype("Int64")
    return df


def _read_responses_arrow(path: str | Path) -> pd.DataFrame | None:
    """``responses.csv`` through ``pyarrow.csv`` (see :func:`read_responses`); ``None`` if a cell
    does not parse as the declared type."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with open(path, encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh), [])
    types = {c: (pa.string() if c == "rid" else pa.int64()) for c in header}
    try:
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types=types, null_values=[""], strings_can_be_null=True
            ),
        )
    except pa.ArrowInvalid:
        return None
    mapping = {pa.int64(): pd.Int64Dtype(), pa.string(): pd.StringDtype()}
    df = table.to_pandas(types_mapper=mapping.get)
    del table
    pa.default_memory_pool().release_unused()  # (the pool would keep the parsed table's memory)
    return df
