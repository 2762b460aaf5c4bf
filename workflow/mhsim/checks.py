"""The calibration table: every target, published vs generated, and whether it is within tolerance.

Computed on the *cleaned and scored* synthetic data (the pipeline's own ``mhsurvey.clean`` and
``mhsurvey.scoring``), i.e. exactly what the report stages will see. Checks (issue [2/7]):

* ``sample``: analysed respondents after cleaning = the report's n (exact);
* ``composition``: Vedlegg 1 shares within ``checks.composition`` points;
* ``item_distribution``: published item percentages (per category, or the categories the text
  combines) within ``checks.item_distribution`` points (ranges: inside the range widened by it);
* ``alpha``: Cronbach's alpha (listwise, raw codes) within ``checks.alpha``;
* ``prevalence``: headline class shares of the report rules within ``checks.prevalence`` points;
* ``subgroup``: subgroup shares within their 95 % margin of error ``z * sqrt(p(1-p)/n_g)``
  (``docs/methods.md`` §1) at the published ``p`` and the generated subgroup size ``n_g``; the issue
  requires at least ``checks.subgroup_min_share`` of them to pass.

Rows with ``counted = False`` are shown but never counted: assumed targets (the report prints no
number) and chapter-2 targets the chapter-2 generator marks as unattainable (report inconsistencies);
``note`` says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from mhsurvey.codebook import Codebook
from mhsurvey.dictionary import ColumnDoc, docs_from_mapping
from mhsurvey.reliability import cronbach_alpha

from .instruments import ScaleTargets
from .targets import Published, resolve_value, source_label

TABLE_COLUMNS = (
    "check",
    "target_id",
    "source_id",
    "counted",
    "measure",
    "item",
    "subgroup_var",
    "subgroup_level",
    "category",
    "published",
    "generated",
    "diff",
    "n",
    "tolerance",
    "lower",
    "upper",
    "within",
    "note",
)
COUNTED_CHECKS = ("sample", "composition", "item_distribution", "alpha", "prevalence", "subgroup")
CASE_COLUMN = {
    "sss8": "sss8_case_report",
    "cfq": "cfq_case_report",
    "gad7": "gad7_case_report",
    "phq9": "phq9_case_report",
    "itq_ptsd": "itq_ptsd_case_report",
    "itq_dso": "itq_cptsd_case_report",
    "wsas": "wsas_case_report",
}


def _labels(published: Published, source: str, fallback: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("measure", "item", "subgroup_var", "subgroup_level", "category")
    if source in published.rows.index:
        row = published.rows.loc[source]
        return {k: str(row[k]) for k in keys}
    return {k: str(fallback.get(k, "")) for k in keys}


def _row(
    check: str,
    target_id: str,
    spec: Mapping[str, Any] | str,
    published_value: float,
    generated: float,
    n: int,
    tol: float,
    labels: Mapping[str, Any],
    low: float | None = None,
    high: float | None = None,
    assumed: bool = False,
) -> dict[str, Any]:
    src = spec if isinstance(spec, str) else source_label(spec)
    reason = "" if isinstance(spec, str) else str(spec.get("assumed", ""))
    is_assumed = assumed or bool(reason) or src == "assumed"
    lo = (published_value if low is None else low) - tol
    hi = (published_value if high is None else high) + tol
    within = bool(np.isfinite(generated) and lo - 1e-9 <= generated <= hi + 1e-9)
    note = f"assumed: {reason}" if reason else ("assumed (not printed in the report)" if is_assumed else "")
    return {
        "check": check,
        "target_id": target_id,
        "source_id": src,
        "counted": not is_assumed,
        **labels,
        "published": float(published_value),
        "generated": float(generated),
        "diff": float(generated - published_value),
        "n": int(n),
        "tolerance": float(tol),
        "lower": float(lo),
        "upper": float(hi),
        "within": within,
        "note": note,
    }


def _share(values: pd.Series, hit: set[int], base: set[int] | None = None) -> tuple[float, int]:
    v = values.dropna().astype(int)
    if base is not None:
        v = v[v.isin(base)]
    return (100.0 * float(v.isin(hit).mean()) if len(v) else float("nan")), int(len(v))


def composition_rows(
    responses: pd.DataFrame, cfg: Mapping[str, Any], published: Published, codebook: Codebook, n_target: int
) -> list[dict[str, Any]]:
    """Sample size and Vedlegg 1 shares (percent of the substantive answers)."""
    tol = float(cfg["checks"]["composition"])
    rows = [
        _row(
            "sample",
            "sample:n",
            cfg["sample"]["n_target"],
            n_target,
            len(responses),
            len(responses),
            0.0,
            _labels(published, source_label(cfg["sample"]["n_target"]), {"measure": "sample"}),
        )
    ]
    for var, vspec in cfg["background"].items():
        col = codebook.column(var)
        substantive = set(col.valid_codes() - col.nonsubstantive_codes())
        for e in vspec["shares"]:
            value = resolve_value(e, published, f"background.{var}")
            gen, n = _share(responses[var], {int(e["code"])}, substantive)
            rows.append(
                _row(
                    "composition",
                    f"composition:{var}:{e['code']}",
                    e,
                    value,
                    gen,
                    n,
                    tol,
                    _labels(
                        published,
                        source_label(e),
                        {
                            "measure": "sample",
                            "subgroup_var": var,
                            "subgroup_level": col.label(int(e["code"])),
                        },
                    ),
                )
            )
        cond = vspec.get("conditional")
        if cond:
            among = responses[var] == int(cond["given_code"])
            for e in cond["shares"]:
                value = resolve_value(e, published, f"background.{var}.conditional")
                gen, n = _share(responses.loc[among.fillna(False), cond["column"]], {int(e["code"])})
                rows.append(
                    _row(
                        "composition",
                        f"composition:{cond['column']}|{var}={cond['given_code']}:{e['code']}",
                        e,
                        value,
                        gen,
                        n,
                        tol,
                        _labels(published, source_label(e), {}),
                    )
                )
    return rows


def _items_matrix(responses: pd.DataFrame, codebook: Codebook, items: list[str]) -> np.ndarray:
    x = responses[items].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    for j, name in enumerate(items):
        ns = list(codebook.nonsubstantive_codes(name))
        x[np.isin(x[:, j], ns), j] = np.nan
    return x


def instrument_rows(
    responses: pd.DataFrame,
    scores: pd.DataFrame,
    targets: Mapping[str, ScaleTargets],
    cfg: Mapping[str, Any],
    published: Published,
    codebook: Codebook,
    scoring: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """Item distributions, alpha, headline prevalence and subgroup rows of the eight instruments."""
    chk = cfg["checks"]
    t_item, t_alpha, t_prev, z = (
        float(chk["item_distribution"]),
        float(chk["alpha"]),
        float(chk["prevalence"]),
        float(chk["subgroup_z"]),
    )
    band_names = [b["name"] for b in scoring["instruments"]["dass_stress"]["bands"]]
    rows: list[dict[str, Any]] = []
    for name, st in targets.items():
        for it in st.items:
            if it.assumed:
                continue
            col = codebook.column(it.name)
            substantive = set(col.valid_codes() - col.nonsubstantive_codes())
            for code, share, src in zip(it.codes, it.shares, it.sources, strict=True):
                gen, n = _share(responses[it.name], {code}, substantive)
                rows.append(
                    _row(
                        "item_distribution",
                        f"{name}:{it.name}:{code}",
                        src,
                        share,
                        gen,
                        n,
                        t_item,
                        _labels(published, src, {"measure": name, "item": it.name, "category": str(code)}),
                    )
                )
        for c in st.item_checks:
            for item in c.items:
                col = codebook.column(item)
                substantive = set(col.valid_codes() - col.nonsubstantive_codes())
                gen, n = _share(responses[item], set(c.codes), substantive)
                lab = _labels(published, c.source, {"measure": name})
                lab["item"] = f"{item}: {lab['item']}"
                rows.append(
                    _row(
                        "item_distribution",
                        f"{name}:{item}:{'+'.join(map(str, c.codes))}:{c.source}",
                        c.source,
                        (c.low + c.high) / 2,
                        gen,
                        n,
                        t_item,
                        lab,
                        c.low,
                        c.high,
                    )
                )
        x = _items_matrix(responses, codebook, st.item_names)
        complete = int((~np.isnan(x).any(axis=1)).sum())
        rows.append(
            _row(
                "alpha",
                f"{name}:alpha",
                st.alpha_source,
                st.alpha,
                cronbach_alpha(x, "listwise"),
                complete,
                t_alpha,
                _labels(published, st.alpha_source, {"measure": "alpha", "item": name}),
                assumed=st.alpha_assumed,
            )
        )
        if name == "dass_stress":
            band = scores["dass_stress_band"]
            cls = band.map(
                lambda b: band_names.index(b) if isinstance(b, str) and b in band_names else np.nan
            )
        else:
            cls = scores[CASE_COLUMN[name]].astype("Float64")
        cls = pd.Series(cls.to_numpy(dtype=float, na_value=np.nan), index=responses.index)
        for c in st.classes:
            gen, n = _share(cls, {c.cls})
            rows.append(
                _row(
                    "prevalence",
                    f"{name}:class{c.cls}",
                    c.source,
                    c.value,
                    gen,
                    n,
                    t_prev,
                    _labels(published, c.source, {"measure": name, "category": str(c.cls)}),
                )
            )
        for s in st.subgroups:
            g = responses[s.var].isin(list(s.codes)).fillna(False).to_numpy()
            gen, n = _share(cls[g], {s.cls})
            p = min(max(s.value / 100.0, 1e-9), 1 - 1e-9)
            tol = 100.0 * z * np.sqrt(p * (1 - p) / max(n, 1))
            rows.append(
                _row(
                    "subgroup",
                    f"{name}:{s.var}={'/'.join(map(str, s.codes))}:class{s.cls}",
                    s.source,
                    s.value,
                    gen,
                    n,
                    tol,
                    _labels(published, s.source, {"measure": name}),
                )
            )
    return rows


def chapter2_rows(items_table: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Rows of the chapter-2 generator's own calibration (``items.item_calibration``).

    ``kind`` total counts as ``item_distribution``; subgroup, difference and condition targets as
    ``subgroup``. Rows without a verdict, assumed rows and rows marked ``attainable = False``
    (report inconsistencies) are kept but not counted.
    """
    if items_table is None or items_table.empty:
        return []

    def num(v: Any) -> float:
        return float(v) if v is not None and pd.notna(v) else float("nan")

    out = []
    for r in items_table.to_dict("records"):
        sub = str(r.get("subgroup_var") or "")
        kind = str(r.get("kind") or ("total" if sub in ("", "total") else "subgroup"))
        within = r.get("within")
        has_verdict = within is not None and not pd.isna(within)
        attainable = r.get("attainable")
        counted = (
            has_verdict
            and str(r.get("source_id")) != "assumed"
            and not (attainable is not None and not pd.isna(attainable) and not bool(attainable))
        )
        pub, gen, tol = num(r.get("published")), num(r.get("generated")), num(r.get("tolerance"))
        note = str(r.get("note") or "")
        if not has_verdict and not note:
            note = "not evaluated"
        out.append(
            {
                "check": "item_distribution" if kind == "total" else "subgroup",
                "target_id": f"chapter2:{r.get('target_id')}",
                "source_id": str(r.get("source_id")),
                "counted": counted,
                "measure": r.get("measure"),
                "item": r.get("item"),
                "subgroup_var": sub,
                "subgroup_level": r.get("subgroup_level"),
                "category": r.get("category"),
                "published": pub,
                "generated": gen,
                "diff": num(r.get("diff")),
                "n": int(r["n"]) if pd.notna(r.get("n")) else 0,
                "tolerance": tol,
                "lower": pub - tol,
                "upper": pub + tol,
                "within": bool(within) if has_verdict else False,
                "note": note,
            }
        )
    return out


def as_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The rows as a tidy frame with :data:`TABLE_COLUMNS`."""
    df = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    df["counted"] = df["counted"].astype(bool)
    df["within"] = df["within"].astype(bool)
    df["n"] = df["n"].astype("Int64")
    return df


def summarise(table: pd.DataFrame, min_subgroup_share: float) -> dict[str, Any]:
    """Per check: counted targets, how many are within tolerance, and whether the check passes
    (all within, except ``subgroup``: at least ``min_subgroup_share`` within)."""
    out: dict[str, Any] = {}
    counted = table[table["counted"]]
    for check in COUNTED_CHECKS:
        t = counted[counted["check"] == check]
        n, k = int(len(t)), int(t["within"].sum())
        passed = (k >= min_subgroup_share * n) if check == "subgroup" else (k == n)
        out[check] = {"targets": n, "within": k, "pass": bool(passed)}
    return out


def table_docs() -> list[ColumnDoc]:
    """Data dictionary of ``<survey>_calibration.csv``."""
    return docs_from_mapping(
        {
            "check": (
                "string",
                "Check group: sample, composition, item_distribution, alpha, prevalence, subgroup",
                "sample; composition; item_distribution; alpha; prevalence; subgroup",
            ),
            "target_id": ("string", "Stable id of the target (check:measure:item:code or similar)"),
            "source_id": (
                "string",
                "Row id in data/published/*.csv, or 'assumed' (the report prints no number)",
            ),
            "counted": (
                "boolean",
                "True when the row counts towards the check (False: assumed, unattainable or "
                "not evaluated; see note)",
            ),
            "measure": ("string", "Measure of the published row (column measure of data/published)"),
            "item": (
                "string",
                "Item / question label of the published row (for combined checks prefixed by the item column)",
            ),
            "subgroup_var": (
                "string",
                "Subgroup variable of the published row ('total' for the whole sample)",
            ),
            "subgroup_level": ("string", "Subgroup level label of the published row"),
            "category": ("string", "Answer category / class of the published row"),
            "published": (
                "number",
                "Published value (percent; alpha as a proportion; sample as a count; a range as its midpoint)",
            ),
            "generated": ("number", "Value on the cleaned, scored synthetic data (unrounded)"),
            "diff": ("number", "generated - published"),
            "n": (
                "integer",
                "Base of the generated value (respondents with a substantive answer / a classification)",
            ),
            "tolerance": (
                "number",
                "Allowed deviation (percentage points; alpha units; subgroup: 95 % margin of error)",
            ),
            "lower": ("number", "Lowest accepted value (published or range low minus tolerance)"),
            "upper": ("number", "Highest accepted value (published or range high plus tolerance)"),
            "within": ("boolean", "True when lower <= generated <= upper"),
            "note": ("string", "Why a row is not counted (assumption, report inconsistency), else empty"),
        }
    )
