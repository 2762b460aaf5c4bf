"""Templates and author content hold no typed numbers: every number comes from results/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "reports" / "templates"
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
TAG = re.compile(r"<[^>]*>", re.S)
# Names of instruments and classifications that contain digits are not numbers of the study.
ALLOWED = re.compile(r"\b[A-Z]{2,}-\d+\b|\b(19|20)\d\d\b")
NUMBER = re.compile(r"\d")


def visible_text(source: str) -> str:
    """What a template or content file prints itself: without Jinja code and HTML tags."""
    return ALLOWED.sub("", TAG.sub(" ", JINJA.sub(" ", source)))


def report_sources() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".j2", ".md", ".html"))


def test_there_are_templates_and_content():
    names = {p.name for p in report_sources()}
    assert {"report.html.j2", "metode.html.j2", "bakgrunn.md", "tiltak.md"} <= names


@pytest.mark.parametrize("path", report_sources(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_literal_number(path):
    text = visible_text(path.read_text(encoding="utf-8"))
    hits = [m.group(0) for m in re.finditer(r"\S*\d\S*", text)]
    assert not hits, f"{path}: typed numbers {hits[:5]} (numbers must come from results/ or config)"


def test_the_scan_can_fail():
    assert NUMBER.search(visible_text("<p>{{ cur.pct('x') }} av 1726 svarte</p>"))
    assert NUMBER.search(visible_text("Hele 66 % svarte"))
    assert not NUMBER.search(visible_text("<h2>{{ e.num(x, 2) }} GAD-7 (2019)</h2>"))
