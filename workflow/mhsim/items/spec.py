"""Resolving the chapter-2 spec: published targets by row id (values come from data/published, never from config).

Part of :mod:`mhsim.items` (model: that package's docstring and docs/methods.md §4.3-4.4).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from mhsurvey.errors import ConfigError

from ..targets import Published

TOTAL = "total"


CONDITION = "condition"


ASSUMED = "assumed"  # source_id of targets the report does not print (as targets.source_label)


def _diff_levels(label: str) -> tuple[str, str]:
    """The two levels of a published difference label ``"A vs B"``."""
    parts = [p.strip() for p in str(label).split(" vs ")]
    if len(parts) != 2 or not all(parts):
        raise ConfigError(f"difference level {label!r} is not of the form 'A vs B'")
    return parts[0], parts[1]


def _row_value(row: Mapping[str, Any], published: Published, where: str) -> float:
    """Percentage of one target row.

    ``value`` (with ``assumed``) wins; ``like: <id>`` (with ``assumed``) borrows the published
    percentage of another row as an assumption (e.g. a current-employee share for a former-employee
    figure that is an image); ``field: n`` with ``of: <id>`` gives ``100 * n(source) / n(of)`` (a
    published head count as a share, e.g. the follow-up base 1206 of 1726); otherwise the published
    ``pct`` of ``source`` (a range ``a-b`` gives its midpoint).
    """
    if "value" in row or "like" in row:
        if not str(row.get("assumed", "")).strip():
            raise ConfigError(f"{where}: a value not read from its own published row needs assumed: <reason>")
        return float(row["value"]) if "value" in row else published.pct(row["like"])
    if "source" not in row:
        raise ConfigError(f"{where}: give source: <published id>, like: <id> or value: (with assumed:)")
    if row.get("field") == "n":
        if "of" not in row:
            raise ConfigError(f"{where}: field: n needs of: <published id of the base n>")
        return 100.0 * published.n(row["source"]) / published.n(row["of"])
    return published.pct(row["source"])


def _resolve_row(vid: str, var: Mapping[str, Any], raw: Any, published: Published) -> dict[str, Any]:
    row = {"source": raw} if isinstance(raw, str) else dict(raw)
    where = f"variables.{vid} row {row.get('id', row.get('source', '?'))}"
    codes = row.get("codes", var.get("codes"))
    if not codes:
        raise ConfigError(f"{where}: no codes (give codes: on the variable or the row)")
    out: dict[str, Any] = {
        "variable": vid,
        "columns": list(var["columns"]),
        "codes": [int(c) for c in codes],
        "measure": str(row.get("measure", var.get("measure", ""))),
        "approx": bool(row.get("approx", False)),
        "unattainable": str(row.get("unattainable", "")),
        "note": str(row.get("note", "")),
    }
    pub = published.row(row["source"]) if "source" in row else None
    out["source"] = str(row.get("source", ASSUMED))
    if "like" in row and not out["note"]:
        out["note"] = f"assumed: value of {row['like']}"
    out["id"] = str(row.get("id", row.get("source", "")))
    if not out["id"]:
        raise ConfigError(f"{where}: an assumed target needs an id")
    by = row.get("by", pub["subgroup_var"] if pub is not None else TOTAL)
    level = row.get("level", pub["subgroup_level"] if pub is not None else "Total")
    out["by"], out["level_label"] = str(by), str(level)
    out["category"] = str(row.get("category", pub["category"] if pub is not None else ""))
    if pub is not None and not out["measure"]:
        out["measure"] = str(pub["measure"])
    if out["category"] == "difference (pp)" or row.get("difference", False):
        out["kind"], out["levels"] = "difference", list(_diff_levels(out["level_label"]))
    elif out["by"] == TOTAL:
        out["kind"], out["levels"] = "total", []
    elif out["by"] == CONDITION:
        out["kind"], out["levels"] = "condition", [out["level_label"]]
    else:
        out["kind"], out["levels"] = "subgroup", [out["level_label"]]
    out["pct"] = _row_value(row, published, where)
    return out


def resolve_item_spec(spec: Mapping[str, Any], published: Published) -> dict[str, Any]:
    """Copy of ``spec`` with every target and distribution entry given its numeric ``pct``.

    Published numbers are read from ``published`` by row id (``config/simulation`` never repeats
    them); labels (breakdown, level, category, measure) come from the same row unless the config
    overrides them. Adds ``targets`` (flat list, config order), condition prevalences and marks the
    result ``resolved: true``. Raises ``ConfigError`` naming the entry on any inconsistency.
    """
    out = copy.deepcopy(dict(spec))
    targets: list[dict[str, Any]] = []
    for vid, var in out["variables"].items():
        for raw in var["rows"]:
            targets.append(_resolve_row(vid, var, raw, published))
    ids = [t["id"] for t in targets]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ConfigError(f"target ids are not unique: {dup[:5]} (give id: for repeated sources)")
    by_id = {t["id"]: t for t in targets}

    def pct_of(tid: str) -> float:
        return float(by_id[tid]["pct"]) if tid in by_id else published.pct(tid)

    for block in out["generate"]:
        for column, cfg in _block_items(block).items():
            for entry in cfg.get("total", []):
                if "target" in entry:
                    entry["pct"] = pct_of(entry["target"]) - sum(pct_of(m) for m in entry.get("minus", []))
                elif "value" in entry:
                    entry["pct"] = _row_value(entry, published, f"generate.{column}.total {entry}")
    groups = (out.get("conditions") or {}).get("groups", {})
    for label, cond in groups.items():
        cond["prevalence"] = float(sum(published.pct(s) for s in cond["sources"]))
        if not 0 < cond["prevalence"] < 100:
            raise ConfigError(f"conditions.groups.{label}: prevalence {cond['prevalence']} out of (0, 100)")
    levels = out.get("levels") or {}
    for t in targets:
        for label in t["levels"]:
            known = groups if t["by"] == CONDITION else levels.get(t["by"], {})
            if label.lower() != "total" and label not in known:
                raise ConfigError(
                    f"target {t['id']}: level {label!r} of {t['by']!r} is not in "
                    f"{'conditions.groups' if t['by'] == CONDITION else 'levels.' + t['by']}"
                )
    out["targets"] = targets
    out["resolved"] = True
    return out


def _ensure_resolved(spec: Mapping[str, Any], published: Published | None) -> Mapping[str, Any]:
    if spec.get("resolved"):
        return spec
    if published is None:
        raise ConfigError(
            "item spec is not resolved: call resolve_item_spec(spec, published) first or pass published="
        )
    return resolve_item_spec(spec, published)


def _block_items(block: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The per-column configs of an ordinal block (empty for multi blocks)."""
    return block.get("items", {}) if block.get("model") == "ordinal" else {}
