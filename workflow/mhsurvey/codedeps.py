"""Rerun triggers derived from the code: the package modules and schemas a rule's script uses.

Snakemake reruns a rule when its script changes, but it cannot see the modules the script
imports. Every rule therefore lists them as its ``code`` input, and this module computes that list
instead of keeping it by hand (``workflow/rules/common.smk``: ``code=code_inputs("workflow/scripts/x.py")``).

Method (static, nothing is imported or executed): parse the script with :mod:`ast`, collect every
``import P.m`` / ``from P.m import n`` / relative ``from .m import n`` anywhere in the file (also
inside functions), keep those inside the first-party packages ``P`` (``mhsurvey``, ``mhsim``), and
repeat on each module found until nothing new turns up (the transitive closure). Importing
``P.a.b`` also runs ``P/__init__.py`` and ``P/a/__init__.py``, so those are part of the closure; a
name ``n`` in ``from P.a import n`` counts as a module when ``P/a/n.py`` (or ``P/a/n/__init__.py``)
exists. The JSON schemas a module validates against are found as string constants that name a file
in ``workflow/schemas`` (``"scoring.schema.yaml"``). Results are cached per process, and with a
``cache`` file (the workflow uses ``.snakemake/mhsurvey/codedeps.json``) across processes: the
file stores the lists together with a SHA-256 digest of every ``.py`` and schema file under
``workflow/``, and is used only while that digest is unchanged (any edit, added or removed module
invalidates it), so a no-op ``snakemake`` call reads a few dozen files instead of parsing them.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

PACKAGES = ("mhsurvey", "mhsim")
SCHEMA_NAME = re.compile(r"^[\w.-]+\.schema\.(?:ya?ml|json)$")


def _module_file(src_root: Path, dotted: str) -> Path | None:
    """File of module ``dotted`` under ``src_root`` (``a/b.py`` or ``a/b/__init__.py``), if any."""
    base = src_root.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _with_parents(dotted: str) -> list[str]:
    """``a.b.c`` -> ``[a, a.b, a.b.c]`` (importing a submodule runs every parent ``__init__``)."""
    parts = dotted.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def _module_name(path: Path, src_root: Path) -> str | None:
    """Dotted name of a file under ``src_root`` (``None`` for a script outside the packages)."""
    try:
        rel = path.resolve().relative_to(src_root.resolve())
    except ValueError:
        return None
    parts = list(rel.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) if parts else None


def _statements(body: Iterable[ast.AST]) -> Iterable[ast.AST]:
    """Every statement of a block and of the blocks nested in it (functions, classes, if/try/with...).

    Imports are statements, so expressions need not be visited (much cheaper than ``ast.walk``).
    """
    for node in body:
        yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            sub = getattr(node, field, None)
            if isinstance(sub, list):
                yield from _statements(sub)


def imported_names(tree: ast.AST, module: str | None, is_package: bool) -> set[str]:
    """Dotted names of all modules an AST imports (absolute, relative resolved), with their parents.

    ``module`` is the dotted name of the parsed file (``None`` for a top-level script, which cannot
    use relative imports); ``is_package`` tells whether it is a package ``__init__``. For
    ``from X import n`` both ``X`` and ``X.n`` are returned (``X.n`` may be a module or just a name;
    the caller keeps it only if a file exists).
    """
    names: set[str] = set()
    for node in _statements(getattr(tree, "body", [tree])):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names.update(_with_parents(alias.name))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if module is None:
                    continue
                package = module.split(".") if is_package else module.split(".")[:-1]
                if node.level - 1 > len(package):
                    continue
                base_parts = package[: len(package) - (node.level - 1)]
                if node.module:
                    base_parts = base_parts + node.module.split(".")
                base = ".".join(base_parts)
            else:
                base = node.module or ""
            if not base:
                continue
            names.update(_with_parents(base))
            names.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return names


def schema_names(tree: ast.AST) -> set[str]:
    """String constants of an AST that are schema file names (``"x.schema.yaml"``)."""
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SCHEMA_NAME.match(node.value)
    }


@cache
def _parse(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@cache
def _imports_of(path: Path, src_root: Path) -> frozenset[str]:
    module = _module_name(path, src_root)
    return frozenset(imported_names(_parse(path), module, path.name == "__init__.py"))


@cache
def _schemas_of(path: Path) -> frozenset[str]:
    if ".schema." not in path.read_text(encoding="utf-8"):  # most modules name no schema
        return frozenset()
    return frozenset(schema_names(_parse(path)))


@cache
def import_closure(script: Path, src_root: Path, packages: tuple[str, ...] = PACKAGES) -> tuple[Path, ...]:
    """Files of every first-party module ``script`` imports, directly or transitively (sorted).

    ``src_root`` is the directory holding the packages (``workflow``); only modules whose top-level
    name is in ``packages`` are followed. The script itself is not part of the result.
    """
    script, src_root = Path(script).resolve(), Path(src_root).resolve()
    seen: dict[str, Path] = {}
    todo = [script]
    while todo:
        path = todo.pop()
        if path == script:
            names = imported_names(_parse(path), None, False)
        else:
            names = _imports_of(path, src_root)
        for name in names:
            if name in seen or name.split(".")[0] not in packages:
                continue
            found = _module_file(src_root, name)
            if found is not None:
                seen[name] = found
                todo.append(found)
    return tuple(sorted(set(seen.values())))


def _relative(path: Path, root: Path) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix()


def closure_schemas(files: Iterable[Path], schema_dir: Path) -> tuple[Path, ...]:
    """Schema files (under ``schema_dir``) named by string constants in ``files`` (sorted)."""
    found = set()
    for path in files:
        for name in _schemas_of(Path(path).resolve()):
            candidate = Path(schema_dir) / name
            if candidate.is_file():
                found.add(candidate.resolve())
    return tuple(sorted(found))


def code_inputs(
    script: str,
    repo_root: str | Path = ".",
    packages: tuple[str, ...] = PACKAGES,
    cache: str | Path | None = None,
) -> list[str]:
    """The ``code`` input of a rule: repo-relative paths of the modules and schemas its script uses.

    ``script`` is repo-relative (``"workflow/scripts/estimates.py"``); the packages live in
    ``<repo_root>/workflow`` and the schemas in ``<repo_root>/workflow/schemas``. Returns the sorted
    import closure (:func:`import_closure`) followed by the sorted schemas named in it and in the
    script (:func:`closure_schemas`). With ``cache`` (a JSON file), a result computed by an earlier
    process for the same source tree (:func:`source_digest`) is reused.
    """
    root = Path(repo_root).resolve()
    if cache is None:
        return list(_code_inputs(str(script), root, tuple(packages)))
    key = f"{script}|{','.join(packages)}"
    store = _load_store(Path(cache), source_digest(root))
    if key not in store:
        store[key] = list(_code_inputs(str(script), root, tuple(packages)))
        _save_store(Path(cache), source_digest(root), store)
    return list(store[key])


@cache
def source_digest(root: Path) -> str:
    """SHA-256 over the paths and bytes of every ``.py`` and schema file under ``<root>/workflow``."""
    h = hashlib.sha256()
    base = root / "workflow"
    files = sorted(
        p for p in base.rglob("*") if p.suffix in (".py", ".yaml", ".yml", ".json") and p.is_file()
    )
    for p in files:
        if "__pycache__" in p.parts:
            continue
        h.update(p.relative_to(base).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


_STORES: dict[Path, dict[str, list[str]]] = {}


def _load_store(path: Path, digest: str) -> dict[str, list[str]]:
    """The cached lists of ``path`` if they were computed for ``digest`` (else an empty store)."""
    if path not in _STORES:
        data: dict = {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
        ok = isinstance(data, dict) and data.get("digest") == digest and isinstance(data.get("inputs"), dict)
        _STORES[path] = dict(data["inputs"]) if ok else {}
    return _STORES[path]


def _save_store(path: Path, digest: str, store: dict[str, list[str]]) -> None:
    """Write the store atomically (a failed write only costs a re-parse next time)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"digest": digest, "inputs": store}, sort_keys=True), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass


@cache
def _code_inputs(script: str, root: Path, packages: tuple[str, ...]) -> tuple[str, ...]:
    path = root / script
    if not path.is_file():
        raise FileNotFoundError(f"code_inputs: no script {path}")
    modules = import_closure(path, root / "workflow", tuple(packages))
    schemas = closure_schemas((path, *modules), root / "workflow" / "schemas")
    return tuple(_relative(p, root) for p in (*modules, *schemas))
