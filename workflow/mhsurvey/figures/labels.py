"""Label lookups of the figures, every one with a ``lang`` parameter ("no" default, "en").

Sources, in this order: the figure style config (panel titles, short level labels, fixed words),
the stage-04 estimates (item and category labels in both languages, taken from the codebook by
stage 04), and the codebook (question wording for captions, breakdown level labels). A label
missing in English falls back to the Norwegian one (the English edition comes later).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

LANGS = ("no", "en")


def _pick(text: Mapping[str, str] | None, lang: str) -> str:
    """``text[lang]``, falling back to Norwegian; empty string if ``text`` is None."""
    if not text:
        return ""
    return text.get(lang) or text["no"]


@dataclass(frozen=True)
class LabelBook:
    """All labels one survey's figures need."""

    style_labels: Mapping[str, Mapping[str, str]]
    breakdowns: Mapping[str, Mapping[str, str]]
    levels: Mapping[str, Mapping[str, Mapping[str, str]]]
    items: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    categories: Mapping[tuple[str, str], Mapping[str, str]] = field(default_factory=dict)
    questions: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    survey_title: Mapping[str, str] = field(default_factory=dict)
    codebook_levels: Mapping[tuple[str, str], Mapping[str, str]] = field(default_factory=dict)

    def word(self, key: str, lang: str = "no") -> str:
        """A fixed word of the style config (``style.labels.<key>``)."""
        return _pick(self.style_labels[key], lang)

    def item(self, variable: str, lang: str = "no", fallback: str = "") -> str:
        """Label of an item / variable (grid item, multi option, classification)."""
        return _pick(self.items.get(variable), lang) or fallback or variable

    def category(self, variable: str, category: str, lang: str = "no", fallback: str = "") -> str:
        """Label of a category of ``variable``."""
        return _pick(self.categories.get((variable, category)), lang) or fallback or category

    def breakdown(self, breakdown: str, lang: str = "no") -> str:
        """Panel title of a breakdown."""
        return _pick(self.breakdowns.get(breakdown), lang) or breakdown

    def level(self, breakdown: str, level: str, lang: str = "no", fallback: str = "") -> str:
        """Label of a breakdown level: short style label, else the codebook's, else ``fallback``."""
        short = self.levels.get(breakdown, {}).get(level)
        if short:
            return _pick(short, lang)
        cb = self.codebook_levels.get((breakdown, level))
        if cb:
            return _pick(cb, lang)
        return fallback or level

    def question(self, question_id: str, lang: str = "no") -> str:
        """Wording of a codebook question (``text_no`` / ``text_en``)."""
        try:
            return _pick(self.questions[question_id], lang)
        except KeyError:
            raise KeyError(f"question {question_id!r} is not in the codebook") from None


def build_labels(style: Mapping[str, Any], estimates: pd.DataFrame, codebook: Any) -> LabelBook:
    """Collect the labels of one survey from the style config, its estimates and its codebook."""
    items: dict[str, dict[str, str]] = {}
    categories: dict[tuple[str, str], dict[str, str]] = {}
    for row in estimates[
        ["variable", "label_no", "label_en", "category", "category_label_no", "category_label_en"]
    ].itertuples(index=False):
        items.setdefault(row.variable, {"no": row.label_no, "en": row.label_en or row.label_no})
        categories[(row.variable, str(row.category))] = {
            "no": row.category_label_no,
            "en": row.category_label_en or row.category_label_no,
        }
    questions = {q.id: {"no": q.text_no, "en": q.text_en or q.text_no} for q in codebook.questions}
    codebook_levels: dict[tuple[str, str], dict[str, str]] = {}
    for col in codebook.columns:
        if col.breakdown:
            for c in col.codes:
                codebook_levels[(col.breakdown, str(c.code))] = {"no": c.no, "en": c.en or c.no}
    return LabelBook(
        style_labels=style["labels"],
        breakdowns=style.get("breakdowns", {}),
        levels=style.get("levels", {}),
        items=items,
        categories=categories,
        questions=questions,
        survey_title={"no": codebook.title_no, "en": codebook.title_en or codebook.title_no},
        codebook_levels=codebook_levels,
    )
