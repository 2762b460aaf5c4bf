"""SHA-256 of every file of a results tree, for the byte-identity check of the outputs.

``tests/fixtures/results.sha256`` holds the hashes of ``results/`` built from the embedded
(synthetic) data, in the format of ``sha256sum`` (``<hex>  <path>``, sorted by path). The test
``tests/test_results_hashes.py`` rebuilds and compares; the list is updated only on purpose,
after a change that is meant to change outputs:

    make report && .venv/bin/python -m mhsurvey.hashes results > tests/fixtures/results.sha256

Excluded (``EXCLUDE``): the provenance manifest, which records the git commit and so changes
with every commit by design (its own byte-identity on a rebuild is tested in
``tests/test_provenance.py``).
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Mapping
from pathlib import Path

#: Files under the tree that are left out (paths relative to the tree's parent, posix).
EXCLUDE = frozenset({"results/manifest.json"})


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tree_hashes(tree: str | Path, exclude: frozenset[str] = EXCLUDE) -> dict[str, str]:
    """``{"<tree name>/<relative path>": sha256}`` for every regular file under ``tree``, sorted.

    Paths start with the tree's own name (``results/current/...``) whatever directory it lies in,
    so a tree built in a scratch directory compares with the repository's list.
    """
    tree = Path(tree)
    out = {}
    for p in sorted(tree.rglob("*")):
        if p.is_file():
            rel = f"{tree.name}/{p.relative_to(tree).as_posix()}"
            if rel not in exclude:
                out[rel] = file_sha256(p)
    return out


def format_hashes(hashes: Mapping[str, str]) -> str:
    """``sha256sum`` format: one ``<hex>  <path>`` line per file, sorted by path."""
    return "".join(f"{h}  {p}\n" for p, h in sorted(hashes.items()))


def parse_hashes(text: str) -> dict[str, str]:
    """Inverse of :func:`format_hashes` (blank lines and ``#`` comments ignored)."""
    out = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            h, p = line.split("  ", 1)
            out[p] = h
    return out


def compare(expected: Mapping[str, str], actual: Mapping[str, str]) -> dict[str, list[str]]:
    """Files ``missing`` (expected, not built), ``extra`` (built, not expected) and ``changed``."""
    return {
        "missing": sorted(set(expected) - set(actual)),
        "extra": sorted(set(actual) - set(expected)),
        "changed": sorted(p for p in set(expected) & set(actual) if expected[p] != actual[p]),
    }


if __name__ == "__main__":  # python -m mhsurvey.hashes results
    sys.stdout.write(format_hashes(tree_hashes(sys.argv[1] if len(sys.argv) > 1 else "results")))
