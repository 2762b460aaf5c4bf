"""Multi-select questions: trees of correlated binaries with "at least one child" enforced by count-keeping swaps.

Part of :mod:`mhsim.items` (model: that package's docstring and docs/methods.md §4.3-4.4).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mhsurvey.errors import ConfigError
from mhsurvey.routing import routing_mask

from .context import _Context, _groups_and_bands, _standardise, latent_score
from .raking import rake_categories

log = logging.getLogger(__name__)


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


def _node_total(
    node: Mapping[str, Any], targets: Sequence[dict[str, Any]], where: str, default: float | None = None
) -> float:
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


def _draw_node(
    node: Mapping[str, Any],
    eligible: np.ndarray,
    parent_score: np.ndarray | None,
    asked: np.ndarray,
    block: Mapping[str, Any],
    opt_cols: Mapping[str, str],
    ctx: _Context,
    default_pct: float | None = None,
) -> _Drawn:
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
    score = latent_score(
        node.get("factors", block.get("factors", {})), env, ctx.rng.standard_normal(len(eligible))
    )
    M, bands, diffs, _ = _groups_and_bands(ctx, targets, [1, 0], asked)
    r = rake_categories(score, eligible, ctx.pop, M, [k, n_elig - k], bands, diffs, ctx.max_iter)
    ticked = r.position == 0
    return _Drawn(node, ticked, r.margin[:, 0], _standardise(score), M)


def _repair_cover(
    parent: np.ndarray, kids: list[_Drawn], pop: np.ndarray, where: str, scan: bool = False
) -> None:
    """Make every ticked parent row tick at least one of ``kids`` without changing any count.

    An uncovered row ``j`` (in row order) takes the child ``ci`` it is closest to (largest
    margin); the child is removed from a donor: a row that keeps another child, has the same
    subgroup memberships for that child's targets and the same population status (smallest margin
    first, then lowest row), so totals and subgroup counts stay; without such a row, any row that
    keeps another child and has the same population status.

    Donor rows only ever leave the candidate sets (a donor loses a child; a covered row keeps
    exactly one), so each set (child, population status[, signature]) is sorted once by (margin,
    row) and read with a pointer that skips rows no longer eligible (:func:`_sorted_donors`):
    O(n log n). ``scan=True`` instead scans every row for each uncovered row (:func:`_scan_donor`,
    O(n) each): the reference the tests compare against, and the path taken when a margin is not
    finite.
    """
    if not kids:
        return
    T = np.column_stack([d.ticked for d in kids])
    unc = np.flatnonzero(parent & ~T.any(axis=1))
    margins = np.column_stack([d.margin for d in kids])
    cnt = T.sum(axis=1)
    if scan or not np.all(np.isfinite(margins[parent])):

        def donor(ci: int, j: int) -> int:
            return _scan_donor(T, cnt, parent, pop, kids[ci], ci, j)

    else:
        donor = _sorted_donors(T, cnt, parent, pop, kids)
    unmatched = 0
    for j in unc:
        ci = int(np.argmax(margins[j]))
        p = donor(ci, j)
        T[j, ci] = True
        cnt[j] += 1
        if p >= 0:
            T[p, ci] = False
            cnt[p] -= 1
        elif pop[j]:
            unmatched += 1
    if unmatched:
        log.warning("%s: %d population rows covered without a swap partner (counts grew)", where, unmatched)
    for i, d in enumerate(kids):
        d.ticked = T[:, i].copy()


def _candidates(
    T: np.ndarray,
    cnt: np.ndarray,
    parent: np.ndarray,
    pop: np.ndarray,
    kid: _Drawn,
    ci: int,
    j: int,
    same: bool,
) -> np.ndarray:
    """Rows that can give child ``ci`` to row ``j``: they tick it and another child, are ticked
    parent rows with ``j``'s population status, and (``same``) share ``j``'s signature."""
    mask = T[:, ci] & (cnt >= 2) & parent & (pop == pop[j])
    if same and kid.signature.shape[1]:
        mask &= (kid.signature == kid.signature[j]).all(axis=1)
    return mask


def _scan_donor(
    T: np.ndarray, cnt: np.ndarray, parent: np.ndarray, pop: np.ndarray, kid: _Drawn, ci: int, j: int
) -> int:
    """The donor of child ``ci`` for row ``j`` by scanning every row (−1 if none)."""
    cand = _candidates(T, cnt, parent, pop, kid, ci, j, same=False)
    same = _candidates(T, cnt, parent, pop, kid, ci, j, same=True)
    pool = np.flatnonzero(same if same.any() else cand)
    return int(pool[np.argmin(kid.margin[pool])]) if len(pool) else -1


def _sorted_donors(
    T: np.ndarray, cnt: np.ndarray, parent: np.ndarray, pop: np.ndarray, kids: list[_Drawn]
) -> Callable[[int, int], int]:
    """A donor finder equal to :func:`_scan_donor` while ``T`` and ``cnt`` only lose donors: each
    candidate set is built at its first use, sorted by (margin, row), and read from a pointer."""
    pools: dict[tuple, list] = {}  # (child, population status, signature or None) -> [rows, pointer]

    def first(ci: int, j: int, same: bool) -> int:
        kid = kids[ci]
        key = (ci, pop[j].item(), kid.signature[j].tobytes() if same else None)
        if key not in pools:
            rows = np.flatnonzero(_candidates(T, cnt, parent, pop, kid, ci, j, same))
            pools[key] = [rows[np.lexsort((rows, kid.margin[rows]))], 0]
        entry = pools[key]
        rows, k = entry
        while k < len(rows) and not (T[rows[k], ci] and cnt[rows[k]] >= 2):
            k += 1
        entry[1] = k
        return int(rows[k]) if k < len(rows) else -1

    def donor(ci: int, j: int) -> int:
        if kids[ci].signature.shape[1]:
            p = first(ci, j, True)
            if p >= 0:
                return p
        return first(ci, j, False)

    return donor


def _repair_cover_scan(parent: np.ndarray, kids: list[_Drawn], pop: np.ndarray, where: str) -> None:
    """:func:`_repair_cover` with ``scan=True`` (the reference implementation)."""
    _repair_cover(parent, kids, pop, where, scan=True)


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
        r = rake_categories(
            ctx.rng.standard_normal(n),
            asked,
            ctx.pop,
            np.zeros((n, 0), dtype=bool),
            [k, int((asked & ctx.pop).sum()) - k],
        )
        values[na_col] = (r.position == 0).astype(float)
        remaining &= r.position != 0

    def expand(node: Mapping[str, Any], drawn: _Drawn) -> None:
        kids = [
            _draw_node(ch, drawn.ticked, drawn.score, asked, block, opt_cols, ctx)
            for ch in node.get("children", [])
        ]
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
