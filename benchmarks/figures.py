"""Benchmark of stage 05: wall time of drawing every figure of both surveys, and time per chart kind.

Draws the full catalogue from the stage-04 tables already in results/ (run `snakemake` first),
one process per survey in parallel as the rule does (goal: <= 20 s wall on 2 cores), and times
each figure (select + prepare + draw + SVG + PNG) inside those processes. Prints the median and
minimum over ``--runs`` repetitions (default 3). Nothing is written to results/.

    PYTHONPATH=workflow .venv/bin/python benchmarks/figures.py [--runs 3] [--cores 2]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SURVEYS = ("current", "former")


def draw_one_survey(survey: str) -> tuple[str, float, float, list[tuple[str, str, float]]]:
    """Draw every figure of ``survey`` in this process; (survey, wall s, cpu s, [(id, kind, s)])."""
    import matplotlib

    matplotlib.use("Agg")
    from mhsurvey.figures.build import contact_sheet, draw_survey
    from mhsurvey.figures.catalogue import load_catalogue
    from mhsurvey.figures.inputs import load_survey_inputs

    start, cpu = time.perf_counter(), time.process_time()
    catalogue = load_catalogue(REPO / "config" / "figures.yaml")
    r = REPO / "results" / survey
    inputs = load_survey_inputs(
        survey,
        r / "04_estimates" / "estimates.csv",
        r / "04_estimates" / "subgroup_tests.csv",
        REPO / "config" / "codebook" / f"{survey}.yaml",
        r / "01_clean" / "cleaning_summary.json",
        REPO / "config" / "estimates.yaml",
        REPO / "config" / "scoring.yaml",
        catalogue["style"],
    )
    figures = draw_survey(
        catalogue, inputs, REPO / "config" / "figure_style.mplstyle", f"results/{survey}/05_figures"
    )
    contact_sheet(figures, survey)
    per_figure = [(f.entry.id, f.entry.kind, f.seconds) for f in figures]
    return survey, time.perf_counter() - start, time.process_time() - cpu, per_figure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    walls: list[float] = []
    cpu: dict[str, list[float]] = defaultdict(list)
    kind_totals: dict[str, list[float]] = defaultdict(list)
    kind_each: dict[str, list[float]] = defaultdict(list)
    count: dict[str, int] = {}
    for _ in range(args.runs):
        start = time.perf_counter()
        with ProcessPoolExecutor(max_workers=args.cores) as pool:
            results = list(pool.map(draw_one_survey, SURVEYS))
        walls.append(time.perf_counter() - start)
        totals: dict[str, float] = defaultdict(float)
        for survey, _wall, cpu_s, per_figure in results:
            cpu[survey].append(cpu_s)
            count[survey] = len(per_figure)
            for _id, kind, seconds in per_figure:
                totals[kind] += seconds
                kind_each[kind].append(seconds)
        for kind, total in totals.items():
            kind_totals[kind].append(total)
    n = sum(count.values())
    print(
        f"figures: {n} ({', '.join(f'{s} {c}' for s, c in count.items())}); runs: {args.runs}; "
        f"processes: {args.cores}"
    )
    print(
        f"wall time, all figures of both surveys: median {statistics.median(walls):.1f} s, "
        f"min {min(walls):.1f} s (goal <= 20 s on 2 cores)"
    )
    for survey in SURVEYS:
        print(
            f"  cpu time {survey}: median {statistics.median(cpu[survey]):.1f} s, min {min(cpu[survey]):.1f} s"
        )
    print(f"{'kind':20s} {'figures':>7s} {'total median':>13s} {'total min':>10s} {'per figure median':>18s}")
    for kind in sorted(kind_totals):
        per = kind_each[kind]
        print(
            f"{kind:20s} {len(per) // args.runs:7d} {statistics.median(kind_totals[kind]):12.2f}s "
            f"{min(kind_totals[kind]):9.2f}s {statistics.median(per):17.3f}s"
        )


if __name__ == "__main__":
    main()
