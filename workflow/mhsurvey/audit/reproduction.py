"""reports/reproduction.csv (one row per published number) and its summary (docs/audit.md §3).

Within rule: a mapped number is *within* when ``|published - regenerated| <= moe + allowance``,
with the regenerated value unrounded, ``moe`` its report-style margin of error
(mhsurvey.audit.regenerate) and ``allowance`` the rounding of the printed value (0.5 points for
a whole percentage; 1.0 for a printed difference of two rounded shares; 0.005 for an alpha). A
range ("14-17") is within when both ends are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd

from ..dictionary import ColumnDoc, docs_from_mapping
from ..rounding import round_half_up
from .crosswalk import Resolution
from .published import chapter_of, figure_of, published_value
from .regenerate import Results, Value, evaluate

REPRODUCTION_COLUMNS = (
    "id",
    "survey",
    "section",
    "chapter",
    "figure",
    "source",
    "measure",
    "item",
    "subgroup_var",
    "subgroup_level",
    "category",
    "status",
    "reason",
    "published",
    "regenerated",
    "regenerated_unrounded",
    "difference",
    "abs_difference",
    "base_n",
    "moe",
    "allowance",
    "within",
    "inconsistent",
    "mapping",
    "target_kind",
    "via",
    "synthetic",
)


def _fmt(x: float, digits: int) -> str:
    """Round half up (mhsurvey.rounding) and print with ``digits`` decimals."""
    r = round_half_up(x, digits)
    return f"{r:.{digits}f}"


def _pair(v: float | tuple[float, float]) -> tuple[float, float]:
    return v if isinstance(v, tuple) else (float(v), float(v))


def compare(published: float | tuple[float, float], value: Value) -> tuple[float, bool]:
    """Signed difference ``published - regenerated`` (rounded as printed; for a range the end with the
    larger gap) and whether it is within ``moe + allowance`` (unrounded regenerated value)."""
    p_lo, p_hi = _pair(published)
    r_lo, r_hi = _pair(value.value)
    d_lo = p_lo - round_half_up(r_lo, value.digits)
    d_hi = p_hi - round_half_up(r_hi, value.digits)
    diff = d_lo if abs(d_lo) >= abs(d_hi) else d_hi
    limit = value.moe + value.allowance + 1e-9
    within = abs(p_lo - r_lo) <= limit and abs(p_hi - r_hi) <= limit
    return round_half_up(diff, max(value.digits, 0) + 2), within


def reproduction_table(
    published: pd.DataFrame,
    resolutions: Sequence[Resolution],
    results: Mapping[str, Results],
    z: float,
    inconsistent: Mapping[str, Sequence[str]],
    synthetic: bool,
) -> pd.DataFrame:
    """One row per published id (columns REPRODUCTION_COLUMNS; meaning: reproduction_docs())."""
    by_id = {r.id: r for r in resolutions}
    rows = []
    for _, row in published.iterrows():
        res = by_id[row["id"]]
        out = {
            c: row[c]
            for c in (
                "id",
                "survey",
                "section",
                "source",
                "measure",
                "item",
                "subgroup_var",
                "subgroup_level",
                "category",
            )
        }
        out.update(
            chapter=chapter_of(row["section"]),
            figure=figure_of(row["source"]),
            published=row["pct"] if row["pct"].strip() else row["n"],
            status="mapped" if res.target else "not_reproducible",
            reason=res.reason,
            regenerated="",
            regenerated_unrounded="",
            difference=math.nan,
            abs_difference=math.nan,
            base_n=pd.NA,
            moe=math.nan,
            allowance=math.nan,
            within=pd.NA,
            inconsistent=";".join(inconsistent.get(row["id"], ())),
            mapping=res.target.describe() if res.target else res.note,
            target_kind=res.target.kind if res.target else "",
            via=res.via,
            synthetic=int(bool(synthetic)),
        )
        if res.target is not None:
            value = evaluate(res.target, results, z, where=f"published id {row['id']}")
            pub = published_value(row)
            lo, hi = _pair(value.value)
            if isinstance(value.value, tuple):
                out["regenerated"] = f"{_fmt(lo, value.digits)}-{_fmt(hi, value.digits)}"
                out["regenerated_unrounded"] = f"{lo:.4f}-{hi:.4f}"
            else:
                out["regenerated"] = _fmt(lo, value.digits)
                out["regenerated_unrounded"] = f"{lo:.4f}"
            out.update(
                base_n=value.base_n if value.base_n is not None else pd.NA,
                moe=round(value.moe, 4),
                allowance=value.allowance,
            )
            if pub is not None:
                diff, within = compare(pub, value)
                out.update(difference=diff, abs_difference=abs(diff), within=int(within))
        rows.append(out)
    df = pd.DataFrame(rows, columns=list(REPRODUCTION_COLUMNS))
    df["base_n"] = df["base_n"].astype("Int64")
    df["within"] = df["within"].astype("Int64")
    return df


def reproduction_docs() -> list[ColumnDoc]:
    """Data dictionary of reports/reproduction.csv."""
    return docs_from_mapping(
        {
            "id": ("string", "published id (data/published/*.csv)"),
            "survey": ("string", "current, former or both"),
            "section": (
                "string",
                "section of the study (Sammendrag, 2.1 ... 3.8, former, method, vedlegg1-3)",
            ),
            "chapter": ("string", "chapter key: 2 / 3 for the numbered sections, else the section"),
            "figure": (
                "string",
                "figure the number was read from ('Figur 22', 'panel 3.3' = uncaptioned subgroup "
                "panel, 'Vedlegg 1'); empty for prose and tables. Figure numbers are the study's "
                "sequence numbers, which repeat (errata.csv kind figure_number_duplicated)",
            ),
            "source": ("string", "the published source field (text, Figur N, ...)"),
            "measure": ("string", "published measure (codebook `measure:`)"),
            "item": ("string", "item or statement as the study words it"),
            "subgroup_var": ("string", "published breakdown (total = whole sample)"),
            "subgroup_level": ("string", "published breakdown level"),
            "category": ("string", "published category"),
            "status": (
                "string",
                "mapped = regenerated by the pipeline; not_reproducible = see reason",
                "mapped, not_reproducible",
            ),
            "reason": (
                "string",
                "why a number cannot be regenerated (config/crosswalk.yaml not_reproducible)",
                "interview_count, fieldwork_fact, no_population_frame, verbal_approximation, "
                "open_comment_count, literature_value, ambiguous_fragment, method_constant, scoring_rule, "
                "breakdown_not_tabulated",
            ),
            "published": ("string", "the value as printed (percent points, alpha, count or a range 'a-b')"),
            "regenerated": (
                "string",
                "regenerated value rounded as the study rounds (mhsurvey.rounding.round_half_up: "
                "whole points for percentages, 2 decimals for alphas, 1 for margins)",
            ),
            "regenerated_unrounded": ("string", "regenerated value, 4 decimals (a range: 'low-high')"),
            "difference": (
                "float",
                "published - regenerated (rounded), in points (alpha units for alphas); for a "
                "range the end with the larger gap",
            ),
            "abs_difference": ("float", "absolute value of difference"),
            "base_n": (
                "integer",
                "base of the regenerated share (respondents; pooled levels summed; smallest base of a range)",
            ),
            "moe": (
                "float",
                "margin of error of the regenerated value, report style (z = 2, Vedlegg 3): "
                "100*2*sqrt(p(1-p)/n) = moe_report of estimates/subgroup_tests; merged/pooled: same formula "
                "on summed counts; complement: same margin; difference: sqrt(moe_a^2 + moe_b^2); range: "
                "larger margin of its two ends; alpha: half the Feldt 95 % CI; counts and margins-table "
                "values: 0",
            ),
            "allowance": (
                "float",
                "rounding allowance of the printed value: 0.5 points (1.0 for a printed difference "
                "of two rounded shares, 0.005 for an alpha, 0.05 for a 1-decimal margin, 0 for counts)",
            ),
            "within": (
                "integer (boolean)",
                "1 if |published - regenerated (unrounded)| <= moe + allowance (both ends of "
                "a range); empty when not reproducible. On synthetic data a 0 is a "
                "calibration limit of the generator; on real data it is a finding",
            ),
            "inconsistent": (
                "string",
                "erratum ids (results/audit/errata.csv) whose evidence includes this printed "
                "number: the study itself is inconsistent here",
            ),
            "mapping": (
                "string",
                "the crosswalk target (table:variable=category|breakdown=level, difference, range, "
                "reliability/margins/cleaning) or, if not reproducible, the reason in words",
            ),
            "target_kind": (
                "string",
                "kind of target",
                "estimate, subgroup, complement, merged, pooled, difference, range, reliability, margins, "
                "cleaning",
            ),
            "via": (
                "string",
                "how the id was resolved in config/crosswalk.yaml",
                "rows (explicit), ids (explicit reason), rules (reason by rule), join (label join)",
            ),
            "synthetic": (
                "integer (boolean)",
                "1 if the regenerated values come from synthetic data (Syntetiske data)",
            ),
        }
    )


def _block(df: pd.DataFrame, scope: str, key: str) -> dict:
    mapped = df[df["within"].notna()]
    n_mapped = int(len(mapped))
    n_within = int(mapped["within"].sum()) if n_mapped else 0
    worst = mapped.loc[mapped["abs_difference"].idxmax()] if n_mapped else None
    return dict(
        scope=scope,
        key=key,
        n_mapped=n_mapped,
        n_within=n_within,
        share_within=round(n_within / n_mapped, 4) if n_mapped else math.nan,
        n_not_reproducible=int((df["status"] == "not_reproducible").sum()),
        n_outside_flagged=int(((mapped["within"] == 0) & (mapped["inconsistent"] != "")).sum()),
        max_abs_difference=float(worst["abs_difference"]) if worst is not None else math.nan,
        max_abs_difference_id=str(worst["id"]) if worst is not None else "",
    )


def summary_table(repro: pd.DataFrame, n_largest: int = 20) -> pd.DataFrame:
    """Share within the margin overall, by survey, chapter, section and figure; then the largest
    deviations (scope ``largest_deviation``, one row per id, ordered by |difference| beyond the margin)."""
    rows = [_block(repro, "overall", "all")]
    for scope, col in (("survey", "survey"), ("chapter", "chapter"), ("section", "section")):
        for key, g in repro.groupby(col, sort=True):
            rows.append(_block(g, scope, str(key)))
    figs = repro[repro["figure"] != ""].copy()
    figs["figure_key"] = figs["figure"] + " (" + figs["section"] + ")"
    for key, g in figs.groupby("figure_key", sort=True):
        rows.append(_block(g, "figure", str(key)))
    mapped = repro[repro["within"].notna()].copy()
    mapped["excess"] = mapped["abs_difference"] - mapped["moe"] - mapped["allowance"]
    worst = mapped.sort_values(["excess", "id"], ascending=[False, True]).head(n_largest)
    for _, r in worst.iterrows():
        rows.append(
            dict(
                scope="largest_deviation",
                key=r["id"],
                n_mapped=1,
                n_within=int(r["within"]),
                share_within=float(r["within"]),
                n_not_reproducible=0,
                n_outside_flagged=int(r["within"] == 0 and r["inconsistent"] != ""),
                max_abs_difference=float(r["abs_difference"]),
                max_abs_difference_id=r["id"],
            )
        )
    return pd.DataFrame(
        rows,
        columns=[
            "scope",
            "key",
            "n_mapped",
            "n_within",
            "share_within",
            "n_not_reproducible",
            "n_outside_flagged",
            "max_abs_difference",
            "max_abs_difference_id",
        ],
    )


def summary_docs() -> list[ColumnDoc]:
    """Data dictionary of results/audit/reproduction_summary.csv."""
    return docs_from_mapping(
        {
            "scope": (
                "string",
                "what the row aggregates",
                "overall, survey, chapter, section, figure, largest_deviation",
            ),
            "key": ("string", "the survey / chapter / section / 'Figur N (section)' / published id"),
            "n_mapped": ("integer", "mapped published numbers with a numeric printed value"),
            "n_within": ("integer", "of these, within their margin of error (reproduction.csv within = 1)"),
            "share_within": (
                "float",
                "n_within / n_mapped. Synthetic data: a calibration check of the generator; "
                "real data: the reproduction rate of the study",
            ),
            "n_not_reproducible": ("integer", "published numbers in the scope listed as not reproducible"),
            "n_outside_flagged": (
                "integer",
                "outside rows whose printed number is itself flagged by an erratum "
                "(reproduction.csv inconsistent): a deviation explained by the study",
            ),
            "max_abs_difference": ("float", "largest |published - regenerated| in the scope (points)"),
            "max_abs_difference_id": ("string", "published id of that largest difference"),
        }
    )
