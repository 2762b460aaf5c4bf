"""The published numbers (data/published/*.csv): reading, value parsing, figure and chapter keys."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ..errors import InputDataError

PUBLISHED_COLUMNS = (
    "id",
    "survey",
    "section",
    "source",
    "measure",
    "item",
    "subgroup_var",
    "subgroup_level",
    "category",
    "pct",
    "n",
)
_RANGE = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*-\s*(-?\d+(?:[.,]\d+)?)\s*$")
_NUMBER = re.compile(r"^\s*-?\d+(?:[.,]\d+)?\s*$")
_FIGURE = re.compile(r"Figur (\d+)")
_PRINTED = re.compile(r"printed '?Figur (\d+)")
_PANEL = re.compile(r"subgroup panel (\d+\.\d+)")


def load_published(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Concatenate the published tables (all columns as strings, empty = ``""``).

    Raises ``InputDataError`` naming file and row for a missing column or a duplicated id.
    """
    frames = []
    for path in paths:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        missing = [c for c in PUBLISHED_COLUMNS if c not in df.columns]
        if missing:
            raise InputDataError(f"published table lacks column(s) {missing}", file=str(path))
        df = df[list(PUBLISHED_COLUMNS)].copy()
        df["file"] = Path(path).name
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    dup = out[out["id"].duplicated(keep=False)]
    if not dup.empty:
        first = dup.iloc[0]
        raise InputDataError("duplicated published id", file=first["file"], column="id", value=first["id"])
    return out


def parse_number(text: str) -> float | tuple[float, float] | None:
    """A printed value as a number, a ``(low, high)`` range ("14-17") or ``None`` (not numeric).

    Decimal commas are read as points. ``"1.1-2.5"`` gives ``(1.1, 2.5)``.
    """
    text = (text or "").strip()
    if _NUMBER.match(text):
        return float(text.replace(",", "."))
    m = _RANGE.match(text)
    if m:
        return (float(m.group(1).replace(",", ".")), float(m.group(2).replace(",", ".")))
    return None


def published_value(row: pd.Series) -> float | tuple[float, float] | None:
    """The printed number of a row: ``pct`` where it holds one, else the count in ``n``."""
    value = parse_number(row["pct"])
    if value is None and row["pct"].strip() == "":
        value = parse_number(row["n"])
    return value


def figure_of(source: str) -> str:
    """The figure a ``source`` names: ``"Figur 59"`` (sequence number), ``"panel 3.3"`` for the
    uncaptioned subgroup panels, ``"Vedlegg 1"`` for the appendix charts, ``""`` for prose/tables."""
    m = _FIGURE.search(source or "")
    if m:
        return f"Figur {m.group(1)}"
    m = _PANEL.search(source or "")
    if m:
        return f"panel {m.group(1)}"
    if "Vedlegg 1 figur" in (source or ""):
        return "Vedlegg 1"
    return ""


def printed_figure_of(source: str) -> str:
    """The figure number as printed, where the source notes it differs (``printed 'Figur 3.'``)."""
    m = _PRINTED.search(source or "")
    if m:
        return f"Figur {m.group(1)}"
    return figure_of(source) if _FIGURE.search(source or "") else ""


def chapter_of(section: str) -> str:
    """Chapter key of a published section: ``"2"`` for 2.1-2.7, ``"3"`` for 3.1-3.8, else as is
    (``Sammendrag``, ``method``, ``former``, ``vedlegg1`` ...)."""
    m = re.match(r"^(\d+)\.\d+$", section or "")
    return m.group(1) if m else section


def is_missing(x: object) -> bool:
    """True for None/NaN."""
    return x is None or (isinstance(x, float) and math.isnan(x))
