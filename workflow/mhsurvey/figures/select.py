"""Catalogue selectors -> the tidy frame a chart kind draws (pure: no files, no drawing).

A selector names rows of ``estimates.csv`` (default) or ``subgroup_tests.csv`` by ``question``
(question_id), ``variable`` (exact names or fnmatch globs), ``exclude_variable``, ``category``,
``breakdown`` and ``level``. Every exact value listed must be found: for each selected variable
every listed category, and (subgroup rows) every listed breakdown and level; otherwise
:class:`FigureDataError` names the figure, the selector and the missing combination.

Tidy frame (one row per drawn number, columns :data:`TIDY_COLUMNS`): ``n`` is the base of the
percentage (``base_n`` of estimates, ``n`` of the subgroup level), ``small_n`` is true when
``n`` < ``min_n`` (config/estimates.yaml ``significance.min_n``; subgroup rows carry the stage-04
flag), ``ref_*`` the population reference of estimates rows.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import PipelineError
from .labels import LabelBook

TIDY_COLUMNS = [
    "figure_id",
    "survey",
    "selector",
    "table",
    "item",
    "item_label",
    "category",
    "category_label",
    "category_kind",
    "nonsubstantive",
    "breakdown",
    "breakdown_label",
    "level",
    "level_label",
    "n",
    "count",
    "pct",
    "total_pct",
    "small_n",
    "ref_available",
    "ref_pct",
    "ref_year",
    "ref_label",
]
TABLE_FILES = {"estimates": "estimates.csv", "subgroup_tests": "subgroup_tests.csv"}
_GLOB = set("*?[")


class FigureDataError(PipelineError):
    """The rows a catalogue entry claims to show are not in the stage-04 tables."""


def _is_glob(name: str) -> bool:
    return any(ch in _GLOB for ch in name)


def _match(values: pd.Series, patterns: Sequence[str]) -> pd.Series:
    """Boolean mask of ``values`` matching any exact name or glob in ``patterns``."""
    exact = {p for p in patterns if not _is_glob(p)}
    mask = values.isin(exact)
    for p in patterns:
        if _is_glob(p):
            mask |= values.map(lambda v, p=p: fnmatch.fnmatchcase(v, p))
    return mask


def describe_selector(sel: Mapping[str, Any]) -> str:
    """Selector as written in the catalogue, for messages: ``{question: x, category: [1, 2]}``."""
    parts = []
    for key, value in sel.items():
        text = "[" + ", ".join(map(str, value)) + "]" if isinstance(value, list) else str(value)
        parts.append(f"{key}: {text}")
    return "{" + ", ".join(parts) + "}"


def _fail(figure_id: str, survey: str, index: int, sel: Mapping[str, Any], what: str) -> FigureDataError:
    table = TABLE_FILES[sel.get("table", "estimates")]
    return FigureDataError(
        f"figure {figure_id!r} (survey {survey}): rows[{index}] {describe_selector(sel)} - "
        f"{what} in results/{survey}/04_estimates/{table}"
    )


def _filter(table: pd.DataFrame, sel: Mapping[str, Any]) -> pd.DataFrame:
    mask = pd.Series(True, index=table.index)
    if "question" in sel:
        mask &= table["question_id"] == sel["question"]
    if "variable" in sel:
        mask &= _match(table["variable"], sel["variable"])
    if "exclude_variable" in sel:
        mask &= ~_match(table["variable"], sel["exclude_variable"])
    if "category" in sel:
        mask &= table["category"].isin([str(c) for c in sel["category"]])
    if "breakdown" in sel:
        mask &= table["breakdown"].isin(sel["breakdown"])
    if "level" in sel:
        mask &= table["level"].isin([str(v) for v in sel["level"]])
    return table[mask]


def _order(rows: pd.DataFrame, sel: Mapping[str, Any]) -> pd.DataFrame:
    """Rows in the order the selector lists them: variable (exact names), breakdown, level,
    category; unlisted keys keep the table's order (stable sort)."""
    keys = []
    for col, listed in (
        ("variable", [v for v in sel.get("variable", []) if not _is_glob(v)]),
        ("breakdown", sel.get("breakdown", [])),
        ("level", [str(v) for v in sel.get("level", [])]),
        ("category", [str(c) for c in sel.get("category", [])]),
    ):
        if col not in rows:
            continue
        seen = list(dict.fromkeys(rows[col]))
        rank = {v: i for i, v in enumerate(listed)}
        rank.update({v: len(listed) + i for i, v in enumerate(seen) if v not in rank})
        keys.append(rows[col].map(rank).rename(f"_{col}"))
    if not keys:
        return rows
    order = pd.concat(keys, axis=1)
    idx = order.sort_values(list(order.columns), kind="stable").index
    return rows.loc[idx]


def _check_complete(
    rows: pd.DataFrame, sel: Mapping[str, Any], figure_id: str, survey: str, index: int, table: pd.DataFrame
) -> None:
    """Raise unless every listed value (and variable x category x breakdown x level) is present."""
    if rows.empty:
        raise _fail(figure_id, survey, index, sel, "matches no row")
    for name in sel.get("variable", []):
        if not _is_glob(name) and name not in set(rows["variable"]):
            raise _fail(figure_id, survey, index, sel, f"no row for variable {name!r}")
    variables = list(dict.fromkeys(rows["variable"]))
    categories = [str(c) for c in sel.get("category", [])]
    breakdowns = list(sel.get("breakdown", [])) or [None]
    levels = [str(v) for v in sel.get("level", [])]
    present = set(
        zip(
            rows["variable"],
            rows["category"],
            rows.get("breakdown", pd.Series("", index=rows.index)),
            rows.get("level", pd.Series("", index=rows.index)),
            strict=True,
        )
    )
    pairs = {(v, c) for v, c, _, _ in present}
    triples = {(v, c, b) for v, c, b, _ in present}
    for v in variables:
        for c in categories:
            if (v, c) not in pairs:
                raise _fail(figure_id, survey, index, sel, f"no row for variable {v!r}, category {c!r}")
            for b in breakdowns:
                if b is None:
                    continue
                if (v, c, b) not in triples:
                    raise _fail(
                        figure_id,
                        survey,
                        index,
                        sel,
                        f"no row for variable {v!r}, category {c!r}, breakdown {b!r}",
                    )
                for lv in levels:
                    if (v, c, b, lv) not in present:
                        raise _fail(
                            figure_id,
                            survey,
                            index,
                            sel,
                            f"no row for variable {v!r}, category {c!r}, breakdown {b!r}, level {lv!r}",
                        )


def _num(series: pd.Series) -> pd.Series:
    """Text cells -> float with Python's exact (round-trip) parser; '' -> NaN.

    ``pd.to_numeric`` may differ from the written value in the last bit, so the figures would not
    carry exactly the numbers of the stage-04 tables.
    """

    def conv(x: object) -> float:
        try:
            return float(x)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return float("nan")

    return series.map(conv).astype(float)


def _tidy_estimates(rows: pd.DataFrame, labels: LabelBook, lang: str, min_n: int) -> pd.DataFrame:
    n = _num(rows["base_n"])
    year = rows["ref_year"].astype(str).str.replace(r"\.0$", "", regex=True) if "ref_year" in rows else ""
    ref_available = _num(rows.get("ref_available", pd.Series(np.nan, index=rows.index))).fillna(0).astype(int)
    out = pd.DataFrame(
        {
            "table": "estimates",
            "item": rows["variable"].to_numpy(),
            "item_label": [
                labels.item(v, lang, lab) for v, lab in zip(rows["variable"], rows["label_no"], strict=True)
            ],
            "category": rows["category"].to_numpy(),
            "category_label": [
                labels.category(v, c, lang, lab)
                for v, c, lab in zip(
                    rows["variable"], rows["category"], rows["category_label_no"], strict=True
                )
            ],
            "category_kind": rows["category_kind"].to_numpy(),
            "nonsubstantive": _num(rows["nonsubstantive"]).fillna(0).astype(int).to_numpy(),
            "breakdown": "",
            "breakdown_label": labels.word("total", lang),
            "level": "total",
            "level_label": labels.word("total", lang),
            "n": n.to_numpy(),
            "count": _num(rows["count"]).to_numpy(),
            "pct": _num(rows["pct"]).to_numpy(),
            "total_pct": _num(rows["pct"]).to_numpy(),
            "small_n": (n < min_n).astype(int).to_numpy(),
            "ref_available": ref_available.to_numpy(),
            "ref_pct": _num(rows.get("ref_pct", pd.Series(np.nan, index=rows.index))).to_numpy(),
            "ref_year": np.asarray(year) if len(rows) else [],
        }
    )
    out["ref_label"] = [
        labels.word("reference", lang).format(year=y) if a else ""
        for a, y in zip(out["ref_available"], out["ref_year"], strict=True)
    ]
    out.loc[out["ref_available"] == 0, "ref_year"] = ""
    return out


def _tidy_subgroups(
    rows: pd.DataFrame, labels: LabelBook, lang: str, nonsub: Mapping[tuple[str, str], int]
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "table": "subgroup_tests",
            "item": rows["variable"].to_numpy(),
            "item_label": [
                labels.item(v, lang, lab) for v, lab in zip(rows["variable"], rows["label_no"], strict=True)
            ],
            "category": rows["category"].to_numpy(),
            "category_label": [
                labels.category(v, c, lang, lab)
                for v, c, lab in zip(
                    rows["variable"], rows["category"], rows["category_label_no"], strict=True
                )
            ],
            "category_kind": rows["category_kind"].to_numpy(),
            "nonsubstantive": [
                nonsub.get((v, c), 0) for v, c in zip(rows["variable"], rows["category"], strict=True)
            ],
            "breakdown": rows["breakdown"].to_numpy(),
            "breakdown_label": [labels.breakdown(b, lang) for b in rows["breakdown"]],
            "level": rows["level"].to_numpy(),
            "level_label": [
                labels.level(b, lv, lang, lab)
                for b, lv, lab in zip(rows["breakdown"], rows["level"], rows["level_label_no"], strict=True)
            ],
            "n": _num(rows["n"]).to_numpy(),
            "count": _num(rows["count"]).to_numpy(),
            "pct": _num(rows["pct"]).to_numpy(),
            "total_pct": _num(rows["total_pct"]).to_numpy(),
            "small_n": _num(rows["small_n"]).fillna(0).astype(int).to_numpy(),
            "ref_available": 0,
            "ref_pct": np.nan,
            "ref_year": "",
            "ref_label": "",
        }
    )


def select_rows(
    figure_id: str,
    survey: str,
    selectors: Sequence[Mapping[str, Any]],
    tables: Mapping[str, pd.DataFrame],
    labels: LabelBook,
    *,
    lang: str = "no",
    min_n: int = 30,
) -> pd.DataFrame:
    """Rows of the stage-04 ``tables`` the figure's ``selectors`` name, as one tidy frame.

    ``tables`` maps ``estimates`` / ``subgroup_tests`` to the tables read as strings (category
    and level keys as text). Rows keep the table's order within a selector, selectors their
    catalogue order. Raises :class:`FigureDataError` when a selector's rows are missing.
    """
    est = tables["estimates"]
    nonsub = {
        (v, str(c)): int(float(x or 0))
        for v, c, x in zip(est["variable"], est["category"], est["nonsubstantive"], strict=True)
    }
    frames = []
    for index, sel in enumerate(selectors):
        name = sel.get("table", "estimates")
        table = tables.get(name)
        if table is None:
            raise _fail(figure_id, survey, index, sel, "table not available")
        rows = _filter(table, sel)
        _check_complete(rows, sel, figure_id, survey, index, table)
        rows = _order(rows, sel)
        tidy = (
            _tidy_estimates(rows, labels, lang, min_n)
            if name == "estimates"
            else _tidy_subgroups(rows, labels, lang, nonsub)
        )
        tidy.insert(0, "selector", index)
        frames.append(tidy)
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "survey", survey)
    out.insert(0, "figure_id", figure_id)
    return out[TIDY_COLUMNS]


def relabel(tidy: pd.DataFrame, labels: LabelBook, lang: str) -> pd.DataFrame:
    """The same rows with every label column in ``lang`` (the keys and numbers are unchanged).

    Used for the English alt text without selecting again; Norwegian labels are the fallback.
    """
    out = tidy.copy()
    out["item_label"] = [
        labels.item(v, lang, lab) for v, lab in zip(out["item"], tidy["item_label"], strict=True)
    ]
    out["category_label"] = [
        labels.category(v, c, lang, lab)
        for v, c, lab in zip(out["item"], out["category"], tidy["category_label"], strict=True)
    ]
    total = labels.word("total", lang)
    out["breakdown_label"] = [labels.breakdown(b, lang) if b else total for b in out["breakdown"]]
    out["level_label"] = [
        labels.level(b, lv, lang, lab) if b else total
        for b, lv, lab in zip(out["breakdown"], out["level"], tidy["level_label"], strict=True)
    ]
    out["ref_label"] = [
        labels.word("reference", lang).format(year=y) if a else ""
        for a, y in zip(out["ref_available"], out["ref_year"], strict=True)
    ]
    return out
