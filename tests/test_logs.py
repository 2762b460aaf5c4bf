"""Workflow scripts: bad input ends in one logged line and exit status 2, a bug in a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys
from mhsurvey.errors import InputDataError
from mhsurvey.logs import setup_logging
log = setup_logging(log_path=sys.argv[1])
if sys.argv[2] == "input":
    raise InputDataError("not a code", file="export.csv", row=7, column="q3", value="x")
raise RuntimeError("a bug")
"""


def run(tmp_path: Path, kind: str) -> tuple[subprocess.CompletedProcess, str]:
    log = tmp_path / f"{kind}.log"
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(log), kind], capture_output=True, text=True, check=False
    )
    return proc, log.read_text(encoding="utf-8")


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    proc, log = run(tmp_path, "input")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "Traceback" not in log
    lines = log.strip().splitlines()
    assert len(lines) == 1
    for part in ("export.csv", "7", "q3", "x", "not a code"):
        assert part in lines[0]


def test_a_bug_keeps_its_traceback(tmp_path):
    proc, log = run(tmp_path, "bug")
    assert proc.returncode == 1
    assert "Traceback" in log and "RuntimeError: a bug" in log
