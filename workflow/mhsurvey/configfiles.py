"""Start-up validation of every file the main configuration points to.

``config/config.yaml`` is validated against ``config.schema.yaml`` (:mod:`mhsurvey.config`); the
files it names are validated here, when the workflow is parsed, so a bad key in any of them stops
``snakemake -n`` before a job runs, with the file and the dotted key path:

=============================  ===============================  ===================================
config key                     file                             checks
=============================  ===============================  ===================================
``scoring_config``             ``config/scoring.yaml``          ``scoring.schema.yaml`` + rule cross-checks
``estimates_config``           ``config/estimates.yaml``        ``estimates.schema.yaml``
``<name>_config`` (any)        the file it names                ``<name>.schema.yaml``
``surveys.<s>.codebook``       ``config/codebook/<s>.yaml``     ``codebook.schema.yaml`` + cross-references
``waves.<w>.surveys.<s>...``   its codebook (if another file)   ``codebook.schema.yaml`` + cross-references
``waves.<w>.simulation.<s>``   ``config/simulation/waves/...``  ``simulation_wave.schema.yaml``
``simulation.<s>``             ``config/simulation/<s>.yaml``   ``simulation.schema.yaml``
(beside ``simulation.<s>``)    ``<s>_items.yaml``               ``simulation_items.schema.yaml``
=============================  ===============================  ===================================

Parsing and validating all of them takes about two seconds, so a file that validated once is not
validated again while neither it, its schema nor the checking code has changed: the SHA-256 of the
three is kept in a small cache file (``.snakemake/mhsurvey/validated.json`` from the workflow).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .schemas import SCHEMA_DIR, validate_against
from .startup import read_cache, write_cache
from .yamlio import YAMLError, safe_load

CHECK_CODE = ("configfiles.py", "schemas.py", "codebook.py", "scoring/rules.py")


@dataclass(frozen=True)
class ConfigFile:
    """One file referenced by the main config: where it is named, its path and its schema."""

    key: str
    path: str
    schema: str


def items_spec_path(simulation_config: str | Path) -> str:
    """Chapter-2 spec beside a simulation config: ``config/simulation/<s>.yaml`` -> ``<s>_items.yaml``."""
    p = Path(simulation_config)
    return str(p.with_name(f"{p.stem}_items{p.suffix}"))


def referenced_files(config: Mapping[str, Any]) -> list[ConfigFile]:
    """Every file the (already validated) main config points to, in a fixed order.

    A top-level key ``<name>_config`` names a stage config validated against
    ``<name>.schema.yaml`` (``scoring_config`` -> ``scoring.schema.yaml``), so a new stage config
    is validated as soon as its key and schema exist; a key without a schema stops the run.
    """
    files = []
    for key in sorted(k for k in config if k.endswith("_config") and config[k] is not None):
        schema = f"{key.removesuffix('_config')}.schema.yaml"
        if not (SCHEMA_DIR / schema).is_file():
            raise ConfigError(f"{key}: no schema workflow/schemas/{schema} to validate {config[key]} against")
        files.append(ConfigFile(key, str(config[key]), schema))
    for survey, cfg in sorted(config["surveys"].items()):
        files.append(ConfigFile(f"surveys.{survey}.codebook", cfg["codebook"], "codebook.schema.yaml"))
    for survey, path in sorted((config.get("simulation") or {}).items()):
        files.append(ConfigFile(f"simulation.{survey}", path, "simulation.schema.yaml"))
        items = items_spec_path(path)
        if Path(items).exists():
            files.append(
                ConfigFile(f"simulation.{survey} (items spec)", items, "simulation_items.schema.yaml")
            )
    seen = {f.path for f in files}
    for wave, block in sorted((config.get("waves") or {}).items()):
        for survey, cfg in sorted(block["surveys"].items()):
            if cfg["codebook"] not in seen:
                seen.add(cfg["codebook"])
                files.append(
                    ConfigFile(
                        f"waves.{wave}.surveys.{survey}.codebook", cfg["codebook"], "codebook.schema.yaml"
                    )
                )
        for survey, path in sorted((block.get("simulation") or {}).items()):
            files.append(ConfigFile(f"waves.{wave}.simulation.{survey}", path, "simulation_wave.schema.yaml"))
    return files


def _check_scoring(data: Any, source: str) -> None:
    from .scoring.rules import validate_rules

    validate_rules(data, source)


def _check_codebook(data: Any, source: str) -> None:
    from .codebook import parse_codebook

    if not isinstance(data, dict):
        raise ConfigError(f"codebook {source} is not a mapping")
    parse_codebook(data, source)


CHECKS: dict[str, Callable[[Any, str], None]] = {
    "scoring.schema.yaml": _check_scoring,
    "codebook.schema.yaml": _check_codebook,
}


def validate_file(entry: ConfigFile) -> None:
    """Parse one referenced file and run its checks; ``ConfigError`` names the file and key path."""
    path = Path(entry.path)
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{entry.key}: cannot read {path}: {exc}") from exc
    except YAMLError as exc:
        raise ConfigError(f"{entry.key}: {path} is not valid YAML: {exc}") from exc
    check = CHECKS.get(entry.schema)
    if check is not None:
        check(data, str(path))
    else:
        validate_against(data, entry.schema, str(path))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fingerprint(entry: ConfigFile, code: str) -> str:
    return f"{_sha256(Path(entry.path))}:{_sha256(SCHEMA_DIR / entry.schema)}:{code}"


def validate_config_files(config: Mapping[str, Any], cache: str | Path | None = None) -> list[ConfigFile]:
    """Validate every file the main config references (:func:`referenced_files`); return them.

    Raises ``ConfigError`` for the first invalid file, naming the config key that points to it,
    the file and, per problem, the dotted key path inside it. With ``cache`` (a JSON file), files
    whose content, schema and checking code are unchanged since they last passed are skipped.
    """
    files = referenced_files(config)
    here = Path(__file__).resolve().parent
    code = hashlib.sha256(b"".join((here / name).read_bytes() for name in CHECK_CODE)).hexdigest()
    cache_path = Path(cache) if cache is not None else None
    known = read_cache(cache_path)
    passed = dict(known)
    for entry in files:
        if not Path(entry.path).is_file():
            raise ConfigError(f"{entry.key}: file {entry.path} does not exist")
        fingerprint = _fingerprint(entry, code)
        if known.get(str(Path(entry.path).resolve())) == fingerprint:
            continue
        try:
            validate_file(entry)
        except ConfigError as exc:
            raise ConfigError(f"{entry.key} -> {exc}") from None
        passed[str(Path(entry.path).resolve())] = fingerprint
    if cache_path is not None and passed != known:
        write_cache(cache_path, passed)
    return files
