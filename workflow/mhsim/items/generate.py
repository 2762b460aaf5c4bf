"""Public entry point of the generator: all chapter-2 columns of one survey.

Part of :mod:`mhsim.items` (model: that package's docstring and docs/methods.md §4.3-4.4).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from mhsurvey.codebook import Codebook
from mhsurvey.errors import ConfigError

from ..targets import Published
from .context import _Context, _exposure, _standardise, condition_proxies, population_mask
from .multi import _generate_multi
from .ordinal import _generate_ordinal
from .spec import _block_items, _ensure_resolved


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
    ctx = _Context(
        frame=frame,
        env=env,
        pop=pop,
        rng=rng,
        codebook=codebook,
        spec=spec,
        targets=list(spec["targets"]),
        proxies=proxies,
        max_iter=int((spec.get("raking") or {}).get("max_iter", 60)),
    )
    for block in spec["generate"]:
        if block["model"] == "multi":
            _generate_multi(block, ctx)
        elif block["model"] == "ordinal":
            for column, cfg in block["items"].items():
                _generate_ordinal(column, cfg, block, ctx)
        else:
            raise ConfigError(f"unknown model {block['model']!r}")
    cols = generated_columns(spec, codebook)
    out = pd.DataFrame(
        {
            c: pd.array(np.round(ctx.frame[c].to_numpy(dtype=float, na_value=np.nan)), dtype="Int64")
            for c in cols
        }
    )
    out.index = background.index
    return out
