"""Draw one survey's figure catalogue: SVG + PNG + data CSV per figure, the index, a contact sheet.

One process draws every figure of a survey (rule ``figures``), with matplotlib's Agg/SVG
renderers and no pyplot state. Output is deterministic: the style file fixes ``svg.hashsalt``;
``savefig`` gets ``metadata={"Date": None, ...}`` (SVG) and ``{"Software": None}`` (PNG) so no
timestamp or version string is written (matplotlib ``savefig`` docs, ``metadata``).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib as mpl
import pandas as pd

from ..dictionary import ColumnDoc, docs_from_mapping
from .alt import alt_text
from .catalogue import FigureEntry, survey_entries
from .kinds import KINDS
from .labels import LabelBook
from .select import relabel, select_rows
from .style import Style, n_text
from .textmetrics import shared_text_metrics

SVG_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
PNG_METADATA = {"Software": None}

INDEX_DOCS: list[ColumnDoc] = docs_from_mapping(
    {
        "figure_id": ("string", "stable figure id of config/figures.yaml (file names <figure_id>.*)"),
        "survey": ("string", "survey key ({survey} wildcard)"),
        "order": (
            "integer",
            "position in the catalogue among this survey's figures (report order within a section)",
        ),
        "chapter": ("string", "the study's chapter of the topic", "2, 3, V1"),
        "section": (
            "string",
            "the study's section number of the topic (same topic numbers for former employees)",
            "2.1-2.7, 3.1-3.8, V1",
        ),
        "study_figure": (
            "string",
            "the study's figure number for this survey; empty where the study has none",
        ),
        "study_figure_note": ("string", "the study's numbering or caption mistakes, noted (not copied)"),
        "kind": (
            "string",
            "chart kind (mhsurvey.figures.kinds)",
            "stacked_bar, ranked_bar, classification, grouped_bar, subgroup_panel, trust_distribution",
        ),
        "caption_no": (
            "string",
            "caption in Norwegian: title and/or question wording from the codebook, filter, base n",
        ),
        "caption_en": (
            "string",
            "caption in English (codebook text_en; Norwegian where no English label exists)",
        ),
        "base_n": (
            "string",
            "base n of the drawn percentages: one number, or min-max where the bars' bases differ",
        ),
        "alt_no": ("string", "alt text in Norwegian, written from the drawn numbers"),
        "svg": (
            "string",
            "path of the SVG, relative to the repository root (text drawn as glyph paths: looks the same without the font)",
        ),
        "svg_print": (
            "string",
            "path of the print SVG (the same figure with text as SVG text in DejaVu Sans), used in the PDF, where it lays out several times faster",
        ),
        "png": ("string", "path of the PNG (150 dpi), relative to the repository root"),
        "data_csv": (
            "string",
            "path of the CSV of exactly the drawn numbers, relative to the repository root",
        ),
        "synthetic": (
            "boolean",
            "true if drawn from synthetic data (cleaning_summary.json data.synthetic)",
            "true, false",
        ),
        "small_n": ("boolean", "true when any drawn value rests on n < 30 (drawn hatched)", "true, false"),
        "base_n_min": ("integer", "smallest base n of a drawn percentage"),
        "base_n_max": ("integer", "largest base n of a drawn percentage"),
        "alt_en": ("string", "alt text in English"),
        "n_values": ("integer", "number of drawn numbers (rows of data_csv)"),
    }
)

DATA_DOCS: list[ColumnDoc] = docs_from_mapping(
    {
        "figure_id": ("string", "figure id"),
        "survey": ("string", "survey key"),
        "selector": ("integer", "0-based index of the catalogue selector (rows[i]) the number comes from"),
        "table": ("string", "stage-04 table of the row", "estimates, subgroup_tests"),
        "item": ("string", "variable of estimates.csv / subgroup_tests.csv"),
        "item_label": ("string", "label of the variable as drawn"),
        "category": (
            "string",
            "category key (as in the stage-04 tables; 'rest' = complement of a binary class)",
        ),
        "category_label": ("string", "label of the category as drawn"),
        "category_kind": ("string", "code, merged, ticked, level, complement"),
        "nonsubstantive": ("integer (boolean)", "1 for Vet ikke / Ønsker ikke svare (drawn grey)"),
        "breakdown": ("string", "breakdown id (subgroup rows); empty for the whole sample"),
        "breakdown_label": ("string", "panel title / breakdown label as drawn"),
        "level": ("string", "breakdown level key; 'total' for the whole sample"),
        "level_label": ("string", "level label as drawn"),
        "n": (
            "float",
            "base n of the percentage (estimates base_n, subgroup n); empty for population values",
        ),
        "count": ("float", "respondents in the category; empty for population values"),
        "pct": ("float", "the drawn percentage, unrounded (value labels: round half up)"),
        "total_pct": ("float", "whole-sample percentage of the category (subgroup panels draw it as a line)"),
        "small_n": ("integer (boolean)", "1 if n < 30 (drawn hatched)"),
        "ref_available": ("integer (boolean)", "1 if a population reference value is published"),
        "ref_pct": ("float", "population reference percentage (data/reference/ssb.csv via estimates.csv)"),
        "ref_year": ("string", "year of the population reference"),
        "ref_label": ("string", "label of the population series"),
        "group": ("string", "grouped_bar: key of the bar group (y axis position); empty for other kinds"),
        "group_label": ("string", "grouped_bar: label of the bar group"),
        "series": (
            "string",
            "grouped_bar: key of the series (colour); 'reference' = population, 'survey' = this survey",
        ),
        "series_label": ("string", "grouped_bar: label of the series"),
        "role": (
            "string",
            "what the number is in the chart",
            "segment, bar, total (merged category beside the bar), complement, reference, band",
        ),
        "derived": ("integer (boolean)", "1 if computed by the figure (complement: 100 - pct, n - count)"),
        "value_label": ("string", "the value label as printed (round half up, Norwegian decimal comma)"),
    }
)

DATA_COLUMNS = [d.column for d in DATA_DOCS]


@dataclass
class SurveyInputs:
    """Everything one survey's figures are drawn from (already read; no paths)."""

    survey: str
    tables: Mapping[str, pd.DataFrame]
    labels: LabelBook
    synthetic_label: str
    min_n: int
    bands: Sequence[Mapping[str, Any]] = field(default_factory=list)
    synthetic_label_en: str = ""

    def mark(self, lang: str) -> str:
        """The synthetic-data mark in ``lang`` ('' for real data)."""
        return (self.synthetic_label_en or self.synthetic_label) if lang == "en" else self.synthetic_label


@dataclass
class DrawnFigure:
    """One drawn figure: the entry, its numbers, the figure and its index row."""

    entry: FigureEntry
    drawn: pd.DataFrame
    svg: bytes
    png: bytes
    index: dict[str, Any]
    seconds: float
    svg_print: bytes = b""


def _base(drawn: pd.DataFrame) -> tuple[str, int, int]:
    n = drawn.loc[drawn["role"] != "reference", "n"].dropna()
    n = n[n > 0] if (n > 0).any() else n
    lo, hi = int(n.min()), int(n.max())
    return (str(lo) if lo == hi else f"{lo}-{hi}"), lo, hi


def caption(entry: FigureEntry, labels: LabelBook, lang: str, base: tuple[str, int, int]) -> str:
    """Caption: title and/or the codebook's question wording, then the survey, filter and base n.

    ``{title}. «{question}»`` / ``{question}`` / ``{title}``, then ``{survey title}[, {filter}],
    n = {base}``.
    """
    parts = []
    title = entry.caption.get("title")
    question = entry.caption.get("question")
    if title:
        parts.append((title.get(lang) or title["no"]).rstrip("."))
    if question:
        text = labels.question(question, lang)
        quoted = f"«{text}»" if lang == "no" else f"\u201c{text}\u201d"
        parts.append(quoted if title else text.rstrip("."))
    head = ". ".join(parts)
    _, lo, hi = base
    n = n_text(lo, lang) if lo == hi else f"{n_text(lo, lang)}-{n_text(hi, lang)}"
    tail = [labels.survey_title.get(lang) or labels.survey_title.get("no", "")]
    if entry.filter:
        tail.append((entry.filter.get(lang) or entry.filter["no"]).lower())
    tail_text = ", ".join(t for t in tail if t)
    return f"{head}. {tail_text} ({labels.word('base_n', lang)} = {n})."


def _spec(
    entry: FigureEntry, inputs: SurveyInputs, lang: str, base: tuple[str, int, int] | None
) -> dict[str, Any]:
    spec = dict(entry.chart)
    spec["id"] = entry.id
    spec["survey_label"] = inputs.labels.survey_title.get(lang) or inputs.labels.survey_title.get("no", "")
    spec["bands"] = list(inputs.bands)
    if "complement" in spec:
        spec["complement"] = spec["complement"].get(lang) or spec["complement"]["no"]
    if base is not None:
        _, lo, hi = base
        n = n_text(lo, lang) if lo == hi else f"{n_text(lo, lang)}-{n_text(hi, lang)}"
        footer = f"{inputs.labels.word('base_n', lang)} = {n}"
        if entry.filter:
            footer = f"{entry.filter.get(lang) or entry.filter['no']}. {footer}"
        spec["footer"] = footer
    return spec


def _save(fig: Any, fmt: str, dpi: int) -> bytes:
    buf = io.BytesIO()
    if fmt == "svg":
        fig.savefig(buf, format="svg", metadata=SVG_METADATA)
    else:
        fig.savefig(buf, format="png", dpi=dpi, metadata=PNG_METADATA)
    return buf.getvalue()


def draw_entry(
    entry: FigureEntry, inputs: SurveyInputs, style_cfg: Mapping[str, Any], out_rel: str, lang: str = "no"
) -> DrawnFigure:
    """Select, prepare, draw and render one entry (no file written)."""
    start = time.perf_counter()
    kind = KINDS[entry.kind]
    tidy = select_rows(
        entry.id, inputs.survey, entry.rows, inputs.tables, inputs.labels, lang=lang, min_n=inputs.min_n
    )
    style = Style(style_cfg, inputs.mark(lang), lang)  # the mark in the figure's language
    pre_spec = _spec(entry, inputs, lang, None)
    drawn = kind.prepare(tidy, pre_spec)
    base = _base(drawn)
    spec = _spec(entry, inputs, lang, base)
    drawn = drawn.copy()
    drawn["value_label"] = [style.pct(p) if pd.notna(p) else "" for p in drawn["pct"]]
    drawn = drawn.reindex(columns=DATA_COLUMNS, fill_value="")
    for col in ("n", "count"):  # counts as integers in <id>.data.csv (empty where none)
        values = drawn[col].dropna()
        if (values == values.round()).all():
            drawn[col] = drawn[col].astype("Int64")
    fig = kind.draw(drawn, spec, style)
    svg = _save(fig, "svg", int(style_cfg["dpi"]))
    with mpl.rc_context({"svg.fonttype": "none"}):  # text as text: the PDF's variant
        svg_print = _save(fig, "svg", int(style_cfg["dpi"]))
    fig.set_layout_engine("none")  # keep the constrained layout of the first render for the PNG
    png = _save(fig, "png", int(style_cfg["dpi"]))
    # English alt text from the same rows with English labels (no second drawing)
    tidy_en = relabel(tidy, inputs.labels, "en")
    spec_en = _spec(entry, inputs, "en", base)
    drawn_en = kind.prepare(tidy_en, spec_en)
    style_en = Style(style_cfg, inputs.mark("en"), "en")
    small = bool((drawn["small_n"].fillna(0).astype(int) == 1).any())
    index = {
        "figure_id": entry.id,
        "survey": inputs.survey,
        "order": entry.order,
        "chapter": entry.chapter,
        "section": entry.section,
        "study_figure": entry.study_figure,
        "study_figure_note": entry.study_figure_note,
        "kind": entry.kind,
        "caption_no": caption(entry, inputs.labels, "no", base),
        "caption_en": caption(entry, inputs.labels, "en", base),
        "base_n": base[0],
        "base_n_min": base[1],
        "base_n_max": base[2],
        "alt_no": alt_text(entry.kind, drawn, spec, Style(style_cfg, inputs.synthetic_label, "no")),
        "alt_en": alt_text(entry.kind, drawn_en, spec_en, style_en),
        "svg": f"{out_rel}/{entry.id}.svg",
        "svg_print": f"{out_rel}/{entry.id}.print.svg",
        "png": f"{out_rel}/{entry.id}.png",
        "data_csv": f"{out_rel}/{entry.id}.data.csv",
        "synthetic": "true" if inputs.synthetic_label else "false",
        "small_n": "true" if small else "false",
        "n_values": len(drawn),
    }
    return DrawnFigure(entry, drawn, svg, png, index, time.perf_counter() - start, svg_print)


def draw_survey(
    catalogue: Mapping[str, Any],
    inputs: SurveyInputs,
    style_file: str | Path,
    out_rel: str,
    only: Sequence[str] | None = None,
    on_figure: Callable[[DrawnFigure], None] | None = None,
    lang: str = "no",
) -> list[DrawnFigure]:
    """Draw every catalogue entry of the survey (or the ids in ``only``) under the style file,
    with the labels of ``lang`` (``no``: the codebook's Norwegian labels, ``en``: its English ones).
    Texts are measured once for all renders (:func:`.textmetrics.shared_text_metrics`)."""
    entries = survey_entries(catalogue, inputs.survey)
    if only is not None:
        entries = [e for e in entries if e.id in set(only)]
    out = []
    with mpl.rc_context(fname=str(style_file)), shared_text_metrics():
        for entry in entries:
            fig = draw_entry(entry, inputs, catalogue["style"], out_rel, lang=lang)
            if on_figure:
                on_figure(fig)
            out.append(fig)
    return out


def write_figure(fig: DrawnFigure, out_dir: Path) -> None:
    """Write ``<id>.svg``, ``<id>.print.svg``, ``<id>.png`` and ``<id>.data.csv`` of one drawn figure."""
    from ..io import write_csv

    (out_dir / f"{fig.entry.id}.svg").write_bytes(fig.svg)
    (out_dir / f"{fig.entry.id}.print.svg").write_bytes(fig.svg_print)
    (out_dir / f"{fig.entry.id}.png").write_bytes(fig.png)
    write_csv(fig.drawn, out_dir / f"{fig.entry.id}.data.csv")


def index_frame(figures: Sequence[DrawnFigure]) -> pd.DataFrame:
    """The figure index (columns of :data:`INDEX_DOCS`), in catalogue order."""
    return pd.DataFrame([f.index for f in figures], columns=[d.column for d in INDEX_DOCS])


def contact_sheet(figures: Sequence[DrawnFigure], title: str, thumb_px: int = 420, columns: int = 4) -> bytes:
    """PNG with every figure as a thumbnail and its id (and study figure number) below it."""
    from matplotlib import font_manager
    from PIL import Image, ImageDraw, ImageFont

    font_path = font_manager.findfont("DejaVu Sans")
    font = ImageFont.truetype(font_path, 15)
    head = ImageFont.truetype(font_path, 22)
    cell_w, label_h, pad = thumb_px, 40, 16
    thumbs = []
    for f in figures:
        im = Image.open(io.BytesIO(f.png)).convert("RGB")
        im.thumbnail((cell_w, int(cell_w * 1.4)))
        thumbs.append(im)
    rows = (len(thumbs) + columns - 1) // columns
    row_h = [
        max((t.height for t in thumbs[r * columns : (r + 1) * columns]), default=0) + label_h + pad
        for r in range(rows)
    ]
    width = columns * (cell_w + pad) + pad
    height = 50 + sum(row_h) + pad
    sheet = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(sheet)
    draw.text((pad, 12), title, fill="black", font=head)
    y = 50
    for r in range(rows):
        for c in range(columns):
            i = r * columns + c
            if i >= len(thumbs):
                break
            x = pad + c * (cell_w + pad)
            sheet.paste(thumbs[i], (x, y))
            draw.rectangle([x - 1, y - 1, x + thumbs[i].width, y + thumbs[i].height], outline="#cccccc")
            f = figures[i]
            num = f" (Figur {f.entry.study_figure})" if f.entry.study_figure else ""
            draw.text(
                (x, y + thumbs[i].height + 4), f"{f.entry.order}. {f.entry.id}{num}", fill="black", font=font
            )
        y += row_h[r]
    buf = io.BytesIO()
    sheet.save(buf, format="PNG", optimize=False)
    return buf.getvalue()
