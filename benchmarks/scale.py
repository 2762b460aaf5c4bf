"""Benchmark of stages 01-04 (clean, score, reliability, estimates) at larger survey sizes.

The respondents are made by the synthetic-data generator (package mhsim) with its size parameter
``n_respondents`` (mhsim.generate.sample_sizes: the configured groups scaled proportionally, same
seed and calibrated model), never by copying rows. At the configured size the generator writes
exactly the committed export (data/synthetic/<survey>_export.csv), so 1x uses that file and is the
baseline measured in the same run. Generated exports are cached in ``--cache-dir`` (the
generation time is printed once; it is not part of the pipeline's time).

For each size, ``--repeat`` cold runs (each in a fresh scratch directory whose data/synthetic/ holds
the generated export under the configured name; config unchanged) of

    snakemake --cores N results/<survey>/04_estimates/estimates.csv results/<survey>/03_reliability/reliability.csv

print wall and CPU time (Snakemake and its jobs), peak RSS of the largest job, and per rule the
seconds and max RSS Snakemake's own `benchmark:` files record.

Goals: 100x respondents <= 2x the time at 1x; 1,000,000 respondents <= 60 s and <= 4 GB peak.

    PYTHONPATH=workflow .venv/bin/python benchmarks/scale.py [--sizes 10x,100x,1000000] [--survey current]
        [--repeat 3] [--cores 2] [--cache-dir DIR]
    PYTHONPATH=workflow .venv/bin/python benchmarks/scale.py --sizes 1000000 --generate-only   # make the export
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench as b  # noqa: E402

PUBLISHED = ["data/published/ch2_current.csv", "data/published/ch3_former_appendix.csv"]
RULES = ("clean", "score", "reliability", "estimates")


def generate(survey: str, n: int, out: Path) -> None:
    """Write the generated export of ``survey`` with ``n`` respondents to ``out`` (worker process)."""
    from mhsim.run import load_inputs, write
    from mhsurvey.configfiles import items_spec_path

    config = yaml.safe_load((b.REPO / "config/config.yaml").read_text(encoding="utf-8"))
    sim = b.REPO / config["simulation"][survey]
    inp = load_inputs(
        sim,
        b.REPO / config["surveys"][survey]["codebook"],
        b.REPO / config["scoring_config"],
        [b.REPO / p for p in PUBLISHED],
        model=b.REPO / f"data/synthetic/{survey}_model.json",
        items_spec=items_spec_path(sim),
    )
    tmp = out.with_name(f".{out.name}.tmp")
    write(inp, tmp, n_respondents=n)
    tmp.replace(out)


def configured_size(survey: str) -> int:
    """Configured respondents of the survey (``sample.n_respondents`` of its simulation config)."""
    from mhsim.generate import sample_sizes
    from mhsim.run import load_simulation_config
    from mhsim.targets import load_published

    config = yaml.safe_load((b.REPO / "config/config.yaml").read_text(encoding="utf-8"))
    target, outside, _partial = sample_sizes(
        load_simulation_config(b.REPO / config["simulation"][survey]),
        load_published([b.REPO / p for p in PUBLISHED]),
    )
    return target + outside


def parse_size(text: str, base: int) -> int:
    """``10x`` -> 10 * base; ``1000000`` -> 1000000."""
    text = text.strip().replace("_", "").replace(",", "")
    return int(round(float(text[:-1]) * base)) if text.endswith("x") else int(text)


def export_for(survey: str, n: int, base: int, cache: Path) -> Path:
    """The export with ``n`` respondents: the committed one at the configured size, else generated (cached)."""
    if n == base:
        return b.REPO / f"data/synthetic/{survey}_export.csv"
    out = cache / f"{survey}_export_{n}.csv"
    if not out.exists():
        cache.mkdir(parents=True, exist_ok=True)
        print(f"generating {n:,} respondents of {survey} ...", flush=True)
        gen = b.run([sys.executable, __file__, "--generate", survey, str(n), str(out)])
        print(
            f"  generated in {gen.wall:.1f} s wall, {gen.cpu:.1f} s CPU, peak {gen.max_rss_mb:.0f} MB; "
            f"{out.stat().st_size / 2**20:.0f} MB ({out})",
            flush=True,
        )
    return out


def data_dir(survey: str, export: Path, parent: Path) -> Path:
    """A ``data`` directory that is the repository's except ``synthetic/<survey>_export.csv``."""
    data = Path(tempfile.mkdtemp(prefix="data-", dir=parent))
    for entry in (b.REPO / "data").iterdir():
        if entry.name != "synthetic":
            (data / entry.name).symlink_to(entry)
    (data / "synthetic").mkdir()
    for f in (b.REPO / "data" / "synthetic").iterdir():
        (data / "synthetic" / f.name).symlink_to(export if f.name == f"{survey}_export.csv" else f)
    return data


def rule_benchmarks(work: Path, survey: str) -> dict[str, tuple[float, float]]:
    """(seconds, max RSS MB) per rule from Snakemake's benchmark files logs/benchmarks/<survey>/<rule>.tsv."""
    out = {}
    for rule in RULES:
        path = work / "logs" / "benchmarks" / survey / f"{rule}.tsv"
        if path.exists():
            row = list(csv.DictReader(path.open(encoding="utf-8"), delimiter="\t"))[-1]
            out[rule] = (
                float(row["s"]),
                float(row["max_rss"]) if row["max_rss"] not in ("", "NA") else float("nan"),
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="10x,100x,1000000",
        help="comma-separated sizes: Nx (times the configured size) or a respondent count",
    )
    parser.add_argument("--survey", default="current")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (default 3)")
    parser.add_argument("--cores", type=int, default=2, help="snakemake --cores (default 2)")
    parser.add_argument(
        "--cache-dir",
        default=str(Path(tempfile.gettempdir()) / "mhsurvey-bench-cache"),
        help="where generated exports are kept between runs",
    )
    parser.add_argument("--generate-only", action="store_true", help="only generate (and cache) the exports")
    parser.add_argument("--generate", nargs=3, metavar=("SURVEY", "N", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(args.generate[0], int(args.generate[1]), Path(args.generate[2]))
        return
    b.print_machine()
    base = configured_size(args.survey)
    sizes = [base] + [n for n in (parse_size(s, base) for s in args.sizes.split(",")) if n != base]
    cache = Path(args.cache_dir)
    exports = {n: export_for(args.survey, n, base, cache) for n in sizes}
    if args.generate_only:
        return
    targets = [
        f"results/{args.survey}/04_estimates/estimates.csv",
        f"results/{args.survey}/03_reliability/reliability.csv",
    ]
    scratch_parent = Path(tempfile.mkdtemp(prefix="mhsurvey-bench-scale-"))
    print(f"survey {args.survey}; 1x = {base:,} respondents; stages {', '.join(RULES)}; --cores {args.cores}")
    print(b.HEADER + "   per rule: seconds / max RSS MB (Snakemake benchmark files)")
    results: dict[int, b.Stats] = {}
    try:
        for n in sizes:
            data = data_dir(args.survey, exports[n], scratch_parent)
            runs, per_rule = [], {}
            for _ in range(args.repeat):
                work = b.scratch(parent=scratch_parent, data=data)
                runs.append(b.snakemake(["--cores", str(args.cores), *targets, "--quiet"], work))
                per_rule = rule_benchmarks(work, args.survey)
                shutil.rmtree(work, ignore_errors=True)
            label = f"{n:,} respondents ({n / base:g}x)"
            stats = b.Stats(label, tuple(runs))
            # the exact peak of the largest job (wait4 of Snakemake's children), or Snakemake's own
            # per-rule figure where it is higher (it samples, so it can miss a short peak)
            peak = max([stats.max_rss_mb, *(rss for _s, rss in per_rule.values())])
            print(
                f"{stats.label:46s} {stats.wall:8.2f}s {stats.wall_min:8.2f}s {stats.cpu:8.2f}s "
                f"{stats.cpu_min:8.2f}s {stats.max_rss_mb:7.0f}MB   "
                + "  ".join(f"{r} {s:.1f}/{rss:.0f}" for r, (s, rss) in per_rule.items()),
                flush=True,
            )
            results[n] = stats
            if n != base:
                b.ratio(label, stats.wall, results[base].wall, "1x")
            if round(n / base) == 100:
                b.goal("100x respondents, time relative to 1x", stats.wall / results[base].wall, 2, "x")
            if n == 1_000_000:
                b.goal("1,000,000 respondents, wall", stats.wall, 60)
                b.goal("1,000,000 respondents, peak RSS of a job", peak / 1024, 4, "GB")
    finally:
        shutil.rmtree(scratch_parent, ignore_errors=True)


if __name__ == "__main__":
    main()
