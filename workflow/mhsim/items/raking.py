"""Realised raking of ordered categories: thresholds and subgroup shifts on realised latent scores.

Part of :mod:`mhsim.items` (model: that package's docstring and docs/methods.md §4.3-4.4).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def cut_for_count(values: np.ndarray, k: int) -> float:
    """Threshold ``t`` with exactly ``k`` of ``values`` strictly above it.

    Sorted descending ``v``: ``t = (v[k-1] + v[k]) / 2``; ``k = 0`` gives ``max + 1e-6``, ``k = len``
    gives ``min - 1e-6`` (the empirical-threshold rank assignment of ``docs/methods.md`` §4.3 step 2).

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


def _wanted_boundaries(bands: Sequence[Band], cur: np.ndarray, m: int, K: int) -> dict[int, float]:
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

    Sweep (raking on the probit scale, ``docs/methods.md`` §4.4, on realised scores): for each group with
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
    active = sorted(
        {bd.group for bd in bands} | {g for df in diffs for g in (df.group_a, df.group_b) if g >= 0}
    )
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
            if any(
                bd.lo == df.lo and bd.hi == df.hi
                for g in (df.group_a, df.group_b)
                for bd in g_bands.get(g, [])
            ):
                continue
            ma = len(members[df.group_a])
            ca = _band_count(_cum_counts(S[members[df.group_a]], tau), df.lo, df.hi, ma)
            if df.group_b < 0:
                p_tot = _band_count(_cum_counts(S[base], tau), df.lo, df.hi, n_base) / max(n_base, 1)
                dyn.setdefault(df.group_a, []).append(
                    Band(df.group_a, df.lo, df.hi, (p_tot + df.diff) * df.n_a)
                )
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
