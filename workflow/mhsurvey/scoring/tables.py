"""``scores.csv`` and ``sensitivity.csv`` with their data dictionaries (stage 02, rule ``score``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..codebook import Codebook
from ..dictionary import ColumnDoc
from .derived import grouping, merged_incidents
from .instruments import (
    CLASSIFICATIONS,
    Prepared,
    cfq_bimodal,
    classify,
    dass_band,
    dass_modplus,
    fi_flag,
    itq_clusters,
    prepare,
    rule_uses_fi,
    rules_of,
    sum_score,
    trust_category,
    wsas_sum,
)
from .logic import BOUNDS_ONLY, to_int01

Rules = Mapping[str, Any]

BOOL = "integer (boolean)"
BOOL_VALUES = "1 = yes, 0 = no, empty = undetermined (missing items leave the class open)"
ITQ_CLUSTERS = ("re", "av", "th", "ad", "nsc", "dr")
_CLUSTER_TEXT = {
    "re": "re-experiencing (P1 dreams | P2 images)",
    "av": "avoidance (P3 internal | P4 external reminders)",
    "th": "sense of current threat (P5 super-alert | P6 jumpy)",
    "ad": "affective dysregulation (C1 calm down | C2 numb)",
    "nsc": "negative self-concept (C3 failure | C4 worthless)",
    "dr": "disturbances in relationships (C5 distant | C6 close)",
}


def _policy(rules: Rules) -> str:
    return rules["missing"]["policy"]


def score_responses(responses: pd.DataFrame, codebook: Codebook, rules: Rules) -> pd.DataFrame:
    """The scores table: one row per respondent (``rid`` first, order of ``responses``).

    Columns, in order: sums and ``<name>_n_valid``; DASS band and moderate+ flag; ``<name>_case_report``
    and ``<name>_case_standard`` flags; ITQ cluster flags; ``functional_impairment`` (default option);
    ``trust_category``; merged incident categories; recoded groups; ``condition_*`` columns. Flags
    are nullable Int64 1/0 (NA = undetermined). Every column is described by :func:`scores_docs`.
    """
    policy = _policy(rules)
    ins = rules["instruments"]
    prep = prepare(responses, codebook, rules)
    out: dict[str, Any] = {"rid": responses["rid"].astype("string").to_numpy()}

    d = ins["dass_stress"]
    out["dass_stress_sum"] = sum_score(prep.dass, d["prorate_max_missing"], d["multiplier"])
    out["dass_stress_n_valid"] = prep.dass.n_valid
    out["dass_stress_band"] = dass_band(prep.dass, d, policy).to_numpy()
    out["dass_stress_modplus"] = to_int01(dass_modplus(prep.dass, d, policy))

    def flags(name: str) -> None:
        for rule in ("report", "standard"):
            out[f"{name}_case_{rule}"] = to_int01(classify(prep, rules, name, rule, policy))

    out["sss8_sum"] = sum_score(prep.sss8, ins["sss8"]["prorate_max_missing"])
    out["sss8_n_valid"] = prep.sss8.n_valid
    flags("sss8")
    c = ins["cfq"]
    out["cfq_sum"] = sum_score(cfq_bimodal(prep.cfq, c), c["bimodal_prorate_max_missing"])
    out["cfq_likert_sum"] = sum_score(prep.cfq, c["prorate_max_missing"])
    out["cfq_n_valid"] = prep.cfq.n_valid
    flags("cfq")
    for name, items in (("gad7", prep.gad7), ("phq9", prep.phq9)):
        out[f"{name}_sum"] = sum_score(items, ins[name]["prorate_max_missing"])
        out[f"{name}_n_valid"] = items.n_valid
        flags(name)
    t = ins["itq"]
    for name, items in (("itq_ptsd", prep.itq_p), ("itq_dso", prep.itq_c)):
        out[f"{name}_sum"] = sum_score(items, t["prorate_max_missing"])
        out[f"{name}_n_valid"] = items.n_valid
    clusters = itq_clusters(prep.itq_p, prep.itq_c, t)
    for cl in ITQ_CLUSTERS:
        out[f"itq_{cl}"] = to_int01(clusters[cl])
    for rule in ("report", "standard"):
        for dx in ("ptsd", "cptsd"):
            out[f"itq_{dx}_case_{rule}"] = to_int01(classify(prep, rules, f"itq_{dx}", rule, policy))
    out["wsas_sum"] = wsas_sum(prep.wsas, ins["wsas"])
    out["wsas_n_valid"] = prep.wsas.n_valid
    flags("wsas")
    out["functional_impairment"] = to_int01(
        fi_flag(prep, rules, rules["functional_impairment"]["default"], policy)
    )
    out["trust_category"] = trust_category(prep.trust, ins["trust"]["categories"]).to_numpy()

    der = rules["derived"]
    for name, flag in merged_incidents(responses, codebook, der["incidents"]).items():
        out[name] = to_int01(flag)
    for name, spec in der["groupings"].items():
        g = grouping(responses, spec)
        if g is not None:
            out[name] = g.to_numpy()
    for name, spec in der["conditions"]["columns"].items():
        out[name] = out[spec["source"]]
    df = pd.DataFrame({k: (v.to_numpy() if isinstance(v, pd.Series) else v) for k, v in out.items()})
    for col in df.columns:
        if col.endswith("_n_valid") or col in der["groupings"]:
            df[col] = df[col].astype("Int64")
        elif col in ("rid", "dass_stress_band", "trust_category"):
            df[col] = df[col].astype("string")
        elif col.endswith("_sum"):
            df[col] = df[col].astype(float)
        else:
            df[col] = df[col].astype("Int64")
    return df


# --------------------------------------------------------------------------- sensitivity table

SENSITIVITY_COLUMNS = (
    "classification",
    "variant",
    "fi_option",
    "level",
    "headline",
    "scores_column",
    "description",
    "n_respondents",
    "n_determined",
    "n_undetermined",
    "n_prorated",
    "n_cases",
    "prevalence",
    "level_label_no",
    "level_label_en",
)


def _row(spec: dict[str, Any], values: Mapping[str, pd.Series], level_value: Any) -> dict[str, Any]:
    """Counts of one sensitivity row from the values under each missing-data policy."""
    full, bounds = values["policy"], values[BOUNDS_ONLY]
    det = full.notna()
    n_det = int(det.sum())
    n_cases = int((full[det] == level_value).sum())
    return {
        **spec,
        "n_respondents": len(full),
        "n_determined": n_det,
        "n_undetermined": len(full) - n_det,
        "n_prorated": int((det & bounds.isna()).sum()),
        "n_cases": n_cases,
        "prevalence": n_cases / n_det if n_det else np.nan,
    }


def sensitivity_table(responses: pd.DataFrame, codebook: Codebook, rules: Rules) -> pd.DataFrame:
    """Prevalence of every classification under every rule variant and impairment option.

    One row per (classification, variant, FI option, level). ``prevalence = n_cases /
    n_determined`` (undetermined respondents are left out of the denominator); ``n_prorated``
    counts respondents decided only through proration (the rest by bounds logic or complete
    items). ``headline = 1`` marks the rule of the report with the default FI option, whose flag
    is the ``scores_column`` of ``scores.csv``.
    """
    policy = _policy(rules)
    ins = rules["instruments"]
    prep = prepare(responses, codebook, rules)
    fi_cfg = rules["functional_impairment"]
    default_fi = fi_cfg["default"]
    rows: list[dict[str, Any]] = []

    def both(fn: Callable[[str], Any]) -> dict[str, pd.Series]:
        res = {}
        for key, pol in (("policy", policy), (BOUNDS_ONLY, BOUNDS_ONLY)):
            v = fn(pol)
            res[key] = pd.Series(v if isinstance(v, pd.Series) else pd.array(v, dtype="boolean"))
        return res

    def spec(
        classification: str, variant: str, fi: str, level: str, headline: bool, column: str, description: str
    ) -> dict[str, Any]:
        return {
            "classification": classification,
            "variant": variant,
            "fi_option": fi,
            "level": level,
            "headline": int(headline),
            "scores_column": column,
            "description": description,
        }

    d = ins["dass_stress"]
    bands = both(lambda pol: dass_band(prep.dass, d, pol))
    for b in d["bands"]:
        desc = f"DASS stress x2 in band {b['name']} (from {b['min_total']}); report = standard"
        rows.append(
            _row(
                spec("dass_stress_band", "report", "", b["name"], True, "dass_stress_band", desc),
                bands,
                b["name"],
            )
        )
    mod = both(lambda pol: dass_modplus(prep.dass, d, pol))
    rows.append(
        _row(
            spec(
                "dass_stress_modplus",
                "report",
                "",
                "case",
                True,
                "dass_stress_modplus",
                f"DASS stress x2 >= {d['modplus_min_total']} (moderate or worse)",
            ),
            mod,
            True,
        )
    )

    for cls in CLASSIFICATIONS:
        for name, rule in rules_of(cls, rules).items():
            options = list(fi_cfg["options"]) if rule_uses_fi(cls, rule) else [""]
            for opt in options:
                vals = both(lambda pol, c=cls, n=name, o=opt: classify(prep, rules, c, n, pol, o or None))
                stored = name in ("report", "standard") and opt in ("", default_fi)
                column = f"{cls}_case_{name}" if stored else ""
                desc = rule["description"] + (
                    f"; FI {opt}: {fi_cfg['options'][opt]['description']}" if opt else ""
                )
                rows.append(
                    _row(spec(cls, name, opt, "case", stored and name == "report", column, desc), vals, True)
                )

    for opt, ocfg in fi_cfg["options"].items():
        vals = both(lambda pol, o=opt: fi_flag(prep, rules, o, pol))
        rows.append(
            _row(
                spec(
                    "functional_impairment",
                    opt,
                    opt,
                    "case",
                    opt == default_fi,
                    "functional_impairment" if opt == default_fi else "",
                    ocfg["description"],
                ),
                vals,
                True,
            )
        )

    trust = both(lambda pol: trust_category(prep.trust, ins["trust"]["categories"]))
    for cat in ins["trust"]["categories"]:
        desc = f"trust {cat['min']}-{cat['max']} ({cat['label_no']})"
        rows.append(
            _row(
                spec("trust_category", "report", "", cat["name"], True, "trust_category", desc),
                trust,
                cat["name"],
            )
        )
    named = {
        (c, b["name"]): (b["label_no"], b["label_en"])
        for c, items in (("dass_stress_band", d["bands"]), ("trust_category", ins["trust"]["categories"]))
        for b in items
    }
    for row in rows:
        row["level_label_no"], row["level_label_en"] = named.get(
            (row["classification"], row["level"]), ("", "")
        )
    df = pd.DataFrame(rows, columns=list(SENSITIVITY_COLUMNS))
    for col in ("headline", "n_respondents", "n_determined", "n_undetermined", "n_prorated", "n_cases"):
        df[col] = df[col].astype("Int64")
    return df


# --------------------------------------------------------------------------- level labels

LEVEL_COLUMNS = (
    "column",
    "kind",
    "column_label_no",
    "column_label_en",
    "order",
    "code",
    "label_no",
    "label_en",
    "config_key",
)


def levels_table(rules: Rules, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The labels of every named level of a derived ``scores.csv`` column (``levels.csv``).

    One row per (column, level), in the column order of ``scores.csv`` and the configured level
    order: DASS stress bands (``instruments.dass_stress.bands``), trust categories
    (``instruments.trust.categories``), recoded groups (``derived.groupings``) and condition
    status (``derived.conditions``, levels 1 and 0). ``code`` is the value as written in
    ``scores.csv``; Norwegian and English labels of the column and of the level come from
    ``config/scoring.yaml``. Yes/no flags (case flags, merged incidents) have no named levels
    (1 = yes, 0 = no; ``scores.dictionary.csv``). Stage 04 reads this table instead of the
    scoring config. With ``columns`` (those of this survey's ``scores.csv``), columns not among
    them (a grouping whose source the survey lacks) are left out.
    """
    ins, der = rules["instruments"], rules["derived"]
    rows: list[tuple[Any, ...]] = []

    def add(column: str, kind: str, no: str, en: str, levels: list[tuple[str, str, str]], key: str) -> None:
        if columns is not None and column not in columns:
            return
        for i, (code, lno, len_) in enumerate(levels, start=1):
            rows.append((column, kind, no, en, i, code, lno, len_, key))

    d = ins["dass_stress"]
    add(
        "dass_stress_band",
        "band",
        d["band_label_no"],
        d["band_label_en"],
        [(str(b["name"]), b["label_no"], b["label_en"]) for b in d["bands"]],
        "instruments.dass_stress.bands",
    )
    tr = ins["trust"]
    add(
        "trust_category",
        "category",
        tr["category_label_no"],
        tr["category_label_en"],
        [(str(c["name"]), c["label_no"], c["label_en"]) for c in tr["categories"]],
        "instruments.trust.categories",
    )
    for name, spec in der["groupings"].items():
        add(
            name,
            "grouping",
            spec["label_no"],
            spec["label_en"],
            [(str(lv["code"]), lv["label_no"], lv["label_en"]) for lv in spec["levels"]],
            f"derived.groupings.{name}",
        )
    cond = der["conditions"]
    vl, vl_en = cond["value_labels"], cond["value_labels_en"]
    for name, spec in cond["columns"].items():
        add(
            name,
            "condition",
            spec["label_no"],
            spec["label_en"],
            [(code, vl[code], vl_en[code]) for code in ("1", "0")],
            f"derived.conditions.columns.{name}",
        )
    df = pd.DataFrame(rows, columns=list(LEVEL_COLUMNS))
    df["order"] = df["order"].astype("Int64")
    return df


def levels_docs() -> list[ColumnDoc]:
    """Data dictionary of ``levels.csv``."""
    return [
        ColumnDoc("column", "string", "derived column of scores.csv whose levels are named"),
        ColumnDoc(
            "kind",
            "string",
            "what the column is",
            "band = DASS stress band; category = trust category; "
            "grouping = recode of a codebook column (derived.groupings); condition = condition status "
            "(derived.conditions)",
        ),
        ColumnDoc("column_label_no", "string", "Norwegian label of the column (config/scoring.yaml)"),
        ColumnDoc("column_label_en", "string", "English label of the column (config/scoring.yaml)"),
        ColumnDoc("order", "integer", "position of the level within the column (configured order, from 1)"),
        ColumnDoc(
            "code",
            "string",
            "the level's value as written in scores.csv (band/category name or integer code)",
        ),
        ColumnDoc("label_no", "string", "Norwegian label of the level"),
        ColumnDoc("label_en", "string", "English label of the level"),
        ColumnDoc("config_key", "string", "where in config/scoring.yaml the levels are defined"),
    ]


# --------------------------------------------------------------------------- data dictionaries


def _rule_text(rules: Rules, cls: str, name: str) -> str:
    rule = rules_of(cls, rules)[name]
    text = rule["description"]
    if rule_uses_fi(cls, rule):
        fi = rules["functional_impairment"]
        text += f"; functional impairment = {fi['default']}: {fi['options'][fi['default']]['description']}"
    return text


def scores_docs(rules: Rules, columns: list[str]) -> list[ColumnDoc]:
    """Data dictionary of ``scores.csv`` for the given columns (descriptions from the rules)."""
    ins = rules["instruments"]
    policy = _policy(rules)
    miss = (
        "missing items: bounds logic first (a class is set when every completion of the missing items "
        f"gives it), then proration (policy {policy})"
    )
    docs: dict[str, ColumnDoc] = {
        "rid": ColumnDoc("rid", "string", "pseudonymous respondent id (key; order of responses.csv)"),
    }
    names = {
        "dass_stress": (
            "DASS-21 stress subscale",
            "2 x raw sum (0-42)",
            ins["dass_stress"]["prorate_max_missing"],
        ),
        "sss8": (
            "SSS-8",
            "sum on the 0-4 metric (fielded 1-5 codes minus 1; 0-32)",
            ins["sss8"]["prorate_max_missing"],
        ),
        "gad7": ("GAD-7", "sum 0-21", ins["gad7"]["prorate_max_missing"]),
        "phq9": ("PHQ-9", "sum 0-27", ins["phq9"]["prorate_max_missing"]),
        "itq_ptsd": ("ITQ PTSD items P1-P6", "sum 0-24", ins["itq"]["prorate_max_missing"]),
        "itq_dso": ("ITQ DSO items C1-C6", "sum 0-24", ins["itq"]["prorate_max_missing"]),
        "wsas": (
            "WSAS",
            f"sum 0-40 (missing rule {ins['wsas']['missing_rule']})",
            ins["wsas"]["prorate_max_missing"],
        ),
    }
    for key, (label, what, mm) in names.items():
        docs[f"{key}_sum"] = ColumnDoc(
            f"{key}_sum",
            "float",
            f"{label}: {what}; prorated (k x mean of answered "
            f"items) when at most {mm} item(s) missing, else empty; unrounded",
        )
        docs[f"{key}_n_valid"] = ColumnDoc(
            f"{key}_n_valid",
            "integer",
            f"{label}: number of answered items (non-substantive codes count as missing)",
        )
    c = ins["cfq"]
    docs["cfq_sum"] = ColumnDoc(
        "cfq_sum",
        "float",
        "Chalder CFQ-11 bimodal sum 0-11 (items >= "
        f"{c['bimodal_min_code']} count 1); prorated when at most "
        f"{c['bimodal_prorate_max_missing']} item(s) missing, else empty",
    )
    docs["cfq_likert_sum"] = ColumnDoc(
        "cfq_likert_sum",
        "float",
        "Chalder CFQ-11 Likert sum 0-33; prorated when "
        f"at most {c['prorate_max_missing']} item(s) missing, else empty",
    )
    docs["cfq_n_valid"] = ColumnDoc("cfq_n_valid", "integer", "CFQ-11: number of answered items")
    bands = ins["dass_stress"]["bands"]
    docs["dass_stress_band"] = ColumnDoc(
        "dass_stress_band",
        "string",
        f"DASS stress band of the x2 score (Lovibond 1995; report = standard); {miss}",
        "; ".join(f"{b['name']} = {b['label_no']} (>= {b['min_total']})" for b in bands)
        + "; empty = undetermined",
    )
    docs["dass_stress_modplus"] = ColumnDoc(
        "dass_stress_modplus",
        BOOL,
        f"DASS stress x2 >= {ins['dass_stress']['modplus_min_total']} (the report's "
        f"'moderat/alvorlig stress'); {miss}",
        BOOL_VALUES,
    )
    labels = {
        "sss8": "SSS-8",
        "cfq": "CFQ-11",
        "gad7": "GAD-7",
        "phq9": "PHQ-9",
        "wsas": "WSAS",
        "itq_ptsd": "ITQ PTSD",
        "itq_cptsd": "ITQ complex PTSD (KPTSD)",
    }
    for cls, label in labels.items():
        for rule, what in (
            ("report", "rule as the report applied it (headline)"),
            ("standard", "published standard rule"),
        ):
            col = f"{cls}_case_{rule}"
            docs[col] = ColumnDoc(
                col, BOOL, f"{label} case, {what}: {_rule_text(rules, cls, rule)}; {miss}", BOOL_VALUES
            )
    endorse = ins["itq"]["endorse_min_code"]
    for cl in ITQ_CLUSTERS:
        docs[f"itq_{cl}"] = ColumnDoc(
            f"itq_{cl}",
            BOOL,
            f"ITQ cluster {_CLUSTER_TEXT[cl]}: any item >= {endorse}; "
            "NA when no answered item meets it and an item is missing",
            BOOL_VALUES,
        )
    fi = rules["functional_impairment"]
    docs["functional_impairment"] = ColumnDoc(
        "functional_impairment",
        BOOL,
        f"functional impairment from WSAS, option {fi['default']}: "
        f"{fi['options'][fi['default']]['description']} (used by the PHQ-9 and ITQ rules)",
        BOOL_VALUES,
    )
    docs["trust_category"] = ColumnDoc(
        "trust_category",
        "string",
        "trust (0-10) category as in the report; 98/99 and empty -> empty",
        "; ".join(f"{c['name']} = {c['label_no']}" for c in ins["trust"]["categories"]),
    )
    der = rules["derived"]
    inc = der["incidents"]
    for name, spec in inc["merged"].items():
        parts = [f"{inc['question']}_{o}" for o in spec.get("options", [])] + list(spec.get("include", []))
        docs[name] = ColumnDoc(
            name,
            BOOL,
            f"{spec['label_no']}: any of {', '.join(parts)}; empty if the "
            f"question was not answered or only '{inc['refusal_option']}' ticked",
            BOOL_VALUES,
        )
    for name, spec in der["groupings"].items():
        docs[name] = ColumnDoc(
            name,
            "integer",
            f"{spec['description']} (recode of {spec['source']})",
            "; ".join(
                f"{lv['code']} = {lv['label_no']} ({spec['source']} in {lv['from']})" for lv in spec["levels"]
            )
            + "; empty = missing",
        )
    vl = der["conditions"]["value_labels"]
    for name, spec in der["conditions"]["columns"].items():
        docs[name] = ColumnDoc(
            name,
            BOOL,
            f"condition status '{spec['label_no']}' (breakdown), copy of {spec['source']}",
            f"1 = {vl['1']}; 0 = {vl['0']}; empty = undetermined",
        )
    missing = [c for c in columns if c not in docs]
    if missing:
        raise ValueError(f"undocumented score columns {missing}")
    return [docs[c] for c in columns]


def sensitivity_docs() -> list[ColumnDoc]:
    """Data dictionary of ``sensitivity.csv``."""
    return [
        ColumnDoc(
            "classification",
            "string",
            "classification (sss8, cfq, gad7, phq9, wsas, itq_ptsd, itq_cptsd, "
            "dass_stress_band, dass_stress_modplus, functional_impairment, trust_category)",
        ),
        ColumnDoc(
            "variant",
            "string",
            "rule name in config/scoring.yaml (report = as the report applied it, "
            "standard = published standard, others = documented variants; F1-F7 for functional impairment)",
        ),
        ColumnDoc(
            "fi_option",
            "string",
            "functional-impairment option (docs/methods.md §6.9) used by the rule; "
            "empty when the rule has no impairment requirement",
        ),
        ColumnDoc("level", "string", "'case' for yes/no classifications; band or category name otherwise"),
        ColumnDoc("headline", "integer", "1 for the report rule with the default impairment option", "1/0"),
        ColumnDoc(
            "scores_column", "string", "column of scores.csv holding this classification (empty if only here)"
        ),
        ColumnDoc("description", "string", "the rule in words, from config/scoring.yaml"),
        ColumnDoc("n_respondents", "integer", "rows of responses.csv"),
        ColumnDoc("n_determined", "integer", "respondents with a determined class (the denominator)"),
        ColumnDoc("n_undetermined", "integer", "respondents left undetermined (missing items)"),
        ColumnDoc(
            "n_prorated", "integer", "determined respondents whose class needed proration (bounds open)"
        ),
        ColumnDoc("n_cases", "integer", "respondents in the level (cases)"),
        ColumnDoc("prevalence", "float", "n_cases / n_determined (proportion 0-1, unrounded)"),
        ColumnDoc(
            "level_label_no",
            "string",
            "Norwegian label of a band or category level (config/scoring.yaml); "
            "empty for 'case' levels (the classification itself)",
        ),
        ColumnDoc(
            "level_label_en", "string", "English label of a band or category level; empty for 'case' levels"
        ),
    ]


__all__ = [
    "LEVEL_COLUMNS",
    "Prepared",
    "levels_docs",
    "levels_table",
    "score_responses",
    "scores_docs",
    "sensitivity_docs",
    "sensitivity_table",
]
