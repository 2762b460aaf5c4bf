"""Values the workflow derives from config files at every start-up, remembered between runs.

Snakemake parses the workflow on every call, a no-op included. Two values it needs are derived
from files that rarely change: the report editions (``config/report.yaml``, schema-checked) and the
units of ``config.yaml`` ``units`` (from the codebooks, schema-checked and cross-checked). Reading
and checking those files again costs about 0.1 s of a no-op that should be as fast as Snakemake's
own start-up, so :func:`remembered` keeps each value in a small JSON file
(``.snakemake/mhsurvey/startup.json`` from the workflow) under a fingerprint:

    fingerprint = SHA-256( name, canonical JSON of ``key``, SHA-256 of each file read,
                           SHA-256 of each file of the code that derives the value )

A value is reused only while its fingerprint is unchanged, so an edit of any file read, of the
deriving code, or of the config part passed as ``key`` derives it afresh (and re-raises its
error). A missing, unreadable or read-only cache only costs the speed-up. A leaf module: it
imports nothing of the package.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any


def canonical(value: Any) -> str:
    """``value`` as canonical JSON: mapping keys sorted, a key that is not a string written with
    its type (``1`` -> ``"<int>1"``, so it differs from the key ``"1"``); tuples as lists; any
    other non-JSON value (a date, a path) by ``str``. Equal plain data give equal text."""

    def name(k: Any) -> str:
        return k if isinstance(k, str) else f"<{type(k).__name__}>{k}"

    def plain(v: Any) -> Any:
        if isinstance(v, dict):
            return {name(k): plain(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        return v

    return json.dumps(plain(value), sort_keys=True, ensure_ascii=True, default=str)


def fingerprint(name: str, key: Any, files: Sequence[str | Path], code: Sequence[str | Path]) -> str:
    """SHA-256 (hex) of ``name``, ``key`` (:func:`canonical` JSON) and the contents of ``files`` and
    ``code``, each file's hash prefixed by its role and path (so moving a file changes it too).

    A file that does not exist hashes as the marker ``missing`` rather than raising: the deriving
    function, run because the fingerprint then differs from any stored one, reports it.
    """
    h = hashlib.sha256()
    h.update(name.encode("utf-8") + b"\0")
    h.update(canonical(key).encode("ascii") + b"\0")
    for role, paths in (("file", files), ("code", code)):
        for path in paths:
            p = Path(path)
            digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "missing"
            h.update(f"{role}:{p}:{digest}\0".encode())
    return h.hexdigest()


def read_cache(path: Path | None) -> dict[str, Any]:
    """The JSON object stored at ``path``; ``{}`` when there is none or it is not readable JSON
    (a cache is only ever a speed-up)."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_cache(path: Path, data: Mapping[str, Any]) -> None:
    """Store ``data`` (keys sorted, values as given) at ``path`` atomically: a concurrent reader
    sees the old or the new file. A read-only work directory only costs the speed-up."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(dict(sorted(data.items())), fh, indent=1, ensure_ascii=False)
        os.replace(tmp, path)
    except OSError:
        pass


def remembered(
    cache: str | Path | None,
    name: str,
    compute: Callable[[], Any],
    *,
    key: Any = None,
    files: Sequence[str | Path] = (),
    code: Sequence[str | Path] = (),
) -> Any:
    """``compute()`` (a JSON-serialisable value), or the value stored under ``name`` in ``cache``
    when it was stored under the same :func:`fingerprint` of ``key``, ``files`` and ``code``.

    Without ``cache`` this is ``compute()``. The stored value is what ``compute`` returned, passed
    through JSON (tuples come back as lists), so callers rebuild their objects from plain data
    either way.
    """
    if cache is None:
        return compute()
    path = Path(cache)
    mark = fingerprint(name, key, files, code)
    stored = read_cache(path)
    entry = stored.get(name)
    if isinstance(entry, dict) and entry.get("fingerprint") == mark and "value" in entry:
        return entry["value"]
    value = json.loads(json.dumps(compute()))  # the same plain data as a later cached read
    stored[name] = {"fingerprint": mark, "value": value}
    write_cache(path, stored)
    return value
