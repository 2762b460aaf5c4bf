"""Loading and checking ``config/scoring.yaml`` (schema: ``workflow/schemas/scoring.schema.yaml``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import load_yaml_validated
from ..errors import ConfigError
from ..schemas import validate_against

SCHEMA = "scoring.schema.yaml"

# Score columns a condition may copy (besides every <instrument>_case_<rule> of the config).
_EXTRA_FLAGS = ("dass_stress_modplus", "functional_impairment")


def _check(ok: bool, source: str, msg: str) -> None:
    if not ok:
        raise ConfigError(f"{source}: {msg}")


def check_rules(rules: dict[str, Any], source: str = "config/scoring.yaml") -> None:
    """Cross-checks the schema cannot express; raise ``ConfigError`` naming the key.

    - ``functional_impairment.default`` names an option;
    - DASS bands start at 0 and increase; trust categories are contiguous and ordered;
    - PHQ-9 ODS bounds are ordered;
    - incident ``include`` entries name earlier merged categories;
    - grouping levels map each source code at most once and use distinct codes;
    - condition ``source`` columns are flags the scoring stage writes.
    """
    fi = rules["functional_impairment"]
    _check(
        fi["default"] in fi["options"],
        source,
        f"functional_impairment.default: {fi['default']!r} is not one of {sorted(fi['options'])}",
    )
    ins = rules["instruments"]
    mins = [b["min_total"] for b in ins["dass_stress"]["bands"]]
    _check(
        mins[0] == 0 and all(a < b for a, b in zip(mins, mins[1:], strict=False)),
        source,
        "instruments.dass_stress.bands: min_total must start at 0 and increase",
    )
    cats = ins["trust"]["categories"]
    for a, b in zip(cats, cats[1:], strict=False):
        _check(
            a["min"] <= a["max"] and b["min"] == a["max"] + 1,
            source,
            "instruments.trust.categories: categories must be ordered and contiguous",
        )
    alg = ins["phq9"]["algorithm"]
    _check(
        alg["ods_min_symptoms"] <= alg["ods_max_symptoms"] < alg["mds_min_symptoms"],
        source,
        "instruments.phq9.algorithm: need ods_min_symptoms <= ods_max_symptoms < mds_min_symptoms",
    )
    seen: list[str] = []
    for name, spec in rules["derived"]["incidents"]["merged"].items():
        for inc in spec.get("include", []):
            _check(
                inc in seen,
                source,
                f"derived.incidents.merged.{name}.include: {inc!r} is not an earlier entry",
            )
        seen.append(name)
    for name, spec in rules["derived"]["groupings"].items():
        codes = [lv["code"] for lv in spec["levels"]]
        sources = [c for lv in spec["levels"] for c in lv["from"]]
        _check(len(set(codes)) == len(codes), source, f"derived.groupings.{name}: duplicated level code")
        _check(
            len(set(sources)) == len(sources),
            source,
            f"derived.groupings.{name}: a source code is mapped to two levels",
        )
    flags = set(_EXTRA_FLAGS)
    for inst in ("sss8", "cfq", "gad7", "phq9", "wsas"):
        flags |= {f"{inst}_case_report", f"{inst}_case_standard"}
    flags |= {f"itq_{d}_case_{r}" for d in ("ptsd", "cptsd") for r in ("report", "standard")}
    for name, spec in rules["derived"]["conditions"]["columns"].items():
        _check(
            spec["source"] in flags,
            source,
            f"derived.conditions.columns.{name}.source: {spec['source']!r} is not one of {sorted(flags)}",
        )
    names = [s["name"] for s in rules["reliability"]["scales"]]
    _check(len(set(names)) == len(names), source, "reliability.scales: duplicated scale name")


def validate_rules(rules: dict[str, Any], source: str = "<scoring rules>") -> dict[str, Any]:
    """Validate an already-parsed rules mapping (schema + cross-checks) and return it."""
    validate_against(rules, SCHEMA, source)
    check_rules(rules, source)
    return rules


def load_scoring_rules(path: str | Path) -> dict[str, Any]:
    """Read ``config/scoring.yaml`` (or another rules file), validate it, and return the mapping."""
    rules = load_yaml_validated(path, SCHEMA)
    check_rules(rules, str(path))
    return rules
