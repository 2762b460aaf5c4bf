"""The Snakemake profiles plan the whole default build, every job with its rule's declared resources.

`snakemake -n --profile workflow/profiles/slurm` is a dry run: it needs no cluster and no `sbatch`
(snakemake-executor-plugin-slurm submits nothing in a dry run), so it runs anywhere. It is run
in a scratch directory that links the repository's inputs (nothing is built or written in the
repository). Resources that scale with the input size (`lambda wildcards, input: ...`) can only be
evaluated once the input exists, so in a fresh directory Snakemake prints them as `<TBD>` for every
job downstream of `clean`; the `clean` jobs, whose inputs (the exports) exist, must show the value of
the formula declared in workflow/rules/clean.smk, computed here from the file sizes independently.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
DEFAULT_RULES = {
    "clean",
    "score",
    "reliability",
    "estimates",
    "figures",
    "audit",
    "report_html",
    "report_pdf",
    "manifest",
    "wave_comparison",
    "all",
}
# Fixed resources declared in workflow/rules/*.smk (rule -> (mem_mb, runtime in minutes)).
FIXED = {"figures": (2000, 30), "manifest": (1000, 15)}


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """A directory that links the repository's inputs, so a dry run plans the full build from scratch."""
    work = tmp_path_factory.mktemp("profiles")
    for name in ("Snakefile", "workflow", "config", "data", "requirements.lock"):
        (work / name).symlink_to(REPO / name)
    (work / "reports").mkdir()
    (work / "reports" / "templates").symlink_to(REPO / "reports" / "templates")
    return work


def dry_run(work: Path, profile: str) -> list[dict]:
    """Jobs planned by `snakemake -n --profile <profile>`: rule, input files and resources of each."""
    env = {
        **os.environ,
        "PATH": f"{SNAKEMAKE.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(REPO / "workflow"),
    }
    proc = subprocess.run(
        [str(SNAKEMAKE), "-n", "--profile", profile], cwd=work, capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    jobs: list[dict] = []
    for line in (proc.stdout + proc.stderr).splitlines():
        m = re.match(r"(?:local)?rule (\w+):$", line.strip())
        if m:
            jobs.append({"rule": m.group(1), "input": [], "resources": {}})
        elif jobs and line.strip().startswith("input: "):
            jobs[-1]["input"] = [s.strip() for s in line.strip()[len("input: ") :].split(",")]
        elif jobs and line.strip().startswith("resources: "):
            pairs = (p.split("=", 1) for p in line.strip()[len("resources: ") :].split(", "))
            jobs[-1]["resources"] = {k: v for k, v in pairs}
    return jobs


def test_slurm_profile_keys():
    """The SLURM profile selects the plugin and sets the keys its documentation names."""
    profile = yaml.safe_load((REPO / "workflow/profiles/slurm/config.yaml").read_text(encoding="utf-8"))
    assert profile["executor"] == "slurm"
    assert {"slurm_partition", "mem_mb", "runtime"} <= set(profile["default-resources"])
    assert profile["jobs"] >= 1 and profile["latency-wait"] >= 30


def test_slurm_dry_run_plans_every_rule_with_resources(scratch):
    jobs = dry_run(scratch, "workflow/profiles/slurm")
    rules = {j["rule"] for j in jobs}
    assert rules == DEFAULT_RULES
    cfg = yaml.safe_load((REPO / "config/config.yaml").read_text(encoding="utf-8"))
    # one clean job per survey of the study and per survey of every further wave
    surveys = len(cfg["surveys"]) + sum(len(w["surveys"]) for w in (cfg.get("waves") or {}).values())
    assert sum(j["rule"] == "clean" for j in jobs) == surveys
    for job in jobs:
        res = job["resources"]
        assert res.get("slurm_partition") == "normal", job  # from the profile's default-resources
        if job["rule"] == "all":
            continue
        assert "mem_mb" in res and "runtime" in res, job
        if job["rule"] in FIXED:
            assert (int(res["mem_mb"]), int(res["runtime"])) == FIXED[job["rule"]], job
        elif job["rule"] == "clean":
            size_mb = sum((scratch / f).stat().st_size for f in job["input"]) / 1024 / 1024
            assert int(res["mem_mb"]) == max(1000, int(1000 + 10 * size_mb)), job
            assert int(res["runtime"]) == max(10, int(size_mb / 5)), job
        elif job["rule"] in ("score", "reliability", "estimates"):
            # declared as functions of the input size: evaluated once stage 01 has run
            assert res["mem_mb"] == "<TBD>" and res["runtime"] == "<TBD>", job


def test_slurm_profile_gives_reliability_its_threads(scratch):
    """set-threads of the profile reaches the job (a dry run caps threads at --cores, 1 by default)."""
    env = {**os.environ, "PATH": f"{SNAKEMAKE.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    target = "results/current/03_reliability/reliability.csv"
    runs = {}
    for profile in ("workflow/profiles/slurm", "workflow/profiles/local"):
        proc = subprocess.run(
            [str(SNAKEMAKE), "-n", "--profile", profile, "--cores", "8", target],
            cwd=scratch,
            capture_output=True,
            text=True,
            env=env,
        )
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        runs[profile] = proc.stdout + proc.stderr
    block = runs["workflow/profiles/slurm"].split("rule reliability:", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"^\s+threads: 4$", block, re.M), block
    local = runs["workflow/profiles/local"].split("rule reliability:", 1)[1].split("\n\n", 1)[0]
    assert "threads:" not in local  # one thread: Snakemake prints no threads line


def test_local_profile_plans_the_same_jobs(scratch):
    jobs = dry_run(scratch, "workflow/profiles/local")
    assert {j["rule"] for j in jobs} == DEFAULT_RULES
    assert all("slurm_partition" not in j["resources"] for j in jobs)
