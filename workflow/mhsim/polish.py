"""Swap search that fixes finite-sample statistics while keeping every item marginal exact.

``docs/methods.md`` §4.3, "Fallback: a swap hill-climb exchanging two respondents' values within one item
(marginals stay fixed)", as in LikertMakeR ``lcor``. Because a swap keeps each item's multiset of
values, the item variances and the mean of the sum score are unchanged, so Cronbach's alpha
depends only on ``S2 = sum_j T_j^2`` (``T_j`` the sum score of respondent ``j``)::

    alpha = k/(k-1) * (1 - V / var_T),  var_T = (S2 - S1^2/m) / (m - 1),  V = sum_i var(X_i)

and every target share only on the classes of the two swapped respondents. Each step draws a batch
of random swaps, evaluates the change of the objective

    sum_t ((share_t - target_t) / tol_t)^2 + ((alpha - alpha*) / tol_alpha)^2

for all of them at once and applies the best improving one (steepest descent over a random
neighbourhood). Deterministic for a given generator state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .rules import Rule


@dataclass(frozen=True)
class ShareTarget:
    """Target percentage of rows in ``classes`` among rows in ``group`` (``None`` = all)."""

    name: str
    classes: tuple[int, ...]
    target: float
    tol: float  # objective scale (percentage points)
    accept: float  # stop when every |share - target| <= accept
    group: np.ndarray | None = None


@dataclass
class PolishResult:
    """The polished matrix and a short account of the search."""

    x: np.ndarray
    steps: int
    batches: int
    objective_before: float
    objective_after: float


def _alpha(s2: float, s1: float, v: float, m: int, k: int) -> float:
    var_t = (s2 - s1 * s1 / m) / (m - 1)
    return k / (k - 1) * (1.0 - v / var_t)


def polish(
    x: np.ndarray,
    rule: Rule,
    targets: Sequence[ShareTarget],
    alpha_target: float | None,
    alpha_tol: float,
    alpha_accept: float,
    rng: np.random.Generator,
    impaired: np.ndarray | None = None,
    batch: int = 256,
    max_batches: int = 4000,
    patience: int = 60,
) -> PolishResult:
    """Swap values within item columns of ``x`` (complete rows, ``(m, k)``) towards the targets.

    ``impaired`` (if the rule needs it) is fixed per row. Stops when all targets are within their
    ``accept`` bands (and alpha within ``alpha_accept``), after ``patience`` batches without an
    improving swap, or after ``max_batches``.
    """
    x = np.array(x, dtype=float, copy=True)
    m, k = x.shape
    if m < 3 or k < 2:
        return PolishResult(x, 0, 0, 0.0, 0.0)
    imp = None if impaired is None else np.asarray(impaired)
    nt = len(targets)
    groups = np.ones((m, nt), dtype=bool)
    member = np.zeros((rule.n_classes, nt), dtype=float)
    for t, tg in enumerate(targets):
        if tg.group is not None:
            groups[:, t] = tg.group
        member[list(tg.classes), t] = 1.0
    gsize = groups.sum(axis=0).astype(float)
    tgt = np.array([tg.target for tg in targets], dtype=float)
    tol = np.array([tg.tol for tg in targets], dtype=float)
    acc = np.array([tg.accept for tg in targets], dtype=float)

    cls = rule.classify(x, imp)
    counts = (member[cls] * groups).sum(axis=0)
    tot = x.sum(axis=1)
    s1 = float(tot.sum())
    s2 = float((tot * tot).sum())
    v = float(x.var(axis=0, ddof=1).sum())
    use_alpha = alpha_target is not None and np.isfinite(v) and v > 0

    def objective(cnt: np.ndarray, s2v: np.ndarray | float) -> np.ndarray:
        share = 100.0 * cnt / np.where(gsize > 0, gsize, 1.0)
        obj = (((share - tgt) / tol) ** 2).sum(axis=-1)
        if use_alpha:
            obj = obj + ((_alpha(s2v, s1, v, m, k) - alpha_target) / alpha_tol) ** 2
        return obj

    def done(cnt: np.ndarray, s2v: float) -> bool:
        share = 100.0 * cnt / np.where(gsize > 0, gsize, 1.0)
        ok = bool((np.abs(share - tgt) <= acc).all())
        if use_alpha:
            ok &= abs(_alpha(s2v, s1, v, m, k) - alpha_target) <= alpha_accept
        return ok

    current = float(objective(counts, s2))
    before = current
    steps = idle = batches = 0
    while batches < max_batches and idle < patience and not done(counts, s2):
        batches += 1
        i = rng.integers(0, k, batch)
        a = rng.integers(0, m, batch)
        b = rng.integers(0, m, batch)
        ok = (x[a, i] != x[b, i]) & (a != b)
        if not ok.any():
            idle += 1
            continue
        i, a, b = i[ok], a[ok], b[ok]
        xa, xb = x[a].copy(), x[b].copy()
        va, vb = x[a, i], x[b, i]
        rows = np.arange(len(i))
        xa[rows, i] = vb
        xb[rows, i] = va
        ia = None if imp is None else imp[a]
        ib = None if imp is None else imp[b]
        ca_new, cb_new = rule.classify(xa, ia), rule.classify(xb, ib)
        ta_new = tot[a] - va + vb
        tb_new = tot[b] + va - vb
        s2_new = s2 + ta_new**2 - tot[a] ** 2 + tb_new**2 - tot[b] ** 2
        d_cnt = (member[ca_new] - member[cls[a]]) * groups[a] + (member[cb_new] - member[cls[b]]) * groups[b]
        obj = objective(counts[None, :] + d_cnt, s2_new)
        best = int(np.argmin(obj))
        if obj[best] < current - 1e-12:
            ai, bi, ii = a[best], b[best], i[best]
            x[ai, ii], x[bi, ii] = vb[best], va[best]
            cls[ai], cls[bi] = ca_new[best], cb_new[best]
            tot[ai], tot[bi] = ta_new[best], tb_new[best]
            counts = counts + d_cnt[best]
            s2 = float(s2_new[best])
            current = float(obj[best])
            steps += 1
            idle = 0
        else:
            idle += 1
    return PolishResult(x, steps, batches, before, current)
