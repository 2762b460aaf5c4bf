"""Scoring rules of the eight instruments and the trust item (reviewer text: ``docs/scoring.md``).

Each function takes item matrices on the scoring metric (:class:`ItemSet`, ``NaN`` = missing)
and the instrument's block of ``config/scoring.yaml``; thresholds are never written here. Every
classification is three-valued (see :mod:`mhsurvey.scoring.logic` for the missing-data rule).
Section numbers refer to ``docs/methods.md`` (instrument scoring: §6); outputs and defaults
for reviewers: ``docs/scoring.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..codebook import Codebook
from .items import ItemSet, instrument_items, item_values
from .logic import (
    BOUNDS_ONLY,
    any_at_least,
    at_least,
    band_index,
    constant,
    count_at_least,
    decide_over_grid,
    prorated_total,
    row_any,
    row_count,
    row_nansum,
    sum_bounds,
)

Rules = Mapping[str, Any]


# --------------------------------------------------------------------------- generic sum rules


def sum_score(items: ItemSet, max_missing: int, multiplier: int = 1) -> np.ndarray:
    """Total ``multiplier * sum(items)``, prorated when at most ``max_missing`` items are missing.

    Prorated total = ``multiplier * k * mean(answered)`` (docs/methods.md §6.2); ``NaN`` when more items
    are missing. Unrounded.
    """
    return multiplier * prorated_total(items.values, max_missing, items.row_sum, items.n_valid)


def fallback_total(items: ItemSet, max_missing: int, policy: str) -> np.ndarray:
    """The prorated total that decides classes the bounds leave open, or all ``NaN`` under
    ``bounds_only`` (no proration)."""
    if policy == BOUNDS_ONLY:
        return np.full(items.values.shape[0], np.nan)
    return prorated_total(items.values, max_missing, items.row_sum, items.n_valid)


def sum_at_least(
    items: ItemSet,
    min_total: float,
    max_missing: int,
    policy: str,
    multiplier: int = 1,
    shift: float = 0.0,
    fallback: np.ndarray | None = None,
) -> pd.arrays.BooleanArray:
    """Three-valued ``multiplier * total + shift >= min_total`` with bounds logic, then proration.

    ``shift`` moves the total to another metric: the SSS-8 sum of fielded 1-5 codes is the 0-4
    sum plus ``offset * k`` (docs/methods.md §6.7). ``fallback`` overrides the prorated total (WSAS
    CamCOPS rule).
    """
    lo, hi = sum_bounds(items.values, items.item_max, items.item_min, items.row_sum, items.n_valid)
    fb = fallback_total(items, max_missing, policy) if fallback is None else fallback
    return at_least(multiplier * lo + shift, multiplier * hi + shift, multiplier * fb + shift, min_total)


# --------------------------------------------------------------------------- DASS stress


def dass_band(items: ItemSet, cfg: Rules, policy: str) -> pd.Series:
    """DASS-21 stress band name (``normal`` ... ``extremely_severe``) or ``NA``.

    Score = 2 x raw sum (0-42); bands (Lovibond & Lovibond 1995, report = standard): Normal 0-14,
    Mild 15-18, Moderate 19-25, Severe 26-33, Extremely severe 34+ (docs/methods.md §6.3). Bounds first,
    then proration (<= ``prorate_max_missing`` missing).
    """
    mult = cfg["multiplier"]
    lo, hi = sum_bounds(items.values, items.item_max, items.item_min, items.row_sum, items.n_valid)
    fb = fallback_total(items, cfg["prorate_max_missing"], policy)
    idx = band_index(mult * lo, mult * hi, mult * fb, [b["min_total"] for b in cfg["bands"]])
    names = np.array([b["name"] for b in cfg["bands"]], dtype=object)
    return pd.Series(np.where(idx >= 0, names[np.maximum(idx, 0)], None), dtype="string")


def dass_modplus(items: ItemSet, cfg: Rules, policy: str) -> pd.arrays.BooleanArray:
    """The report's "moderat/alvorlig stress": 2 x raw sum >= ``modplus_min_total`` (19)."""
    return sum_at_least(
        items, cfg["modplus_min_total"], cfg["prorate_max_missing"], policy, cfg["multiplier"]
    )


# --------------------------------------------------------------------------- SSS-8, CFQ, GAD-7


def sss8_case(items: ItemSet, cfg: Rules, rule: Rules, policy: str) -> pd.arrays.BooleanArray:
    """SSS-8 threshold rule on metric ``scored`` (0-4 per item, sum 0-32) or ``fielded`` (1-5).

    ``fielded`` total = scored total + ``code_offset * n_items`` (so ">= 12 on 1-5" is ">= 4 on
    0-4", the start of the *low* band; docs/methods.md §6.7).
    """
    shift = cfg["code_offset"] * cfg["n_items"] if rule["metric"] == "fielded" else 0
    return sum_at_least(items, rule["min_total"], cfg["prorate_max_missing"], policy, shift=shift)


def cfq_bimodal(items: ItemSet, cfg: Rules) -> ItemSet:
    """Chalder bimodal recode: item ``>= bimodal_min_code`` -> 1 else 0 (0,0,1,1); missing stays
    missing (Chalder et al. 1993; docs/methods.md §6.6)."""
    x = items.values
    with np.errstate(invalid="ignore"):
        b = np.where(np.isnan(x), np.nan, (x >= cfg["bimodal_min_code"]).astype(float))
    return ItemSet(items.columns, b, 0, 1)


def cfq_case(items: ItemSet, cfg: Rules, rule: Rules, policy: str) -> pd.arrays.BooleanArray:
    """CFQ-11 threshold rule on the ``bimodal`` (0-11) or ``likert`` (0-33) sum."""
    if rule["metric"] == "bimodal":
        return sum_at_least(
            cfq_bimodal(items, cfg), rule["min_total"], cfg["bimodal_prorate_max_missing"], policy
        )
    return sum_at_least(items, rule["min_total"], cfg["prorate_max_missing"], policy)


def simple_case(items: ItemSet, cfg: Rules, rule: Rules, policy: str) -> pd.arrays.BooleanArray:
    """Sum ``>= min_total`` (GAD-7, PHQ-9 sum rules, WSAS NHS rule)."""
    return sum_at_least(items, rule["min_total"], cfg["prorate_max_missing"], policy)


# --------------------------------------------------------------------------- WSAS and function


def wsas_fallback(items: ItemSet, cfg: Rules, policy: str) -> np.ndarray:
    """Total used when the bounds cannot decide a WSAS rule (docs/methods.md §6.10).

    ``nhs``: NHS Data Dictionary, one missing item replaced by the mean of the others
    (``5 * mean``), more missing -> ``NaN``. ``camcops``: when only the work item is missing the
    total is the sum of the other items (maximum 32), otherwise the complete sum or ``NaN``.
    """
    if policy == BOUNDS_ONLY:
        return np.full(items.values.shape[0], np.nan)
    if cfg["missing_rule"] == "nhs":
        return prorated_total(items.values, cfg["prorate_max_missing"], items.row_sum, items.n_valid)
    x = items.values
    missing = np.isnan(x)
    work = items.columns.index(cfg["work_item"])
    only_work = missing[:, work] & (row_count(missing) == 1)
    complete = ~row_any(missing)
    return np.where(complete | only_work, row_nansum(x), np.nan)


def wsas_sum(items: ItemSet, cfg: Rules) -> np.ndarray:
    """WSAS total 0-40 under the configured missing rule (``NaN`` when it gives none)."""
    return wsas_fallback(items, cfg, policy="bounds_then_prorate")


def wsas_case(items: ItemSet, cfg: Rules, rule: Rules, policy: str) -> pd.arrays.BooleanArray:
    """WSAS total ``>= min_total`` (report 20-40; Mundt > 20), bounds then the missing rule."""
    fb = wsas_fallback(items, cfg, policy)
    return sum_at_least(items, rule["min_total"], cfg["prorate_max_missing"], policy, fallback=fb)


def functional_impairment(
    wsas: ItemSet, option: Rules, wsas_cfg: Rules, policy: str
) -> pd.arrays.BooleanArray:
    """Functional impairment from WSAS under one option of docs/methods.md §6.9 (F1-F7).

    ``any_item``: any of ``items`` ``>= min_item`` (three-valued; no proration). ``total``: WSAS
    total ``>= min_total`` (bounds, then the WSAS missing rule).
    """
    if option["kind"] == "any_item":
        return any_at_least(wsas.subset(option["items"]), option["min_item"])
    return wsas_case(wsas, wsas_cfg, {"min_total": option["min_total"]}, policy)


# --------------------------------------------------------------------------- PHQ-9 algorithm


def _phq9_predicate(alg: Rules, which: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Predicate of the DSM rule ``which`` (mds/ods) on (n_core, n_other) counts."""
    lo, hi, mds = alg["ods_min_symptoms"], alg["ods_max_symptoms"], alg["mds_min_symptoms"]

    def pred(core: np.ndarray, other: np.ndarray) -> np.ndarray:
        total = core + other
        if which == "mds":
            return (core >= 1) & (total >= mds)
        return (core >= 1) & (total >= lo) & (total <= hi)

    return pred


def phq9_algorithm(
    items: ItemSet, alg: Rules, which: str, max_missing: int, policy: str
) -> pd.arrays.BooleanArray:
    """PHQ-9 DSM algorithm (Spitzer et al. 1999; CamCOPS ``phq9.py``), ``which`` = mds or ods.

    n_core = #(core items >= symptom_min_code); n_other = #(other items >= symptom_min_code),
    where ``any_level_items`` (item 9) count at ``>= any_level_min_code``. MDS: n_core >= 1 and
    n_core + n_other >= 5; ODS: n_core >= 1 and 2 <= n_core + n_other <= 4. With missing items the
    result is decided over every reachable (n_core, n_other) pair; then, if allowed, on the items
    with missing ones replaced by the person mean.
    """
    cols = list(items.columns)
    core = [cols.index(c) for c in alg["core_items"]]
    other = [j for j in range(len(cols)) if j not in core]
    thr = np.array(
        [alg["any_level_min_code"] if c in alg["any_level_items"] else alg["symptom_min_code"] for c in cols],
        dtype=float,
    )
    x = items.values
    c_rng = count_at_least(x[:, core], thr[core])
    o_rng = count_at_least(x[:, other], thr[other])
    pred = _phq9_predicate(alg, which)
    out = decide_over_grid([c_rng, o_rng], pred, [len(core), len(other)])
    if policy == BOUNDS_ONLY:
        return out
    valid = row_count(~np.isnan(x))
    ok = (x.shape[1] - valid <= max_missing) & (valid > 0) & np.asarray(pd.isna(out))
    if ok.any():
        with np.errstate(invalid="ignore"):
            mean = np.nanmean(np.where(ok[:, None], x, 0.0), axis=1)
        filled = np.where(np.isnan(x), mean[:, None], x)
        with np.errstate(invalid="ignore"):
            c_n = row_count(filled[:, core] >= thr[core])
            o_n = row_count(filled[:, other] >= thr[other])
        imputed = pred(c_n, o_n)
        vals = np.where(ok, imputed, np.asarray(out.fillna(False), dtype=bool))
        known = ok | ~np.asarray(pd.isna(out))
        out = pd.arrays.BooleanArray(vals & known, ~known)
    return out


def phq9_case(
    items: ItemSet, cfg: Rules, rule: Rules, policy: str, fi: pd.arrays.BooleanArray | None
) -> pd.arrays.BooleanArray:
    """PHQ-9 rule: sum ``>= min_total`` or the DSM ``algorithm``, AND functional impairment when
    ``require_fi`` (the report: sum >= 15 AND WSAS-based impairment; docs/methods.md §6.5)."""
    if "algorithm" in rule:
        base = phq9_algorithm(items, cfg["algorithm"], rule["algorithm"], cfg["prorate_max_missing"], policy)
    else:
        base = simple_case(items, cfg, rule, policy)
    if rule.get("require_fi", False):
        if fi is None:
            raise ValueError("PHQ-9 rule requires a functional-impairment flag")
        return base & fi
    return base


# --------------------------------------------------------------------------- ITQ


def itq_clusters(p: ItemSet, c: ItemSet, cfg: Rules) -> dict[str, pd.arrays.BooleanArray]:
    """ITQ cluster flags ``re, av, th, ad, nsc, dr``: any cluster item ``>= endorse_min_code`` (2),
    three-valued (Cloitre et al. 2018; docs/methods.md §6.8)."""
    lookup = {name: (p, name) for name in p.columns} | {name: (c, name) for name in c.columns}
    out: dict[str, pd.arrays.BooleanArray] = {}
    for cluster, cols in cfg["clusters"].items():
        mats = []
        for col in cols:
            if col not in lookup:
                raise KeyError(f"ITQ cluster {cluster!r} names unknown item {col!r}")
            src, name = lookup[col]
            mats.append(src.subset([name]))
        out[cluster] = any_at_least(np.hstack(mats), cfg["endorse_min_code"])
    return out


def itq_diagnoses(
    cl: Mapping[str, pd.arrays.BooleanArray], fi: pd.arrays.BooleanArray, style: str
) -> tuple[pd.arrays.BooleanArray, pd.arrays.BooleanArray]:
    """``(ptsd, cptsd)`` from cluster flags and a functional-impairment flag (docs/methods.md §6.8).

    ``report``: PTSD = Re & Av & Th & FI; KPTSD = AD & NSC & DR & FI (no PTSD requirement;
    overlapping). ``manual`` (ITQ manual, FI_PTSD = FI_DSO = the WSAS flag): CPTSD = Re & Av & Th &
    AD & NSC & DR & FI; PTSD = Re & Av & Th & FI & not CPTSD, rewritten as
    Re & Av & Th & FI & not (AD & NSC & DR) so that every conjunct depends on disjoint items and
    Kleene logic is exact. Pass an all-True ``fi`` for the symptom-only variants.
    """
    crit = cl["re"] & cl["av"] & cl["th"]
    dso = cl["ad"] & cl["nsc"] & cl["dr"]
    if style == "report":
        return crit & fi, dso & fi
    if style == "manual":
        return crit & fi & ~dso, crit & dso & fi
    raise ValueError(f"unknown ITQ style {style!r}")


# --------------------------------------------------------------------------- trust


def trust_category(values: np.ndarray, categories: list[Rules]) -> pd.Series:
    """Trust category name (``low`` 0-4, ``medium`` 5-7, ``high`` 8-10 in the report) or ``NA``
    for missing and non-substantive answers (98, 99; docs/methods.md §6.11)."""
    out = np.full(len(values), None, dtype=object)
    for cat in categories:
        with np.errstate(invalid="ignore"):
            hit = (values >= cat["min"]) & (values <= cat["max"])
        out[hit] = cat["name"]
    return pd.Series(out, dtype="string")


# --------------------------------------------------------------------------- prepared inputs


@dataclass(frozen=True)
class Prepared:
    """Item matrices of every instrument, built once from ``responses`` and the codebook."""

    n: int
    dass: ItemSet
    sss8: ItemSet
    cfq: ItemSet
    gad7: ItemSet
    phq9: ItemSet
    itq_p: ItemSet
    itq_c: ItemSet
    wsas: ItemSet
    trust: np.ndarray
    #: values derived from these matrices, computed once per key (see :func:`memo`)
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)


def memo(prep: Prepared, key: Any, make: Callable[[], Any]) -> Any:
    """``make()``, computed once per ``prep`` and ``key``; the key must hold every setting the
    value depends on (the sensitivity table asks for the same ITQ clusters and impairment flags
    under dozens of rule variants)."""
    if key not in prep.memo:
        prep.memo[key] = make()
    return prep.memo[key]


def prepare(responses: pd.DataFrame, codebook: Codebook, rules: Rules) -> Prepared:
    """Item matrices (scoring metric, non-substantive codes -> ``NaN``) of every instrument."""
    ins = rules["instruments"]

    def items(instrument: str, key: str, n_items: int | None = None) -> ItemSet:
        cfg = ins[key]
        return instrument_items(
            responses,
            codebook,
            instrument,
            cfg.get("code_offset", 0),
            n_items if n_items is not None else cfg.get("n_items"),
        )

    trust = item_values(responses, codebook, [ins["trust"]["column"]])[:, 0]
    return Prepared(
        n=len(responses),
        dass=items("dass_stress", "dass_stress"),
        sss8=items("sss8", "sss8"),
        cfq=items("cfq", "cfq"),
        gad7=items("gad7", "gad7"),
        phq9=items("phq9", "phq9"),
        itq_p=instrument_items(responses, codebook, "itq_ptsd", 0),
        itq_c=instrument_items(responses, codebook, "itq_dso", 0),
        wsas=items("wsas", "wsas"),
        trust=trust,
    )


def fi_flag(prep: Prepared, rules: Rules, option: str, policy: str) -> pd.arrays.BooleanArray:
    """Functional-impairment flag under option ``option`` (e.g. ``F5``)."""
    fi_cfg = rules["functional_impairment"]["options"][option]
    wsas_cfg = rules["instruments"]["wsas"]
    return memo(
        prep,
        ("fi_flag", policy, repr(fi_cfg), repr(wsas_cfg)),
        lambda: functional_impairment(prep.wsas, fi_cfg, wsas_cfg, policy),
    )


CLASSIFICATIONS = ("sss8", "cfq", "gad7", "phq9", "wsas", "itq_ptsd", "itq_cptsd")


def rule_uses_fi(classification: str, rule: Rules) -> bool:
    """True when the rule needs a functional-impairment flag (PHQ-9 and ITQ ``require_fi``)."""
    return classification in ("phq9", "itq_ptsd", "itq_cptsd") and bool(rule.get("require_fi", False))


def rules_of(classification: str, rules: Rules) -> Mapping[str, Rules]:
    """Named rules (``report``, ``standard``, variants) of a classification."""
    key = "itq" if classification.startswith("itq_") else classification
    return rules["instruments"][key]["rules"]


def classify(
    prep: Prepared,
    rules: Rules,
    classification: str,
    rule_name: str,
    policy: str,
    fi_option: str | None = None,
) -> pd.arrays.BooleanArray:
    """One classification (``sss8`` ... ``itq_cptsd``) under one named rule and, where the rule
    requires functional impairment, one FI option (default: the configured default)."""
    ins = rules["instruments"]
    rule = rules_of(classification, rules)[rule_name]
    fi = None
    if rule_uses_fi(classification, rule):
        fi = fi_flag(prep, rules, fi_option or rules["functional_impairment"]["default"], policy)
    if classification == "sss8":
        return sss8_case(prep.sss8, ins["sss8"], rule, policy)
    if classification == "cfq":
        return cfq_case(prep.cfq, ins["cfq"], rule, policy)
    if classification == "gad7":
        return simple_case(prep.gad7, ins["gad7"], rule, policy)
    if classification == "wsas":
        return wsas_case(prep.wsas, ins["wsas"], rule, policy)
    if classification == "phq9":
        return phq9_case(prep.phq9, ins["phq9"], rule, policy, fi)
    if classification in ("itq_ptsd", "itq_cptsd"):
        t = ins["itq"]
        key = ("itq_clusters", repr(t["clusters"]), t["endorse_min_code"])
        cl = memo(prep, key, lambda: itq_clusters(prep.itq_p, prep.itq_c, t))
        ptsd, cptsd = itq_diagnoses(cl, fi if fi is not None else constant(prep.n), rule["style"])
        return ptsd if classification == "itq_ptsd" else cptsd
    raise KeyError(f"unknown classification {classification!r}")
