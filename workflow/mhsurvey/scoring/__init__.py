"""Instrument scoring (stage 02): sums, classifications under named rules, sensitivity table.

Public API (also used by the synthetic-data stage):

- :func:`load_scoring_rules` - read and validate ``config/scoring.yaml``;
- :func:`score_responses` - the ``scores.csv`` table from ``responses.csv`` and the codebook;
- :func:`sensitivity_table` - prevalence under every rule variant and impairment option;
- :func:`levels_table` - Norwegian and English labels of the named levels of derived columns;
- :func:`scores_docs` / :func:`sensitivity_docs` / :func:`levels_docs` - their data dictionaries.

Rules, defaults and the missing-data policy are documented for reviewers in ``docs/scoring.md``.
"""

from .rules import check_rules, load_scoring_rules, validate_rules
from .tables import (
    LEVEL_COLUMNS,
    levels_docs,
    levels_table,
    score_responses,
    scores_docs,
    sensitivity_docs,
    sensitivity_table,
)

__all__ = [
    "LEVEL_COLUMNS",
    "check_rules",
    "levels_docs",
    "levels_table",
    "load_scoring_rules",
    "score_responses",
    "scores_docs",
    "sensitivity_docs",
    "sensitivity_table",
    "validate_rules",
]
