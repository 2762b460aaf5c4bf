"""Text metrics of the SVG renders computed once per distinct text (a speed measure only).

Each figure is rendered three times (SVG, print SVG, PNG), and matplotlib measures every text
again in each render and in each pass of the constrained layout: its metric cache
(``matplotlib.text._get_text_metrics_with_cache``) is kept per renderer instance, and every
``savefig`` makes a new renderer. The SVG renderer measures text with
``matplotlib.textpath.TextToPath.get_text_width_height_descent``, which lays the string out with
FreeType at a fixed size (``FONT_SCALE``, ``DPI``) without hinting and scales the result to the
font size: a function of the string, the font properties and the math flag alone, given the
font files that the rcParams in force resolve the properties to. :func:`shared_text_metrics`
memoizes it under those three, so the figures' bytes are the same as without it (tested) while
the FreeType layout runs once per distinct text instead of once per measurement (one survey's
52 figures: 9,180 measurements of 702 distinct texts; docs/figures.md).

Every text layout (``matplotlib.text.Text._get_layout``) also reads the font's vertical
extent (ascender, descender, line gap) from its ``OS/2`` or ``hhea`` table: a font lookup and
two table conversions per call (one survey's drawing: 32,222 calls). Matplotlib asks the
renderer first, through its ``_get_font_height_metrics(prop)`` hook (used by its PDF/PS
backends for AFM fonts), and reads the tables only where the renderer has none.
:func:`shared_text_metrics` gives the Agg and SVG renderers that hook for the block, answering
from :func:`font_height_metrics` once per font and resolution: the same formula as
matplotlib's, so again the bytes are unchanged (tested).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any

from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.font_manager import FontProperties, fontManager, get_font
from matplotlib.textpath import TextToPath

Metrics = tuple[float, float, float]
HeightMetrics = tuple[float | None, float | None, float | None]

#: the font tables matplotlib reads a font's vertical extent from, in its order of preference:
#: (table, line-gap key, ascender key, descender key) (``matplotlib.text.Text._get_layout``)
HEIGHT_TABLES = (
    ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
    ("hhea", "lineGap", "ascent", "descent"),
)

#: the figure resolution while a renderer class draws: Agg draws at its own ``dpi`` (the
#: figure's while it saves a PNG); the SVG backend sets the figure to 72 dpi for the whole
#: render (``FigureCanvasSVG.print_svg``)
RENDERER_DPI: dict[type, Callable[[Any], float]] = {
    RendererAgg: lambda renderer: renderer.dpi,
    RendererSVG: lambda renderer: 72.0,
}


def font_key(prop: FontProperties) -> Hashable:
    """Every attribute of ``prop`` (family, style, variant, weight, stretch, size, file, math
    family), in order: the state ``FontProperties.__hash__`` hashes, as a key that compares by
    value (two properties with one key describe the same font at the same size)."""
    return tuple((name, tuple(v) if isinstance(v, list) else v) for name, v in vars(prop).items())


def memoized_metrics(
    measure: Callable[[Any, str, FontProperties, Any], Metrics], memo: dict[Hashable, Metrics]
) -> Callable[[Any, str, FontProperties, Any], Metrics]:
    """``measure`` (a ``TextToPath.get_text_width_height_descent``) answering from ``memo``,
    keyed by ``(s, font_key(prop), ismath)``; a miss calls ``measure`` and stores its result."""

    def get_text_width_height_descent(self: Any, s: str, prop: FontProperties, ismath: Any) -> Metrics:
        key = (s, font_key(prop), ismath)
        found = memo.get(key)
        if found is None:
            found = memo[key] = measure(self, s, prop, ismath)
        return found

    return get_text_width_height_descent


def font_height_metrics(prop: FontProperties, dpi: float) -> HeightMetrics:
    """Ascent, descent and line gap in pixels of the font ``prop`` resolves to, at ``dpi``.

    With the first of :data:`HEIGHT_TABLES` the font has, ``scale = 1 / unitsPerEm * size_pt *
    dpi / 72``: ascent = ascender * scale, descent = -descender * scale, line gap = gap * scale
    (the computation of ``matplotlib.text.Text._get_layout``, operation for operation, so the
    floats are identical); ``(None, None, None)`` for a font with neither table, where matplotlib
    falls back to measuring ``"lp"``."""
    font = get_font(fontManager._find_fonts_by_props(prop))
    for table_name, linegap_key, ascent_key, descent_key in HEIGHT_TABLES:
        table = font.get_sfnt_table(table_name)
        if table is None:
            continue
        fontsize = prop.get_size_in_points()
        units_per_em = font.get_sfnt_table("head")["unitsPerEm"]
        scale = 1 / units_per_em * fontsize * dpi / 72
        line_gap = table[linegap_key] * scale
        min_ascent = table[ascent_key] * scale
        min_descent = -table[descent_key] * scale
        return min_ascent, min_descent, line_gap
    return None, None, None


def memoized_height_metrics(
    dpi_of: Callable[[Any], float], memo: dict[Hashable, HeightMetrics]
) -> Callable[[Any, FontProperties], HeightMetrics]:
    """A renderer's ``_get_font_height_metrics(prop)`` answering :func:`font_height_metrics` at
    the renderer's resolution ``dpi_of(renderer)``, from ``memo`` keyed by
    ``(font_key(prop), dpi)``."""

    def _get_font_height_metrics(self: Any, prop: FontProperties) -> HeightMetrics:
        dpi = dpi_of(self)
        key = (font_key(prop), dpi)
        found = memo.get(key)
        if found is None:
            found = memo[key] = font_height_metrics(prop, dpi)
        return found

    return _get_font_height_metrics


@contextmanager
def shared_text_metrics() -> Iterator[dict[Hashable, Metrics]]:
    """Within the block, SVG text metrics are measured once per (text, font, math flag) and
    reused by later renders, and the Agg and SVG renderers read a font's height metrics once per
    font and resolution; yields the text memo. Use it inside one ``rc_context`` (font settings
    constant), and in one thread: it replaces the methods on the classes for the block's
    duration and puts the originals back on exit, also after an error. A renderer class that
    already has the height hook (a later matplotlib) keeps its own."""
    original = TextToPath.get_text_width_height_descent
    memo: dict[Hashable, Metrics] = {}
    heights: dict[Hashable, HeightMetrics] = {}
    hooked = [cls for cls in RENDERER_DPI if not hasattr(cls, "_get_font_height_metrics")]
    TextToPath.get_text_width_height_descent = memoized_metrics(original, memo)  # type: ignore[method-assign]
    try:
        for cls in hooked:
            cls._get_font_height_metrics = memoized_height_metrics(RENDERER_DPI[cls], heights)  # type: ignore[attr-defined]
        yield memo
    finally:
        TextToPath.get_text_width_height_descent = original  # type: ignore[method-assign]
        for cls in hooked:
            if "_get_font_height_metrics" in vars(cls):
                delattr(cls, "_get_font_height_metrics")
