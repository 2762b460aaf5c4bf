"""Loading and validating the main configuration (``config/config.yaml``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError
from .schemas import validate_against


def validate_config(config: Mapping[str, Any], source: str = "config/config.yaml") -> None:
    """Validate the main config against ``config.schema.yaml``; ``ConfigError`` names the key."""
    validate_against(dict(config), "config.schema.yaml", source)


def load_config(path: str | Path = "config/config.yaml") -> dict[str, Any]:
    """Read and validate the main config at ``path``."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from exc
    validate_config(data, str(path))
    return data


def load_yaml_validated(path: str | Path, schema_name: str) -> dict[str, Any]:
    """Read a stage config file (e.g. ``config/scoring.yaml``) and validate it against a schema."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    validate_against(data, schema_name, str(path))
    return data
