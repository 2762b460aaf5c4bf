"""Words for a share, chosen from its value ("to tredjedeler", "litt over halvparten", "8 av 10").

The vocabulary (anchors, qualifiers, tolerances) lives in ``config/report.yaml`` under
``phrasing``; this module only applies it. Rule, for a percentage ``p`` in points:

1. ``p < floor`` -> the "very few" phrase; ``p > ceiling`` -> the "almost all" phrase.
2. Anchors are the named fractions (``value`` in points, e.g. 50 "halvparten", 66.67 "to
   tredjedeler") and the tenths 10, 20, ..., 90 ("k av 10"). Among anchors at the same distance
   a named fraction wins.
3. The nearest anchor ``a`` with ``|p - a| <= exact`` gives its word alone.
4. Else the nearest anchor with ``|p - a| <= near`` gives "litt over <word>" if ``p > a`` and
   "nesten <word>" if ``p < a``.
5. Else the nearest anchor gives "omtrent <word>".

A verbal share always goes with the percentage it stands for; the report never prints one alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Anchor:
    """A share with a name: ``value`` in points and the words per language."""

    value: float
    words: Mapping[str, str]
    named: bool


@dataclass(frozen=True)
class Vocabulary:
    """Phrasing settings (``config/report.yaml`` -> ``phrasing``)."""

    anchors: tuple[Anchor, ...]
    exact: float
    near: float
    floor: float
    ceiling: float
    over: Mapping[str, str]
    under: Mapping[str, str]
    about: Mapping[str, str]
    very_few: Mapping[str, str]
    almost_all: Mapping[str, str]


def vocabulary_from_config(cfg: Mapping[str, Any]) -> Vocabulary:
    """Build the vocabulary from the ``phrasing`` block of the report config."""
    named = [Anchor(float(a["value"]), {"no": a["no"], "en": a["en"]}, True) for a in cfg["fractions"]]
    tenths = cfg["tenths"]
    tens = [
        Anchor(10.0 * k, {lang: tenths[lang].format(k=k) for lang in ("no", "en")}, False)
        for k in range(1, 10)
    ]
    q = cfg["qualifiers"]
    return Vocabulary(
        anchors=tuple(named + tens),
        exact=float(cfg["exact_tolerance"]),
        near=float(cfg["near_tolerance"]),
        floor=float(cfg["floor"]),
        ceiling=float(cfg["ceiling"]),
        over=q["over"],
        under=q["under"],
        about=q["about"],
        very_few=q["very_few"],
        almost_all=q["almost_all"],
    )


def _nearest(p: float, anchors: tuple[Anchor, ...]) -> Anchor:
    """The anchor nearest to ``p``; a named fraction wins a tie with a tenth."""
    return min(anchors, key=lambda a: (round(abs(p - a.value), 9), not a.named))


def share_phrase(pct: float, vocab: Vocabulary, lang: str = "no") -> str:
    """Words for ``pct`` (0-100) by the rule in the module docstring.

    >>> v = Vocabulary((Anchor(50, {"no": "halvparten", "en": "half"}, True),), 1, 4, 5, 95,
    ...                {"no": "litt over"}, {"no": "nesten"}, {"no": "omtrent"},
    ...                {"no": "svært få"}, {"no": "nesten alle"})
    >>> share_phrase(50.6, v), share_phrase(53, v), share_phrase(47, v), share_phrase(60, v)
    ('halvparten', 'litt over halvparten', 'nesten halvparten', 'omtrent halvparten')
    """
    p = float(pct)
    if p < vocab.floor:
        return vocab.very_few[lang]
    if p > vocab.ceiling:
        return vocab.almost_all[lang]
    anchor = _nearest(p, vocab.anchors)
    distance = abs(p - anchor.value)
    word = anchor.words[lang]
    if distance <= vocab.exact:
        return word
    if distance <= vocab.near:
        return f"{(vocab.over if p > anchor.value else vocab.under)[lang]} {word}"
    return f"{vocab.about[lang]} {word}"
