"""Derived rerun triggers (mhsurvey.codedeps) and the boundary between analysis and generator.

The ``code`` input of every rule is computed from its script's imports; these tests check that
the computed list is the import closure Python really loads (resolved by the interpreter in a
subprocess, function-level imports included), that the schemas the rule validates against are in
it, and that no analysis module or script reaches the synthetic-data generator ``mhsim``.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mhsurvey.codedeps import code_inputs, import_closure, imported_names

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "workflow"
SCRIPTS = sorted(p.relative_to(REPO).as_posix() for p in (SRC / "scripts").glob("*.py"))
ANALYSIS_SCRIPTS = [
    "workflow/scripts/clean.py",
    "workflow/scripts/score.py",
    "workflow/scripts/reliability.py",
    "workflow/scripts/estimates.py",
]

# Run in a fresh interpreter: execute the script's import statements, then, until nothing new is
# loaded, every import statement (module level or inside functions) of every first-party module
# loaded so far, in that module's namespace; print the files of all loaded first-party modules.
REFERENCE = textwrap.dedent(r"""
    import ast, json, sys
    from pathlib import Path

    script, packages = Path(sys.argv[1]), tuple(sys.argv[2].split(","))

    def run_imports(path, namespace):
        for node in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                exec(compile(ast.Module([node], []), str(path), "exec"), dict(namespace))

    def first_party():
        return [m for m in list(sys.modules) if m.split(".")[0] in packages]

    run_imports(script, {"__name__": "__snakemake_script__"})
    done = set()
    while todo := [m for m in first_party() if m not in done]:
        for name in todo:
            done.add(name)
            run_imports(sys.modules[name].__file__, vars(sys.modules[name]))
    print(json.dumps(sorted(str(Path(sys.modules[m].__file__).resolve()) for m in first_party())))
""")


def python_closure(script: str) -> list[str]:
    """Repo-relative files of the first-party modules the interpreter loads for ``script``."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.run(
        [sys.executable, "-c", REFERENCE, str(REPO / script), "mhsurvey,mhsim"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    return sorted(Path(p).relative_to(REPO).as_posix() for p in json.loads(proc.stdout))


@pytest.mark.parametrize("script", SCRIPTS)
def test_code_inputs_are_the_real_import_closure(script):
    computed = code_inputs(script, REPO)
    modules = [p for p in computed if p.endswith(".py")]
    assert modules == python_closure(script)
    assert modules == sorted(modules) and len(set(computed)) == len(computed)
    assert all(p.startswith("workflow/schemas/") for p in computed if not p.endswith(".py"))


@pytest.mark.parametrize(
    "script, schemas",
    [
        ("workflow/scripts/clean.py", {"codebook"}),
        ("workflow/scripts/score.py", {"codebook", "config", "scoring"}),
        ("workflow/scripts/reliability.py", {"codebook", "config", "scoring"}),
        ("workflow/scripts/estimates.py", {"codebook", "config", "estimates"}),
        ("workflow/scripts/simulate.py", {"codebook", "config", "scoring", "simulation", "simulation_items"}),
    ],
)
def test_code_inputs_list_the_schemas_validated_against(script, schemas):
    found = {Path(p).name.removesuffix(".schema.yaml") for p in code_inputs(script, REPO) if "/schemas/" in p}
    assert schemas <= found
    assert found <= {p.name.removesuffix(".schema.yaml") for p in (SRC / "schemas").glob("*.schema.yaml")}


def test_known_closures():
    """Hand-checked facts: stage 04 uses rounding (via margins) but no longer cleaning; the scoring
    stage sees every scoring module; cleaning reaches io and dictionary through function-level imports."""
    est = code_inputs("workflow/scripts/estimates.py", REPO)
    assert "workflow/mhsurvey/rounding.py" in est and "workflow/mhsurvey/routing.py" in est
    assert "workflow/mhsurvey/clean.py" not in est
    score = code_inputs("workflow/scripts/score.py", REPO)
    assert {
        f"workflow/mhsurvey/scoring/{m}.py"
        for m in ("__init__", "derived", "instruments", "items", "logic", "rules", "tables")
    } <= set(score)
    clean = code_inputs("workflow/scripts/clean.py", REPO)
    assert {
        "workflow/mhsurvey/io.py",
        "workflow/mhsurvey/dictionary.py",
        "workflow/mhsurvey/__init__.py",
    } <= set(clean)


def test_relative_and_function_level_imports(tmp_path):
    pkg = tmp_path / "src" / "mhsurvey"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from .b import g\n    return g\n")
    (pkg / "b.py").write_text("from .sub import c\nimport json\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "c.py").write_text("from ..d import VALUE\n")
    (pkg / "d.py").write_text("VALUE = 'x.schema.yaml'\n")
    (pkg / "unused.py").write_text("")
    script = tmp_path / "script.py"
    script.write_text("import os\nfrom mhsurvey import a\n")
    names = [p.relative_to(tmp_path / "src").as_posix() for p in import_closure(script, tmp_path / "src")]
    assert names == [
        "mhsurvey/__init__.py",
        "mhsurvey/a.py",
        "mhsurvey/b.py",
        "mhsurvey/d.py",
        "mhsurvey/sub/__init__.py",
        "mhsurvey/sub/c.py",
    ]


def test_imported_names_resolves_relative_levels():
    tree = ast.parse("from . import x\nfrom ..y import z\nfrom .w import *\nimport mhsurvey.scoring.rules")
    assert imported_names(tree, "mhsurvey.sub.mod", False) == {
        "mhsurvey",
        "mhsurvey.sub",
        "mhsurvey.sub.x",
        "mhsurvey.y",
        "mhsurvey.y.z",
        "mhsurvey.sub.w",
        "mhsurvey.scoring",
        "mhsurvey.scoring.rules",
    }
    assert imported_names(ast.parse("from .x import y"), None, False) == set()


@pytest.mark.parametrize("script", ANALYSIS_SCRIPTS)
def test_analysis_never_imports_the_generator(script):
    assert not [p for p in code_inputs(script, REPO) if p.startswith("workflow/mhsim/")]


def test_mhsurvey_modules_never_import_mhsim():
    offenders = []
    for path in sorted((SRC / "mhsurvey").rglob("*.py")):
        module = ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        names = imported_names(
            ast.parse(path.read_text(encoding="utf-8")), module, path.name == "__init__.py"
        )
        offenders += [(path.name, n) for n in names if n.split(".")[0] == "mhsim"]
    assert offenders == []
