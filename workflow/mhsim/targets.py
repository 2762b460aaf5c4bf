"""Calibration targets: published numbers resolved from ``data/published/*.csv`` by row id.

The simulation config (``config/simulation/<survey>.yaml``) never repeats a published number: every
target names its source row (``source: <id>``) and the value is read here from the committed copy of
the published tables (one place for each fact). Targets the report does not print carry
``value:`` plus ``assumed: <reason>`` instead. Methods: ``docs/methods.md`` §4.3 (integer counts from
rounded percentages by the largest-remainder method).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# the columns of data/published/*.csv are defined once, by the audit that reads the same files
from mhsurvey.audit.published import PUBLISHED_COLUMNS
from mhsurvey.errors import ConfigError


@dataclass(frozen=True)
class Published:
    """The published numbers, indexed by row id."""

    rows: pd.DataFrame  # index = id

    def row(self, source_id: str) -> pd.Series:
        """The published row ``source_id``; ``ConfigError`` if it does not exist."""
        try:
            return self.rows.loc[source_id]
        except KeyError:
            raise ConfigError(f"published row {source_id!r} does not exist in data/published") from None

    def pct(self, source_id: str) -> float:
        """Column ``pct`` of row ``source_id`` as a number (a range ``a-b`` gives its midpoint)."""
        lo, hi = self.pct_range(source_id)
        return (lo + hi) / 2.0

    def pct_range(self, source_id: str) -> tuple[float, float]:
        """Column ``pct`` of row ``source_id`` as ``(low, high)``; equal for a single number."""
        return parse_range(self.row(source_id)["pct"], source_id)

    def n(self, source_id: str) -> int:
        """Column ``n`` (a head count) of row ``source_id``."""
        value = self.row(source_id)["n"]
        if value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == "":
            raise ConfigError(f"published row {source_id!r} has no n")
        return int(float(value))


def parse_range(value: Any, where: str = "") -> tuple[float, float]:
    """Parse a published ``pct`` cell: ``"19"`` -> (19, 19), ``"52-63"`` -> (52, 63)."""
    text = "" if value is None else str(value).strip()
    if text == "" or text.lower() == "nan":
        raise ConfigError(f"published row {where!r} has no pct value")
    parts = text.split("-")
    try:
        if len(parts) == 2 and parts[0] and parts[1]:
            return float(parts[0]), float(parts[1])
        v = float(text)
    except ValueError:
        raise ConfigError(f"published row {where!r}: pct {text!r} is not a number or range") from None
    return v, v


def load_published(paths: Iterable[str | Path]) -> Published:
    """Read the published tables (columns :data:`PUBLISHED_COLUMNS`); ids must be unique."""
    frames = []
    for p in paths:
        df = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8")
        missing = set(PUBLISHED_COLUMNS) - set(df.columns)
        if missing:
            raise ConfigError(f"published table {p} lacks column(s) {sorted(missing)}")
        frames.append(df[list(PUBLISHED_COLUMNS)])
    rows = pd.concat(frames, ignore_index=True)
    dup = rows["id"][rows["id"].duplicated()]
    if len(dup):
        raise ConfigError(f"published row ids are not unique: {sorted(set(dup))[:5]}")
    return Published(rows.set_index("id"))


def resolve_value(spec: Mapping[str, Any], published: Published, where: str) -> float:
    """Value of a target spec: ``{source: id}`` -> published pct, ``{value: x, assumed: why}`` -> x.

    ``field: n`` reads the ``n`` column instead of ``pct``.
    """
    if "source" in spec:
        if spec.get("field") == "n":
            return float(published.n(spec["source"]))
        return published.pct(spec["source"])
    if "value" in spec:
        if not str(spec.get("assumed", "")).strip():
            raise ConfigError(f"{where}: a target without a source must say why (assumed: <reason>)")
        return float(spec["value"])
    raise ConfigError(f"{where}: give either source: <published id> or value: + assumed:")


def source_label(spec: Mapping[str, Any]) -> str:
    """The ``source_id`` column of the calibration table: the row id, or ``assumed``."""
    return str(spec["source"]) if "source" in spec else "assumed"


def largest_remainder(shares: Sequence[float], n: int) -> np.ndarray:
    """Integer counts summing to ``n`` proportional to ``shares`` (Hamilton / largest remainder).

    Formula: ``q_k = n * s_k / sum(s)``; every category gets ``floor(q_k)``; the remaining
    ``n - sum(floor)`` units go to the largest fractional parts (ties: lower index first).
    ``docs/methods.md`` §4.3 step 1. Shares that do not sum to 100 (published rounding: 99, 101, 102)
    are normalised first.

    >>> largest_remainder([54, 46], 1726).tolist()
    [932, 794]
    """
    s = np.asarray(shares, dtype=float)
    if n < 0 or (s < 0).any() or s.sum() <= 0:
        raise ValueError(f"invalid shares {list(s)} or n={n}")
    q = n * s / s.sum()
    base = np.floor(q + 1e-9).astype(int)
    rest = n - int(base.sum())
    order = sorted(range(len(s)), key=lambda k: (-(q[k] - base[k]), k))
    for k in order[:rest]:
        base[k] += 1
    return base
