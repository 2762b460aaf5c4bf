"""Loading and validating the main configuration (``config/config.yaml``).

A user's config may be partial (``mhsurvey clean --config my_wave.yaml``): it is deep-merged over
the defaults in ``config/config.yaml`` exactly as Snakemake merges ``--configfile`` over the
Snakefile's ``configfile:`` (mappings merge key by key, any other value replaces), and the merged
result is validated against ``workflow/schemas/config.schema.yaml``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .schemas import validate_against
from .surveys import survey_kind  # noqa: F401 - the one definition; re-exported for callers of config
from .yamlio import YAMLError, safe_load

#: The repository's default configuration (what the Snakefile's ``configfile:`` reads).
DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "config" / "config.yaml"


def validate_config(
    config: Mapping[str, Any], source: str = "config/config.yaml", cache: str | Path | None = None
) -> None:
    """Validate the main config against ``config.schema.yaml``; ``ConfigError`` names the key.

    With ``cache`` (the workflow's start-up cache, :func:`mhsurvey.startup.remembered`) a config
    equal to one that passed, under the same schema and checking code, is not checked again.
    """
    from . import schemas as schemas_module
    from .startup import remembered

    def check() -> bool:
        validate_against(dict(config), "config.schema.yaml", source)
        return True

    remembered(
        cache,
        "config",
        check,
        key=dict(config),
        code=(
            Path(__file__),
            Path(schemas_module.__file__),
            schemas_module.SCHEMA_DIR / "config.schema.yaml",
        ),
    )


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` merged into a copy of ``base``: nested mappings merge, other values replace.

    The semantics of Snakemake's ``--configfile`` (``snakemake.utils.update_config``): a list or a
    scalar in ``override`` replaces the default; ``null`` replaces it too.
    """
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read_mapping(path: Path, what: str) -> dict[str, Any]:
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, YAMLError) as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc}") from exc
    if data is None:
        raise ConfigError(f"{what} {path} is empty")
    if not isinstance(data, dict):
        raise ConfigError(f"{what} {path} is not a mapping of keys to values")
    return data


def load_config(
    path: str | Path = "config/config.yaml", defaults: str | Path | None = DEFAULT_CONFIG
) -> dict[str, Any]:
    """Read the config at ``path``, deep-merge it over ``defaults`` (if any) and validate it.

    ``defaults=None`` reads ``path`` alone (it must then be complete).
    """
    path = Path(path)
    data = _read_mapping(path, "config")
    source = str(path)
    if defaults is not None:
        dpath = Path(defaults)
        same = dpath.exists() and path.exists() and dpath.resolve() == path.resolve()
        if not same:
            data = deep_merge(_read_mapping(dpath, "default config"), data)
            source = f"{path} (merged over the defaults in {dpath})"
    validate_config(data, source)
    return data


def load_yaml_validated(path: str | Path, schema_name: str) -> dict[str, Any]:
    """Read a stage config file (e.g. ``config/scoring.yaml``) and validate it against a schema."""
    path = Path(path)
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except (OSError, YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    validate_against(data, schema_name, str(path))
    return data
