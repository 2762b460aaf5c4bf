"""Stage 04: unweighted survey estimates (count, base, share, margin of error, Wilson interval).

Every non-text column of the codebook and every configured classification of ``scores.csv`` is
turned into an :class:`Outcome`: a variable whose answers fall into the cells of a table (its
``table_values``) and whose reported categories are single codes or merged code sets ("Helt eller
delvis enig" = codes 1, 2). Methods (``docs/methods.md`` §1):

* base n = respondents who were **asked** the question (its routing holds) and answered it;
  non-substantive answers ("Vet ikke", "Ønsker ikke svare") stay in the base by default, as in the
  report (its printed shares of e.g. the follow-up question sum to 90 %, the rest is "Vet ikke");
* multi-select options are shares of the respondents who answered the question (not of ticks);
* ``moe_report`` = report_z · √(p(1 − p)/n) with the report's z = 2 (Vedlegg 3, see
  :mod:`mhsurvey.margins`), ``moe`` the same at z = Φ⁻¹(1 − α/2) for the configured confidence;
* Wilson score interval via ``statsmodels.stats.proportion.proportion_confint(method="wilson")``.

All values are unrounded; display rounding belongs to :func:`mhsurvey.rounding.round_half_up`.

Module layout of stage 04 (imports point downward only; ``tests/test_import_graph.py``):

* leaves: :mod:`~mhsurvey.margins` (Wald margins, Vedlegg 3), :mod:`~mhsurvey.inference` (pure
  test and interval functions), :mod:`~mhsurvey.suppression` (cell suppression),
  :mod:`~mhsurvey.estimate_settings` (parsed ``config/estimates.yaml``);
* :mod:`~mhsurvey.outcomes` (outcomes and categories from codebook and classifications);
* :mod:`~mhsurvey.counts` (survey data as strings, cells, total counts);
* :mod:`~mhsurvey.reference` (SSB comparison) and :mod:`~mhsurvey.subgroups` (breakdowns, tests);
* this module: the estimates table, its dictionary and :func:`run_stage`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .codebook import Codebook
from .counts import OutcomeTotals, SurveyData, cell_index, outcome_totals, read_scores
from .dictionary import ColumnDoc, docs_from_mapping
from .errors import PipelineError
from .estimate_settings import (
    BreakdownSpec,
    ClassificationSpec,
    EstimateSettings,
    Level,
    MarginsSettings,
    MergeRule,
    ReferenceLink,
    SuppressionSettings,
    load_settings,
    settings_from_dict,
)
from .inference import proportion_stats
from .level_labels import DerivedLabels, derived_labels, read_levels
from .margins import margins_docs, margins_table
from .outcomes import (
    Category,
    Outcome,
    category_matrix,
    classification_outcomes,
    codebook_outcomes,
    column_outcome,
    outcome_key,
    value_sort_key,
)
from .reference import attach_reference
from .subgroups import check_subgroup_table, resolve_breakdowns, subgroup_docs, subgroup_tests

# Re-exported for callers that import them from here (the stage's historical single module).
__all__ = [
    "BreakdownSpec",
    "Category",
    "ClassificationSpec",
    "DerivedLabels",
    "ESTIMATE_COLUMNS",
    "EstimateSettings",
    "Level",
    "MarginsSettings",
    "MergeRule",
    "Outcome",
    "OutcomeTotals",
    "ReferenceLink",
    "StageOutputs",
    "SuppressionSettings",
    "SurveyData",
    "category_matrix",
    "cell_index",
    "classification_outcomes",
    "codebook_outcomes",
    "column_outcome",
    "estimates_docs",
    "estimates_table",
    "load_settings",
    "not_estimable_reason",
    "outcome_key",
    "outcome_totals",
    "proportion_stats",
    "read_levels",
    "read_scores",
    "run_stage",
    "mark_estimable",
    "ESTIMABLE_COLUMNS",
    "settings_from_dict",
    "value_sort_key",
]

log = logging.getLogger("mhsurvey.estimates")


ESTIMATE_COLUMNS = (
    "survey",
    "source",
    "variable",
    "question_id",
    "item_id",
    "qtype",
    "measure",
    "label_no",
    "label_en",
    "category",
    "category_label_no",
    "category_label_en",
    "category_kind",
    "nonsubstantive",
    "routing",
    "n_asked",
    "base_n",
    "count",
    "pct",
    "moe_report",
    "moe",
    "wilson_low",
    "wilson_high",
    "suppressed",
)


def estimates_table(
    data: SurveyData, outcomes: Sequence[Outcome], settings: EstimateSettings, survey: str
) -> tuple[pd.DataFrame, dict[str, OutcomeTotals]]:
    """The tidy ``estimates.csv`` (one row per outcome × category) and the totals per variable key.

    Suppressed rows keep ``base_n`` but have empty count, share and intervals.
    """
    rows: list[dict[str, Any]] = []
    totals: dict[str, OutcomeTotals] = {}
    for o in outcomes:
        cells = cell_index(data, o)
        t = outcome_totals(data, o, cells, settings)
        totals[outcome_key(o)] = t
        stats = proportion_stats(
            t.category_counts,
            np.full(len(o.categories), t.base_n),
            settings.report_z,
            settings.confidence_level,
        )
        for j, cat in enumerate(o.categories):
            row = {
                "survey": survey,
                "source": o.source,
                "variable": o.variable,
                "question_id": o.question_id,
                "item_id": o.item_id,
                "qtype": o.qtype,
                "measure": o.measure,
                "label_no": o.label_no,
                "label_en": o.label_en,
                "category": cat.key,
                "category_label_no": cat.label_no,
                "category_label_en": cat.label_en,
                "category_kind": cat.kind,
                "nonsubstantive": int(cat.nonsubstantive),
                "routing": o.routing,
                "n_asked": t.n_asked,
                "base_n": t.base_n,
                "count": int(t.category_counts[j]),
                **{k: float(v[j]) for k, v in stats.items()},
                "suppressed": int(t.suppressed[j]),
            }
            if t.suppressed[j]:
                for k in ("count", *stats):
                    row[k] = np.nan
            rows.append(row)
    df = pd.DataFrame(rows, columns=list(ESTIMATE_COLUMNS))
    df["count"] = df["count"].astype("Int64")
    return df, totals


ESTIMABLE_COLUMNS = ("estimable", "reason")


def not_estimable_reason(source: str, n_asked: int, base_n: int) -> str:
    """Why an outcome has no estimate (``""`` = it has one, base n > 0).

    ``no_one_asked``: the routing selects nobody; ``no_valid_answers``: asked, but no respondent
    gave an answer in the table (e.g. an instrument nobody answered); ``undetermined``: a
    classification of ``scores.csv`` that is empty for everyone.
    """
    if base_n > 0:
        return ""
    if n_asked == 0:
        return "no_one_asked"
    return "undetermined" if source == "scores" else "no_valid_answers"


def mark_estimable(est: pd.DataFrame, survey: str = "") -> pd.DataFrame:
    """Add ``estimable`` (1/0) and ``reason`` (:func:`not_estimable_reason`) as the last columns; log the gaps.

    An outcome without estimate stays in the table (n = 0, empty shares) so that one empty
    instrument does not stop the other estimates.
    """
    out = est.copy()
    reasons = [
        not_estimable_reason(s, int(a), int(b))
        for s, a, b in zip(out["source"], out["n_asked"], out["base_n"], strict=True)
    ]
    out["estimable"] = pd.array([int(r == "") for r in reasons], dtype="Int64")
    out["reason"] = reasons
    gaps = out[out["reason"] != ""].drop_duplicates("variable")
    for reason, group in gaps.groupby("reason", sort=True):
        log.warning(
            "%s: %d outcome(s) not estimable (%s): %s",
            survey,
            len(group),
            reason,
            ", ".join(group["variable"].astype(str)),
        )
    return out


# --------------------------------------------------------------------------- dictionary and stage


def estimates_docs(settings: EstimateSettings) -> list[ColumnDoc]:
    """Data dictionary of ``estimates.csv`` (including the population comparison columns)."""
    z = settings.z
    return docs_from_mapping(
        {
            "survey": ("string", "survey key ({survey} wildcard)"),
            "source": (
                "string",
                "where the variable comes from",
                "responses = 01_clean/responses.csv; scores = 02_scores/scores.csv",
            ),
            "variable": ("string", "canonical column (responses) or classification column (scores)"),
            "question_id": ("string", "codebook question id (classification column for scores)"),
            "item_id": ("string", "grid item / multi option id; empty for single questions"),
            "qtype": ("string", "question type", "single, multi, grid, scale, numeric, classification"),
            "measure": ("string", "link to `measure` in data/published/*.csv (codebook)"),
            "label_no": (
                "string",
                "Norwegian label of the variable (item / option label for grids and multi)",
            ),
            "label_en": ("string", "English label of the variable"),
            "category": (
                "string",
                "category key: the code, the merged-category id, '1' = ticked / case, or the class level",
            ),
            "category_label_no": ("string", "Norwegian label of the category"),
            "category_label_en": ("string", "English label of the category"),
            "category_kind": (
                "string",
                "what the category is",
                "code; merged (sum of codes, config "
                "merged_categories); ticked (multi-select option); level (classification)",
            ),
            "nonsubstantive": (
                "integer (boolean)",
                "1 if the code is non-substantive (Vet ikke, Ønsker ikke svare ...)",
            ),
            "routing": ("string", "routing expression of the question (empty = asked of all)"),
            "n_asked": ("integer", "respondents for whom the routing holds (all respondents if no routing)"),
            "base_n": (
                "integer",
                "percentage base: asked and answered"
                + (
                    " (non-substantive answers included)"
                    if settings.include_nonsubstantive
                    else " (non-substantive answers excluded)"
                )
                + "; multi-select: respondents who answered the question",
            ),
            "count": ("integer", "respondents in the category; empty if suppressed"),
            "pct": ("float", "100 * count / base_n (unrounded)"),
            "moe_report": (
                "float",
                f"margin of error in points, report style: 100 * {settings.report_z:g} * "
                "sqrt(p(1-p)/base_n) (Wald, z from config report_z; Vedlegg 3)",
            ),
            "moe": (
                "float",
                f"margin of error in points at confidence {settings.confidence_level:g}: "
                f"100 * {z:.6f} * sqrt(p(1-p)/base_n) (Wald)",
            ),
            "wilson_low": (
                "float",
                f"lower Wilson score bound in percent ({settings.confidence_level:g}), "
                "statsmodels proportion_confint(method='wilson')",
            ),
            "wilson_high": ("float", "upper Wilson score bound in percent"),
            "suppressed": (
                "integer (boolean)",
                "1 if the count is hidden by small-cell suppression "
                f"(enabled: {str(settings.suppression.enabled).lower()})",
            ),
            "ref_id": ("string", "population reference value compared with (data/reference/ssb.csv)"),
            "ref_available": (
                "integer (boolean)",
                "1 if the reference value is published, 0 if not available",
            ),
            "ref_pct": ("float", "population percentage"),
            "ref_year": ("string", "year of the population survey"),
            "ref_survey": ("string", "population survey (SSB)"),
            "ref_diff_pp": ("float", "pct - ref_pct, in points"),
            "ref_z": ("float", "one-sample score z of pct against the fixed ref_pct"),
            "ref_p_value": ("float", "two-sided p-value of ref_z"),
            "estimable": (
                "integer (boolean)",
                "1 if the outcome has an estimate (base_n > 0); 0 = not estimable, shown with empty shares",
            ),
            "reason": (
                "string",
                "why the outcome is not estimable; empty if estimable",
                "no_one_asked = the routing selects nobody; no_valid_answers = asked, but nobody answered "
                "(e.g. an instrument without any valid answer); undetermined = classification empty for everyone",
            ),
        }
    )


@dataclass(frozen=True)
class StageOutputs:
    """The three tables of stage 04 and their dictionaries."""

    estimates: pd.DataFrame
    estimates_docs: list[ColumnDoc]
    subgroup_tests: pd.DataFrame
    subgroup_docs: list[ColumnDoc]
    margins: pd.DataFrame
    margins_docs: list[ColumnDoc]


def run_stage(
    responses: pd.DataFrame,
    scores: pd.DataFrame | None,
    codebook: Codebook,
    settings: EstimateSettings,
    reference: pd.DataFrame,
    survey: str,
    levels: pd.DataFrame | None = None,
) -> StageOutputs:
    """Compute ``estimates.csv``, ``subgroup_tests.csv`` and ``margins_table.csv`` for one survey.

    ``levels`` is stage 02's level table (``02_scores/levels.csv``, :func:`read_levels`): the
    labels of derived levels (bands, groups, condition status); without it levels are labelled by
    their values.
    """
    labels = derived_labels(levels)
    data = SurveyData(responses, scores, codebook)
    outcomes = codebook_outcomes(codebook, settings)
    if scores is not None:
        outcomes += classification_outcomes(
            settings.classifications, data.scores_str, survey, labels.values["no"], labels.values["en"]
        )
    est, totals = estimates_table(data, outcomes, settings, survey)
    est = mark_estimable(attach_reference(est, reference, settings.references), survey)
    breakdowns = resolve_breakdowns(codebook, data, settings, survey, labels)
    sub = subgroup_tests(data, outcomes, breakdowns, totals, settings, survey)
    problems = check_subgroup_table(sub, outcomes, breakdowns, settings.min_n)
    if problems:
        raise PipelineError(f"{survey}: subgroup table incomplete: " + "; ".join(problems[:10]))
    small = sub[sub["small_n"] == 1].drop_duplicates(["breakdown", "level"])
    for b_id, group in small.groupby("breakdown", sort=False):
        log.info(
            "%s: levels of %s with n < %d for some outcome: %s",
            survey,
            b_id,
            settings.min_n,
            ", ".join(group["level_label_no"].astype(str)),
        )
    empty = sub[sub["withheld"] == "n_zero"].drop_duplicates(["breakdown", "level"])
    for b_id, group in empty.groupby("breakdown", sort=False):
        log.info(
            "%s: levels of %s with n = 0 for some outcome (shown, not tested): %s",
            survey,
            b_id,
            ", ".join(group["level_label_no"].astype(str)),
        )
    counts = sub["withheld"].value_counts()
    log.info(
        "%s: subgroup tests withheld: %s",
        survey,
        ", ".join(f"{k or 'tested'} {v}" for k, v in sorted(counts.items())),
    )
    chi = sub.drop_duplicates(["source", "variable", "category", "breakdown"])["chi2_withheld"].value_counts()
    log.info(
        "%s: omnibus chi-squares per table: %s",
        survey,
        ", ".join(f"{k or 'reported'} {v}" for k, v in sorted(chi.items())),
    )
    margins = margins_table(
        settings.margins.n,
        settings.margins.p,
        {"report": settings.report_z, f"confidence_{settings.confidence_level:g}": settings.z},
        survey=survey,
        report_row_n=settings.margins.report_row_n.get(survey),
        survey_n=data.n,
        decimals=settings.margins.decimals,
    )
    log.info(
        "%s: %d outcomes, %d estimate rows, %d breakdowns, %d subgroup rows (%d significant)",
        survey,
        len(outcomes),
        len(est),
        len(breakdowns),
        len(sub),
        int(sub["significant"].sum()),
    )
    return StageOutputs(est, estimates_docs(settings), sub, subgroup_docs(settings), margins, margins_docs())
