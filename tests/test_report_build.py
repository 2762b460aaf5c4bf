"""The report on the embedded data: built by the default target, HTML and PDF checked as a reader would."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser

import pandas as pd
import pytest
from conftest import REPO

from mhsurvey.report.render import slug


class _Collector(HTMLParser):
    """Ids, in-page links, images and visible text of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.links: list[str] = []
        self.images: list[dict[str, str]] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "a" and a.get("href", "").startswith("#"):
            self.links.append(a["href"][1:])
        if tag == "img":
            self.images.append(a)
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


@pytest.fixture(scope="module")
def page(built) -> tuple[_Collector, str]:
    html = (built / "reports" / "rapport.html").read_text(encoding="utf-8")
    c = _Collector()
    c.feed(html)
    return c, html


def test_every_catalogue_figure_appears_once(built, page):
    c, html = page
    expected = []
    for survey in ("current", "former"):
        idx = pd.read_csv(built / "results" / survey / "05_figures" / "figures.csv", dtype=str)
        expected += [f"fig-{survey}-{slug(f)}" for f in idx["figure_id"]]
    assert len(expected) > 60
    for anchor in expected:
        assert c.ids.count(anchor) == 1, anchor
    assert sum(1 for i in c.ids if i.startswith("fig-")) == len(expected)
    assert all(img["src"].startswith("data:image/svg+xml;base64,") and img.get("alt") for img in c.images)
    assert len(c.images) == len(expected)


def test_anchors_resolve_and_ids_are_unique(page):
    c, _ = page
    assert len(c.ids) == len(set(c.ids))
    missing = sorted(set(c.links) - set(c.ids))
    assert not missing, missing[:10]
    assert {"sammendrag", "metode", "s2-1", "s3-8", "tidligere", "vedlegg-3"} <= set(c.links)


def test_figure_and_table_numbers_run_in_order(page):
    _, html = page
    figs = [int(n) for n in re.findall(r'<span class="fig-label">Figur (\d+)\.</span>', html)]
    tabs = [int(n) for n in re.findall(r'<span class="tab-label">Tabell (\d+)\.</span>', html)]
    assert figs == list(range(1, len(figs) + 1))
    assert tabs == list(range(1, len(tabs) + 1)) and len(tabs) >= 6


def test_text_is_complete_and_marked_synthetic(page):
    c, html = page
    text = " ".join(c.text)
    for heading in (
        "Sammendrag",
        "Om prosjektet",
        "Forekomsten av hendelser",
        "Psykiske belastningsreaksjoner",
        "Funn fra kvalitative dybdeintervjuer",
        "Forslag til tiltak",
        "Statistiske resultater for tidligere ansatte",
        "Vedlegg 3: Feilmarginer",
    ):
        assert heading in text, heading
    assert 'class="synthetic-banner"' in html and "Syntetiske data" in text
    for bad in ("{{", "{%", " nan ", "None", "Traceback"):
        assert bad not in text, bad
    # One number checked against its source: the kept sample size, formatted with a thin space.
    assert "1\u202f726 svar" in text


def test_pdf_has_headings_and_letters(built):
    pdf = built / "reports" / "rapport.pdf"
    assert pdf.stat().st_size > 100_000
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed; .ci/run installs it")
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for heading in (
        "Sammendrag",
        "Forekomsten av hendelser",
        "Følelsesmessige reaksjoner",
        "Sikkerhetsnivå",
        "Tidligere ansatte",
        "Syntetiske data",
    ):
        assert heading in text, heading
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", pages).group(1)) >= 40


def test_pdf_input_drops_only_the_screen_only_figure_data(page):
    from mhsurvey.report.render import FIG_DATA_CLASS, SCREEN_ONLY, drop_screen_only

    _, html = page
    blocks = SCREEN_ONLY.findall(html)
    assert len(blocks) == html.count("<figure ") and blocks  # one data block per figure
    stripped = drop_screen_only(html)
    assert f'class="{FIG_DATA_CLASS}"' not in stripped
    assert len(stripped) == len(html) - sum(map(len, blocks))
    assert stripped.count("<figure ") == html.count("<figure ") and stripped.count("</figure>") == html.count(
        "</figure>"
    )
    # the reason it is invisible: the report's print CSS hides the block
    css = (REPO / "reports" / "templates" / "css" / "report.css").read_text(encoding="utf-8")
    media = css[css.index("@media print") :]
    assert re.search(rf"details\.{FIG_DATA_CLASS}\s*\{{\s*display:\s*none;", media)


def test_dropping_print_hidden_figure_data_leaves_the_pdf_byte_identical(tmp_path):
    from mhsurvey.report.render import FIG_DATA_CLASS, drop_screen_only, write_pdf

    css = (REPO / "reports" / "templates" / "css" / "report.css").read_text(encoding="utf-8")
    rows = "".join(f"<tr><td>Nivå {i}</td><td>{i * 7} %</td></tr>" for i in range(40))
    html = (
        f"<html><head><style>{css}</style></head><body><h1>Tittel</h1>"
        f'<figure class="figure"><figcaption>Figur 1.</figcaption><details class="{FIG_DATA_CLASS}">'
        f"<summary>Tall</summary><table>{rows}</table><p><a href='#'>CSV</a></p></details></figure>"
        "<p>Etter figuren.</p></body></html>"
    )
    stripped = drop_screen_only(html)
    assert "Nivå 3" not in stripped and "Etter figuren." in stripped
    write_pdf(html, tmp_path / "full.pdf", base_url=tmp_path)
    write_pdf(stripped, tmp_path / "stripped.pdf", base_url=tmp_path)
    assert (tmp_path / "full.pdf").read_bytes() == (tmp_path / "stripped.pdf").read_bytes()


def _build_rapport_html(work):
    """``reports/rapport.html`` as rule report_html renders it, in the work directory ``work``."""
    import yaml

    from mhsurvey.report.build import build_html

    return build_html(
        report_config="config/report.yaml",
        estimates_config="config/estimates.yaml",
        scoring_config="config/scoring.yaml",
        main_config=yaml.safe_load((work / "config" / "config.yaml").read_text(encoding="utf-8")),
        published=sorted(str(p) for p in (work / "data" / "published").glob("*.csv")),
        css="reports/templates/css/report.css",
        results_root="results",
        lang="no",
        audit_dir="results/audit",
        reproduction="reports/reproduction.csv",
    )


def test_figure_files_are_read_once_for_both_rendering_passes(built, monkeypatch):
    """render_html's two passes share each figure's data URIs and data table: one data table per
    figure, and the same HTML as when every pass makes them again (and as the rule wrote)."""
    from mhsurvey.report import render

    monkeypatch.chdir(built)
    n_figures = sum(
        len(pd.read_csv(built / "results" / s / "05_figures" / "figures.csv")) for s in ("current", "former")
    )
    tables: list[int] = []
    data_table = render.Edition.data_table

    def counting(self, data):
        tables.append(len(data))
        return data_table(self, data)

    monkeypatch.setattr(render.Edition, "data_table", counting)
    shared = _build_rapport_html(built)
    assert shared == (built / "reports" / "rapport.html").read_text(encoding="utf-8")
    assert len(tables) == n_figures > 60

    init = render.Edition.__init__

    def memo_per_pass(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.figure_files = {}  # every pass makes its figures' parts again

    tables.clear()
    monkeypatch.setattr(render.Edition, "__init__", memo_per_pass)
    assert _build_rapport_html(built) == shared
    assert len(tables) == 2 * n_figures
