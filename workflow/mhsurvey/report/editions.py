"""The editions of the report (config/report.yaml ``editions``), read at workflow start-up.

Kept free of the rendering stack (pandas, Jinja, WeasyPrint) so that Snakemake's start-up only
pays for YAML and the schema check.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

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


@cache
def _validated(report_config: str, digest: str) -> dict[str, Any]:
    """The validated report config of that content (``digest``: its SHA-256), once per process."""
    return load_yaml_validated(report_config, "report.schema.yaml")


def _editions_config(report_config: str) -> dict[str, Any]:
    """The validated report config, read once per process while its content is unchanged
    (Snakemake asks for it several times; an edited file is read again)."""
    return _validated(report_config, hashlib.sha256(Path(report_config).read_bytes()).hexdigest())


def report_editions(
    report_config: str | Path, default_only: bool = False, cache: str | Path | None = None
) -> dict[str, str]:
    """Editions as ``{file stem: language}``, e.g. ``{"rapport": "no", "report_en": "en"}``.

    Each edition's files must be ``reports/<stem>.html`` and ``reports/<stem>.pdf`` (one stem, so
    one rule pattern serves every edition). ``default_only`` keeps the editions whose
    ``default`` is true (built by ``snakemake`` without a target). With ``cache`` (the workflow's
    start-up cache, :func:`mhsurvey.startup.remembered`), the result is reused while the report
    config and :data:`EDITIONS_CODE` are unchanged.
    """
    return dict(
        remembered(
            cache,
            f"report_editions:{'default' if default_only else 'all'}",
            lambda: _report_editions(report_config, default_only),
            key=str(report_config),
            files=[report_config],
            code=EDITIONS_CODE,
        )
    )


def _report_editions(report_config: str | Path, default_only: bool) -> dict[str, str]:
    """:func:`report_editions` without the cache."""
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
