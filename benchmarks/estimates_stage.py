"""Wall time of stage 04 computation alone (``mhsurvey.estimates.run_stage``, in-process) per survey: median and minimum of N runs.

Usage (after the pipeline has built ``results/<survey>/01_clean`` and ``02_scores``)::

    PYTHONPATH=workflow .venv/bin/python benchmarks/estimates.py [--runs 3] [--survey current ...]

Inputs are read once; each run computes estimates, subgroup tests and the margins table from
them (no file output), so the figures are the computation alone. The subgroup table's share of
the time is printed too (``subgroup_tests``, timed separately on the same inputs).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow"))

from mhsurvey.codebook import load_codebook  # noqa: E402
from mhsurvey.counts import SurveyData  # noqa: E402
from mhsurvey.estimates import (  # noqa: E402
    classification_outcomes,
    codebook_outcomes,
    estimates_table,
    load_settings,
    read_levels,
    read_scores,
    run_stage,
)
from mhsurvey.io import read_responses  # noqa: E402
from mhsurvey.level_labels import derived_labels  # noqa: E402
from mhsurvey.reference import read_reference  # noqa: E402
from mhsurvey.subgroups import resolve_breakdowns, subgroup_tests  # noqa: E402


def inputs(survey: str) -> dict:
    """The stage's inputs for ``survey`` as the rule reads them."""
    res = ROOT / "results" / survey
    missing = [
        p
        for p in (
            res / "01_clean" / "responses.csv",
            res / "02_scores" / "scores.csv",
            res / "02_scores" / "levels.csv",
        )
        if not p.exists()
    ]
    if missing:
        sys.exit(f"missing {missing[0]}: build the pipeline first (snakemake --cores 2)")
    return {
        "responses": read_responses(res / "01_clean" / "responses.csv"),
        "scores": read_scores(res / "02_scores" / "scores.csv"),
        "codebook": load_codebook(ROOT / "config" / "codebook" / f"{survey}.yaml"),
        "settings": load_settings(ROOT / "config" / "estimates.yaml"),
        "reference": read_reference(ROOT / "data" / "reference" / "ssb.csv"),
        "survey": survey,
        "levels": read_levels(res / "02_scores" / "levels.csv"),
    }


def time_runs(fn, runs: int) -> list[float]:
    """Wall-clock seconds of ``runs`` calls of ``fn``."""
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def subgroup_only(args: dict):
    """A callable computing only the subgroup table from prepared outcomes and totals."""
    data = SurveyData(args["responses"], args["scores"], args["codebook"])
    s, survey = args["settings"], args["survey"]
    labels = derived_labels(args["levels"])
    outcomes = codebook_outcomes(args["codebook"], s) + classification_outcomes(
        s.classifications, data.scores_str, survey, labels.values["no"]
    )
    _, totals = estimates_table(data, outcomes, s, survey)
    breakdowns = resolve_breakdowns(args["codebook"], data, s, survey, labels)
    return lambda: subgroup_tests(data, outcomes, breakdowns, totals, s, survey)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per survey (at least 3)")
    parser.add_argument("--survey", action="append", help="survey key (default: current and former)")
    opts = parser.parse_args()
    runs = max(3, opts.runs)
    print(f"stage 04 wall time, {runs} runs per survey (seconds)")
    print(f"{'survey':<10}{'part':<16}{'median':>9}{'min':>9}{'rows':>9}")
    for survey in opts.survey or ["current", "former"]:
        args = inputs(survey)
        out = run_stage(**args)  # warm-up (imports, caches) and row count
        whole = time_runs(lambda a=args: run_stage(**a), runs)
        sub = time_runs(subgroup_only(args), runs)
        for part, times in (("run_stage", whole), ("subgroup_tests", sub)):
            print(
                f"{survey:<10}{part:<16}{statistics.median(times):>9.2f}{min(times):>9.2f}"
                f"{len(out.subgroup_tests):>9}"
            )


if __name__ == "__main__":
    main()
