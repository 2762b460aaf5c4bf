"""Rule manifest: sha256 of every input, intermediate and output -> results/manifest.json."""

from mhsurvey.io import write_json
from mhsurvey.logs import setup_logging
from mhsurvey.provenance import RuleOutputs, build_manifest, git_state, package_versions, produced_files

log = setup_logging(snakemake)
rules = [RuleOutputs(r["rule"], r["script"], tuple(r["patterns"])) for r in snakemake.params.rules]
manifest = build_manifest(
    inputs=snakemake.params.inputs,
    produced=produced_files(["results", "reports"], exclude=[snakemake.output.manifest, "reports/templates"]),
    rules=rules,
    config=snakemake.config,
    versions=package_versions(snakemake.input.lock),
    git=git_state(snakemake.params.repo),
)
write_json(manifest, snakemake.output.manifest)
log.info("manifest: %d files, commit %s", len(manifest["files"]), manifest["git"]["commit"])
