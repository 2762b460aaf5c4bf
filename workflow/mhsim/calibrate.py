"""Solving the model parameters (slow; run by ``simulate_calibrate``), ``docs/methods.md`` §4.2-§4.5.

Monte Carlo with common random numbers on a large calibration population (``model.calibration_n``
respondents with the Vedlegg 1 composition). Every evaluation assigns items by rank, so item
marginals are exact and only the dependence parameters move. Per round:

1. instruments whose current-employee item figures are images: a common latent location ``d`` and
   spread ``s`` of the former-employee distributions (``latent.shift_shares``) solved so the
   headline class shares fit (least squares plus a weak pull of ``log s`` towards 0); items with a
   published text share get their own location that hits it (``latent.shift_for_top_share``;
   ranges are clamped into the range);
2. the common loading ``lambda`` of every scale solved for the published alpha (``brentq``; alpha is
   increasing in lambda, §4.2; if even 0.98 is too low the run fails loudly, §4.6);
3. subgroup shifts ``beta`` raked on the probit scale (§4.4 "Several background variables"):
   ``beta += damp * [(Phi^-1(pi_g) - Phi^-1(pi)) - (Phi^-1(hat_g) - Phi^-1(hat))]``, centred per
   variable so the total is unchanged;
4. ``gamma`` of the scales whose report rule needs WSAS impairment (PHQ-9, ITQ) solved so the
   rule's prevalence hits the headline (the ITQ-WSAS link of §4.5); clipped to [0, 0.98] when the
   item marginals cannot reach it (the finite-sample polish then closes the gap).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq, minimize
from scipy.stats import norm

from mhsurvey.codebook import Codebook
from mhsurvey.errors import ConfigError
from mhsurvey.reliability import cronbach_alpha

from .background import generate_background
from .instruments import ScaleTargets, all_scale_targets
from .latent import (
    LatentDraws,
    ScaleModel,
    SurveyModel,
    draw_latent,
    item_latents,
    rank_assign,
    scale_factor,
    shift_for_top_share,
    shift_shares,
)
from .rules import Rule, class_shares
from .targets import Published, largest_remainder

log = logging.getLogger(__name__)

LAMBDA_BOUNDS = (0.05, 0.98)
GAMMA_BOUNDS = (0.0, 0.98)
SHIFT_BOUNDS = (-2.5, 3.0)
RAKING_DAMP = 0.6


def initial_model(survey: str, targets: Mapping[str, ScaleTargets], start_loading: float) -> SurveyModel:
    """Starting values: published (or unshifted base) marginals, a common loading, gamma from config."""
    scales = {}
    for name, st in targets.items():
        scales[name] = ScaleModel(
            name=name,
            items=st.item_names,
            codes=[list(i.codes) for i in st.items],
            marginals=[list(i.shares) for i in st.items],
            loadings=[start_loading] * len(st.items),
            gamma=st.gamma,
            shifts={},
            marginal_source={i.name: ("assumed" if i.assumed else "published") for i in st.items},
        )
    return SurveyModel(survey, scales)


@dataclass
class Population:
    """The calibration population: background, fixed latent draws, rules."""

    background: pd.DataFrame
    draws: LatentDraws
    rules: Mapping[str, Rule]
    impairment: Rule

    def items(self, scale: ScaleModel) -> np.ndarray:
        """Item codes by rank (exact marginals over the whole population)."""
        z = item_latents(scale, scale_factor(scale, self.draws, self.background), self.draws)
        out = np.empty(z.shape)
        for i in range(z.shape[1]):
            counts = largest_remainder(scale.marginals[i], len(z))
            out[:, i] = rank_assign(z[:, i], counts, scale.codes[i])
        return out

    def classes(self, name: str, x: np.ndarray, impaired: np.ndarray | None) -> np.ndarray:
        """Class of every row under the report rule of scale ``name``."""
        return self.rules[name].classify(x, impaired)


def assumed_marginals(st: ScaleTargets, d: float, s: float = 1.0) -> list[list[float]]:
    """Item shares of an assumed scale at common location ``d`` and spread ``s``; text shares
    override the location per item.

    Checks must name top categories (e.g. codes 2-3 of 0-3). A single published share is hit
    exactly; a range ``low-high`` keeps the common location when the share lands at least
    ``margin = min(1, (high - low) / 4)`` inside it, otherwise the item is moved to ``low + margin``
    or ``high - margin``.
    """
    base = {i.name: i for i in st.items}
    shift = {name: d for name in base}
    for chk in st.item_checks:
        for item in chk.items:
            spec = base[item]
            first = spec.codes.index(min(chk.codes))
            if sorted(chk.codes) != sorted(spec.codes[first:]):
                continue
            if chk.low == chk.high:
                shift[item] = shift_for_top_share(spec.shares, first, chk.low, s)
                continue
            top = float(shift_shares(spec.shares, d, s)[first:].sum())
            margin = min(1.0, (chk.high - chk.low) / 4.0)
            if top < chk.low + margin:
                shift[item] = shift_for_top_share(spec.shares, first, chk.low + margin, s)
            elif top > chk.high - margin:
                shift[item] = shift_for_top_share(spec.shares, first, chk.high - margin, s)
    return [list(shift_shares(base[n].shares, shift[n], s)) for n in st.item_names]


def _class1(st: ScaleTargets) -> float | None:
    for c in st.classes:
        if c.cls == 1:
            return c.value
    return None


def _fit_error(st: ScaleTargets, rule: Rule, cls: np.ndarray) -> float:
    shares = class_shares(cls, rule.n_classes)
    if rule.n_classes == 2:
        t = _class1(st)
        return 0.0 if t is None else float((shares[1] - t) ** 2)
    return float(sum((shares[c.cls] - c.value) ** 2 for c in st.classes))


def solve_loading(pop: Population, scale: ScaleModel, alpha: float) -> float:
    """Common loading with Monte Carlo alpha equal to ``alpha`` (``brentq``)."""

    def f(lam: float) -> float:
        scale.loadings = [lam] * len(scale.items)
        return cronbach_alpha(pop.items(scale)) - alpha

    lo, hi = LAMBDA_BOUNDS
    if f(hi) < 0:
        raise ConfigError(
            f"{scale.name}: alpha {alpha} cannot be reached (alpha(lambda={hi}) is lower); "
            "check the item distributions (docs/methods.md §4.6)"
        )
    if f(lo) > 0:
        return lo
    lam = brentq(f, lo, hi, xtol=1e-4)
    scale.loadings = [lam] * len(scale.items)
    return lam


SPREAD_PENALTY = 4.0  # weight of (log s)^2 against squared percentage-point errors


def solve_shift(
    pop: Population,
    scale: ScaleModel,
    st: ScaleTargets,
    impaired: np.ndarray | None,
    start: tuple[float, float] = (0.0, 1.0),
) -> tuple[float, float]:
    """Common location ``d`` and spread ``s`` of an assumed scale minimising the headline error.

    Objective: squared class-share errors (percentage points) ``+ SPREAD_PENALTY * (log s)^2``;
    Nelder-Mead from ``start``, ``s`` searched on the log scale within ``[e^-1, e]``.
    """
    rule = pop.rules[st.name]

    def unpack(p: np.ndarray) -> tuple[float, float]:
        return float(np.clip(p[0], *SHIFT_BOUNDS)), float(np.exp(np.clip(p[1], -1.0, 1.0)))

    def err(p: np.ndarray) -> float:
        d, s = unpack(p)
        scale.marginals = assumed_marginals(st, d, s)
        return (
            _fit_error(st, rule, pop.classes(st.name, pop.items(scale), impaired))
            + SPREAD_PENALTY * p[1] ** 2
        )

    x0 = np.array([start[0], np.log(start[1])])
    res = minimize(
        err,
        x0,
        method="Nelder-Mead",
        options={
            "xatol": 2e-3,
            "fatol": 1e-3,
            "maxiter": 200,
            "initial_simplex": [x0, x0 + [0.3, 0.0], x0 + [0.0, 0.2]],
        },
    )
    d, s = unpack(res.x)
    scale.marginals = assumed_marginals(st, d, s)
    return d, s


def solve_gamma(pop: Population, scale: ScaleModel, st: ScaleTargets, impaired: np.ndarray) -> float:
    """Gamma with the rule prevalence (symptoms AND impairment) equal to the headline."""
    target = _class1(st)
    if target is None:
        return scale.gamma

    def f(g: float) -> float:
        scale.gamma = g
        return class_shares(pop.classes(st.name, pop.items(scale), impaired), 2)[1] - target

    lo, hi = GAMMA_BOUNDS
    f_lo, f_hi = f(lo), f(hi)
    if f_hi < 0:
        scale.gamma = hi
    elif f_lo > 0:
        scale.gamma = lo
    else:
        scale.gamma = float(brentq(f, lo, hi, xtol=1e-4))
    return scale.gamma


def _probit(p_pct: float) -> float:
    return float(norm.ppf(min(max(p_pct / 100.0, 1e-4), 1 - 1e-4)))


def rake_shifts(
    pop: Population,
    model: SurveyModel,
    targets: Mapping[str, ScaleTargets],
    variables: list[str],
    iterations: int,
) -> None:
    """Probit raking of the subgroup shifts of every scale with subgroup targets (in place)."""
    bg = pop.background
    for _ in range(iterations):
        impaired = (
            pop.impairment.classify(pop.items(model.scales["wsas"])) if "wsas" in model.scales else None
        )
        for name, st in targets.items():
            subs = [s for s in st.subgroups if s.cls == 1 and s.var in variables]
            total = _class1(st)
            if not subs or total is None:
                continue
            scale = model.scales[name]
            rule = pop.rules[name]
            cls = pop.classes(name, pop.items(scale), impaired if rule.impairment else None)
            hat_total = class_shares(cls, 2)[1]
            for s in subs:
                col = bg[s.var].to_numpy(dtype=float, na_value=np.nan)
                g = np.isin(col, [float(c) for c in s.codes])
                hat = class_shares(cls[g], 2)[1]
                gap = (_probit(s.value) - _probit(total)) - (_probit(hat) - _probit(hat_total))
                table = scale.shifts.setdefault(s.var, {})
                for c in s.codes:
                    table[c] = table.get(c, 0.0) + RAKING_DAMP * gap
            for var, table in scale.shifts.items():
                col = bg[var].to_numpy(dtype=float, na_value=np.nan)
                weights = {c: float((col == c).sum()) for c in table}
                tot_w = sum(weights.values())
                if tot_w > 0:
                    mean = sum(table[c] * weights[c] for c in table) / tot_w
                    for c in table:
                        table[c] -= mean


def fit_summary(pop: Population, model: SurveyModel, targets: Mapping[str, ScaleTargets]) -> dict[str, Any]:
    """Monte Carlo alpha and class shares of the calibrated model (stored in the model's meta)."""
    out: dict[str, Any] = {}
    impaired = pop.impairment.classify(pop.items(model.scales["wsas"])) if "wsas" in model.scales else None
    for name, scale in model.scales.items():
        x = pop.items(scale)
        rule = pop.rules[name]
        shares = class_shares(pop.classes(name, x, impaired if rule.impairment else None), rule.n_classes)
        out[name] = {
            "alpha": round(cronbach_alpha(x), 4),
            "class_shares": [round(float(v), 2) for v in shares],
            "targets": {str(c.cls): c.value for c in targets[name].classes},
        }
    return out


def calibrate_model(
    cfg: Mapping[str, Any],
    published: Published,
    codebook: Codebook,
    rules: Mapping[str, Rule],
    impairment: Rule,
    version: str,
) -> SurveyModel:
    """Solve every model parameter of one survey (see the module docstring)."""
    mcfg = cfg["model"]
    targets = all_scale_targets(cfg, published, codebook)
    rng = np.random.default_rng(int(mcfg["calibration_seed"]))
    n_cal = int(mcfg["calibration_n"])
    background = generate_background(n_cal, cfg["background"], published, codebook, rng)
    model = initial_model(cfg["survey"], targets, float(mcfg["start_loading"]))
    pop = Population(background, draw_latent(n_cal, model, rng), rules, impairment)
    variables = list(mcfg.get("shift_variables", []))
    shifts_d: dict[str, tuple[float, float]] = {}
    order = ["wsas"] + [n for n in model.scales if n != "wsas"]
    for rnd in range(int(mcfg["rounds"])):
        impaired = None
        for name in order:
            scale, st = model.scales[name], targets[name]
            rule = rules[name]
            imp = impaired if rule.impairment else None
            if st.assumed_marginals:
                for _ in range(2):
                    shifts_d[name] = solve_shift(pop, scale, st, imp, shifts_d.get(name, (0.0, 1.0)))
                    solve_loading(pop, scale, st.alpha)
            else:
                solve_loading(pop, scale, st.alpha)
            if name == "wsas":
                impaired = impairment.classify(pop.items(scale))
        if variables and int(mcfg["raking_iterations"]) > 0:
            rake_shifts(pop, model, targets, variables, int(mcfg["raking_iterations"]))
            for name in order:  # the shifts change the factor variance, so re-solve alpha
                solve_loading(pop, model.scales[name], targets[name].alpha)
        impaired = impairment.classify(pop.items(model.scales["wsas"]))
        for name in order:
            if targets[name].calibrate_gamma:
                solve_gamma(pop, model.scales[name], targets[name], impaired)
        log.info(
            "calibration round %d: %s",
            rnd + 1,
            {n: (round(s.loadings[0], 3), round(s.gamma, 3)) for n, s in model.scales.items()},
        )
    model.meta = {
        "generator_version": version,
        "calibration_seed": int(mcfg["calibration_seed"]),
        "calibration_n": n_cal,
        "assumed_location_spread": {k: [round(v[0], 4), round(v[1], 4)] for k, v in shifts_d.items()},
        "monte_carlo_fit": fit_summary(pop, model, targets),
    }
    return model
