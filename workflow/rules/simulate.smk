"""Rules of the synthetic-data generator (package mhsim), included only by workflow/simulate.smk.

See that Snakefile for the commands, inputs and outputs. The analysis (Snakefile) never includes
this file: it reads the committed exports in data/synthetic/ as plain inputs.
"""

SIM_PUBLISHED = ["data/published/ch2_current.csv", "data/published/ch3_former_appendix.csv"]


rule simulate_calibrate:
    wildcard_constraints:
        survey="|".join(SURVEYS),
    input:
        sim_config=simulation_config_path,
        codebook=codebook_path,
        scoring=config["scoring_config"],
        published=SIM_PUBLISHED,
        code=code_inputs("workflow/scripts/simulate_calibrate.py"),
    output:
        model="data/synthetic/{survey}_model.json",
    resources:
        mem_mb=4000,
        runtime=240,
    log:
        "logs/{survey}/simulate_calibrate.log",
    benchmark:
        "logs/benchmarks/{survey}/simulate_calibrate.tsv"
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/simulate_calibrate.py"


rule simulate:
    wildcard_constraints:
        survey="|".join(SURVEYS),  # primary wave only; further waves: rule simulate_wave
    input:
        model="data/synthetic/{survey}_model.json",
        sim_config=simulation_config_path,
        items_spec=simulation_items_path,
        codebook=codebook_path,
        scoring=config["scoring_config"],
        published=SIM_PUBLISHED,
        code=code_inputs("workflow/scripts/simulate.py"),
    output:
        export="data/synthetic/{survey}_export.csv",
        calibration="data/synthetic/{survey}_calibration.csv",
        calibration_dict="data/synthetic/{survey}_calibration.dictionary.csv",
    params:
        cleaning=config["cleaning"],
        survey_cfg=survey_cfg,
    resources:
        mem_mb=4000,
        runtime=60,
    log:
        "logs/{survey}/simulate.log",
    benchmark:
        "logs/benchmarks/{survey}/simulate.tsv"
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/simulate.py"


rule simulate_marker:
    input:
        exports=expand("data/synthetic/{survey}_export.csv", survey=SURVEYS),
        calibration=expand("data/synthetic/{survey}_calibration.csv", survey=SURVEYS),
        sim_config=[config["simulation"][s] for s in SURVEYS],
        codebook=[config["surveys"][s]["codebook"] for s in SURVEYS],
        scoring=config["scoring_config"],
        published=SIM_PUBLISHED,
        code=code_inputs("workflow/scripts/simulate_marker.py"),
    output:
        marker="data/synthetic/synthetic.json",
    params:
        surveys=SURVEYS,
    resources:
        mem_mb=2000,
        runtime=15,
    log:
        "logs/all/simulate_marker.log",
    benchmark:
        "logs/benchmarks/all/simulate_marker.tsv"
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/simulate_marker.py"


# ---- further synthetic waves (config `waves:`, mhsim.waves) ------------------------------------


rule simulate_wave:
    input:
        model="data/synthetic/{kind}_model.json",
        wave_config=wave_sim_config,
        sim_config=lambda wildcards: config["simulation"][wildcards.kind],
        items_spec=lambda wildcards: items_spec_path(config["simulation"][wildcards.kind]),
        codebook=lambda wildcards: config["waves"][wildcards.wave]["surveys"][wildcards.kind]["codebook"],
        scoring=config["scoring_config"],
        published=SIM_PUBLISHED,
        code=code_inputs("workflow/scripts/simulate_wave.py"),
    output:
        export="data/synthetic/waves/{wave}/{kind}_export.csv",
        changes="data/synthetic/waves/{wave}/{kind}_changes.csv",
        changes_dict="data/synthetic/waves/{wave}/{kind}_changes.dictionary.csv",
    wildcard_constraints:
        wave="[0-9a-z_]+",
        kind="[a-z][a-z0-9_]*",
    resources:
        mem_mb=4000,
        runtime=60,
    log:
        "logs/waves/{wave}/{kind}/simulate_wave.log",
    benchmark:
        "logs/benchmarks/waves/{wave}/{kind}/simulate_wave.tsv"
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/simulate_wave.py"


rule simulate_wave_marker:
    input:
        exports=lambda wildcards: expand("data/synthetic/waves/{{wave}}/{kind}_export.csv", kind=SIM_WAVES[wildcards.wave]),
        changes=lambda wildcards: expand("data/synthetic/waves/{{wave}}/{kind}_changes.csv", kind=SIM_WAVES[wildcards.wave]),
        wave_config=lambda wildcards: [config["waves"][wildcards.wave]["simulation"][k] for k in SIM_WAVES[wildcards.wave]],
        sim_config=lambda wildcards: [config["simulation"][k] for k in SIM_WAVES[wildcards.wave]],
        codebook=lambda wildcards: [config["waves"][wildcards.wave]["surveys"][k]["codebook"] for k in SIM_WAVES[wildcards.wave]],
        scoring=config["scoring_config"],
        published=SIM_PUBLISHED,
        code=code_inputs("workflow/scripts/simulate_wave_marker.py"),
    output:
        marker="data/synthetic/waves/{wave}/synthetic.json",
    params:
        kinds=lambda wildcards: SIM_WAVES[wildcards.wave],
    wildcard_constraints:
        wave="[0-9a-z_]+",
    resources:
        mem_mb=2000,
        runtime=15,
    log:
        "logs/waves/{wave}/simulate_wave_marker.log",
    benchmark:
        "logs/benchmarks/waves/{wave}/simulate_wave_marker.tsv"
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/simulate_wave_marker.py"


rule simulate_all:
    default_target: True
    input:
        rules.simulate_marker.output.marker,
        expand("data/synthetic/{survey}_calibration.csv", survey=SURVEYS),
        expand("data/synthetic/waves/{wave}/synthetic.json", wave=sorted(SIM_WAVES)),
