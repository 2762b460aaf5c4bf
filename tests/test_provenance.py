"""Provenance manifest: hashes recomputed from the files, producing rules, byte-identical rebuild."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from mhsurvey.provenance import RuleOutputs, pattern_regex, producer, sha256_file


def test_pattern_regex_and_producer(tmp_path):
    rules = [
        RuleOutputs("clean", "workflow/scripts/clean.py", ("results/{survey}/01_clean/responses.csv",)),
        RuleOutputs("report_html", "workflow/scripts/report_html.py", ("reports/{edition}.html",)),
    ]
    assert pattern_regex("results/{survey}/01_clean/responses.csv").match(
        "results/former/01_clean/responses.csv"
    )
    assert not pattern_regex("results/{survey}/01_clean/responses.csv").match(
        "results/a/b/01_clean/responses.csv"
    )
    assert producer("reports/rapport.html", rules).rule == "report_html"
    assert producer("results/current/01_clean/responses.csv", rules).rule == "clean"
    assert producer("data/synthetic/current_export.csv", rules) is None
    figs = [RuleOutputs("figures", "workflow/scripts/figures.py", ("results/{survey}/{figdir}/**",))]
    assert producer("results/current/05_figures/safety.svg", figs).rule == "figures"
    assert producer("results/current/05_figures", figs) is None
    f = tmp_path / "x.bin"
    f.write_bytes(b"abc")
    assert (
        sha256_file(f) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )  # FIPS 180-2 example


def test_manifest_hashes_match_the_files(built):
    manifest = json.loads((built / "results" / "manifest.json").read_text(encoding="utf-8"))
    files = {f["path"]: f for f in manifest["files"]}
    assert {"input", "intermediate", "output"} == {f["kind"] for f in files.values()}
    for path, entry in files.items():
        assert hashlib.sha256((built / path).read_bytes()).hexdigest() == entry["sha256"], path
    assert files["results/current/04_estimates/estimates.csv"]["rule"] == "estimates"
    assert files["results/current/04_estimates/estimates.csv"]["script"] == "workflow/scripts/estimates.py"
    assert files["reports/rapport.pdf"]["rule"] == "report_pdf"
    assert files["results/former/05_figures/figures.csv"]["rule"] == "figures"
    assert files["config/config.yaml"]["kind"] == "input"
    assert manifest["config"]["surveys"]["current"]["export"] == "data/synthetic/current_export.csv"
    assert manifest["packages"]["snakemake"] and manifest["git"]["commit"]
    assert "results/manifest.json" not in files


def test_manifest_is_reproducible(built):
    path = built / "results" / "manifest.json"
    before = path.read_bytes()
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(
        [
            str(bin_dir / "snakemake"),
            "--cores",
            "1",
            "--quiet",
            "--forcerun",
            "manifest",
            "results/manifest.json",
        ],
        cwd=built,
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert path.read_bytes() == before


def test_snakemake_report_marks_the_main_outputs(built, tmp_path):
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    out = tmp_path / "snakemake_report.html"
    proc = subprocess.run(
        [str(bin_dir / "snakemake"), "--report", str(out)], cwd=built, capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text(encoding="utf-8", errors="replace")
    for name in ("rapport.pdf", "rapport.html", "manifest.json", "Rapport", "Provenance"):
        assert name in text, name
