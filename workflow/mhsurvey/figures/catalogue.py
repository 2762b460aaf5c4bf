"""The figure catalogue ``config/figures.yaml``: loading, validation, expansion per survey.

The file is validated against ``workflow/schemas/figures.schema.yaml`` (JSON Schema,
``additionalProperties: false``); checks the schema cannot express (unique ids, study figure
numbers only for listed surveys) follow. :func:`survey_entries` gives the entries drawn for one
survey in catalogue order, with ``order`` = 1-based position among them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..schemas import validate_against
from ..yamlio import YAMLError, safe_load

SCHEMA = "figures.schema.yaml"


@dataclass(frozen=True)
class FigureEntry:
    """One catalogue entry as drawn for one survey."""

    id: str
    survey: str
    order: int
    chapter: str
    section: str
    kind: str
    rows: tuple[Mapping[str, Any], ...]
    caption: Mapping[str, Any]
    chart: Mapping[str, Any] = field(default_factory=dict)
    study_figure: str = ""
    study_figure_note: str = ""
    filter: Mapping[str, str] | None = None


def validate_catalogue(data: Any, source: str = "config/figures.yaml") -> dict[str, Any]:
    """Validate a parsed catalogue; raise ``ConfigError`` naming the key and the problem.

    Beyond the schema: ids are unique, and ``study_figure`` / ``study_figure_note`` name only
    surveys the entry lists.
    """
    validate_against(data, SCHEMA, source)
    seen: set[str] = set()
    problems = []
    for i, fig in enumerate(data["figures"]):
        if fig["id"] in seen:
            problems.append(f"figures.{i}.id: duplicate figure id {fig['id']!r}")
        seen.add(fig["id"])
        for key in ("study_figure", "study_figure_note"):
            for survey in fig.get(key, {}):
                if survey not in fig["surveys"]:
                    problems.append(
                        f"figures.{i}.{key}: survey {survey!r} is not in surveys of {fig['id']!r}"
                    )
    if problems:
        raise ConfigError(f"{source} is invalid:\n  " + "\n  ".join(problems))
    return data


def load_catalogue(path: str | Path) -> dict[str, Any]:
    """Read and validate ``config/figures.yaml``."""
    path = Path(path)
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except (OSError, YAMLError) as exc:
        raise ConfigError(f"cannot read figure catalogue {path}: {exc}") from exc
    return validate_catalogue(data, str(path))


def survey_entries(catalogue: Mapping[str, Any], survey: str) -> list[FigureEntry]:
    """Entries of ``survey`` in catalogue order (``order`` 1, 2, ...)."""
    out: list[FigureEntry] = []
    for fig in catalogue["figures"]:
        if survey not in fig["surveys"]:
            continue
        out.append(
            FigureEntry(
                id=fig["id"],
                survey=survey,
                order=len(out) + 1,
                chapter=fig["chapter"],
                section=fig["section"],
                kind=fig["kind"],
                rows=tuple(fig["rows"]),
                caption=fig["caption"],
                chart=fig.get("chart", {}),
                study_figure=fig.get("study_figure", {}).get(survey, ""),
                study_figure_note=fig.get("study_figure_note", {}).get(survey, ""),
                filter=fig.get("filter"),
            )
        )
    return out
