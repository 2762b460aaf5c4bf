"""Sentences written from the subgroup tests of stage 04 (``subgroup_tests.csv``).

Only tests that are significant after the configured multiple-testing correction are described
(column ``significant``, decided in stage 04 by ``significance.adjust`` of config/estimates.yaml);
a level flagged as small (``small_n``), suppressed, or not tested is never described as a
difference. Each sentence names the level, the direction, the level's percentage, the percentage
of the rest of the sample it was tested against, and the difference in points (docs/methods.md,
subgroup tests: level vs rest, two-proportion z).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .numbers import format_number, format_percent, format_points
from .results import records


@dataclass(frozen=True)
class NarrativeSettings:
    """What the sentences need to know: strings (per language), the test rule, the language."""

    strings: Mapping[str, Mapping[str, str]]
    adjust: str
    alpha: float
    min_n: int
    lang: str = "no"

    def s(self, key: str) -> str:
        """String ``key`` in the settings' language; a missing string stops with its key."""
        try:
            return self.strings[key][self.lang]
        except KeyError as exc:
            raise KeyError(
                f"report string {key!r} has no {self.lang!r} text (config/report.yaml strings)"
            ) from exc


def _on(value: object) -> bool:
    """A 0/1 cell (missing = 0) as a boolean (``fillna(0).astype(bool)`` of one cell)."""
    return not pd.isna(value) and bool(value)  # type: ignore[arg-type]


Records = Sequence[Mapping[str, Any]]


def _records(rows: pd.DataFrame | Records) -> list[Mapping[str, Any]]:
    """Table rows as records (``to_dict("records")`` of a frame; a list of records as it is)."""
    return records(rows) if isinstance(rows, pd.DataFrame) else list(rows)


def _gap_key(row: Mapping[str, Any]) -> tuple[bool, float, bool, str]:
    """Sort key: largest ``|pct - rest_pct|`` first, then ``level`` ascending, missing ones last
    (``sort_values(["_gap", "level"], ascending=[False, True])``)."""
    gap = abs(float(row["pct"]) - float(row["rest_pct"]))
    level = row["level"]
    return (
        math.isnan(gap),
        0.0 if math.isnan(gap) else -gap,
        pd.isna(level),
        "" if pd.isna(level) else str(level),
    )


def significant_rows(rows: pd.DataFrame | Records) -> list[Mapping[str, Any]]:
    """The rows a text may describe: significant, tested, not small, not suppressed; largest
    |diff| first (ties: level order; a stable sort, so equal keys keep the table's order)."""
    ok = [
        r
        for r in _records(rows)
        if _on(r["significant"]) and _on(r["tested"]) and not _on(r["small_n"]) and not _on(r["suppressed"])
    ]
    return sorted(ok, key=_gap_key)


def difference_sentence(row: Mapping[str, object], cfg: NarrativeSettings) -> str:
    """One sentence for one significant level.

    Template (config strings ``sg_higher`` / ``sg_lower``), placeholders: ``{level}`` (label),
    ``{pct}`` (level), ``{rest_pct}`` (rest of the sample), ``{diff}`` (``pct - rest_pct`` in
    points, without sign; the direction is in the words).
    """
    pct = float(row["pct"])  # type: ignore[arg-type]
    rest = float(row["rest_pct"])  # type: ignore[arg-type]
    key = "sg_higher" if pct > rest else "sg_lower"
    label_col = "level_label_no" if cfg.lang == "no" or "level_label_en" not in row else "level_label_en"
    return cfg.s(key).format(
        level=row[label_col],
        pct=format_percent(pct, lang=cfg.lang),
        rest_pct=format_percent(rest, lang=cfg.lang),
        diff=format_points(pct - rest, lang=cfg.lang),
    )


def pair_sentence(high: Mapping[str, object], low: Mapping[str, object], cfg: NarrativeSettings) -> str:
    """One sentence for a breakdown with exactly two tested levels, both significant.

    With two levels the test of A vs rest and of B vs rest are the same comparison, so the text
    compares the two levels directly (config string ``sg_pair``): ``{high}`` ({high_pct}) vs
    ``{low}`` ({low_pct}), difference ``high_pct - low_pct`` in points.
    """
    label_col = "level_label_no" if cfg.lang == "no" or "level_label_en" not in high else "level_label_en"
    hp, lp = float(high["pct"]), float(low["pct"])  # type: ignore[arg-type]
    return cfg.s("sg_pair").format(
        high=high[label_col],
        low=low[label_col],
        high_pct=format_percent(hp, lang=cfg.lang),
        low_pct=format_percent(lp, lang=cfg.lang),
        diff=format_points(hp - lp, lang=cfg.lang),
    )


def subgroup_paragraph(rows: pd.DataFrame | Records, cfg: NarrativeSettings) -> list[str]:
    """Sentences about one outcome category across the levels of one breakdown (``rows``: its
    rows of ``subgroup_tests.csv``, a frame or records).

    Significant levels give one sentence each; with none, one sentence says that no difference is
    significant under the configured rule; two tested levels that both differ are one comparison
    (:func:`pair_sentence`). Levels with fewer than ``min_n`` respondents are named
    as not tested (with their n) so that a reader knows why they are absent.
    """
    recs = _records(rows)
    if not recs:
        return [cfg.s("sg_no_rows")]
    sig = significant_rows(recs)
    method = cfg.s(f"adjust_{cfg.adjust}")
    alpha = format_percent(100 * cfg.alpha, lang=cfg.lang)
    n_tested = sum(_on(r["tested"]) for r in recs)
    if not sig:
        out = [cfg.s("sg_none").format(method=method, alpha=alpha)]
    elif n_tested == 2 and len(sig) == 2:
        a, b = sig
        high, low = (a, b) if float(a["pct"]) >= float(b["pct"]) else (b, a)
        out = [pair_sentence(high, low, cfg)]
    else:
        out = [difference_sentence(r, cfg) for r in sig]
    small = [r for r in recs if _on(r["small_n"]) and not pd.isna(r["n"]) and r["n"] > 0]
    if small:
        label_col = (
            "level_label_no" if cfg.lang == "no" or "level_label_en" not in recs[0] else "level_label_en"
        )
        names = ", ".join(
            f"{r[label_col]} (n\u00a0=\u00a0{format_number(r['n'], lang=cfg.lang)})" for r in small
        )
        out.append(cfg.s("sg_small").format(levels=names, min_n=format_number(cfg.min_n, lang=cfg.lang)))
    return out
