"""Figures (stage 05) on a small hand-made estimates frame: catalogue schema, selection, kinds,
value labels, alt text, synthetic mark, determinism. The real rule runs in test_figures_pipeline.py."""

from __future__ import annotations

import copy
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.textpath import TextToPath  # noqa: E402
from PIL import Image  # noqa: E402

from mhsurvey.errors import ConfigError  # noqa: E402
from mhsurvey.figures import kinds  # noqa: E402
from mhsurvey.figures.alt import alt_text  # noqa: E402
from mhsurvey.figures.build import DATA_COLUMNS, SurveyInputs, caption, draw_entry  # noqa: E402
from mhsurvey.figures.catalogue import FigureEntry, load_catalogue, survey_entries, validate_catalogue  # noqa: E402
from mhsurvey.figures.labels import LabelBook  # noqa: E402
from mhsurvey.figures.select import FigureDataError, select_rows  # noqa: E402
from mhsurvey.figures.style import Style, pct_text, segment_colours  # noqa: E402
from mhsurvey.figures.textmetrics import (  # noqa: E402
    RENDERER_DPI,
    font_height_metrics,
    font_key,
    memoized_height_metrics,
    memoized_metrics,
    shared_text_metrics,
)

REPO = Path(__file__).resolve().parents[1]
CATALOGUE = REPO / "config" / "figures.yaml"
MPLSTYLE = REPO / "config" / "figure_style.mplstyle"


# ---------------------------------------------------------------------------------------------
# a hand-made survey: one agree grid (2 items), one multi-select (3 options), one binary
# classification with a subgroup breakdown (one level with n < 30), trust with SSB reference
# ---------------------------------------------------------------------------------------------


def _est(variable, qid, qtype, label, category, clabel, kind, base, count, nonsub=0, ref=None):
    pct = 100.0 * count / base
    row = {
        "survey": "mini",
        "source": "responses",
        "variable": variable,
        "question_id": qid,
        "item_id": "",
        "qtype": qtype,
        "measure": "",
        "label_no": label,
        "label_en": label + " (en)",
        "category": category,
        "category_label_no": clabel,
        "category_label_en": clabel + " (en)",
        "category_kind": kind,
        "nonsubstantive": str(nonsub),
        "routing": "",
        "n_asked": str(base),
        "base_n": str(base),
        "count": str(count),
        "pct": repr(pct),
        "ref_id": "",
        "ref_available": "",
        "ref_pct": "",
        "ref_year": "",
        "ref_survey": "",
    }
    if ref is not None:
        row.update(
            {
                "ref_id": "ssb_x",
                "ref_available": "1",
                "ref_pct": str(ref),
                "ref_year": "2020",
                "ref_survey": "SSB",
            }
        )
    return row


AGREE = [
    ("1", "Helt enig"),
    ("2", "Delvis enig"),
    ("3", "Verken eller"),
    ("4", "Delvis uenig"),
    ("5", "Helt uenig"),
    ("98", "Vet ikke"),
]


def mini_estimates() -> pd.DataFrame:
    rows = []
    # agree grid: item a answers 40/20/10/10/10/10 of 100, item b 10/10/10/20/40/10 of 50
    for var, counts, base in (
        ("grid_a", [40, 20, 10, 10, 10, 10], 100),
        ("grid_b", [5, 5, 5, 10, 20, 5], 50),
    ):
        for (code, lab), c in zip(AGREE, counts, strict=True):
            rows.append(
                _est(
                    var,
                    "grid",
                    "grid",
                    f"Påstand {var[-1]}",
                    code,
                    lab,
                    "code",
                    base,
                    c,
                    nonsub=int(code == "98"),
                )
            )
        agree = counts[0] + counts[1]
        rows.append(_est(var, "grid", "grid", f"Påstand {var[-1]}", "agree", "Enig", "merged", base, agree))
    # multi-select: 82, 12.5 (rounds half up to 13), 5 of 200; "none" pinned last
    for var, label, count in (("opt_x", "Blikk", 164), ("opt_y", "Trusler", 25), ("opt_none", "Ingen", 10)):
        rows.append(_est(var, "opts", "multi", label, "1", "Ja", "ticked", 200, count))
    rows.append(_est("case_flag", "case_flag", "classification", "Angst", "1", "Angst", "level", 400, 76))
    for code, count in (("low", 30), ("medium", 46), ("high", 24)):
        rows.append(
            _est(
                "trust_category",
                "trust_category",
                "classification",
                "Tillit",
                code,
                {"low": "Lav (0-4)", "medium": "Middels (5-7)", "high": "Høy (8-10)"}[code],
                "level",
                100,
                count,
                ref={"low": 17, "medium": 39, "high": 44}[code],
            )
        )
    for code in range(11):
        rows.append(
            _est(
                "trust",
                "trust",
                "numeric",
                "Tillit 0-10",
                str(code),
                str(code),
                "code",
                100,
                [2, 4, 6, 8, 10, 12, 14, 20, 12, 6, 6][code],
            )
        )
    return pd.DataFrame(rows)


def mini_subgroups() -> pd.DataFrame:
    rows = []
    for level, label, n, count in (("1", "Mann", 200, 30), ("2", "Kvinne", 180, 40), ("3", "Annet", 20, 6)):
        rows.append(
            {
                "survey": "mini",
                "source": "scores",
                "variable": "case_flag",
                "question_id": "case_flag",
                "item_id": "",
                "label_no": "Angst",
                "category": "1",
                "category_label_no": "Angst",
                "category_kind": "level",
                "breakdown": "gender",
                "breakdown_column": "gender",
                "level": level,
                "level_label_no": label,
                "n": str(n),
                "count": str(count),
                "pct": repr(100 * count / n),
                "total_n": "400",
                "total_count": "76",
                "total_pct": "19.0",
                "small_n": str(int(n < 30)),
            }
        )
    return pd.DataFrame(rows)


def mini_labels() -> LabelBook:
    cat = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    est = mini_estimates()
    items = {
        v: {"no": n, "en": e}
        for v, n, e in zip(est["variable"], est["label_no"], est["label_en"], strict=True)
    }
    cats = {
        (v, c): {"no": n, "en": e}
        for v, c, n, e in zip(
            est["variable"], est["category"], est["category_label_no"], est["category_label_en"], strict=True
        )
    }
    return LabelBook(
        style_labels=cat["style"]["labels"],
        breakdowns={"gender": {"no": "Kjønn", "en": "Gender"}},
        levels={},
        items=items,
        categories=cats,
        questions={
            "grid": {"no": "Hvor enig er du?", "en": "How much do you agree?"},
            "opts": {"no": "Har du vært utsatt for følgende?", "en": "Have you been exposed?"},
        },
        survey_title={"no": "Testansatte", "en": "Test staff"},
    )


@pytest.fixture()
def inputs() -> SurveyInputs:
    return SurveyInputs(
        survey="mini",
        tables={"estimates": mini_estimates(), "subgroup_tests": mini_subgroups()},
        labels=mini_labels(),
        synthetic_label="Syntetiske data",
        min_n=30,
        bands=[
            {"name": "low", "min": 0, "max": 4},
            {"name": "medium", "min": 5, "max": 7},
            {"name": "high", "min": 8, "max": 10},
        ],
    )


@pytest.fixture(scope="module")
def style_cfg() -> dict:
    return yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))["style"]


def entry(kind: str, rows: list[dict], chart: dict | None = None, **kw) -> FigureEntry:
    return FigureEntry(
        id=kw.pop("id", f"mini_{kind}"),
        survey="mini",
        order=1,
        chapter="2",
        section="2.1",
        kind=kind,
        rows=tuple(rows),
        caption=kw.pop("caption", {"question": "grid"}),
        chart=chart or {},
        **kw,
    )


ENTRIES = {
    "stacked_bar": entry(
        "stacked_bar",
        [
            {"question": "grid", "category": [c for c, _ in AGREE]},
            {"question": "grid", "category": ["agree"]},
        ],
        {"scale": "diverging", "merged": ["agree"], "sort_by_categories": ["5"]},
    ),
    "ranked_bar": entry(
        "ranked_bar",
        [{"question": "opts", "category": ["1"]}],
        {"sort": "ascending", "pinned_last": ["opt_none"]},
        caption={"question": "opts"},
    ),
    "classification": entry(
        "classification",
        [{"variable": ["case_flag"], "category": ["1"]}],
        {"complement": {"no": "Innenfor normalområdet", "en": "Normal range"}},
        caption={"title": {"no": "Forekomst av angst"}},
    ),
    "grouped_bar": entry(
        "grouped_bar",
        [{"variable": ["trust_category"], "category": ["low", "medium", "high"]}],
        {"group": "category", "series": "survey", "reference": True},
        caption={"title": {"no": "Tillit"}},
    ),
    "subgroup_panel": entry(
        "subgroup_panel",
        [{"table": "subgroup_tests", "variable": ["case_flag"], "category": ["1"], "breakdown": ["gender"]}],
        caption={"title": {"no": "Angst etter kjønn"}},
    ),
    "trust_distribution": entry(
        "trust_distribution",
        [
            {"variable": ["trust"], "category": [str(c) for c in range(11)]},
            {"variable": ["trust_category"], "category": ["low", "medium", "high"]},
        ],
        {"reference": True},
        caption={"title": {"no": "Tillit 0-10"}},
    ),
}


def drawn_of(kind: str, inputs: SurveyInputs, style_cfg: dict):
    with mpl.rc_context(fname=str(MPLSTYLE)):
        return draw_entry(ENTRIES[kind], inputs, style_cfg, "results/mini/05_figures")


# ---------------------------------------------------------------------------------------------
# catalogue and schema
# ---------------------------------------------------------------------------------------------


def test_repo_catalogue_is_valid_and_covers_every_study_figure():
    cat = load_catalogue(CATALOGUE)
    numbers: dict[str, list[int]] = {"current": [], "former": []}
    for survey in numbers:
        for e in survey_entries(cat, survey):
            if e.study_figure:
                numbers[survey].append(int(e.study_figure))
    # current: Figur 2-38, "Figur 22" used twice by the study, no Figur 23; Figur 1 is a model
    assert sorted(numbers["current"]) == sorted([*range(2, 23), 22, *range(24, 39)])
    assert sorted(numbers["former"]) == list(range(39, 73))
    current = survey_entries(cat, "current")
    assert sum(e.kind == "subgroup_panel" for e in current) == 9  # 8 chapter-3 panels + trust (Figur 22)
    assert {e.section for e in current if e.chapter == "V1"} == {"V1"}
    notes = {e.id: e.study_figure_note for e in current}
    assert "twice" in notes["trust_subgroups"] and "Figur 3" in notes["incident_frequency"]
    assert (
        "Figur 3." in {e.id: e.study_figure_note for e in survey_entries(cat, "former")}["fatigue_items_more"]
    )


def _catalogue():
    return yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda c: c["figures"][0].update(colour="red"), "Additional properties"),
        (lambda c: c["figures"][0].update(kind="pie3d"), "pie3d"),
        (lambda c: c["figures"][0]["rows"][0].update(table="responses"), "responses"),
        (lambda c: c["figures"][0]["rows"].__setitem__(0, {"category": ["1"]}), "figures.0.rows.0"),
        (lambda c: c["figures"][0].pop("caption"), "caption"),
        (lambda c: c["style"]["palette"].update(accent="blue"), "accent"),
        (lambda c: c["figures"][1].update(id=c["figures"][0]["id"]), "duplicate figure id"),
        (lambda c: c["figures"][0]["study_figure"].update(former="99"), "not in surveys"),
        (lambda c: c["style"].update(dpi=72), "dpi"),
    ],
)
def test_schema_rejects_a_bad_catalogue(mutate, message):
    cat = copy.deepcopy(_catalogue())
    mutate(cat)
    with pytest.raises(ConfigError, match=message):
        validate_catalogue(cat)


# ---------------------------------------------------------------------------------------------
# selection
# ---------------------------------------------------------------------------------------------


def test_missing_rows_stop_with_the_figure_and_the_selector(inputs):
    sel = [{"question": "grid", "category": ["1", "99"]}]
    with pytest.raises(FigureDataError) as err:
        select_rows("safety_grid", "mini", sel, inputs.tables, inputs.labels)
    msg = str(err.value)
    assert "figure 'safety_grid'" in msg and "rows[0] {question: grid, category: [1, 99]}" in msg
    assert "variable 'grid_a', category '99'" in msg and "estimates.csv" in msg
    with pytest.raises(
        FigureDataError, match=r"figure 'x'.*breakdown: \[region\].*matches no row.*subgroup_tests"
    ):
        select_rows(
            "x",
            "mini",
            [{"table": "subgroup_tests", "variable": ["case_flag"], "breakdown": ["region"]}],
            inputs.tables,
            inputs.labels,
        )
    with pytest.raises(FigureDataError, match="level '9'"):
        select_rows(
            "x",
            "mini",
            [
                {
                    "table": "subgroup_tests",
                    "variable": ["case_flag"],
                    "category": ["1"],
                    "breakdown": ["gender"],
                    "level": ["1", "9"],
                }
            ],
            inputs.tables,
            inputs.labels,
        )
    with pytest.raises(FigureDataError, match="no row for variable 'opt_zzz'"):
        select_rows("x", "mini", [{"variable": ["opt_x", "opt_zzz"]}], inputs.tables, inputs.labels)


def test_selection_keeps_catalogue_order_and_flags_small_n(inputs):
    tidy = select_rows(
        "x",
        "mini",
        [
            {"variable": ["opt_y", "opt_x"], "category": ["1"]},
            {
                "table": "subgroup_tests",
                "variable": ["case_flag"],
                "category": ["1"],
                "breakdown": ["gender"],
                "level": ["3", "1"],
            },
        ],
        inputs.tables,
        inputs.labels,
    )
    assert tidy["item"].tolist() == ["opt_y", "opt_x", "case_flag", "case_flag"]
    assert tidy["level"].tolist() == ["total", "total", "3", "1"]
    assert tidy["small_n"].tolist() == [0, 0, 1, 0]
    assert tidy["pct"].tolist() == [12.5, 82.0, 30.0, 15.0]
    en = select_rows(
        "x", "mini", [{"variable": ["opt_x"], "category": ["1"]}], inputs.tables, inputs.labels, lang="en"
    )
    assert en["item_label"].iloc[0] == "Blikk (en)" and en["level_label"].iloc[0] == "All"


# ---------------------------------------------------------------------------------------------
# kinds: the drawn numbers (prepare), the figure, alt text
# ---------------------------------------------------------------------------------------------


def test_stacked_bar_segments_totals_and_sort(inputs, style_cfg):
    fig = drawn_of("stacked_bar", inputs, style_cfg)
    d = fig.drawn
    # sorted by "Helt uenig" (code 5): grid_b 40 % before grid_a 10 %
    assert d["item"].drop_duplicates().tolist() == ["grid_b", "grid_a"]
    seg = d[(d["role"] == "segment") & (d["item"] == "grid_a")]
    assert seg["category"].tolist() == ["1", "2", "3", "4", "5", "98"]
    assert seg["pct"].tolist() == [40.0, 20.0, 10.0, 10.0, 10.0, 10.0]
    tot = d[d["role"] == "total"].set_index("item")["pct"]
    assert tot["grid_a"] == 60.0 and tot["grid_b"] == 20.0
    assert fig.index["base_n"] == "50-100" and fig.index["small_n"] == "false"
    assert list(d.columns) == DATA_COLUMNS


def test_ranked_bar_pins_and_rounds_half_up(inputs, style_cfg):
    fig = drawn_of("ranked_bar", inputs, style_cfg)
    assert fig.drawn["item"].tolist() == ["opt_y", "opt_x", "opt_none"]  # ascending, "none" last
    assert fig.drawn["value_label"].tolist() == ["13\u00a0%", "82\u00a0%", "5\u00a0%"]  # 12.5 -> 13
    assert "Blikk 82\u00a0%" in fig.index["alt_no"] and "Antall svar: 200" in fig.index["alt_no"]


def test_classification_adds_the_complement(inputs, style_cfg):
    fig = drawn_of("classification", inputs, style_cfg)
    d = fig.drawn.set_index("category")
    assert d.loc["1", "pct"] == 19.0 and d.loc["1", "derived"] == 0
    assert d.loc["rest", "pct"] == 81.0 and d.loc["rest", "count"] == 324 and d.loc["rest", "derived"] == 1
    assert d.loc["rest", "category_label"] == "Innenfor normalområdet"
    assert "Innenfor normalområdet 81\u00a0%" in fig.index["alt_no"]
    assert "Normal range 81%, Angst (en) 19%" in fig.index["alt_en"]
    assert fig.index["caption_no"] == "Forekomst av angst. Testansatte (n = 400)."


def test_grouped_bar_adds_the_published_reference(inputs, style_cfg):
    fig = drawn_of("grouped_bar", inputs, style_cfg)
    d = fig.drawn
    ref = d[d["role"] == "reference"].set_index("category")["pct"]
    assert ref.to_dict() == {"low": 17.0, "medium": 39.0, "high": 44.0}
    assert set(d["series_label"]) == {"Testansatte", "Befolkningen (SSB 2020)"}
    assert fig.index["base_n"] == "100"  # the population series has no n of ours


def test_grouped_bar_sorts_by_difference():
    tidy = pd.DataFrame(
        {
            "item": ["a", "a", "b", "b"],
            "item_label": ["A", "A", "B", "B"],
            "level": ["1", "2", "1", "2"],
            "level_label": ["S", "F", "S", "F"],
            "pct": [50.0, 60.0, 10.0, 40.0],
            "ref_available": 0,
        }
    )
    out = kinds.prepare_grouped(tidy, {"group": "item", "series": "level", "sort_by_difference": ["2", "1"]})
    assert out["group"].tolist() == ["b", "b", "a", "a"]  # 30 points before 10 points


def test_subgroup_panel_keeps_small_levels_and_hatches_them(inputs, style_cfg):
    with mpl.rc_context(fname=str(MPLSTYLE)):
        fig = draw_entry(ENTRIES["subgroup_panel"], inputs, style_cfg, "x")
        d = fig.drawn
        assert d["level"].tolist() == ["1", "2", "3"] and d["small_n"].tolist() == [0, 0, 1]
        assert fig.index["small_n"] == "true"
        figure = kinds.draw_panel(d, {"survey_label": "Testansatte"}, Style(style_cfg, "", "no"))
    hatched = [p for ax in figure.axes for p in ax.patches if p.get_hatch()]
    assert len(hatched) == 1 and hatched[0].get_width() == pytest.approx(30.0)
    assert "Annet" in fig.index["alt_no"] or "Kvinne" in fig.index["alt_no"]


def test_trust_distribution_bands_and_reference(inputs, style_cfg):
    fig = drawn_of("trust_distribution", inputs, style_cfg)
    d = fig.drawn
    assert d[d["role"] == "bar"]["category"].tolist() == [str(c) for c in range(11)]
    assert d[d["role"] == "band"].set_index("category")["pct"].to_dict() == {
        "low": 30.0,
        "medium": 46.0,
        "high": 24.0,
    }
    assert d[d["role"] == "reference"]["pct"].tolist() == [17.0, 39.0, 44.0]
    assert "Vanligste svar: 7 (20\u00a0%)" in fig.index["alt_no"]


@pytest.mark.parametrize("kind", sorted(kinds.KINDS))
def test_every_kind_renders_png_at_150_dpi_with_the_synthetic_mark(kind, inputs, style_cfg):
    fig = drawn_of(kind, inputs, style_cfg)
    png = Image.open(io.BytesIO(fig.png))
    assert round(png.info["dpi"][0]) >= 150 and png.width >= 7 * 150 - 2
    assert fig.svg.startswith(b"<?xml") and fig.index["synthetic"] == "true"
    assert fig.index["alt_no"] and fig.index["alt_en"] and fig.index["caption_en"]
    spec = {"survey_label": "Testansatte", "bands": inputs.bands, "reference": True}
    with mpl.rc_context(fname=str(MPLSTYLE)):
        marked = kinds.KINDS[kind].draw(fig.drawn, spec, Style(style_cfg, "Syntetiske data"))
        unmarked = kinds.KINDS[kind].draw(fig.drawn, spec, Style(style_cfg, ""))
    assert marked._suptitle is not None and marked._suptitle.get_text() == "Syntetiske data"
    assert unmarked._suptitle is None


@pytest.mark.parametrize("kind", sorted(kinds.KINDS))
def test_two_draws_are_byte_identical(kind, inputs, style_cfg):
    a, b = drawn_of(kind, inputs, style_cfg), drawn_of(kind, inputs, style_cfg)
    assert a.svg == b.svg and a.png == b.png
    assert b"<dc:date>" not in a.svg and b"Matplotlib v" not in a.png


@pytest.mark.parametrize("kind", sorted(kinds.KINDS))
def test_shared_text_metrics_leave_every_render_byte_identical(kind, inputs, style_cfg):
    """The three renders of a figure with the measurement memo equal those without it."""
    plain = drawn_of(kind, inputs, style_cfg)
    with shared_text_metrics() as memo:
        shared = drawn_of(kind, inputs, style_cfg)
        again = drawn_of(kind, inputs, style_cfg)  # every measurement now answered by the memo
    assert memo, "the SVG renders measure text through TextToPath"
    for fig in (shared, again):
        assert (fig.svg, fig.svg_print, fig.png) == (plain.svg, plain.svg_print, plain.png)


def test_memoized_metrics_equal_freetype_and_measure_each_text_once():
    reference = TextToPath()
    calls: list[str] = []

    def counting(self, s, prop, ismath):
        calls.append(s)
        return TextToPath.get_text_width_height_descent(self, s, prop, ismath)

    memo: dict = {}
    measure = memoized_metrics(counting, memo)
    regular = FontProperties(family="DejaVu Sans", size=9)
    cases = [
        ("Ansatte i kriminalomsorgen", regular, False),
        ("Ansatte i kriminalomsorgen", FontProperties(family="DejaVu Sans", size=7), False),  # size
        ("Ansatte i kriminalomsorgen", FontProperties(family="DejaVu Sans", size=9, weight="bold"), False),
        ("Søvn, æøå – 12,5 %", regular, False),
        ("$n = 1726$", regular, True),
    ]
    for s, prop, ismath in cases + cases:
        assert measure(reference, s, prop, ismath) == reference.get_text_width_height_descent(s, prop, ismath)
    assert len(calls) == len(memo) == len(cases)  # the second round came from the memo
    widths = [memo[(s, font_key(p), m)][0] for s, p, m in cases[:3]]
    assert widths[1] < widths[0] < widths[2]  # 7 pt narrower than 9 pt, bold wider than regular


def test_font_key_compares_by_value():
    a = FontProperties(family=["DejaVu Sans"], size=9)
    assert font_key(a) == font_key(a.copy()) == font_key(FontProperties(family="DejaVu Sans", size=9))
    assert font_key(a) != font_key(FontProperties(family="DejaVu Sans", size=9.5))
    assert font_key(a) != font_key(FontProperties(family="DejaVu Sans", size=9, style="italic"))
    hash(font_key(a))


def test_font_height_metrics_of_dejavu_sans_by_hand():
    """DejaVu Sans: OS/2 sTypoAscender 1556, sTypoDescender -492, sTypoLineGap 410, unitsPerEm
    2048, so at 9 pt and 72 dpi ascent = 1556 * 9 / 2048, descent = 492 * 9 / 2048, gap = 410 * 9 /
    2048 pixels, and at 150 dpi each times 150 / 72."""
    prop = FontProperties(family="DejaVu Sans", size=9)
    assert font_height_metrics(prop, 72) == pytest.approx((6.837890625, 2.162109375, 1.8017578125), abs=1e-12)
    a, d, g = font_height_metrics(prop, 150)
    assert (a, d, g) == pytest.approx(
        (1556 * 9 / 2048 * 150 / 72, 492 * 9 / 2048 * 150 / 72, 410 * 9 / 2048 * 150 / 72)
    )
    seven = font_height_metrics(FontProperties(family="DejaVu Sans", size=7), 72)
    assert seven == pytest.approx((1556 * 7 / 2048, 492 * 7 / 2048, 410 * 7 / 2048))


def test_memoized_height_metrics_read_each_font_once_per_resolution():
    memo: dict = {}
    hook = memoized_height_metrics(lambda renderer: renderer, memo)  # the "renderer" is its dpi
    nine, seven = FontProperties(family="DejaVu Sans", size=9), FontProperties(family="DejaVu Sans", size=7)
    for _ in range(3):
        assert hook(72.0, nine) == font_height_metrics(nine, 72.0)
        assert hook(150.0, nine) == font_height_metrics(nine, 150.0)
        assert hook(72.0, seven.copy()) == font_height_metrics(seven, 72.0)
    assert len(memo) == 3


def test_shared_text_metrics_hook_the_renderers_only_inside_the_block():
    assert RENDERER_DPI and not any(hasattr(cls, "_get_font_height_metrics") for cls in RENDERER_DPI)
    with pytest.raises(RuntimeError), shared_text_metrics():
        assert all(hasattr(cls, "_get_font_height_metrics") for cls in RENDERER_DPI)
        raise RuntimeError("drawing failed")
    assert not any(hasattr(cls, "_get_font_height_metrics") for cls in RENDERER_DPI)


def test_shared_text_metrics_put_the_method_back_also_after_an_error():
    original = TextToPath.get_text_width_height_descent
    with pytest.raises(RuntimeError), shared_text_metrics():
        assert TextToPath.get_text_width_height_descent is not original
        raise RuntimeError("drawing failed")
    assert TextToPath.get_text_width_height_descent is original


# ---------------------------------------------------------------------------------------------
# style helpers
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, decimals, lang, text",
    [
        (12.5, 0, "no", "13\u00a0%"),
        (0.5, 0, "no", "1\u00a0%"),
        (2.45, 1, "no", "2,5\u00a0%"),
        (14.5, 0, "no", "15\u00a0%"),
        (64.49, 0, "en", "64%"),
        (99.95, 1, "en", "100.0%"),
    ],
)
def test_pct_text_rounds_half_up_with_a_decimal_comma(value, decimals, lang, text):
    assert pct_text(value, decimals, lang) == text


def test_palette_diverges_around_the_neutral_and_greys_non_substantive(style_cfg):
    style = Style(style_cfg)
    cols = segment_colours(style, "diverging", 5, 2)
    pal = style_cfg["palette"]
    assert cols[:5] == pal["diverging"] and cols[2] == pal["diverging"][2]
    assert cols[5:] == pal["nonsubstantive"][:2]
    assert len(set(segment_colours(style, "sequential", 9, 0))) == 9


def test_caption_takes_the_question_wording_from_the_codebook(inputs):
    e = entry(
        "stacked_bar",
        [],
        caption={"question": "grid", "title": {"no": "Trygghet", "en": "Safety"}},
        filter={"no": "De som ble spurt", "en": "Those asked"},
    )
    assert caption(e, inputs.labels, "no", ("50-100", 50, 100)) == (
        "Trygghet. «Hvor enig er du?». Testansatte, de som ble spurt (n = 50-100)."
    )
    assert caption(e, inputs.labels, "en", ("100", 100, 100)) == (
        "Safety. \u201cHow much do you agree?\u201d. Test staff, those asked (n = 100)."
    )


def test_alt_text_names_the_largest_numbers(inputs, style_cfg):
    fig = drawn_of("stacked_bar", inputs, style_cfg)
    text = alt_text("stacked_bar", fig.drawn, {}, Style(style_cfg, "Syntetiske data"))
    assert "Påstand a: Enig 60\u00a0%" in text and "Påstand b: Enig 20\u00a0%" in text
    assert text.endswith("(Syntetiske data.)")


def test_value_label_of_a_level_without_respondents_is_not_zero_percent(style_cfg):
    # n = 0: no share exists ("ingen svar"); a suppressed cell (share blank, n blank or > 0): "–"
    no, en = Style(style_cfg, "", "no"), Style(style_cfg, "", "en")
    assert kinds._value_label(no, float("nan"), 0, 0.0) == "ingen svar"
    assert kinds._value_label(en, float("nan"), 0, 0.0) == "no answers"
    assert kinds._value_label(no, float("nan"), float("nan"), 0.0) == "–"
    assert kinds._value_label(no, float("nan"), 12, 0.0) == "–"
    assert kinds._value_label(no, 0.0, 40, 0.0) == "0\u00a0%"
