"""Command-line entry point ``mhsurvey`` (also ``python -m mhsurvey``).

``mhsurvey clean --survey current [--config config/config.yaml] [--export PATH] --outdir DIR``
cleans one export outside Snakemake (the ``clean`` rule calls the same functions). The config
may be partial: it is deep-merged over the defaults (``--defaults``, the repository's
``config/config.yaml``) as Snakemake does with ``--configfile``, then validated.

Exit status: 0 on success; 2 on bad input or configuration (one message naming file, row, column
and value; no traceback; no output written); 1 on an internal error (a bug: one message, the
traceback only with ``--debug``).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from .clean import clean_survey, settings_from_config, write_clean_result
from .codebook import load_codebook
from .config import DEFAULT_CONFIG, load_config
from .errors import OutputError, PipelineError

CLEAN_OUTPUTS = {
    "responses": "responses.csv",
    "responses_dict": "responses.dictionary.csv",
    "exclusions": "exclusions.csv",
    "exclusions_dict": "exclusions.dictionary.csv",
    "flags": "flags.csv",
    "flags_dict": "flags.dictionary.csv",
    "summary": "cleaning_summary.json",
    "comments": "restricted/comments.csv",
    "comments_dict": "restricted/comments.dictionary.csv",
}


def _clean(args: argparse.Namespace) -> int:
    config = load_config(args.config, None if args.no_defaults else args.defaults)
    if args.survey not in config["surveys"]:
        raise PipelineError(f"survey {args.survey!r} is not configured in {args.config}")
    scfg = config["surveys"][args.survey]
    export = args.export or scfg["export"]
    codebook = load_codebook(args.codebook or scfg["codebook"])
    result = clean_survey(export, codebook, settings_from_config(config, args.survey))
    outdir = Path(args.outdir)
    try:
        write_clean_result(result, codebook, {k: outdir / v for k, v in CLEAN_OUTPUTS.items()})
    except OSError as exc:  # disk full, permission: all-or-nothing, so nothing was changed
        raise OutputError(
            f"cannot write the outputs to {outdir}: {exc.strerror or exc}; no output was changed"
        ) from exc
    s = result.summary
    print(f"{args.survey}: raw rows {s['raw_rows']}, kept {s['kept']}, excluded {s['excluded']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run a subcommand; return the process exit status."""
    parser = argparse.ArgumentParser(prog="mhsurvey", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("clean", help="clean one survey export")
    p.add_argument("--survey", required=True)
    p.add_argument("--config", default="config/config.yaml")
    p.add_argument("--export", help="override surveys.<survey>.export")
    p.add_argument("--codebook", help="override surveys.<survey>.codebook")
    p.add_argument("--outdir", required=True)
    p.add_argument(
        "--defaults",
        default=str(DEFAULT_CONFIG),
        help="config that --config is merged over (default: the repository's config/config.yaml)",
    )
    p.add_argument("--no-defaults", action="store_true", help="read --config alone (it must be complete)")
    p.add_argument("--debug", action="store_true", help="print the traceback of an internal error")
    args = parser.parse_args(argv)
    try:
        return _clean(args)
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; no output was written", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: say so, never exit 0
        print(
            f"internal error (a bug in mhsurvey, please report it): {type(exc).__name__}: {exc}"
            + ("" if args.debug else " (run with --debug for the traceback)"),
            file=sys.stderr,
        )
        if args.debug:
            traceback.print_exc()
        return 1


if __name__ == "__main__":
    sys.exit(main())
