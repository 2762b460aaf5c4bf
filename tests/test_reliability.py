"""Reliability: alpha, Feldt CI, standardized alpha, omega, bootstrap, item statistics.

Known answers: pingouin 0.7.0's documented examples (datasets shipped in the pingouin wheel), the
hand-computable vectors of docs/methods.md §3.5, Feldt intervals from published summaries, and pingouin itself as a reference
implementation on random data. Tolerance 1e-6 unless the source prints fewer decimals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from test_scoring_support import codebook, random_responses, rules

from mhsurvey.reliability import (
    alpha_from_cov,
    answer_patterns,
    bootstrap_alpha_ci,
    cronbach_alpha,
    feldt_ci,
    integer_covariance,
    item_statistics,
    item_statistics_docs,
    item_statistics_table,
    mean_inter_item_r,
    omega_total,
    pattern_counts,
    pattern_units,
    reliability_docs,
    reliability_table,
    scale_seed,
    standardized_alpha,
)

TOY = np.array(
    [[1, 2, 2], [2, 2, 3], [3, 3, 3], [4, 4, 5], [5, 4, 5]], dtype=float
)  # docs/methods.md §3.5 (1)
HAND = np.array(
    [[1, 2, 3], [2, 2, 4], [3, 4, 4], [4, 5, 5], [2, 3, 2]], dtype=float
)  # docs/methods.md §3.5 (7)


def population_corr(loadings: list[float]) -> np.ndarray:
    lam = np.asarray(loadings)
    r = np.outer(lam, lam)
    np.fill_diagonal(r, 1.0)
    return r


# --------------------------------------------------------------------------- alpha


def test_toy_vector():
    # variances 2.5, 1.0, 1.8 (sum 5.3); total variance 14.8; alpha = 1.5 (1 - 5.3/14.8)
    assert cronbach_alpha(TOY) == pytest.approx(1.5 * (1 - 5.3 / 14.8), abs=1e-12)
    assert cronbach_alpha(TOY) == pytest.approx(0.962838, abs=1e-6)
    lo, hi = feldt_ci(cronbach_alpha(TOY), 5, 3)
    assert (round(lo, 3), round(hi, 3)) == (0.812, 0.996)


def test_hand_vector_methods_notes():
    assert cronbach_alpha(HAND) == pytest.approx(0.897196, abs=1e-6)
    assert standardized_alpha(np.corrcoef(HAND, rowvar=False)) == pytest.approx(0.899084, abs=1e-6)


def test_pingouin_wide_missing_documented_values():
    data = pg.read_dataset("cronbach_wide_missing")
    x = data.to_numpy(dtype=float)
    assert cronbach_alpha(x, "pairwise") == pytest.approx(0.732660835214447, abs=1e-9)
    assert cronbach_alpha(x, "listwise") == pytest.approx(0.8016949152542373, abs=1e-9)
    assert cronbach_alpha(data.fillna(data.median()).to_numpy(float)) == pytest.approx(
        0.7380191693290734, abs=1e-9
    )
    # Feldt: pingouin takes n = all 12 rows, before its listwise deletion, for both policies
    a = cronbach_alpha(x, "pairwise")
    assert tuple(np.round(feldt_ci(a, x.shape[0], x.shape[1]), 3)) == (0.435, 0.909)
    xl = x[~np.isnan(x).any(axis=1)]
    assert tuple(np.round(feldt_ci(cronbach_alpha(xl), 12, 11), 3)) == (0.581, 0.933)
    # this pipeline uses the listwise n (9 complete rows), which gives a wider interval
    lo, hi = feldt_ci(cronbach_alpha(xl), xl.shape[0], 11)
    assert xl.shape[0] == 9 and lo < 0.581 and hi > 0.933


def test_pingouin_long_dataset_documented_values():
    data = pg.read_dataset("cronbach_alpha")
    wide = data.pivot(index="Subj", values="Scores", columns="Items")
    x = wide.to_numpy(dtype=float)
    a = cronbach_alpha(x)
    assert a == pytest.approx(0.5917188485995826, abs=1e-9)
    assert tuple(np.round(feldt_ci(a, *x.shape), 3)) == (0.195, 0.84)
    r = np.corrcoef(x, rowvar=False)
    assert standardized_alpha(r) == pytest.approx(0.6343, abs=5e-5)  # docs/methods.md §3.5 (3), 4 decimals
    assert mean_inter_item_r(r) == pytest.approx(0.1478, abs=5e-5)


def test_alpha_matches_pingouin_on_random_data():
    rng = np.random.default_rng(5)
    f = rng.standard_normal(400)
    x = np.round(2 + 0.8 * f[:, None] + rng.standard_normal((400, 6)))
    x[rng.random(x.shape) < 0.05] = np.nan
    df = pd.DataFrame(x)
    for policy in ("listwise", "pairwise"):
        assert cronbach_alpha(x, policy) == pytest.approx(
            pg.cronbach_alpha(df, nan_policy=policy)[0], abs=1e-12
        )


def test_standardized_alpha_population_congeneric():
    # psych sim.congeneric default loadings .8, .7, .6, .5: mean r 0.41833, std alpha 0.7421 (docs/methods.md §3.5 (4))
    r = population_corr([0.8, 0.7, 0.6, 0.5])
    assert mean_inter_item_r(r) == pytest.approx(0.41833, abs=5e-6)
    assert standardized_alpha(r) == pytest.approx(0.7421, abs=5e-5)
    assert alpha_from_cov(r) == pytest.approx(standardized_alpha(r), abs=1e-12)


# --------------------------------------------------------------------------- Feldt


@pytest.mark.parametrize(
    "alpha, n, k, level, expected, tol",
    [
        (0.74, 100, 4, 0.95, (0.6455, 0.8143), 5e-5),  # docs/methods.md §3.5 (5)
        (0.79, 41, 26, 0.90, (0.7047, 0.8616), 5e-5),  # Feldt et al. 1987 example (psychometric::alpha.CI)
        (
            0.913,
            873,
            20,
            0.95,
            (0.9044024, 0.9211588),
            5e-8,
        ),  # docs/methods.md §3.5 (5) (Evans, feldt1.return)
    ],
)
def test_feldt_published_values(alpha, n, k, level, expected, tol):
    lo, hi = feldt_ci(alpha, n, k, level)
    assert lo == pytest.approx(expected[0], abs=tol)
    assert hi == pytest.approx(expected[1], abs=tol)


def test_feldt_phq9_report_values():
    # docs/methods.md §3: alpha .89, k 9 -> [.882, .898] at n 1726 and [.871, .907] at n 323
    assert tuple(np.round(feldt_ci(0.89, 1726, 9), 3)) == (0.882, 0.898)
    assert tuple(np.round(feldt_ci(0.89, 323, 9), 3)) == (0.871, 0.907)


# --------------------------------------------------------------------------- omega


def test_omega_hand_value():
    # lambda (.7, .8, .6), psi = 1 - lambda^2: omega = 2.1^2 / (4.41 + 1.51) = 0.74493 (docs/methods.md §3.5 (6))
    assert omega_total(population_corr([0.7, 0.8, 0.6]), nobs=1000) == pytest.approx(4.41 / 5.92, abs=1e-6)


def test_omega_recovers_true_value_in_a_large_sample():
    lam = np.array([0.8, 0.7, 0.6, 0.75, 0.65])  # docs/methods.md §3.5 (6): true omega .8291
    rng = np.random.default_rng(2023)
    f = rng.standard_normal(100_000)
    x = np.outer(f, lam) + rng.standard_normal((100_000, 5)) * np.sqrt(1 - lam**2)
    true = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
    assert true == pytest.approx(0.8291, abs=5e-5)
    assert omega_total(np.corrcoef(x, rowvar=False), 100_000) == pytest.approx(true, abs=0.003)


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_equals_explicit_resampling():
    rng_data = np.random.default_rng(0)
    x = np.round(rng_data.normal(2, 1, (60, 4)) + rng_data.normal(0, 1, (60, 1)))
    reps = 250
    lo, hi = bootstrap_alpha_ci(x, reps, np.random.default_rng(42), 0.95)
    ref_rng = np.random.default_rng(42)
    est = [cronbach_alpha(x[ref_rng.integers(0, 60, size=60)]) for _ in range(reps)]
    exp_lo, exp_hi = np.quantile(est, [0.025, 0.975])
    assert lo == pytest.approx(exp_lo, abs=1e-10)
    assert hi == pytest.approx(exp_hi, abs=1e-10)


def test_integer_covariance_equals_sample_covariance():
    # TOY's covariance by hand: column sums 15, 15, 18; n = 5; e.g. C_00 = (5*55 - 15*15) / 20 = 2.5
    c = integer_covariance(TOY)
    assert c[0, 0] == 2.5 and c[0, 1] == (5 * 51 - 15 * 15) / 20
    assert np.allclose(c, np.cov(TOY, rowvar=False), rtol=0, atol=1e-14)
    assert integer_covariance(TOY + 0.5) is None  # not integer codes: np.cov is used
    assert integer_covariance(TOY[:1]) is None


def test_answer_patterns_hand_example():
    x = np.array([[1, 2], [0, 1], [1, 2], [0, 1], [1, 2], [2, 0]], dtype=float)
    patterns, counts = answer_patterns(x)
    assert patterns.tolist() == [[0, 1], [1, 2], [2, 0]]
    assert counts.tolist() == [2, 3, 1]


def test_bootstrap_by_pattern_equals_explicit_resampling():
    # The pattern path draws w ~ Multinomial(n, c_u / n) over the distinct rows; rebuilding each
    # resample explicitly (pattern u repeated w_u times) must give the same alphas and quantiles.
    rng_data = np.random.default_rng(5)
    x = np.clip(np.round(rng_data.normal(1.5, 1, (300, 4)) + rng_data.normal(0, 0.8, (300, 1))), 0, 3)
    reps = 300
    lo, hi = bootstrap_alpha_ci(x, reps, np.random.default_rng(9), 0.95, patterns_min_n=300)
    patterns, counts = answer_patterns(x)
    assert len(patterns) < 300  # integer codes 0-3 repeat
    ref_rng = np.random.default_rng(9)
    est = []
    for start in range(0, reps, 100):  # same chunking as the random stream
        w = ref_rng.multinomial(300, counts / 300, size=min(100, reps - start))
        est += [cronbach_alpha(np.repeat(patterns, row, axis=0)) for row in w]
    exp_lo, exp_hi = np.quantile(est, [0.025, 0.975])
    assert lo == pytest.approx(exp_lo, abs=1e-10)
    assert hi == pytest.approx(exp_hi, abs=1e-10)
    # below the threshold the row path is used: identical to the call without a threshold
    assert bootstrap_alpha_ci(x, 200, np.random.default_rng(3), patterns_min_n=301) == bootstrap_alpha_ci(
        x, 200, np.random.default_rng(3)
    )


def test_answer_patterns_keys_equal_numpy_unique_rows():
    # Rows of integer codes are keyed as base-(max+1) numbers; the result must be np.unique(axis=0)'s
    # (same patterns, same lexicographic order, same counts), and other values must fall back to it.
    rng = np.random.default_rng(21)
    cases = [
        rng.integers(0, 4, (5000, 8)).astype(float),
        rng.integers(0, 2, (300, 11)).astype(float),
        rng.integers(0, 25, (2000, 3)).astype(float),
        rng.integers(0, 100, (50, 12)).astype(float),  # 12 * log2(100) > 62: fallback
        rng.integers(-2, 3, (400, 4)).astype(float),  # negative codes: fallback
        rng.integers(0, 4, (400, 4)) / 2.0,  # not integers: fallback
    ]
    for x in cases:
        patterns, counts = answer_patterns(x)
        ref_p, ref_c = np.unique(x, axis=0, return_counts=True)
        assert np.array_equal(patterns, ref_p) and np.array_equal(counts, ref_c)


def test_pattern_counts_hand_example():
    # counts [5, 1, 2, 1], min_rows 2: pattern 0 and 2 are drawn by a multinomial, the rows of the
    # rare patterns 1 and 3 one by one; the stream is binomial, multinomial, then indices per resample.
    counts = np.array([5, 1, 2, 1])
    w, rare = pattern_counts(np.random.default_rng(4), counts, 3, min_rows=2)
    assert rare.tolist() == [1, 3]
    ref = np.random.default_rng(4)
    n_rare = ref.binomial(9, 2 / 9, size=3)
    freq = ref.multinomial(9 - n_rare, np.array([5, 2]) / 7)
    rows = [np.bincount(ref.integers(0, 2, size=k), minlength=2) for k in n_rare]
    assert w.tolist() == np.column_stack([freq, np.array(rows)]).tolist()
    assert (w.sum(axis=1) == 9).all()
    # no rare pattern: exactly the multinomial per pattern (same stream as before the split)
    w1, rare1 = pattern_counts(np.random.default_rng(4), counts, 3, min_rows=1)
    assert len(rare1) == 0
    assert w1.tolist() == np.random.default_rng(4).multinomial(9, counts / 9, size=3).tolist()


def test_pattern_counts_into_a_reused_buffer():
    # `out` (one buffer for every batch) must give the draws of a fresh array: every cell of a
    # buffer holding the previous batch (or NaN) is overwritten, and the stream is the same.
    counts = np.array([5, 1, 2, 1, 7, 1])
    for min_rows in (2, 1):  # with rare rows, and without (multinomial only)
        units = sum(len(u) for u in pattern_units(counts, min_rows))
        buffer = np.full((4, units), np.nan)
        rng, ref = np.random.default_rng(21), np.random.default_rng(21)
        for size in (4, 4, 3):  # the last, shorter batch writes into the first rows of the buffer
            w, _ = pattern_counts(rng, counts, size, min_rows, out=buffer[:size])
            expected, _ = pattern_counts(ref, counts, size, min_rows)
            assert w.base is buffer or w is buffer
            assert np.isfinite(w).all() and (w.sum(axis=1) == counts.sum()).all()
            assert w.tolist() == expected.tolist()
    with pytest.raises(ValueError, match=r"needs \(3, 6\)"):
        pattern_counts(np.random.default_rng(0), counts, 3, 2, out=np.zeros((3, 7)))
    with pytest.raises(ValueError, match="float64"):
        pattern_counts(np.random.default_rng(0), counts, 3, 2, out=np.zeros((3, 6), dtype=np.int64))


def test_pattern_counts_have_the_multinomial_law():
    # Summed per pattern, the split draw is Multinomial(n, c/n): mean c_u, variance n p (1 - p),
    # covariance -n p_u p_v. 20,000 resamples; tolerances are about 5 standard errors.
    counts = np.array([40, 3, 1, 1, 12, 2, 1, 20])
    n, reps = int(counts.sum()), 20_000
    w, rare = pattern_counts(np.random.default_rng(8), counts, reps, min_rows=4)
    frequent = np.flatnonzero(counts >= 4)
    per_pattern = np.zeros((reps, len(counts)))
    per_pattern[:, frequent] = w[:, : len(frequent)]
    np.add.at(per_pattern.T, rare, w[:, len(frequent) :].T)
    p = counts / n
    assert np.abs(per_pattern.mean(axis=0) - counts).max() < 5 * np.sqrt(n * p * (1 - p) / reps).max()
    cov = np.cov(per_pattern, rowvar=False)
    expected = n * (np.diag(p) - np.outer(p, p))
    assert np.abs(cov - expected).max() < 0.25


def test_bootstrap_with_rare_patterns_equals_explicit_resampling():
    # Patterns held by fewer than 3 rows are drawn row by row; rebuilding each resample from the
    # units (frequent patterns, then the rare rows) must give the same quantiles.
    rng_data = np.random.default_rng(13)
    x = np.clip(np.round(rng_data.normal(1.5, 1.2, (400, 6)) + rng_data.normal(0, 0.8, (400, 1))), 0, 4)
    reps = 300
    lo, hi = bootstrap_alpha_ci(x, reps, np.random.default_rng(2), patterns_min_n=1, pattern_min_rows=3)
    patterns, counts = answer_patterns(x)
    rare = counts < 3
    assert 0 < rare.sum() < len(counts)
    units = np.concatenate([patterns[~rare], np.repeat(patterns[rare], counts[rare], axis=0)])
    ref_rng = np.random.default_rng(2)
    est = []
    for start in range(0, reps, 100):
        w, _ = pattern_counts(ref_rng, counts, min(100, reps - start), 3)
        est += [cronbach_alpha(np.repeat(units, row.astype(int), axis=0)) for row in w]
    exp_lo, exp_hi = np.quantile(est, [0.025, 0.975])
    assert lo == pytest.approx(exp_lo, abs=1e-10)
    assert hi == pytest.approx(exp_hi, abs=1e-10)
    # and the same law as the row bootstrap (Monte Carlo error, as below)
    rows = bootstrap_alpha_ci(x, 4000, np.random.default_rng(1))
    mixed = bootstrap_alpha_ci(x, 4000, np.random.default_rng(5), patterns_min_n=1, pattern_min_rows=3)
    assert mixed[0] == pytest.approx(rows[0], abs=0.006)
    assert mixed[1] == pytest.approx(rows[1], abs=0.006)


def test_bootstrap_by_pattern_has_the_row_bootstrap_law():
    # Same bootstrap distribution, different random stream: with many resamples the two
    # percentile intervals agree to Monte Carlo error (sd of a 2.5 % quantile here ~ 0.003).
    rng_data = np.random.default_rng(11)
    x = np.clip(np.round(rng_data.normal(1.5, 1, (400, 5)) + rng_data.normal(0, 0.9, (400, 1))), 0, 3)
    rows = bootstrap_alpha_ci(x, 4000, np.random.default_rng(1))
    pats = bootstrap_alpha_ci(x, 4000, np.random.default_rng(2), patterns_min_n=1)
    assert rows != pats
    assert pats[0] == pytest.approx(rows[0], abs=0.006)
    assert pats[1] == pytest.approx(rows[1], abs=0.006)
    assert pats[0] < cronbach_alpha(x) < pats[1]


def test_bootstrap_is_seeded_per_scale():
    x = np.round(np.random.default_rng(1).normal(2, 1, (80, 5)))
    a = bootstrap_alpha_ci(x, 100, scale_seed(7, "gad7"))
    assert a == bootstrap_alpha_ci(x, 100, scale_seed(7, "gad7"))
    assert a != bootstrap_alpha_ci(x, 100, scale_seed(7, "phq9"))
    assert a != bootstrap_alpha_ci(x, 100, scale_seed(8, "gad7"))


# --------------------------------------------------------------------------- item statistics


def test_item_statistics_against_direct_computation():
    st = item_statistics(HAND, ["a", "b", "c"])
    for i in range(3):
        rest = np.delete(HAND, i, axis=1)
        assert st.loc[i, "item_rest_r"] == pytest.approx(
            np.corrcoef(HAND[:, i], rest.sum(axis=1))[0, 1], abs=1e-12
        )
        assert st.loc[i, "alpha_if_deleted"] == pytest.approx(
            pg.cronbach_alpha(pd.DataFrame(rest))[0], abs=1e-12
        )
    assert st["mean"].tolist() == pytest.approx(HAND.mean(axis=0).tolist())
    assert st["sd"].tolist() == pytest.approx(HAND.std(axis=0, ddof=1).tolist())
    assert st["n"].tolist() == [5, 5, 5]


# --------------------------------------------------------------------------- tables


@pytest.fixture(scope="module")
def tables():
    r = rules()
    r["reliability"]["bootstrap_reps"] = 200
    sample = random_responses(400, seed=3)
    return sample, r, reliability_table(sample, codebook(), r), item_statistics_table(sample, codebook(), r)


def test_reliability_table(tables):
    sample, r, rel, _ = tables
    assert list(rel.columns) == [d.column for d in reliability_docs(r)]
    assert rel["scale"].tolist() == [s["name"] for s in r["reliability"]["scales"]]
    for name in ("dass_stress", "sss8", "cfq", "gad7", "phq9", "itq_ptsd", "itq_dso", "wsas"):
        assert name in rel["scale"].tolist()
    cb = codebook()
    gad = sample[cb.instrument_items("gad7")].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    gad[gad == 99] = np.nan
    row = rel.set_index("scale").loc["gad7"]
    ref = pg.cronbach_alpha(pd.DataFrame(gad), nan_policy="listwise")[0]
    assert row["alpha"] == pytest.approx(ref, abs=1e-12)
    assert row["n"] == int((~np.isnan(gad).any(axis=1)).sum())
    assert row["k"] == 7
    assert row["alpha_ci_low"] < row["alpha"] < row["alpha_ci_high"]
    assert row["alpha_boot_ci_low"] < row["alpha"] < row["alpha_boot_ci_high"]
    assert row["alpha_published_id"] == "meth_gad7_alpha"
    # SSS-8 alpha is the same on 1-5 or 0-4 codes; CFQ bimodal is KR-20 on the 0/1 recode
    cfq = sample[cb.instrument_items("cfq")].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    cfq[cfq == 99] = np.nan
    kr20 = pg.cronbach_alpha(
        pd.DataFrame(np.where(np.isnan(cfq), np.nan, (cfq >= 2).astype(float))), nan_policy="listwise"
    )[0]
    assert rel.set_index("scale").loc["cfq_bimodal", "alpha"] == pytest.approx(kr20, abs=1e-12)


def test_item_statistics_table(tables):
    _, r, rel, items = tables
    assert list(items.columns) == [d.column for d in item_statistics_docs()]
    assert len(items) == int(rel["k"].sum())
    assert set(items["scale"]) == set(rel["scale"])


def test_reliability_is_deterministic(tables):
    sample, r, rel, _ = tables
    again = reliability_table(sample, codebook(), r)
    pd.testing.assert_frame_equal(rel, again)


@pytest.mark.parametrize("workers", [2, 3])
def test_threads_give_the_same_table(tables, workers):
    sample, r, rel, _ = tables
    threaded = reliability_table(sample, codebook(), r, workers=workers)
    pd.testing.assert_frame_equal(rel, threaded, check_exact=True)
    assert threaded["alpha_boot_ci_low"].notna().all()
    # each scale's bootstrap has its own generator: another seed moves every interval
    other = {**r, "reliability": {**r["reliability"], "seed": r["reliability"]["seed"] + 1}}
    moved = reliability_table(sample, codebook(), other, workers=workers)
    assert (moved["alpha_boot_ci_low"] != rel["alpha_boot_ci_low"]).all()


def test_omega_is_reproducible_with_a_seed():
    # statsmodels draws random EM starting values unless given an rng; omega must not wobble
    rng = np.random.default_rng(3)
    x = np.round(rng.normal(size=(500, 1)) * 0.8 + rng.normal(size=(500, 7)))
    r = np.corrcoef(x, rowvar=False)
    assert len({omega_total(r, 500, seed=7) for _ in range(5)}) == 1


def test_published_alpha_ids_exist():
    """Every scale's published_id names a Cronbach's-alpha row of data/published."""
    from pathlib import Path

    from mhsurvey.scoring import load_scoring_rules

    repo = Path(__file__).resolve().parents[1]
    rules = load_scoring_rules(repo / "config" / "scoring.yaml")
    published = pd.concat(
        [pd.read_csv(p, dtype=str) for p in sorted((repo / "data" / "published").glob("*.csv"))]
    )
    alpha_rows = published[published["measure"] == "alpha"].set_index("id")
    ids = [s["published_id"] for s in rules["reliability"]["scales"] if "published_id" in s]
    assert len(ids) == 6 and set(ids) <= set(alpha_rows.index)


# --------------------------------------------------------------------------- same bits on every CPU

_KERNEL_PROBE = """
import json, sys
import numpy as np
import threadpoolctl
from mhsurvey.reliability import covariance, cov_to_corr, alpha_from_cov, omega_total, item_statistics
rng = np.random.default_rng(4)
x = np.clip(np.round(rng.normal(1.5, 1.0, (1726, 9)) + rng.normal(0, 0.9, (1726, 1))), 0, 3)
x[rng.random(x.shape) < 0.01] = np.nan
cov, n = covariance(x)
corr = cov_to_corr(cov)
st = item_statistics(x, [f"i{j}" for j in range(9)])
out = {
    "arch": threadpoolctl.threadpool_info()[0].get("architecture"),
    "cov": cov.tolist(),
    "alpha": alpha_from_cov(cov),
    "omega": omega_total(corr, n, 1),
    "items": st[["item_rest_r", "alpha_if_deleted"]].to_numpy().tolist(),
}
sys.stdout.write(json.dumps(out))
"""


def test_reliability_bits_do_not_depend_on_the_blas_kernel():
    # OpenBLAS picks its kernel per CPU; np.cov through BLAS moved the last bit of alpha, item-rest
    # r and omega between kernels, so results/ hashed differently on another machine. The exact
    # integer moments and the rounded omega must give the same bits under every kernel (the
    # kernels below run on any x86-64 CPU with AVX; OPENBLAS_CORETYPE forces one).
    import json
    import os
    import platform
    import subprocess
    import sys

    import threadpoolctl

    info = threadpoolctl.threadpool_info()
    if platform.machine() not in ("x86_64", "AMD64") or not info or info[0].get("internal_api") != "openblas":
        pytest.skip("OpenBLAS kernel selection is tested on x86-64 only")
    outs = {}
    for kernel in ("Prescott", "Sandybridge"):
        env = {**os.environ, "OPENBLAS_CORETYPE": kernel}
        proc = subprocess.run(
            [sys.executable, "-c", _KERNEL_PROBE], env=env, capture_output=True, text=True, check=True
        )
        outs[kernel] = json.loads(proc.stdout)
    archs = {v.pop("arch") for v in outs.values()}
    assert len(archs) == 2, f"OPENBLAS_CORETYPE had no effect: {archs}"
    assert outs["Prescott"] == outs["Sandybridge"]


def test_integer_covariance_bits_equal_the_int64_computation():
    """X'X through float64 BLAS is exact on integer codes: the same bits as int64 arithmetic."""
    rng = np.random.default_rng(7)
    for n, k, top in ((5, 3, 4), (2000, 9, 3), (200_000, 11, 4)):
        x = rng.integers(0, top + 1, size=(n, k)).astype(float)
        xi = x.astype(np.int64)
        s = xi.sum(axis=0)
        want = (n * (xi.T @ xi) - np.outer(s, s)).astype(float) / float(n * (n - 1))
        got = integer_covariance(x)
        assert got is not None and got.tobytes() == want.tobytes()
