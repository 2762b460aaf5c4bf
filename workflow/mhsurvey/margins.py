"""Margins of error: the per-estimate formula and the report's Vedlegg 3 table.

The report quotes margins of ±1.1–2.5 points (current employees) and ±2.5–5.8 (former) and
explains them with a table of margins by number of interviews (rows n) and share (columns p):
"20 % ... 1600 respondenter ... +/-2,0". ``docs/methods.md`` §1 shows that the table is reproduced
exactly by the Wald formula with **z = 2** (not 1.96) at rows n = 1600 and n = 300, p = 5 %–50 %,
rounded half up to one decimal. This module computes both that report-compatible table and the
margin at any z (e.g. z = Φ⁻¹(0.975) = 1.959964 for the estimates themselves).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.special import ndtri

from .dictionary import ColumnDoc, docs_from_mapping
from .rounding import round_half_up

MARGINS_COLUMNS = ("survey", "n", "row_kind", "p", "z_name", "z", "moe_pp", "moe_pp_display")


def z_for_confidence(level: float) -> float:
    """Two-sided normal critical value ``z = Φ⁻¹(1 − (1 − level)/2)`` (``docs/methods.md`` §1).

    ``z_for_confidence(0.95)`` = 1.959964 (scipy.stats.norm.ppf).
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must be in (0, 1), got {level}")
    return float(ndtri(1.0 - (1.0 - level) / 2.0))  # scipy.stats.norm.ppf, without importing scipy.stats


def moe(p: float | np.ndarray, n: float | np.ndarray, z: float) -> float | np.ndarray:
    """Wald margin of error of a proportion: ``z · √(p(1 − p)/n)`` (``docs/methods.md`` §1).

    ``p`` is a proportion (0–1), ``n`` the base; the result is on the proportion scale (multiply
    by 100 for percentage points). Simple random sampling, no finite-population correction (the
    report ignores it; see ``docs/methods.md`` §1 "FPC"). ``n = 0`` gives NaN.

    >>> round(float(moe(0.2, 1600, 1.96)), 6)
    0.0196
    """
    p_arr = np.asarray(p, dtype=float)
    n_arr = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = z * np.sqrt(p_arr * (1.0 - p_arr) / n_arr)
    out = np.where(n_arr > 0, out, np.nan)
    return float(out) if out.ndim == 0 else out


def moe_range(n: int, p_values: Sequence[float], z: float) -> tuple[float, float]:
    """Smallest and largest margin (percentage points) over the shares ``p_values`` at base ``n``.

    This is how the report states its ranges: at n = 1600 and z = 2 the shares 5 % and 50 % give
    1.09 and 2.50 ("±1,1 – 2,5"); at n = 300 they give 2.52 and 5.77 ("±2,5 – 5,8").
    """
    values = [100.0 * float(moe(p, n, z)) for p in p_values]
    return min(values), max(values)


def margins_table(
    n_rows: Sequence[int],
    p_columns: Sequence[float],
    z_values: Mapping[str, float],
    survey: str = "",
    report_row_n: int | None = None,
    survey_n: int | None = None,
    decimals: int = 1,
) -> pd.DataFrame:
    """The Vedlegg 3 table in long form: one row per (n, p, z).

    Rows ``n_rows`` and columns ``p_columns`` (proportions, e.g. 0.05 … 0.50; the table is
    symmetric in p ↔ 1 − p). ``z_values`` names each z used (e.g. ``{"report": 2.0,
    "confidence": 1.959964}``), so every row states its z. ``row_kind`` marks ``report_row`` for
    the n the report says it operates with (1600 current, 300 former), ``survey_n`` for the
    survey's actual number of respondents (added if not already a row), else ``table``.
    ``moe_pp`` is unrounded; ``moe_pp_display`` is ``round_half_up(moe_pp, decimals)``, the only
    display rounding.
    """
    ns = sorted({int(v) for v in n_rows} | ({int(survey_n)} if survey_n else set()))
    rows = []
    for n in ns:
        if report_row_n is not None and n == int(report_row_n):
            kind = "report_row"
        elif survey_n is not None and n == int(survey_n) and n not in {int(v) for v in n_rows}:
            kind = "survey_n"
        else:
            kind = "table"
        for p in p_columns:
            for z_name, z in z_values.items():
                value = 100.0 * float(moe(float(p), n, float(z)))
                rows.append(
                    (survey, n, kind, float(p), z_name, float(z), value, round_half_up(value, decimals))
                )
    return pd.DataFrame(rows, columns=list(MARGINS_COLUMNS))


def margins_docs() -> list[ColumnDoc]:
    """Data dictionary of ``margins_table.csv``."""
    return docs_from_mapping(
        {
            "survey": ("string", "survey key ({survey} wildcard)"),
            "n": ("integer", "number of interviews (table row)"),
            "row_kind": (
                "string",
                "kind of row",
                "report_row = the n the report operates with (1600 current, "
                "300 former); survey_n = this survey's actual n; table = other rows of the table",
            ),
            "p": ("float", "share (proportion 0-1); the margin for p and 1 - p is the same"),
            "z_name": (
                "string",
                "which z the row uses",
                "report = the report's z (config report_z, 2.0); "
                "confidence_<level> = normal quantile of the configured confidence level",
            ),
            "z": ("float", "critical value used"),
            "moe_pp": ("float", "margin of error in percentage points: 100 * z * sqrt(p(1-p)/n), unrounded"),
            "moe_pp_display": (
                "float",
                "moe_pp rounded half up (mhsurvey.rounding.round_half_up) for display",
            ),
        }
    )
