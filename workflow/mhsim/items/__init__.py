"""Chapter-2 (non-instrument) questions of the synthetic survey exports.

Generates incidents, incident frequencies, witnessed events, emotional reactions, safety and
everyday-strain statements, follow-up, need to talk, nearest leader, colleagues and culture, social
resources and interpersonal trust, calibrated to the numbers the report prints
(``config/simulation/<survey>_items.yaml``; format in ``workflow/schemas/simulation_items.schema.yaml``).

Model (docs/methods.md §4.4 "stand-alone item", §4.3 exact finite-sample matching). For a respondent
``j`` and an item with ordered substantive categories ``0..K`` (0 = the "top" category of the
item's ``order``)::

    S_j   = sum_f a_f * Z_fj + sqrt(1 - sum_f a_f^2) * eps_j      latent score (eps ~ N(0, 1))
    Z_f   in {exposure, distress G, latent of an earlier item}     standardised factors
    X_j   = #{b : S_j + delta_b(j) <= tau_b}                        category by boundary
    delta_b(j) = sum_g 1[j in g] * delta_gb                         additive subgroup shifts

The shifts ``delta_gb`` (one per published subgroup level ``g`` and category boundary ``b``) are
calibrated like raking on the probit scale, but on the *realised* latent scores: each level's shift
is set so that its count equals the published percentage, then the thresholds ``tau_b`` are re-solved
so that the total counts equal the largest-remainder integerisation of the total distribution; the
sweep is repeated until the counts stop changing. Totals are therefore exact and every consistent
subgroup percentage is hit up to rounding; inconsistent ones end in a compromise. Multi-select questions are trees of correlated binaries (a hidden
"any incident" node, unions such as "any threat", options nested in them) driven by a shared latent
exposure factor; a node's children are drawn among its ticked respondents, and "at least one child"
is enforced by swaps that keep every count.

Diagnostic groups (chapter 3) are usually not known here; a published share among a diagnostic
group is matched against the respondents in the top ``q`` % of the distress factor ``G`` (``q`` the
published prevalence; :func:`condition_proxies`), or against the groups passed as ``conditions``,
by calibrating the item's loading on ``G``.

Use: ``spec = resolve_item_spec(load_yaml_validated(path, "simulation_items.schema.yaml"),
published)``, then :func:`generate_items` and, on the cleaned responses, :func:`item_calibration`.

Modules: :mod:`.spec` (resolving the spec against the published numbers), :mod:`.raking`
(realised raking of ordered categories), :mod:`.context` (populations, levels, latent scores),
:mod:`.ordinal` and :mod:`.multi` (the two kinds of question), :mod:`.generate` (entry point),
:mod:`.calibration` (the calibration table).
"""

from .calibration import CALIBRATION_COLUMNS, calibration_summary, item_calibration
from .context import condition_proxies, latent_score, level_mask, population_mask
from .generate import generate_items, generated_columns
from .raking import Band, Diff, Raked, cut_for_count, rake_categories
from .spec import ASSUMED, CONDITION, TOTAL, resolve_item_spec

__all__ = [
    "ASSUMED",
    "Band",
    "CALIBRATION_COLUMNS",
    "CONDITION",
    "Diff",
    "Raked",
    "TOTAL",
    "calibration_summary",
    "condition_proxies",
    "cut_for_count",
    "generate_items",
    "generated_columns",
    "item_calibration",
    "latent_score",
    "level_mask",
    "population_mask",
    "rake_categories",
    "resolve_item_spec",
]
