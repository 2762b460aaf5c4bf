"""Audited cleaning: raw export -> canonical ``responses.csv`` plus an account of every raw row.

Order of the steps (each row leaves at the first step that excludes it):

0. *Blank records*: rows in which every cell is empty are excluded with rule ``blank_record``.
1. *Structure* (:func:`map_to_canonical`): required columns present, every cell of a coded column
   an integer code of the codebook (after ``export.recode``, matched on the numeric code whatever
   the cell's type), respondent ids present (and unique when configured), SPSS value labels
   consistent with the codebook's labels (:func:`value_label_mismatches`). Any failure raises
   :class:`~mhsurvey.errors.InputDataError` naming file, row, column and value; nothing is written.
2. *Configured exclusions*: respondent ids listed in ``surveys.<survey>.exclusions``.
3. *Incomplete responses*: status column not "completed", or fewer than
   ``cleaning.incomplete.min_required_share`` of the required questions answered.
4. *Duplicated submissions*: with ``duplicate_ids: keep_latest`` the latest complete submission of
   an id is kept and the earlier ones are excluded.
5. *Target group*: ``surveys.<survey>.target_group`` (e.g. direct contact with inmates = yes).
6. *Routing* (:func:`apply_routing`): answers where a question was not asked are blanked (or the row
   excluded); every inconsistency is listed in ``flags.csv``.

``raw rows = kept + excluded`` is checked before anything is returned; a run that keeps no
respondent at all stops with a message naming the rule(s) that excluded them.
"""

from __future__ import annotations

import hmac
import logging
import re
import warnings
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .codebook import Codebook, Column, code_key, normalise_label, split_recode
from .errors import ConfigError, InputDataError
from .io import holds_nul
from .readers import RawExport, read_export
from .routing import _question_answered, apply_routing, question_groups, routing_mask

log = logging.getLogger("mhsurvey.clean")

_CODE_LIMIT = 2**31  # larger integers are reported as "too large for a code"
LABEL_MISMATCH = ("stop", "warn")

EXCLUSION_COLUMNS = ("raw_row", "rid", "rule", "reason", "detail")


@dataclass(frozen=True)
class TargetGroup:
    """Keep rows whose ``column`` holds one of ``keep``."""

    column: str
    keep: tuple[int, ...]


@dataclass(frozen=True)
class CleaningSettings:
    """Cleaning options of one survey (from ``config/config.yaml``)."""

    encoding: str = "auto"
    duplicate_ids: str = "keep_latest"
    use_status: bool = True
    min_required_share: float = 0.8
    routing_violation: str = "blank"
    pseudonym_key: str = "change-me-please"
    target_group: TargetGroup | None = None
    exclusions: tuple[tuple[str, str], ...] = ()
    label_mismatch: str = "stop"
    invalid_bytes: str = "stop"


def read_exclusion_list(path: str | Path, encoding: str = "auto") -> tuple[tuple[str, str], ...]:
    """Read a configured exclusion list with columns ``respondent_id`` and ``reason``.

    It is read by the same reader as exports (:func:`mhsurvey.readers.read_export`: delimiter
    and encoding detection, ``.xlsx`` too); ids are normalised like export ids (``101.0`` ->
    ``101``). A list with a header and no rows excludes nobody.
    """
    raw = read_export(path, encoding)
    missing = {"respondent_id", "reason"} - set(raw.frame.columns)
    if missing:
        raise InputDataError(f"exclusion list lacks column(s) {sorted(missing)}", file=str(path), row=0)
    ids = raw.frame["respondent_id"]
    if ids.map(_is_empty).any():
        row = ids.index[ids.map(_is_empty).to_numpy()][0]
        raise InputDataError(
            "exclusion list: respondent id is empty", file=str(path), row=int(row), column="respondent_id"
        )
    out: dict[str, str] = {}
    for rid, reason in zip(ids.map(_id_string), raw.frame["reason"], strict=True):
        out.setdefault(rid, "" if _is_empty(reason) else str(reason).strip())
    return tuple(out.items())


def settings_from_config(config: Mapping[str, Any], survey: str) -> CleaningSettings:
    """Build :class:`CleaningSettings` for ``survey`` from the validated main config."""
    c = config["cleaning"]
    s = config["surveys"][survey]
    tg = s.get("target_group")
    excl_path = s.get("exclusions")
    encoding = c.get("encoding", "auto")
    return CleaningSettings(
        encoding=encoding,
        duplicate_ids=c["duplicate_ids"],
        use_status=c["incomplete"]["use_status"],
        min_required_share=float(c["incomplete"]["min_required_share"]),
        routing_violation=c["routing_violation"],
        pseudonym_key=c["pseudonym_key"],
        target_group=TargetGroup(tg["column"], tuple(tg["keep"])) if tg else None,
        exclusions=read_exclusion_list(excl_path, encoding) if excl_path else (),
        label_mismatch=c.get("label_mismatch", "stop"),
        invalid_bytes=c.get("invalid_bytes", "stop"),
    )


def pseudonym(raw_id: str, key: str) -> str:
    """Pseudonymous respondent id: ``"p_" + HMAC-SHA256(key, raw_id)`` (first 12 hex digits).

    Deterministic for a given key, not reversible without the export; the raw id itself never
    reaches ``results/``.
    """
    digest = hmac.digest(key.encode("utf-8"), str(raw_id).encode("utf-8"), "sha256")
    return "p_" + digest[:6].hex()


@dataclass
class CanonicalExport:
    """A raw export mapped onto canonical columns (structure validated, nothing excluded yet)."""

    codes: pd.DataFrame  # canonical non-text columns, Int64, index = raw row number
    text: pd.DataFrame  # canonical text columns (str / None), same index
    ids: pd.Series  # raw respondent ids as strings
    submitted: pd.Series | None
    status: pd.Series | None
    dropped_columns: list[str]
    ignored_columns: list[str]
    missing_text_columns: list[str]
    #: raw column -> cells read as empty because they held an ``export.missing_values`` token
    missing_value_cells: dict[str, int] = field(default_factory=dict)


def blank_missing_values(
    frame: pd.DataFrame, tokens: tuple[str, ...], skip: tuple[str, ...] = ()
) -> tuple[pd.DataFrame, dict[str, int]]:
    """``frame`` with every text cell that says one of ``tokens`` (``export.missing_values``,
    compared by :func:`normalise_label`: case, spaces, Unicode form) set to ``None``, the empty
    cell; and the number of such cells per column (columns without any left out).

    Columns in ``skip`` (the respondent id) are left as they are. Numbers are never tokens (a
    numeric missing code is a code of the codebook). Each column's distinct values are compared
    once (``pd.factorize``); ``frame`` itself is not modified.
    """
    wanted = {normalise_label(t) for t in tokens}
    if not wanted:
        return frame, {}
    out, counts = frame, {}
    for name in frame.columns:
        if name in skip:
            continue
        values = frame[name]
        codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
        hit = np.array([isinstance(u, str) and normalise_label(u) in wanted for u in uniques], dtype=bool)
        if not hit.any():
            continue
        mask = np.zeros(len(values), dtype=bool)
        seen = codes >= 0
        mask[seen] = hit[codes[seen]]
        if out is frame:
            out = frame.copy()
        col = values.to_numpy(dtype=object).copy()
        col[mask] = None
        out[name] = pd.Series(col, index=frame.index, dtype=object)
        counts[str(name)] = int(mask.sum())
    return out, counts


def _map_distinct(values: pd.Series, fn: Callable[[Any], Any]) -> pd.Series:
    """``values.map(fn)`` (object dtype), with ``fn`` called once per distinct value in a column
    of text (``infer_dtype`` "string" or "empty"), where equal cells are equal strings; every
    missing cell (``None``, NaN) gets ``fn(None)``, so ``fn`` must treat them alike. Other columns
    (numbers, where ``1 == 1.0 == True`` would pool cells ``fn`` tells apart) are mapped cell by
    cell."""
    if (
        len(values)
        and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")
        and not holds_nul(values)  # NUL would pool strings: cell by cell then
    ):
        codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
        mapped = np.empty(len(uniques) + 1, dtype=object)
        for j, u in enumerate(uniques):
            mapped[j] = fn(u)
        mapped[-1] = fn(None)  # code -1: missing
        return pd.Series(mapped[codes], index=values.index, dtype=object)
    return values.map(fn).astype(object)


def _as_code_strings(values: pd.Series) -> pd.Series:
    """Cells as stripped strings (``None`` stays ``None``); floats like 3.0 become ``"3.0"``."""
    return values.map(lambda v: None if _is_empty(v) else str(v).strip()).astype(object)


def _id_string(v: Any) -> str:
    """A respondent id as text: integral numbers without ``.0`` (SPSS/Excel store ids as numbers)."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return _text_id(str(v))


def _text_id(text: str) -> str:
    """:func:`_id_string` of a string: stripped, without a trailing ``.0``."""
    text = text.strip()
    return text[:-2] if text.endswith(".0") else text


def _status_string(v: Any) -> str | None:
    """A status cell as text; integral numbers without ``.0`` (SPSS stores status 1 as ``1.0``)."""
    if _is_empty(v):
        return None
    return str(k) if type(k := code_key(v)) is int else str(v).strip()


def _is_empty(v: Any) -> bool:
    """True for ``None``, NaN/NA and blank strings (all mean "no answer")."""
    if v is None or v is pd.NA:
        return True
    if isinstance(v, float) and np.isnan(v):
        return True
    return isinstance(v, str) and v.strip() == ""


def _all_text(values: np.ndarray) -> bool:
    """Whether every cell is a ``str`` (``None`` and numbers excluded), a test run in C."""
    return pd.api.types.infer_dtype(values, skipna=False) == "string"


def _empty_mask(values: pd.Series) -> np.ndarray:
    """``values.map(_is_empty)`` as a boolean array; a column of strings only is tested by
    ``str.strip`` alone (what :func:`_is_empty` does for a string)."""
    arr = values.to_numpy(dtype=object)
    if _all_text(arr):
        return np.fromiter((not v.strip() for v in arr), dtype=bool, count=len(arr))
    return np.fromiter((_is_empty(v) for v in arr), dtype=bool, count=len(arr))


def _recode_key(
    key: int | str | None, numeric: Mapping[int, int], labels: Mapping[str, int]
) -> int | str | None:
    if key is None:
        return None
    if isinstance(key, int):
        return numeric.get(key, key)
    return labels.get(key, key)


def _shown_codes(col: Column) -> str:
    valid = col.valid_codes()
    if len(valid) <= 15:
        return str(sorted(valid))
    return f"{min(valid)}..{max(valid)} and codes {sorted(col.nonsubstantive_codes())}"


def _parse_codes(
    values: pd.Series,
    col: Column,
    raw_name: str,
    raw: RawExport | str,
    recode: Mapping[Any, int],
    distinct: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.Series:
    """Parse one raw column into integer codes, validating each against the codebook.

    A cell is read by :func:`mhsurvey.codebook.code_key`: integral numbers are codes whatever
    the cell's type (``2``, ``2.0``, ``"2"``, ``"2.0"``), other text is a label. ``recode`` is
    applied to that key, so a recode keyed ``1``/``2`` applies to SPSS's ``1.0``/``2.0`` too.
    Raises :class:`InputDataError` at the first cell that is not an integer ("value of the wrong
    type"), then at the first that is not a code of the column ("unknown code", or "number too
    large for a code"). ``distinct``: ``pd.factorize(values)`` when the reader already has it.
    """
    path, sheet = (raw.path, raw.sheet) if isinstance(raw, RawExport) else (raw, None)
    if distinct is not None:  # the reader's pd.factorize of this very column (RawExport.distinct)
        codes, items = distinct[0], list(distinct[1])
    else:
        kind = pd.api.types.infer_dtype(values, skipna=True)
        if kind in _FACTORIZABLE and not (kind == "string" and holds_nul(values)):
            # each distinct value is read once: same keys, same first failing row (codes in row order)
            codes, items = pd.factorize(values)
        else:  # each cell is its own item
            codes, items = np.arange(len(values)), values.tolist()
    keys = [code_key(v) for v in items]
    if recode:
        numeric, labels = split_recode(recode)
        keys = [_recode_key(k, numeric, labels) for k in keys]
    return _codes_from_keys(keys, codes, values, col, raw_name, path, sheet)


#: Cell types whose equal values (``==`` and hash) always give the same :func:`code_key`, so a
#: column of them can be read one distinct value at a time (booleans equal 0/1 but read as text).
_FACTORIZABLE = ("string", "integer", "floating", "mixed-integer-float", "empty")


#: Texts that statistics packages and survey tools write for "no answer" (R ``NA``, SPSS
#: ``#NULL!``, pandas ``nan``, ...), as :func:`normalise_label` gives them: a cell holding one in a
#: coded column gets a hint about ``export.missing_values``; none is read as empty unless listed.
MISSING_MARKERS = frozenset({"na", "n/a", "#n/a", "#null!", "nan", "null", "none", "missing", ".", "-"})


def _wrong_type(
    k: str, values: pd.Series, i: int, col: Column, raw_name: str, path: Any, sheet: str | None
) -> InputDataError:
    """The error for row ``i`` of ``values``, whose key ``k`` is text, not an integer code."""
    labelled = [c.code for c in col.codes if k in (normalise_label(c.no), normalise_label(c.en))]
    hint = ""
    if labelled:
        hint = (
            f" ({values.iloc[i]!r} is the codebook's label of code {labelled[0]}: map the export's labels "
            "to codes with export.recode)"
        )
    elif k in MISSING_MARKERS:
        hint = (
            f" ({values.iloc[i]!r} looks like a statistics package's mark for no answer: list it under "
            "export.missing_values in the codebook to read such cells as empty)"
        )
    return InputDataError(
        f"value of the wrong type: {col.qtype} column needs an integer code{hint}",
        file=path,
        row=int(values.index[i]),
        column=raw_name,
        value=values.iloc[i],
        sheet=sheet,
    )


def _codes_from_keys(
    ukeys: list[int | str | None],
    codes: np.ndarray,
    values: pd.Series,
    col: Column,
    raw_name: str,
    path: Any,
    sheet: str | None,
) -> pd.Series:
    """:func:`_parse_codes` from the keys of the distinct values: ``codes`` maps each row to its
    value's key (from ``pd.factorize``, −1 = empty; or each row its own key).

    The same checks in the same order: the first row holding a key that is not an integer, then the
    first row holding an integer that is not a code of the column.
    """
    rows = values.index
    keys = [*ukeys, None]  # code -1 = missing
    wrong = [j for j, k in enumerate(ukeys) if k is not None and type(k) is not int]
    if wrong:
        i = int(np.flatnonzero(np.isin(codes, wrong))[0])
        raise _wrong_type(ukeys[int(codes[i])], values, i, col, raw_name, path, sheet)
    valid = col.valid_codes()
    unknown = [j for j, k in enumerate(ukeys) if k is not None and k not in valid]
    if unknown:
        i = int(np.flatnonzero(np.isin(codes, unknown))[0])
        k = ukeys[int(codes[i])]
        what = "number too large for a code" if abs(k) >= _CODE_LIMIT else "unknown code"
        raise InputDataError(
            f"{what} (codebook allows {_shown_codes(col)})",
            file=path,
            row=int(rows[i]),
            column=raw_name,
            value=values.iloc[i],
            sheet=sheet,
        )
    ints = np.array([0 if k is None else k for k in keys], dtype=np.int64)[codes]
    missing = np.array([k is None for k in keys], dtype=bool)[codes]
    return pd.Series(pd.arrays.IntegerArray(ints, missing), index=rows)


def value_label_mismatches(raw: RawExport, codebook: Codebook) -> list[dict[str, Any]]:
    """SPSS value labels that contradict the codebook's label of the same code.

    For every coded column whose raw variable carries value labels, each labelled raw code is
    recoded as the cells are (``export.recode``) and its label compared with the codebook's
    Norwegian and English labels of the resulting code, after :func:`normalise_label` (case,
    whitespace, Unicode NFC). Codes the codebook does not define are not compared (a cell holding
    one stops the run as an unknown code). Returns one record per contradiction.
    """
    exp = codebook.export
    found = []
    for col in codebook.columns:
        rname = exp.raw_name(col.name)
        labels = raw.value_labels.get(rname)
        if not labels or not col.codes:
            continue
        numeric, text = split_recode(exp.recode.get(col.name, {}))
        by_code = {c.code: c for c in col.codes}
        for raw_code, label in sorted(labels.items(), key=lambda kv: str(kv[0])):
            code = _recode_key(code_key(raw_code), numeric, text)
            if type(code) is not int or code not in by_code:
                continue
            cb = by_code[code]
            if normalise_label(label) not in (normalise_label(cb.no), normalise_label(cb.en)):
                found.append(
                    {
                        "column": rname,
                        "canonical_column": col.name,
                        "raw_code": code_key(raw_code),
                        "code": code,
                        "export_label": str(label),
                        "codebook_label": cb.no,
                    }
                )
    return found


def map_to_canonical(raw: RawExport, codebook: Codebook) -> CanonicalExport:
    """Validate the structure of ``raw`` and map it onto the codebook's canonical columns."""
    exp = codebook.export
    frame = raw.frame
    required = [exp.id_column] + [exp.raw_name(c.name) for c in codebook.columns]
    if exp.status_column:
        required.append(exp.status_column)
    if exp.submitted_column:
        required.append(exp.submitted_column)
    for name in required:
        if name not in frame.columns:
            missing = [n for n in required if n not in frame.columns]
            more = f" ({len(missing)} required columns are missing)" if len(missing) > 1 else ""
            hint = ""
            if raw.format == "xlsx" and len(raw.sheets) > 1:
                others = ", ".join(repr(n) for n in raw.sheets if n != raw.sheet)
                hint = f"; the sheet read is {raw.sheet!r}, the workbook also has {others}: set export.sheet"
            raise InputDataError(
                f"missing required column{more}{hint}", file=raw.path, row=0, column=name, sheet=raw.sheet
            )
    ids_raw = frame[exp.id_column]
    empty_id = _empty_mask(ids_raw)
    if empty_id.any():
        row = ids_raw.index[empty_id][0]
        raise InputDataError(
            "respondent id is empty", file=raw.path, row=int(row), column=exp.id_column, sheet=raw.sheet
        )
    ids_arr = ids_raw.to_numpy(dtype=object)
    if _all_text(ids_arr):
        ids = pd.Series([_text_id(v) for v in ids_arr], index=ids_raw.index, dtype=object).astype(str)
    else:
        ids = ids_raw.map(_id_string).astype(str)
    frame, token_cells = blank_missing_values(frame, exp.missing_values, skip=(exp.id_column,))

    codes = {}
    for col in codebook.columns:
        rname = exp.raw_name(col.name)
        distinct = raw.distinct.get(rname) if rname not in token_cells else None  # column as read
        codes[col.name] = _parse_codes(frame[rname], col, rname, raw, exp.recode.get(col.name, {}), distinct)
    # Int64 columns as parsed (no copy: the codes of a million respondents are 1.2 GB)
    codes_df = pd.DataFrame(codes, index=frame.index, copy=False)
    del codes
    for col in codebook.columns:  # numeric columns keep their range check in valid_codes()
        if codes_df[col.name].dtype != "Int64":
            codes_df[col.name] = codes_df[col.name].astype("Int64")

    text_cols, missing_text = {}, []
    for col in codebook.text_columns:
        rname = exp.raw_name(col.name)
        if rname in frame.columns:
            text_cols[col.name] = _map_distinct(frame[rname], lambda v: None if _is_empty(v) else str(v))
        else:
            missing_text.append(rname)
    text_df = pd.DataFrame(text_cols, index=frame.index, dtype=object)

    known = set(required) | {exp.raw_name(c.name) for c in codebook.text_columns}
    dropped = [c for c in exp.drop_columns if c in frame.columns]
    ignored = [c for c in frame.columns if c not in known and c not in exp.drop_columns]

    submitted = None
    if exp.submitted_column:
        try:
            with warnings.catch_warnings():  # "could not infer format": the bad cells are reported below
                warnings.simplefilter("ignore", UserWarning)
                values = frame[exp.submitted_column]
                submitted = pd.to_datetime(values, errors="coerce", dayfirst=_day_first(values))
        except (ValueError, TypeError, OverflowError):  # e.g. time zones mixed with naive times
            submitted = frame[exp.submitted_column].map(_one_datetime)
        bad = pd.Series(~_empty_mask(frame[exp.submitted_column]), index=frame.index) & submitted.isna()
        if bad.any():
            row = bad.index[bad.to_numpy()][0]
            raise InputDataError(
                "value of the wrong type: submission time is not a date-time",
                file=raw.path,
                row=int(row),
                column=exp.submitted_column,
                value=frame.loc[row, exp.submitted_column],
                sheet=raw.sheet,
            )
    status = _map_distinct(frame[exp.status_column], _status_string) if exp.status_column else None
    return CanonicalExport(
        codes_df, text_df, ids, submitted, status, dropped, ignored, missing_text, token_cells
    )


_DOTTED_DATE = re.compile(r"^\s*\d{1,2}\.\d{1,2}\.\d{4}")


def _day_first(values: pd.Series) -> bool:
    """True when most times are written day first with dots (``01.02.2023 10:00``, Norwegian).

    Without it pandas would read ``01.02.2023`` month first (2 January).
    """
    arr = values.to_numpy(dtype=object)
    if _all_text(arr):
        text = [v for v in arr if v.strip()]
    else:
        text = [str(v) for v in arr if not _is_empty(v) and isinstance(v, str)]
    return bool(text) and sum(bool(_DOTTED_DATE.match(t)) for t in text) > len(text) / 2


def _one_datetime(v: Any) -> Any:
    """One submission time as a naive UTC timestamp, ``NaT`` when it is not a date-time."""
    if _is_empty(v):
        return pd.NaT
    try:
        t = pd.Timestamp(v)
    except (ValueError, TypeError, OverflowError):
        return pd.NaT
    return t.tz_convert("UTC").tz_localize(None) if t.tzinfo is not None else t


def normalise_multi(codes: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Within a multi-select question answered at all, unticked options are 0 (not missing)."""
    out = codes.copy()
    for q in codebook.questions:
        if q.type != "multi":
            continue
        cols = [c.name for c in q.columns if c.qtype == "multi"]
        answered = out[cols].notna().any(axis=1)
        for c in cols:
            out.loc[answered & out[c].isna(), c] = 0
    return out


@dataclass
class CleanResult:
    """Everything the ``clean`` rule writes."""

    responses: pd.DataFrame
    exclusions: pd.DataFrame
    flags: pd.DataFrame
    comments: pd.DataFrame
    summary: dict[str, Any]


def _required_answered_share(codes: pd.DataFrame, codebook: Codebook) -> pd.Series:
    """Share of required, asked questions that have an answer, per row."""
    req = [q for q in codebook.questions if q.required]
    if not req:
        return pd.Series(1.0, index=codes.index)
    asked_total = pd.Series(0.0, index=codes.index)
    answered_total = pd.Series(0.0, index=codes.index)
    for q in req:
        for group in question_groups(q):
            asked = routing_mask(codes, group[0].routing)
            asked_total += asked
            answered_total += asked & _question_answered(codes, [c.name for c in group])
    return (answered_total / asked_total.where(asked_total > 0)).fillna(1.0)


BLANK_REASON = "blank record (every cell of the row is empty)"


def clean_export(raw: RawExport, codebook: Codebook, settings: CleaningSettings) -> CleanResult:
    """Run all cleaning steps on a raw export (see the module docstring for the order)."""
    if raw.n_rows == 0:
        raise InputDataError(
            "the export has a header but no data rows", file=raw.path, row=1, sheet=raw.sheet
        )
    if len(raw.frame) == 0:
        raise InputDataError(
            f"the export has no data: all {len(raw.blank_rows)} row(s) under the header are blank",
            file=raw.path,
            row=raw.blank_rows[0],
            sheet=raw.sheet,
        )
    canon = map_to_canonical(raw, codebook)
    if raw.invalid_bytes:
        first = raw.invalid_bytes[0]
        log.warning(
            "%s: %d cell(s) held bytes that are not UTF-8, read as U+FFFD (first: row %s, column %r); "
            "listed in the cleaning summary",
            raw.path,
            len(raw.invalid_bytes),
            first["row"],
            first["column"],
        )
    mismatches = value_label_mismatches(raw, codebook)
    if mismatches:
        m = mismatches[0]
        text = (
            f"value label contradicts the codebook: code {m['raw_code']} is labelled {m['export_label']!r} "
            f"in the export but {m['codebook_label']!r} in the codebook (column {m['canonical_column']})"
        )
        if settings.label_mismatch != "warn":
            more = f"; {len(mismatches) - 1} more contradiction(s)" if len(mismatches) > 1 else ""
            raise InputDataError(
                f"{text}{more}; fix export.recode, or set cleaning.label_mismatch: warn to go on",
                file=raw.path,
                column=m["column"],
                value=m["raw_code"],
            )
        for m in mismatches:
            log.warning(
                "%s: column %s code %s labelled %r in the export, %r in the codebook",
                raw.path,
                m["column"],
                m["raw_code"],
                m["export_label"],
                m["codebook_label"],
            )
    # The raw cells are in canon now: drop this function's reference to them (clean_survey keeps
    # none), which frees the export's cell frame (1.3 GB for a million respondents) from here on.
    n_rows = raw.n_rows
    raw = replace(raw, frame=raw.frame.iloc[:0].copy(), distinct={})  # (a copy: a view keeps the cells)
    codes = normalise_multi(canon.codes, codebook)
    canon = replace(canon, codes=canon.codes.iloc[:0].copy())  # (the copy above is the one used)
    index = codes.index
    rids = canon.ids.map(lambda i: pseudonym(i, settings.pseudonym_key))
    excluded: dict[Any, tuple[str, str, str]] = {}

    def exclude(
        mask: pd.Series, rule: str, reason: str, detail: pd.Series | Callable[[Any], str] | str = ""
    ) -> None:
        """Exclude the rows of ``mask`` not yet excluded; ``detail``: text, per row, or a function
        of the row (called for the excluded rows only)."""
        for row in index[mask.to_numpy()]:
            if row not in excluded:
                if isinstance(detail, str):
                    d = detail
                elif callable(detail):
                    d = detail(row)
                else:
                    d = str(detail[row])
                excluded[row] = (rule, reason, d)

    def remaining() -> pd.Series:
        return pd.Series([r not in excluded for r in index], index=index)

    # 2. configured exclusions
    if settings.exclusions:
        reasons = dict(settings.exclusions)
        listed = canon.ids.isin(list(reasons))
        exclude(
            listed,
            "configured_exclusion",
            "excluded by decision (exclusion list)",
            lambda row: reasons.get(canon.ids[row], ""),
        )
        unknown = set(reasons) - set(canon.ids)
        if unknown:
            log.warning("exclusion list names %d id(s) not in the export", len(unknown))

    # 3. incomplete responses
    if settings.use_status and canon.status is not None:
        complete = canon.status.isin([_status_string(v) for v in codebook.export.complete_values])
        exclude(
            ~complete & remaining(),
            "incomplete",
            "incomplete response (status not completed)",
            lambda row: f"status={canon.status[row]}",
        )
    share = _required_answered_share(codes, codebook)
    exclude(
        (share < settings.min_required_share) & remaining(),
        "incomplete",
        f"incomplete response (fewer than {settings.min_required_share:.0%} of required questions answered)",
        lambda row: f"answered share={share[row]:.3f}",
    )

    # 4. duplicated ids
    dup = canon.ids.duplicated(keep=False)
    if dup.any():
        if settings.duplicate_ids == "error":
            row = index[canon.ids.duplicated().to_numpy()][0]
            raise InputDataError(
                "duplicated respondent id (ids must be unique)",
                file=raw.path,
                row=int(row),
                column=codebook.export.id_column,
                value=canon.ids[row],
            )
        rem = remaining()
        order = pd.DataFrame(
            {"id": canon.ids, "row": index, "t": canon.submitted if canon.submitted is not None else pd.NaT}
        )
        order = order[rem.to_numpy()].sort_values(["id", "t", "row"], na_position="first", kind="stable")
        latest = order.groupby("id", sort=False)["row"].last()
        superseded = order[~order["row"].isin(latest.to_numpy())]
        mask = pd.Series(index.isin(superseded["row"].to_numpy()), index=index)
        detail = {
            r: f"superseded by raw row {latest[i]}"
            for r, i in zip(superseded["row"], superseded["id"], strict=True)
        }
        exclude(
            mask,
            "duplicate",
            "duplicated submission (a later submission of the same respondent is kept)",
            pd.Series(detail, dtype=object).reindex(index).fillna(""),
        )

    # 5. target group
    if settings.target_group is not None:
        tg = settings.target_group
        if not codebook.has_column(tg.column):
            raise ConfigError(f"target_group column {tg.column!r} is not in codebook {codebook.path}")
        values = codes[tg.column]
        outside = ~values.isin(list(tg.keep)).fillna(False)
        exclude(
            outside & remaining(),
            "target_group",
            f"outside the target group ({tg.column} not in {list(tg.keep)})",
            lambda row: f"{tg.column}={'missing' if pd.isna(values[row]) else int(values[row])}",
        )

    keep = remaining()
    if not keep.any():
        _no_respondents(raw, excluded)
    kept_codes = codes[keep.to_numpy()]
    del codes  # the kept rows are what is routed
    routed, flags = apply_routing(kept_codes, codebook, rids, copy=settings.routing_violation != "exclude")
    if settings.routing_violation == "exclude":
        viol_rows = set(flags.loc[flags["issue"] == "answered_not_asked", "raw_row"])
        exclude(
            pd.Series(index.isin(list(viol_rows)), index=index),
            "routing",
            "answer given where the question was not asked",
        )
        keep = remaining()
        if not keep.any():
            _no_respondents(raw, excluded)
        routed = kept_codes[keep[kept_codes.index].to_numpy()]
        routed, flags = apply_routing(routed, codebook, rids, copy=False)  # a new row selection

    responses = routed  # a new frame (a row selection of codes), so not copied again
    del routed, kept_codes
    responses.insert(0, "rid", rids[responses.index].astype("string"))
    raw_rows = responses.index.to_numpy()
    responses.index = pd.RangeIndex(len(responses))  # reset_index(drop=True), in place

    for r in raw.blank_rows:
        excluded[r] = ("blank_record", BLANK_REASON, "")
    excl_rows = sorted(excluded)
    exclusions = pd.DataFrame(
        [(int(r), rids.get(r, ""), *excluded[r]) for r in excl_rows], columns=list(EXCLUSION_COLUMNS)
    )
    comments = _comments(canon.text.loc[raw_rows], rids)
    summary = _summary(raw, codebook, canon, n_rows, responses, exclusions, flags, settings, mismatches)
    return CleanResult(responses, exclusions, flags, comments, summary)


def _no_respondents(raw: RawExport, excluded: Mapping[Any, tuple[str, str, str]]) -> None:
    """Stop: cleaning excluded every row. The message names the rule(s) and their counts."""
    by_rule = Counter(rule for rule, _, _ in excluded.values())
    if len(by_rule) == 1:
        rule = next(iter(by_rule))
        reason = next(iter(excluded.values()))[1]
        what = f"rule {rule!r} excluded all {by_rule[rule]} of them ({reason})"
    else:
        last = list(excluded.values())[-1][0]  # rules apply in order: the last one emptied the sample
        what = (
            "excluded by rule: "
            + ", ".join(f"{r} {n}" for r, n in sorted(by_rule.items()))
            + f"; rule {last!r} excluded the last {by_rule[last]} remaining"
        )
    blank = f" (and {len(raw.blank_rows)} blank row(s))" if raw.blank_rows else ""
    raise InputDataError(
        f"no respondent is left after cleaning: of {len(excluded)} data rows{blank}, {what}",
        file=raw.path,
        sheet=raw.sheet,
    )


def _comments(text: pd.DataFrame, rids: pd.Series) -> pd.DataFrame:
    """Long table of non-empty free-text answers of kept respondents (restricted output)."""
    rows = []
    for col in text.columns:
        given = text[col][text[col].notna().to_numpy()]  # empty cells are None (or NaN)
        given = given[~_empty_mask(given)]
        for rid, value in zip(rids.loc[given.index].tolist(), given.tolist(), strict=True):
            rows.append((rid, col, str(value)))
    return pd.DataFrame(rows, columns=["rid", "column", "text"])


def _summary(
    raw: RawExport,
    codebook: Codebook,
    canon: CanonicalExport,
    n_raw: int,
    responses: pd.DataFrame,
    exclusions: pd.DataFrame,
    flags: pd.DataFrame,
    settings: CleaningSettings,
    label_mismatches: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    by_rule = Counter(exclusions["rule"])
    by_reason = Counter(exclusions["reason"])
    n_kept, n_excl = len(responses), len(exclusions)
    if n_kept + n_excl != n_raw:
        raise AssertionError(f"cleaning lost rows: raw {n_raw} != kept {n_kept} + excluded {n_excl}")
    return {
        "survey": codebook.survey,
        "export": {
            "path": raw.path,
            "format": raw.format,
            "sha256": raw.sha256,
            "encoding": raw.encoding,
            "delimiter": raw.delimiter,
            "sheet": raw.sheet,
            "invalid_bytes": list(raw.invalid_bytes),
            "missing_values": list(codebook.export.missing_values),
            "missing_value_cells": dict(sorted(canon.missing_value_cells.items())),
        },
        "codebook": codebook.path,
        "data": data_provenance(raw.path, raw.sha256),
        "raw_rows": n_raw,
        "blank_records": len(raw.blank_rows),
        "kept": n_kept,
        "excluded": n_excl,
        "excluded_by_rule": dict(sorted(by_rule.items())),
        "excluded_by_reason": dict(sorted(by_reason.items())),
        "reconciles": n_kept + n_excl == n_raw,
        "flags_by_issue": dict(sorted(Counter(flags["issue"]).items())),
        "dropped_identifier_columns": canon.dropped_columns,
        "ignored_columns": canon.ignored_columns,
        "missing_text_columns": canon.missing_text_columns,
        "value_label_mismatches": list(label_mismatches or []),
        "settings": {
            "duplicate_ids": settings.duplicate_ids,
            "use_status": settings.use_status,
            "min_required_share": settings.min_required_share,
            "routing_violation": settings.routing_violation,
            "target_group": None
            if settings.target_group is None
            else {"column": settings.target_group.column, "keep": list(settings.target_group.keep)},
            "configured_exclusions": len(settings.exclusions),
            "label_mismatch": settings.label_mismatch,
            "invalid_bytes": settings.invalid_bytes,
        },
    }


SYNTHETIC_MARKER = "synthetic.json"


def data_provenance(export_path: str | Path, sha256: str) -> dict[str, Any]:
    """Whether an export is synthetic, from the marker ``synthetic.json`` beside it.

    The export counts as synthetic when the marker lists its file name; ``checksum_matches``
    tells whether its SHA-256 is the one the generator wrote (a mismatch means the file was
    edited after generation). Later stages label every page and figure with ``label_no`` when
    ``synthetic`` is true. Without a marker the data are taken to be real.
    """
    import json

    marker_path = Path(export_path).parent / SYNTHETIC_MARKER
    if not marker_path.exists():
        return {"synthetic": False}
    marker = json.loads(marker_path.read_text(encoding="utf-8"))
    for entry in marker.get("surveys", {}).values():
        if entry.get("export") == Path(export_path).name:
            return {
                "synthetic": True,
                "label_no": marker.get("label_no", "Syntetiske data"),
                "label_en": marker.get("label_en", "Synthetic data"),
                "statement_no": marker.get("statement_no", ""),
                "statement_en": marker.get("statement_en", ""),
                "marker": str(marker_path),
                "checksum_matches": entry.get("sha256") == sha256,
            }
    return {"synthetic": False}


def clean_survey(export_path: str | Path, codebook: Codebook, settings: CleaningSettings) -> CleanResult:
    """Read the export at ``export_path`` and clean it (:func:`clean_export`); no reference to the
    raw export is kept here, so cleaning can free its cells once they are parsed."""
    return clean_export(
        read_export(
            export_path, settings.encoding, sheet=codebook.export.sheet, invalid_bytes=settings.invalid_bytes
        ),
        codebook,
        settings,
    )


def kept_share(result: CleanResult) -> float:
    """Share of raw rows kept (for logs)."""
    total = result.summary["raw_rows"]
    return float(np.divide(result.summary["kept"], total)) if total else float("nan")


def _codes_text(col: Column) -> str:
    if col.qtype == "numeric":
        extra = "; ".join(f"{c.code}={c.no}" for c in col.codes)
        return f"{col.minimum}-{col.maximum}" + (f"; {extra}" if extra else "")
    if col.qtype == "multi":
        return "1=ticked; 0=not ticked"
    return "; ".join(f"{c.code}={c.no}" for c in col.codes)


def responses_dictionary(codebook: Codebook) -> pd.DataFrame:
    """Data dictionary of ``responses.csv``: one row per column, from the codebook."""
    rows = [
        (
            "rid",
            "string",
            "",
            "Pseudonymous respondent id (HMAC of the export's id)",
            "Pseudonymous respondent id",
            "",
            "",
            "",
            "",
            "",
        )
    ]
    for col in codebook.columns:
        rows.append(
            (
                col.name,
                "integer code" if col.qtype != "numeric" else "integer",
                col.question_id,
                col.label_no,
                col.label_en,
                _codes_text(col),
                ";".join(str(c) for c in sorted(col.nonsubstantive_codes())),
                col.routing or "",
                col.instrument or "",
                col.breakdown or "",
            )
        )
    return pd.DataFrame(
        rows,
        columns=[
            "column",
            "type",
            "question_id",
            "label_no",
            "label_en",
            "values",
            "nonsubstantive_codes",
            "routing",
            "instrument",
            "breakdown",
        ],
    )


EXCLUSIONS_DOC = {
    "raw_row": ("integer", "1-based data row of the raw export (header = row 0)"),
    "rid": ("string", "pseudonymous respondent id (empty for a blank record)"),
    "rule": (
        "string",
        "cleaning step that excluded the row",
        "blank_record; configured_exclusion; incomplete; duplicate; target_group; routing",
    ),
    "reason": ("string", "why the row was excluded"),
    "detail": ("string", "the value that triggered the rule"),
}
FLAGS_DOC = {
    "raw_row": ("integer", "1-based data row of the raw export"),
    "rid": ("string", "pseudonymous respondent id (kept rows only)"),
    "column": ("string", "canonical column (question id for multi-select questions)"),
    "value": ("string", "the answer concerned (codes; ';' between ticked options)"),
    "issue": ("string", "kind of inconsistency", "answered_not_asked; not_answered; exclusive_with_others"),
    "action": ("string", "what cleaning did", "blanked; kept_missing; kept"),
}
COMMENTS_DOC = {
    "rid": ("string", "pseudonymous respondent id"),
    "column": ("string", "canonical free-text column"),
    "text": ("string", "free-text answer as given (RESTRICTED: never read into a report)"),
}


def write_clean_result(result: CleanResult, codebook: Codebook, out: Mapping[str, str | Path]) -> None:
    """Write every output of the ``clean`` rule; ``out`` maps output names to paths.

    Keys: ``responses``, ``responses_dict``, ``exclusions``, ``exclusions_dict``, ``flags``,
    ``flags_dict``, ``summary``, ``comments``, ``comments_dict``. All-or-nothing
    (:func:`mhsurvey.io.atomic_outputs`): a failure part-way leaves the previous outputs as they
    were. Text cells of the tables a reviewer may open in a spreadsheet (exclusions, flags,
    comments) are neutralised against formula injection (:func:`mhsurvey.io.neutralise_formulas`).
    """
    from .dictionary import docs_from_mapping, write_dictionary
    from .io import atomic_outputs, write_csv, write_json

    keys = (
        "responses",
        "responses_dict",
        "exclusions",
        "exclusions_dict",
        "flags",
        "flags_dict",
        "comments",
        "comments_dict",
        "summary",
    )
    with atomic_outputs({k: out[k] for k in keys}) as tmp:
        write_csv(result.responses, tmp["responses"])
        write_csv(responses_dictionary(codebook), tmp["responses_dict"])
        write_csv(result.exclusions, tmp["exclusions"], spreadsheet_safe=True)
        write_dictionary(docs_from_mapping(EXCLUSIONS_DOC), tmp["exclusions_dict"], result.exclusions)
        write_csv(result.flags, tmp["flags"], spreadsheet_safe=True)
        write_dictionary(docs_from_mapping(FLAGS_DOC), tmp["flags_dict"], result.flags)
        write_csv(result.comments, tmp["comments"], spreadsheet_safe=True)
        write_dictionary(docs_from_mapping(COMMENTS_DOC), tmp["comments_dict"], result.comments)
        write_json(result.summary, tmp["summary"])
