"""Provenance manifest (``results/manifest.json``): what went in, what came out, and how.

For every input, intermediate and output file: its SHA-256, its kind, and - for files a rule
writes - the rule and script that produced it. Plus a snapshot of the resolved config, the
versions of the installed packages pinned in ``requirements.lock``, and the git commit. No
timestamps and sorted keys, so the same inputs give a byte-identical manifest.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

MANIFEST_VERSION = 1
DIRECTORY_SUFFIX = "/**"  # appended to the pattern of a directory output


@dataclass(frozen=True)
class RuleOutputs:
    """A rule, its script and its output patterns (Snakemake wildcards in braces)."""

    rule: str
    script: str
    patterns: tuple[str, ...]


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes (FIPS 180-4), read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """Regex of a Snakemake output pattern: ``{name}`` (or ``{name,regex}``) matches one path segment;
    a trailing ``/**`` (a directory output) matches every file below it."""
    below = pattern.endswith(DIRECTORY_SUFFIX)
    pattern = pattern[:-3] if below else pattern
    out, pos = [], 0
    for m in re.finditer(r"\{([A-Za-z_]\w*)(?:,[^}]*)?\}", pattern):
        out.append(re.escape(pattern[pos : m.start()]))
        out.append(r"[^/]+")
        pos = m.end()
    out.append(re.escape(pattern[pos:]))
    return re.compile("^" + "".join(out) + ("/.+" if below else "") + "$")


def producer(path: str, rules: Sequence[RuleOutputs]) -> RuleOutputs | None:
    """The rule whose output pattern matches ``path``: a file pattern before a directory pattern,
    then the longest (most specific) pattern."""
    hits = [
        (not p.endswith(DIRECTORY_SUFFIX), len(p), r)
        for r in rules
        for p in r.patterns
        if pattern_regex(p).match(path)
    ]
    return max(hits, key=lambda h: (h[0], h[1]))[2] if hits else None


def package_versions(lock_file: str | Path) -> dict[str, str]:
    """Installed versions of the packages pinned in ``lock_file`` (``name==version`` lines)."""
    versions = {}
    for line in Path(lock_file).read_text(encoding="utf-8").splitlines():
        name = line.split("==")[0].strip()
        if not name or name.startswith("#"):
            continue
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_state(repo: str | Path) -> dict[str, Any]:
    """``{"commit": <HEAD sha or "unknown">, "dirty": <tracked files modified?>}`` of ``repo``."""

    def run(*args: str) -> str | None:
        try:
            return subprocess.run(
                ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, timeout=30
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None

    commit = run("rev-parse", "HEAD")
    status = run("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit or "unknown", "dirty": bool(status) if status is not None else None}


def produced_files(folders: Sequence[str], exclude: Sequence[str] = (), root: Path = Path(".")) -> list[str]:
    """Every file under ``folders`` (repository-relative, sorted), except the paths or folders in
    ``exclude`` and hidden temporary files."""
    skip = [e.rstrip("/") for e in exclude]
    out = []
    for folder in folders:
        for p in sorted((root / folder).rglob("*")):
            rel = p.relative_to(root).as_posix()
            if (
                not p.is_file()
                or p.name.startswith(".")
                or any(rel == s or rel.startswith(s + "/") for s in skip)
            ):
                continue
            out.append(rel)
    return out


def file_entries(
    files: Iterable[tuple[str, str]], rules: Sequence[RuleOutputs], root: Path
) -> list[dict[str, Any]]:
    """One entry per ``(path, kind)``: path, kind, bytes, sha256, and rule/script if a rule made it."""
    entries = []
    for path, kind in sorted(set(files)):
        p = root / path
        entry: dict[str, Any] = {
            "path": path,
            "kind": kind,
            "bytes": p.stat().st_size,
            "sha256": sha256_file(p),
        }
        made_by = producer(path, rules)
        if made_by is not None:
            entry["rule"] = made_by.rule
            entry["script"] = made_by.script
        entries.append(entry)
    return entries


def build_manifest(
    inputs: Iterable[str],
    produced: Iterable[str],
    rules: Sequence[RuleOutputs],
    config: Mapping[str, Any],
    versions: Mapping[str, str],
    git: Mapping[str, Any],
    root: Path = Path("."),
) -> dict[str, Any]:
    """The manifest: files (``input`` for what no rule writes, ``intermediate`` under results/,
    ``output`` elsewhere), the resolved config, package versions and the git state."""
    files = [(p, "input") for p in inputs]
    for p in produced:
        files.append((p, "intermediate" if p.startswith("results/") else "output"))
    return {
        "manifest_version": MANIFEST_VERSION,
        "git": dict(git),
        "config": dict(config),
        "packages": dict(sorted(versions.items())),
        "rules": [{"rule": r.rule, "script": r.script, "outputs": list(r.patterns)} for r in rules],
        "files": file_entries(files, rules, root),
    }
