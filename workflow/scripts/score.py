"""Rule `score`: score the instruments of one survey (logic in mhsurvey.scoring)."""

from mhsurvey.codebook import load_codebook
from mhsurvey.dictionary import write_dictionary
from mhsurvey.io import read_responses, write_csv
from mhsurvey.logs import setup_logging
from mhsurvey.scoring import (
    levels_docs,
    levels_table,
    load_scoring_rules,
    score_responses,
    scores_docs,
    sensitivity_docs,
    sensitivity_table,
)

log = setup_logging(snakemake)
responses = read_responses(snakemake.input.responses)
codebook = load_codebook(snakemake.input.codebook)
rules = load_scoring_rules(snakemake.input.rules)
log.info("scoring %d respondents (missing-data policy %s)", len(responses), rules["missing"]["policy"])

scores = score_responses(responses, codebook, rules)
write_csv(scores, snakemake.output.scores)
write_dictionary(scores_docs(rules, list(scores.columns)), snakemake.output.scores_dict, scores)

levels = levels_table(rules, list(scores.columns))
write_csv(levels, snakemake.output.levels)
write_dictionary(levels_docs(), snakemake.output.levels_dict, levels)

sensitivity = sensitivity_table(responses, codebook, rules)
write_csv(sensitivity, snakemake.output.sensitivity)
write_dictionary(sensitivity_docs(), snakemake.output.sensitivity_dict, sensitivity)
for row in sensitivity[sensitivity["headline"] == 1].itertuples():
    log.info(
        "%s %s: %.3f (n=%d, undetermined %d)",
        row.classification,
        row.level,
        row.prevalence,
        row.n_determined,
        row.n_undetermined,
    )
