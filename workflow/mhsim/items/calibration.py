"""Calibration table of the chapter-2 targets: published vs generated after the pipeline's cleaning.

Part of :mod:`mhsim.items` (model: that package's docstring and docs/methods.md §4.3-4.4).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..targets import Published
from .context import _as_float, level_mask, population_mask
from .spec import ASSUMED, CONDITION, TOTAL, _ensure_resolved

CALIBRATION_COLUMNS: dict[str, tuple[str, str] | tuple[str, str, str]] = {
    "target_id": ("string", "Target id: the published row id, or the id of an assumed target"),
    "source_id": ("string", "Row id in data/published/*.csv the target comes from, or 'assumed'"),
    "measure": ("string", "Published measure (column `measure` of the published tables)"),
    "item": ("string", "Canonical column(s) the target is computed from ('|'-separated for unions)"),
    "subgroup_var": (
        "string",
        "Breakdown: total, gender, region, form, security, tenure, leader_role, need_to_talk or condition",
    ),
    "subgroup_level": ("string", "Published level label ('A vs B' for differences)"),
    "category": ("string", "Published category label; the codes counted are in config"),
    "published": ("float", "Published percentage (difference: percentage points)"),
    "generated": ("float", "Percentage in the responses (base: answered, in the level, target group)"),
    "diff": ("float", "generated - published (percentage points)"),
    "n": ("integer", "Base n of the generated percentage (difference: the smaller level)"),
    "tolerance": (
        "float",
        "Allowed |diff|: total +-tolerance_pp; subgroup 95 % margin of error "
        "z*sqrt(p(1-p)/n) in pp (difference: sqrt of the summed variances)",
    ),
    "within": ("boolean", "|diff| <= tolerance (empty when not evaluated)"),
    "kind": ("string", "total, subgroup, difference or condition"),
    "attainable": ("boolean", "False for report inconsistencies the generator does not force"),
    "note": ("string", "Why a target is not attainable or is approximate"),
}


def _target_rows(
    responses: pd.DataFrame, t: Mapping[str, Any], pop: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(answered & population, indicator of the target codes) for one target."""
    x = np.column_stack([_as_float(responses, c) for c in t["columns"]])
    answered = ~np.isnan(x).any(axis=1)
    hit = np.isin(x, [float(c) for c in t["codes"]]).any(axis=1)
    return answered & pop, hit


def item_calibration(
    responses: pd.DataFrame,
    spec: Mapping[str, Any],
    conditions: pd.DataFrame | None = None,
    *,
    published: Published | None = None,
) -> pd.DataFrame:
    """Published vs generated value of every target in ``spec`` (columns :data:`CALIBRATION_COLUMNS`).

    ``responses`` is a cleaned responses table (canonical columns incl. background); only the
    calibration population counts (``population``; current employees: ``direct_contact == 1``).
    Percentages use the report's definitions: share of the answered respondents (non-substantive
    answers in the base) of the level, routed bases for routed questions, a multi option as share of
    respondents, unions of options as "any ticked". Tolerance: totals ``checks.total_tolerance_pp``
    (``approx_tolerance_pp`` for verbal approximations); subgroup and condition targets the 95 %
    margin of error ``z * sqrt(p (1 - p) / n)`` at the published ``p`` and the level's ``n``
    (``docs/methods.md`` §1); differences (printed as magnitudes, e.g. "Mann vs Kvinne 40 pp" where women
    are higher) compare ``|p_a - p_b|`` within ``z * sqrt(p_a q_a / n_a + p_b q_b / n_b)`` at the
    generated shares. ``conditions`` (one boolean column per diagnostic-group label) enables the condition
    targets; without it they are reported with an empty ``within``.
    """
    spec = _ensure_resolved(spec, published)
    checks = spec.get("checks") or {}
    z = float(checks.get("moe_z", 1.959964))
    tol_total = float(checks.get("total_tolerance_pp", 2.0))
    tol_approx = float(checks.get("approx_tolerance_pp", 5.0))
    frame = responses.reset_index(drop=True)
    pop = population_mask(frame, spec)
    levels = spec.get("levels") or {}

    def mask(by: str, label: str) -> np.ndarray | None:
        if by == TOTAL or label.lower() == "total":
            return np.ones(len(frame), dtype=bool)
        if by == CONDITION:
            if conditions is None or label not in conditions.columns:
                return None
            return conditions[label].to_numpy(dtype=bool)
        return level_mask(frame, levels[by][label])

    rows = []
    for t in spec["targets"]:
        base, hit = _target_rows(frame, t, pop)
        gen, n, tol = float("nan"), 0, float("nan")
        p = t["pct"] / 100.0
        if t["kind"] == "difference":
            ma, mb = mask(t["by"], t["levels"][0]), mask(t["by"], t["levels"][1])
            if ma is not None and mb is not None:
                a, b = base & ma, base & mb
                if a.any() and b.any():
                    pa, pb = hit[a].mean(), hit[b].mean()
                    gen = 100.0 * abs(pa - pb)
                    n = int(min(a.sum(), b.sum()))
                    tol = 100.0 * z * math.sqrt(pa * (1 - pa) / a.sum() + pb * (1 - pb) / b.sum())
        else:
            m = mask(t["by"], t["levels"][0] if t["levels"] else "Total")
            if m is not None and (base & m).any():
                sel = base & m
                n = int(sel.sum())
                gen = 100.0 * float(hit[sel].mean())
                if t["kind"] == "total":
                    tol = tol_approx if t["approx"] else tol_total
                else:
                    tol = 100.0 * z * math.sqrt(max(p * (1 - p), 0.0) / n)
                    if t["approx"]:
                        tol = max(tol, tol_approx)
        diff = gen - t["pct"]
        within = pd.NA if math.isnan(gen) else bool(abs(diff) <= tol + 1e-9)
        rows.append(
            {
                "target_id": t["id"],
                "source_id": t["source"],
                "measure": t["measure"],
                "item": "|".join(t["columns"]),
                "subgroup_var": t["by"],
                "subgroup_level": t["level_label"],
                "category": t["category"],
                "published": float(t["pct"]),
                "generated": gen,
                "diff": diff,
                "n": n,
                "tolerance": tol,
                "within": within,
                "kind": t["kind"],
                "attainable": not t["unattainable"],
                "note": t["unattainable"] or t["note"],
            }
        )
    out = pd.DataFrame(rows, columns=list(CALIBRATION_COLUMNS))
    out["within"] = out["within"].astype("boolean")
    out["n"] = out["n"].astype("Int64")
    return out


def calibration_summary(table: pd.DataFrame) -> dict[str, Any]:
    """Counts of an :func:`item_calibration` table: totals within tolerance, subgroups within MOE.

    Only attainable, evaluated targets count. ``totals`` are published totals (a source row);
    ``assumed_totals`` the totals the report does not print; ``subgroups`` the kinds subgroup,
    difference and condition, and ``subgroup_share`` the share of them within their margin of error.
    """
    ev = table[table["attainable"] & table["within"].notna()]
    tot = ev[(ev["kind"] == "total") & (ev["source_id"] != ASSUMED)]
    asm = ev[(ev["kind"] == "total") & (ev["source_id"] == ASSUMED)]
    sub = ev[ev["kind"] != "total"]
    return {
        "totals": int(len(tot)),
        "totals_within": int(tot["within"].sum()),
        "assumed_totals": int(len(asm)),
        "assumed_totals_within": int(asm["within"].sum()),
        "subgroups": int(len(sub)),
        "subgroups_within": int(sub["within"].sum()),
        "subgroup_share": float(sub["within"].mean()) if len(sub) else float("nan"),
        "unattainable": int((~table["attainable"]).sum()),
        "not_evaluated": int(table["within"].isna().sum()),
    }
