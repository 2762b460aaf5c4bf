"""Latent-variable model of the instruments (``docs/methods.md`` §4.2, §4.4, §4.5).

Per respondent ``j`` and scale ``s``::

    E_j  ~ N(0, 1)                                  common ("higher-order") distress
    F_sj = m_sj + gamma_s * E_j + sqrt(1 - gamma_s^2) * U_sj,   U_sj ~ N(0, 1)
    m_sj = sum_v beta_sv[level_v(j)]                additive subgroup shifts (gender, form, ...)
    Z_ij = lambda_i * F_sj + sqrt(1 - lambda_i^2) * eps_ij
    X_ij = category of Z_ij by rank, with exactly the target count per category

so ``corr(F_s, F_t) = gamma_s * gamma_t`` within a subgroup (§4.5), group effects sit on the latent
factor (§4.4, additive over background variables because the report publishes only one-way
tables), and item marginals are hit exactly in the finite sample by rank assignment (§4.3 step 2,
the empirical-threshold version of ``tau_ik = Phi^-1(C_ik)``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from .targets import largest_remainder


def thresholds_from_shares(shares: Sequence[float]) -> np.ndarray:
    """Latent thresholds ``tau_k = Phi^-1(C_k)`` with ``C_k`` the cumulative share below category k.

    ``shares`` are the category percentages (any positive total; normalised). Returns ``K - 1``
    thresholds for ``K`` categories (``docs/methods.md`` §4.2 "Thresholds").

    >>> thresholds_from_shares([50, 50]).round(6).tolist()
    [0.0]
    """
    p = np.asarray(shares, dtype=float)
    c = np.cumsum(p / p.sum())[:-1]
    return norm.ppf(np.clip(c, 1e-12, 1 - 1e-12))


def shift_shares(shares: Sequence[float], d: float, s: float = 1.0) -> np.ndarray:
    """Category shares after moving the latent variable to ``d + s * Z`` (Z standard normal).

    ``P(X < k) = Phi((tau_k - d) / s)`` with ``tau_k`` from :func:`thresholds_from_shares`;
    ``d > 0`` moves answers up, ``s < 1`` concentrates them in the middle categories. Returns
    percentages summing to 100. Used for instruments whose current-employee item figures are
    images: the former-employee distribution is moved to hit the current targets (an assumption
    recorded in the config).
    """
    tau = thresholds_from_shares(shares)
    cum = np.concatenate([[0.0], norm.cdf((tau - d) / s), [1.0]])
    return 100.0 * np.diff(cum)


def shift_for_top_share(shares: Sequence[float], top_from: int, target_pct: float, s: float = 1.0) -> float:
    """Shift ``d`` such that the share of categories ``>= top_from`` becomes ``target_pct``.

    Solves ``1 - Phi((tau_{top_from} - d) / s) = t``: ``d = tau_{top_from} - s * Phi^-1(1 - t)``.
    """
    tau = thresholds_from_shares(shares)
    t = min(max(target_pct / 100.0, 1e-6), 1 - 1e-6)
    return float(tau[top_from - 1] - s * norm.ppf(1.0 - t))


def rank_assign(z: np.ndarray, counts: Sequence[int], codes: Sequence[int]) -> np.ndarray:
    """Assign ``codes`` by the rank of ``z``: the lowest ``counts[0]`` values get ``codes[0]``, ...

    Exact finite-sample matching (``docs/methods.md`` §4.3 step 2): the category counts equal
    ``counts`` whatever ``z`` is; ``z`` only decides who gets which category. Ties are broken by
    position (``argsort`` is stable), which is deterministic.
    """
    z = np.asarray(z, dtype=float)
    if int(np.sum(counts)) != len(z):
        raise ValueError(f"counts sum to {int(np.sum(counts))}, but there are {len(z)} values")
    order = np.argsort(z, kind="stable")
    out = np.empty(len(z), dtype=float)
    out[order] = np.repeat(np.asarray(codes, dtype=float), np.asarray(counts, dtype=int))
    return out


@dataclass
class ScaleModel:
    """Calibrated parameters of one instrument (scale)."""

    name: str
    items: list[str]
    codes: list[list[int]]  # substantive codes per item, in order
    marginals: list[list[float]]  # target percentages per item and code
    loadings: list[float]
    gamma: float
    shifts: dict[str, dict[int, float]] = field(default_factory=dict)
    marginal_source: dict[str, str] = field(default_factory=dict)

    def shift_vector(self, background: pd.DataFrame) -> np.ndarray:
        """``m_sj = sum_v beta_sv[level_v(j)]`` (missing or unlisted levels contribute 0)."""
        m = np.zeros(len(background))
        for var, table in self.shifts.items():
            col = background[var].to_numpy(dtype=float, na_value=np.nan)
            for code, beta in table.items():
                m += np.where(col == float(code), beta, 0.0)
        return m

    def to_json(self) -> dict[str, Any]:
        """JSON-serialisable dict (integer keys as strings)."""
        return {
            "items": self.items,
            "codes": self.codes,
            "marginals": [[float(v) for v in m] for m in self.marginals],
            "loadings": [float(v) for v in self.loadings],
            "gamma": float(self.gamma),
            "shifts": {v: {str(c): float(b) for c, b in sorted(t.items())} for v, t in self.shifts.items()},
            "marginal_source": self.marginal_source,
        }

    @classmethod
    def from_json(cls, name: str, data: Mapping[str, Any]) -> ScaleModel:
        """Inverse of :meth:`to_json`."""
        return cls(
            name=name,
            items=list(data["items"]),
            codes=[list(map(int, c)) for c in data["codes"]],
            marginals=[list(map(float, m)) for m in data["marginals"]],
            loadings=list(map(float, data["loadings"])),
            gamma=float(data["gamma"]),
            shifts={v: {int(c): float(b) for c, b in t.items()} for v, t in data.get("shifts", {}).items()},
            marginal_source=dict(data.get("marginal_source", {})),
        )


@dataclass
class SurveyModel:
    """All calibrated instrument parameters of one survey (``data/synthetic/<survey>_model.json``)."""

    survey: str
    scales: dict[str, ScaleModel]
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON-serialisable dict; scale order is kept in ``scale_order``."""
        return {
            "survey": self.survey,
            "scale_order": list(self.scales),
            "scales": {k: s.to_json() for k, s in self.scales.items()},
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SurveyModel:
        """Inverse of :meth:`to_json`."""
        return cls(
            survey=data["survey"],
            scales={k: ScaleModel.from_json(k, data["scales"][k]) for k in data["scale_order"]},
            meta=dict(data.get("meta", {})),
        )

    def dumps(self) -> str:
        """Deterministic JSON text (sorted keys, floats rounded to 10 significant digits)."""
        return json.dumps(_round_floats(self.to_json()), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _round_floats(obj: Any) -> Any:
    if isinstance(obj, float):
        return float(f"{obj:.10g}")
    if isinstance(obj, dict):
        return {k: _round_floats(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round_floats(v) for v in obj]
    return obj


@dataclass
class LatentDraws:
    """The random parts of the model for ``n`` respondents (fixed for common random numbers)."""

    common: np.ndarray  # E, shape (n,)
    unique: dict[str, np.ndarray]  # U_s, shape (n,)
    errors: dict[str, np.ndarray]  # eps, shape (n, k_s)


def draw_latent(n: int, model: SurveyModel, rng: np.random.Generator) -> LatentDraws:
    """Draw ``E``, ``U_s`` and ``eps_s`` in a fixed order (scale order of the model)."""
    common = rng.standard_normal(n)
    unique, errors = {}, {}
    for name, scale in model.scales.items():
        unique[name] = rng.standard_normal(n)
        errors[name] = rng.standard_normal((n, len(scale.items)))
    return LatentDraws(common, unique, errors)


def scale_factor(scale: ScaleModel, draws: LatentDraws, background: pd.DataFrame) -> np.ndarray:
    """``F_s = m_s + gamma_s E + sqrt(1 - gamma_s^2) U_s``."""
    g = scale.gamma
    return scale.shift_vector(background) + g * draws.common + np.sqrt(1.0 - g * g) * draws.unique[scale.name]


def item_latents(scale: ScaleModel, factor: np.ndarray, draws: LatentDraws) -> np.ndarray:
    """``Z_i = lambda_i F_s + sqrt(1 - lambda_i^2) eps_i`` for every item, shape (n, k)."""
    lam = np.asarray(scale.loadings, dtype=float)
    return factor[:, None] * lam[None, :] + draws.errors[scale.name] * np.sqrt(1.0 - lam * lam)[None, :]


def assign_items(
    scale: ScaleModel, z: np.ndarray, parts: Sequence[np.ndarray], missing: np.ndarray | None = None
) -> np.ndarray:
    """Item codes from latent values with exact counts within each part of the sample.

    ``parts`` are disjoint boolean row masks (e.g. target group and out-of-target respondents);
    within each, the substantive answers of item ``i`` (rows not flagged in ``missing[:, i]``)
    get ``largest_remainder(marginal_i, n)`` codes by rank. Missing cells stay NaN.
    """
    n, k = z.shape
    out = np.full((n, k), np.nan)
    miss = np.zeros((n, k), dtype=bool) if missing is None else missing
    for i in range(k):
        for part in parts:
            rows = np.flatnonzero(part & ~miss[:, i])
            if len(rows) == 0:
                continue
            counts = largest_remainder(scale.marginals[i], len(rows))
            out[rows, i] = rank_assign(z[rows, i], counts, scale.codes[i])
    return out


def distress_factor(model: SurveyModel, draws: LatentDraws, background: pd.DataFrame) -> np.ndarray:
    """The higher-order distress factor handed to the chapter-2 generator.

    ``G = standardise(E + mean_s m_s)``: the common factor plus the average subgroup shift of the
    scales, standardised to mean 0 and SD 1 over the sample (standard normal overall).
    """
    shift = (
        np.mean([s.shift_vector(background) for s in model.scales.values()], axis=0) if model.scales else 0.0
    )
    g = draws.common + shift
    return (g - g.mean()) / g.std()
