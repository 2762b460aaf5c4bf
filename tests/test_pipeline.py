"""End to end: the default build on the embedded synthetic exports, in a scratch work directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LINKED = ("Snakefile", "workflow", "config", "data")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """Run the default target once in a directory that links the repo's inputs."""
    if not (REPO / "data" / "synthetic" / "current_export.csv").exists():
        pytest.skip("synthetic exports not generated")
    work = tmp_path_factory.mktemp("pipeline")
    for name in LINKED:
        (work / name).symlink_to(REPO / name)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run([str(BIN / "snakemake"), "--cores", "2", "--quiet", "all"], cwd=work,
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-5000:]
    return work


@pytest.mark.parametrize("survey, kept", [("current", 1726), ("former", 323)])
def test_cleaning_keeps_the_report_samples(built, survey, kept):
    summary = json.loads((built / "results" / survey / "01_clean" / "cleaning_summary.json").read_text())
    assert summary["kept"] == kept
    assert summary["raw_rows"] == summary["kept"] + summary["excluded"]
    excl = pd.read_csv(built / "results" / survey / "01_clean" / "exclusions.csv")
    assert len(excl) == summary["excluded"]
    assert sorted(excl["rule"].value_counts().items()) == sorted(summary["excluded_by_rule"].items())
    responses = pd.read_csv(built / "results" / survey / "01_clean" / "responses.csv")
    assert len(responses) == kept and responses["rid"].is_unique
    if survey == "current":
        assert summary["excluded_by_rule"].get("target_group") == 20


def test_no_identifiers_or_free_text_in_results(built):
    for path in (built / "results").rglob("*.csv"):
        if "restricted" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        assert "@example.invalid" not in text, path
        assert "respondent_id" not in text.split("\n", 1)[0], path


def test_every_rule_logged_and_benchmarked(built):
    for survey in ("current", "former"):
        for rule in ("clean", "score", "reliability", "estimates"):
            assert (built / "logs" / survey / f"{rule}.log").exists(), (survey, rule)
            assert (built / "logs" / "benchmarks" / survey / f"{rule}.tsv").exists(), (survey, rule)


@pytest.mark.parametrize("survey, exposed, followed_up", [("current", 1206, 783), ("former", 198, 107)])
def test_routed_bases_match_the_report(built, survey, exposed, followed_up):
    est = pd.read_csv(built / "results" / survey / "04_estimates" / "estimates.csv")
    bases = est.groupby("variable")["base_n"].first()
    assert bases["followup"] == exposed  # exposed to threats or violence (Figur 12 / 45)
    assert bases["followup_satisfaction"] == followed_up  # followed up (Figur 13 / 46)


@pytest.mark.parametrize("survey", ["current", "former"])
def test_scores_reliability_and_tests_present(built, survey):
    rel = pd.read_csv(built / "results" / survey / "03_reliability" / "reliability.csv")
    published_alpha = {"dass_stress": 0.83, "sss8": 0.83, "cfq": 0.84, "gad7": 0.90, "phq9": 0.89, "wsas": 0.92}
    alphas = rel.set_index("scale")["alpha"]
    for scale, alpha in published_alpha.items():
        assert abs(alphas[scale] - alpha) <= 0.02, (scale, alphas[scale])
    assert {"itq_ptsd", "itq_dso"} <= set(alphas.index)
    sens = pd.read_csv(built / "results" / survey / "02_scores" / "sensitivity.csv")
    assert len(sens) > 20
    tests = pd.read_csv(built / "results" / survey / "04_estimates" / "subgroup_tests.csv", low_memory=False)
    assert len(tests) > 1000


@pytest.mark.parametrize("survey", ["current", "former"])
def test_embedded_data_is_marked_synthetic(built, survey):
    summary = json.loads((built / "results" / survey / "01_clean" / "cleaning_summary.json").read_text())
    assert summary["data"]["synthetic"] is True
    assert summary["data"]["label_no"] == "Syntetiske data"
    assert summary["data"]["checksum_matches"] is True
