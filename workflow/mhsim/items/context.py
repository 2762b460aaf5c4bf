"""Populations, levels, latent scores and target bands shared by the ordinal and multi-select generators.

Part of :mod:`mhsim.items` (model: that package's docstring and docs/methods.md §4.3-4.4).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mhsurvey.codebook import Codebook
from mhsurvey.errors import ConfigError

from .raking import Band, Diff, cut_for_count
from .spec import CONDITION, TOTAL

_NOISE_FLOOR = 0.05  # minimum unique variance of a latent score (keeps every item stochastic)


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


def condition_proxies(
    distress: np.ndarray, spec: Mapping[str, Any], pop: np.ndarray | None = None
) -> pd.DataFrame:
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


def latent_score(
    factors: Mapping[str, float], env: Mapping[str, np.ndarray], noise: np.ndarray
) -> np.ndarray:
    """``S = sum_f a_f Z_f + sqrt(max(1 - sum_f a_f^2, 0.05)) * noise`` (``docs/methods.md`` §4.2/§4.5).

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


def _exposure(
    background: pd.DataFrame, distress: np.ndarray, spec: Mapping[str, Any], rng: np.random.Generator
) -> np.ndarray:
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
