"""Rule `reliability`: alpha, CIs, omega and item statistics per scale (logic in mhsurvey.reliability)."""

from threadpoolctl import threadpool_limits

from mhsurvey.codebook import load_codebook
from mhsurvey.dictionary import write_dictionary
from mhsurvey.io import read_responses, write_csv
from mhsurvey.logs import setup_logging
from mhsurvey.reliability import (
    item_statistics_docs,
    item_statistics_table,
    reliability_docs,
    reliability_table,
)
from mhsurvey.scoring import load_scoring_rules

log = setup_logging(snakemake)
responses = read_responses(snakemake.input.responses)
codebook = load_codebook(snakemake.input.codebook)
rules = load_scoring_rules(snakemake.input.rules)

# The job's threads go to the scales' bootstrap workers; BLAS stays on one thread in each, or its
# idle threads keep spinning on cores the job was not given (docs/cluster.md).
with threadpool_limits(limits=1, user_api="blas"):
    table = reliability_table(responses, codebook, rules, workers=snakemake.threads)
write_csv(table, snakemake.output.reliability)
write_dictionary(reliability_docs(rules), snakemake.output.reliability_dict, table)

items = item_statistics_table(responses, codebook, rules)
write_csv(items, snakemake.output.item_stats)
write_dictionary(item_statistics_docs(), snakemake.output.item_stats_dict, items)
