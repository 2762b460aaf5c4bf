"""End to end: the default build on the embedded synthetic exports, in a scratch work directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from mhsurvey.codedeps import code_inputs
from mhsurvey.rounding import round_half_up

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LINKED = ("Snakefile", "workflow", "config", "data")


# `built` (the default target in a scratch directory) is the session fixture of tests/conftest.py.


EXCLUDED = {
    "current": {"target_group": 20, "incomplete": 9, "duplicate": 6},
    "former": {"incomplete": 4, "duplicate": 2},
}
# Rows of every table of the default build (the embedded synthetic exports are fixed).
ROWS = {
    "current": {
        "01_clean/responses.csv": 1726,
        "01_clean/exclusions.csv": 35,
        "01_clean/flags.csv": 8,
        "01_clean/restricted/comments.csv": 2038,
        "02_scores/scores.csv": 1726,
        "02_scores/sensitivity.csv": 78,
        "02_scores/levels.csv": 33,
        "03_reliability/reliability.csv": 9,
        "03_reliability/item_statistics.csv": 70,
        "04_estimates/estimates.csv": 794,
        "04_estimates/subgroup_tests.csv": 38015,
        "04_estimates/margins_table.csv": 440,
    },
    "former": {
        "01_clean/responses.csv": 323,
        "01_clean/exclusions.csv": 6,
        "01_clean/flags.csv": 3,
        "01_clean/restricted/comments.csv": 370,
        "02_scores/scores.csv": 323,
        "02_scores/sensitivity.csv": 78,
        "02_scores/levels.csv": 33,
        "03_reliability/reliability.csv": 9,
        "03_reliability/item_statistics.csv": 70,
        "04_estimates/estimates.csv": 797,
        "04_estimates/subgroup_tests.csv": 38159,
        "04_estimates/margins_table.csv": 440,
    },
}


@pytest.mark.parametrize("survey, kept", [("current", 1726), ("former", 323)])
def test_cleaning_keeps_the_report_samples(built, survey, kept):
    summary = json.loads((built / "results" / survey / "01_clean" / "cleaning_summary.json").read_text())
    assert summary["kept"] == kept
    assert summary["excluded_by_rule"] == EXCLUDED[survey]
    assert summary["excluded"] == sum(EXCLUDED[survey].values())
    assert summary["raw_rows"] == kept + summary["excluded"] and summary["reconciles"] is True
    excl = pd.read_csv(built / "results" / survey / "01_clean" / "exclusions.csv")
    assert dict(excl["rule"].value_counts()) == EXCLUDED[survey]
    responses = pd.read_csv(built / "results" / survey / "01_clean" / "responses.csv")
    assert len(responses) == kept and responses["rid"].is_unique
    assert excl["raw_row"].is_unique and excl["raw_row"].between(1, summary["raw_rows"]).all()
    flags = pd.read_csv(built / "results" / survey / "01_clean" / "flags.csv")
    assert dict(flags["issue"].value_counts()) == summary["flags_by_issue"]


@pytest.mark.parametrize("survey", ["current", "former"])
def test_row_counts_of_every_table(built, survey):
    got = {
        name: len(pd.read_csv(built / "results" / survey / name, low_memory=False)) for name in ROWS[survey]
    }
    assert got == ROWS[survey]
    written = {
        p.relative_to(built / "results" / survey).as_posix()
        for stage in ("01_clean", "02_scores", "03_reliability", "04_estimates")
        for p in (built / "results" / survey / stage).rglob("*.csv")
        if not p.name.endswith(".dictionary.csv")
    }
    assert written == set(ROWS[survey])  # every table of stages 01-04 is counted


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


PUBLISHED_ALPHA = {"dass_stress": 0.83, "sss8": 0.83, "cfq": 0.84, "gad7": 0.90, "phq9": 0.89, "wsas": 0.92}
# Headline prevalences (%) printed in the report (chapter 3 and Vedlegg 2), by classification and level.
PUBLISHED_PREVALENCE = {
    "current": {
        ("sss8", "case"): 36,
        ("cfq", "case"): 56,
        ("gad7", "case"): 19,
        ("phq9", "case"): 12,
        ("itq_ptsd", "case"): 9,
        ("itq_cptsd", "case"): 12,
    },
    "former": {
        ("dass_stress_band", "normal"): 75,
        ("dass_stress_band", "mild"): 11,
        ("dass_stress_band", "moderate"): 10,
        ("dass_stress_band", "severe"): 3,
        ("dass_stress_band", "extremely_severe"): 1,
        ("sss8", "case"): 27,
        ("cfq", "case"): 42,
        ("gad7", "case"): 12,
        ("phq9", "case"): 7,
    },
}


@pytest.mark.parametrize("survey, n", [("current", 1726), ("former", 323)])
def test_reliability_matches_the_published_alphas(built, survey, n):
    rel = pd.read_csv(built / "results" / survey / "03_reliability" / "reliability.csv").set_index("scale")
    for scale, alpha in PUBLISHED_ALPHA.items():
        assert abs(rel.loc[scale, "alpha"] - alpha) <= 0.02, (scale, rel.loc[scale, "alpha"])
    assert {"itq_ptsd", "itq_dso"} <= set(rel.index)
    assert ((rel["n"] <= n) & (rel["n"] >= 0.98 * n)).all()  # listwise: almost everyone answered every item
    assert (rel["alpha_ci_low"] < rel["alpha"]).all() and (rel["alpha"] < rel["alpha_ci_high"]).all()


@pytest.mark.parametrize("survey", ["current", "former"])
def test_headline_prevalences_match_the_report(built, survey):
    sens = pd.read_csv(built / "results" / survey / "02_scores" / "sensitivity.csv")
    head = sens[sens["headline"] == 1].set_index(["classification", "level"])["prevalence"]
    got = {key: int(round_half_up(100 * head[key], 0)) for key in PUBLISHED_PREVALENCE[survey]}
    assert got == PUBLISHED_PREVALENCE[survey]


@pytest.mark.parametrize("survey", ["current", "former"])
def test_subgroup_tests_reconcile_with_estimates(built, survey):
    est = pd.read_csv(built / "results" / survey / "04_estimates" / "estimates.csv", low_memory=False)
    tests = pd.read_csv(built / "results" / survey / "04_estimates" / "subgroup_tests.csv", low_memory=False)
    key = ["variable", "category"]
    merged = tests.drop_duplicates(key).merge(est.drop_duplicates(key), on=key, suffixes=("", "_est"))
    assert len(merged) == len(tests.drop_duplicates(key))  # every tested category has an estimate
    assert (merged["total_n"] == merged["base_n"]).all() and (
        merged["total_count"] == merged["count_est"]
    ).all()
    assert (tests["n"] + tests["rest_n"] == tests["total_n"]).all()  # a level and its rest make the total
    assert ((tests["small_n"] == 1) == (tests["n"] < 30)).all()
    assert not ((tests["small_n"] == 1) & (tests["tested"] == 1)).any()  # no test on n < 30


# The outputs of stages 01-04 (the rerun test targets them; later stages have tests of their own).
STAGE_TARGETS = [
    f"results/{s}/{f}"
    for s in ("current", "former")
    for f in (
        "01_clean/responses.csv",
        "02_scores/scores.csv",
        "03_reliability/reliability.csv",
        "04_estimates/estimates.csv",
    )
]


def test_editing_a_module_reruns_exactly_the_rules_that_import_it(built, tmp_path):
    """Content edit of workflow/mhsurvey/rounding.py in a copy of the built workflow: the dry run
    lists every rule whose script imports it (derived code inputs), and only those; a mere touch
    (new mtime, same content) reruns nothing."""
    work = tmp_path / "copy"
    work.mkdir()
    shutil.copytree(REPO / "workflow", work / "workflow", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("Snakefile", "config", "data"):
        (work / name).symlink_to(REPO / name)
    shutil.copytree(built / "results", work / "results")
    shutil.copytree(built / ".snakemake" / "metadata", work / ".snakemake" / "metadata")
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(work / "workflow"),
    }

    def dry_run() -> dict[str, int]:
        proc = subprocess.run(
            [str(BIN / "snakemake"), *STAGE_TARGETS, "-n", "--rerun-triggers", "code"],
            cwd=work,
            capture_output=True,
            text=True,
            env=env,
        )
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        out = proc.stdout + proc.stderr
        if "Nothing to be done" in out:
            return {}
        table = out.split("Job stats:", 1)[1].split("\n\n", 1)[0].splitlines()[3:]
        return {row.split()[0]: int(row.split()[1]) for row in table if row.split()[0] != "total"}

    assert dry_run() == {}
    module = work / "workflow" / "mhsurvey" / "rounding.py"
    os.utime(module)  # newer but the same content: Snakemake compares the recorded checksum
    assert dry_run() == {}
    module.write_text(module.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    users = {
        rule
        for rule in ("clean", "score", "reliability", "estimates")
        if "workflow/mhsurvey/rounding.py" in code_inputs(f"workflow/scripts/{rule}.py", REPO)
    }
    assert "estimates" in users
    assert dry_run() == {rule: 2 for rule in users}


@pytest.mark.parametrize("survey", ["current", "former"])
def test_embedded_data_is_marked_synthetic(built, survey):
    summary = json.loads((built / "results" / survey / "01_clean" / "cleaning_summary.json").read_text())
    assert summary["data"]["synthetic"] is True
    assert summary["data"]["label_no"] == "Syntetiske data"
    assert summary["data"]["checksum_matches"] is True
