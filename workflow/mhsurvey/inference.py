"""Stage 04 inference: pure functions for shares, intervals, tests and multiplicity.

* share, Wald margins and the Wilson score interval of a proportion (:func:`proportion_stats`);
* pooled two-proportion z-test of a subgroup against the rest of the sample and Haberman's
  adjusted residual (``docs/methods.md`` §2);
* Pearson chi-square of a table, ``scipy.stats.chi2_contingency(correction=False)``;
* Holm and Benjamini-Hochberg adjusted p-values (``statsmodels.stats.multitest.multipletests``).

A leaf of stage 04: it imports only :mod:`mhsurvey.margins` and the errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import chdtrc, ndtr, ndtri

from .errors import ConfigError
from .margins import moe, z_for_confidence

ADJUST_METHODS = {"holm": "holm", "fdr_bh": "fdr_bh"}


def proportion_stats(
    count: np.ndarray, n: np.ndarray, z_report: float, confidence: float
) -> dict[str, np.ndarray]:
    """Share and uncertainty of ``count`` successes out of ``n`` (arrays), in percent / points.

    * ``pct`` = 100 · count / n;
    * ``moe_report`` = 100 · z_report · √(p(1 − p)/n) (report's Wald formula, ``docs/methods.md`` §1);
    * ``moe`` = 100 · z · √(p(1 − p)/n), z = Φ⁻¹(1 − (1 − confidence)/2);
    * ``wilson_low``/``wilson_high`` = 100 · Wilson score bounds (:func:`wilson_interval`, the
      formula of statsmodels ``proportion_confint(method="wilson")``).

    ``n = 0`` gives NaN everywhere.
    """
    count = np.asarray(count, dtype=float)
    n = np.asarray(n, dtype=float)
    ok = n > 0
    safe_n = np.where(ok, n, 1.0)
    p = np.where(ok, count / safe_n, np.nan)
    lo, hi = wilson_interval(count, safe_n, confidence)
    return {
        "pct": 100.0 * p,
        "moe_report": 100.0 * np.where(ok, moe(p, safe_n, z_report), np.nan),
        "moe": 100.0 * np.where(ok, moe(p, safe_n, z_for_confidence(confidence)), np.nan),
        "wilson_low": 100.0 * np.where(ok, lo, np.nan),
        "wilson_high": 100.0 * np.where(ok, hi, np.nan),
    }


def wilson_interval(count: np.ndarray, n: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of ``count`` out of ``n`` (arrays, n > 0), proportions clipped to [0, 1].

    With q = count/n and c = Φ⁻¹(1 − (1 − confidence)/2): centre (q + c²/2n)/(1 + c²/n),
    half-width c √(q(1 − q)/n + c²/4n²)/(1 + c²/n) (Wilson 1927). The operations are those of
    statsmodels ``proportion_confint(method="wilson")`` in the same order, so the bounds agree
    to the last bit (``tests/test_inference_arrays.py``); one array call replaces one call per table.
    """
    count_a = np.asarray(count, dtype=float).astype(np.int64)
    nobs_a = np.asarray(n, dtype=float).astype(np.int64)
    q_ = count_a / nobs_a
    crit = -ndtri((1.0 - confidence) / 2.0)  # scipy.stats.norm.isf
    crit2 = crit**2
    denom = 1 + crit2 / nobs_a
    center = (q_ + crit2 / (2 * nobs_a)) / denom
    dist = crit * np.sqrt(q_ * (1.0 - q_) / nobs_a + crit2 / (4.0 * nobs_a**2))
    dist /= denom
    return np.clip(center - dist, 0, 1), np.clip(center + dist, 0, 1)


def z_test_vs_rest(x_g: int, n_g: int, x_total: int, n_total: int) -> tuple[float, float]:
    """Pooled two-proportion z-test of subgroup g against the rest of the sample (two-sided).

    ``proportions_ztest([x_g, x_T − x_g], [n_g, N − n_g])`` (pooled variance, ``value=None``).
    Returns ``(z, p)``; NaN when a side is empty or the pooled share is 0 or 1 (no variance).
    """
    n_rest = n_total - n_g
    if n_g <= 0 or n_rest <= 0 or x_total <= 0 or x_total >= n_total:
        return np.nan, np.nan
    from statsmodels.stats.proportion import proportions_ztest  # the reference: not imported by the stage

    z, p = proportions_ztest(np.array([x_g, x_total - x_g]), np.array([n_g, n_rest]))
    return float(z), float(p)


def adjusted_residual(x_g: float, n_g: float, x_total: float, n_total: float) -> float:
    """Haberman's adjusted standardized residual of cell (g, yes), closed form (``docs/methods.md`` §2).

    r = (O − E)/√(E (1 − n_g/N)(1 − p_T)) with O = x_g, E = n_g p_T, p_T = x_T/N; identical to
    (p_g − p_T)/√(p_T(1 − p_T)(1/n_g − 1/N)) and to the pooled z of g vs the rest.
    """
    p_t = x_total / n_total
    expected = n_g * p_t
    return float((x_g - expected) / np.sqrt(expected * (1.0 - n_g / n_total) * (1.0 - p_t)))


@dataclass(frozen=True)
class ChiSquare:
    """Omnibus test of the whole table: statistic, degrees of freedom, p, share of E < 5, smallest E."""

    statistic: float
    dof: float  # NaN when the table has fewer than 2 x 2 non-empty lines
    p_value: float
    share_expected_lt5: float
    min_expected: float = np.nan


def chi_square(counts: np.ndarray) -> ChiSquare:
    """Pearson chi-square of independence on a G × K table, no Yates correction.

    ``scipy.stats.chi2_contingency(observed, correction=False)`` after dropping all-zero rows and
    columns (they carry no information and would give zero expected counts). Fewer than 2 × 2
    non-empty rows/columns gives NaN. ``min_expected`` is the smallest expected count
    E_gk = n_g· n_·k / N of the table tested (Cochran 1954 asks E ≥ 5 for the approximation).
    """
    t = np.asarray(counts, dtype=float)
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    if t.shape[0] < 2 or t.shape[1] < 2:
        return ChiSquare(np.nan, np.nan, np.nan, np.nan)
    # the operations of scipy's chi2_contingency / power_divergence, without their per-call
    # overhead: E = (row sums)(column sums)/N, X² = Σ (O − E)²/E, p = chdtrc(dof, X²)
    expected = t.sum(axis=1, keepdims=True) * t.sum(axis=0, keepdims=True) / t.sum()
    dof = expected.size - sum(expected.shape) + expected.ndim - 1
    statistic = ((t - expected) ** 2 / expected).ravel().sum()
    return ChiSquare(
        float(statistic),
        float(dof),
        float(chdtrc(float(dof), statistic)),
        float((expected < 5).mean()),
        float(expected.min()),
    )


WITHHELD_REASONS = ("suppressed", "n_zero", "subgroup_n", "rest_n", "expected_count", "no_variance")


def min_expected_vs_rest(n_g: np.ndarray, x_total: np.ndarray, n_total: np.ndarray) -> np.ndarray:
    """Smallest expected count of the level-vs-rest 2 × 2 table (rows g and rest, columns yes/no).

    Under independence E = (row total)(column total)/N, so the four cells are n_g p_T,
    n_g (1 − p_T), n_r p_T, n_r (1 − p_T) with p_T = x_T/N and n_r = N − n_g; the smallest is
    min(n_g, n_r) · min(p_T, 1 − p_T). The z-test of :func:`z_test_vs_rest` is the Pearson
    chi-square of this table (z² = X²), so the same rule on expected counts applies (Cochran
    1954: E ≥ 5). N = 0 gives 0.
    """
    n_g = np.asarray(n_g, dtype=float)
    x_total = np.asarray(x_total, dtype=float)
    n_total = np.asarray(n_total, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(n_total > 0, x_total / np.where(n_total > 0, n_total, 1.0), 0.0)
    return np.minimum(n_g, n_total - n_g) * np.minimum(p, 1.0 - p)


def withheld_vs_rest(
    x_total: np.ndarray, n_g: np.ndarray, n_total: np.ndarray, min_n: int, min_expected: float
) -> np.ndarray:
    """Why the test of each level against the rest is withheld (``""`` = test it), first rule that applies.

    * ``n_zero``: the level has no respondent in the outcome's base (n_g = 0);
    * ``subgroup_n``: n_g < ``min_n``;
    * ``rest_n``: the rest N − n_g < ``min_n`` (a level is never tested against a tiny rest);
    * ``expected_count``: an expected count of the level-vs-rest table is below ``min_expected``
      (:func:`min_expected_vs_rest`);
    * ``no_variance``: the pooled share is 0 or 1 (possible only with ``min_expected`` = 0).
    """
    n_g = np.asarray(n_g, dtype=float)
    x_total = np.broadcast_to(np.asarray(x_total, dtype=float), n_g.shape)
    n_total = np.broadcast_to(np.asarray(n_total, dtype=float), n_g.shape)
    n_rest = n_total - n_g
    conditions = [
        n_g <= 0,
        n_g < min_n,
        n_rest < min_n,
        min_expected_vs_rest(n_g, x_total, n_total) < min_expected,
        (n_rest <= 0) | (x_total <= 0) | (x_total >= n_total),
    ]
    return np.select(
        conditions, ["n_zero", "subgroup_n", "rest_n", "expected_count", "no_variance"], ""
    ).astype(object)


def adjust_pvalues(p_values: Sequence[float], method: str) -> np.ndarray:
    """Multiplicity-adjusted p-values of one family; NaN entries stay NaN and are not counted.

    ``multipletests(p, method=method)[1]`` with ``method`` ``"holm"`` or ``"fdr_bh"`` given
    explicitly: the reference for :func:`adjust_pvalues_padded`, which the stage uses. (Its Holm
    branch calls ``gc.collect()`` on every call, ~50 ms each with pandas loaded.)
    """
    if method not in ADJUST_METHODS:
        raise ConfigError(f"unknown p-value adjustment {method!r} (use one of {sorted(ADJUST_METHODS)})")
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        from statsmodels.stats.multitest import multipletests  # the reference: not imported by the stage

        out[ok] = multipletests(p[ok], method=ADJUST_METHODS[method])[1]
    return out


# --------------------------------------------------------------------------- array forms


def z_test_vs_rest_array(
    x_g: np.ndarray, n_g: np.ndarray, x_total: np.ndarray, n_total: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`z_test_vs_rest` for arrays: pooled z of each level against its rest, two-sided p.

    z = (x_g/n_g − x_r/n_r)/√(p_T(1 − p_T)(1/n_g + 1/n_r)) with x_r = x_T − x_g, n_r = N − n_g,
    p_T = x_T/N; p = 2 Φ(−|z|). Written with the operations of statsmodels ``proportions_ztest``
    in the same order (bit-identical results); NaN where :func:`z_test_vs_rest` gives NaN.
    """
    x_g = np.asarray(x_g, dtype=float)
    n_g = np.asarray(n_g, dtype=float)
    x_total = np.broadcast_to(np.asarray(x_total, dtype=float), x_g.shape)
    n_total = np.broadcast_to(np.asarray(n_total, dtype=float), x_g.shape)
    n_rest = n_total - n_g
    ok = (n_g > 0) & (n_rest > 0) & (x_total > 0) & (x_total < n_total)
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = x_g * 1.0 / n_g - (x_total - x_g) * 1.0 / n_rest - 0
        p_pooled = x_total * 1.0 / n_total
        var_ = p_pooled * (1 - p_pooled) * (1.0 / n_g + 1.0 / n_rest)
        z = diff / np.sqrt(var_)
    z = np.where(ok, z, np.nan)
    p = np.where(ok, ndtr(-np.abs(np.where(ok, z, 0.0))) * 2, np.nan)
    return z, p


def adjust_pvalues_padded(p_values: np.ndarray, method: str) -> np.ndarray:
    """:func:`adjust_pvalues` for many families at once: one family per row, NaN = untested.

    Each row's m non-NaN p-values are sorted (NaN last); Holm: p_(i)·(m − i + 1), running maximum;
    Benjamini–Hochberg: p_(i)·m/i, running minimum from the largest; both capped at 1 and put
    back in place. The operations are those of statsmodels ``multipletests`` (same order), so
    every row equals ``multipletests(row[~isnan(row)], method)[1]`` to the last bit.
    """
    if method not in ADJUST_METHODS:
        raise ConfigError(f"unknown p-value adjustment {method!r} (use one of {sorted(ADJUST_METHODS)})")
    p = np.atleast_2d(np.asarray(p_values, dtype=float))
    f, g = p.shape
    if p.size == 0:
        return p.copy()
    valid = ~np.isnan(p)
    m = valid.sum(axis=1)[:, None]
    order = np.argsort(p, axis=1)  # NaN sort last
    ps = np.take_along_axis(p, order, axis=1)
    rank = np.arange(g)[None, :]
    used = rank < m
    if method == "holm":
        adj = np.maximum.accumulate(ps * (m - rank), axis=1)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            raw = ps / (np.arange(1, g + 1)[None, :] / m.astype(float))
        raw = np.where(used, raw, np.inf)
        adj = np.minimum.accumulate(raw[:, ::-1], axis=1)[:, ::-1]
    adj = np.where(used, adj, np.nan)
    adj[adj > 1] = 1
    out = np.empty_like(adj)
    np.put_along_axis(out, order, adj, axis=1)
    return out
