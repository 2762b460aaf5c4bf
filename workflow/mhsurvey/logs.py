"""Logging set-up shared by every workflow script.

A :class:`~mhsurvey.errors.PipelineError` that reaches the top of a script (bad input or
configuration) is logged as its one-line message, without a traceback, and the script exits with
status ``EXIT_BAD_INPUT`` (2); Snakemake then removes the job's outputs. Any other exception is a
bug and is logged with its traceback.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

from .errors import PipelineError

EXIT_BAD_INPUT = 2


def setup_logging(smk: Any | None = None, log_path: str | Path | None = None) -> logging.Logger:
    """Log to the rule's ``log:`` file (if any) and to stderr; log uncaught exceptions.

    ``smk`` is the ``snakemake`` object of a script (its first ``log`` entry is used);
    ``log_path`` overrides it. Returns the ``mhsurvey`` logger.
    """
    path = log_path
    if path is None and smk is not None and len(smk.log) > 0:
        path = smk.log[0]
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(path, mode="w", encoding="utf-8"))
    logging.basicConfig(
        level=logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    logger = logging.getLogger("mhsurvey")

    def _excepthook(exc_type, exc, tb):  # type: ignore[no-untyped-def]
        if isinstance(exc, PipelineError):
            # bad input or configuration: one line naming file, row, column and value, exit 2
            logger.error("%s", exc)
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(EXIT_BAD_INPUT)
        logger.error("uncaught exception", exc_info=(exc_type, exc, tb))

    sys.excepthook = _excepthook
    return logger
