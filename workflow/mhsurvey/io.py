"""Reading and writing the pipeline's tidy tables (UTF-8 CSV, deterministic formatting)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    """Write ``df`` as UTF-8 CSV without index, ``\\n`` line endings, shortest-repr floats.

    The file is written to a temporary name and renamed, so a failure never leaves a partial
    file behind. Same frame in, same bytes out.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        df.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(obj: Mapping[str, Any], path: str | Path) -> None:
    """Write ``obj`` as pretty, key-sorted UTF-8 JSON (deterministic), atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def read_responses(path: str | Path) -> pd.DataFrame:
    """Read ``01_clean/responses.csv``: ``rid`` as string, every other column as nullable Int64."""
    df = pd.read_csv(path, dtype={"rid": "string"}, encoding="utf-8")
    for col in df.columns:
        if col != "rid":
            df[col] = df[col].astype("Int64")
    return df
