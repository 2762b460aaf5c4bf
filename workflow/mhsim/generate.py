"""Seeded generation of one survey's respondents (canonical codes and free text).

Composition: background (:mod:`.background`) for the analysed respondents, the out-of-target
respondents and the respondents who will break off (``partial``), each group integerised on its
own so the analysed sample keeps the exact Vedlegg 1 counts; the instruments (:mod:`.instruments`)
from the calibrated model; the chapter-2 questions from :func:`.items.generate_items` (the
distress factor ``G`` links them to the instruments); free text (:mod:`.comments`). Every component
draws from its own child generator ``default_rng([seed, component])``, so adding draws to one
component never changes another.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mhsurvey.codebook import Codebook

from .background import generate_background
from .comments import generate_comments
from .instruments import NONSUBSTANTIVE_CODE, ScaleTargets, all_scale_targets, generate_instruments
from .items import generate_items
from .latent import SurveyModel, distress_factor, draw_latent
from .rules import Rule
from .targets import Published, resolve_value

log = logging.getLogger(__name__)

GENERATOR_VERSION = "1.0.0"

# Child-generator ids (never renumber: that would change every export).
COMPONENTS = {
    "background": 1,
    "outside": 2,
    "partial": 3,
    "latent": 4,
    "nonsubstantive": 5,
    "polish": 6,
    "items": 7,
    "comments": 8,
    "quirks": 9,
    "export": 10,
}

ROLE_TARGET, ROLE_OUTSIDE, ROLE_PARTIAL = "target", "outside", "partial"


def child_rng(seed: int, component: str) -> np.random.Generator:
    """Independent generator of one component: ``default_rng([seed, COMPONENTS[component]])``."""
    return np.random.default_rng([int(seed), COMPONENTS[component]])


@dataclass
class SimulationInputs:
    """Everything the generator reads (parsed and validated)."""

    cfg: Mapping[str, Any]
    published: Published
    codebook: Codebook
    rules: Mapping[str, Rule]
    impairment: Rule
    model: SurveyModel
    items_spec: Mapping[str, Any] | None = None
    scoring: Mapping[str, Any] | None = None  # parsed config/scoring.yaml (for the calibration table)


@dataclass
class GeneratedSurvey:
    """Canonical answers of every generated respondent (before export quirks)."""

    codes: pd.DataFrame  # canonical non-text columns (float, NaN = empty), codebook order
    text: pd.DataFrame  # free-text columns (object, None = empty)
    role: np.ndarray  # ROLE_TARGET / ROLE_OUTSIDE / ROLE_PARTIAL per row
    distress: np.ndarray
    report: dict[str, Any] = field(default_factory=dict)


def sample_sizes(
    cfg: Mapping[str, Any], published: Published, n_respondents: int | None = None
) -> tuple[int, int, int]:
    """``(n_target, n_outside, n_partial)`` from the config.

    ``n_respondents`` (default: the configured ``sample.n_respondents``) sets another survey size,
    e.g. for the scale benchmark (benchmarks/scale.py): the three groups are scaled by
    ``s = n_respondents / configured n_respondents``, ``n_target' = floor(s * n_target + 1/2)``,
    ``n_outside' = n_respondents - n_target'``, ``n_partial' = floor(s * n_partial + 1/2)``.
    """
    s = cfg["sample"]
    n_target = int(resolve_value(s["n_target"], published, "sample.n_target"))
    n_resp = int(resolve_value(s["n_respondents"], published, "sample.n_respondents"))
    n_partial = int(cfg["quirks"]["partial"])
    if n_respondents is not None and int(n_respondents) != n_resp:
        scale = int(n_respondents) / n_resp
        n_target, n_partial, n_resp = (
            int(scale * n_target + 0.5),
            int(scale * n_partial + 0.5),
            int(n_respondents),
        )
    return n_target, n_resp - n_target, n_partial


def generate_survey(inp: SimulationInputs, seed: int, n_respondents: int | None = None) -> GeneratedSurvey:
    """Generate all respondents of one survey deterministically from ``seed``
    (``n_respondents``: another survey size, see :func:`sample_sizes`)."""
    cfg, cb = inp.cfg, inp.codebook
    n_target, n_out, n_partial = sample_sizes(cfg, inp.published, n_respondents)
    s = cfg["sample"]
    groups = [
        (ROLE_TARGET, n_target, "background"),
        (ROLE_OUTSIDE, n_out, "outside"),
        (ROLE_PARTIAL, n_partial, "partial"),
    ]
    frames, roles = [], []
    for role, n, comp in groups:
        if n <= 0:
            continue
        bg = generate_background(
            n, cfg["background"], inp.published, cb, child_rng(seed, comp), nonsubstantive_scale=n / n_target
        )
        bg[s["target_column"]] = float(s["outside_code"] if role == ROLE_OUTSIDE else s["target_code"])
        frames.append(bg)
        roles += [role] * n
    background = pd.concat(frames, ignore_index=True)
    role = np.array(roles)
    n = len(background)
    parts = [role == r for r in (ROLE_TARGET, ROLE_OUTSIDE, ROLE_PARTIAL) if (role == r).any()]
    target_rows = role == ROLE_TARGET

    targets: dict[str, ScaleTargets] = all_scale_targets(cfg, inp.published, cb)
    draws = draw_latent(n, inp.model, child_rng(seed, "latent"))
    z = float(cfg["checks"]["subgroup_z"])
    ins = generate_instruments(
        inp.model,
        targets,
        inp.rules,
        inp.impairment,
        background,
        draws,
        parts,
        target_rows,
        cfg["polish"],
        z,
        child_rng(seed, "nonsubstantive"),
        child_rng(seed, "polish"),
    )
    distress = distress_factor(inp.model, draws, background)

    report: dict[str, Any] = {
        "polish": ins.report,
        "n": {"target": n_target, "outside": n_out, "partial": n_partial},
    }
    chapter2 = None
    if inp.items_spec is not None:
        bg_int = background.astype("Int64")
        # Partial submissions are dropped by cleaning, so they must not count in the calibration
        # population of the chapter-2 items (else routed bases such as n = 1206 drift by a few).
        bg_int.loc[role == ROLE_PARTIAL, s["target_column"]] = int(s["outside_code"])
        chapter2 = generate_items(
            bg_int, distress, inp.items_spec, cb, child_rng(seed, "items"), published=inp.published
        )
    else:
        report["chapter2_missing"] = "no chapter-2 spec (<survey>_items.yaml): chapter-2 columns left empty"
        log.warning(report["chapter2_missing"])

    columns: dict[str, np.ndarray] = {}
    for col in cb.columns:
        if col.name in background.columns:
            columns[col.name] = background[col.name].to_numpy(dtype=float)
        elif col.name in ins.items.columns:
            values = ins.items[col.name].to_numpy(dtype=float)
            columns[col.name] = np.where(
                ins.nonsubstantive[col.name].to_numpy(), float(NONSUBSTANTIVE_CODE), values
            )
        elif chapter2 is not None and col.name in chapter2.columns:
            columns[col.name] = chapter2[col.name].to_numpy(dtype=float, na_value=np.nan)
        else:
            columns[col.name] = np.full(n, np.nan)
    codes = pd.DataFrame(columns, index=pd.RangeIndex(n))
    codes, text, comment_report = generate_comments(
        codes, cb, cfg["comments"], inp.published, target_rows, child_rng(seed, "comments")
    )
    report["comments"] = comment_report
    return GeneratedSurvey(codes=codes, text=text, role=role, distress=distress, report=report)
