"""Benchmark of the whole build: cold, no-op, after an edit, and a single-process baseline.

In scratch directories that link the repository's inputs (benchmarks/_bench.py; the files to be
edited are copies, the repository is never touched), with ``--cores`` (default 2):

1. cold full build of both surveys: the default target (every stage, figures, rapport.html/.pdf,
   audit, manifest) from nothing; then the English edition (reports/report_en.html/.pdf) as an
   extra target on top of it;
2. no-op rebuild of the default target, against two floors: ``snakemake --version`` (Snakemake's
   import) and the no-op of a one-rule Snakefile (Snakemake's start-up for a run, which includes
   importing every installed executor plugin: the SLURM plugin alone imports pandas);
3. rebuild after *editing* (Snakemake compares checksums, so touching is not enough) one report
   template (a space appended inside a paragraph of sections/ch2_safety.html.j2), one figure-style
   setting (config/figure_style.mplstyle axes.linewidth) and one scoring threshold (config/scoring.yaml,
   GAD-7 report min_total 9 -> 10), each printed with the jobs that reran (``snakemake -n`` job list),
   then reverted and rebuilt (not measured); the template edit also with the HTML edition alone
   as the target (the preview loop: the PDF is typeset only when asked for);
4. the orchestration baseline: every stage of the default target run by calling the package
   functions the rule scripts call, serially in one Python process (``--single-process DIR``).

Each measurement is repeated ``--repeat`` times (default 3; each cold run in a fresh directory) and
printed as median and minimum wall and CPU time (children included) and peak RSS, with the goals:
cold <= 30 s, no-op within 0.3 s of Snakemake's start-up, a template edit <= 5 s.

    PYTHONPATH=workflow .venv/bin/python benchmarks/build.py [--repeat 3] [--cores 2] [--keep]
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench as b  # noqa: E402

TEMPLATE = "reports/templates/sections/ch2_safety.html.j2"
STYLE = "config/figure_style.mplstyle"
SCORING = "config/scoring.yaml"
EN = ["reports/report_en.html", "reports/report_en.pdf"]


def edit_template(text: str) -> str:
    """Append a space inside the first paragraph (before its first ``</p>``)."""
    if "</p>" not in text:
        raise SystemExit(f"{TEMPLATE}: no </p> to edit")
    return text.replace("</p>", " </p>", 1)


def edit_style(text: str) -> str:
    """Change one setting: ``axes.linewidth`` + 0.1."""
    m = re.search(r"^axes\.linewidth:\s*([0-9.]+)\s*$", text, flags=re.M)
    if not m:
        raise SystemExit(f"{STYLE}: no axes.linewidth setting to edit")
    return text[: m.start(1)] + f"{float(m.group(1)) + 0.1:g}" + text[m.end(1) :]


def edit_scoring(text: str) -> str:
    """GAD-7 report threshold 9 -> 10 (the ``min_total`` of gad7's ``report`` rule)."""
    m = re.search(r"^  gad7:\n(?:.*\n)*?\s+report:\n\s+min_total: (9)\n", text, flags=re.M)
    if not m:
        raise SystemExit(f"{SCORING}: no gad7 report min_total: 9 to edit")
    return text[: m.start(1)] + "10" + text[m.end(1) :]


HTML = ["reports/rapport.html"]

# (label, file edited, edit, targets rebuilt: None = the default target)
EDITS = [
    ("template edit (ch2_safety.html.j2), default target", TEMPLATE, edit_template, None),
    ("template edit, HTML preview (target reports/rapport.html)", TEMPLATE, edit_template, HTML),
    ("figure style edit (axes.linewidth)", STYLE, edit_style, None),
    ("scoring edit (GAD-7 min_total 9 -> 10)", SCORING, edit_scoring, None),
]


def trivial_workflow() -> Path:
    """A scratch directory with a one-rule Snakefile: its no-op is Snakemake's own start-up for a run
    (argument parsing, executor-plugin discovery, DAG of one job), without this workflow's work."""
    import tempfile

    work = Path(tempfile.mkdtemp(prefix="mhsurvey-bench-trivial-"))
    (work / "Snakefile").write_text(
        'rule all:\n    output:\n        "done.txt",\n    shell:\n        "touch {output}"\n',
        encoding="utf-8",
    )
    return work


def build(work: Path, cores: int, targets: list[str] | None = None) -> b.Run:
    """``snakemake --cores N --quiet [targets]`` in ``work``, measured."""
    return b.snakemake(["--cores", str(cores), *(targets or ["all"]), "--quiet"], work)


def single_process(root: Path) -> None:
    """Every stage of the default target, serially, in this process, writing under ``root``
    (a scratch copy: paths are relative to it), by calling what the rule scripts call."""
    import os

    import matplotlib
    import yaml

    matplotlib.use("Agg")
    from mhsurvey.audit.errata import errata_docs
    from mhsurvey.audit.inputs import rule_inputs
    from mhsurvey.audit.regenerate import read_results
    from mhsurvey.audit.reproduction import reproduction_docs, summary_docs
    from mhsurvey.audit.run import run_audit
    from mhsurvey.clean import clean_survey, settings_from_config, write_clean_result
    from mhsurvey.codebook import load_codebook
    from mhsurvey.dictionary import write_dictionary
    from mhsurvey.estimates import load_settings, read_levels, read_scores, run_stage
    from mhsurvey.figures.build import (
        DATA_DOCS,
        INDEX_DOCS,
        contact_sheet,
        draw_survey,
        index_frame,
        write_figure,
    )
    from mhsurvey.figures.catalogue import load_catalogue
    from mhsurvey.figures.inputs import load_survey_inputs
    from mhsurvey.io import read_responses, write_csv
    from mhsurvey.reliability import (
        item_statistics_docs,
        item_statistics_table,
        reliability_docs,
        reliability_table,
    )
    from mhsurvey.report.build import build_html, build_pdf
    from mhsurvey.report.editions import report_editions
    from mhsurvey.scoring import (
        levels_docs,
        levels_table,
        load_scoring_rules,
        score_responses,
        scores_docs,
        sensitivity_docs,
        sensitivity_table,
    )

    os.chdir(root)
    from mhsurvey.dictionary import write_dictionary as _wd
    from mhsurvey.estimate_settings import load_settings as _load_settings
    from mhsurvey.surveys import comparison_dir, comparisons, survey_blocks, survey_kind
    from mhsurvey.waves import compare_waves, comparison_docs, read_estimates

    config = yaml.safe_load(Path("config/config.yaml").read_text(encoding="utf-8"))
    surveys = sorted(config["surveys"])  # the primary wave: figures, audit, report
    blocks = survey_blocks(config)  # every survey key, further waves included (stages 01-04)
    main_config, config = config, {**config, "surveys": {**config["surveys"], **blocks}}
    rules = load_scoring_rules(config["scoring_config"])
    for s in sorted(blocks):
        r = Path("results") / s
        codebook = load_codebook(config["surveys"][s]["codebook"])
        # clean
        out = {
            k: str(r / "01_clean" / v)
            for k, v in (
                ("responses", "responses.csv"),
                ("responses_dict", "responses.dictionary.csv"),
                ("exclusions", "exclusions.csv"),
                ("exclusions_dict", "exclusions.dictionary.csv"),
                ("flags", "flags.csv"),
                ("flags_dict", "flags.dictionary.csv"),
                ("summary", "cleaning_summary.json"),
                ("comments", "restricted/comments.csv"),
                ("comments_dict", "restricted/comments.dictionary.csv"),
            )
        }
        (r / "01_clean" / "restricted").mkdir(parents=True, exist_ok=True)
        result = clean_survey(config["surveys"][s]["export"], codebook, settings_from_config(config, s))
        write_clean_result(result, codebook, out)
        # score
        (r / "02_scores").mkdir(parents=True, exist_ok=True)
        responses = read_responses(out["responses"])
        scores = score_responses(responses, codebook, rules)
        write_csv(scores, r / "02_scores/scores.csv")
        write_dictionary(
            scores_docs(rules, list(scores.columns)), r / "02_scores/scores.dictionary.csv", scores
        )
        levels = levels_table(rules, list(scores.columns))
        write_csv(levels, r / "02_scores/levels.csv")
        write_dictionary(levels_docs(), r / "02_scores/levels.dictionary.csv", levels)
        sens = sensitivity_table(responses, codebook, rules)
        write_csv(sens, r / "02_scores/sensitivity.csv")
        write_dictionary(sensitivity_docs(), r / "02_scores/sensitivity.dictionary.csv", sens)
        # reliability
        (r / "03_reliability").mkdir(parents=True, exist_ok=True)
        table = reliability_table(responses, codebook, rules)
        write_csv(table, r / "03_reliability/reliability.csv")
        write_dictionary(reliability_docs(rules), r / "03_reliability/reliability.dictionary.csv", table)
        items = item_statistics_table(responses, codebook, rules)
        write_csv(items, r / "03_reliability/item_statistics.csv")
        write_dictionary(item_statistics_docs(), r / "03_reliability/item_statistics.dictionary.csv", items)
        # estimates
        from mhsurvey.estimate_settings import synthetic_from_summary
        from mhsurvey.reference import read_reference

        (r / "04_estimates").mkdir(parents=True, exist_ok=True)
        est = run_stage(
            responses=read_responses(out["responses"]),
            scores=read_scores(r / "02_scores/scores.csv"),
            codebook=codebook,
            settings=load_settings(
                config["estimates_config"], synthetic=synthetic_from_summary(out["summary"])
            ),
            reference=read_reference("data/reference/ssb.csv"),
            survey=survey_kind(s),
            levels=read_levels(r / "02_scores/levels.csv"),
        )
        for file, tab, docs in (
            ("estimates", est.estimates, est.estimates_docs),
            ("subgroup_tests", est.subgroup_tests, est.subgroup_docs),
            ("margins_table", est.margins, est.margins_docs),
        ):
            write_csv(tab, r / f"04_estimates/{file}.csv")
            write_dictionary(docs, r / f"04_estimates/{file}.dictionary.csv", tab)
        if s not in surveys:
            continue
        # figures, in each language (rule figures: 05_figures/ and 05_figures_en/)
        for lang, folder in (("no", "05_figures"), ("en", "05_figures_en")):
            fig_dir = r / folder
            fig_dir.mkdir(parents=True, exist_ok=True)
            catalogue = load_catalogue("config/figures.yaml")
            inputs = load_survey_inputs(
                s,
                estimates=r / "04_estimates/estimates.csv",
                subgroup_tests=r / "04_estimates/subgroup_tests.csv",
                codebook=config["surveys"][s]["codebook"],
                summary=out["summary"],
                estimates_config=config["estimates_config"],
                scoring=config["scoring_config"],
                style=catalogue["style"],
            )
            figures = draw_survey(
                catalogue,
                inputs,
                STYLE,
                out_rel=str(fig_dir),
                on_figure=lambda f, d=fig_dir: write_figure(f, d),
                lang=lang,
            )
            index = index_frame(figures)
            write_csv(index, fig_dir / "figures.csv")
            write_dictionary(INDEX_DOCS, fig_dir / "figures.dictionary.csv", index)
            write_dictionary(DATA_DOCS, fig_dir / "figure_data.dictionary.csv", figures[0].drawn)
            (fig_dir / "contact_sheet.png").write_bytes(
                contact_sheet(figures, s, int(catalogue["style"].get("thumbnail_px", 420)))
            )
    # wave-to-wave comparisons (rule wave_comparison)
    wave_settings = _load_settings(config["estimates_config"])
    for a, b_, kind in comparisons(config):
        out_dir = Path(comparison_dir(a, b_, kind))
        out_dir.mkdir(parents=True, exist_ok=True)
        earlier = f"results/{a.surveys[kind]}/04_estimates/estimates.csv"
        later = f"results/{b_.surveys[kind]}/04_estimates/estimates.csv"
        table = compare_waves(
            read_estimates(earlier),
            read_estimates(later),
            wave_settings,
            survey=kind,
            waves=(a.id, b_.id),
            years=(a.year, b_.year),
            names=(earlier, later),
        )
        write_csv(table, out_dir / "comparison.csv")
        _wd(comparison_docs(wave_settings), out_dir / "comparison.dictionary.csv", table)
    # audit
    config = main_config
    paths = rule_inputs(surveys, config)
    results = {}
    for s in surveys:
        p = {
            k: paths[f"{k}_{s}"]
            for k in ("estimates", "subgroup_tests", "margins", "cleaning", "sensitivity")
        }
        if s == "current":
            p["reliability"] = paths["reliability_current"]
        results[s] = read_results(p)
    published = sorted(str(p) for p in Path("data/published").glob("*.csv"))
    audit = run_audit(
        published_paths=published,
        crosswalk_path="config/crosswalk.yaml",
        estimates_config=config["estimates_config"],
        codebooks={s: config["surveys"][s]["codebook"] for s in surveys},
        results=results,
    )
    Path("results/audit").mkdir(parents=True, exist_ok=True)
    for tab, docs, path in (
        (audit.errata, errata_docs(), "results/audit/errata"),
        (audit.reproduction, reproduction_docs(), "reports/reproduction"),
        (audit.summary, summary_docs(), "results/audit/reproduction_summary"),
    ):
        write_csv(tab, f"{path}.csv")
        write_dictionary(docs, f"{path}.dictionary.csv", tab)
    # report (default editions), HTML then PDF
    editions = report_editions("config/report.yaml")
    for stem in report_editions("config/report.yaml", default_only=True):
        html = build_html(
            report_config="config/report.yaml",
            estimates_config=config["estimates_config"],
            scoring_config=config["scoring_config"],
            main_config=config,
            published=published,
            css="reports/templates/css/report.css",
            results_root="results",
            lang=editions[stem],
            audit_dir="results/audit",
            reproduction="reports/reproduction.csv",
        )
        Path(f"reports/{stem}.html").write_text(html, encoding="utf-8", newline="\n")
        build_pdf(f"reports/{stem}.html", f"reports/{stem}.pdf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (default 3)")
    parser.add_argument("--cores", type=int, default=2, help="snakemake --cores (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directories")
    parser.add_argument(
        "--steps",
        default="cold,noop,edits,single",
        help="comma-separated subset of cold,noop,edits,single (default all)",
    )
    parser.add_argument(
        "--work",
        metavar="DIR",
        help="a built scratch directory (from an earlier --keep run) for noop/edits instead of a cold build",
    )
    parser.add_argument("--single-process", metavar="DIR", help=argparse.SUPPRESS)  # worker of step 4
    args = parser.parse_args()
    if args.single_process:
        single_process(Path(args.single_process))
        return
    b.print_machine()
    print(b.HEADER)
    dirs: list[Path] = []

    def fresh() -> Path:
        work = b.scratch(copy=("config", "reports/templates"))
        dirs.append(work)
        return work

    try:
        steps = set(args.steps.split(","))
        cold = None
        if args.work:
            work = Path(args.work)
        elif "cold" in steps or steps & {"noop", "edits"}:
            cold_runs, extra_runs = [], []
            for _ in range(args.repeat):
                work = fresh()
                cold_runs.append(build(work, args.cores))
                print(f"  (cold run {len(cold_runs)}: {cold_runs[-1].wall:.1f} s)", flush=True)
                extra_runs.append(build(work, args.cores, EN))
            cold = b.Stats("cold full build (default target)", tuple(cold_runs))
            b.print_stats(cold)
            b.print_stats(b.Stats("  + English edition (extra target)", tuple(extra_runs)))
            b.goal("cold full build", cold.wall, 30)
        # 2. no-op against Snakemake's start-up
        if "noop" in steps:
            floor = b.repeat(
                "snakemake --version (start-up floor)", args.repeat, lambda: b.snakemake(["--version"], work)
            )
            trivial = trivial_workflow()
            dirs.append(trivial)
            b.snakemake(["--cores", "1", "--quiet"], trivial)
            floor_run = b.repeat(
                "no-op of a one-rule Snakefile (start-up incl. plugin discovery)",
                args.repeat,
                lambda: b.snakemake(["--cores", str(args.cores), "--quiet"], trivial),
            )
            noop = b.repeat("no-op rebuild (default target)", args.repeat, lambda: build(work, args.cores))
            b.goal("no-op minus start-up (--version)", noop.wall - floor.wall, 0.3)
            b.goal("no-op minus a one-rule workflow's no-op", noop.wall - floor_run.wall, 0.3)
        # 3. edits of copies in the scratch directory
        for label, rel, edit, targets in EDITS if "edits" in steps else ():
            path = work / rel
            original = path.read_text(encoding="utf-8")
            runs, jobs = [], {}
            for _ in range(args.repeat):
                path.write_text(edit(original), encoding="utf-8")
                dry = ["-n", "--cores", str(args.cores), *(targets or ["all"])]
                jobs = b.job_counts(b.snakemake(dry, work).stdout)
                runs.append(build(work, args.cores, targets))
                path.write_text(original, encoding="utf-8")
                build(work, args.cores)  # back to the built state, not measured
            b.print_stats(b.Stats(label, tuple(runs)))
            print(f"  reran: {', '.join(f'{k} x{v}' if v > 1 else k for k, v in jobs.items() if k != 'all')}")
            if rel == TEMPLATE:
                b.goal("template edit", b.Stats(label, tuple(runs)).wall, 5)
        # 4. orchestration baseline
        if "single" in steps:
            single = b.repeat(
                "single process, all stages serially",
                args.repeat,
                lambda: b.run([sys.executable, __file__, "--single-process", str(fresh())]),
            )
            if cold is not None:
                b.ratio("cold snakemake build", cold.wall, single.wall, "single process")
    finally:
        if not args.keep:
            for d in dirs:
                shutil.rmtree(d, ignore_errors=True)
        else:
            print("scratch directories kept:", *dirs)


if __name__ == "__main__":
    main()
