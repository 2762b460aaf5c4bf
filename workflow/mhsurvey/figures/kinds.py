"""The registry of chart kinds. Each kind is a pair of pure functions:

``prepare(tidy, spec) -> drawn``
    from the tidy frame of :func:`mhsurvey.figures.select.select_rows` to the frame of exactly
    the numbers the chart draws, in drawing order, with a ``role`` column (``segment``, ``bar``,
    ``total``, ``reference``, ``complement``, ``band``) and ``derived`` = 1 for numbers computed
    here (the complement of a binary classification: 100 - pct, n - count). This frame is
    written as ``<id>.data.csv``.
``draw(drawn, spec, style) -> matplotlib.figure.Figure``
    the chart. No file is read or written; the figure is not registered with pyplot.

``spec`` is the catalogue entry's ``chart`` block plus context set by the build (``id``,
``survey_label``, ``footer``, ``bands`` for trust). Kinds: ``stacked_bar`` (agree/frequency
grids), ``ranked_bar`` (multi-select lists, distributions), ``classification`` (donut),
``grouped_bar`` (subgroup and population comparisons), ``subgroup_panel`` (small multiples
by breakdown), ``trust_distribution`` (0-10 scale with its bands).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .style import Style, add_synthetic_mark, n_text, segment_colours, text_colour

HATCH = "////"
ROW_IN = 0.34  # height of one bar row, inches
HEAD_IN = 0.6  # footer + synthetic mark, inches
TOTAL_COL_IN = 0.72  # width of a column of merged totals beside stacked bars, inches


# ---------------------------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------------------------


def _new_figure(style: Style, height: float) -> Figure:
    return Figure(figsize=(style.width, max(1.6, height)), layout="constrained")


def _empty_level(pct: Any, n: Any) -> bool:
    """True for a level without respondents: n = 0, so no share exists (the share is blank)."""
    return bool(pd.isna(pct) and pd.notna(n) and float(n) == 0)


def _hidden(pct: Any, n: Any) -> bool:
    """True for a suppressed cell of stage 04 (small-cell protection): the share is blank although
    the base is not zero (a suppressed subgroup cell also blanks its n). A level without
    respondents (:func:`_empty_level`) is not hidden. A hidden cell's value label is "–", never 0 %.
    """
    return bool(pd.isna(pct) and not _empty_level(pct, n))


def _value_label(style: Style, pct: Any, n: Any, w: float) -> str:
    """The value label of a bar of width ``w``: "–" for a suppressed cell (:func:`_hidden`), the
    ``no_respondents`` label for a level without respondents (no share exists; not "0 %")."""
    if _hidden(pct, n):
        return "–"
    if _empty_level(pct, n) and "no_respondents" in style.config["labels"]:
        return style.word("no_respondents")
    return style.pct(w)


def _finish(fig: Figure, style: Style, spec: Mapping[str, Any], drawn: pd.DataFrame) -> Figure:
    """Footer (base n, filter, small-n and suppressed notes) and the synthetic mark."""
    footer = [spec.get("footer", "")]
    if "small_n" in drawn and drawn["small_n"].fillna(0).astype(int).any():
        footer.append(style.word("small_n"))
    if {"pct", "n"} <= set(drawn.columns):
        own = drawn[~drawn["role"].isin(["reference"])] if "role" in drawn else drawn
        if any(_hidden(p, n) for p, n in zip(own["pct"], own["n"], strict=True)):
            footer.append(style.word("suppressed"))
    if spec.get("reference"):
        own = drawn[~drawn["role"].isin(["reference"])]
        if (pd.to_numeric(own["ref_available"], errors="coerce").fillna(0) == 0).any():
            footer.append(style.word("reference_missing"))
    text = "  ·  ".join(t for t in footer if t)
    if text:
        fig.supxlabel(style.wrap(text, 120), x=0.0, ha="left", fontsize=7.5, color="#4d4d4d")
    add_synthetic_mark(fig, style)
    return fig


def _keys(series: pd.Series) -> list[str]:
    return list(dict.fromkeys(series.tolist()))


def _bare_x(ax: Any) -> None:
    ax.xaxis.set_visible(False)
    ax.spines["bottom"].set_visible(False)
    ax.spines["left"].set_visible(False)


def _row_labels(
    drawn: pd.DataFrame, key: str, label: str, spec: Mapping[str, Any], style: Style
) -> dict[str, str]:
    """Wrapped labels of the bar rows; the base n is added when the rows' bases differ."""
    first = drawn.drop_duplicates(key)
    vary = first["n"].nunique() > 1
    out = {}
    for k, lab, n in zip(first[key], first[label], first["n"], strict=True):
        text = style.wrap(lab)
        if vary and not np.isnan(n):
            text += f"\n({style.word('base_n')} = {n_text(n, style.lang)})"
        out[k] = text
    if len(out) == 1 and spec.get("survey_label") and first["item"].nunique() == 1 and key == "item":
        return {k: spec["survey_label"] for k in out}
    return out


def _positions(
    labels: list[str], unit_in: float = ROW_IN, line_in: float = 0.16
) -> tuple[list[float], float]:
    """Centres of bar rows (data units of ``unit_in`` inches) so multi-line labels never overlap.

    Row ``i`` spans ``max(1, (line_in * lines_i + 0.1) / unit_in)`` units; returns the centres
    and the total span.
    """
    centres, acc = [], 0.0
    for text in labels:
        span = max(1.0, (line_in * (str(text).count("\n") + 1) + 0.1) / unit_in)
        centres.append(acc + span / 2)
        acc += span
    return centres, acc


def _legend_layout(handles: list[Any], avail_in: float, max_cols: int = 5) -> tuple[int, int]:
    """Columns and rows of a legend of ``handles`` in ``avail_in`` inches (8 pt, ~0.075 in/char)."""
    if not handles:
        return 0, 0
    widest = max(max(len(t) for t in h.get_label().split("\n")) for h in handles) * 0.058 + 0.35
    ncol = int(max(1, min(len(handles), max_cols, avail_in // widest)))
    return ncol, -(-len(handles) // ncol)


def _label_width_in(labels: list[str], fontsize: float = 8.5) -> float:
    """Approximate width in inches of the widest line of tick labels (0.55 em per character)."""
    widest = max((len(line) for t in labels for line in str(t).split("\n")), default=0)
    return widest * fontsize * 0.52 / 72 + 0.12


def _with_legend_row(
    style: Style, main_in: list[float], handles: list[Any], avail_in: float
) -> tuple[Figure, list[Any], Any | None, int]:
    """Figure with one axes per ``main_in`` height (inches) and, if ``handles``, a legend row."""
    fig, axes = _grid(style, [(h, []) for h in main_in[:-1]] + [(main_in[-1], handles)], avail_in)
    return fig, axes, None, 0


def _grid(style: Style, parts: list[tuple[float, list[Any]]], avail_in: float) -> tuple[Figure, list[Any]]:
    """Figure of stacked parts: each an axes ``height`` inches tall, followed by a legend row
    (an axes without frame holding the legend) when the part has legend ``handles``."""
    heights, legends = [], []
    for height, handles in parts:
        heights.append(height)
        if handles:
            ncol, nrow = _legend_layout(handles, avail_in)
            heights.append(0.21 * nrow + 0.1)
            legends.append((len(heights) - 1, handles, ncol))
    fig = _new_figure(style, sum(heights) + HEAD_IN)
    grid = fig.subplots(len(heights), 1, squeeze=False, gridspec_kw={"height_ratios": heights})[:, 0]
    legend_rows = {i for i, _, _ in legends}
    for i, handles, ncol in legends:
        grid[i].axis("off")
        grid[i].legend(
            handles=handles,
            loc="upper left",
            ncol=ncol,
            frameon=False,
            borderaxespad=0.0,
            bbox_to_anchor=(0.0, 1.0),
            fontsize=8,
        )
    return fig, [ax for i, ax in enumerate(grid) if i not in legend_rows]


def _fits(text: str, width_units: float, ax_units: float, axes_in: float, fontsize: float = 7.5) -> bool:
    """True if ``text`` (about 0.55 em per character) fits in a bar ``width_units`` wide."""
    points_per_unit = axes_in * 72 / ax_units
    return width_units * points_per_unit >= len(text) * fontsize * 0.52 + 2


# ---------------------------------------------------------------------------------------------
# stacked_bar: one horizontal bar per item, segments = answer categories
# ---------------------------------------------------------------------------------------------


def prepare_stacked(tidy: pd.DataFrame, spec: Mapping[str, Any]) -> pd.DataFrame:
    """Segments (categories in catalogue order) and merged totals per item, rows sorted.

    ``sort_by_categories``: items ordered by the summed share of those categories, largest first
    (ties keep catalogue order); otherwise catalogue order.
    """
    merged = set(spec.get("merged", []))
    df = tidy.copy()
    df["role"] = np.where(df["category"].isin(merged), "total", "segment")
    df["derived"] = 0
    items = _keys(df["item"])
    by = spec.get("sort_by_categories")
    if by:
        share = df[df["category"].isin(by)].groupby("item", sort=False)["pct"].sum()
        items = sorted(items, key=lambda v: (-share.get(v, 0.0), items.index(v)))
    df["_item"] = df["item"].map({v: i for i, v in enumerate(items)})
    df["_role"] = (df["role"] == "total").astype(int)
    df = df.sort_values(["_item", "_role"], kind="stable").drop(columns=["_item", "_role"])
    return df.reset_index(drop=True)


def _facets(seg: pd.DataFrame) -> list[list[str]]:
    """Items grouped by their set of category labels (CFQ items use four label sets)."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for item, rows in seg.groupby("item", sort=False):
        groups.setdefault(tuple(rows["category_label"]), []).append(item)
    return list(groups.values())


def draw_stacked(drawn: pd.DataFrame, spec: Mapping[str, Any], style: Style) -> Figure:
    seg = drawn[drawn["role"] == "segment"]
    tot = drawn[drawn["role"] == "total"]
    facets = _facets(seg)
    merged_keys = _keys(tot["category"])
    labels_of = _row_labels(seg, "item", "item_label", spec, style)
    label_in = _label_width_in(list(labels_of.values()))
    avail_in = max(2.0, style.width - label_in - 0.1)
    layout = {i: _positions([labels_of[x] for x in f]) for i, f in enumerate(facets)}
    scale = spec.get("scale", "sequential")
    parts = [
        (ROW_IN * layout[i][1] + 0.1, _stacked_handles(seg, f, style, scale)) for i, f in enumerate(facets)
    ]
    fig, axes = _grid(style, parts, avail_in)
    # columns of merged totals right of the bars, each TOTAL_COL_IN inches wide:
    # sp = TOTAL_COL_IN * xmax / avail_in with xmax = 103 + k * sp
    k = len(merged_keys)
    sp = TOTAL_COL_IN * 103 / (avail_in - TOTAL_COL_IN * k) if k else 0.0
    xmax = 103 + k * sp if k else 100
    for fi, (ax, items) in enumerate(zip(axes, facets, strict=True)):
        ys, span = layout[fi]
        part = seg[seg["item"].isin(items)]
        cats = _keys(part["category"])
        cat_rows = part.drop_duplicates("category").set_index("category")
        nonsub = [c for c in cats if int(cat_rows.loc[c, "nonsubstantive"]) == 1]
        subst = [c for c in cats if c not in nonsub]
        cats = subst + nonsub
        colours = dict(zip(cats, segment_colours(style, scale, len(subst), len(nonsub)), strict=True))
        for y, item in zip(ys, items, strict=True):
            rows = part[part["item"] == item].set_index("category")
            left = 0.0
            for c in cats:
                if c not in rows.index:
                    continue
                r = rows.loc[c]
                w = float(r["pct"]) if not np.isnan(r["pct"]) else 0.0
                ax.barh(
                    y,
                    w,
                    left=left,
                    height=0.72,
                    color=colours[c],
                    edgecolor="white",
                    linewidth=0.6,
                    hatch=HATCH if int(r["small_n"]) else None,
                )
                label = _value_label(style, r["pct"], r["n"], w)
                if w >= style.min_label_pct and _fits(label, w, xmax, avail_in):
                    ax.text(
                        left + w / 2,
                        y,
                        label,
                        ha="center",
                        va="center",
                        fontsize=7.5,
                        color=text_colour(style, colours[c]),
                    )
                left += w
            for j, m in enumerate(merged_keys):
                t = tot[(tot["item"] == item) & (tot["category"] == m)]
                if len(t):
                    ax.text(
                        103 + sp * (j + 0.5),
                        y,
                        style.pct(float(t["pct"].iloc[0])),
                        ha="center",
                        va="center",
                        fontsize=8,
                        fontweight="bold",
                        color=style.palette["text_dark"],
                    )
        ax.set_yticks(ys, [labels_of[i] for i in items])
        ax.set_ylim(span, 0)
        ax.set_xlim(0, xmax)
        _bare_x(ax)
        if merged_keys and fi == 0:
            top = ax.secondary_xaxis("top")
            heads = [style.wrap(tot[tot["category"] == m]["category_label"].iloc[0], 14) for m in merged_keys]
            top.set_xticks([103 + sp * (j + 0.5) for j in range(k)], heads, fontsize=7, color="#4d4d4d")
            top.tick_params(length=0, pad=2)
            top.spines["top"].set_visible(False)
    return _finish(fig, style, spec, drawn)


def _stacked_handles(seg: pd.DataFrame, items: list[str], style: Style, scale: str) -> list[Patch]:
    """Legend entries of the categories of ``items`` in drawing order, with their colours."""
    part = seg[seg["item"].isin(items)]
    cats = _keys(part["category"])
    cat_rows = part.drop_duplicates("category").set_index("category")
    nonsub = [c for c in cats if int(cat_rows.loc[c, "nonsubstantive"]) == 1]
    subst = [c for c in cats if c not in nonsub]
    colours = segment_colours(style, scale, len(subst), len(nonsub))
    return [
        Patch(
            facecolor=col,
            edgecolor="#bfbfbf",
            linewidth=0.5,
            label=style.wrap(cat_rows.loc[c, "category_label"], 26),
        )
        for c, col in zip(subst + nonsub, colours, strict=True)
    ]


# ---------------------------------------------------------------------------------------------
# ranked_bar: one bar per option, largest first (multi-select lists; distributions with sort none)
# ---------------------------------------------------------------------------------------------


def prepare_ranked(tidy: pd.DataFrame, spec: Mapping[str, Any]) -> pd.DataFrame:
    """Bars sorted by pct (``sort``: descending default, ascending, none); ``pinned_last``
    variables keep their listed order at the end."""
    df = tidy.copy()
    df["role"] = "bar"
    df["derived"] = 0
    pinned = list(spec.get("pinned_last", []))
    order = spec.get("sort", "descending")
    main = df[~df["item"].isin(pinned)]
    if order != "none":
        main = main.sort_values("pct", ascending=(order == "ascending"), kind="stable")
    tail = df[df["item"].isin(pinned)].copy()
    tail["_p"] = tail["item"].map({v: i for i, v in enumerate(pinned)})
    tail = tail.sort_values("_p", kind="stable").drop(columns="_p")
    return pd.concat([main, tail]).reset_index(drop=True)


def _bar_label(drawn: pd.DataFrame, spec: Mapping[str, Any]) -> str:
    if spec.get("label") == "category" or drawn["item"].nunique() == 1:
        return "category_label"
    return "item_label"


def draw_ranked(drawn: pd.DataFrame, spec: Mapping[str, Any], style: Style) -> Figure:
    lab = _bar_label(drawn, spec)
    labels = [style.wrap(t) for t in drawn[lab]]
    ys, span = _positions(labels)
    fig = _new_figure(style, HEAD_IN + 0.1 + ROW_IN * span)
    ax = fig.subplots()
    pinned = set(spec.get("pinned_last", []))
    top = float(np.nanmax(drawn["pct"])) if len(drawn) else 100.0
    for y, r in zip(ys, drawn.itertuples(index=False), strict=True):
        colour = (
            style.palette["nonsubstantive"][0]
            if (r.item in pinned or r.nonsubstantive)
            else style.palette["accent"]
        )
        w = 0.0 if np.isnan(r.pct) else float(r.pct)
        ax.barh(
            y,
            w,
            height=0.68,
            color=colour,
            hatch=HATCH if r.small_n else None,
            edgecolor="white",
            linewidth=0.5,
        )
        ax.text(
            w + top * 0.012,
            y,
            _value_label(style, r.pct, r.n, w),
            va="center",
            ha="left",
            fontsize=8,
            color=style.palette["text_dark"],
        )
    ax.set_yticks(ys, labels)
    ax.set_ylim(span, 0)
    ax.set_xlim(0, top * 1.12 + 1)
    _bare_x(ax)
    return _finish(fig, style, spec, drawn)


# ---------------------------------------------------------------------------------------------
# classification: donut of the levels of a classification (binary: case + complement)
# ---------------------------------------------------------------------------------------------


def prepare_classification(tidy: pd.DataFrame, spec: Mapping[str, Any]) -> pd.DataFrame:
    """Levels as selected; a single binary level gets its complement (100 - pct, n - count,
    ``derived`` = 1, label ``chart.complement``)."""
    df = tidy.copy()
    df["role"] = "segment"
    df["derived"] = 0
    if len(df) == 1 and spec.get("complement"):
        rest = df.iloc[[0]].copy()
        rest["category"] = "rest"
        rest["category_label"] = spec["complement"]
        rest["category_kind"] = "complement"
        rest["pct"] = 100.0 - df["pct"].iloc[0]
        rest["count"] = df["n"].iloc[0] - df["count"].iloc[0]
        rest["role"] = "complement"
        rest["derived"] = 1
        df = pd.concat([rest, df], ignore_index=True)
    return df.reset_index(drop=True)


def draw_classification(drawn: pd.DataFrame, spec: Mapping[str, Any], style: Style) -> Figure:
    fig = _new_figure(style, 2.9)
    ax = fig.subplots()
    binary = (drawn["role"] == "complement").any()
    nonsub = drawn["nonsubstantive"].astype(int).to_numpy()
    if binary:
        colours = [style.palette["complement"], style.palette["accent"]]
    else:
        colours = segment_colours(
            style, spec.get("scale", "sequential_reversed"), int((nonsub == 0).sum()), int(nonsub.sum())
        )
    values = drawn["pct"].fillna(0).to_numpy(dtype=float)
    wedges, _ = ax.pie(
        values,
        colors=colours,
        startangle=90,
        counterclock=False,
        wedgeprops={"width": 0.38, "edgecolor": "white", "linewidth": 1.2},
    )
    for w, v, c, small in zip(wedges, values, colours, drawn["small_n"], strict=True):
        if small:
            w.set_hatch(HATCH)
        if v >= 6:
            ang = np.deg2rad((w.theta1 + w.theta2) / 2)
            ax.text(
                0.81 * np.cos(ang),
                0.81 * np.sin(ang),
                style.pct(v),
                ha="center",
                va="center",
                fontsize=8,
                color=text_colour(style, c),
            )
    if binary:
        case = drawn[drawn["role"] != "complement"].iloc[0]
        ax.text(
            0,
            0,
            style.pct(case["pct"]),
            ha="center",
            va="center",
            fontsize=15,
            fontweight="bold",
            color=style.palette["accent"],
        )
    ax.set_aspect("equal")
    handles = [
        Patch(facecolor=c, label=f"{style.wrap(lab, 36)}  {_value_label(style, p, n, v)}")
        for c, lab, v, p, n in zip(
            colours, drawn["category_label"], values, drawn["pct"], drawn["n"], strict=True
        )
    ]
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.05, 0.5), frameon=False, fontsize=8.5)
    return _finish(fig, style, spec, drawn)


# ---------------------------------------------------------------------------------------------
# grouped_bar: groups on the y axis, series as colours (subgroups, population reference)
# ---------------------------------------------------------------------------------------------

_ROLE_COLUMNS = {
    "item": ("item", "item_label"),
    "category": ("category", "category_label"),
    "level": ("level", "level_label"),
    "breakdown": ("breakdown", "breakdown_label"),
}


def prepare_grouped(tidy: pd.DataFrame, spec: Mapping[str, Any]) -> pd.DataFrame:
    """Columns ``group``/``group_label``/``series``/``series_label`` from the chart's roles;
    ``reference: true`` adds the published population values (role ``reference``); groups are
    sorted by ``sort_by_difference`` [a, b] (a - b) or ``sort_by_series``, largest first."""
    df = tidy.copy()
    g_key, g_lab = _ROLE_COLUMNS[spec.get("group", "item")]
    df["group"], df["group_label"] = df[g_key], df[g_lab]
    series = spec.get("series", "level")
    if series == "survey":
        df["series"], df["series_label"] = "survey", spec.get("survey_label", "")
    else:
        s_key, s_lab = _ROLE_COLUMNS[series]
        df["series"], df["series_label"] = df[s_key], df[s_lab]
    df["role"] = "bar"
    df["derived"] = 0
    if spec.get("reference"):
        ref = df[df["ref_available"] == 1].copy()
        if len(ref):
            ref["series"], ref["series_label"] = "reference", ref["ref_label"]
            ref["pct"], ref["count"], ref["n"], ref["small_n"] = ref["ref_pct"], np.nan, np.nan, 0
            ref["role"] = "reference"
            df = pd.concat([df, ref], ignore_index=True)
    groups = _keys(df["group"])
    wide = df.pivot_table(index="group", columns="series", values="pct", aggfunc="first")
    if spec.get("sort_by_difference"):
        a, b = (str(x) for x in spec["sort_by_difference"])
        score = wide[a] - wide[b]
        groups = sorted(groups, key=lambda g: (-score.get(g, -np.inf), groups.index(g)))
    elif spec.get("sort_by_series"):
        s = str(spec["sort_by_series"])
        groups = sorted(groups, key=lambda g: (-wide[s].get(g, -np.inf), groups.index(g)))
    series_order = {s: i for i, s in enumerate(_keys(df["series"]))}
    df["_g"] = df["group"].map({g: i for i, g in enumerate(groups)})
    df["_s"] = df["series"].map(series_order)
    return df.sort_values(["_g", "_s"], kind="stable").drop(columns=["_g", "_s"]).reset_index(drop=True)


def draw_grouped(drawn: pd.DataFrame, spec: Mapping[str, Any], style: Style) -> Figure:
    groups = _keys(drawn["group"])
    series = _keys(drawn["series"])
    k = len(series)
    labels = {g: style.wrap(lab) for g, lab in zip(drawn["group"], drawn["group_label"], strict=True)}
    lines = sum(labels[g].count("\n") + 1 for g in groups)
    row = max(ROW_IN, 0.2 * k + 0.12)
    q = style.palette["qualitative"]
    colours = {}
    for i, s in enumerate(series):
        colours[s] = style.palette["reference"] if s == "reference" else q[i % len(q)]
    series_labels = dict(zip(drawn["series"], drawn["series_label"], strict=True))
    handles = [Patch(facecolor=colours[s], label=style.wrap(series_labels[s], 40)) for s in series]
    avail_in = max(2.0, style.width - _label_width_in(list(labels.values())) - 0.2)
    fig, axes, _, _ = _with_legend_row(
        style, [row * len(groups) + 0.12 * max(0, lines - len(groups))], handles, avail_in
    )
    ax = axes[0]
    bar_h = 0.8 / k
    top = float(np.nanmax(drawn["pct"])) if len(drawn) else 100.0
    for gi, g in enumerate(groups):
        present = [s for s in series if ((drawn["group"] == g) & (drawn["series"] == s)).any()]
        offset = (k - len(present)) * bar_h / 2  # centre a group with fewer bars
        for si, s in enumerate(present):
            r = drawn[(drawn["group"] == g) & (drawn["series"] == s)].iloc[0]
            y = gi - 0.4 + offset + bar_h * (si + 0.5)
            w = 0.0 if np.isnan(r["pct"]) else float(r["pct"])
            ax.barh(
                y,
                w,
                height=bar_h * 0.92,
                color=colours[s],
                edgecolor="white",
                linewidth=0.4,
                hatch=HATCH if int(r["small_n"]) else None,
            )
            ax.text(
                w + top * 0.01,
                y,
                _value_label(style, r["pct"], r["n"], w),
                va="center",
                ha="left",
                fontsize=7 if k > 2 else 7.5,
                color=style.palette["text_dark"],
            )
    ax.set_yticks(range(len(groups)), [labels[g] for g in groups])
    ax.set_ylim(len(groups) - 0.5, -0.5)
    ax.set_xlim(0, top * 1.12 + 1)
    _bare_x(ax)
    for gi in range(1, len(groups)):
        ax.axhline(gi - 0.5, color="#e6e6e6", linewidth=0.5)
    return _finish(fig, style, spec, drawn)


# ---------------------------------------------------------------------------------------------
# subgroup_panel: small multiples, one panel per breakdown ("Variasjoner mellom undergrupper")
# ---------------------------------------------------------------------------------------------


def prepare_panel(tidy: pd.DataFrame, spec: Mapping[str, Any]) -> pd.DataFrame:
    """Subgroup rows in breakdown (catalogue) and level order; one row per level x category."""
    df = tidy.copy()
    df["role"] = "segment" if df["category"].nunique() > 1 else "bar"
    df["derived"] = 0
    bds = {b: i for i, b in enumerate(_keys(df["breakdown"]))}
    cats = {c: i for i, c in enumerate(_keys(df["category"]))}
    df["_b"], df["_c"] = df["breakdown"].map(bds), df["category"].map(cats)
    df["_l"] = np.arange(len(df))
    return (
        df.sort_values(["_b", "_l", "_c"], kind="stable")
        .drop(columns=["_b", "_c", "_l"])
        .reset_index(drop=True)
    )


def _panel_columns(bds: list[str], sizes: Mapping[str, int]) -> list[list[str]]:
    """Split breakdowns in two columns of similar height, keeping their order."""
    total = sum(sizes[b] + 1.5 for b in bds)
    left, acc = [], 0.0
    for b in bds:
        if acc + (sizes[b] + 1.5) / 2 > total / 2 and left:
            break
        left.append(b)
        acc += sizes[b] + 1.5
    right = bds[len(left) :]
    return [left, right] if right else [left]


def draw_panel(drawn: pd.DataFrame, spec: Mapping[str, Any], style: Style) -> Figure:
    bds = _keys(drawn["breakdown"])
    cats = _keys(drawn["category"])
    stacked = len(cats) > 1
    sizes = {b: drawn[drawn["breakdown"] == b]["level"].nunique() for b in bds}
    columns = _panel_columns(bds, sizes)
    col_h = [sum(sizes[b] + 1.6 for b in col) for col in columns]
    fig = _new_figure(style, HEAD_IN + 0.22 * max(col_h) + (0.35 if stacked else 0))
    outer = fig.add_gridspec(1, len(columns), wspace=0.08)
    cat_rows = drawn.drop_duplicates("category").set_index("category")
    colours = dict(
        zip(cats, segment_colours(style, spec.get("scale", "diverging_3"), len(cats), 0), strict=True)
    )
    if not stacked:
        colours = {cats[0]: style.palette["accent"]}
    for ci, col in enumerate(columns):
        inner = outer[0, ci].subgridspec(
            len(col), 1, height_ratios=[sizes[b] + 0.6 for b in col], hspace=0.15
        )
        for bi, b in enumerate(col):
            ax = fig.add_subplot(inner[bi, 0])
            part = drawn[drawn["breakdown"] == b]
            levels = _keys(part["level"])
            for y, lv in enumerate(levels):
                rows = part[part["level"] == lv]
                left = 0.0
                for c in cats:
                    r = rows[rows["category"] == c]
                    if r.empty:
                        continue
                    r = r.iloc[0]
                    w = 0.0 if np.isnan(r["pct"]) else float(r["pct"])
                    ax.barh(
                        y,
                        w,
                        left=left,
                        height=0.7,
                        color=colours[c],
                        edgecolor="white",
                        linewidth=0.5,
                        hatch=HATCH if int(r["small_n"]) else None,
                    )
                    if stacked:
                        if w >= 7:
                            ax.text(
                                left + w / 2,
                                y,
                                style.pct(w),
                                ha="center",
                                va="center",
                                fontsize=7,
                                color=text_colour(style, colours[c]),
                            )
                    elif r["n"] > 0:
                        ax.text(w + 1.5, y, style.pct(w), ha="left", va="center", fontsize=7.5)
                    left += w
            for y, lv in enumerate(levels):
                r = part[part["level"] == lv].iloc[0]
                if not r["n"] > 0:
                    ax.text(1, y, "–", ha="left", va="center", fontsize=8, color="#737373")
            if not stacked:
                total = float(part["total_pct"].iloc[0])
                ax.axvline(total, color="#4d4d4d", linewidth=0.8, linestyle=(0, (3, 2)))
            labels = []
            for lv in levels:
                r = part[part["level"] == lv].iloc[0]
                labels.append(
                    f"{r['level_label']} ({n_text(r['n'], style.lang)})"
                    if not np.isnan(r["n"])
                    else r["level_label"]
                )
            ax.set_yticks(range(len(levels)), [style.wrap(t, 28) for t in labels], fontsize=7.5)
            ax.set_ylim(len(levels) - 0.45, -0.55)
            top = 100.0 if stacked else max(10.0, float(np.nanmax(drawn["pct"])) * 1.25)
            ax.set_xlim(0, top)
            ax.set_title(part["breakdown_label"].iloc[0], fontsize=8.5, loc="left", pad=3)
            _bare_x(ax)
    handles: list[Patch] = []
    if stacked:
        handles = [Patch(facecolor=colours[c], label=cat_rows.loc[c, "category_label"]) for c in cats]
    else:
        from matplotlib.lines import Line2D

        total = float(drawn["total_pct"].iloc[0])
        handles = [
            Patch(facecolor=colours[cats[0]], label=style.wrap(cat_rows.loc[cats[0], "item_label"], 50)),
            Line2D(
                [],
                [],
                color="#4d4d4d",
                linewidth=0.8,
                linestyle=(0, (3, 2)),
                label=f"{style.word('total')}: {style.pct(total)}",
            ),
        ]
    fig.legend(handles=handles, loc="outside upper left", ncol=len(handles), frameon=False, fontsize=8)
    return _finish(fig, style, spec, drawn)


# ---------------------------------------------------------------------------------------------
# trust_distribution: the 0-10 answers, coloured by the trust bands, band shares above
# ---------------------------------------------------------------------------------------------


def prepare_trust(tidy: pd.DataFrame, spec: Mapping[str, Any]) -> pd.DataFrame:
    """Bars of the 0-10 codes (and non-substantive codes), then the band shares (role ``band``)
    and, with ``reference: true``, their published population values (role ``reference``)."""
    df = tidy.copy()
    bands = set(b["name"] for b in spec.get("bands", []))
    df["role"] = np.where(df["category"].isin(bands), "band", "bar")
    df["derived"] = 0
    if spec.get("reference"):
        ref = df[(df["role"] == "band") & (df["ref_available"] == 1)].copy()
        ref["pct"], ref["count"], ref["n"], ref["small_n"] = ref["ref_pct"], np.nan, np.nan, 0
        ref["role"] = "reference"
        df = pd.concat([df, ref], ignore_index=True)
    return df.reset_index(drop=True)


def draw_trust(drawn: pd.DataFrame, spec: Mapping[str, Any], style: Style) -> Figure:
    bars = drawn[drawn["role"] == "bar"]
    band_rows = drawn[drawn["role"] == "band"].set_index("category")
    refs = drawn[drawn["role"] == "reference"].set_index("category")
    bands = list(spec.get("bands", []))
    d = style.palette["diverging"]
    band_colour = dict(
        zip(
            [b["name"] for b in bands],
            [d[4], d[3], d[0]] if len(bands) == 3 else segment_colours(style, "diverging", len(bands), 0),
            strict=True,
        )
    )
    fig = _new_figure(style, 3.6)
    ax = fig.subplots()
    xs, labels = [], []
    top = float(np.nanmax(bars["pct"])) if len(bars) else 10.0
    x = 0.0
    for r in bars.itertuples(index=False):
        if r.nonsubstantive and (not xs or not bars.iloc[len(xs) - 1]["nonsubstantive"]):
            x += 0.8
        colour = style.palette["nonsubstantive"][0]
        if not r.nonsubstantive:
            for b in bands:
                if b["min"] <= float(r.category) <= b["max"]:
                    colour = band_colour[b["name"]]
        w = 0.0 if np.isnan(r.pct) else float(r.pct)
        ax.bar(
            x,
            w,
            width=0.78,
            color=colour,
            hatch=HATCH if r.small_n else None,
            edgecolor="white",
            linewidth=0.5,
        )
        ax.text(x, w + top * 0.015, _value_label(style, r.pct, r.n, w), ha="center", va="bottom", fontsize=7)
        xs.append(x)
        labels.append(style.wrap(r.category_label, 10))
        x += 1.0
    ax.set_xticks(xs, labels, fontsize=7.5)
    ax.set_ylim(0, top * 1.55)
    ax.yaxis.set_visible(False)
    ax.spines["left"].set_visible(False)
    for b in bands:
        if b["name"] not in band_rows.index:
            continue
        lo, hi = xs[int(b["min"])], xs[int(b["max"])]
        yb = top * 1.2
        ax.plot(
            [lo - 0.35, lo - 0.35, hi + 0.35, hi + 0.35],
            [yb - top * 0.03, yb, yb, yb - top * 0.03],
            color=band_colour[b["name"]],
            linewidth=1.2,
        )
        text = f"{band_rows.loc[b['name'], 'category_label']}\n{style.pct(band_rows.loc[b['name'], 'pct'])}"
        if b["name"] in refs.index:
            short = style.word("reference_short").format(year=refs.loc[b["name"], "ref_year"])
            text += f" ({short}: {style.pct(refs.loc[b['name'], 'pct'])})"
        ax.text(
            (lo + hi) / 2,
            yb + top * 0.02,
            text,
            ha="center",
            va="bottom",
            fontsize=7.5,
            color=style.palette["text_dark"],
        )
    return _finish(fig, style, spec, drawn)


# ---------------------------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """A chart kind: ``prepare`` (tidy -> drawn numbers) and ``draw`` (drawn -> Figure)."""

    prepare: Callable[[pd.DataFrame, Mapping[str, Any]], pd.DataFrame]
    draw: Callable[[pd.DataFrame, Mapping[str, Any], Style], Figure]


KINDS: dict[str, Kind] = {
    "stacked_bar": Kind(prepare_stacked, draw_stacked),
    "ranked_bar": Kind(prepare_ranked, draw_ranked),
    "classification": Kind(prepare_classification, draw_classification),
    "grouped_bar": Kind(prepare_grouped, draw_grouped),
    "subgroup_panel": Kind(prepare_panel, draw_panel),
    "trust_distribution": Kind(prepare_trust, draw_trust),
}
