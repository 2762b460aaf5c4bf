"""Display rounding: the one helper every table, figure and report uses.

Python's built-in ``round`` and ``numpy.round`` round half to even and work on the binary
float, so ``round(2.45, 1)`` and ``np.round(2.45, 1)`` disagree. Published survey tables use
round-half-up on the decimal value as printed, which this module implements
(``docs/methods.md`` §1.5).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal


def round_half_up(x: float | None, digits: int = 0) -> float | None:
    """Round ``x`` half away from zero at ``digits`` decimals, on its shortest decimal repr.

    Formula: ``Decimal(repr(float(x))).quantize(10**-digits, ROUND_HALF_UP)``. Using ``repr``
    rounds the value a reader sees (2.45 -> 2.5), not its binary expansion (2.4499999...).
    ``None`` and NaN pass through as NaN-like ``None``/NaN.

    >>> round_half_up(2.45, 1)
    2.5
    >>> round_half_up(0.5)
    1.0
    >>> round_half_up(-0.5)
    -1.0
    """
    if x is None:
        return None
    xf = float(x)
    if math.isnan(xf) or math.isinf(xf):
        return xf
    quantum = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(xf)).quantize(quantum, rounding=ROUND_HALF_UP))


def format_pct(p: float | None, digits: int = 0) -> str:
    """Format a proportion ``p`` (0-1) as a Norwegian percentage string, e.g. ``"19 %"``.

    The percentage is ``round_half_up(100 * p, digits)``; decimals use a comma as in bokmål.
    Missing values give an en dash.
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "–"
    value = round_half_up(100.0 * float(p), digits)
    text = f"{value:.{digits}f}".replace(".", ",")
    return f"{text} %"
