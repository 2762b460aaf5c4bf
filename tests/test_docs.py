"""Documentation a newcomer can follow inside the repository.

Every citation of the methods (``docs/methods.md §n``) in code, configuration, documentation and
tests names the file by its repository path and points at a section heading that exists; nothing
cites the project's former reference notes (``scoring.md §n``, files outside the repository); the
README's layout lists only what exists; every config file is described in ``config/README.md``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
METHODS = REPO / "docs" / "methods.md"
NUM = r"[0-9]+(?:\.[0-9]+)?"
CITATION = re.compile(
    rf"docs/methods\.md(?:``|`)?((?:\s*[,;]?\s*(?:and\s+)?§\s?{NUM}(?:\s*[-–/]\s*§?{NUM})?)*)"
)


def _text_files() -> list[Path]:
    files = [REPO / "README.md", REPO / "Snakefile", REPO / "Makefile"]
    for folder, patterns in (
        ("workflow", ("*.py", "*.smk", "*.yaml")),
        ("config", ("*.yaml", "*.md")),
        ("docs", ("*.md",)),
        ("tests", ("*.py",)),
        ("data", ("*.md",)),
    ):
        for pattern in patterns:
            files += (REPO / folder).rglob(pattern)
    return sorted(p for p in set(files) if p.is_file() and ".venv" not in p.parts and p != Path(__file__))


def _sections() -> set[str]:
    heads = re.findall(rf"^#{{2,3}} ({NUM})\.? ", METHODS.read_text(encoding="utf-8"), flags=re.M)
    return set(heads)


def test_methods_sections_are_numbered_as_the_code_cites_them():
    sections = _sections()
    assert {"1", "2", "3", "4", "5", "6"} <= sections
    assert {"4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "3.5", "6.2", "6.9", "6.12"} <= sections


def test_every_citation_resolves_to_a_heading():
    sections = _sections()
    bad, count = [], 0
    for path in _text_files():
        text = path.read_text(encoding="utf-8")
        for m in CITATION.finditer(text):
            for number in re.findall(NUM, m.group(1)):
                count += 1
                if number not in sections:
                    bad.append(f"{path.relative_to(REPO)}: §{number}")
    assert bad == []
    assert count > 80  # the code base cites the methods about 90 times


# the workplace's reference folder, spelled in parts so that this guard does not itself name it
_OUTSIDE = ("../" + "shared", "/work/" + "shared")


def test_no_citation_of_files_outside_the_repository():
    bad = []
    for path in _text_files():
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            bare = re.search(r"(?<![\w/])(?:``|`)?methods\.md", line) and "](methods.md" not in line
            if (
                bare
                or re.search(r"(?<![\w/])scoring\.md`*\s*§", line)
                or any(outside in line for outside in _OUTSIDE)
            ):
                bad.append(f"{path.relative_to(REPO)}:{i}: {line.strip()[:100]}")
    assert bad == []


def test_readme_layout_lists_only_what_exists():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Repository layout", 1)[1].split("\n## ", 1)[0]
    block = layout.split("```", 2)[1]
    names = re.findall(r"^\s*([\w./-]+/?)\s", block, flags=re.M)
    assert len(names) >= 10
    missing = [
        n for n in names if not (REPO / n.rstrip("/")).exists() and not list(REPO.glob(n)) and n != "results/"
    ]  # results/ is built by the pipeline
    assert missing == []
    assert "workflow/mhsim/" in names and "docs/methods.md" in names


@pytest.mark.parametrize(
    "path", sorted(p.relative_to(REPO / "config").as_posix() for p in (REPO / "config").rglob("*.yaml"))
)
def test_every_config_file_is_described(path):
    text = (REPO / "config" / "README.md").read_text(encoding="utf-8")
    generic = path.replace("current", "<survey>").replace("former", "<survey>")
    assert f"`{path}`" in text or f"`{generic}`" in text
