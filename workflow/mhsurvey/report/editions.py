"""The editions of the report (config/report.yaml ``editions``), read at workflow start-up.

Kept free of the rendering stack (pandas, Jinja, WeasyPrint) so that Snakemake's start-up only
pays for YAML and the schema check.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from ..config import load_yaml_validated
from ..errors import ConfigError


@cache
def _editions_config(report_config: str) -> dict[str, Any]:
    """The validated report config, read once per process (Snakemake asks for it several times)."""
    return load_yaml_validated(report_config, "report.schema.yaml")


def report_editions(report_config: str | Path, default_only: bool = False) -> dict[str, str]:
    """Editions as ``{file stem: language}``, e.g. ``{"rapport": "no", "report_en": "en"}``.

    Each edition's files must be ``reports/<stem>.html`` and ``reports/<stem>.pdf`` (one stem, so
    one rule pattern serves every edition). ``default_only`` keeps the editions whose
    ``default`` is true (built by ``snakemake`` without a target).
    """
    cfg = _editions_config(str(report_config))
    out: dict[str, str] = {}
    for lang, files in cfg["editions"].items():
        html, pdf = Path(files["html"]), Path(files["pdf"])
        if html.parent != Path("reports") or pdf.parent != Path("reports") or html.stem != pdf.stem:
            raise ConfigError(
                f"{report_config}: editions.{lang}: html and pdf must be reports/<stem>.html and reports/<stem>.pdf"
            )
        if default_only and not files.get("default", True):
            continue
        out[html.stem] = lang
    return out


def figures_dir(lang: str) -> str:
    """The folder (under results/<survey>/) of the figures drawn for an edition's language:
    ``05_figures`` for bokmål, ``05_figures_<lang>`` for another language."""
    return "05_figures" if lang == "no" else f"05_figures_{lang}"
