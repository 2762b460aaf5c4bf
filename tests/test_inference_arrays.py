"""Array forms of the stage-04 statistics against their statsmodels / scipy references.

The array functions are written with the reference's operations in the same order, so they agree
to the last bit; the tests also state the looser 1e-12 tolerance the pipeline relies on.
"""

from __future__ import annotations

import gc

import numpy as np
import pytest
from scipy.stats import chi2_contingency
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from mhsurvey.errors import ConfigError
from mhsurvey.inference import (
    adjust_pvalues,
    adjust_pvalues_padded,
    chi_square,
    wilson_interval,
    z_test_vs_rest,
    z_test_vs_rest_array,
)

RNG = np.random.default_rng(20231201)


def _cases(k: int = 200):
    n_total = RNG.integers(2, 2000, k)
    n_g = np.array([RNG.integers(0, n + 1) for n in n_total])
    x_total = np.array([RNG.integers(0, n + 1) for n in n_total])
    lo = np.maximum(0, x_total - (n_total - n_g))
    hi = np.minimum(n_g, x_total)
    x_g = np.array([RNG.integers(a, b + 1) for a, b in zip(lo, hi, strict=True)])
    return x_g, n_g, x_total, n_total


def test_z_array_is_bit_identical_to_proportions_ztest():
    x_g, n_g, x_t, n_t = _cases()
    z, p = z_test_vs_rest_array(x_g, n_g, x_t, n_t)
    tested = 0
    for i in range(len(x_g)):
        z_ref, p_ref = z_test_vs_rest(int(x_g[i]), int(n_g[i]), int(x_t[i]), int(n_t[i]))
        if np.isnan(p_ref):
            assert np.isnan(z[i]) and np.isnan(p[i])
            continue
        tested += 1
        z_sm, p_sm = proportions_ztest(
            np.array([x_g[i], x_t[i] - x_g[i]]), np.array([n_g[i], n_t[i] - n_g[i]])
        )
        assert z[i] == z_sm and p[i] == p_sm  # same operations, same bits
        assert abs(z[i] - z_ref) <= 1e-12 * max(1.0, abs(z_ref)) and abs(p[i] - p_ref) <= 1e-12
    assert tested > 120


def test_z_array_degenerate_cases_are_nan():
    z, p = z_test_vs_rest_array(
        np.array([0, 5, 0, 10]),
        np.array([0, 10, 10, 10]),
        np.array([5, 5, 0, 20]),
        np.array([20, 10, 20, 20]),
    )
    assert np.isnan(z).all() and np.isnan(p).all()  # empty level, empty rest, share 0, share 1


def test_wilson_is_bit_identical_to_proportion_confint():
    n = RNG.integers(1, 3000, 500).astype(float)
    count = np.floor(RNG.random(500) * (n + 1))
    count[:5] = 0
    count[5:10] = n[5:10]
    for level in (0.95, 0.9, 0.99):
        lo, hi = wilson_interval(count, n, level)
        lo_ref, hi_ref = proportion_confint(count, n, alpha=1 - level, method="wilson")
        assert np.array_equal(lo, lo_ref) and np.array_equal(hi, hi_ref)
        assert np.allclose(lo, lo_ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("method", ["holm", "fdr_bh"])
def test_padded_adjustment_equals_multipletests_per_family(method):
    fams = []
    for size in (1, 2, 3, 5, 8, 9):
        for _ in range(12):
            p = RNG.random(size) ** 3
            if size > 2:
                p[RNG.integers(0, size)] = np.nan  # an untested level
                p[1] = p[0] if not np.isnan(p[0]) else p[1]  # ties
            fams.append(p)
    width = max(len(f) for f in fams)
    padded = np.full((len(fams), width), np.nan)
    for i, f in enumerate(fams):
        padded[i, : len(f)] = f
    got = adjust_pvalues_padded(padded, method)
    gc.freeze()  # statsmodels' Holm calls gc.collect() on every call
    for i, f in enumerate(fams):
        ok = ~np.isnan(f)
        ref = np.full(width, np.nan)
        ref[: len(f)][ok] = multipletests(f[ok], method=method)[1]
        assert np.array_equal(got[i], ref, equal_nan=True), (i, f)
        assert np.array_equal(got[i][: len(f)], adjust_pvalues(f, method), equal_nan=True)
    gc.unfreeze()


def test_padded_adjustment_known_answer_and_empty_families():
    p = np.array([[0.01, 0.04, 0.03, np.nan], [np.nan] * 4])
    holm = adjust_pvalues_padded(p, "holm")
    assert np.allclose(holm[0, :3], [0.03, 0.06, 0.06], atol=1e-15) and np.isnan(holm[0, 3])
    bh = adjust_pvalues_padded(p, "fdr_bh")
    assert np.allclose(bh[0, :3], [0.03, 0.04, 0.04], atol=1e-15)
    assert np.isnan(holm[1]).all() and np.isnan(bh[1]).all()
    with pytest.raises(ConfigError):
        adjust_pvalues_padded(p, "bonferroni")


def test_chi_square_is_bit_identical_to_chi2_contingency():
    for _ in range(200):
        g, k = RNG.integers(2, 9), RNG.integers(2, 10)
        t = RNG.integers(0, 60, (g, k))
        t[RNG.integers(0, g)] = 0  # an empty line is dropped
        res = chi_square(t)
        kept = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0].astype(float)
        if kept.shape[0] < 2 or kept.shape[1] < 2:
            assert np.isnan(res.statistic)
            continue
        ref = chi2_contingency(kept, correction=False)
        assert (res.statistic, res.dof, res.p_value) == (
            float(ref.statistic),
            float(ref.dof),
            float(ref.pvalue),
        )
        assert res.min_expected == ref.expected_freq.min()
        assert res.share_expected_lt5 == (ref.expected_freq < 5).mean()
