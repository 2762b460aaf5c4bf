"""Benchmark of stage 04 (`estimates`) per survey, small-cell suppression off and on.

Builds stages 01-02 once in a scratch directory (benchmarks/_bench.py), then runs the stage as
its rule script does (read responses, scores, codebook, settings, reference and levels; run
``mhsurvey.estimates.run_stage``; write the three tables and their dictionaries to a temp
directory), each run in a fresh Python process: the figures are the whole process (start-up and
imports included: what one Snakemake job costs) and, inside it, the stage itself (reading, computing
and writing). Suppression "off" / "on" use temp copies of config/estimates.yaml with
``suppression.enabled: false`` / ``true`` (the repository's file, default ``auto``, is not touched).

Goals: <= 2 s per survey with suppression off, <= 5 s with it on (the stage itself).

    PYTHONPATH=workflow .venv/bin/python benchmarks/estimates.py [--repeat 3] [--cores 2]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench as b  # noqa: E402


def worker(work: Path, survey: str, settings: Path, out: Path) -> None:
    """One run of the stage (what workflow/scripts/estimates.py does); prints its seconds as JSON."""
    start = time.perf_counter()
    from mhsurvey.codebook import load_codebook
    from mhsurvey.dictionary import write_dictionary
    from mhsurvey.estimates import load_settings, read_levels, read_scores, run_stage
    from mhsurvey.io import read_responses, write_csv
    from mhsurvey.reference import read_reference

    imported, cpu0 = time.perf_counter(), time.process_time()
    config = yaml.safe_load((work / "config/config.yaml").read_text(encoding="utf-8"))
    r = work / "results" / survey
    result = run_stage(
        responses=read_responses(r / "01_clean/responses.csv"),
        scores=read_scores(r / "02_scores/scores.csv"),
        codebook=load_codebook(work / config["surveys"][survey]["codebook"]),
        settings=load_settings(settings),
        reference=read_reference(work / "data/reference/ssb.csv"),
        survey=survey,
        levels=read_levels(r / "02_scores/levels.csv"),
    )
    out.mkdir(parents=True, exist_ok=True)
    for name, table, docs in (
        ("estimates", result.estimates, result.estimates_docs),
        ("subgroup_tests", result.subgroup_tests, result.subgroup_docs),
        ("margins_table", result.margins, result.margins_docs),
    ):
        write_csv(table, out / f"{name}.csv")
        write_dictionary(docs, out / f"{name}.dictionary.csv", table)
    done, cpu = time.perf_counter(), time.process_time() - cpu0
    suppressed = int(result.subgroup_tests.filter(like="suppress").fillna(0).astype(bool).to_numpy().sum())
    print(
        json.dumps(
            {
                "imports": imported - start,
                "stage": done - imported,
                "stage_cpu": cpu,
                "rows": len(result.estimates),
                "suppressed_cells": suppressed,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (default 3)")
    parser.add_argument("--cores", type=int, default=2, help="snakemake --cores for the set-up build")
    parser.add_argument(
        "--suppression",
        choices=("off", "on", "both"),
        default="both",
        help="measure suppression off, on or both (default both)",
    )
    parser.add_argument("--surveys", help="comma-separated surveys (default: every configured survey)")
    parser.add_argument(
        "--worker", nargs=4, metavar=("WORK", "SURVEY", "SETTINGS", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.worker:
        w, survey, settings, out = args.worker
        worker(Path(w), survey, Path(settings), Path(out))
        return
    b.print_machine()
    work = b.scratch()
    tmp = Path(tempfile.mkdtemp(prefix="mhsurvey-bench-est-"))
    try:
        config = yaml.safe_load((work / "config/config.yaml").read_text(encoding="utf-8"))
        surveys = args.surveys.split(",") if args.surveys else sorted(config["surveys"])
        targets = [f"results/{s}/02_scores/{f}.csv" for s in surveys for f in ("scores", "levels")]
        setup = b.snakemake(["--cores", str(args.cores), *targets, "--quiet"], work)
        print(f"set-up: stages 01-02 of {', '.join(surveys)} built in {setup.wall:.1f} s")
        est = yaml.safe_load((work / config["estimates_config"]).read_text(encoding="utf-8"))
        # explicit true / false (the repository's default `auto` would depend on the data)
        settings_off, settings_on = (
            tmp / "estimates_suppression_off.yaml",
            tmp / "estimates_suppression_on.yaml",
        )
        for path, enabled in ((settings_off, False), (settings_on, True)):
            est["suppression"]["enabled"] = enabled
            path.write_text(yaml.safe_dump(est, allow_unicode=True, sort_keys=False), encoding="utf-8")
        print(f"{'':46s} {'(whole process: start-up, imports, stage)':>56s}")
        print(b.HEADER + f" {'stage med':>9s} {'stage min':>9s}")
        for survey in surveys:
            base = None
            for label, settings, limit in (("off", settings_off, 2.0), ("on", settings_on, 5.0)):
                if args.suppression not in (label, "both"):
                    continue
                runs, stage, stage_cpu, info = [], [], [], {}
                for _ in range(args.repeat):
                    run = b.run(
                        [
                            sys.executable,
                            __file__,
                            "--worker",
                            str(work),
                            survey,
                            str(settings),
                            str(tmp / f"{survey}_{label}"),
                        ]
                    )
                    info = json.loads(run.stdout.strip().splitlines()[-1])
                    stage.append(info["stage"])
                    stage_cpu.append(info["stage_cpu"])
                    runs.append(run)
                s = b.Stats(f"estimates {survey}, suppression {label}", tuple(runs))
                print(
                    f"{s.label:46s} {s.wall:8.2f}s {s.wall_min:8.2f}s {s.cpu:8.2f}s {s.cpu_min:8.2f}s "
                    f"{s.max_rss_mb:7.0f}MB {statistics.median(stage):8.2f}s {min(stage):8.2f}s"
                )
                print(
                    f"  {info['rows']} estimate rows, {info['suppressed_cells']} suppressed subgroup cells, "
                    f"imports {info['imports']:.2f} s, stage CPU median {statistics.median(stage_cpu):.2f} s"
                )
                b.goal(f"estimates {survey} (suppression {label}), stage", statistics.median(stage), limit)
                if base is None:
                    base = statistics.median(stage)
                else:
                    b.ratio(f"{survey} suppression on", statistics.median(stage), base, "off")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
