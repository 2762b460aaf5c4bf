"""SurveyXact-style raw exports with the quirks of real ones, in documented numbers.

One row per submission: ``respondent_id`` (integer id of the survey tool), ``submitted`` (ISO
8601 time within the fieldwork period), ``status`` (``completed``/``partial``), ``email`` (a fake
direct identifier, ``r<id>@example.invalid``, that cleaning drops), then every codebook column under
its raw name (``export.rename`` is empty, so raw = canonical): codes, multi options as 0/1 (empty
when the question was not answered), empty where routing skipped a question, free text.

Quirks (counts from ``quirks`` in the simulation config): respondents who broke off (status
``partial``, answers stop before a later question block), duplicated submissions (an earlier
complete submission of a kept respondent with a few different answers, superseded by the later
one) and routing violations (an answer where the question was not asked). The out-of-target
respondents and the "Ønsker ikke svare"/"Vet ikke" answers come from the generator.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mhsurvey.codebook import Codebook
from mhsurvey.errors import ConfigError
from mhsurvey.routing import routing_mask

from .generate import ROLE_OUTSIDE, ROLE_PARTIAL, ROLE_TARGET, GeneratedSurvey, child_rng

META_COLUMNS = ("respondent_id", "submitted", "status", "email")
STATUS_COMPLETE, STATUS_PARTIAL = "completed", "partial"


def respondent_ids(n: int, start: int, rng: np.random.Generator) -> np.ndarray:
    """Increasing survey-tool ids: ``start`` plus cumulative random gaps of 1-7 (invitations
    that never answered leave holes)."""
    return start + np.cumsum(rng.integers(1, 8, n)) - 1


def submission_times(n: int, start: str, end: str, rng: np.random.Generator) -> np.ndarray:
    """Uniform times (whole seconds) in ``[start, end]`` as ``datetime64[s]``."""
    t0, t1 = np.datetime64(start, "s"), np.datetime64(end, "s")
    span = int((t1 - t0) / np.timedelta64(1, "s"))
    return t0 + rng.integers(0, span + 1, n).astype("timedelta64[s]")


def _question_blocks(codebook: Codebook) -> list[list[str]]:
    """Columns of every question (text columns included) in questionnaire order."""
    return [[c.name for c in q.columns] for q in codebook.questions]


def _break_off(frame: pd.DataFrame, rows: np.ndarray, codebook: Codebook, rng: np.random.Generator) -> None:
    """Blank every answer after a random break-off question, in place.

    The break-off question lies between the first question after the background block (the last
    question with a ``breakdown``) and the second instrument, so the share of required questions
    answered stays far below the 80 % completeness threshold.
    """
    blocks = _question_blocks(codebook)
    qs = codebook.questions
    lo = 1 + max((k for k, q in enumerate(qs) if q.breakdown), default=0)
    scales = [k for k, q in enumerate(qs) if q.type == "scale"]
    last = max(lo, scales[1] if len(scales) > 1 else len(qs) - 1)
    for r in rows:
        stop = int(rng.integers(lo, last + 1))
        for cols in blocks[stop:]:
            frame.loc[r, cols] = None


def _violations(
    frame: pd.DataFrame,
    codebook: Codebook,
    spec: list[Mapping[str, Any]],
    eligible: np.ndarray,
    rng: np.random.Generator,
) -> tuple[dict[str, int], np.ndarray]:
    """Answer routed-away questions: ``n`` cells per column where the routing is false (in place).

    Returns the counts per column and the rows changed."""
    codes = frame[[c.name for c in codebook.columns]].apply(pd.to_numeric, errors="coerce")
    out = {}
    changed: list[int] = []
    for v in spec:
        name, n = v["column"], int(v["n"])
        col = codebook.column(name)
        if not col.routing or col.qtype in ("multi", "text"):
            raise ConfigError(f"quirks.routing_violations: {name} is not a routed single/grid column")
        not_asked = ~routing_mask(codes, col.routing).to_numpy() & codes[name].isna().to_numpy() & eligible
        pool = np.flatnonzero(not_asked)
        if len(pool) < n:
            raise ConfigError(
                f"quirks.routing_violations: only {len(pool)} rows can violate the routing of {name}"
            )
        rows = np.sort(rng.choice(pool, size=n, replace=False))
        valid = sorted(col.valid_codes() - col.nonsubstantive_codes())
        for r in rows:
            frame.at[r, name] = str(int(rng.choice(valid)))
        out[name] = n
        changed += [int(r) for r in rows]
        eligible = eligible.copy()
        eligible[rows] = False
    return out, np.array(sorted(changed), dtype=int)


def _alter_answers(row: pd.Series, codebook: Codebook, rng: np.random.Generator, k: int = 3) -> pd.Series:
    """A few instrument answers moved one category (the earlier submission of a duplicate)."""
    row = row.copy()
    items = [c for c in codebook.columns if c.instrument and row[c.name] not in (None, "")]
    for idx in rng.choice(len(items), size=min(k, len(items)), replace=False):
        col = items[int(idx)]
        valid = sorted(col.valid_codes() - col.nonsubstantive_codes())
        v = int(row[col.name])
        if v in valid:
            pos = valid.index(v)
            pos = (
                pos + 1 if pos == 0 else pos - 1 if pos == len(valid) - 1 else pos + int(rng.choice([-1, 1]))
            )
            row[col.name] = str(valid[pos])
    return row


def _cells(codes: pd.DataFrame, text: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """All codebook columns as strings (``None`` = empty), in questionnaire order."""
    out = {}
    for col in codebook.all_columns:
        if col.is_text:
            out[col.name] = text[col.name].astype(object).where(text[col.name].notna(), None)
        else:
            v = codes[col.name].to_numpy(dtype=float)
            missing = np.isnan(v)
            as_text = np.nan_to_num(v).astype(np.int64).astype(str).astype(object)
            as_text[missing] = None
            out[col.name] = as_text
    return pd.DataFrame(out, dtype=object)


def build_export(
    gen: GeneratedSurvey, cfg: Mapping[str, Any], codebook: Codebook, seed: int
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The raw export frame (all cells as strings or ``None``) and the quirk counts it contains."""
    exp, q = cfg["export"], cfg["quirks"]
    rng = child_rng(seed, "quirks")
    rng_ids = child_rng(seed, "export")
    body = _cells(gen.codes, gen.text, codebook)
    n = len(body)
    role = gen.role
    ids = respondent_ids(n, int(exp["respondent_id_start"]), rng_ids)
    ids = rng_ids.permutation(ids)  # invitation order is unrelated to the generation order
    times = submission_times(n, exp["fielding_start"], exp["fielding_end"], rng_ids)
    status = np.where(role == ROLE_PARTIAL, STATUS_PARTIAL, STATUS_COMPLETE)
    _break_off(body, np.flatnonzero(role == ROLE_PARTIAL), codebook, rng)
    violations, violators = _violations(
        body, codebook, list(q.get("routing_violations", [])), role == ROLE_TARGET, rng
    )

    # duplicated submissions: earlier complete copies of analysed respondents (not the violators')
    n_dup = int(q["duplicates"])
    t_min = np.datetime64(exp["fielding_start"], "s") + np.timedelta64(3, "D")
    eligible = (role == ROLE_TARGET) & (times > t_min)
    eligible[violators] = False
    pool = np.flatnonzero(eligible)
    dup_src = np.sort(rng.choice(pool, size=n_dup, replace=False)) if n_dup else np.array([], dtype=int)
    dup_rows, dup_times = [], []
    for r in dup_src:
        dup_rows.append(_alter_answers(body.loc[r], codebook, rng))
        back = int(rng.integers(3600, 3 * 86400))
        dup_times.append(times[r] - np.timedelta64(back, "s"))
    if n_dup:
        body = pd.concat([body, pd.DataFrame(dup_rows)], ignore_index=True)
        ids = np.concatenate([ids, ids[dup_src]])
        times = np.concatenate([times, np.array(dup_times, dtype="datetime64[s]")])
        status = np.concatenate([status, [STATUS_COMPLETE] * n_dup])

    meta = pd.DataFrame(
        {
            "respondent_id": [str(int(i)) for i in ids],
            "submitted": [str(t) for t in times],
            "status": status,
            "email": [f"r{int(i)}@{exp['email_domain']}" for i in ids],
        }
    )
    frame = pd.concat([meta, body.reset_index(drop=True)], axis=1)
    frame = frame.iloc[np.lexsort((frame["respondent_id"].astype(int).to_numpy(), times))].reset_index(
        drop=True
    )
    counts = {
        "rows": int(len(frame)),
        "analysed": int((role == ROLE_TARGET).sum()),
        "outside_target_group": int((role == ROLE_OUTSIDE).sum()),
        "partial": int((role == ROLE_PARTIAL).sum()),
        "duplicated_submissions": int(n_dup),
        "routing_violations": violations,
    }
    return frame, counts


def write_export(frame: pd.DataFrame, path: str | Path, delimiter: str) -> None:
    """Write the export as UTF-8 CSV with ``delimiter``, ``\\n`` line ends, minimal quoting, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        frame.to_csv(
            tmp,
            sep=delimiter,
            index=False,
            encoding="utf-8",
            lineterminator="\n",
            quoting=csv.QUOTE_MINIMAL,
            na_rep="",
        )
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_export_cells(path: str | Path, delimiter: str) -> pd.DataFrame:
    """Read a synthetic export back as strings (empty cells = ``None``)."""
    df = pd.read_csv(path, sep=delimiter, dtype=str, keep_default_na=False, encoding="utf-8")
    return df.where(df != "", None)


def kept_rows(frame: pd.DataFrame, target_column: str, outside_code: int) -> np.ndarray:
    """Rows cleaning will keep: completed, inside the target group, latest submission of their id."""
    complete = (frame["status"] == STATUS_COMPLETE).to_numpy()
    inside = (pd.to_numeric(frame[target_column], errors="coerce") != float(outside_code)).to_numpy()
    order = frame.assign(_row=np.arange(len(frame)))[complete].sort_values(
        ["respondent_id", "submitted", "_row"]
    )
    latest = order.groupby("respondent_id", sort=False)["_row"].last().to_numpy()
    keep = np.zeros(len(frame), dtype=bool)
    keep[latest] = True
    return keep & complete & inside


def count_quirks(
    frame: pd.DataFrame, codebook: Codebook, target_column: str, outside_code: int
) -> dict[str, Any]:
    """Quirks measured on an export (what ``synthetic.json`` documents and cleaning must catch).

    Partial = status not ``completed``; duplicated submissions = completed rows minus distinct ids
    among them; out of target = distinct completed ids whose ``target_column`` is ``outside_code``;
    routing violations = answered cells of routed non-text columns whose routing is false (all
    rows); non-substantive answers per code and free-text answers per column among the rows
    cleaning keeps (:func:`kept_rows`), whose number is ``expected_analysed``.
    """
    complete = frame["status"] == STATUS_COMPLETE
    done = frame[complete]
    keep = kept_rows(frame, target_column, outside_code)
    codes = frame[[c.name for c in codebook.columns]].apply(pd.to_numeric, errors="coerce")
    viol: dict[str, int] = {}
    for col in codebook.columns:
        if col.routing and col.qtype != "multi":
            n = int((codes[col.name].notna() & ~routing_mask(codes, col.routing)).sum())
            if n:
                viol[col.name] = n
    ns: dict[str, int] = {}
    for col in codebook.columns:
        for code in sorted(col.nonsubstantive_codes()):
            k = int((codes.loc[keep, col.name] == code).sum())
            if k:
                key = f"{code} {col.label(code)}"
                ns[key] = ns.get(key, 0) + k
    outside = pd.to_numeric(done[target_column], errors="coerce") == float(outside_code)
    return {
        "rows": int(len(frame)),
        "partial": int((~complete).sum()),
        "duplicated_submissions": int(len(done) - done["respondent_id"].nunique()),
        "outside_target_group": int(done.loc[outside, "respondent_id"].nunique()),
        "routing_violations": dict(sorted(viol.items())),
        "nonsubstantive_answers": dict(sorted(ns.items())),
        "free_text_answers": {
            c.name: int(frame.loc[keep, c.name].notna().sum())
            for c in codebook.text_columns
            if c.name in frame.columns
        },
        "expected_analysed": int(keep.sum()),
    }
