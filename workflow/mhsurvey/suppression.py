"""Stage 04 small-cell suppression: primary and complementary suppression of count tables
(``docs/methods.md`` §5), audited by linear programming.

A leaf of stage 04 (numpy and scipy only).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

log = logging.getLogger("mhsurvey.subgroups")


@dataclass(frozen=True)
class SuppressionResult:
    """Which entries of a table are hidden.

    ``cells`` G × K; ``row_totals`` G (level bases; only for G > 1); ``col_totals`` K (only when
    modelled); ``merged`` G × M (sums of cell sets); ``merged_totals`` M; ``unprotected`` lists
    entries that could not be protected (e.g. a hidden cell equal to the public grand total).
    """

    cells: np.ndarray
    row_totals: np.ndarray
    col_totals: np.ndarray
    merged: np.ndarray
    merged_totals: np.ndarray
    unprotected: tuple[str, ...] = ()


class _Table:
    """A table with margins as a linear system: entries (cells, margins, merged sums) and equations."""

    def __init__(self, counts: np.ndarray, merged_groups: Sequence[Sequence[int]], col_totals: bool) -> None:
        self.counts = np.asarray(counts, dtype=np.int64)
        g, k = self.counts.shape
        self.g, self.k, self.groups = g, k, [tuple(s) for s in merged_groups]
        names: list[tuple[str, int, int]] = []
        values: list[int] = []

        def add(kind: str, i: int, j: int, v: int) -> int:
            names.append((kind, i, j))
            values.append(int(v))
            return len(names) - 1

        self.cell = np.array([[add("cell", i, j, self.counts[i, j]) for j in range(k)] for i in range(g)])
        self.row = (
            np.array([add("row", i, -1, self.counts[i].sum()) for i in range(g)])
            if g > 1
            else np.array([], int)
        )
        self.col = (
            np.array([add("col", -1, j, self.counts[:, j].sum()) for j in range(k)])
            if col_totals and g > 1
            else np.array([], int)
        )
        self.merged = np.array(
            [
                [add("merged", i, m, self.counts[i, list(s)].sum()) for m, s in enumerate(self.groups)]
                for i in range(g)
            ]
        ).reshape(g, len(self.groups))
        self.merged_total = (
            np.array(
                [add("merged_total", -1, m, self.counts[:, list(s)].sum()) for m, s in enumerate(self.groups)]
            )
            if col_totals and g > 1
            else np.array([], int)
        )
        self.grand = add("grand", -1, -1, self.counts.sum())
        self.names, self.values = names, np.array(values, dtype=float)
        eqs: list[dict[int, float]] = []
        for i in range(g):  # row total (or grand total when there is one row) = sum of its cells
            eq = {int(self.cell[i, j]): -1.0 for j in range(k)}
            eq[int(self.row[i]) if g > 1 else self.grand] = 1.0
            eqs.append(eq)
        if g > 1:
            eq = {int(r): -1.0 for r in self.row}
            eq[self.grand] = 1.0
            eqs.append(eq)
        if len(self.col):
            for j in range(k):
                eq = {int(self.cell[i, j]): -1.0 for i in range(g)}
                eq[int(self.col[j])] = 1.0
                eqs.append(eq)
        for i in range(g):
            for m, s in enumerate(self.groups):
                eq = {int(self.cell[i, j]): -1.0 for j in s}
                eq[int(self.merged[i, m])] = 1.0
                eqs.append(eq)
        if len(self.merged_total):
            for m in range(len(self.groups)):
                eq = {int(self.merged[i, m]): -1.0 for i in range(g)}
                eq[int(self.merged_total[m])] = 1.0
                eqs.append(eq)
        self.a = np.zeros((len(eqs), len(names)))
        for r, eq in enumerate(eqs):
            for c, v in eq.items():
                self.a[r, c] = v

    def bounds(self, entry: int, hidden: set[int]) -> tuple[float, float]:
        """Smallest and largest value of ``entry`` consistent with every published entry (LP, x ≥ 0)."""
        unknown = sorted(hidden)
        known = [i for i in range(len(self.names)) if i not in hidden]
        a_u = self.a[:, unknown]
        b = -self.a[:, known] @ self.values[known]
        pos = unknown.index(entry)
        c = np.zeros(len(unknown))
        out = []
        for sign in (1.0, -1.0):
            c[pos] = sign
            res = linprog(c, A_eq=a_u, b_eq=b, bounds=[(0, None)] * len(unknown), method="highs")
            if res.status == 3:  # unbounded
                out.append(-sign * np.inf)
            elif res.status != 0:
                raise RuntimeError(f"suppression audit LP failed: {res.message}")
            else:
                out.append(sign * res.fun)
        return out[0], out[1]

    def protected(self, entry: int, hidden: set[int]) -> bool:
        """True if the hidden ``entry`` cannot be recomputed exactly (its feasible range is wider than 0)."""
        lo, hi = self.bounds(entry, hidden)
        return hi - lo > 0.5

    def related(self, entry: int, other: int) -> bool:
        """True if ``other`` is a cell in the same row or column (or cell set) as ``entry``."""
        kind, i, j = self.names[entry]
        okind, oi, oj = self.names[other]
        if okind != "cell":
            return False
        if kind == "cell":
            return oi == i or oj == j
        if kind in ("row", "merged"):
            return oi == i
        if kind == "col":
            return oj == j
        if kind == "merged_total":
            return oj in self.groups[j]
        return True


def suppress_table(
    counts: np.ndarray,
    merged_groups: Sequence[Sequence[int]] = (),
    min_count: int = 1,
    max_count: int = 4,
    col_totals: bool = True,
) -> SuppressionResult:
    """Primary and complementary suppression of a G × K count table (``docs/methods.md`` §5).

    Published alongside the cells are the row totals (level bases), the column totals (treated as
    public: the attacker is assumed to know the level table's column sums), the grand total, and
    the sums over each merged cell set (per row and in total). Entries in ``[min_count,
    max_count]`` are hidden (primary). Then, while some hidden entry can be recomputed exactly
    from the published ones — its range under "all published equations hold, all counts ≥ 0",
    found by linear programming (``scipy.optimize.linprog``, HiGHS), is a single value — the
    smallest positive published cell in its row or column that protects it (else the smallest)
    is hidden too. Zero cells are never used as complements (a hidden zero next to published
    zeros can be pinned by non-negativity). ``col_totals=False`` models a one-row table whose
    column totals are the cells themselves (the total-level estimates).
    """
    t = _Table(np.atleast_2d(counts), merged_groups, col_totals)
    hidden = {i for i, v in enumerate(t.values) if min_count <= v <= max_count and i != t.grand}
    unprotected: list[str] = []
    for _ in range(len(t.names) + 1):
        exposed = [e for e in sorted(hidden) if not t.protected(e, hidden)]
        if not exposed:
            break
        e = exposed[0]
        cands = [c for c in range(len(t.names)) if c not in hidden and c != t.grand and t.values[c] > 0]
        if not cands:
            unprotected = [str(t.names[x]) for x in exposed]
            log.warning("suppression: cannot protect %s", unprotected)
            break
        cands.sort(key=lambda c: (not t.related(e, c), t.names[c][0] != "cell", t.values[c], c))
        chosen = next((c for c in cands if t.protected(e, hidden | {c})), cands[0])
        hidden.add(chosen)

    def mask(ix: np.ndarray) -> np.ndarray:
        return np.isin(ix, sorted(hidden)) if ix.size else np.zeros(ix.shape, dtype=bool)

    return SuppressionResult(
        cells=mask(t.cell),
        row_totals=mask(t.row),
        col_totals=mask(t.col),
        merged=mask(t.merged),
        merged_totals=mask(t.merged_total),
        unprotected=tuple(unprotected),
    )
