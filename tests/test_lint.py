"""The code base is lint-clean: ruff on all Python, snakemake --lint on the workflow."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_ruff_clean():
    proc = subprocess.run([str(BIN / "ruff"), "check", "."], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format_applied():
    """`ruff format` has been applied (and stays applied): no file would be reformatted."""
    proc = subprocess.run(
        [str(BIN / "ruff"), "format", "--check", "."], cwd=REPO, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_snakemake_lint_clean():
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(
        [str(BIN / "snakemake"), "--lint"], cwd=REPO, capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Lints for" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def test_generator_workflow_lint_clean_and_separate():
    """The generator's own Snakefile is lint-clean; the analysis Snakefile has no simulate rule."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    sim = ["-s", "workflow/simulate.smk"]
    proc = subprocess.run(
        [str(BIN / "snakemake"), *sim, "--lint"], cwd=REPO, capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0 and "Lints for" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    main = subprocess.run(
        [str(BIN / "snakemake"), "--list-rules"], cwd=REPO, capture_output=True, text=True, env=env
    )
    generator = subprocess.run(
        [str(BIN / "snakemake"), *sim, "--list-rules"], cwd=REPO, capture_output=True, text=True, env=env
    )
    assert main.returncode == 0 and generator.returncode == 0, main.stderr + generator.stderr
    main_rules, generator_rules = set(main.stdout.split()), set(generator.stdout.split())
    assert {"clean", "score", "reliability", "estimates", "all"} <= main_rules
    assert not {r for r in main_rules if r.startswith("simulate")}
    assert generator_rules == {
        "simulate_calibrate",
        "simulate",
        "simulate_marker",
        "simulate_wave",
        "simulate_wave_marker",
        "simulate_all",
    }
