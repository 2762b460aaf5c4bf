"""Rules of the synthetic-data generator (package mhsim), included only by workflow/simulate.smk.

See that Snakefile for the commands, inputs and outputs. The analysis (Snakefile) never includes
this file: it reads the committed exports in data/synthetic/ as plain inputs.
"""

SIM_PUBLISHED = ["data/published/ch2_current.csv", "data/published/ch3_former_appendix.csv"]


rule simulate_calibrate:
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


rule simulate_all:
    default_target: True
    input:
        rules.simulate_marker.output.marker,
        expand("data/synthetic/{survey}_calibration.csv", survey=SURVEYS),
