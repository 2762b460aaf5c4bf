"""Build an edition of the report from the paths a rule gives (used by workflow/scripts/report_*.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..config import load_yaml_validated
from ..yamlio import safe_load
from .editions import figures_dir
from .render import drop_screen_only, load_report_config, render_html, use_print_figures, write_pdf
from .results import AuditResults, SurveyPaths, SurveyResults
from .units import UnitContext, read_service_tests
from .waves import read_wave_comparisons


def read_published(paths: Sequence[str | Path]) -> pd.DataFrame:
    """The study's printed numbers (data/published/*.csv), stacked; ``id`` and ``pct`` as text."""
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in paths]
    return pd.concat(frames, ignore_index=True)


def build_html(
    report_config: str | Path,
    estimates_config: str | Path,
    scoring_config: str | Path,
    main_config: Mapping[str, Any],
    published: Sequence[str | Path],
    css: str | Path,
    results_root: str | Path,
    lang: str,
    root: str | Path = ".",
    audit_dir: str | Path | None = None,
    reproduction: str | Path | None = None,
    unit: Mapping[str, Any] | None = None,
    service_root: str | Path = "results",
    extra_css: Sequence[str | Path] = (),
) -> str:
    """Render the ``lang`` edition to an HTML string from the results under ``results_root``.

    A unit edition (``unit``: :meth:`mhsurvey.units.Unit.as_dict`) reads its own results under
    ``results_root`` (``results/units/<unit>``) and the whole service's subgroup tests under
    ``service_root`` (the unit against the rest); ``extra_css`` files are appended to ``css``.
    """
    root = Path(root)
    cfg = load_report_config(report_config)
    est_cfg = load_yaml_validated(estimates_config, "estimates.schema.yaml")
    scoring_cfg = safe_load(Path(scoring_config).read_text(encoding="utf-8"))
    results = {
        s: SurveyResults(s, SurveyPaths(Path(results_root) / s, figures_dir(lang)))
        for s in sorted(main_config["surveys"])
    }
    audit = AuditResults.read(audit_dir, reproduction) if audit_dir and reproduction else None
    unit_ctx = None
    if unit is not None:
        tests = {
            s: read_service_tests(Path(service_root) / s / "04_estimates" / "subgroup_tests.csv")
            for s in sorted(main_config["surveys"])
        }
        unit_ctx = UnitContext(unit=dict(unit), service_tests=tests)
    css_text = "".join(
        [Path(css).read_text(encoding="utf-8")] + [Path(c).read_text(encoding="utf-8") for c in extra_css]
    )
    return render_html(
        cfg,
        results,
        est_cfg,
        scoring_cfg,
        read_published(published),
        main_config["project"],
        lang,
        root,
        css_text,
        audit,
        # the wave comparison is an appendix of the whole-service edition only (edition_scope: service)
        read_wave_comparisons(main_config, results_root) if unit is None else (),
        unit=unit_ctx,
    )


def build_pdf(html_path: str | Path, pdf_path: str | Path, root: str | Path = ".") -> None:
    """Render the HTML file to PDF (A4, print CSS of the HTML), with the print variant of each
    figure where the figure index names one and without the screen-only figure data."""
    html_path = Path(html_path)
    text = drop_screen_only(use_print_figures(html_path.read_text(encoding="utf-8"), Path(root)))
    write_pdf(text, pdf_path, base_url=html_path.parent)
