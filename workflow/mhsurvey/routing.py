"""Questionnaire routing: who was asked what, and the check that blanks answers given where not asked.

Shared by cleaning (stage 01: :func:`apply_routing` blanks and flags), estimates (stage 04: the
base of a question is the respondents it was asked of, :func:`routing_mask`) and the synthetic-data
generator (only asked questions are answered). A routing expression is a ``pandas.eval`` boolean
expression over canonical column names, written in the codebook (``columns[].routing``,
docs/codebook.md); an empty expression means "asked of everyone". Bases: docs/methods.md §1.4.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .codebook import Codebook, Column, Question, routing_names

FLAG_COLUMNS = ("raw_row", "rid", "column", "value", "issue", "action")


def routing_mask(frame: pd.DataFrame, expr: str | None) -> pd.Series:
    """Rows where the routing expression holds (``pandas.eval`` semantics; NaN compares False).

    An empty expression means "asked of everyone". Only the columns the expression names are
    converted to float, so evaluating one routing does not copy the whole frame; line breaks of
    multi-line YAML expressions are folded to spaces.
    """
    if not expr:
        return pd.Series(True, index=frame.index)
    expr = " ".join(str(expr).split())
    names = sorted(routing_names(expr) & set(frame.columns))
    result = frame[names].astype("float64").eval(expr, engine="python")
    if not isinstance(result, pd.Series):
        result = pd.Series(bool(result), index=frame.index)
    return result.fillna(False).astype(bool)


def question_groups(q: Question) -> list[list[Column]]:
    """Units that routing and completeness look at: a multi-select question as a whole,
    every other question column by column (text columns left out)."""
    cols = [c for c in q.columns if not c.is_text]
    if not cols:
        return []
    return [cols] if q.type == "multi" else [[c] for c in cols]


def _question_answered(frame: pd.DataFrame, cols: list[str]) -> pd.Series:
    return frame[cols].notna().any(axis=1)


def apply_routing(
    codes: pd.DataFrame, codebook: Codebook, rids: pd.Series, copy: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check routing in questionnaire order; blank answers given where a question was not asked.

    Returns the corrected codes and the flags table (columns ``FLAG_COLUMNS``): one row per
    answer given where not asked (``answered_not_asked``, action ``blanked``), per question left
    unanswered where asked (``not_answered``, action ``kept_missing``), and per multi-select
    answer that ticks an exclusive option with others (``exclusive_with_others``, ``kept``).
    ``copy=False`` corrects ``codes`` itself (for a caller that owns it: saves a copy of the data).
    """
    out = codes.copy() if copy else codes
    flags: list[tuple[Any, ...]] = []
    for q in codebook.questions:
        groups = question_groups(q)
        for group in groups:
            names = [c.name for c in group]
            asked = routing_mask(out, group[0].routing)
            answered = _question_answered(out, names)
            for row in out.index[(answered & ~asked).to_numpy()]:
                value = ";".join(str(out.at[row, n]) for n in names if pd.notna(out.at[row, n]))
                flags.append(
                    (
                        row,
                        rids[row],
                        q.id if q.type == "multi" else names[0],
                        value,
                        "answered_not_asked",
                        "blanked",
                    )
                )
            blank = (answered & ~asked).to_numpy()
            if blank.any():
                out.loc[blank, names] = pd.NA
            for row in out.index[(asked & ~answered).to_numpy()]:
                flags.append(
                    (
                        row,
                        rids[row],
                        q.id if q.type == "multi" else names[0],
                        "",
                        "not_answered",
                        "kept_missing",
                    )
                )
        if q.type == "multi" and groups:
            excl = [c.name for c in groups[0] if c.exclusive]
            others = [c.name for c in groups[0] if not c.exclusive]
            if excl:
                n_ex = (out[excl] == 1).sum(axis=1)
                n_other = (out[others] == 1).sum(axis=1)
                bad = ((n_ex >= 1) & (n_other >= 1)) | (n_ex >= 2)
                for row in out.index[bad.fillna(False).to_numpy()]:
                    ticked = [n for n in excl + others if out.at[row, n] == 1]
                    flags.append((row, rids[row], q.id, ";".join(ticked), "exclusive_with_others", "kept"))
    flag_df = pd.DataFrame(flags, columns=list(FLAG_COLUMNS))
    flag_df = flag_df.sort_values(["raw_row", "column", "issue"], kind="stable").reset_index(drop=True)
    return out, flag_df


def blank_unasked(codes: pd.DataFrame, codebook: Codebook) -> tuple[pd.DataFrame, int]:
    """The corrected codes of :func:`apply_routing` and the number of answers it blanks, without the flags table.

    Same questionnaire order and the same blanking (answers given where the question was not
    asked become missing), so the codes equal ``apply_routing(codes, codebook, rids)[0]``; used
    where only the codes are needed (stage 04). ``codes`` itself is returned (not a copy) when
    nothing is blanked, else a corrected copy.
    """
    out = codes
    blanked = 0
    for q in codebook.questions:
        for group in question_groups(q):
            names = [c.name for c in group]
            if not group[0].routing:
                continue
            bad = (_question_answered(out, names) & ~routing_mask(out, group[0].routing)).to_numpy()
            if bad.any():
                if out is codes:
                    out = codes.copy()
                out.loc[bad, names] = pd.NA
                blanked += int(bad.sum())
    return out, blanked
