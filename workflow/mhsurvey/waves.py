"""Wave-to-wave comparison of the total-level estimates of one survey kind (docs/methods.md §2.5).

For every outcome × category of stage 04 (``results/<survey>/04_estimates/estimates.csv``) present
in both waves: n and % in each wave, the change in percentage points (later − earlier), the
two-proportion z-test for independent samples with pooled variance, the Newcombe (1998, method
10) hybrid score interval of the difference, the p-value adjusted by the rule of stage 04
(``significance.adjust`` of config/estimates.yaml, family = all tested categories of one outcome)
and ``significant``. Tests are withheld by the rules of stage 04 (``significance.min_n`` on both
waves, ``significance.min_expected`` on the wave × answer table; ``withheld`` names the rule).

The two waves are treated as independent samples (different respondents; a staff member who
answered both waves is not linked). Imports downward only: :mod:`mhsurvey.inference`,
:mod:`mhsurvey.estimate_settings`, :mod:`mhsurvey.dictionary`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

from .dictionary import ColumnDoc, docs_from_mapping
from .errors import PipelineError
from .estimate_settings import EstimateSettings
from .inference import adjust_pvalues_padded, wilson_interval

KEY = ("source", "variable", "category")
LABELS = (
    "question_id",
    "item_id",
    "qtype",
    "label_no",
    "label_en",
    "category_label_no",
    "category_label_en",
    "category_kind",
    "nonsubstantive",
)
REQUIRED = (*KEY, *LABELS, "base_n", "count", "estimable")


def two_proportion_z(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pooled two-proportion z-test of independent samples, arrays; z has the sign of p2 − p1.

    z = (x2/n2 − x1/n1) / √(p̂(1 − p̂)(1/n1 + 1/n2)), p̂ = (x1 + x2)/(n1 + n2), p = 2 Φ(−|z|)
    (docs/methods.md §2.5; statsmodels ``proportions_ztest([x2, x1], [n2, n1])`` gives the same).
    NaN where a sample is empty or p̂ is 0 or 1.
    """
    x1, n1, x2, n2 = (np.asarray(a, dtype=float) for a in (x1, n1, x2, n2))
    ok = (n1 > 0) & (n2 > 0) & (x1 + x2 > 0) & (x1 + x2 < n1 + n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (x1 + x2) / (n1 + n2)
        z = (x2 / n2 - x1 / n1) / np.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    z = np.where(ok, z, np.nan)
    p = np.where(ok, 2 * norm.sf(np.abs(np.where(ok, z, 0.0))), np.nan)
    return z, p


def newcombe_interval(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe hybrid score interval of p2 − p1 (Newcombe 1998, method 10), arrays.

    With Wilson bounds (l_i, u_i) of each share (:func:`mhsurvey.inference.wilson_interval`) and
    d = p2 − p1: lower = d − √((p2 − l2)² + (u1 − p1)²), upper = d + √((u2 − p2)² + (p1 − l1)²)
    (statsmodels ``confint_proportions_2indep(x2, n2, x1, n1, method="newcomb")``). NaN where a
    sample is empty.
    """
    x1, n1, x2, n2 = (np.asarray(a, dtype=float) for a in (x1, n1, x2, n2))
    ok = (n1 > 0) & (n2 > 0)
    s1, s2 = np.where(ok, n1, 1.0), np.where(ok, n2, 1.0)
    l1, u1 = wilson_interval(np.where(ok, x1, 0.0), s1, confidence)
    l2, u2 = wilson_interval(np.where(ok, x2, 0.0), s2, confidence)
    p1, p2 = x1 / s1, x2 / s2
    d = p2 - p1
    low = d - np.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = d + np.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return np.where(ok, low, np.nan), np.where(ok, high, np.nan)


def withheld_change(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray, min_n: int, min_expected: float
) -> np.ndarray:
    """Why the test of a change is withheld (``""`` = test it), first rule that applies.

    * ``suppressed``: a count is hidden (small-cell suppression) in either wave (NaN count);
    * ``n_zero``: an outcome without answers in either wave (n = 0);
    * ``wave_n``: n < ``min_n`` in either wave (stage 04's ``significance.min_n``);
    * ``expected_count``: the smallest expected count of the wave × (yes, no) table,
      min(n1, n2) · min(p̂, 1 − p̂) with the pooled p̂, is below ``min_expected`` (Cochran 1954;
      z² is the Pearson chi-square of that table);
    * ``no_variance``: p̂ is 0 or 1 (possible only with ``min_expected`` = 0).
    """
    x1, n1, x2, n2 = (np.asarray(a, dtype=float) for a in (x1, n1, x2, n2))
    hidden = np.isnan(x1) | np.isnan(x2)
    xs1, xs2 = np.where(hidden, 0.0, x1), np.where(hidden, 0.0, x2)
    total = n1 + n2
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = np.where(total > 0, (xs1 + xs2) / np.where(total > 0, total, 1.0), 0.0)
    expected = np.minimum(n1, n2) * np.minimum(pooled, 1.0 - pooled)
    conditions = [
        hidden,
        (n1 <= 0) | (n2 <= 0),
        (n1 < min_n) | (n2 < min_n),
        expected < min_expected,
        (pooled <= 0) | (pooled >= 1),
    ]
    names = ["suppressed", "n_zero", "wave_n", "expected_count", "no_variance"]
    return np.select(conditions, names, "").astype(object)


def adjust_by_family(p: np.ndarray, family: Sequence[str], method: str) -> tuple[np.ndarray, np.ndarray]:
    """p adjusted within each family (NaN = untested, not counted) and the family sizes.

    ``method`` ``none`` returns p unchanged; ``holm`` / ``fdr_bh`` as stage 04
    (:func:`mhsurvey.inference.adjust_pvalues_padded`, equal to statsmodels ``multipletests``).
    """
    p = np.asarray(p, dtype=float)
    fam = pd.Series(list(family), dtype=object)
    codes, uniques = pd.factorize(fam)
    sizes = np.zeros(len(p), dtype=int)
    adjusted = p.copy()
    if len(p) == 0:
        return adjusted, sizes
    width = int(np.bincount(codes).max())
    table = np.full((len(uniques), width), np.nan)
    pos = fam.groupby(codes).cumcount().to_numpy()
    table[codes, pos] = p
    counts = (~np.isnan(table)).sum(axis=1)
    sizes = counts[codes]
    if method != "none":
        adjusted = adjust_pvalues_padded(table, method)[codes, pos]
    return adjusted, sizes


def _check(df: pd.DataFrame, name: str) -> None:
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise PipelineError(f"{name}: estimates table lacks column(s) {missing}")
    dup = df.duplicated(list(KEY))
    if dup.any():
        row = df[dup].iloc[0]
        raise PipelineError(f"{name}: outcome {row['variable']!r} category {row['category']!r} appears twice")


def compare_waves(
    earlier: pd.DataFrame,
    later: pd.DataFrame,
    settings: EstimateSettings,
    *,
    survey: str,
    waves: tuple[str, str],
    years: tuple[int, int],
    names: tuple[str, str] = ("earlier", "later"),
) -> pd.DataFrame:
    """The comparison table of two waves' ``estimates.csv`` (one row per outcome × category in both).

    Estimable rows only; labels from the later wave. ``change_pp`` = pct_to − pct_from;
    ``significant`` = tested and ``p_adjusted`` < ``significance.alpha``.
    """
    _check(earlier, names[0])
    _check(later, names[1])
    a = earlier[earlier["estimable"].astype(int) == 1]
    b = later[later["estimable"].astype(int) == 1]
    keyed = [*KEY]
    m = b[[*keyed, *LABELS, "base_n", "count"]].merge(
        a[[*keyed, "base_n", "count"]],
        on=keyed,
        how="inner",
        suffixes=("_to", "_from"),
        validate="one_to_one",
    )
    # rows in the later wave's order (the stage-04 order of outcomes and categories)
    n1 = pd.to_numeric(m["base_n_from"], errors="coerce").to_numpy(dtype=float)
    x1 = pd.to_numeric(m["count_from"], errors="coerce").to_numpy(dtype=float)
    n2 = pd.to_numeric(m["base_n_to"], errors="coerce").to_numpy(dtype=float)
    x2 = pd.to_numeric(m["count_to"], errors="coerce").to_numpy(dtype=float)
    withheld = withheld_change(x1, n1, x2, n2, settings.min_n, settings.min_expected)
    tested = withheld == ""
    z, p = two_proportion_z(x1, n1, x2, n2)
    z, p = np.where(tested, z, np.nan), np.where(tested, p, np.nan)
    low, high = newcombe_interval(np.nan_to_num(x1), n1, np.nan_to_num(x2), n2, settings.confidence_level)
    family = (m["source"].astype(str) + ":" + m["variable"].astype(str)).tolist()
    p_adj, sizes = adjust_by_family(p, family, settings.adjust)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct1 = np.where(n1 > 0, 100.0 * x1 / np.where(n1 > 0, n1, 1.0), np.nan)
        pct2 = np.where(n2 > 0, 100.0 * x2 / np.where(n2 > 0, n2, 1.0), np.nan)
    hidden = np.isnan(x1) | np.isnan(x2)
    out = pd.DataFrame(
        {
            "survey": survey,
            "wave_from": waves[0],
            "wave_to": waves[1],
            "year_from": int(years[0]),
            "year_to": int(years[1]),
            **{c: m[c] for c in (*keyed, *LABELS) if c != "nonsubstantive"},
            "nonsubstantive": pd.to_numeric(m["nonsubstantive"], errors="coerce").fillna(0).astype(int),
            "n_from": n1.astype(int),
            "count_from": pd.array(np.where(np.isnan(x1), pd.NA, x1), dtype="Int64"),
            "pct_from": pct1,
            "n_to": n2.astype(int),
            "count_to": pd.array(np.where(np.isnan(x2), pd.NA, x2), dtype="Int64"),
            "pct_to": pct2,
            "change_pp": pct2 - pct1,
            "diff_low": np.where(hidden, np.nan, 100.0 * low),
            "diff_high": np.where(hidden, np.nan, 100.0 * high),
            "z": z,
            "p_value": p,
            "family": family,
            "family_size": np.where(tested, sizes, 0),
            "p_adjusted": p_adj,
            "significant": (tested & (np.nan_to_num(p_adj, nan=1.0) < settings.alpha)).astype(int),
            "tested": tested.astype(int),
            "withheld": withheld,
        }
    )
    return out


def comparison_docs(settings: EstimateSettings) -> list[ColumnDoc]:
    """Data dictionary of ``comparison.csv``."""
    adjust = {"none": "unadjusted", "holm": "Holm", "fdr_bh": "Benjamini-Hochberg"}[settings.adjust]
    return docs_from_mapping(
        {
            "survey": ("string", "survey kind compared (last component of the survey key)"),
            "wave_from": (
                "string",
                "earlier wave id (project.wave for the primary wave, else the waves: key)",
            ),
            "wave_to": ("string", "later wave id"),
            "year_from": ("integer", "survey year of the earlier wave"),
            "year_to": ("integer", "survey year of the later wave"),
            "source": ("string", "responses or scores (as estimates.csv)"),
            "variable": ("string", "outcome: canonical column or classification (as estimates.csv)"),
            "category": ("string", "category key (as estimates.csv)"),
            "question_id": ("string", "codebook question id"),
            "item_id": ("string", "grid item / multi option id"),
            "qtype": ("string", "question type"),
            "label_no": ("string", "Norwegian label of the outcome (later wave)"),
            "label_en": ("string", "English label of the outcome"),
            "category_label_no": ("string", "Norwegian label of the category"),
            "category_label_en": ("string", "English label of the category"),
            "category_kind": ("string", "code, merged, ticked or level"),
            "nonsubstantive": ("integer (boolean)", "1 if the category is non-substantive"),
            "n_from": ("integer", "percentage base in the earlier wave (estimates.csv base_n)"),
            "count_from": ("integer", "respondents in the category, earlier wave; empty if suppressed"),
            "pct_from": ("float", "100 * count_from / n_from"),
            "n_to": ("integer", "percentage base in the later wave"),
            "count_to": ("integer", "respondents in the category, later wave; empty if suppressed"),
            "pct_to": ("float", "100 * count_to / n_to"),
            "change_pp": ("float", "pct_to - pct_from, in percentage points"),
            "diff_low": (
                "float",
                f"lower bound of the Newcombe hybrid score interval of the change ({settings.confidence_level:g}), points",
            ),
            "diff_high": ("float", "upper bound of the Newcombe interval, points"),
            "z": (
                "float",
                "pooled two-proportion z of the change (independent samples); empty when withheld",
            ),
            "p_value": ("float", "two-sided p of z, unadjusted"),
            "family": (
                "string",
                "multiple-testing family: source:variable (all tested categories of one outcome)",
            ),
            "family_size": ("integer", "tested categories in the family"),
            "p_adjusted": ("float", f"p adjusted within the family ({adjust}; config significance.adjust)"),
            "significant": (
                "integer (boolean)",
                f"1 if tested and p_adjusted < {settings.alpha:g} (significance.alpha)",
            ),
            "tested": ("integer (boolean)", "1 if the change was tested (withheld empty)"),
            "withheld": (
                "string",
                "rule that withheld the test; empty = tested",
                "suppressed; n_zero; wave_n (n < significance.min_n in a wave); expected_count "
                "(expected count < significance.min_expected); no_variance",
            ),
        }
    )


def read_estimates(path: str) -> pd.DataFrame:
    """Read a stage-04 ``estimates.csv`` with every cell as a string (empty = missing)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    for col in ("base_n", "count", "estimable", "nonsubstantive"):
        if col in df.columns:
            df[col] = pd.to_numeric(df[col].replace("", np.nan), errors="coerce")
    return df
