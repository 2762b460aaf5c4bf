"""Number formatting for the report: one filter for every number a reader sees.

Rounding is :func:`mhsurvey.rounding.round_half_up` (round half up on the printed decimal value),
the rule the study's tables follow. Bokmål typography (Språkrådet, "Skrivemåten av tall"): decimal
comma, a space between groups of three digits, a space before the percent sign. Both spaces are
U+202F NARROW NO-BREAK SPACE, a thin space that never breaks a number across lines. The English
edition uses a decimal point, a comma between thousands and no space before the percent sign.
"""

from __future__ import annotations

import math

from ..rounding import round_half_up

THIN = "\u202f"  # narrow no-break space: thousands separator and space before "%"
MISSING = "–"  # en dash for a value that is missing or suppressed


def _missing(x: float | int | None) -> bool:
    """True for None and NaN (pandas' missing values)."""
    if x is None:
        return True
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return False


def format_number(x: float | int | None, digits: int = 0, lang: str = "no") -> str:
    """Format ``x`` rounded half up to ``digits`` decimals.

    ``lang="no"``: ``1726 -> "1 726"`` (thin space), ``0.833 -> "0,83"`` at 2 digits.
    ``lang="en"``: ``1726 -> "1,726"``, ``0.833 -> "0.83"``. Missing values give an en dash.
    Negative values use the minus sign U+2212.
    """
    if _missing(x):
        return MISSING
    value = round_half_up(float(x), digits)
    text = f"{abs(value):,.{digits}f}"  # "1,726.50"
    if lang == "no":
        text = text.replace(",", THIN).replace(".", ",")
    elif lang != "en":
        raise ValueError(f"unknown language {lang!r} (expected 'no' or 'en')")
    return ("\u2212" if value < 0 else "") + text


def format_percent(pct: float | None, digits: int = 0, lang: str = "no") -> str:
    """Format a percentage given in points (0-100): ``65.9 -> "66 %"`` (no), ``"66%"`` (en)."""
    if _missing(pct):
        return MISSING
    sep = THIN if lang == "no" else ""
    return f"{format_number(pct, digits, lang)}{sep}%"


def format_points(diff: float | None, digits: int = 0, lang: str = "no") -> str:
    """Format a difference in percentage points without sign: ``-7.4 -> "7 prosentpoeng"``."""
    if _missing(diff):
        return MISSING
    unit = "prosentpoeng" if lang == "no" else "percentage points"
    return f"{format_number(abs(float(diff)), digits, lang)} {unit}"


def estimate_text(
    pct: float | None, base_n: int, suppressed: bool, min_n: int, lang: str = "no"
) -> tuple[str, str]:
    """How a percentage is shown, as ``(text, mark)``.

    - suppressed (small-cell protection of stage 04) or missing: ``("–", "suppressed")``;
    - resting on ``base_n < min_n`` answers: ``("12 % (n = 9)", "caution")`` - shown with its n
      and a caution mark, never alone;
    - otherwise ``("66 %", "")``.
    """
    if suppressed or _missing(pct):
        return MISSING, "suppressed"
    text = format_percent(pct, lang=lang)
    if base_n < min_n:
        return f"{text} (n\u00a0=\u00a0{format_number(base_n, lang=lang)})", "caution"
    return text, ""
