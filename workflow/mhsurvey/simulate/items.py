"""Chapter-2 (non-instrument) questions of the synthetic survey exports.

Generates incidents, incident frequencies, witnessed events, emotional reactions, safety and
everyday-strain statements, follow-up, need to talk, nearest leader, colleagues and culture, social
resources and interpersonal trust, calibrated to the numbers the report prints
(``config/simulation/<survey>_items.yaml``; format in ``workflow/schemas/simulation_items.schema.yaml``).

Model (``methods.md`` §4.4 "stand-alone item", §4.3 exact finite-sample matching). For a respondent
``j`` and an item with ordered substantive categories ``0..K`` (0 = the "top" category of the
item's ``order``)::

    S_j   = sum_f a_f * Z_fj + sqrt(1 - sum_f a_f^2) * eps_j      latent score (eps ~ N(0, 1))
    Z_f   in {exposure, distress G, latent of an earlier item}     standardised factors
    X_j   = #{b : S_j + delta_b(j) <= tau_b}                        category by boundary
    delta_b(j) = sum_g 1[j in g] * delta_gb                         additive subgroup shifts

The shifts ``delta_gb`` (one per published subgroup level ``g`` and category boundary ``b``) are
calibrated like raking on the probit scale, but on the *realised* latent scores: each level's shift
is set so that its count equals the published percentage, then the thresholds ``tau_b`` are re-solved
so that the total counts equal the largest-remainder integerisation of the total distribution; the
sweep is repeated until the counts stop changing. Totals are therefore exact and every consistent
subgroup percentage is hit up to rounding; inconsistent ones end in a compromise. Multi-select questions are trees of correlated binaries (a hidden
"any incident" node, unions such as "any threat", options nested in them) driven by a shared latent
exposure factor; a node's children are drawn among its ticked respondents, and "at least one child"
is enforced by swaps that keep every count.

Diagnostic groups (chapter 3) are usually not known here; a published share among a diagnostic
group is matched against the respondents in the top ``q`` % of the distress factor ``G`` (``q`` the
published prevalence; :func:`condition_proxies`), or against the groups passed as ``conditions``,
by calibrating the item's loading on ``G``.

Use: ``spec = resolve_item_spec(load_yaml_validated(path, "simulation_items.schema.yaml"),
published)``, then :func:`generate_items` and, on the cleaned responses, :func:`item_calibration`.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..codebook import Codebook, Column
from ..errors import ConfigError
from ..routing import routing_mask
from .targets import Published, largest_remainder

log = logging.getLogger(__name__)

TOTAL = "total"
CONDITION = "condition"
ASSUMED = "assumed"  # source_id of targets the report does not print (as targets.source_label)
_NOISE_FLOOR = 0.05  # minimum unique variance of a latent score (keeps every item stochastic)

CALIBRATION_COLUMNS: dict[str, tuple[str, str] | tuple[str, str, str]] = {
    "target_id": ("string", "Target id: the published row id, or the id of an assumed target"),
    "source_id": ("string", "Row id in data/published/*.csv the target comes from, or 'assumed'"),
    "measure": ("string", "Published measure (column `measure` of the published tables)"),
    "item": ("string", "Canonical column(s) the target is computed from ('|'-separated for unions)"),
    "subgroup_var": ("string", "Breakdown: total, gender, region, form, security, tenure, leader_role, "
                     "need_to_talk or condition"),
    "subgroup_level": ("string", "Published level label ('A vs B' for differences)"),
    "category": ("string", "Published category label; the codes counted are in config"),
    "published": ("float", "Published percentage (difference: percentage points)"),
    "generated": ("float", "Percentage in the responses (base: answered, in the level, target group)"),
    "diff": ("float", "generated - published (percentage points)"),
    "n": ("integer", "Base n of the generated percentage (difference: the smaller level)"),
    "tolerance": ("float", "Allowed |diff|: total +-tolerance_pp; subgroup 95 % margin of error "
                  "z*sqrt(p(1-p)/n) in pp (difference: sqrt of the summed variances)"),
    "within": ("boolean", "|diff| <= tolerance (empty when not evaluated)"),
    "kind": ("string", "total, subgroup, difference or condition"),
    "attainable": ("boolean", "False for report inconsistencies the generator does not force"),
    "note": ("string", "Why a target is not attainable or is approximate"),
}


# ---------------------------------------------------------------------------------------------
# Resolving the spec (values of published targets come from data/published, never from config)
# ---------------------------------------------------------------------------------------------

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
        "variable": vid, "columns": list(var["columns"]), "codes": [int(c) for c in codes],
        "measure": str(row.get("measure", var.get("measure", ""))), "approx": bool(row.get("approx", False)),
        "unattainable": str(row.get("unattainable", "")), "note": str(row.get("note", "")),
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
                raise ConfigError(f"target {t['id']}: level {label!r} of {t['by']!r} is not in "
                                  f"{'conditions.groups' if t['by'] == CONDITION else 'levels.' + t['by']}")
    out["targets"] = targets
    out["resolved"] = True
    return out


def _ensure_resolved(spec: Mapping[str, Any], published: Published | None) -> Mapping[str, Any]:
    if spec.get("resolved"):
        return spec
    if published is None:
        raise ConfigError("item spec is not resolved: call resolve_item_spec(spec, published) first "
                          "or pass published=")
    return resolve_item_spec(spec, published)


def _block_items(block: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The per-column configs of an ordinal block (empty for multi blocks)."""
    return block.get("items", {}) if block.get("model") == "ordinal" else {}


# ---------------------------------------------------------------------------------------------
# Core: realised raking of ordered categories
# ---------------------------------------------------------------------------------------------

def cut_for_count(values: np.ndarray, k: int) -> float:
    """Threshold ``t`` with exactly ``k`` of ``values`` strictly above it.

    Sorted descending ``v``: ``t = (v[k-1] + v[k]) / 2``; ``k = 0`` gives ``max + 1e-6``, ``k = len``
    gives ``min - 1e-6`` (the empirical-threshold rank assignment of ``methods.md`` §4.3 step 2).

    >>> cut_for_count(np.array([3.0, 1.0, 2.0]), 1)
    2.5
    """
    m = len(values)
    if not 0 <= k <= m:
        raise ValueError(f"k={k} outside 0..{m}")
    if m == 0:
        return 0.0
    if k == 0:
        return float(values.max() + 1e-6)
    if k == m:
        return float(values.min() - 1e-6)
    part = np.partition(values, (m - k - 1, m - k))
    return float((part[m - k - 1] + part[m - k]) / 2.0)


@dataclass(frozen=True)
class Band:
    """A subgroup target on the categories ``lo..hi`` (positions in the item's order).

    ``count`` is the wanted number of respondents of the group (calibration population, substantive
    answer) in the band: published percentage times the group's answered base.
    """

    group: int
    lo: int
    hi: int
    count: float


@dataclass(frozen=True)
class Diff:
    """A published difference ``|share(a) - share(b)|`` of the band ``lo..hi`` (as a fraction; the
    raking keeps the current sign of the gap).

    ``group_b = -1`` means the total. ``n_a``/``n_b`` are the answered bases of the groups.
    """

    group_a: int
    group_b: int
    lo: int
    hi: int
    diff: float
    n_a: int
    n_b: int


@dataclass
class Raked:
    """Result of :func:`rake_categories`: category position (-1 = not assigned) and margins."""

    position: np.ndarray
    margin: np.ndarray  # (n, K): shifted score minus threshold per boundary
    iterations: int


def _nearest_targeted(targetable: np.ndarray) -> np.ndarray:
    """For each group and boundary, the targeted boundary whose shift it takes (itself if targeted,
    the nearest targeted one otherwise, ties to the lower; -1 if the group has no target): an
    untargeted boundary moves with its neighbour, i.e. a location shift of the whole scale."""
    G, K = targetable.shape
    out = np.full((G, K), -1, dtype=int)
    for g in range(G):
        tb = np.flatnonzero(targetable[g])
        if len(tb):
            out[g] = tb[np.argmin(np.abs(tb[None, :] - np.arange(K)[:, None]), axis=1)]
    return out


def _wanted_boundaries(
    bands: Sequence[Band], cur: np.ndarray, m: int, K: int
) -> dict[int, float]:
    """Wanted cumulative counts ``c_b = #(position <= b)`` of one group from its band targets.

    A prefix band ``0..hi`` fixes ``c_hi``; a suffix ``lo..K`` fixes ``c_{lo-1} = m - count``
    (several targets on one boundary are averaged). An interior band fixes one side from the other
    once that side is fixed. Interior bands left over are merged into chains of adjacent bands; a
    chain is anchored at the end with the smaller outer mass at its current count (e.g. the 1-2 %
    "Har ingen gode venner" below "noen ganger i året eller sjeldnere") and propagated from there.
    """
    fixed: dict[int, list[float]] = {}
    interior: list[Band] = []
    for bd in bands:
        if bd.lo == 0 and bd.hi < K:
            fixed.setdefault(bd.hi, []).append(bd.count)
        elif bd.hi == K and bd.lo > 0:
            fixed.setdefault(bd.lo - 1, []).append(m - bd.count)
        elif 0 < bd.lo and bd.hi < K:
            interior.append(bd)
    want = {b: sum(v) / len(v) for b, v in fixed.items()}
    open_bands = sorted(interior, key=lambda x: (x.lo, x.hi))
    changed = True
    while changed:
        changed = False
        for bd in list(open_bands):
            a, z = bd.lo - 1, bd.hi
            if a in want and z in want:
                open_bands.remove(bd)
            elif a in want or z in want:
                if a in want:
                    want[z] = want[a] + bd.count
                else:
                    want[a] = want[z] - bd.count
                open_bands.remove(bd)
                changed = True
    chains: list[list[Band]] = []
    for bd in open_bands:
        if chains and chains[-1][-1].hi == bd.lo - 1:
            chains[-1].append(bd)
        else:
            chains.append([bd])
    for chain in chains:
        top, bottom = chain[0].lo - 1, chain[-1].hi
        if m - cur[bottom] < cur[top]:
            want[bottom] = float(cur[bottom])
            for bd in reversed(chain):
                want[bd.lo - 1] = want[bd.hi] - bd.count
        else:
            want[top] = float(cur[top])
            for bd in chain:
                want[bd.hi] = want[bd.lo - 1] + bd.count
    return want


def _cum_counts(S: np.ndarray, tau: np.ndarray) -> np.ndarray:
    return (S > tau[None, :]).sum(axis=0) if len(S) else np.zeros(len(tau), dtype=int)


def _band_count(cum: np.ndarray, lo: int, hi: int, m: int) -> float:
    upper = cum[hi] if hi < len(cum) else m
    lower = cum[lo - 1] if lo > 0 else 0
    return float(upper - lower)


def rake_categories(
    score: np.ndarray,
    assign: np.ndarray,
    pop: np.ndarray,
    membership: np.ndarray,
    cat_counts: Sequence[int],
    bands: Sequence[Band] = (),
    diffs: Sequence[Diff] = (),
    max_iter: int = 60,
) -> Raked:
    """Assign ordered categories so that totals are exact and subgroup targets are hit.

    ``score`` (n,) latent scores; ``assign`` rows to categorise; ``pop`` the calibration population
    (its counts must equal ``cat_counts``, which sum to ``#(assign & pop)``); ``membership`` (n, G)
    subgroup indicators. Position ``0`` is the top category. The boundary ``b`` separates positions
    ``<= b`` from the rest: ``j`` is above it iff ``score_j + sum_g M_jg * delta_gb > tau_b``.

    Sweep (raking on the probit scale, ``methods.md`` §4.4, on realised scores): for each group with
    targets, move ``delta_gb`` so that the group's count above ``b`` equals the wanted count
    (:func:`_wanted_boundaries`); untargeted boundaries of the group follow the nearest targeted one
    (a location shift); then ``tau_b`` is re-solved from the total counts (§4.3). Stops when every
    group count equals its target, when the largest miss (in respondents) has not shrunk for 8
    sweeps (inconsistent targets end in a compromise) or after ``max_iter`` sweeps. Positions are
    made monotone across boundaries at the end.
    """
    n = len(score)
    counts = np.asarray(cat_counts, dtype=int)
    K = len(counts) - 1
    base = assign & pop
    if int(counts.sum()) != int(base.sum()):
        raise ValueError(f"category counts sum to {counts.sum()}, population has {base.sum()} rows")
    if K == 0:
        pos = np.where(assign, 0, -1)
        return Raked(pos, np.zeros((n, 0)), 0)
    cum_total = np.cumsum(counts)[:-1]
    G = membership.shape[1]
    delta = np.zeros((G, K))
    targetable = np.zeros((G, K), dtype=bool)
    g_bands: dict[int, list[Band]] = {}
    for bd in bands:
        g_bands.setdefault(bd.group, []).append(bd)
        if bd.lo > 0:
            targetable[bd.group, bd.lo - 1] = True
        if bd.hi < K:
            targetable[bd.group, bd.hi] = True
    for df in diffs:
        for g in (df.group_a, df.group_b):
            if g >= 0:
                if df.lo > 0:
                    targetable[g, df.lo - 1] = True
                if df.hi < K:
                    targetable[g, df.hi] = True
    members = [np.flatnonzero(membership[:, g] & base) for g in range(G)]
    rows_of = [np.flatnonzero(membership[:, g]) for g in range(G)]
    nearest = _nearest_targeted(targetable)
    active = sorted({bd.group for bd in bands} | {g for df in diffs for g in (df.group_a, df.group_b) if g >= 0})
    n_base = int(base.sum())
    S = np.repeat(score[:, None], K, axis=1)

    def solve_tau() -> np.ndarray:
        Sb = S[base]
        return np.array([cut_for_count(Sb[:, b], int(cum_total[b])) for b in range(K)])

    tau = solve_tau()
    it = 0
    best, stale = math.inf, 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        moved = 0.0
        worst = 0
        dyn: dict[int, list[Band]] = {g: list(v) for g, v in g_bands.items()}
        for df in diffs:
            if any(bd.lo == df.lo and bd.hi == df.hi for g in (df.group_a, df.group_b) for bd in g_bands.get(g, [])):
                continue
            ma = len(members[df.group_a])
            ca = _band_count(_cum_counts(S[members[df.group_a]], tau), df.lo, df.hi, ma)
            if df.group_b < 0:
                p_tot = _band_count(_cum_counts(S[base], tau), df.lo, df.hi, n_base) / max(n_base, 1)
                dyn.setdefault(df.group_a, []).append(Band(df.group_a, df.lo, df.hi, (p_tot + df.diff) * df.n_a))
                continue
            mb = len(members[df.group_b])
            cb = _band_count(_cum_counts(S[members[df.group_b]], tau), df.lo, df.hi, mb)
            gap = ca / max(df.n_a, 1) - cb / max(df.n_b, 1)
            e = math.copysign(df.diff, gap if gap != 0 else 1.0) - gap
            dyn.setdefault(df.group_a, []).append(Band(df.group_a, df.lo, df.hi, ca + e / 2 * df.n_a))
            dyn.setdefault(df.group_b, []).append(Band(df.group_b, df.lo, df.hi, cb - e / 2 * df.n_b))
        for g in active:
            idx = members[g]
            m = len(idx)
            if m == 0 or g not in dyn:
                continue
            Sg = S[idx]
            cur = _cum_counts(Sg, tau)
            want = _wanted_boundaries(dyn[g], cur, m, K)
            old = delta[g].copy()
            for b, w in want.items():
                k = int(math.floor(min(max(w, 0.0), m) + 0.5))
                worst = max(worst, abs(int(cur[b]) - k))
                d = tau[b] - cut_for_count(Sg[:, b], k)
                delta[g, b] += d
                moved = max(moved, abs(d))
            delta[g] = np.where(nearest[g] >= 0, delta[g, np.maximum(nearest[g], 0)], 0.0)
            change = delta[g] - old
            if np.any(change != 0):
                S[rows_of[g]] += change[None, :]
        tau = solve_tau()
        if moved < 1e-9 or worst == 0:
            break
        best, stale = (worst, 0) if worst < best else (best, stale + 1)
        if stale >= 8:
            break
    margin = S - tau[None, :]
    above = margin > 0
    for b in range(1, K):
        above[:, b] |= above[:, b - 1]
    pos = np.where(assign, K - above.sum(axis=1), -1)
    return Raked(pos.astype(int), margin, it)


# ---------------------------------------------------------------------------------------------
# Spec helpers
# ---------------------------------------------------------------------------------------------

def _as_float(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].to_numpy(dtype=float, na_value=np.nan)


def level_mask(frame: pd.DataFrame, condition: Mapping[str, Sequence[int]]) -> np.ndarray:
    """Rows whose columns all hold one of the listed codes (``{gender: [1]}``; AND over columns)."""
    mask = np.ones(len(frame), dtype=bool)
    for col, codes in condition.items():
        mask &= np.isin(_as_float(frame, col), [float(c) for c in codes])
    return mask


def population_mask(frame: pd.DataFrame, spec: Mapping[str, Any]) -> np.ndarray:
    """The calibration population: rows with ``population.column`` in ``keep`` (all rows if null)."""
    pop = spec.get("population")
    if not pop:
        return np.ones(len(frame), dtype=bool)
    if pop["column"] not in frame.columns:
        raise ConfigError(f"population column {pop['column']!r} is not in the data")
    return level_mask(frame, {pop["column"]: pop["keep"]})


def condition_proxies(distress: np.ndarray, spec: Mapping[str, Any], pop: np.ndarray | None = None) -> pd.DataFrame:
    """Proxy membership of the diagnostic groups: the top ``q`` % of ``distress`` in the population.

    ``q`` is the published prevalence of the group (``conditions.groups.<label>.sources``, summed).
    The instruments of chapter 3 load on the distress factor, so the groups that meet diagnostic
    criteria are approximately its upper tail; the real classification is less than perfectly
    correlated with it, so shares computed from scored instruments are somewhat attenuated.
    """
    g = np.asarray(distress, dtype=float)
    pop = np.ones(len(g), dtype=bool) if pop is None else pop
    out = {}
    for label, cond in (spec.get("conditions") or {}).get("groups", {}).items():
        k = int(round(cond["prevalence"] / 100.0 * pop.sum()))
        out[label] = g > cut_for_count(g[pop], k)
    return pd.DataFrame(out)


@dataclass
class _Context:
    frame: pd.DataFrame
    env: dict[str, np.ndarray]
    pop: np.ndarray
    rng: np.random.Generator
    codebook: Codebook
    spec: Mapping[str, Any]
    targets: list[dict[str, Any]]
    proxies: pd.DataFrame
    max_iter: int

    def level(self, by: str, label: str) -> np.ndarray:
        if by == TOTAL or label == "Total":
            return np.ones(len(self.frame), dtype=bool)
        try:
            cond = self.spec["levels"][by][label]
        except KeyError:
            raise ConfigError(f"levels.{by} has no entry {label!r}") from None
        return level_mask(self.frame, cond)

    def targets_for(self, columns_sets: Sequence[Sequence[str]]) -> list[dict[str, Any]]:
        sets = [set(c) for c in columns_sets]
        return [t for t in self.targets if set(t["columns"]) in sets and not t["unattainable"]]


def _standardise(x: np.ndarray) -> np.ndarray:
    sd = float(np.std(x))
    return (x - float(np.mean(x))) / (sd if sd > 0 else 1.0)


def latent_score(factors: Mapping[str, float], env: Mapping[str, np.ndarray], noise: np.ndarray) -> np.ndarray:
    """``S = sum_f a_f Z_f + sqrt(max(1 - sum_f a_f^2, 0.05)) * noise`` (``methods.md`` §4.2/§4.5).

    ``Z_f`` are standardised factor scores from ``env`` (``exposure``, ``distress`` or the latent of
    an earlier item, by name); negative loadings mean "less of the top category".
    """
    s = np.zeros(len(noise))
    var = 0.0
    for name, a in factors.items():
        if name not in env:
            raise ConfigError(f"factor {name!r} is not defined (yet): known {sorted(env)}")
        s += float(a) * env[name]
        var += float(a) ** 2
    return s + math.sqrt(max(1.0 - var, _NOISE_FLOOR)) * noise


def _exposure(background: pd.DataFrame, distress: np.ndarray, spec: Mapping[str, Any],
              rng: np.random.Generator) -> np.ndarray:
    """Latent exposure ``X = sum_v beta_v[level] + kappa * G + U`` (standardised; config ``exposure``)."""
    cfg = spec.get("exposure") or {}
    x = float(cfg.get("distress", 0.0)) * np.asarray(distress, dtype=float)
    for col, table in (cfg.get("effects") or {}).items():
        vals = _as_float(background, col)
        for code, beta in table.items():
            x = x + float(beta) * (vals == float(code))
    return _standardise(x + rng.standard_normal(len(background)))


def _groups_and_bands(
    ctx: _Context, targets: Sequence[dict[str, Any]], order: Sequence[int], answered: np.ndarray
) -> tuple[np.ndarray, list[Band], list[Diff], list[tuple[str, str]]]:
    """Membership matrix and band/difference targets of one item from its subgroup targets.

    Counts are ``pct / 100 * n_level`` with ``n_level`` the answered respondents of the level in the
    calibration population. Targets whose codes are not a contiguous run of ``order`` are skipped
    (they are evaluated, not raked); breakdowns ``condition`` are handled by loading calibration.
    """
    pos = {c: i for i, c in enumerate(order)}
    keys: list[tuple[str, str]] = []
    masks: list[np.ndarray] = []

    def gidx(by: str, label: str) -> int:
        if (by, label) not in keys:
            keys.append((by, label))
            masks.append(ctx.level(by, label))
        return keys.index((by, label))

    bands: list[Band] = []
    diffs: list[Diff] = []
    for t in targets:
        if t["kind"] in ("total", "condition") or t["by"] == CONDITION:
            continue
        ps = sorted(pos[c] for c in t["codes"] if c in pos)
        if len(ps) != len(t["codes"]) or ps != list(range(ps[0], ps[-1] + 1)):
            continue
        lo, hi = ps[0], ps[-1]
        if t["kind"] == "subgroup":
            g = gidx(t["by"], t["levels"][0])
            n_level = int((masks[g] & answered & ctx.pop).sum())
            bands.append(Band(g, lo, hi, t["pct"] / 100.0 * n_level))
        else:
            a_label, b_label = t["levels"]
            ga = gidx(t["by"], a_label)
            gb = -1 if b_label.lower() == "total" else gidx(t["by"], b_label)
            na = int((masks[ga] & answered & ctx.pop).sum())
            nb = int(((masks[gb] if gb >= 0 else np.ones_like(answered)) & answered & ctx.pop).sum())
            diffs.append(Diff(ga, gb, lo, hi, t["pct"] / 100.0, na, nb))
    n = len(ctx.frame)
    M = np.column_stack(masks) if masks else np.zeros((n, 0), dtype=bool)
    return M, bands, diffs, keys


def _proxy_share(ctx: _Context, values: np.ndarray, answered: np.ndarray, t: Mapping[str, Any]) -> float:
    label = t["levels"][0]
    if label not in ctx.proxies.columns:
        raise ConfigError(f"condition {label!r} of target {t['id']} is not in conditions.groups")
    m = ctx.proxies[label].to_numpy() & answered & ctx.pop
    return float(np.isin(values[m], t["codes"]).mean()) if m.any() else float("nan")


# ---------------------------------------------------------------------------------------------
# Ordinal items (single questions, grid items, numeric 0-10)
# ---------------------------------------------------------------------------------------------

def _substantive_codes(col: Column) -> list[int]:
    if col.qtype == "numeric" and col.minimum is not None and col.maximum is not None:
        return list(range(col.minimum, col.maximum + 1))
    return [c.code for c in col.codes if not c.nonsubstantive]


def _entries(cfg: Mapping[str, Any], col: Column, order: Sequence[int], where: str
             ) -> list[tuple[list[int], float, np.ndarray]]:
    """Total distribution of an item as entries ``(codes, pct, split weights)``.

    Entries: ``{codes, target|value, split}`` (the target's percentage, minus the ``minus``
    targets, spread over ``codes`` by the relative weights ``split``); ``{codes, rest: true}`` takes
    ``100 - sum(others)``. Non-substantive codes missing from the codebook are folded into the last
    non-substantive code it has (logged).
    """
    fixed: list[tuple[list[int], float, np.ndarray]] = []
    rest: tuple[list[int], np.ndarray] | None = None
    for e in cfg["total"]:
        codes = [int(c) for c in e["codes"]]
        w = np.asarray(e.get("split", [1.0] * len(codes)), dtype=float)
        if len(w) != len(codes):
            raise ConfigError(f"{where}: split {list(w)} does not match codes {codes}")
        if e.get("rest"):
            rest = (codes, w)
        elif "pct" not in e:
            raise ConfigError(f"{where}: total entry {e} is not resolved")
        else:
            if e["pct"] < -1e-9:
                raise ConfigError(f"{where}: total entry {e} is negative")
            fixed.append((codes, max(float(e["pct"]), 0.0), w))
    if rest is not None:
        left = 100.0 - sum(p for _, p, _ in fixed)
        if left < -1e-9:
            raise ConfigError(f"{where}: the categories sum to {100 - left:.2f} > 100, nothing left for rest")
        fixed.append((rest[0], max(left, 0.0), rest[1]))
    valid_ns = [c.code for c in col.codes if c.nonsubstantive]
    out = []
    for codes, p, w in fixed:
        new = []
        for c in codes:
            if c in order or c in valid_ns:
                new.append(c)
            elif valid_ns:
                log.warning("%s: code %s is not in the codebook; folded into code %s", where, c, valid_ns[-1])
                new.append(valid_ns[-1])
            else:
                raise ConfigError(f"{where}: code {c} is not a code of {col.name}")
        out.append((new, p, w))
    return out


def _entry_pct(entries: Sequence[tuple[list[int], float, np.ndarray]]) -> dict[int, float]:
    """Percentage per code implied by the entries (split by their weights)."""
    dist: dict[int, float] = {}
    for codes, p, w in entries:
        for c, wc in zip(codes, w / w.sum(), strict=True):
            dist[c] = dist.get(c, 0.0) + p * float(wc)
    return dist


def _entry_counts(entries: Sequence[tuple[list[int], float, np.ndarray]], n: int) -> dict[int, int]:
    """Integer counts per code: largest remainder over the entries, then within each entry.

    Two stages keep a published merged count exact (e.g. 783 of 1206 followed up, whatever the
    split over "i stor / noen / liten grad") (``methods.md`` §4.3 step 1).
    """
    pcts = [p for _, p, _ in entries]
    ek = largest_remainder(pcts, n) if sum(pcts) > 0 else np.zeros(len(entries), dtype=int)
    counts: dict[int, int] = {}
    for (codes, _, w), k in zip(entries, ek, strict=True):
        for c, kc in zip(codes, largest_remainder(w, int(k)), strict=True):
            counts[c] = counts.get(c, 0) + int(kc)
    return counts


def _check_totals(targets: Sequence[dict[str, Any]], dist: Mapping[int, float], where: str) -> None:
    """Every published total of the item must agree with the configured distribution (+-0.5 pp)."""
    for t in targets:
        if t["kind"] != "total" or t["approx"]:
            continue
        got = sum(dist.get(c, 0.0) for c in t["codes"])
        if abs(got - t["pct"]) > 0.5 + 1e-9:
            raise ConfigError(f"{where}: distribution gives {got:.2f} % for {t['codes']}, target {t['id']} "
                              f"is {t['pct']:.2f} %")


def _generate_ordinal(column: str, cfg: Mapping[str, Any], block: Mapping[str, Any], ctx: _Context) -> None:
    """Draw one single/grid/numeric column into ``ctx.frame`` (routing from the codebook).

    Non-substantive codes are assigned first, each as a raked binary (its own subgroup targets,
    e.g. "Vet ikke" 19 % in Samfunn); the substantive categories of the remaining respondents are
    then raked on the item's latent score. Counts: two-stage largest remainder of the configured
    total distribution over the asked respondents of the population (:func:`_entry_counts`).
    """
    col = ctx.codebook.column(column)
    where = f"generate.{column}"
    order = [int(c) for c in cfg.get("order", block.get("order", []))]
    if sorted(order) != sorted(_substantive_codes(col)):
        raise ConfigError(f"{where}: order {order} must list the substantive codes {_substantive_codes(col)}")
    entries = _entries(cfg, col, order, where)
    dist = _entry_pct(entries)
    targets = ctx.targets_for([[column]])
    _check_totals(targets, dist, where)
    n = len(ctx.frame)
    asked = routing_mask(ctx.frame, col.routing).to_numpy()
    ns_codes = [c for c in dist if c not in order]
    counts = _entry_counts(entries, int((asked & ctx.pop).sum()))
    counts = {c: counts.get(c, 0) for c in order + ns_codes}
    out = np.full(n, np.nan)
    remaining = asked.copy()
    ns_noise = ctx.rng.standard_normal((max(len(ns_codes), 1), n))
    noise = ctx.rng.standard_normal(n)
    for i, code in enumerate(ns_codes):
        ns_t = [t for t in targets if t["codes"] == [code]]
        M, bands, diffs, _ = _groups_and_bands(ctx, ns_t, [code, -1], asked)
        score = latent_score(cfg.get("ns_factors", block.get("ns_factors", {})), ctx.env, ns_noise[i])
        k = counts[code]
        r = rake_categories(score, remaining, ctx.pop, M, [k, int((remaining & ctx.pop).sum()) - k],
                            bands, diffs, ctx.max_iter)
        chosen = r.position == 0
        out[chosen] = code
        remaining &= ~chosen
    M, bands, diffs, _ = _groups_and_bands(ctx, targets, order, asked)
    sub_counts = [counts[c] for c in order]
    factors = dict(cfg.get("factors", block.get("factors", {})))
    order_arr = np.asarray(order, dtype=float)

    def draw(f: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
        score = latent_score(f, ctx.env, noise)
        r = rake_categories(score, remaining, ctx.pop, M, sub_counts, bands, diffs, ctx.max_iter)
        vals = out.copy()
        vals[remaining] = order_arr[r.position[remaining]]
        return vals, score

    cal = cfg.get("calibrate", block.get("calibrate"))
    cond_t = [t for t in targets if t["kind"] == "condition"]
    if cal and cond_t:
        factors[cal["factor"]] = _calibrate_loading(cal, factors, cond_t, draw, asked, ctx, where)
        log.info("%s: loading on %s calibrated to %.3f", where, cal["factor"], factors[cal["factor"]])
    values, score = draw(factors)
    ctx.frame[column] = values
    ctx.env[column] = _standardise(score)


def _calibrate_loading(
    cal: Mapping[str, Any], factors: Mapping[str, float], cond_t: Sequence[dict[str, Any]],
    draw: Callable[[Mapping[str, float]], tuple[np.ndarray, np.ndarray]], asked: np.ndarray,
    ctx: _Context, where: str,
) -> float:
    """Loading of ``cal.factor`` in ``cal.range`` for which the mean error over the condition
    targets (share among the proxy group minus published share) is zero (bisection; the error is
    monotone in the loading). Falls back to the end of the range with the smaller error."""
    def err(a: float) -> float:
        f = dict(factors)
        f[cal["factor"]] = a
        vals, _ = draw(f)
        return float(np.mean([_proxy_share(ctx, vals, asked, t) - t["pct"] / 100.0 for t in cond_t]))

    lo, hi = (float(x) for x in cal["range"])
    e_lo, e_hi = err(lo), err(hi)
    if e_lo * e_hi > 0:
        best = lo if abs(e_lo) <= abs(e_hi) else hi
        log.warning("%s: condition targets not bracketed by loadings %s (errors %.3f, %.3f); using %s",
                    where, cal["range"], e_lo, e_hi, best)
        return best
    for _ in range(int(cal.get("steps", 12))):
        mid = (lo + hi) / 2.0
        e_mid = err(mid)
        if e_mid * e_lo <= 0:
            hi = mid
        else:
            lo, e_lo = mid, e_mid
    return (lo + hi) / 2.0


# ---------------------------------------------------------------------------------------------
# Multi-select questions: trees of correlated binaries
# ---------------------------------------------------------------------------------------------

@dataclass
class _Drawn:
    node: Mapping[str, Any]
    ticked: np.ndarray
    margin: np.ndarray
    score: np.ndarray
    signature: np.ndarray  # (n, G) membership of the node's raking groups


def _node_columns(node: Mapping[str, Any], opt_cols: Mapping[str, str]) -> list[str]:
    if "option" in node:
        return [opt_cols[node["option"]]]
    if "columns" in node:
        return list(node["columns"])
    cols: list[str] = []
    for ch in node.get("children", []):
        cols += _node_columns(ch, opt_cols)
    return cols


def _node_total(node: Mapping[str, Any], targets: Sequence[dict[str, Any]], where: str,
                default: float | None = None) -> float:
    """Percentage (of the question base) a node must tick: its ``total`` target, else its total
    target (repeats of one number, e.g. Sammendrag and chapter rows, are fine), else ``default``."""
    totals = [t for t in targets if t["kind"] == "total"]
    if "total" in node:
        hit = [t for t in totals if t["id"] == node["total"]]
        if not hit:
            raise ConfigError(f"{where}: total target {node['total']!r} is not a total of this node")
        return float(hit[0]["pct"])
    exact = [t for t in totals if not t["approx"]] or totals
    if not exact:
        if default is None:
            raise ConfigError(f"{where}: node has no total target")
        return default
    if len({round(t["pct"], 9) for t in exact}) > 1:
        raise ConfigError(f"{where}: several total targets {[t['id'] for t in exact]}; name one with total:")
    return float(exact[0]["pct"])


def _draw_node(node: Mapping[str, Any], eligible: np.ndarray, parent_score: np.ndarray | None,
               asked: np.ndarray, block: Mapping[str, Any], opt_cols: Mapping[str, str], ctx: _Context,
               default_pct: float | None = None) -> _Drawn:
    """Tick one node among ``eligible`` (its parent's ticked rows): exactly ``pct`` of the question
    base in the population, raked on the subgroup targets of the node's column sets."""
    cols = _node_columns(node, opt_cols)
    where = f"generate.{block['question']}.{node.get('option', node.get('id', 'root'))}"
    sets = [cols] + [list(a) for a in node.get("also", [])]
    targets = ctx.targets_for(sets)
    pct = _node_total(node, targets, where, default_pct)
    n_base = int((asked & ctx.pop).sum())
    n_elig = int((eligible & ctx.pop).sum())
    k = int(math.floor(pct / 100.0 * n_base + 0.5))
    if k > n_elig:
        log.warning("%s: %d wanted but only %d eligible under the parent; capped", where, k, n_elig)
        k = n_elig
    env = dict(ctx.env)
    if parent_score is not None:
        env["parent"] = parent_score
    score = latent_score(node.get("factors", block.get("factors", {})), env, ctx.rng.standard_normal(len(eligible)))
    M, bands, diffs, _ = _groups_and_bands(ctx, targets, [1, 0], asked)
    r = rake_categories(score, eligible, ctx.pop, M, [k, n_elig - k], bands, diffs, ctx.max_iter)
    ticked = r.position == 0
    return _Drawn(node, ticked, r.margin[:, 0], _standardise(score), M)


def _repair_cover(parent: np.ndarray, kids: list[_Drawn], pop: np.ndarray, where: str) -> None:
    """Make every ticked parent row tick at least one of ``kids`` without changing any count.

    An uncovered row ``j`` takes the child it is closest to (largest margin); the child is removed
    from a row that keeps another child, has the same subgroup memberships for that child's targets
    and the same population status (smallest margin first), so totals and subgroup counts stay.
    """
    if not kids:
        return
    T = np.column_stack([d.ticked for d in kids])
    unc = np.flatnonzero(parent & ~T.any(axis=1))
    unmatched = 0
    for j in unc:
        ci = int(np.argmax([d.margin[j] for d in kids]))
        cnt = T.sum(axis=1)
        cand = T[:, ci] & (cnt >= 2) & parent & (pop == pop[j])
        sig = kids[ci].signature
        same = cand & (sig == sig[j]).all(axis=1) if sig.shape[1] else cand
        pool = np.flatnonzero(same if same.any() else cand)
        T[j, ci] = True
        if len(pool):
            p = pool[np.argmin(kids[ci].margin[pool])]
            T[p, ci] = False
        elif pop[j]:
            unmatched += 1
    if unmatched:
        log.warning("%s: %d population rows covered without a swap partner (counts grew)", where, unmatched)
    for i, d in enumerate(kids):
        d.ticked = T[:, i].copy()


def _generate_multi(block: Mapping[str, Any], ctx: _Context) -> None:
    """Draw a multi-select question: "Ønsker ikke svare" first, then the tree of nodes top-down
    (children among their parent's ticked rows, cover repaired before grandchildren are drawn);
    "Ingen av disse" is everyone answering without any ticked option. Options are 0/1."""
    q = ctx.codebook.question(block["question"])
    opt_cols = {c.item_id: c.name for c in q.columns if c.qtype == "multi"}
    where = f"generate.{block['question']}"
    n = len(ctx.frame)
    asked = routing_mask(ctx.frame, q.routing).to_numpy()
    values = {name: np.zeros(n) for name in opt_cols.values()}
    remaining = asked.copy()
    excluded_pct = 0.0
    if block.get("no_answer"):
        na_col = opt_cols[block["no_answer"]]
        na_pct = _node_total({}, ctx.targets_for([[na_col]]), f"{where}.no_answer")
        excluded_pct += na_pct
        k = int(math.floor(na_pct / 100.0 * (asked & ctx.pop).sum() + 0.5))
        r = rake_categories(ctx.rng.standard_normal(n), asked, ctx.pop, np.zeros((n, 0), dtype=bool),
                            [k, int((asked & ctx.pop).sum()) - k])
        values[na_col] = (r.position == 0).astype(float)
        remaining &= r.position != 0

    def expand(node: Mapping[str, Any], drawn: _Drawn) -> None:
        kids = [_draw_node(ch, drawn.ticked, drawn.score, asked, block, opt_cols, ctx)
                for ch in node.get("children", [])]
        cover = node.get("cover")
        if cover:
            ids = None if cover is True else set(cover)
            covering = [d for d in kids if ids is None or d.node.get("option", d.node.get("id")) in ids]
            _repair_cover(drawn.ticked, covering, ctx.pop, f"{where}.{node.get('id', 'root')}")
        for d in kids:
            if "option" in d.node:
                values[opt_cols[d.node["option"]]] = d.ticked.astype(float)
                ctx.env[opt_cols[d.node["option"]]] = d.score
            expand(d.node, d)

    if block.get("none"):
        excluded_pct += _node_total({}, ctx.targets_for([[opt_cols[block["none"]]]]), f"{where}.none")
    root = block["root"]
    rd = _draw_node(root, remaining, None, asked, block, opt_cols, ctx, default_pct=100.0 - excluded_pct)
    expand(root, rd)
    if block.get("none"):
        values[opt_cols[block["none"]]] = (remaining & ~rd.ticked).astype(float)
    for name in opt_cols.values():
        v = values[name]
        v[~asked] = np.nan
        ctx.frame[name] = v


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------

def generated_columns(spec: Mapping[str, Any], codebook: Codebook) -> list[str]:
    """Canonical columns :func:`generate_items` returns, in codebook order."""
    wanted: set[str] = set()
    for block in spec["generate"]:
        if block["model"] == "multi":
            q = codebook.question(block["question"])
            wanted |= {c.name for c in q.columns if c.qtype == "multi"}
        else:
            wanted |= set(_block_items(block))
    return [c.name for c in codebook.columns if c.name in wanted]


def generate_items(
    background: pd.DataFrame,
    distress: np.ndarray,
    spec: Mapping[str, Any],
    codebook: Codebook,
    rng: np.random.Generator,
    *,
    published: Published | None = None,
    conditions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Chapter-2 answers for every respondent of ``background`` (same row order).

    ``background`` holds the canonical background columns (gender, region, form, security, tenure,
    leader_role, direct_contact); ``distress`` the per-respondent higher-order distress factor ``G``
    (higher = more distress). ``spec`` is ``config/simulation/<survey>_items.yaml`` resolved with
    :func:`resolve_item_spec` (or pass ``published=``). ``conditions`` optionally gives the actual
    diagnostic groups (one boolean column per label of ``conditions.groups``, same rows); without
    it the groups are approximated by the upper tail of ``distress`` (:func:`condition_proxies`).
    Returns nullable-integer columns in codebook order: codes of the codebook, multi options 0/1,
    empty where routing skipped the question; no free-text columns. Deterministic given the state
    of ``rng``.
    """
    spec = _ensure_resolved(spec, published)
    if spec.get("survey") and spec["survey"] != codebook.survey:
        raise ConfigError(f"item spec is for survey {spec['survey']!r}, codebook for {codebook.survey!r}")
    distress = np.asarray(distress, dtype=float)
    if len(distress) != len(background):
        raise ValueError(f"distress has {len(distress)} values for {len(background)} respondents")
    frame = background.reset_index(drop=True).copy()
    pop = population_mask(frame, spec)
    proxies = condition_proxies(distress, spec, pop)
    if conditions is not None:
        if len(conditions) != len(frame):
            raise ValueError(f"conditions has {len(conditions)} rows for {len(frame)} respondents")
        given = conditions.reset_index(drop=True)
        for label in proxies.columns:
            if label in given.columns:
                proxies[label] = given[label].fillna(False).to_numpy(dtype=bool)
    env = {"distress": _standardise(distress), "exposure": _exposure(frame, distress, spec, rng)}
    ctx = _Context(frame=frame, env=env, pop=pop, rng=rng, codebook=codebook, spec=spec,
                   targets=list(spec["targets"]), proxies=proxies,
                   max_iter=int((spec.get("raking") or {}).get("max_iter", 60)))
    for block in spec["generate"]:
        if block["model"] == "multi":
            _generate_multi(block, ctx)
        elif block["model"] == "ordinal":
            for column, cfg in block["items"].items():
                _generate_ordinal(column, cfg, block, ctx)
        else:
            raise ConfigError(f"unknown model {block['model']!r}")
    cols = generated_columns(spec, codebook)
    out = pd.DataFrame({c: pd.array(np.round(ctx.frame[c].to_numpy(dtype=float, na_value=np.nan)),
                                     dtype="Int64") for c in cols})
    out.index = background.index
    return out


def _target_rows(responses: pd.DataFrame, t: Mapping[str, Any], pop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
    (``methods.md`` §1); differences (printed as magnitudes, e.g. "Mann vs Kvinne 40 pp" where women
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
        rows.append({
            "target_id": t["id"], "source_id": t["source"], "measure": t["measure"],
            "item": "|".join(t["columns"]), "subgroup_var": t["by"], "subgroup_level": t["level_label"],
            "category": t["category"], "published": float(t["pct"]), "generated": gen, "diff": diff,
            "n": n, "tolerance": tol, "within": within, "kind": t["kind"],
            "attainable": not t["unattainable"], "note": t["unattainable"] or t["note"],
        })
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
        "totals": int(len(tot)), "totals_within": int(tot["within"].sum()),
        "assumed_totals": int(len(asm)), "assumed_totals_within": int(asm["within"].sum()),
        "subgroups": int(len(sub)), "subgroups_within": int(sub["within"].sum()),
        "subgroup_share": float(sub["within"].mean()) if len(sub) else float("nan"),
        "unattainable": int((~table["attainable"]).sum()),
        "not_evaluated": int(table["within"].isna().sum()),
    }
