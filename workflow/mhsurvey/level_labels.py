"""Labels of the derived levels of ``scores.csv``, read from stage 02's ``02_scores/levels.csv``.

Stage 02 (rule ``score``, :func:`mhsurvey.scoring.levels_table`) is the one place where derived
levels are named (DASS bands, trust categories, recoded groups, condition status); it publishes
their Norwegian and English labels as a tidy table, which stage 04 reads here instead of parsing
``config/scoring.yaml`` itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import InputDataError
from .scoring.tables import LEVEL_COLUMNS


@dataclass(frozen=True)
class DerivedLabels:
    """Value and column labels of derived ``scores.csv`` columns, by language.

    ``values[lang][column][code]`` is the label of a level, ``names[lang][column]`` the label of
    the column; ``lang`` is ``"no"`` or ``"en"``.
    """

    values: Mapping[str, Mapping[str, Mapping[str, str]]] = field(
        default_factory=lambda: {"no": {}, "en": {}}
    )
    names: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: {"no": {}, "en": {}})


def read_levels(path: str | Path) -> pd.DataFrame:
    """Read ``02_scores/levels.csv`` (every cell a string) and check its columns and keys.

    A missing column, an empty ``column``/``code``/label or a duplicated (column, code) is an
    :class:`~mhsurvey.errors.InputDataError` naming the file, row and column.
    """
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in LEVEL_COLUMNS if c not in df.columns]
    if missing:
        raise InputDataError(f"level table lacks columns {missing}", file=str(path))
    for col in ("column", "code", "label_no", "label_en"):
        empty = df.index[df[col] == ""]
        if len(empty):
            raise InputDataError("empty value", file=str(path), row=int(empty[0]) + 1, column=col)
    dup = df.duplicated(["column", "code"])
    if dup.any():
        i = int(df.index[dup][0])
        raise InputDataError(
            "duplicated (column, code)",
            file=str(path),
            row=i + 1,
            column="code",
            value=f"{df.at[i, 'column']}={df.at[i, 'code']}",
        )
    return df


def derived_labels(levels: pd.DataFrame | None) -> DerivedLabels:
    """The :class:`DerivedLabels` of a level table (:func:`read_levels`); empty maps for ``None``."""
    if levels is None:
        return DerivedLabels()
    values: dict[str, dict[str, dict[str, str]]] = {"no": {}, "en": {}}
    names: dict[str, dict[str, str]] = {"no": {}, "en": {}}
    for row in levels.itertuples(index=False):
        for lang in ("no", "en"):
            values[lang].setdefault(str(row.column), {})[str(row.code)] = str(getattr(row, f"label_{lang}"))
            label = str(getattr(row, f"column_label_{lang}"))
            if label:
                names[lang][str(row.column)] = label
    return DerivedLabels(values, names)
