"""Background variables with the sample composition of Vedlegg 1 (``docs/methods.md`` §4.4).

Every one-way margin is integerised exactly (largest remainder, :func:`targets.largest_remainder`)
and assigned by a random permutation, which is the integerised IPF solution when only one-way
margins are published (IPF started from independence keeps independence). The relationships the
report states are built in on top:

* nested questions (``asked_if``): security level exists only for prison staff (``form == 2``);
* a published conditional distribution (``conditional``): the tenure make-up of leaders (18 % have
  16-20 years, 32 % more than 20 years, ``ch2_current.csv`` rows ``cur_inc_leader_tenure_*``), so
  leader roles are more common with longer tenure while the tenure margin stays exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from mhsurvey.codebook import Codebook
from mhsurvey.errors import ConfigError

from .targets import Published, largest_remainder, resolve_value


def variable_shares(var: str, spec: Mapping[str, Any], published: Published) -> tuple[list[int], list[float]]:
    """Codes and target shares (percent) of one background variable from its config entry."""
    codes = [int(s["code"]) for s in spec["shares"]]
    shares = [resolve_value(s, published, f"background.{var} code {s['code']}") for s in spec["shares"]]
    return codes, shares


def _eligible(frame: pd.DataFrame, spec: Mapping[str, Any]) -> np.ndarray:
    cond = spec.get("asked_if")
    if not cond:
        return np.ones(len(frame), dtype=bool)
    col = frame[cond["column"]].to_numpy(dtype=float, na_value=np.nan)
    return np.isin(col, [float(c) for c in cond["codes"]])


def _assign_exact(
    rng: np.random.Generator, codes: list[int], counts: np.ndarray, extra: list[tuple[int, int]], n: int
) -> np.ndarray:
    """A random permutation of ``counts[k]`` copies of ``codes[k]`` plus ``extra`` (code, count)."""
    values = np.concatenate([np.repeat(codes, counts)] + [np.repeat([c], k) for c, k in extra]).astype(float)
    if len(values) != n:
        raise ConfigError(f"internal: {len(values)} codes for {n} rows")
    return rng.permutation(values)


def _conditional_assign(
    rng: np.random.Generator,
    frame: pd.DataFrame,
    eligible: np.ndarray,
    var: str,
    spec: Mapping[str, Any],
    counts: dict[int, int],
    published: Published,
) -> np.ndarray:
    """Assign ``var`` so that the distribution of ``conditional.column`` among ``given_code`` matches.

    Published shares of some levels of the other column among ``var == given_code`` are used as
    given; the rest of that group is spread over the other levels in proportion to their overall
    counts. Counts per level come from the largest-remainder method.
    """
    cond = spec["conditional"]
    other = frame[cond["column"]].to_numpy(dtype=float, na_value=np.nan)
    given = int(cond["given_code"])
    n_given = counts[given]
    levels = sorted(int(v) for v in np.unique(other[eligible & ~np.isnan(other)]))
    fixed = {
        int(s["code"]): resolve_value(s, published, f"background.{var}.conditional") for s in cond["shares"]
    }
    free = [lv for lv in levels if lv not in fixed]
    level_n = {lv: int(((other == lv) & eligible).sum()) for lv in levels}
    rest_share = 100.0 - sum(fixed.values())
    free_total = sum(level_n[lv] for lv in free)
    shares = [fixed[lv] if lv in fixed else rest_share * level_n[lv] / free_total for lv in levels]
    per_level = dict(zip(levels, largest_remainder(shares, n_given), strict=True))
    out = np.full(len(frame), np.nan)
    remaining_codes = [c for c in counts if c != given]
    if len(remaining_codes) != 1:
        raise ConfigError(f"background.{var}.conditional supports a yes/no variable only")
    for lv in levels:
        rows = np.flatnonzero((other == lv) & eligible)
        if per_level[lv] > len(rows):
            raise ConfigError(
                f"background.{var}: {per_level[lv]} of level {lv} wanted, only {len(rows)} rows"
            )
        chosen = rng.permutation(rows)
        out[chosen[: per_level[lv]]] = given
        out[chosen[per_level[lv] :]] = remaining_codes[0]
    return out


def generate_background(
    n: int,
    spec: Mapping[str, Any],
    published: Published,
    codebook: Codebook,
    rng: np.random.Generator,
    nonsubstantive_scale: float = 1.0,
) -> pd.DataFrame:
    """Background table of ``n`` respondents with exactly integerised Vedlegg 1 margins.

    ``spec`` is the ``background`` block of the simulation config: one entry per canonical column
    (in generation order) with ``shares`` (list of ``{code, source | value+assumed}``), optional
    ``asked_if: {column, codes}`` (nested question, empty elsewhere), ``nonsubstantive:
    [{code, n}]`` (exact counts of e.g. "Ønsker ikke svare", multiplied by
    ``nonsubstantive_scale`` and rounded for groups smaller than the analysed sample) and
    ``conditional`` (see :func:`_conditional_assign`). Columns are float with NaN where not asked.
    """
    frame = pd.DataFrame(index=pd.RangeIndex(n))
    for var, vspec in spec.items():
        if not codebook.has_column(var):
            raise ConfigError(f"background variable {var!r} is not a column of codebook {codebook.path}")
        codes, shares = variable_shares(var, vspec, published)
        valid = codebook.column(var).valid_codes()
        extra = [
            (int(e["code"]), int(np.floor(int(e["n"]) * nonsubstantive_scale + 0.5)))
            for e in vspec.get("nonsubstantive", [])
        ]
        for c in codes + [c for c, _ in extra]:
            if c not in valid:
                raise ConfigError(f"background.{var}: code {c} is not defined in the codebook")
        eligible = _eligible(frame, vspec)
        n_elig = int(eligible.sum())
        n_sub = n_elig - sum(k for _, k in extra)
        counts = dict(zip(codes, largest_remainder(shares, n_sub), strict=True))
        if "conditional" in vspec:
            if extra:
                raise ConfigError(
                    f"background.{var}: nonsubstantive codes are not supported with conditional"
                )
            values = _conditional_assign(rng, frame, eligible, var, vspec, counts, published)
        else:
            values = np.full(n, np.nan)
            values[eligible] = _assign_exact(rng, codes, np.array([counts[c] for c in codes]), extra, n_elig)
        frame[var] = values
    return frame
