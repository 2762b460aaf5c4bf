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
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any

from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath

Metrics = tuple[float, float, float]


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


@contextmanager
def shared_text_metrics() -> Iterator[dict[Hashable, Metrics]]:
    """Within the block, SVG text metrics are measured once per (text, font, math flag) and
    reused by later renders; yields the memo. Use it inside one ``rc_context`` (font settings
    constant), and in one thread: it replaces the method on the class for the block's duration
    and puts the original back on exit, also after an error."""
    original = TextToPath.get_text_width_height_descent
    memo: dict[Hashable, Metrics] = {}
    TextToPath.get_text_width_height_descent = memoized_metrics(original, memo)  # type: ignore[method-assign]
    try:
        yield memo
    finally:
        TextToPath.get_text_width_height_descent = original  # type: ignore[method-assign]
