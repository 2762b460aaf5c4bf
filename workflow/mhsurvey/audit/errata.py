"""Errata of the study, found by generic checks over the published table (docs/audit.md §4).

Each check takes tables (published numbers joined to the crosswalk, regenerated composition,
sensitivity prevalences, a small figure catalogue) and returns :class:`Finding` objects; nothing
about a particular erratum is typed in. Kinds:

* ``category_sum``       shares of disjoint categories of one question and group sum to more than
                         100 + 0.5 per category (the printed values' rounding);
* ``subgroup_average``   the printed total cannot be a weighted mean of the printed levels
                         (each +-0.5; weights = the base composition; the unprinted part of the
                         base anywhere in 0-100; plus a slack for the composition);
* ``printed_rule``       the scoring rule as printed gives a prevalence outside the margin of the
                         printed prevalence (sensitivity.csv, literal variant);
* ``figure_number_duplicated`` one printed figure number labels figures of different chapters and
                         measures;
* ``caption_wrong_figure`` a caption refers to a figure that shows another measure;
* ``nesting``            a class the instrument's manual nests in another is printed above it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from ..dictionary import ColumnDoc, docs_from_mapping
from .crosswalk import Resolution
from .published import chapter_of, figure_of, parse_number, printed_figure_of
from .regenerate import report_moe

ERRATA_COLUMNS = (
    "erratum_id",
    "kind",
    "section",
    "printed",
    "check",
    "evidence_ids",
    "pipeline_action",
    "text_no",
    "text_en",
)


@dataclass(frozen=True)
class Finding:
    """One erratum before numbering: what is printed, what the check found, the evidence."""

    kind: str
    section: str
    printed: str
    check: str
    evidence_ids: tuple[str, ...]
    pipeline_action: str
    text_no: str
    text_en: str


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------- facts
FACT_COLUMNS = [
    "id",
    "survey",
    "section",
    "source",
    "measure",
    "variable",
    "breakdown",
    "level",
    "codes",
    "complement",
    "pct",
    "category",
    "item",
]


def facts_frame(
    published: pd.DataFrame, resolutions: Sequence[Resolution], vocab: pd.DataFrame
) -> pd.DataFrame:
    """Published shares that map to one cell (one category set, whole sample or one level).

    ``codes`` is the frozenset of answer codes the category sums (from the codebook vocabulary;
    classification levels stand for themselves); ``complement`` marks 100-minus shares.
    """
    code_of = {(r.survey, r.variable, r.category): frozenset(r.codes.split("|")) for r in vocab.itertuples()}
    by_id = {r.id: r for r in resolutions}
    rows = []
    for _, row in published.iterrows():
        res = by_id.get(row["id"])
        if (
            res is None
            or res.target is None
            or res.target.kind not in ("estimate", "subgroup", "complement", "merged")
        ):
            continue
        value = parse_number(row["pct"])
        if not isinstance(value, float):
            continue
        cell = res.target.cells[0]
        codes: frozenset[str] = frozenset()
        for key in cell.category.keys:
            codes |= code_of.get((cell.survey, cell.variable, key), frozenset({key}))
        rows.append(
            (
                row["id"],
                cell.survey,
                row["section"],
                row["source"],
                row["measure"],
                cell.variable,
                cell.breakdown,
                "+".join(cell.levels),
                codes,
                cell.category.complement,
                value,
                row["category"],
                row["item"] if row["item"] != "prevalence" else row["measure"],
            )
        )
    return pd.DataFrame(rows, columns=FACT_COLUMNS)


def _disjoint(a: tuple[frozenset, bool], b: tuple[frozenset, bool]) -> bool:
    """Two category sets are disjoint: plain sets that do not intersect, or a complement (not X)
    with a plain set inside X."""
    (ca, na), (cb, nb) = a, b
    if na and nb:
        return False
    if na:
        return cb <= ca
    if nb:
        return ca <= cb
    return not (ca & cb)


def _best_disjoint_family(cand: Sequence, tolerance: float) -> tuple[float, tuple]:
    """The family (>= 2 members) of pairwise disjoint candidates maximising ``sum(pct) - tolerance * k``,
    found depth-first over compatible sets; returns ``(score, family)``."""
    n = len(cand)
    ok = [[_disjoint((a.codes, a.complement), (b.codes, b.complement)) for b in cand] for a in cand]
    best: list = [-math.inf, ()]

    def search(start: int, chosen: tuple[int, ...], score: float) -> None:
        if len(chosen) >= 2 and score > best[0] + 1e-9:
            best[0], best[1] = score, tuple(cand[i] for i in chosen)
        for j in range(start, n):
            if all(ok[j][i] for i in chosen):
                search(j + 1, chosen + (j,), score + cand[j].pct - tolerance)

    search(0, (), 0.0)
    return best[0], best[1]


# --------------------------------------------------------------------------- checks
def check_category_sums(facts: pd.DataFrame, tolerance_per_category: float = 0.5) -> list[Finding]:
    """Disjoint categories of one question and group whose printed shares exceed 100 beyond rounding.

    For each (survey, variable, breakdown, level) the family of pairwise disjoint category sets
    with the largest ``sum(pct) - tolerance * k`` is found (depth-first search over compatible sets); it is an erratum
    when that exceeds 100 (each printed share is at most 0.5 above its true value).
    """
    out = []
    for (survey, variable, breakdown, level), g in facts.groupby(
        ["survey", "variable", "breakdown", "level"], sort=True
    ):
        cand = list(g.drop_duplicates(["codes", "complement", "pct"]).itertuples())
        if len(cand) < 2:
            continue
        best, best_family = _best_disjoint_family(cand, tolerance_per_category)
        if best > 100 + 1e-9:
            fam = best_family
            total = sum(f.pct for f in fam)
            parts = " + ".join(f"{f.category} {_fmt(f.pct)} %" for f in fam)
            where = "totalt" if not breakdown else level
            where_en = "total" if not breakdown else level
            out.append(
                Finding(
                    kind="category_sum",
                    section=fam[0].section,
                    printed=f"{parts} = {_fmt(total)} %",
                    check=(
                        f"disjoint categories of {variable} ({survey}, {where_en}) sum to {_fmt(total)} > 100 + "
                        f"{tolerance_per_category} x {len(fam)} (rounding)"
                    ),
                    evidence_ids=tuple(f.id for f in fam),
                    pipeline_action=(
                        "kept as printed in data/published; the pipeline reports its own shares "
                        "(estimates.csv), which sum to 100; reproduction.csv flags these rows in "
                        "column inconsistent"
                    ),
                    text_no=(
                        f"Rapporten oppgir for «{fam[0].item}» ({where}) {parts}, til sammen "
                        f"{_fmt(total)} %, mer enn 100 % selv med avrunding; minst ett av tallene er feil."
                    ),
                    text_en=(
                        f"For '{fam[0].item}' ({where_en}) the report prints {parts}, {_fmt(total)} % in total, "
                        f"more than 100 % even allowing for rounding; at least one of the numbers is wrong."
                    ),
                )
            )
    return out


def check_subgroup_averages(
    facts: pd.DataFrame, composition: pd.DataFrame, slack: float = 0.5, min_coverage: float = 0.9
) -> list[Finding]:
    """Printed levels of a breakdown that cannot average to the printed total.

    ``composition``: survey, variable, breakdown, level (label), n, total_n (the outcome's base).
    With weights ``w_l = n_l / total_n`` over the printed levels and the unprinted rest
    ``m = 1 - sum(w_l)`` (``>= 1 - min_coverage`` is skipped), the total can lie in
    ``[sum w_l (p_l - 0.5) - slack, sum w_l (p_l + 0.5) + 100 m + slack]``; a printed total whose
    interval ``T +- 0.5`` misses that range is an erratum.
    """
    out = []
    totals = facts[facts["breakdown"] == ""]
    subs = facts[(facts["breakdown"] != "") & ~facts["level"].str.contains(r"\+", regex=True)]
    comp = composition.set_index(["survey", "variable", "breakdown", "level"])
    for (survey, variable, codes, complement, breakdown), g in subs.groupby(
        ["survey", "variable", "codes", "complement", "breakdown"], sort=True
    ):
        tot = totals[
            (totals["survey"] == survey)
            & (totals["variable"] == variable)
            & (totals["codes"] == codes)
            & (totals["complement"] == complement)
        ]
        if tot.empty:
            continue
        g = g.drop_duplicates("level")
        if len(g) < 2:
            continue
        try:
            w = [comp.loc[(survey, variable, breakdown, lv)] for lv in g["level"]]
        except KeyError:
            continue
        total_n = float(w[0]["total_n"])
        weights = [float(x["n"]) / total_n for x in w]
        covered = sum(weights)
        if covered < min_coverage:
            continue
        rest = max(0.0, 1.0 - covered)
        lo = sum(wt * (p - 0.5) for wt, p in zip(weights, g["pct"], strict=True)) - slack
        hi = sum(wt * (p + 0.5) for wt, p in zip(weights, g["pct"], strict=True)) + 100.0 * rest + slack
        point = sum(wt * p for wt, p in zip(weights, g["pct"], strict=True)) / covered
        for T, trows in tot.groupby("pct"):
            if T + 0.5 >= lo and T - 0.5 <= hi:
                continue
            levels = ", ".join(f"{lv} {_fmt(p)} %" for lv, p in zip(g["level"], g["pct"], strict=True))
            ids = tuple(trows["id"]) + tuple(g["id"])
            cat = g["category"].iloc[0]
            measure = g["item"].iloc[0]
            out.append(
                Finding(
                    kind="subgroup_average",
                    section=g["section"].iloc[0],
                    printed=f"{cat}: {levels}; totalt {_fmt(T)} %",
                    check=(
                        f"weighted mean of the printed {breakdown} levels (weights = base composition "
                        f"{', '.join(f'{x:.2f}' for x in weights)}) is {point:.1f} %, possible total range "
                        f"[{lo:.1f}, {hi:.1f}] excludes the printed {_fmt(T)} +- 0.5"
                    ),
                    evidence_ids=ids,
                    pipeline_action=(
                        "kept as printed; the regenerated total and levels are consistent by "
                        "construction (one data set); reproduction.csv flags these rows"
                    ),
                    text_no=(
                        f"For «{measure}» ({cat}) kan undergruppene ({levels}) ikke gi totalen {_fmt(T)} %: "
                        f"vektet med utvalgets sammensetning blir snittet {point:.0f} %."
                    ),
                    text_en=(
                        f"For '{measure}' ({cat}) the subgroups ({levels}) cannot average to the printed total "
                        f"{_fmt(T)} %: weighted by the sample composition the mean is {point:.0f} %."
                    ),
                )
            )
    return out


def check_printed_rules(
    published: pd.DataFrame, sensitivity: Mapping[str, pd.DataFrame], rules: Sequence[Mapping], z: float = 2.0
) -> list[Finding]:
    """Scoring rules as printed that do not give the printed prevalence.

    For each rule and survey: ``L`` = prevalence of the literal variant, ``R`` = of the variant the
    pipeline uses (sensitivity.csv, level ``case``, no functional-impairment option), ``P`` = the
    printed prevalence. Erratum when ``|P - 100 L| > moe(L) + 0.5`` (report-style margin at
    n_determined). On synthetic data calibrated to ``R`` this is partly by construction; on real
    data it is a finding.
    """
    pub = published.set_index("id")
    out = []
    for rule in rules:
        for survey, pid in sorted(rule["published_ids"].items()):
            if survey not in sensitivity or pid not in pub.index:
                continue
            sens = sensitivity[survey]
            sel = sens[
                (sens["classification"] == rule["classification"])
                & (sens["level"] == "case")
                & (sens["fi_option"].isna() | (sens["fi_option"] == ""))
            ]
            lit = sel[sel["variant"] == rule["literal_variant"]]
            used = sel[sel["variant"] == rule["pipeline_variant"]]
            printed = parse_number(pub.loc[pid, "pct"])
            if lit.empty or used.empty or not isinstance(printed, float):
                continue
            L, n_l = float(lit["prevalence"].iloc[0]), float(lit["n_determined"].iloc[0])
            R = float(used["prevalence"].iloc[0])
            moe = report_moe(L, n_l, z)
            if abs(printed - 100 * L) <= moe + 0.5:
                continue
            rule_text = (
                pub.loc[rule["printed_rule_id"], "pct"] if rule["printed_rule_id"] in pub.index else ""
            )
            out.append(
                Finding(
                    kind="printed_rule",
                    section=pub.loc[pid, "section"],
                    printed=f"regel «{rule_text}» ({rule['no']}); forekomst {_fmt(printed)} %",
                    check=(
                        f"{rule['classification']} ({survey}): the printed rule (variant {rule['literal_variant']}) "
                        f"gives {100 * L:.1f} % (+-{moe:.1f}), the pipeline's variant {rule['pipeline_variant']} "
                        f"{100 * R:.1f} %, printed {_fmt(printed)} %"
                    ),
                    evidence_ids=(rule["printed_rule_id"], pid),
                    pipeline_action=(
                        f"the pipeline applies variant '{rule['pipeline_variant']}' (config/scoring.yaml), "
                        f"which reproduces the printed prevalence, and reports the printed rule as variant "
                        f"'{rule['literal_variant']}' in sensitivity.csv"
                    ),
                    text_no=(
                        f"Regelen slik den er beskrevet ({rule['no']}) gir {100 * L:.0f} % for "
                        f"{'nåværende' if survey == 'current' else 'tidligere'} ansatte, ikke de oppgitte "
                        f"{_fmt(printed)} %; tallet svarer til en annen regel ({100 * R:.0f} %)."
                    ),
                    text_en=(
                        f"The rule as described ({rule['en']}) gives {100 * L:.0f} % for {survey} employees, not "
                        f"the printed {_fmt(printed)} %; the number matches another rule ({100 * R:.0f} %)."
                    ),
                )
            )
    return out


def figure_index(published: pd.DataFrame, catalogue: Sequence[Mapping]) -> pd.DataFrame:
    """Printed figure number -> (section, chapter, measure) from the published rows' ``source``
    (the number as printed where the source notes it, e.g. ``printed 'Figur 3.'``) and the catalogue
    of figures that have no rows (images)."""
    rows = []
    for _, r in published.iterrows():
        fig = printed_figure_of(r["source"])
        if fig:
            rows.append(
                (fig, figure_of(r["source"]), r["section"], chapter_of(r["section"]), r["measure"], r["id"])
            )
    for c in catalogue:
        rows.append((c["figure"], c["figure"], c["section"], chapter_of(c["section"]), c["measure"], ""))
    return pd.DataFrame(rows, columns=["printed", "figure", "section", "chapter", "measure", "id"])


def check_figure_numbers(index: pd.DataFrame) -> list[Finding]:
    """A printed figure number used for figures of different chapters and different measures."""
    out = []
    for fig, g in index.groupby("printed", sort=True):
        uses = g.drop_duplicates(["chapter", "measure"])
        if uses["chapter"].nunique() < 2 or uses["measure"].nunique() < 2:
            continue
        desc = "; ".join(
            f"{r.section}: {r.measure}" + (f" (sequence {r.figure})" if r.figure != fig else "")
            for r in uses.itertuples()
        )
        ids = tuple(dict.fromkeys(i for i in g["id"] if i))[:12]
        out.append(
            Finding(
                kind="figure_number_duplicated",
                section=uses["section"].iloc[0],
                printed=f"«{fig}» brukt for: {desc}",
                check=f"{fig} labels figures of {uses['chapter'].nunique()} chapters and measures {sorted(uses['measure'])}",
                evidence_ids=ids,
                pipeline_action=(
                    "the pipeline numbers figures from its own catalogue (unique figure ids); the study's "
                    "number is kept as study_figure with a note"
                ),
                text_no=(
                    f"Figurnummeret «{fig}» er brukt for ulike figurer i avsnitt "
                    f"{' og '.join(dict.fromkeys(uses['section']))}."
                ),
                text_en=(
                    f"The figure number '{fig}' is used for different figures in sections "
                    f"{' and '.join(dict.fromkeys(uses['section']))}."
                ),
            )
        )
    return out


def check_caption_references(index: pd.DataFrame, references: Sequence[Mapping]) -> list[Finding]:
    """A caption that refers to a figure showing a different measure than the caption means."""
    out = []
    for ref in references:
        target = index[index["figure"] == ref["refers_to"]]
        shown = sorted(set(target["measure"]))
        if ref["expects_measure"] in shown:
            continue
        chapter = chapter_of(ref["section"])
        right = sorted(
            set(index[(index["measure"] == ref["expects_measure"]) & (index["chapter"] == chapter)]["figure"])
        )
        right_text = ", ".join(right) if right else "?"
        out.append(
            Finding(
                kind="caption_wrong_figure",
                section=ref["section"],
                printed=f"{ref['figure']}: «{ref['caption_no']}»",
                check=(
                    f"{ref['figure']} refers to {ref['refers_to']}, which shows {shown or ['(not in the table)']}, "
                    f"not {ref['expects_measure']} (shown in {right_text})"
                ),
                evidence_ids=tuple(
                    dict.fromkeys(i for i in index[index["figure"].isin([ref["figure"]] + right)]["id"] if i)
                )[:12],
                pipeline_action=f"the pipeline's caption refers to the {ref['expects_measure']} figure by its own id",
                text_no=(
                    f"Figurteksten til {ref['figure']} viser til {ref['refers_to']}, men hendelsene står i "
                    f"{right_text}."
                ),
                text_en=(
                    f"The caption of {ref['figure']} refers to {ref['refers_to']}, but the incidents are shown in "
                    f"{right_text}."
                ),
            )
        )
    return out


def check_nesting(facts: pd.DataFrame, nested: Sequence[Mapping], tolerance: float = 1.0) -> list[Finding]:
    """A class the manual nests in another (inner implies outer) printed above it.

    Pairs the printed case shares (codes {"1"}) of ``inner`` and ``outer`` in the same survey and
    group; ``inner - outer > tolerance`` (two rounded values) is a violation. One finding per
    survey and pair of classifications, with every violating pair as evidence.
    """
    out = []
    case = facts[(facts["codes"] == frozenset({"1"})) & ~facts["complement"]]
    for pair in nested:
        inner = case[case["variable"] == pair["inner"]]
        outer = case[case["variable"] == pair["outer"]]
        merged = inner.merge(outer, on=["survey", "breakdown", "level"], suffixes=("_in", "_out"))
        merged = merged.drop_duplicates(["survey", "breakdown", "level"])
        bad = merged[merged["pct_in"] - merged["pct_out"] > tolerance]
        for survey, g in bad.groupby("survey", sort=True):
            tot = g[g["breakdown"] == ""]
            head = tot.iloc[0] if not tot.empty else g.iloc[0]
            where = "totalt" if head["breakdown"] == "" else head["level"]
            out.append(
                Finding(
                    kind="nesting",
                    section=head["section_in"],
                    printed=f"{pair['inner_no']} {_fmt(head['pct_in'])} % > {pair['outer_no']} {_fmt(head['pct_out'])} % ({where})",
                    check=(
                        f"{pair['inner']} > {pair['outer']} + {tolerance} in {len(g)} printed group(s) of {survey}; "
                        f"the manual nests them ({pair['source']})"
                    ),
                    evidence_ids=tuple(
                        itertools.chain.from_iterable(zip(g["id_in"], g["id_out"], strict=True))
                    )[:24],
                    pipeline_action=(
                        f"the pipeline reproduces the printed numbers with the report rule and reports the "
                        f"manual rule ({pair['inner'].replace('_report', '_standard')}, nested) beside it "
                        f"(estimates.csv, sensitivity.csv)"
                    ),
                    text_no=(
                        f"Andelen med sannsynlig {pair['inner_no']} ({_fmt(head['pct_in'])} %) er høyere enn andelen "
                        f"med sannsynlig {pair['outer_no']} ({_fmt(head['pct_out'])} %), selv om manualen krever "
                        f"{pair['outer_no']} for {pair['inner_no']}; rapporten har ikke krevd dette."
                    ),
                    text_en=(
                        f"The share with probable {pair['inner_no']} ({_fmt(head['pct_in'])} %) exceeds the share with "
                        f"probable {pair['outer_no']} ({_fmt(head['pct_out'])} %), although the manual requires "
                        f"{pair['outer_no']} for {pair['inner_no']}; the report did not require it."
                    ),
                )
            )
    return out


# --------------------------------------------------------------------------- table
def errata_table(findings: Sequence[Finding]) -> pd.DataFrame:
    """Number the findings ``E01``... in check order (deterministic) as errata.csv rows."""
    rows = [
        (
            f"E{i:02d}",
            f.kind,
            f.section,
            f.printed,
            f.check,
            ";".join(f.evidence_ids),
            f.pipeline_action,
            f.text_no,
            f.text_en,
        )
        for i, f in enumerate(findings, start=1)
    ]
    return pd.DataFrame(rows, columns=list(ERRATA_COLUMNS))


def evidence_map(errata: pd.DataFrame) -> dict[str, list[str]]:
    """Published id -> erratum ids whose evidence names it."""
    out: dict[str, list[str]] = {}
    for r in errata.itertuples():
        for pid in filter(None, r.evidence_ids.split(";")):
            out.setdefault(pid, []).append(r.erratum_id)
    return out


def composition_frame(subgroup_tests: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Base composition per outcome and breakdown level from subgroup_tests.csv (n and total_n)."""
    frames = []
    for survey, t in sorted(subgroup_tests.items()):
        c = t.drop_duplicates(["variable", "breakdown", "level"])[
            ["variable", "breakdown", "level_label_no", "n", "total_n"]
        ]
        c = c.rename(columns={"level_label_no": "level"})
        c.insert(0, "survey", survey)
        frames.append(c)
    return pd.concat(frames, ignore_index=True)


def errata_docs() -> list[ColumnDoc]:
    """Data dictionary of results/audit/errata.csv."""
    return docs_from_mapping(
        {
            "erratum_id": ("string", "E01, E02 ... in check order"),
            "kind": (
                "string",
                "which check found it (docs/audit.md §4)",
                "category_sum, subgroup_average, printed_rule, figure_number_duplicated, caption_wrong_figure, nesting",
            ),
            "section": ("string", "section of the study where the printed number stands"),
            "printed": ("string", "what the study prints (Norwegian, as printed)"),
            "check": ("string", "what the check computed and the threshold it applied"),
            "evidence_ids": (
                "string",
                "published ids (data/published/*.csv) the finding rests on, ';'-separated",
            ),
            "pipeline_action": ("string", "what this pipeline does about it"),
            "text_no": (
                "string",
                "the erratum as one sentence in Norwegian bokmål (for the report's appendix)",
            ),
            "text_en": ("string", "the same sentence in English"),
        }
    )
