"""JSON-schema validation of config files and codebooks (schemas in ``workflow/schemas``)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError
from .yamlio import safe_load

if TYPE_CHECKING:  # imported where a file is validated: a cached start-up skips it (mhsurvey.startup)
    import jsonschema

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Load ``workflow/schemas/<name>`` (YAML)."""
    return safe_load((SCHEMA_DIR / name).read_text(encoding="utf-8"))


def _location(error: jsonschema.ValidationError) -> str:
    """Dotted key path of an error; for an unexpected key, the path of that key itself."""
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        patterns = [re.compile(p) for p in error.schema.get("patternProperties", {})]
        extra = sorted(
            str(k) for k in error.instance if k not in known and not any(p.search(str(k)) for p in patterns)
        )
        if len(extra) == 1:
            parts.append(extra[0])
    return ".".join(parts) or "<top level>"


def validate_against(data: Any, schema_name: str, source: str) -> None:
    """Validate ``data`` against a schema; raise ``ConfigError`` naming the key and the problem.

    All errors are collected; the message lists each as ``<key path>: <problem>``.
    """
    import jsonschema

    schema = load_schema(schema_name)
    validator = jsonschema.Draft202012Validator(schema)
    # an anyOf/oneOf failure is reported by its most relevant branch (e.g. the unexpected key)
    found = [jsonschema.exceptions.best_match([e]) if e.context else e for e in validator.iter_errors(data)]
    errors = sorted(found, key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = [f"  {_location(e)}: {e.message}" for e in errors[:20]]
        more = f"\n  ... and {len(errors) - 20} more" if len(errors) > 20 else ""
        raise ConfigError(f"{source} is invalid ({schema_name}):\n" + "\n".join(lines) + more)
