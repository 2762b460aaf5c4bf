"""Stage 04 small-cell suppression: primary and complementary suppression of count tables
(``docs/methods.md`` §5), decided by an exact null-space test and audited by linear programming.

A leaf of stage 04 (numpy and scipy only).

**Model.** A table publishes entries: its cells, the row totals (level bases), the column totals,
the grand total and the sums over merged cell sets (per row and in total). Each total is an
equation "total − Σ its parts = 0", so all entries x satisfy A x = 0 (A has entries 0, ±1). A
reader who knows the published entries and that counts are ≥ 0 knows the hidden entries x_H lie
in the polytope P = {x_H ≥ 0 : A_H x_H = b}, b = −A_P x_P. A hidden entry e is *protected* when
its range over P is wider than 0.5 (it cannot be recomputed exactly); :meth:`_Table.bounds` finds
that range by two linear programs (``scipy.optimize.linprog``, HiGHS).

**Exact fast test** (:class:`_NullSpace`). Every hidden entry is strictly positive (primary
entries are ≥ ``min_count`` ≥ 1, complements are chosen among positive entries, zeros are never
hidden), so the true table x*_H is an *interior* point of the orthant. Let N be a basis of the
null space of A_H. Then

* if some v ∈ null(A_H) has v_e ≠ 0, x*_H + t·v satisfies every equation and stays ≥ 0 for all
  t ∈ [−t₋, t₊] with t₊ = min_{v_i<0} x*_i/|v_i| > 0 and t₋ = min_{v_i>0} x*_i/v_i > 0, so e takes
  every value in [x*_e − t₋ v_e, x*_e + t₊ v_e]: its range is at least v_e (t₊ + t₋) > 0;
* conversely, if every null vector has v_e = 0 (row e of N is 0), any feasible x_H differs from
  x*_H by a null vector, so x_e = x*_e: e is pinned by the equations alone, whatever the bounds.

So "range > 0" ⇔ "row e of N ≠ 0", one SVD per table state (not one LP per entry). Taking v = N Nᵀ
e_e (the projection of the unit vector, v_e = ‖N_e‖² > 0) gives the lower bound above on the
range; in the rare case it is not above 0.5 the LP decides, so the decision "range > 0.5" is the
LP's own and the selection matches the LP procedure step by step (``tests/test_subgroups.py``
compares both on random tables).

**Incremental complement test.** If e is pinned in H, adding a published entry c creates new
null vectors only of the form (v_H, v_c = 1) with A_H v_H = −a_c: they exist iff a_c lies in the
column space of A_H, and then v_H = −A_H⁺a_c + n with n ∈ null(A_H), n_e = 0, so e becomes
movable iff (A_H⁺ a_c)_e ≠ 0. One product with the SVD factors tests every candidate at once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

log = logging.getLogger("mhsurvey.subgroups")

#: Numerical zero of the null-space test (A has entries 0, ±1 and at most a few hundred columns:
#: null-space rows of pinned entries are ~1e-15, those of movable entries far above this).
_TOL = 1e-8
#: Smallest LP range that counts as protected (the range of an integer count must exceed 1/2).
_MIN_RANGE = 0.5


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


@dataclass(frozen=True)
class _Layout:
    """The structure of a G × K table with margins: entry names, index arrays, equations.

    Depends only on the shape, the merged cell sets and ``col_totals`` (cached, :func:`_layout`);
    ``w`` (entries × cells, 0/1) gives every entry's value as a sum of cells, ``a`` the equations
    (one row per total: total − Σ parts = 0), ``related`` [e, c] whether entry c is a cell in the
    same row or column (or cell set) as entry e, ``is_cell`` which entries are cells.
    """

    names: tuple[tuple[str, int, int], ...]
    cell: np.ndarray
    row: np.ndarray
    col: np.ndarray
    merged: np.ndarray
    merged_total: np.ndarray
    grand: int
    a: np.ndarray
    w: np.ndarray
    related: np.ndarray
    is_cell: np.ndarray


@lru_cache(maxsize=512)
def _layout(g: int, k: int, groups: tuple[tuple[int, ...], ...], col_totals: bool) -> _Layout:
    """Build (once per structure) the entries and equations of a G × K table (see :class:`_Layout`)."""
    names: list[tuple[str, int, int]] = []
    parts: list[list[int]] = []  # cells (flat index i*k + j) summed by each entry

    def add(kind: str, i: int, j: int, cells: list[int]) -> int:
        names.append((kind, i, j))
        parts.append(cells)
        return len(names) - 1

    cell = np.array([[add("cell", i, j, [i * k + j]) for j in range(k)] for i in range(g)]).reshape(g, k)
    row = (
        np.array([add("row", i, -1, [i * k + j for j in range(k)]) for i in range(g)])
        if g > 1
        else np.array([], int)
    )
    col = (
        np.array([add("col", -1, j, [i * k + j for i in range(g)]) for j in range(k)])
        if col_totals and g > 1
        else np.array([], int)
    )
    merged = np.array(
        [[add("merged", i, m, [i * k + j for j in s]) for m, s in enumerate(groups)] for i in range(g)]
    ).reshape(g, len(groups))
    merged_total = (
        np.array(
            [
                add("merged_total", -1, m, [i * k + j for i in range(g) for j in s])
                for m, s in enumerate(groups)
            ]
        )
        if col_totals and g > 1
        else np.array([], int)
    )
    grand = add("grand", -1, -1, list(range(g * k)))
    eqs: list[dict[int, float]] = []
    for i in range(g):  # row total (or grand total when there is one row) = sum of its cells
        eq = {int(cell[i, j]): -1.0 for j in range(k)}
        eq[int(row[i]) if g > 1 else grand] = 1.0
        eqs.append(eq)
    if g > 1:
        eq = {int(r): -1.0 for r in row}
        eq[grand] = 1.0
        eqs.append(eq)
    if len(col):
        for j in range(k):
            eq = {int(cell[i, j]): -1.0 for i in range(g)}
            eq[int(col[j])] = 1.0
            eqs.append(eq)
    for i in range(g):
        for m, s in enumerate(groups):
            eq = {int(cell[i, j]): -1.0 for j in s}
            eq[int(merged[i, m])] = 1.0
            eqs.append(eq)
    if len(merged_total):
        for m in range(len(groups)):
            eq = {int(merged[i, m]): -1.0 for i in range(g)}
            eq[int(merged_total[m])] = 1.0
            eqs.append(eq)
    a = np.zeros((len(eqs), len(names)))
    for r, eq in enumerate(eqs):
        for c, v in eq.items():
            a[r, c] = v
    w = np.zeros((len(names), g * k), dtype=np.int64)
    for e, cells in enumerate(parts):
        w[e, cells] = 1
    related = _related_matrix(names, groups, k)
    is_cell = np.array([n[0] == "cell" for n in names])
    for arr in (cell, row, col, merged, merged_total, a, w, related, is_cell):
        arr.setflags(write=False)
    return _Layout(tuple(names), cell, row, col, merged, merged_total, grand, a, w, related, is_cell)


def _related_matrix(
    names: Sequence[tuple[str, int, int]], groups: Sequence[Sequence[int]], k: int
) -> np.ndarray:
    """[e, c] True if entry c is a cell in the same row or column (or cell set) as entry e.

    Row and merged entries relate to the cells of their row, column totals to the cells of their
    column, merged totals to the cells of their set, the grand total to every cell.
    """
    kind = np.array([n[0] for n in names])
    i = np.array([n[1] for n in names])[:, None]
    j = np.array([n[2] for n in names])[:, None]
    oi, oj = i.T, j.T
    member = np.zeros((max(len(groups), 1), k), dtype=bool)
    for m, s in enumerate(groups):
        member[m, list(s)] = True
    in_set = member[np.clip(j[:, 0], 0, member.shape[0] - 1)][:, np.clip(oj[0], 0, None)]
    kc = kind[:, None]
    rel = (
        ((kc == "cell") & ((oi == i) | (oj == j)))
        | (np.isin(kc, ("row", "merged")) & (oi == i))
        | ((kc == "col") & (oj == j))
        | ((kc == "merged_total") & in_set)
        | (kc == "grand")
    )
    return rel & (kind == "cell")[None, :]


class _Table:
    """A table with margins as a linear system: entries (cells, margins, merged sums) and equations."""

    def __init__(self, counts: np.ndarray, merged_groups: Sequence[Sequence[int]], col_totals: bool) -> None:
        self.counts = np.asarray(counts, dtype=np.int64)
        g, k = self.counts.shape
        self.g, self.k = g, k
        self.groups = tuple(tuple(int(j) for j in s) for s in merged_groups)
        lay = _layout(g, k, self.groups, bool(col_totals))
        self.layout = lay
        self.names, self.a, self.grand = lay.names, lay.a, lay.grand
        self.cell, self.row, self.col = lay.cell, lay.row, lay.col
        self.merged, self.merged_total = lay.merged, lay.merged_total
        self.values = (lay.w @ self.counts.ravel()).astype(float)

    def bounds(self, entry: int, hidden: set[int]) -> tuple[float, float]:
        """Smallest and largest value of ``entry`` consistent with every published entry (LP, x ≥ 0)."""
        from scipy.optimize import linprog  # the audit only: the fast path does not need it

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
        """True if the hidden ``entry`` cannot be recomputed exactly (LP range wider than 0.5)."""
        lo, hi = self.bounds(entry, hidden)
        return hi - lo > _MIN_RANGE

    def related(self, entry: int, other: int) -> bool:
        """True if ``other`` is a cell in the same row or column (or cell set) as ``entry``."""
        return bool(self.layout.related[entry, other])

    def candidates(self, entry: int, hidden: set[int]) -> list[int]:
        """Published entries that may become complements for ``entry``, in the order they are tried.

        Positive, not the grand total; related cells first, then other cells, then margins, each
        by value (smallest first), ties by entry order.
        """
        ok = self.values > 0
        ok[self.grand] = False
        if hidden:
            ok[sorted(hidden)] = False
        ix = np.flatnonzero(ok)
        if not ix.size:
            return []
        lay = self.layout
        order = np.lexsort((ix, self.values[ix], ~lay.is_cell[ix], ~lay.related[entry, ix]))
        return [int(c) for c in ix[order]]


class _NullSpace:
    """The null space of the equations restricted to the hidden entries ``h`` (sorted), by SVD.

    See the module docstring for why "row e of the null basis ≠ 0" is exactly "e can be moved".
    """

    def __init__(self, t: _Table, hidden: set[int]) -> None:
        self.t = t
        self.h = np.array(sorted(hidden), dtype=np.int64)
        self.pos = {int(e): i for i, e in enumerate(self.h)}
        a_h = t.a[:, self.h]
        u, s, vt = np.linalg.svd(a_h, full_matrices=True)
        tol = max(a_h.shape) * np.finfo(float).eps * (s[0] if s.size else 0.0)
        r = int((s > tol).sum())
        self.u_r, self.s_r, self.vt_r = u[:, :r], s[:r], vt[:r]
        self.null = vt[r:].T  # h × (h − r), orthonormal columns
        self._bounds: np.ndarray | None = None
        self._protected: np.ndarray | None = None

    def range_lower_bounds(self) -> np.ndarray:
        """Per hidden entry, a lower bound of its LP range (0 = pinned by the equations).

        v = N Nᵀ e_e; range ≥ v_e (t₊ + t₋) with t₊ = min_{v_i<0} x*_i/|v_i|, t₋ = min_{v_i>0} x*_i/v_i.
        """
        if self._bounds is not None:
            return self._bounds
        h = len(self.h)
        if not self.null.shape[1]:
            self._bounds = np.zeros(h)
            return self._bounds
        proj = self.null @ self.null.T  # column j = projection of e_j onto the null space
        diag = np.diag(proj).copy()
        x = self.t.values[self.h][:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            up = np.where(proj < -_TOL, x / np.where(proj < -_TOL, -proj, 1.0), np.inf).min(axis=0)
            down = np.where(proj > _TOL, x / np.where(proj > _TOL, proj, 1.0), np.inf).min(axis=0)
            out = diag * (up + down)
        out[diag <= _TOL**2] = 0.0  # ‖N_e‖² ~ 0: pinned
        self._bounds = out
        return out

    def protected(self) -> np.ndarray:
        """Per hidden entry, True if its LP range is wider than 0.5 (the LP decides only unclear cases)."""
        if self._protected is None:
            lb = self.range_lower_bounds()
            out = lb > _MIN_RANGE
            for p in np.flatnonzero((lb > 0) & ~out):
                out[p] = self.t.protected(int(self.h[p]), set(self.h.tolist()))
            self._protected = out
        return self._protected

    def unpins(self, entry: int, cands: Sequence[int]) -> np.ndarray:
        """For the pinned hidden ``entry``: per candidate c, True if hiding c makes ``entry`` movable.

        a_c must lie in the column space of A_H and (A_H⁺ a_c)_e ≠ 0 (module docstring).
        """
        a_c = self.t.a[:, list(cands)]
        coef = self.u_r.T @ a_c
        resid = np.linalg.norm(a_c - self.u_r @ coef, axis=0)
        y_e = (self.vt_r[:, self.pos[entry]] / self.s_r) @ coef
        return (resid <= _TOL * np.maximum(1.0, np.linalg.norm(a_c, axis=0))) & (np.abs(y_e) > _TOL)


def _null_space(t: _Table, hidden: set[int], cache: dict[frozenset[int], _NullSpace]) -> _NullSpace:
    """:class:`_NullSpace` of ``hidden``, computed once per hidden set (``cache``)."""
    key = frozenset(hidden)
    if key not in cache:
        cache[key] = _NullSpace(t, hidden)
    return cache[key]


def _protects(t: _Table, entry: int, hidden: set[int], cache: dict[frozenset[int], _NullSpace]) -> bool:
    """True if ``entry`` is protected (LP range > 0.5) when ``hidden`` is hidden (exact fast test)."""
    ns = _null_space(t, hidden, cache)
    return bool(ns.protected()[ns.pos[entry]])


def suppress_table(
    counts: np.ndarray,
    merged_groups: Sequence[Sequence[int]] = (),
    min_count: int = 1,
    max_count: int = 4,
    col_totals: bool = True,
    method: str = "nullspace",
    label: str = "",
) -> SuppressionResult:
    """Primary and complementary suppression of a G × K count table (``docs/methods.md`` §5).

    Published alongside the cells are the row totals (level bases), the column totals (treated as
    public: the attacker is assumed to know the level table's column sums), the grand total, and
    the sums over each merged cell set (per row and in total). Entries in ``[min_count,
    max_count]`` are hidden (primary). Then, while some hidden entry can be recomputed exactly
    from the published ones — its range under "all published equations hold, all counts ≥ 0" is
    not wider than 0.5 — the smallest positive published cell in its row or column that protects
    it (else the smallest) is hidden too. Zero cells are never used as complements (a hidden zero
    next to published zeros can be pinned by non-negativity). ``col_totals=False`` models a
    one-row table whose column totals are the cells themselves (the total-level estimates).

    ``method="nullspace"`` (default) decides "protected" by the exact null-space test of the
    module docstring (one SVD per table state; candidates tested incrementally); ``method="lp"``
    by two linear programs per entry (:meth:`_Table.bounds`, HiGHS) — the slow reference the tests
    compare against. Both take the same decisions and so hide the same entries. ``label`` names the
    table in the log.
    """
    if method not in ("nullspace", "lp"):
        raise ValueError(f"suppress_table: unknown method {method!r}")
    t = _Table(np.atleast_2d(counts), merged_groups, col_totals)
    hidden = {
        int(i) for i in np.flatnonzero((t.values >= min_count) & (t.values <= max_count)) if i != t.grand
    }
    unprotected: list[str] = []
    cache: dict[frozenset[int], _NullSpace] = {}
    for _ in range(len(t.names) + 1 if hidden else 0):
        if method == "lp":
            exposed = [e for e in sorted(hidden) if not t.protected(e, hidden)]
        else:
            ns = _null_space(t, hidden, cache)
            exposed = [int(e) for e in ns.h[~ns.protected()]]
        if not exposed:
            break
        e = exposed[0]
        cands = t.candidates(e, hidden)
        if not cands:
            unprotected = [str(t.names[x]) for x in exposed]
            log.warning("suppression%s: cannot protect %s", f" ({label})" if label else "", unprotected)
            break
        if method == "lp":
            chosen = next((c for c in cands if t.protected(e, hidden | {c})), cands[0])
        else:
            pinned = bool(ns.range_lower_bounds()[ns.pos[e]] == 0)
            maybe = ns.unpins(e, cands) if pinned else np.ones(len(cands), dtype=bool)
            chosen = next(
                (
                    c
                    for c, ok in zip(cands, maybe, strict=True)
                    if ok and _protects(t, e, hidden | {c}, cache)
                ),
                cands[0],
            )
        hidden.add(chosen)

    is_hidden = np.zeros(len(t.names), dtype=bool)
    is_hidden[sorted(hidden)] = True

    def mask(ix: np.ndarray) -> np.ndarray:
        return is_hidden[ix] if ix.size else np.zeros(ix.shape, dtype=bool)

    return SuppressionResult(
        cells=mask(t.cell),
        row_totals=mask(t.row),
        col_totals=mask(t.col),
        merged=mask(t.merged),
        merged_totals=mask(t.merged_total),
        unprotected=tuple(unprotected),
    )
