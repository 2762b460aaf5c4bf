"""Provenance: results/manifest.json, written after every other default target.

REQUIRED INPUTS   every default target (results, figures, reports) and every input file of the
                  workflow (exports, codebooks, config, templates, published numbers, code)
OUTPUT            results/manifest.json  sha256 + producing rule/script of every file, resolved
                                         config, package versions, git commit; no timestamps
"""

rule manifest:
    input:
        produced=lambda wildcards: [t for t in final_targets() if t != "results/manifest.json"],
        lock=str(REPO_ROOT / "requirements.lock"),
        code=code_inputs("workflow/scripts/manifest.py"),
    output:
        manifest=report("results/manifest.json", caption="../report/manifest.rst", category="Provenance"),
    params:
        inputs=manifest_inputs(),
        rules=manifest_rules(),
        repo=lambda wildcards, input: str(Path(input.lock).parent),
        commit=git_commit_of(REPO_ROOT),
    resources:
        mem_mb=1000,
        runtime=15,
    log:
        "logs/manifest.log",
    benchmark:
        "logs/benchmarks/manifest.tsv"
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/manifest.py"
