"""Units (regions) of the service: which units get an edition, and a unit's cleaned data.

A *unit* is one level of the codebook column named in ``config/config.yaml`` ``units.column``
(the region question of both surveys). Its survey keys are ``units/<unit>/<kind>`` (``kind`` =
``current`` or ``former``, :func:`mhsurvey.config.survey_kind`); rule ``unit_subset`` writes
``results/units/<unit>/<kind>/01_clean/`` from the whole service's cleaned results, and the
stages 02-05 run unchanged on that key (docs/report.md, "Unit editions").

Subsetting (:func:`subset_clean`) keeps the cleaned respondents whose unit column holds the
unit's code; nothing is re-cleaned. Exclusions of the service cannot be attributed to a unit
(an excluded row never reaches ``responses.csv``, so its unit answer is not known there): they
stay documented at service level in the unit's ``cleaning_summary.json`` (``unit.service``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import codebook as _codebook_module
from . import schemas as _schemas_module
from . import yamlio as _yamlio_module
from .codebook import Codebook, load_codebook
from .errors import ConfigError, InputDataError
from .schemas import SCHEMA_DIR
from .startup import remembered

if TYPE_CHECKING:  # pandas is imported where data are read: resolve_units runs at Snakemake start-up
    import pandas as pd

#: Folder (under results/ and reports/) and key prefix of the unit editions.
UNITS_DIR = "units"


@dataclass(frozen=True)
class Unit:
    """One unit: its id (the ``{unit}`` wildcard), the column and code that define it, labels."""

    id: str
    column: str
    code: int
    label_no: str
    label_en: str

    def label(self, lang: str = "no") -> str:
        """The unit's name in ``lang`` (the codebook's label of its code)."""
        return self.label_no if lang == "no" else self.label_en

    def as_dict(self) -> dict[str, Any]:
        """Plain data (for rule params and ``cleaning_summary.json``)."""
        return asdict(self)


def unit_slug(text: str) -> str:
    """A unit id from a label: lower-case ASCII letters, digits and hyphens
    (``"Region South-West"`` -> ``"region-south-west"``; æ/ø/å -> ae/o/a)."""
    table = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "ae", "Ø": "o", "Å": "a"})
    return re.sub(r"[^a-z0-9]+", "-", text.translate(table).lower()).strip("-")


def unit_survey_key(unit_id: str, kind: str) -> str:
    """The survey key of a unit's survey: ``units/<unit>/<kind>``."""
    return f"{UNITS_DIR}/{unit_id}/{kind}"


def resolve_units(units_cfg: Mapping[str, Any] | None, codebooks: Mapping[str, Codebook]) -> list[Unit]:
    """The units of ``config.yaml`` ``units`` (none when the key is absent or null).

    ``codes: all`` takes every code of ``column`` in the first survey's codebook (sorted keys),
    else the listed codes. Labels come from that codebook; every survey's codebook must define
    the column and each code (a unit is compared across surveys), else :class:`ConfigError`.
    The id of a code is ``ids[<code>]`` when configured, else :func:`unit_slug` of the English
    label; ids must be unique.
    """
    if not units_cfg:
        return []
    column = str(units_cfg["column"])
    kinds = sorted(codebooks)
    for kind in kinds:
        if not codebooks[kind].has_column(column):
            raise ConfigError(
                f"config units.column: survey {kind!r} has no column {column!r} in its codebook"
            )
    first = codebooks[kinds[0]].column(column)
    wanted = units_cfg.get("codes", "all")
    codes = sorted(c.code for c in first.codes) if wanted == "all" else [int(c) for c in wanted]
    ids = {int(k): str(v) for k, v in (units_cfg.get("ids") or {}).items()}
    units = []
    for code in codes:
        for kind in kinds:
            if code not in {c.code for c in codebooks[kind].column(column).codes}:
                raise ConfigError(
                    f"config units.codes: code {code} is not a level of {column!r} in the {kind!r} codebook"
                )
        uid = ids.get(code) or unit_slug(first.label(code, "en"))
        units.append(Unit(uid, column, code, first.label(code, "no"), first.label(code, "en")))
    seen = [u.id for u in units]
    dupes = sorted({i for i in seen if seen.count(i) > 1})
    if dupes:
        raise ConfigError(f"config units: unit ids are not unique: {dupes}")
    return units


#: The code that derives the units from the codebooks (with codebook.schema.yaml).
UNITS_CODE = (
    Path(__file__),
    Path(_codebook_module.__file__),
    Path(_schemas_module.__file__),
    Path(_yamlio_module.__file__),
    SCHEMA_DIR / "codebook.schema.yaml",
)


def configured_units(
    units_cfg: Mapping[str, Any] | None, codebook_paths: Mapping[str, str], cache: str | Path | None = None
) -> dict[str, Unit]:
    """:func:`resolve_units` of ``units_cfg`` on the codebooks at ``codebook_paths`` (survey ->
    file), by unit id, in configured order. With ``cache`` (the workflow's start-up cache,
    :func:`mhsurvey.startup.remembered`) the units are reused while ``units_cfg``, the codebook
    files and :data:`UNITS_CODE` are unchanged, so a no-op run does not parse the codebooks.
    """
    if not units_cfg:
        return {}
    paths = {str(k): str(v) for k, v in sorted(codebook_paths.items())}

    def derive() -> list[dict[str, Any]]:
        codebooks = {s: load_codebook(p) for s, p in paths.items()}
        return [u.as_dict() for u in resolve_units(units_cfg, codebooks)]

    plain = remembered(
        cache,
        "units",
        derive,
        key={"units": dict(units_cfg), "codebooks": paths},
        files=list(paths.values()),
        code=UNITS_CODE,
    )
    return {d["id"]: Unit(**d) for d in plain}


def unit_mask(responses: pd.DataFrame, unit: Unit) -> pd.Series:
    """Rows of ``responses`` whose unit column holds the unit's code (missing = not in the unit)."""
    if unit.column not in responses.columns:
        raise InputDataError(
            f"no column {unit.column!r} (config units.column)",
            file="01_clean/responses.csv",
            column=unit.column,
        )
    import pandas as pd

    col = pd.to_numeric(responses[unit.column], errors="coerce")
    return (col == unit.code).fillna(False).astype(bool)


def subset_clean(
    responses: pd.DataFrame,
    flags: pd.DataFrame,
    exclusions: pd.DataFrame,
    summary: Mapping[str, Any],
    unit: Unit,
    key: str,
    min_n: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """The unit's part of the whole service's cleaned results.

    Returns ``(responses, flags, exclusions, summary)``: the respondents in the unit
    (:func:`unit_mask`, order kept), the flags of those respondents (by ``rid``), an empty
    exclusions table with the service's columns (exclusions are service-level, see the module
    docstring), and the unit's summary: ``kept`` = ``raw_rows`` = the unit's n (its rows of the
    cleaned data, nothing excluded at unit level), ``unit`` (id, column, code, labels, n,
    ``service_n``, ``service`` = the service's raw/kept/excluded counts), and the service's
    ``data`` block (synthetic marker) and ``codebook``. Fewer than ``min_n`` respondents stops
    with :class:`InputDataError` naming the unit (config ``units.min_n``).
    """
    mask = unit_mask(responses, unit)
    out = responses[mask].reset_index(drop=True)
    n = len(out)
    if n < min_n:
        raise InputDataError(
            f"unit {unit.id!r} ({unit.column} = {unit.code}, {unit.label_en}): {n} respondents in "
            f"{summary.get('survey', '?')}, fewer than units.min_n = {min_n}; no edition is built for it",
            file=f"results/{summary.get('survey', '?')}/01_clean/responses.csv",
            column=unit.column,
        )
    rids = set(out["rid"].astype(str))
    unit_flags = flags[flags["rid"].astype(str).isin(rids)].reset_index(drop=True)
    unit_excl = exclusions.iloc[0:0].copy()
    service = {k: summary.get(k) for k in ("raw_rows", "kept", "excluded", "excluded_by_rule")}
    unit_summary: dict[str, Any] = {
        "survey": key,
        "codebook": summary.get("codebook"),
        "data": summary.get("data", {}),
        "raw_rows": n,
        "kept": n,
        "excluded": 0,
        "excluded_by_rule": {},
        "excluded_by_reason": {},
        "flags_by_issue": {str(k): int(v) for k, v in sorted(unit_flags["issue"].value_counts().items())}
        if "issue" in unit_flags.columns
        else {},
        "reconciles": True,
        "unit": unit.as_dict()
        | {
            "n": n,
            "service_n": int(summary.get("kept", len(responses))),
            "service_survey": summary.get("survey"),
            "exclusions": "service_level",
            "service": service,
        },
    }
    return out, unit_flags, unit_excl, unit_summary


def unit_counts(responses: Mapping[str, pd.DataFrame], units: Sequence[Unit]) -> pd.DataFrame:
    """Respondents per unit and survey kind (``unit, code, kind, n, service_n``), units in order."""
    import pandas as pd

    rows = []
    for u in units:
        for kind in sorted(responses):
            df = responses[kind]
            rows.append(
                {
                    "unit": u.id,
                    "code": u.code,
                    "kind": kind,
                    "n": int(unit_mask(df, u).sum()),
                    "service_n": len(df),
                }
            )
    return pd.DataFrame(rows, columns=["unit", "code", "kind", "n", "service_n"])


#: Data dictionary of ``results/units/units.csv`` (:func:`units_index`).
INDEX_DOC = {
    "unit": ("string", "unit id (the {unit} wildcard; config units.ids or the slug of the English label)"),
    "code": ("integer", "code of the unit in the unit column (config units.column)"),
    "label_no": ("string", "Norwegian label of the code (codebook)"),
    "label_en": ("string", "English label of the code (codebook)"),
    "kind": ("string", "survey (current, former)"),
    "n": ("integer", "cleaned respondents of the survey whose unit column holds the code"),
    "service_n": ("integer", "cleaned respondents of the whole service in the survey"),
    "edition": ("integer (boolean)", "1 if the unit gets an edition (n >= units.min_n in every survey)"),
    "reason": ("string", "why a unit gets no edition; empty otherwise"),
}


def units_index(responses: Mapping[str, pd.DataFrame], units: Sequence[Unit], min_n: int = 1) -> pd.DataFrame:
    """One row per unit and survey: n, the service's n, and whether the unit gets an edition.

    A unit gets an edition when it has at least ``min_n`` cleaned respondents in every survey
    (config ``units.min_n``); otherwise ``reason`` says which survey fell short.
    """
    counts = unit_counts(responses, units)
    labels = {u.id: u for u in units}
    short = counts[counts["n"] < min_n]
    reasons = {
        uid: "; ".join(f"n = {r.n} in {r.kind} < units.min_n = {min_n}" for r in grp.itertuples())
        for uid, grp in short.groupby("unit", sort=False)
    }
    counts["label_no"] = counts["unit"].map(lambda u: labels[u].label_no)
    counts["label_en"] = counts["unit"].map(lambda u: labels[u].label_en)
    counts["edition"] = (~counts["unit"].isin(list(reasons))).astype(int)
    counts["reason"] = counts["unit"].map(lambda u: reasons.get(u, ""))
    return counts[list(INDEX_DOC)]


def edition_units(index: pd.DataFrame) -> list[str]:
    """The ids of the units that get an edition (``units.csv`` ``edition == 1``), in index order."""
    ok = index[index["edition"].astype(int) == 1]["unit"].astype(str)
    return list(dict.fromkeys(ok))
