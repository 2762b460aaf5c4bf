"""Alt text of a figure: one or two sentences with its key numbers, written from the drawn data.

Each kind has a writer that picks the numbers a reader would read first (the largest
categories, the merged totals, the highest and lowest subgroups) and formats them with the
figures' one percentage formatter (round half up). Sentence frames exist in Norwegian ("no",
used for ``alt_no``) and English ("en").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from .style import Style, n_text

WORDS: Mapping[str, Mapping[str, str]] = {
    "no": {
        "stacked": "Stablet stolpediagram med {k} {rows}.",
        "rows1": "rad",
        "rows": "rader",
        "ranked": "Liggende stolpediagram med {k} svaralternativer.",
        "highest": "Høyest",
        "lowest": "lavest",
        "donut": "Smultringdiagram.",
        "grouped": "Stolpediagram som sammenligner {series}.",
        "panel": "Variasjoner mellom undergrupper ({breakdowns}).",
        "all": "alle",
        "trust": "Fordeling på skalaen 0-10.",
        "most_common": "Vanligste svar",
        "base": "Antall svar",
        "and": "og",
        "small": "Noen verdier bygger på færre enn 30 svar.",
    },
    "en": {
        "stacked": "Stacked bar chart with {k} {rows}.",
        "rows1": "row",
        "rows": "rows",
        "ranked": "Horizontal bar chart with {k} options.",
        "highest": "Highest",
        "lowest": "lowest",
        "donut": "Donut chart.",
        "grouped": "Bar chart comparing {series}.",
        "panel": "Variation between subgroups ({breakdowns}).",
        "all": "all",
        "trust": "Distribution on the 0-10 scale.",
        "most_common": "Most common answer",
        "base": "Number of answers",
        "and": "and",
        "small": "Some values rest on fewer than 30 answers.",
    },
}


def _w(style: Style, key: str) -> str:
    return WORDS.get(style.lang, WORDS["no"])[key]


def _short(text: str, limit: int = 60) -> str:
    text = re.sub(r"[ \t\n]+", " ", str(text)).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:(-")
    return cut + "…"


def _pairs(rows: pd.DataFrame, label: str, style: Style, k: int = 3) -> str:
    return ", ".join(f"{_short(r[label])} {style.pct(r['pct'])}" for _, r in rows.head(k).iterrows())


def _base(drawn: pd.DataFrame, style: Style) -> str:
    n = drawn["n"].dropna()
    n = n[n > 0]
    if n.empty:
        return ""
    lo, hi = int(n.min()), int(n.max())
    text = n_text(lo, style.lang) if lo == hi else f"{n_text(lo, style.lang)}-{n_text(hi, style.lang)}"
    return f"{_w(style, 'base')}: {text}."


def alt_stacked(drawn: pd.DataFrame, spec: Mapping[str, Any], style: Style) -> str:
    seg = drawn[drawn["role"] == "segment"]
    tot = drawn[drawn["role"] == "total"]
    items = list(dict.fromkeys(seg["item"]))
    k = len(items)
    parts = [_w(style, "stacked").format(k=k, rows=_w(style, "rows1" if k == 1 else "rows"))]
    for item in items[:4]:
        rows = seg[seg["item"] == item]
        label = _short(rows["item_label"].iloc[0], 50) if k > 1 else ""
        t = tot[tot["item"] == item]
        if len(t):
            nums = ", ".join(
                f"{_short(r['category_label'], 45)} {style.pct(r['pct'])}" for _, r in t.iterrows()
            )
        else:
            nums = _pairs(rows.sort_values("pct", ascending=False, kind="stable"), "category_label", style, 2)
        parts.append(f"{label}: {nums}." if label else f"{nums}.")
    if k > 4:
        parts.append("…")
    return " ".join(parts)


def alt_ranked(drawn: pd.DataFrame, spec: Mapping[str, Any], style: Style) -> str:
    label = (
        "category_label" if spec.get("label") == "category" or drawn["item"].nunique() == 1 else "item_label"
    )
    ordered = drawn.sort_values("pct", ascending=False, kind="stable")
    text = (
        f"{_w(style, 'ranked').format(k=len(drawn))} {_w(style, 'highest')}: {_pairs(ordered, label, style)}"
    )
    low = ordered.iloc[-1]
    if len(drawn) > 3:
        text += f"; {_w(style, 'lowest')}: {_short(low[label])} {style.pct(low['pct'])}"
    return text + "."


def alt_classification(drawn: pd.DataFrame, spec: Mapping[str, Any], style: Style) -> str:
    ordered = drawn.sort_values("pct", ascending=False, kind="stable")
    return f"{_w(style, 'donut')} {_pairs(ordered, 'category_label', style, k=len(drawn))}."


def alt_grouped(drawn: pd.DataFrame, spec: Mapping[str, Any], style: Style) -> str:
    series = list(dict.fromkeys(drawn["series_label"]))
    text = _w(style, "grouped").format(series=f" {_w(style, 'and')} ".join(_short(s, 40) for s in series))
    parts = []
    for g in list(dict.fromkeys(drawn["group"]))[:3]:
        rows = drawn[drawn["group"] == g]
        nums = ", ".join(f"{_short(r['series_label'], 30)} {style.pct(r['pct'])}" for _, r in rows.iterrows())
        parts.append(f"{_short(rows['group_label'].iloc[0], 50)}: {nums}")
    return text + " " + "; ".join(parts) + "."


def alt_panel(drawn: pd.DataFrame, spec: Mapping[str, Any], style: Style) -> str:
    bds = list(dict.fromkeys(drawn["breakdown_label"]))
    text = _w(style, "panel").format(breakdowns=", ".join(bds))
    cats = list(dict.fromkeys(drawn["category"]))
    focus = drawn[drawn["category"] == cats[0]]
    ranked = focus[focus["n"] > 0].dropna(subset=["pct"]).sort_values("pct", ascending=False, kind="stable")
    hi, lo = ranked.iloc[0], ranked.iloc[-1]
    what = _short(focus["category_label"].iloc[0] if len(cats) > 1 else focus["item_label"].iloc[0], 50)
    text += (
        f" {what}: {_w(style, 'all')} {style.pct(focus['total_pct'].iloc[0])};"
        f" {_w(style, 'highest')} {hi['level_label']} {style.pct(hi['pct'])},"
        f" {_w(style, 'lowest')} {lo['level_label']} {style.pct(lo['pct'])}."
    )
    return text


def alt_trust(drawn: pd.DataFrame, spec: Mapping[str, Any], style: Style) -> str:
    bars = drawn[(drawn["role"] == "bar") & (drawn["nonsubstantive"] == 0)]
    bands = drawn[drawn["role"] == "band"]
    top = bars.sort_values("pct", ascending=False, kind="stable").iloc[0]
    text = f"{_w(style, 'trust')} {_pairs(bands, 'category_label', style, k=len(bands))}."
    return text + f" {_w(style, 'most_common')}: {top['category_label']} ({style.pct(top['pct'])})."


WRITERS: dict[str, Callable[[pd.DataFrame, Mapping[str, Any], Style], str]] = {
    "stacked_bar": alt_stacked,
    "ranked_bar": alt_ranked,
    "classification": alt_classification,
    "grouped_bar": alt_grouped,
    "subgroup_panel": alt_panel,
    "trust_distribution": alt_trust,
}


def alt_text(kind: str, drawn: pd.DataFrame, spec: Mapping[str, Any], style: Style) -> str:
    """Alt text of a figure of ``kind`` from its drawn numbers, ending with the base n."""
    text = WRITERS[kind](drawn, spec, style)
    base = _base(drawn[drawn["role"] != "reference"], style)
    if "small_n" in drawn and (drawn["small_n"].fillna(0).astype(int) == 1).any():
        text += " " + _w(style, "small")
    if base:
        text += " " + base
    if style.synthetic_label:
        text += f" ({style.synthetic_label}.)"
    return re.sub(r"[ \t\n]+", " ", text).strip().replace(" .", ".")
