"""Reliability of the instrument scales (stage 03, rule ``reliability``).

Cronbach's alpha from the item covariance matrix, Feldt confidence interval, percentile bootstrap
interval, standardized alpha, McDonald's omega total from a one-factor ML fit, and item
statistics (item-rest correlation, alpha if item deleted). Formulas and test vectors: ``docs/methods.md`` §3; outputs: ``docs/scoring.md``
("Reliability").

Alpha is computed on the raw item codes (an affine recode such as 1-5 -> 0-4 or x2 leaves it
unchanged); the CFQ bimodal recode is not affine and gives KR-20 (scale ``cfq_bimodal``).
Non-substantive codes are missing. Settings (nan policy, CI level, bootstrap replicates, seed)
come from the ``reliability:`` block of ``config/scoring.yaml``.
"""

from __future__ import annotations

import logging
import warnings
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.multivariate.factor import Factor

from .codebook import Codebook
from .dictionary import ColumnDoc
from .scoring.items import instrument_items

log = logging.getLogger("mhsurvey.reliability")

NAN_POLICIES = ("listwise", "pairwise")
_BOOT_CHUNK = 100  # bootstrap resamples drawn per batch (fixed: part of the random stream)
OMEGA_DECIMALS = 10  # omega_total is written to this many decimals (see omega_total)


def alpha_from_cov(cov: np.ndarray) -> float:
    """Cronbach's alpha from a k x k item covariance matrix ``C``.

    ``alpha = k / (k - 1) * (1 - trace(C) / sum(C))``: one minus the summed item variances over
    the variance of the total score, scaled (Cronbach 1951; docs/methods.md §3).
    """
    c = np.asarray(cov, dtype=float)
    k = c.shape[0]
    return float(k / (k - 1) * (1.0 - np.trace(c) / c.sum()))


def standardized_alpha(corr: np.ndarray) -> float:
    """Standardized alpha ``k * rbar / (1 + (k - 1) * rbar)`` from a correlation matrix ``R``,
    ``rbar`` = mean off-diagonal correlation (equals ``alpha_from_cov(R)``; psych ``std.alpha``)."""
    r = np.asarray(corr, dtype=float)
    k = r.shape[0]
    rbar = (r.sum() - np.trace(r)) / (k * (k - 1))
    return float(k * rbar / (1 + (k - 1) * rbar))


def mean_inter_item_r(corr: np.ndarray) -> float:
    """Mean off-diagonal correlation ``(sum(R) - k) / (k (k - 1))`` (psych ``average_r``)."""
    r = np.asarray(corr, dtype=float)
    k = r.shape[0]
    return float((r.sum() - np.trace(r)) / (k * (k - 1)))


def feldt_ci(alpha: float, n: int, k: int, level: float = 0.95) -> tuple[float, float]:
    """Feldt (1965; Feldt, Woodruff & Salih 1987) confidence interval for alpha.

    With ``df1 = n - 1``, ``df2 = (n - 1)(k - 1)`` and ``g = 1 - level``:
    ``lower = 1 - (1 - alpha) * F.isf(g/2, df1, df2)``, ``upper = 1 - (1 - alpha) * F.isf(1 - g/2, df1, df2)``
    (the form pingouin uses; unrounded here).
    """
    g = 1.0 - level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    lower = 1.0 - (1.0 - alpha) * stats.f.isf(g / 2, df1, df2)
    upper = 1.0 - (1.0 - alpha) * stats.f.isf(1 - g / 2, df1, df2)
    return float(lower), float(upper)


def integer_covariance(x: np.ndarray) -> np.ndarray | None:
    """Sample covariance (``n - 1``) of an n x k matrix of integer codes, from exact integer moments.

    ``C = (n * X'X - s s') / (n (n - 1))`` with ``s`` the column sums: ``X'X`` and ``s`` are exact
    integers (``X'X`` from a float64 product whose partial sums are all integers below ``2**53``,
    so independent of the order of additions), and the only rounding is the final division. The result is therefore the same on every CPU,
    unlike ``np.cov``, whose BLAS kernel (chosen per CPU by OpenBLAS) moves the last bit.
    ``None`` when ``x`` is not integer-valued, has fewer than 2 rows, or the exact numerator
    could exceed ``2**53`` (then the caller falls back to ``np.cov``).
    """
    n = x.shape[0]
    if n < 2 or not np.all(np.isfinite(x)) or not np.array_equal(x, np.round(x)):
        return None
    top = float(np.abs(x).max()) if x.size else 0.0
    if float(n) * float(n) * top * top * 2.0 >= 2.0**53:
        return None
    xi = x.astype(np.int64)
    sums = xi.sum(axis=0)
    # X'X by BLAS in float64: every partial sum is an integer below n * top**2 < 2**53, so exact
    # in any order of additions, and equal to the int64 product (numpy's slow integer loop)
    xtx = (x.T @ x).astype(np.int64)
    num = n * xtx - np.outer(sums, sums)
    return num.astype(float) / float(n * (n - 1))


def covariance(x: np.ndarray, nan_policy: str = "listwise") -> tuple[np.ndarray, int]:
    """Item covariance matrix (sample, ``n - 1``) and the ``n`` behind it.

    ``listwise``: complete rows only, ``n`` = their number; integer codes through
    :func:`integer_covariance` (exact moments, the same bits on every CPU). ``pairwise``: each covariance from the
    rows answering both items (pandas ``DataFrame.cov``, as pingouin and psych ``use="pairwise"``),
    ``n`` = rows with at least one answered item (pingouin's Feldt ``n``).
    """
    if nan_policy == "listwise":
        xc = x[~np.isnan(x).any(axis=1)]
        exact = integer_covariance(xc)
        return (np.cov(xc, rowvar=False, ddof=1) if exact is None else exact), xc.shape[0]
    if nan_policy == "pairwise":
        keep = ~np.isnan(x).all(axis=1)
        return pd.DataFrame(x[keep]).cov().to_numpy(), int(keep.sum())
    raise ValueError(f"nan_policy must be one of {NAN_POLICIES}, not {nan_policy!r}")


def cronbach_alpha(x: np.ndarray, nan_policy: str = "listwise") -> float:
    """Cronbach's alpha of an n x k item matrix (``NaN`` = missing) under ``nan_policy``."""
    cov, _ = covariance(np.asarray(x, dtype=float), nan_policy)
    return alpha_from_cov(cov)


def cov_to_corr(cov: np.ndarray) -> np.ndarray:
    """Correlation matrix ``C_ij / sqrt(C_ii C_jj)``."""
    sd = np.sqrt(np.diag(cov))
    return cov / np.outer(sd, sd)


def omega_total(corr: np.ndarray, nobs: int, seed: int = 0) -> float:
    """McDonald's omega total from a one-factor ML fit on the correlation matrix.

    ``omega_t = (sum lambda)^2 / ((sum lambda)^2 + sum psi)`` with standardized loadings ``lambda``
    and uniquenesses ``psi`` from ``statsmodels.multivariate.factor.Factor(corr=R, n_factor=1,
    method="ml")`` (docs/methods.md §3; standardized omega). statsmodels draws random EM starting
    values, so ``seed`` is passed as its ``rng`` (byte-identical reruns). ``NaN`` if the fit fails.
    The result is rounded to ``OMEGA_DECIMALS`` decimals: the fit is iterative and converges far
    more coarsely than that, while its last bits depend on the CPU's BLAS/LAPACK kernel (about
    1e-15 between OpenBLAS's Haswell and SkylakeX kernels), which rounding keeps out of the file.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = Factor(corr=np.asarray(corr, dtype=float), n_factor=1, method="ml", nobs=nobs).fit(rng=seed)
    except (np.linalg.LinAlgError, ValueError) as exc:  # pragma: no cover - degenerate input
        log.warning("one-factor fit failed: %s", exc)
        return float("nan")
    lam = np.asarray(res.loadings, dtype=float).ravel()
    psi = np.asarray(res.uniqueness, dtype=float).ravel()
    s2 = lam.sum() ** 2
    return round(float(s2 / (s2 + psi.sum())), OMEGA_DECIMALS)


def answer_patterns(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``x`` (lexicographic order, as ``np.unique(axis=0)``) and how many rows
    carry each: ``patterns[u]`` occurs ``counts[u]`` times, ``counts.sum() == len(x)``.

    Rows of non-negative integer codes are keyed by one integer each, the row read as a number in
    base ``b = max + 1`` (``key = sum_j x_j b^(k-1-j)``), whose order is the rows' lexicographic
    order; one sort of ``n`` integers instead of a sort of ``n`` rows. Other values (or keys that
    would not fit in 62 bits) go through ``np.unique(axis=0)`` itself.
    """
    x = np.asarray(x, dtype=float)
    keys = _pattern_keys(x)
    if keys is None:
        patterns, counts = np.unique(x, axis=0, return_counts=True)
        return patterns, counts
    _, first, counts = np.unique(keys, return_index=True, return_counts=True)
    return x[first], counts


def _pattern_keys(x: np.ndarray) -> np.ndarray | None:
    """Each row of non-negative integer codes as one int64 (base ``max + 1``), else ``None``."""
    if x.ndim != 2 or x.size == 0 or not np.isfinite(x).all():
        return None
    top = float(x.max())
    if float(x.min()) < 0 or not np.array_equal(x, np.floor(x)):
        return None
    base, k = int(top) + 1, x.shape[1]
    if k * np.log2(base) >= 62:
        return None
    codes = x.astype(np.int64)
    keys = np.zeros(len(x), dtype=np.int64)
    for j in range(k):
        keys = keys * base + codes[:, j]
    return keys


def pattern_units(counts: np.ndarray, min_rows: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The resampling units of :func:`pattern_counts`: ``(frequent, rare)``, the indices of the
    patterns held by at least ``min_rows`` rows (all when ``None``), then for each row of the other
    patterns that pattern's index (``np.repeat`` by the counts). Unit ``i`` is pattern
    ``np.concatenate([frequent, rare])[i]``."""
    counts = np.asarray(counts, dtype=np.int64)
    is_rare = counts < min_rows if min_rows is not None else np.zeros(len(counts), dtype=bool)
    return np.flatnonzero(~is_rare), np.repeat(np.flatnonzero(is_rare), counts[is_rare])


def pattern_counts(
    rng: np.random.Generator,
    counts: np.ndarray,
    size: int,
    min_rows: int | None = None,
    out: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``size`` bootstrap resamples of the rows behind answer patterns held ``counts[u]`` times.

    Returns ``(w, rare)``: ``w[b]`` (float) counts, for each *unit*, how often its rows are drawn in
    resample ``b``. The units are the patterns held by at least ``min_rows`` rows (all patterns
    when ``min_rows`` is ``None``), then one unit per row of the rarer patterns; ``rare`` is the
    pattern of each such row (:func:`pattern_units`).

    The law is that of drawing ``n = counts.sum()`` rows with replacement: the number ``N`` drawn
    from the ``r`` rows of rare patterns is Binomial(n, r/n); given ``N``, the frequent patterns'
    counts are Multinomial(n - N, c_u / (n - r)) and the rare rows' counts are those of ``N``
    uniform indices among the ``r`` rows, independently. A multinomial costs one binomial draw
    per category, about as much as a dozen uniform indices, so a pattern held by few rows is
    cheaper drawn row by row.

    ``out`` (float, ``size`` rows, one column per unit), if given, receives ``w``: every cell is
    overwritten, so a caller drawing batch after batch reuses one buffer instead of having fresh
    memory zeroed for each (at 100x the study's size a batch is ~80 MB, and the page faults of a
    new one cost more than the draws). The random stream does not depend on it.
    """
    counts = np.asarray(counts, dtype=np.int64)
    n = int(counts.sum())
    frequent_idx, rare = pattern_units(counts, min_rows)
    shape = (size, len(frequent_idx) + len(rare))
    if out is None:
        w = np.empty(shape)  # float: the moments' matrix product takes it as it is
    elif out.shape != shape or out.dtype != np.float64:
        raise ValueError(f"pattern_counts: out has shape {out.shape} ({out.dtype}), needs {shape} (float64)")
    else:
        w = out
    if not len(rare):
        w[...] = rng.multinomial(n, counts / n, size=size)
        return w, rare
    frequent = counts[frequent_idx]
    r = len(rare)
    n_rare = rng.binomial(n, r / n, size=size)
    if len(frequent):
        w[:, : len(frequent)] = rng.multinomial(n - n_rare, frequent / frequent.sum())
    for b in range(size):
        w[b, len(frequent) :] = np.bincount(rng.integers(0, r, size=n_rare[b]), minlength=r)
    return w, rare


def _alpha_from_counts(w: np.ndarray, moments: np.ndarray, n: int, k: int) -> np.ndarray:
    """Alpha of each resample whose rows occur ``w[b, j]`` times (``w`` sums to ``n`` per row).

    ``moments = [X, T, X**2, T**2]`` (items and total score per row, then their squares): one
    matrix product gives the resample's sums ``s1 = w @ [X, T]`` and ``s2 = w @ [X**2, T**2]``,
    its sample variances are ``(s2 - s1**2 / n) / (n - 1)``, and
    ``alpha = k/(k-1) (1 - sum of the k item variances / variance of T)`` (docs/methods.md §3.3).
    With integer codes (every configured scale) the sums are integers, exact in float64 in any order.
    """
    s = w @ moments
    s1, s2 = s[:, : k + 1], s[:, k + 1 :]
    var = (s2 - s1**2 / n) / (n - 1)
    return k / (k - 1) * (1.0 - var[:, :k].sum(axis=1) / var[:, k])


def bootstrap_alpha_ci(
    x: np.ndarray,
    reps: int,
    rng: np.random.Generator,
    level: float = 0.95,
    nan_policy: str = "listwise",
    patterns_min_n: int | None = None,
    pattern_min_rows: int | None = None,
) -> tuple[float, float]:
    """Percentile bootstrap CI of alpha: resample respondents with replacement ``reps`` times
    (psych ``alpha(n.iter=)``; docs/methods.md §3.3). Listwise: resamples the complete rows.

    A resample is a vector of counts ``w`` (how often each of the ``n`` complete rows is drawn),
    ``w ~ Multinomial(n, 1/n, ..., 1/n)``; alpha follows from the weighted moments
    (:func:`_alpha_from_counts`), so the data are never copied. Below ``patterns_min_n`` complete
    rows (or with ``None``) the counts come from ``n`` uniform row indices per resample. From
    ``patterns_min_n`` rows on, rows with the same answers are pooled into their distinct patterns
    (:func:`answer_patterns`, ``c_u`` rows each) and the counts are drawn per pattern,
    ``Multinomial(n, c_u / n)``: the sum of the row counts over a pattern's rows has exactly that
    law, so the bootstrap distribution is the same, at a cost of the number of patterns instead
    of ``n`` per resample (a different random stream, hence a different Monte Carlo draw).
    Patterns held by fewer than ``pattern_min_rows`` rows are drawn row by row instead
    (:func:`pattern_counts`: the same law again, cheaper where most patterns are rare).
    """
    if reps <= 0:
        return float("nan"), float("nan")
    x = np.asarray(x, dtype=float)
    est = np.empty(reps)
    with np.errstate(invalid="ignore", divide="ignore"):
        if nan_policy == "listwise":
            x = x[~np.isnan(x).any(axis=1)]
            n, k = x.shape
            by_pattern = patterns_min_n is not None and n >= patterns_min_n
            if by_pattern:
                x, counts = answer_patterns(x)
                x = x[np.concatenate(pattern_units(counts, pattern_min_rows))]  # pattern_counts' units
            t = x.sum(axis=1)
            m1 = np.column_stack([x, t])
            moments = np.hstack([m1, m1**2])
            buffer = np.empty((min(_BOOT_CHUNK, reps), len(x)))  # every batch's counts, one per unit
            for start in range(0, reps, _BOOT_CHUNK):
                m = min(_BOOT_CHUNK, reps - start)
                if by_pattern:
                    w = pattern_counts(rng, counts, m, pattern_min_rows, out=buffer[:m])[0]
                else:
                    w = buffer[:m]
                    for b, row in enumerate(rng.integers(0, n, size=(m, n))):
                        w[b] = np.bincount(row, minlength=n)
                est[start : start + m] = _alpha_from_counts(w, moments, n, k)
        else:
            n = x.shape[0]
            for b in range(reps):
                est[b] = cronbach_alpha(x[rng.integers(0, n, size=n)], nan_policy)
    g = 1.0 - level
    lo, hi = np.nanquantile(est, [g / 2, 1 - g / 2])
    return float(lo), float(hi)


def item_statistics(x: np.ndarray, items: Sequence[str], nan_policy: str = "listwise") -> pd.DataFrame:
    """Per item: ``n`` answered, mean, sd, item-rest correlation, alpha if the item is deleted.

    From the covariance matrix ``C`` (same nan policy as alpha): item-rest r_i =
    ``sum_{j != i} C_ij / sqrt(C_ii * sum_{j,l != i} C_jl)`` (corrected item-total correlation,
    psych ``r.drop``); alpha-if-deleted = alpha of ``C`` without row/column i.
    """
    x = np.asarray(x, dtype=float)
    cov, _ = covariance(x, nan_policy)
    k = cov.shape[0]
    xs = x[~np.isnan(x).any(axis=1)] if nan_policy == "listwise" else x
    rows = []
    for i, name in enumerate(items):
        rest = [j for j in range(k) if j != i]
        c_ir = cov[i, rest].sum()
        v_rest = cov[np.ix_(rest, rest)].sum()
        col = xs[:, i]
        rows.append(
            {
                "item": name,
                "n": int(np.sum(~np.isnan(col))),
                "mean": float(np.nanmean(col)) if np.any(~np.isnan(col)) else np.nan,
                "sd": float(np.nanstd(col, ddof=1)) if np.sum(~np.isnan(col)) > 1 else np.nan,
                "item_rest_r": float(c_ir / np.sqrt(cov[i, i] * v_rest)),
                "alpha_if_deleted": alpha_from_cov(cov[np.ix_(rest, rest)]) if k > 2 else np.nan,
            }
        )
    return pd.DataFrame(rows)


def scale_seed(seed: int, scale: str) -> np.random.Generator:
    """Generator for one scale's bootstrap: ``default_rng([seed, crc32(scale)])``, so each scale's
    interval depends only on the configured seed and its own name (not on the order of scales)."""
    return np.random.default_rng([seed, zlib.crc32(scale.encode("utf-8"))])


def scale_items(
    responses: pd.DataFrame, codebook: Codebook, scale: Mapping[str, Any], rules: Mapping[str, Any]
) -> tuple[list[str], np.ndarray]:
    """Item names and matrix of one configured scale (raw codes; ``bimodal`` = CFQ 0/0/1/1 recode)."""
    items = instrument_items(responses, codebook, scale["instrument"], 0)
    x = items.values
    if scale["coding"] == "bimodal":
        cut = rules["instruments"]["cfq"]["bimodal_min_code"] + rules["instruments"]["cfq"]["code_offset"]
        with np.errstate(invalid="ignore"):
            x = np.where(np.isnan(x), np.nan, (x >= cut).astype(float))
    return list(items.columns), x


RELIABILITY_COLUMNS = (
    "scale",
    "instrument",
    "coding",
    "nan_policy",
    "n",
    "k",
    "alpha",
    "alpha_ci_low",
    "alpha_ci_high",
    "alpha_boot_ci_low",
    "alpha_boot_ci_high",
    "alpha_std",
    "omega_total",
    "mean_inter_item_r",
    "alpha_published_id",
    "label_no",
    "label_en",
)


def reliability_table(
    responses: pd.DataFrame, codebook: Codebook, rules: Mapping[str, Any], workers: int = 1
) -> pd.DataFrame:
    """One row per configured scale: n (listwise), k, alpha with Feldt and bootstrap CIs,
    standardized alpha, omega total, mean inter-item r, and the alpha the report prints.

    The bootstrap intervals, most of the time on large surveys, run in ``workers`` threads, one
    scale at a time per thread (NumPy's random draws and matrix products release the GIL). Each
    scale has its own generator (:func:`scale_seed`), so the table is the same for any
    ``workers``.
    """
    cfg = rules["reliability"]
    policy, level = cfg["nan_policy"], cfg["ci_level"]
    rows: list[dict[str, Any]] = []
    boot: dict[int, np.ndarray] = {}  # row -> item matrix of a scale whose interval is bootstrapped
    for scale in cfg["scales"]:
        names, x = scale_items(responses, codebook, scale, rules)
        cov, n_used = covariance(x, policy)
        n_listwise = int((~np.isnan(x).any(axis=1)).sum())
        k = len(names)
        row: dict[str, Any] = {
            "scale": scale["name"],
            "instrument": scale["instrument"],
            "coding": scale["coding"],
            "nan_policy": policy,
            "n": n_listwise,
            "k": k,
        }
        if n_used < 3 or not np.all(np.diag(cov) > 0):
            log.warning(
                "scale %s: too few complete answers or a constant item; statistics left empty", scale["name"]
            )
            row.update({c: np.nan for c in RELIABILITY_COLUMNS if c not in row})
        else:
            a = alpha_from_cov(cov)
            corr = cov_to_corr(cov)
            lo, hi = feldt_ci(a, n_used, k, level)
            boot[len(rows)] = x
            row.update(
                {
                    "alpha": a,
                    "alpha_ci_low": lo,
                    "alpha_ci_high": hi,
                    "alpha_std": standardized_alpha(corr),
                    "omega_total": omega_total(corr, n_used, cfg["seed"]),
                    "mean_inter_item_r": mean_inter_item_r(corr),
                }
            )
        row["alpha_published_id"] = scale.get("published_id", "")
        row["label_no"], row["label_en"] = scale["label_no"], scale["label_en"]
        rows.append(row)
        log.info("scale %s: n=%d k=%d alpha=%.4f", scale["name"], n_listwise, k, row["alpha"])

    def interval(i: int) -> tuple[float, float]:
        return bootstrap_alpha_ci(
            boot[i],
            cfg["bootstrap_reps"],
            scale_seed(cfg["seed"], rows[i]["scale"]),
            level,
            policy,
            cfg.get("bootstrap_patterns_min_n"),
            cfg.get("bootstrap_pattern_min_rows"),
        )

    order = sorted(boot, key=lambda i: -boot[i].shape[0] * boot[i].shape[1])  # largest first
    if workers > 1 and len(order) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=workers) as pool:
            intervals = dict(zip(order, pool.map(interval, order), strict=True))
    else:
        intervals = {i: interval(i) for i in order}
    for i, (blo, bhi) in intervals.items():
        rows[i]["alpha_boot_ci_low"], rows[i]["alpha_boot_ci_high"] = blo, bhi
    df = pd.DataFrame(rows, columns=list(RELIABILITY_COLUMNS))
    df["n"] = df["n"].astype("Int64")
    df["k"] = df["k"].astype("Int64")
    return df


def item_statistics_table(
    responses: pd.DataFrame, codebook: Codebook, rules: Mapping[str, Any]
) -> pd.DataFrame:
    """Long table, one row per (scale, item): n, mean, sd, item-rest r, alpha if item deleted."""
    cfg = rules["reliability"]
    frames = []
    for scale in cfg["scales"]:
        names, x = scale_items(responses, codebook, scale, rules)
        st = item_statistics(x, names, cfg["nan_policy"])
        st.insert(0, "scale", scale["name"])
        st["label_no"] = [codebook.column(n).label_no for n in names]
        st["label_en"] = [codebook.column(n).label_en for n in names]
        frames.append(st)
    df = pd.concat(frames, ignore_index=True)
    df["n"] = df["n"].astype("Int64")
    return df


def reliability_docs(rules: Mapping[str, Any]) -> list[ColumnDoc]:
    """Data dictionary of ``reliability.csv``."""
    cfg = rules["reliability"]
    lvl = f"{cfg['ci_level']:.0%}"
    drawn = ""  # how large samples are resampled (bootstrap_alpha_ci)
    if cfg.get("bootstrap_patterns_min_n") is not None:
        drawn = f"; from n = {cfg['bootstrap_patterns_min_n']} on drawn per distinct answer pattern"
        if cfg.get("bootstrap_pattern_min_rows") is not None:
            drawn += f", patterns of fewer than {cfg['bootstrap_pattern_min_rows']} rows row by row"
    return [
        ColumnDoc("scale", "string", "scale name (config reliability.scales)"),
        ColumnDoc("instrument", "string", "codebook instrument whose items form the scale"),
        ColumnDoc("coding", "string", "raw = item codes as fielded; bimodal = CFQ 0/0/1/1 recode (KR-20)"),
        ColumnDoc("nan_policy", "string", "missing items: listwise (complete cases) or pairwise covariances"),
        ColumnDoc("n", "integer", "respondents with every item answered (listwise n)"),
        ColumnDoc("k", "integer", "number of items"),
        ColumnDoc(
            "alpha", "float", "Cronbach's alpha = k/(k-1) (1 - trace(C)/sum(C)), C = item covariance matrix"
        ),
        ColumnDoc(
            "alpha_ci_low", "float", f"Feldt {lvl} CI lower bound (F distribution, df n-1, (n-1)(k-1))"
        ),
        ColumnDoc("alpha_ci_high", "float", f"Feldt {lvl} CI upper bound"),
        ColumnDoc(
            "alpha_boot_ci_low",
            "float",
            f"percentile bootstrap {lvl} CI lower bound "
            f"({cfg['bootstrap_reps']} resamples of respondents, seed {cfg['seed']} + scale name{drawn})",
        ),
        ColumnDoc("alpha_boot_ci_high", "float", f"percentile bootstrap {lvl} CI upper bound"),
        ColumnDoc(
            "alpha_std", "float", "standardized alpha k r/(1 + (k-1) r), r = mean inter-item correlation"
        ),
        ColumnDoc(
            "omega_total",
            "float",
            "McDonald's omega total from a one-factor ML fit on the correlation matrix "
            f"(rounded to {OMEGA_DECIMALS} decimals)",
        ),
        ColumnDoc("mean_inter_item_r", "float", "mean inter-item Pearson correlation"),
        ColumnDoc(
            "alpha_published_id",
            "string",
            "id in data/published/*.csv of the alpha the report prints (empty: none printed)",
        ),
        ColumnDoc("label_no", "string", "Norwegian name of the scale (config reliability.scales label_no)"),
        ColumnDoc("label_en", "string", "English name of the scale (config reliability.scales label_en)"),
    ]


def item_statistics_docs() -> list[ColumnDoc]:
    """Data dictionary of ``item_statistics.csv``."""
    return [
        ColumnDoc("scale", "string", "scale name (config reliability.scales)"),
        ColumnDoc("item", "string", "item column of responses.csv"),
        ColumnDoc("n", "integer", "respondents used (listwise: complete on the scale)"),
        ColumnDoc("mean", "float", "item mean (raw codes, or 0/1 for the bimodal recode)"),
        ColumnDoc("sd", "float", "item standard deviation (n - 1)"),
        ColumnDoc(
            "item_rest_r", "float", "corrected item-total correlation: item vs the sum of the other items"
        ),
        ColumnDoc("alpha_if_deleted", "float", "Cronbach's alpha of the scale without this item"),
        ColumnDoc("label_no", "string", "Norwegian item wording (codebook)"),
        ColumnDoc("label_en", "string", "English item wording (codebook)"),
    ]
