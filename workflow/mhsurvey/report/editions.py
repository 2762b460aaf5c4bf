"""The editions of the report (config/report.yaml ``editions``), read at workflow start-up.

Kept free of the rendering stack (pandas, Jinja, WeasyPrint) so that Snakemake's start-up only
pays for YAML and the schema check.
"""

from __future__ import annotations

from pathlib import Path

from .. import config as _config_module
from .. import schemas as _schemas_module
from .. import yamlio as _yamlio_module
from ..config import load_yaml_validated
from ..errors import ConfigError
from ..schemas import SCHEMA_DIR
from ..startup import remembered

#: The code that derives the editions (with report.schema.yaml): an edit of any re-derives them.
EDITIONS_CODE = (
    Path(__file__),
    Path(_config_module.__file__),
    Path(_schemas_module.__file__),
    Path(_yamlio_module.__file__),
    SCHEMA_DIR / "report.schema.yaml",
)


def report_editions(
    report_config: str | Path, default_only: bool = False, cache: str | Path | None = None
) -> dict[str, str]:
    """Editions as ``{file stem: language}``, e.g. ``{"rapport": "no", "report_en": "en"}``.

    Each edition's files must be ``reports/<stem>.html`` and ``reports/<stem>.pdf`` (one stem, so
    one rule pattern serves every edition). ``default_only`` keeps the editions whose
    ``default`` is true (built by ``snakemake`` without a target). With ``cache`` (the workflow's
    start-up cache, :func:`mhsurvey.startup.remembered`), the checked editions are reused while the
    report config and :data:`EDITIONS_CODE` are unchanged.
    """
    editions = remembered(
        cache,
        "report_editions",
        lambda: _checked_editions(report_config),
        key=str(report_config),
        files=[report_config],
        code=EDITIONS_CODE,
    )
    return {stem: lang for stem, lang, default in editions if default or not default_only}


def _checked_editions(report_config: str | Path) -> list[tuple[str, str, bool]]:
    """``(file stem, language, default)`` of every edition of the validated report config."""
    cfg = load_yaml_validated(report_config, "report.schema.yaml")
    out = []
    for lang, files in cfg["editions"].items():
        html, pdf = Path(files["html"]), Path(files["pdf"])
        if html.parent != Path("reports") or pdf.parent != Path("reports") or html.stem != pdf.stem:
            raise ConfigError(
                f"{report_config}: editions.{lang}: html and pdf must be reports/<stem>.html and reports/<stem>.pdf"
            )
        out.append((html.stem, lang, bool(files.get("default", True))))
    return out


def figures_dir(lang: str) -> str:
    """The folder (under results/<survey>/) of the figures drawn for an edition's language:
    ``05_figures`` for bokmål, ``05_figures_<lang>`` for another language."""
    return "05_figures" if lang == "no" else f"05_figures_{lang}"
