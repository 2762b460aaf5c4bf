"""The one style of the figures: palette lookups, value labels, wrapping, the synthetic mark.

Colours come from ``config/figures.yaml`` (``style.palette``), fonts and lines from the
matplotlib style file ``config/figure_style.mplstyle``. Every printed percentage goes through
:func:`pct_text`, i.e. ``mhsurvey.rounding.round_half_up`` with a Norwegian decimal comma.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..rounding import round_half_up

NBSP = "\u00a0"


@dataclass(frozen=True)
class Style:
    """The parsed ``style`` block of the catalogue plus the synthetic-data mark."""

    config: Mapping[str, Any]
    synthetic_label: str = ""  # e.g. "Syntetiske data"; empty = real data, no mark
    lang: str = "no"

    @property
    def palette(self) -> Mapping[str, Any]:
        return self.config["palette"]

    @property
    def width(self) -> float:
        return float(self.config["width_in"])

    @property
    def decimals(self) -> int:
        return int(self.config["decimals"])

    @property
    def min_label_pct(self) -> float:
        return float(self.config["min_label_pct"])

    def word(self, key: str) -> str:
        text = self.config["labels"][key]
        return text.get(self.lang) or text["no"]

    def pct(self, value: float) -> str:
        """Value label of a percentage (see :func:`pct_text`)."""
        return pct_text(value, self.decimals, self.lang)

    def wrap(self, text: str, width: int | None = None) -> str:
        """Wrap a long label at ``style.wrap_chars`` (or ``width``) characters."""
        return wrap(text, width or int(self.config["wrap_chars"]))


def pct_text(value: float, decimals: int = 0, lang: str = "no") -> str:
    """``value`` (percent) rounded half up at ``decimals``, as ``"64 %"`` (no) / ``"64%"`` (en).

    Norwegian uses a decimal comma and a non-breaking space before ``%`` (Språkrådet). A missing
    value (a suppressed cell of stage 04) is an en dash, never "nan %".
    """
    try:
        missing = value is None or math.isnan(float(value))
    except (TypeError, ValueError):
        missing = False
    if missing:
        return "–"
    rounded = round_half_up(float(value), decimals)
    text = f"{rounded:.{decimals}f}"
    if lang == "no":
        return text.replace(".", ",") + NBSP + "%"
    return text + "%"


def n_text(n: float, lang: str = "no") -> str:
    """A count with thousands separated (``1 726`` in Norwegian, ``1,726`` in English)."""
    text = f"{int(n):,}"
    return text.replace(",", NBSP) if lang == "no" else text


def wrap(text: str, width: int) -> str:
    """``textwrap.fill`` without breaking words or hyphens."""
    return textwrap.fill(str(text), width=width, break_long_words=False, break_on_hyphens=False)


def _spread(colours: Sequence[str], k: int) -> list[str]:
    """``k`` colours evenly spread over a ColorBrewer sequence (ends included)."""
    if k <= 0:
        return []
    if k == 1:
        return [colours[len(colours) // 2]]
    step = (len(colours) - 1) / (k - 1)
    return [colours[round(i * step)] for i in range(k)]


def segment_colours(style: Style, scale: str, substantive: int, nonsubstantive: int) -> list[str]:
    """Colours of the segments of a stacked bar: substantive categories, then greys.

    ``diverging`` (5 categories, agree -> disagree, neutral in the middle), ``diverging_3``
    (low / medium / high), ``sequential`` (first category darkest), ``sequential_reversed``
    (first category lightest: "not at all" ... "extremely"), ``severity`` (first category = the
    normal range in grey, then light -> dark), ``qualitative`` (Okabe-Ito).
    """
    pal = style.palette
    if scale == "diverging":
        base = list(pal["diverging"])
        cols = base if substantive == 5 else _spread(base, substantive)
    elif scale == "diverging_3":
        d = pal["diverging"]
        cols = [d[4], d[2], d[0]][:substantive] if substantive <= 3 else _spread(d, substantive)
    elif scale == "sequential":
        cols = _spread(pal["sequential"], substantive)
    elif scale == "sequential_reversed":
        cols = list(reversed(_spread(pal["sequential"][:-1], substantive)))
    elif scale == "severity":
        # first category (normal range) in the complement grey, then light -> dark
        cols = [pal["complement"]] + list(reversed(_spread(pal["sequential"][:-2], substantive - 1)))
    else:
        q = list(pal["qualitative"])
        cols = [q[i % len(q)] for i in range(substantive)]
    greys = list(pal["nonsubstantive"])
    return cols + [greys[i % len(greys)] for i in range(nonsubstantive)]


def text_colour(style: Style, background: str) -> str:
    """Dark or light text for a label on ``background`` (WCAG relative luminance > 0.4 -> dark)."""
    r, g, b = (int(background[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    lum = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return style.palette["text_dark"] if lum > 0.4 else style.palette["text_light"]


def add_synthetic_mark(fig: Any, style: Style) -> None:
    """Visible "Syntetiske data" mark in the top right corner, if the data are synthetic."""
    if not style.synthetic_label:
        return
    fig.suptitle(
        style.synthetic_label,
        x=0.995,
        ha="right",
        fontsize=8,
        fontweight="bold",
        color=style.palette["synthetic_mark"],
        bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": style.palette["synthetic_mark"], "lw": 0.8},
    )
