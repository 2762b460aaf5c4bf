"""Render the report: Jinja templates + results -> one self-contained HTML file -> PDF.

The HTML embeds everything it shows (CSS inline, figures as SVG data URIs, each figure's numbers
as a downloadable CSV data URI), so the file can be shared alone. Figure and table numbers are
assigned in reading order by rendering twice: the first pass records where each figure and
table is placed, the second prints the numbers and resolves cross-references to them. What a
figure's files give (its SVG and CSV as data URIs, its data table) is made once and shared by
both passes; only its number and placement are set anew.
"""

from __future__ import annotations

import base64
import fnmatch
import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import markdown
import pandas as pd
from markupsafe import Markup

from ..config import load_yaml_validated
from ..errors import ConfigError, InputDataError
from ..estimate_settings import suppression_on
from .narrative import NarrativeSettings, subgroup_paragraph
from .numbers import estimate_text, format_number, format_percent, format_points
from .phrasing import Vocabulary, share_phrase, vocabulary_from_config
from .results import AuditResults, Estimate, SurveyResults, records
from .units import UnitContext
from .waves import WaveComparison, WaveReport

REPORT_SCHEMA = "report.schema.yaml"

#: per (SVG, data CSV) of a figure: its SVG and CSV data URIs and its data table's HTML
#: (:meth:`Edition.figure_file_parts`)
FigureFiles = dict[tuple[Path, Path], tuple[str, str, str]]


SECTION_KEYS = (
    "number",
    "template",
    "content",
    "author_content",
    "instrument",
    "topic",
    "figures",
    "figures_multi",
    "sections",
    "requires",
    "edition_scope",
)


def present_sections(outline: Sequence[Mapping[str, Any]], available: set[str]) -> list[Mapping[str, Any]]:
    """The outline without the sections whose ``requires`` (e.g. ``waves``) is not available."""
    out = []
    for sec in outline:
        if sec.get("requires") and sec["requires"] not in available:
            continue
        out.append({**sec, "sections": present_sections(sec.get("sections") or [], available)})
    return out


def _with_defaults(section: dict[str, Any]) -> dict[str, Any]:
    """An outline entry with every optional key present (None when not given), recursively."""
    out = {k: section.get(k) for k in SECTION_KEYS} | section
    out["sections"] = [_with_defaults(s) for s in section.get("sections") or []]
    out["figures_multi"] = section.get("figures_multi") or []
    return out


def load_report_config(path: str | Path) -> dict[str, Any]:
    """Read ``config/report.yaml``, validate it (``workflow/schemas/report.schema.yaml``) and fill
    the optional outline keys with None so templates can test them."""
    cfg = load_yaml_validated(path, REPORT_SCHEMA)
    cfg["outline"] = [_with_defaults(s) for s in cfg["outline"]]
    cfg["instruments"] = {k: {"standard": None, "bands": None} | v for k, v in cfg["instruments"].items()}
    return cfg


def outline_for(outline: Sequence[Mapping[str, Any]], unit_edition: bool) -> list[dict[str, Any]]:
    """The outline of the whole-service edition or of a unit edition (recursively).

    A section's ``edition_scope`` (config/report.yaml): ``service`` - only the whole-service
    edition (e.g. the reproduction audit against the published numbers), ``unit`` - only the
    unit editions (the unit against the rest of the service), absent or ``all`` - both.
    """
    drop = "service" if unit_edition else "unit"
    out = []
    for sec in outline:
        if sec.get("edition_scope") == drop:
            continue
        out.append(dict(sec) | {"sections": outline_for(sec.get("sections") or [], unit_edition)})
    return out


def slug(text: str) -> str:
    """An HTML id from ``text``: lower case ASCII letters, digits and hyphens."""
    table = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "ae", "Ø": "o", "Å": "a"})
    return re.sub(r"[^a-z0-9]+", "-", text.translate(table).lower()).strip("-")


@dataclass
class Numbering:
    """Figure and table numbers in reading order, from the previous rendering pass.

    ``record`` lists keys in the order the current pass placed them; ``numbers`` maps each key
    to its number as placed in the previous pass (empty in the first pass).
    """

    numbers: dict[str, int] = field(default_factory=dict)
    record: list[str] = field(default_factory=list)

    def place(self, key: str) -> int:
        """Record ``key`` as placed here; its number (0 in the first pass)."""
        if key in self.record:
            raise ConfigError(f"report: {key} is placed twice")
        self.record.append(key)
        return self.numbers.get(key, 0)

    def number(self, key: str) -> int:
        """The number of ``key`` (a cross-reference); unknown keys stop the second pass."""
        if self.numbers and key not in self.numbers:
            raise ConfigError(f"report: cross-reference to {key}, which the report never places")
        return self.numbers.get(key, 0)

    def next_pass(self) -> Numbering:
        """The numbering for the next pass: numbers from this pass's placement order."""
        return Numbering(numbers={k: i + 1 for i, k in enumerate(self.record)})


def data_uri(data: bytes, mime: str) -> str:
    """``data:<mime>;base64,...`` for embedding a file in the HTML."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


class Edition:
    """Everything one language edition's templates can call; one instance per rendering pass."""

    def __init__(
        self,
        cfg: Mapping[str, Any],
        results: Mapping[str, SurveyResults],
        estimates_cfg: Mapping[str, Any],
        lang: str,
        root: Path,
        figures_numbering: Numbering,
        tables_numbering: Numbering,
        scoring_cfg: Mapping[str, Any],
        published: pd.DataFrame,
        unit: UnitContext | None = None,
        figure_files: FigureFiles | None = None,
    ) -> None:
        self.cfg = cfg
        self.unit = unit
        #: render_html shares one between its two passes, which place every figure again
        self.figure_files = {} if figure_files is None else figure_files
        self.estimates_cfg = estimates_cfg
        self.scoring_cfg = scoring_cfg
        self.published = published
        self.results = results
        self.lang = lang
        self.root = root
        self.fig_numbers = figures_numbering
        self.tab_numbers = tables_numbering
        self.vocab: Vocabulary = vocabulary_from_config(cfg["phrasing"])
        sig = estimates_cfg["significance"]
        self.min_n = int(sig["min_n"])
        self.narrative = NarrativeSettings(
            strings=cfg["strings"],
            adjust=str(sig["adjust"]),
            alpha=float(sig["alpha"]),
            min_n=self.min_n,
            lang=lang,
        )
        self.placed_figures: set[tuple[str, str]] = set()

    # ---- strings and numbers -------------------------------------------------------------------
    def s(self, key: str, **kw: Any) -> str:
        """Interface string ``key`` (config/report.yaml strings) in this edition's language."""
        text = self.narrative.s(key)
        return text.format(**kw) if kw else text

    def t(self, mapping: Mapping[str, str]) -> str:
        """The text of a ``{no: ..., en: ...}`` mapping in this edition's language."""
        if self.lang not in mapping:
            raise ConfigError(f"report: no {self.lang!r} text in {dict(mapping)!r}")
        return mapping[self.lang]

    def num(self, x: Any, digits: int = 0) -> str:
        return format_number(x, digits, self.lang)

    def value(self, x: Any, digits: int = 0) -> str:
        """A number through the filter; a value that is not a number (a printed range such as
        "14-17") as it is."""
        try:
            return self.num(float(x), digits)
        except (TypeError, ValueError):
            return "" if x is None else str(x)

    def pct_value(self, x: Any, digits: int = 0) -> str:
        return format_percent(x, digits, self.lang)

    def share_markup(self, pct: float | None, base_n: int | None, suppressed: bool) -> Markup:
        """A percentage with its marks (:func:`numbers.estimate_text`): "–" and ‡ when suppressed
        or missing, n and † when it rests on fewer than ``min_n`` answers."""
        text, mark = estimate_text(pct, int(base_n or 0), suppressed, self.min_n, self.lang)
        if mark == "suppressed":
            return Markup(
                f'<span class="suppressed">{text}</span><sup><a class="xref" href="#note-suppressed">‡</a></sup>'
            )
        if mark == "caution":
            title = html.escape(self.s("caution", min_n=self.num(self.min_n)))
            pct_part, n_part = text.split(" (", 1)
            return Markup(
                f'{html.escape(pct_part)}<sup class="caution" title="{title}">†</sup> ({html.escape(n_part)}'
            )
        return Markup(html.escape(text))

    # ---- unit editions (the unit against the rest of the service) -------------------------------
    def unit_name(self) -> str:
        """The unit's name in this edition's language ("" in the whole-service edition)."""
        return self.unit.label(self.lang) if self.unit is not None else ""

    def signed(self, x: float | None) -> str:
        """A difference in points, rounded, with its sign ("+6", "−5", "0"); "–" when none."""
        if x is None or pd.isna(x):
            return "–"
        text = self.num(x)
        return text if text.startswith("\u2212") or self.num(abs(x)) == "0" else "+" + text

    def p_text(self, p: float | None) -> str:
        """An adjusted p-value: three decimals, "< 0.001" below that, "–" when none."""
        if p is None or pd.isna(p):
            return "–"
        if p < 0.001:
            return f"<\u00a0{self.num(0.001, 3)}"
        return self.num(p, 3)

    def unit_comparison(self, kind: str) -> dict[str, Any]:
        """The unit vs the rest of the service for the key outcomes of survey ``kind``: table rows
        (numbers formatted, marks for suppressed and small cells) and the sentences about them
        (config strings ``ur_*``), from the service's subgroup_tests.csv (mhsurvey.report.units)."""
        from .units import result_counts

        if self.unit is None:
            raise ConfigError("report: unit_comparison() is only for a unit edition")
        rows = self.unit.rows(kind, self.cfg["key_numbers"])
        table = []
        for r in rows:
            measure = r.label(self.lang)
            if r.category_label(self.lang) != measure:
                measure += ": " + r.category_label(self.lang).lower()
            diff = r.diff
            table.append(
                {
                    "section": r.section,
                    "measure": measure,
                    "unit": self.share_markup(r.pct, r.n, r.suppressed),
                    "rest": self.share_markup(r.rest_pct, r.rest_n, r.suppressed and r.rest_pct is None),
                    "diff": self.signed(diff),
                    "p": self.p_text(r.p_adjusted) if not r.withheld else "–",
                    "result": self.s(f"ur_{r.result}")
                    + (
                        f" ({self.s('ur_why_' + r.withheld, min_n=self.num(self.min_n))})"
                        if r.withheld
                        else ""
                    ),
                    "result_kind": r.result,
                }
            )
        counts = result_counts(rows)
        sig = self.estimates_cfg["significance"]
        keys = dict(
            unit=self.unit_name(),
            survey=self.s(f"survey_{kind}").lower(),
            tested=self.num(counts["tested"]),
            total=self.num(len(rows)),
            higher=self.num(counts["higher"]),
            lower=self.num(counts["lower"]),
            untested=self.num(counts["untested"]),
            method=self.s(f"adjust_{sig['adjust']}"),
            alpha=self.pct_value(100 * float(sig["alpha"])),
        )
        if not rows:
            sentences = [self.s("ur_no_rows", **keys)]
        elif counts["tested"] == 0:
            sentences = [self.s("ur_none_tested", **keys)]
        elif counts["higher"] + counts["lower"] == 0:
            sentences = [self.s("ur_no_difference", **keys)]
        else:
            sentences = [self.s("ur_counts", **keys)]
            for kind_ in ("higher", "lower"):
                named = [t["measure"] for t, r in zip(table, rows, strict=True) if r.result == kind_]
                if named:
                    sentences.append(self.s(f"ur_list_{kind_}", items="; ".join(named)))
        if counts["untested"] and counts["tested"]:
            sentences.append(self.s("ur_untested", **keys))
        return {"rows": table, "sentences": sentences, "counts": counts}

    def points(self, x: Any, digits: int = 0) -> str:
        return format_points(x, digits, self.lang)

    def survey(self, name: str) -> SurveyView:
        if name not in self.results:
            raise ConfigError(f"report: unknown survey {name!r}")
        return SurveyView(self, self.results[name])

    # ---- method and appendix helpers -------------------------------------------------------------
    @property
    def report_z(self) -> float:
        """z of the report-style margins of error (config/estimates.yaml report_z)."""
        return float(self.estimates_cfg["report_z"])

    def exclusion_reason(self, rule: str) -> str:
        """Words for an exclusion rule of cleaning (``excluded_by_rule`` keys)."""
        return self.s(f"excl_{rule}") if rule else self.s("excl_none")

    def published_value(self, pid: Any) -> str:
        """A value the study printed (data/published, by row id), as printed; "–" if none."""
        if pid is None or pd.isna(pid) or str(pid) == "":
            return "–"
        rows = self.published[self.published["id"] == str(pid)]
        if rows.empty:
            raise InputDataError(
                f"report: published id {pid!r} not found in data/published", file="data/published"
            )
        value = rows.iloc[0]["pct"]
        try:
            return self.num(float(value), 2)
        except (TypeError, ValueError):
            return html.escape(str(value))

    def scoring_values(self) -> dict[str, str]:
        """Thresholds of config/scoring.yaml (``<instrument>_<rule>_min``) and variant prevalences
        of sensitivity.csv (``<classification>_<variant>_prev``, current employees), formatted."""
        values: dict[str, str] = {}
        for name, inst in self.scoring_cfg["instruments"].items():
            for rule, spec in (inst.get("rules") or {}).items():
                if "min_total" in spec:
                    values[f"{name}_{rule}_min"] = self.num(spec["min_total"])
        fi = self.scoring_cfg["functional_impairment"]
        opt = fi["options"][fi["default"]]
        values["fi_min"] = self.num(opt.get("min_total", opt.get("min_item")))
        sens = self.results["current"].sensitivity if "current" in self.results else pd.DataFrame()
        for r in sens.to_dict("records"):
            if str(r.get("level")) == "case" and (pd.isna(r.get("fi_option")) or r.get("headline") == 1):
                values.setdefault(
                    f"{r['classification']}_{r['variant']}_prev", self.pct_value(100 * float(r["prevalence"]))
                )
        return values

    def scoring_notes(self) -> list[str]:
        """Where the rules applied depart from what the study prints (config strings ``scoring_notes``)."""
        values = self.scoring_values()
        return [self.t(note).format(**values) for note in self.cfg["scoring_notes"]]

    def methods_paragraphs(self) -> list[str]:
        """The statistical methods as configured (config/estimates.yaml), in words."""
        est = self.estimates_cfg
        sig = est["significance"]
        keys = dict(
            z=self.num(est["report_z"], 1),
            level=self.pct_value(100 * float(est["confidence_level"])),
            alpha=self.pct_value(100 * float(sig["alpha"])),
            method=self.s(f"adjust_{sig['adjust']}"),
            min_n=self.num(sig["min_n"]),
        )
        paras = [self.s("m_stats_moe", **keys), self.s("m_stats_tests", **keys)]
        configured = est["suppression"]["enabled"]  # true, false or auto (on for real data)
        on = (
            any(suppression_on(configured, r.synthetic) for r in self.results.values())
            if self.results
            else configured is True
        )
        paras.append(self.s("m_stats_suppression_on" if on else "m_stats_suppression_off"))
        return paras

    def reference_sentence(self, s: SurveyView, variable: str, category: str) -> str:
        """The population comparison of an estimate (estimates.csv ref_* columns), or nothing."""
        row = s.r.estimates
        rows = row[(row["variable"] == variable) & (row["category"] == str(category))]
        if rows.empty or pd.isna(rows.iloc[0].get("ref_pct")):
            return ""
        r = rows.iloc[0]
        return self.s(
            "ref_sentence",
            ref=self.pct_value(r["ref_pct"]),
            survey=str(r["ref_survey"]),
            year=str(r["ref_year"]),
        )

    def margins_matrix(self, s: SurveyView) -> dict[str, Any]:
        """Vedlegg 3: rows n, columns p (in points), report-z margins (margins_table.csv)."""
        m = s.r.margins
        m = m[m["z_name"] == "report"]
        cols = sorted(m["p"].unique())
        rows = []
        for n, grp in m.groupby("n", sort=True):
            by_p = dict(zip(grp["p"], grp["moe_pp_display"], strict=True))
            rows.append(
                {
                    "n": n,
                    "cells": [by_p.get(p) for p in cols],
                    "is_report_row": bool((grp["row_kind"] == "report_row").any()),
                }
            )
        return {"columns": [100 * float(p) for p in cols], "rows": rows}

    def sensitivity_rows(self, s: SurveyView) -> list[dict[str, Any]]:
        """Vedlegg 4: every variant's prevalence (case level), headline first within each classification."""
        sens = s.r.sensitivity
        sens = sens[sens["level"].astype(str) == "case"]
        out = []
        for r in sens.to_dict("records"):
            out.append(
                {
                    "classification": r["classification"],
                    "variant": r["variant"] + (f" / {r['fi_option']}" if not pd.isna(r["fi_option"]) else ""),
                    "description": r["description"],
                    "n_determined": r["n_determined"],
                    "prevalence": None if pd.isna(r["prevalence"]) else 100 * float(r["prevalence"]),
                    "headline": bool(r["headline"]),
                }
            )
        return out

    # ---- figures and tables --------------------------------------------------------------------
    def figure_key(self, survey: str, figure_id: str) -> str:
        return f"fig:{survey}:{figure_id}"

    def figure_html(self, survey: str, row: Mapping[str, Any]) -> Markup:
        """The ``<figure>`` of one figure-index row: SVG, caption with number and n, alt text, data."""
        fid = str(row["figure_id"])
        number = self.fig_numbers.place(self.figure_key(survey, fid))
        self.placed_figures.add((survey, fid))
        svg_path = self.root / str(row["svg"])
        csv_path = self.root / str(row["data_csv"])
        for p in (svg_path, csv_path):
            if not p.exists():
                raise InputDataError(f"report: figure {fid} ({survey}): file missing", file=str(p))
        alt = str(row[f"alt_{self.lang}"]) if f"alt_{self.lang}" in row else str(row["alt_no"])
        caption = str(row[f"caption_{self.lang}"])
        svg_uri, csv_uri, table = self.figure_file_parts(svg_path, csv_path)
        anchor = f"fig-{survey}-{slug(fid)}"
        synthetic = str(row.get("synthetic", "")).lower() in ("true", "1")
        print_svg = row.get("svg_print")
        print_attr = ""
        if isinstance(print_svg, str) and print_svg and (self.root / print_svg).exists():
            print_attr = f' data-print-src="{html.escape(print_svg)}"'
        parts = [
            f'<figure class="figure" id="{anchor}">',
            f'<img src="{svg_uri}" alt="{html.escape(alt)}"{print_attr}>',
            "<figcaption>",
            f'<span class="fig-label">{self.s("figure")} {number}.</span> {html.escape(caption)}',
        ]
        if synthetic:
            parts.append(f' <span class="synthetic-tag">{self.s("synthetic_banner")}</span>')
        if str(row.get("small_n", "")).lower() in ("true", "1"):
            parts.append(
                f' <span class="caution">† {html.escape(self.s("caution", min_n=self.num(self.min_n)))}</span>'
            )
        parts.append("</figcaption>")
        parts.append(
            f'<details class="{FIG_DATA_CLASS}"><summary>{self.s("figure_data")}</summary>'
            f"{table}"
            f'<p><a download="{html.escape(csv_path.name)}" href="{csv_uri}">'
            f"{self.s('figure_csv')}</a></p></details>"
        )
        parts.append("</figure>")
        return Markup("".join(parts))

    def figure_file_parts(self, svg_path: Path, csv_path: Path) -> tuple[str, str, str]:
        """``(SVG data URI, CSV data URI, data table HTML)`` of one figure's files, made once per
        rendering (:attr:`figure_files`): they depend on the files and the edition's language
        alone, while the figure's number and placement are set anew in each pass."""
        key = (svg_path, csv_path)
        found = self.figure_files.get(key)
        if found is None:
            found = self.figure_files[key] = (
                data_uri(svg_path.read_bytes(), "image/svg+xml"),
                data_uri(csv_path.read_bytes(), "text/csv"),
                self.data_table(pd.read_csv(csv_path)),
            )
        return found

    def data_table(self, data: pd.DataFrame) -> str:
        """An HTML table of a figure's data CSV (the numbers drawn): the columns listed in
        config/report.yaml ``figure_table.columns`` that the CSV has and that hold a value,
        headed by the strings ``fig_col_<column>``; numbers through the one filter. A suppressed
        cell (share blank with a base that is not zero: stage-04 small-cell protection) shows "–"."""
        wanted = [
            c for c in self.cfg["figure_table"]["columns"] if c in data.columns and data[c].notna().any()
        ]
        head = "".join(f'<th scope="col">{html.escape(self.s("fig_col_" + c))}</th>' for c in wanted)
        body = []
        for rec in records(data):
            cells = []
            for c in wanted:
                v = rec[c]
                if pd.isna(v) and c == "pct" and "n" in rec and not (pd.notna(rec["n"]) and rec["n"] == 0):
                    cells.append('<td class="num"><span class="suppressed">–</span></td>')  # suppressed cell
                elif pd.isna(v):
                    cells.append("<td></td>")
                elif c in ("pct", "total_pct", "ref_pct"):
                    cells.append(f'<td class="num">{self.pct_value(v)}</td>')
                elif isinstance(v, (int, float)) and not isinstance(v, bool):
                    cells.append(f'<td class="num">{self.num(v)}</td>')
                else:
                    cells.append(f"<td>{html.escape(str(v))}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'

    def figures(self, survey: str, section: str, kind: str | None = None) -> Markup:
        """Every not yet placed figure of ``survey``/``section`` (optionally of one chart kind)."""
        out = []
        for row in self.results[survey].figure_records(section):
            if (survey, str(row["figure_id"])) in self.placed_figures:
                continue
            if kind is not None and str(row["kind"]) != kind:
                continue
            out.append(self.figure_html(survey, row))
        return Markup("\n".join(out))

    def figure(self, survey: str, figure_id: str) -> Markup:
        """One figure by id (placed where the template calls it)."""
        f = self.results[survey].figures
        rows = f[f["figure_id"] == figure_id]
        if rows.empty:
            raise ConfigError(f"report: figure {figure_id!r} of survey {survey!r} is not in the figure index")
        return self.figure_html(survey, rows.iloc[0].to_dict())

    def fig_ref(self, survey: str, figure_id: str) -> Markup:
        """A link "Figur N" to a figure placed anywhere in the report."""
        n = self.fig_numbers.number(self.figure_key(survey, figure_id))
        return Markup(
            f'<a class="xref" href="#fig-{survey}-{slug(figure_id)}">{self.s("figure")}\u00a0{n}</a>'
        )

    def table_caption(self, key: str, caption: str) -> Markup:
        """``<caption>`` of a numbered table (with its anchor); ``key`` is unique in the report."""
        n = self.tab_numbers.place(f"tab:{key}")
        return Markup(
            f'<caption id="tab-{slug(key)}"><span class="tab-label">{self.s("table")} {n}.</span> '
            f"{html.escape(caption)}</caption>"
        )

    def tab_ref(self, key: str) -> Markup:
        n = self.tab_numbers.number(f"tab:{key}")
        return Markup(f'<a class="xref" href="#tab-{slug(key)}">{self.s("table")}\u00a0{n}</a>')

    def content(self, name: str) -> Markup:
        """An author content file (Markdown) of this edition's language, as HTML."""
        path = self.root / "reports" / "templates" / "content" / self.lang / name
        if not path.exists():
            raise ConfigError(f"report: content file missing for edition {self.lang!r}: {path}")
        return Markup(markdown.markdown(path.read_text(encoding="utf-8"), extensions=["tables"]))


class SurveyView:
    """One survey's numbers as the templates quote them (all formatting through the one filter)."""

    def __init__(self, edition: Edition, results: SurveyResults) -> None:
        self.e = edition
        self.r = results
        self.name = results.survey

    @property
    def synthetic(self) -> bool:
        return self.r.synthetic

    @property
    def summary(self) -> Mapping[str, Any]:
        return self.r.summary

    def est(self, variable: str, category: str = "1") -> Estimate:
        return self.r.estimate(variable, category)

    def has(self, variable: str, category: str = "1") -> bool:
        return self.r.has(variable, category)

    def pct(self, variable: str, category: str = "1") -> Markup:
        """The rounded percentage of a category; "–" if suppressed, with n and † if n < min_n."""
        return self.format_estimate(self.est(variable, category))

    def format_estimate(self, e: Estimate) -> Markup:
        """The percentage with its marks (:func:`numbers.estimate_text`): "–" and ‡ when suppressed,
        n and † when it rests on fewer than ``min_n`` answers."""
        return self.e.share_markup(e.pct, e.base_n, e.suppressed)

    def words(self, variable: str, category: str = "1") -> str:
        """The share in words ("to tredjedeler"); never for a suppressed or small cell."""
        e = self.est(variable, category)
        if (e.suppressed or e.pct is None or e.base_n < self.e.min_n) and self.e.unit is not None:
            # a unit's cells are often small or suppressed: no words, the number carries its marks
            return self.e.s("unit_share_words")
        if e.suppressed or e.pct is None or e.base_n < self.e.min_n:
            raise ConfigError(
                f"report: a sentence quotes {variable}/{category}, which is suppressed or rests on "
                f"n = {e.base_n} < {self.e.min_n}; quote the percentage with its n instead"
            )
        return share_phrase(e.pct, self.e.vocab, self.e.lang)

    def complement(self, variable: str, category: str = "1") -> Markup:
        """100 minus the percentage of a category (e.g. "innenfor normalområdet" = 100 - case share)."""
        e = self.est(variable, category)
        if e.pct is None or e.suppressed:
            return Markup('<span class="suppressed">–</span>')
        return Markup(html.escape(self.e.pct_value(100.0 - e.pct)))

    def categories(self, variable: str) -> list[str]:
        """Category keys of a variable in estimates order (codes, then merged categories)."""
        est = self.r.estimates
        return [str(c) for c in est.loc[est["variable"] == variable, "category"]]

    def first_category(self, variable: str) -> str:
        cats = self.categories(variable)
        return cats[0] if cats else ""

    def n(self, variable: str, category: str = "1") -> str:
        """The base n of an estimate."""
        return self.e.num(self.est(variable, category).base_n)

    def label(self, variable: str, category: str = "1") -> str:
        return self.est(variable, category).label(self.e.lang)

    def category_label(self, variable: str, category: str) -> str:
        return self.est(variable, category).category_label(self.e.lang)

    def ranked(
        self,
        patterns: Sequence[str],
        category: str = "1",
        top: int | None = None,
        exclude: Sequence[str] = (),
    ) -> list[Estimate]:
        """Estimates of ``category`` for the variables matching ``patterns``, largest first."""
        ests = [
            self.est(v, category)
            for v in self.r.variables(patterns, category)
            if not any(fnmatch.fnmatchcase(v, x) for x in exclude)
        ]
        ests = [e for e in ests if e.pct is not None and not e.suppressed]
        ests.sort(key=lambda e: (-e.pct, e.variable))  # type: ignore[operator]
        return ests[:top] if top else ests

    def subgroup_blocks(self, variable: str, category: str = "1") -> list[dict[str, Any]]:
        """Headings (Kjønn, Region, ...) with the sentences of the significant differences."""
        blocks = []
        present = set(self.r.subgroups["breakdown"].unique())
        for h in self.e.cfg["subgroup_headings"]:
            if h["breakdown"] not in present:
                continue
            rows = self.r.subgroup_records(variable, category, h["breakdown"])
            if (
                self.e.unit is not None
                and rows
                and all(r["breakdown_column"] == self.e.unit.unit["column"] for r in rows)
            ):
                continue  # a unit edition: the unit column has one level here (the unit itself)
            blocks.append({"heading": self.e.t(h), "sentences": subgroup_paragraph(rows, self.e.narrative)})
        return blocks

    def reliability(self, scale: str) -> Mapping[str, Any]:
        rel = self.r.reliability
        rows = rel[rel["scale"] == scale]
        if rows.empty:
            raise InputDataError(
                f"report: no reliability row for scale {scale!r} ({self.r.paths.reliability})"
            )
        return rows.iloc[0].to_dict()


def make_environment(template_dir: Path) -> jinja2.Environment:
    """The Jinja environment: HTML autoescape, strict undefined names, the report's filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["ucfirst"] = lambda s: (str(s)[:1].upper() + str(s)[1:]) if s else s
    env.filters["slug"] = slug
    return env


def render_html(
    cfg: Mapping[str, Any],
    results: Mapping[str, SurveyResults],
    estimates_cfg: Mapping[str, Any],
    scoring_cfg: Mapping[str, Any],
    published: pd.DataFrame,
    project: Mapping[str, Any],
    lang: str,
    root: Path,
    css: str,
    audit: AuditResults | None = None,
    waves: Sequence[WaveComparison] = (),
    unit: UnitContext | None = None,
) -> str:
    """Render the edition ``lang`` to one HTML string (two passes, see the module docstring).

    ``waves``: the wave comparisons (config ``waves:``); without them the outline sections that
    require ``waves`` are left out. With ``unit`` the edition is that unit's (results of the unit,
    its name on the cover and in the running header, the outline of :func:`outline_for`)."""
    outline = outline_for(present_sections(cfg["outline"], {"waves"} if waves else set()), unit is not None)
    env = make_environment(root / "reports" / "templates")
    template = env.get_template("report.html.j2")
    figs, tabs = Numbering(), Numbering()
    figure_files: FigureFiles = {}
    text = ""
    for _ in range(2):
        edition = Edition(
            cfg, results, estimates_cfg, lang, root, figs, tabs, scoring_cfg, published, unit, figure_files
        )
        text = template.render(
            e=edition,
            cfg=cfg,
            outline=outline,
            unit=unit,
            project=project,
            lang=lang,
            css=Markup(css),
            audit=audit,
            synthetic=any(r.synthetic for r in results.values()),
            cur=edition.survey("current") if "current" in results else None,
            former=edition.survey("former") if "former" in results else None,
            waves=WaveReport(edition, waves) if waves else None,
        )
        missing = [
            (s, fid)
            for s, r in results.items()
            for fid in r.figures["figure_id"].astype(str)
            if (s, fid) not in edition.placed_figures
        ]
        if missing:
            raise ConfigError(f"report: figures of the index that no section places: {missing}")
        figs, tabs = edition.fig_numbers.next_pass(), edition.tab_numbers.next_pass()
    return text


#: Class of a figure's data table (``<details>``): screen only, hidden by the print CSS
#: (``@media print { details.fig-data { display: none; } }`` in report.css).
FIG_DATA_CLASS = "fig-data"
#: One figure's data block as :meth:`Edition.figure_html` writes it (its table cells are escaped,
#: so the first ``</details>`` after the opening tag closes it).
SCREEN_ONLY = re.compile(rf'<details class="{FIG_DATA_CLASS}">.*?</details>', re.S)

PRINT_SRC = re.compile(r'<img src="data:image/svg\+xml;base64,[^"]*"([^>]*?) data-print-src="([^"]+)"')


def use_print_figures(html_text: str, root: Path) -> str:
    """Swap each figure's embedded SVG for its print variant (``data-print-src``: the same figure
    with text as SVG text instead of glyph paths), which WeasyPrint lays out several times faster;
    both are vector graphics drawn from the same data."""

    def swap(m: re.Match[str]) -> str:
        return f'<img src="{(root / html.unescape(m.group(2))).resolve().as_uri()}"{m.group(1)}'

    return PRINT_SRC.sub(swap, html_text)


def drop_screen_only(html_text: str) -> str:
    """``html_text`` without the figures' data blocks (:data:`SCREEN_ONLY`), which the print CSS
    hides anyway: WeasyPrint would still parse them and compute the style of their elements
    (about 14,000 of the study report's 17,600; about 1.5 s of a 10.6 s PDF). The PDF is byte-identical with or without them."""
    return SCREEN_ONLY.sub("", html_text)


#: Timestamp written into the PDF's embedded font subsets (1970-01-01: a constant, not a date).
PDF_SOURCE_DATE_EPOCH = "0"


def write_pdf(html_text: str, out: str | Path, base_url: str | Path, extra_css: Sequence[str] = ()) -> None:
    """Render ``html_text`` to PDF with WeasyPrint (print CSS is in the HTML's ``@media print``).

    WeasyPrint subsets the fonts with fontTools, which stamps each subset's ``head.modified`` with
    the current time unless ``SOURCE_DATE_EPOCH`` is set (reproducible-builds.org); it is set to
    :data:`PDF_SOURCE_DATE_EPOCH` unless the caller's environment sets it, so the same HTML gives
    a byte-identical PDF.
    """
    import logging
    import os

    os.environ.setdefault("SOURCE_DATE_EPOCH", PDF_SOURCE_DATE_EPOCH)

    from weasyprint import CSS, HTML  # heavy import, only where the PDF is made

    logging.getLogger("weasyprint").setLevel(logging.WARNING)  # no per-page progress in the rule's log
    stylesheets = [CSS(string=c) for c in extra_css]
    HTML(string=html_text, base_url=str(base_url)).write_pdf(str(out), stylesheets=stylesheets)


RenderFn = Callable[..., str]
