"""Ordinal items (single questions, grid items, numeric 0-10): categories by raking, loadings calibrated on the distress factor.

Part of :mod:`mhsim.items` (model: that package's docstring and docs/methods.md §4.3-4.4).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from mhsurvey.codebook import Column
from mhsurvey.errors import ConfigError
from mhsurvey.routing import routing_mask

from ..targets import largest_remainder
from .context import _Context, _groups_and_bands, _proxy_share, _standardise, latent_score
from .raking import rake_categories

log = logging.getLogger(__name__)


def _substantive_codes(col: Column) -> list[int]:
    if col.qtype == "numeric" and col.minimum is not None and col.maximum is not None:
        return list(range(col.minimum, col.maximum + 1))
    return [c.code for c in col.codes if not c.nonsubstantive]


def _entries(
    cfg: Mapping[str, Any], col: Column, order: Sequence[int], where: str
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
    split over "i stor / noen / liten grad") (``docs/methods.md`` §4.3 step 1).
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
            raise ConfigError(
                f"{where}: distribution gives {got:.2f} % for {t['codes']}, target {t['id']} "
                f"is {t['pct']:.2f} %"
            )


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
        r = rake_categories(
            score,
            remaining,
            ctx.pop,
            M,
            [k, int((remaining & ctx.pop).sum()) - k],
            bands,
            diffs,
            ctx.max_iter,
        )
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
    cal: Mapping[str, Any],
    factors: Mapping[str, float],
    cond_t: Sequence[dict[str, Any]],
    draw: Callable[[Mapping[str, float]], tuple[np.ndarray, np.ndarray]],
    asked: np.ndarray,
    ctx: _Context,
    where: str,
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
        log.warning(
            "%s: condition targets not bracketed by loadings %s (errors %.3f, %.3f); using %s",
            where,
            cal["range"],
            e_lo,
            e_hi,
            best,
        )
        return best
    for _ in range(int(cal.get("steps", 12))):
        mid = (lo + hi) / 2.0
        e_mid = err(mid)
        if e_mid * e_lo <= 0:
            hi = mid
        else:
            lo, e_lo = mid, e_mid
    return (lo + hi) / 2.0
