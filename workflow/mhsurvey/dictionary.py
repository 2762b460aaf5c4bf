"""Data dictionaries: one ``<table>.dictionary.csv`` beside every intermediate table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class ColumnDoc:
    """Documentation of one column of a tidy table."""

    column: str
    type: str
    description: str
    values: str = ""


DICTIONARY_COLUMNS = ("column", "type", "description", "values")


def dictionary_frame(docs: Sequence[ColumnDoc]) -> pd.DataFrame:
    """Return the dictionary as a DataFrame with columns ``column, type, description, values``."""
    return pd.DataFrame(
        [(d.column, d.type, d.description, d.values) for d in docs], columns=list(DICTIONARY_COLUMNS)
    )


def check_documented(df: pd.DataFrame, docs: Sequence[ColumnDoc], table: str) -> None:
    """Raise ``ValueError`` unless ``docs`` describes exactly the columns of ``df``, in order."""
    documented = [d.column for d in docs]
    if documented != list(df.columns):
        missing = [c for c in df.columns if c not in documented]
        extra = [c for c in documented if c not in df.columns]
        raise ValueError(
            f"data dictionary of {table} does not match its columns: "
            f"undocumented {missing}, documented but absent {extra}"
        )


def write_dictionary(docs: Sequence[ColumnDoc], path: str | Path, df: pd.DataFrame | None = None) -> None:
    """Write the dictionary CSV; if ``df`` is given, first check it documents ``df`` exactly."""
    from .io import write_csv

    if df is not None:
        check_documented(df, docs, str(path))
    write_csv(dictionary_frame(docs), path)


def docs_from_mapping(spec: Mapping[str, tuple[str, str] | tuple[str, str, str]]) -> list[ColumnDoc]:
    """Build ``ColumnDoc`` objects from ``{column: (type, description[, values])}``."""
    return [ColumnDoc(col, *vals) for col, vals in spec.items()]
