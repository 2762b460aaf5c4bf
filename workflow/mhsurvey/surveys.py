"""Survey keys of the main config: the primary wave (``surveys:``) and further waves (``waves:``).

A survey key is the value of the ``{survey}`` wildcard and the folder under ``results/``. Keys of
the primary wave are plain names (``current``); a survey of a further wave has a path key
``waves/<wave>/<kind>`` (``waves/2025/current``) and builds under ``results/waves/2025/current/``
through the same rules. The survey *kind* (the last path component) is what config lookups keyed
by survey name use (codebooks, ``margins_table.report_row_n``, crosswalk). See
docs/architecture.md ("Several waves").

A leaf module: it imports nothing from the package.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

WAVES_DIR = "waves"


def survey_kind(key: str) -> str:
    """The survey kind of a key: its last path component (``waves/2025/current`` -> ``current``)."""
    return str(key).rstrip("/").rsplit("/", 1)[-1]


def wave_survey_key(wave: str, kind: str) -> str:
    """Key of survey ``kind`` of the further wave ``wave``: ``waves/<wave>/<kind>``."""
    return f"{WAVES_DIR}/{wave}/{kind}"


def survey_blocks(config: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Every survey key -> its config block: ``surveys.<s>`` and ``waves.<w>.surveys.<s>``."""
    out: dict[str, Mapping[str, Any]] = dict(config["surveys"])
    for wave, block in (config.get("waves") or {}).items():
        for kind, cfg in block["surveys"].items():
            out[wave_survey_key(wave, kind)] = cfg
    return out


@dataclass(frozen=True)
class Wave:
    """One wave of the survey: id, year, labels and its survey keys by kind."""

    id: str
    year: int
    label_no: str
    label_en: str
    surveys: Mapping[str, str]  # kind -> survey key
    primary: bool


def waves(config: Mapping[str, Any]) -> list[Wave]:
    """The primary wave (``project.wave``, results/<kind>/) first, then ``waves:`` by year."""
    year = int(config["project"]["wave"])
    out = [Wave(str(year), year, str(year), str(year), {k: k for k in sorted(config["surveys"])}, True)]
    extra = []
    for wave, block in (config.get("waves") or {}).items():
        label = block.get("label") or {}
        extra.append(
            Wave(
                str(wave),
                int(block["year"]),
                str(label.get("no", block["year"])),
                str(label.get("en", block["year"])),
                {k: wave_survey_key(wave, k) for k in sorted(block["surveys"])},
                False,
            )
        )
    return out + sorted(extra, key=lambda w: (w.year, w.id))


def comparisons(config: Mapping[str, Any]) -> list[tuple[Wave, Wave, str]]:
    """Wave-to-wave comparisons ``(from, to, kind)``: each wave against the one before it, for
    every survey kind both waves hold (empty without ``waves:``)."""
    ws = waves(config)
    return [
        (a, b, kind)
        for a, b in zip(ws, ws[1:], strict=False)
        for kind in sorted(set(a.surveys) & set(b.surveys))
    ]


def comparison_dir(a: Wave, b: Wave, kind: str, results_root: str = "results") -> str:
    """Folder of one comparison: ``results/waves/compare/<from>-<to>/<kind>``."""
    return f"{results_root}/{WAVES_DIR}/compare/{a.id}-{b.id}/{kind}"
