"""Synthetic raw exports calibrated to the published report (run on demand, not part of `all`).

    snakemake --cores 2 simulate_all                          # regenerate what is out of date
    snakemake --cores 2 simulate_all --forcerun simulate      # regenerate the exports from the models
    snakemake --cores 2 simulate_all --forcerun simulate_calibrate   # re-solve the models too

REQUIRED INPUTS
    simulation.<survey>                  config/simulation/<survey>.yaml (targets, seed, quirks)
    config/simulation/<survey>_items.yaml  chapter-2 spec (items_spec of the simulation config)
    surveys.<survey>.codebook            codebook YAML
    scoring_config                       config/scoring.yaml (the report rules the model is calibrated to)
    data/published/*.csv                 the published numbers (calibration targets)
OUTPUTS (data/synthetic/)
    <survey>_model.json                  calibrated model parameters (rule simulate_calibrate, slow)
    <survey>_export.csv                  raw export, written by rule simulate as a documented side
                                         effect: it is the committed input of rule `clean`, and
                                         declaring it as an output would let the default build
                                         regenerate committed data whenever a config file is newer
    <survey>_calibration.csv (+ .dictionary.csv)  every target: published vs generated after the
                                         pipeline's own cleaning and scoring, tolerance, within
    synthetic.json                       the "Syntetiske data" marker with the quirk counts
"""

SIM_PUBLISHED = ["data/published/ch2_current.csv", "data/published/ch3_former_appendix.csv"]


rule simulate_calibrate:
    input:
        sim_config=simulation_config_path,
        codebook=codebook_path,
        scoring=config["scoring_config"],
        published=SIM_PUBLISHED,
    output:
        model="data/synthetic/{survey}_model.json",
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
        items_spec="config/simulation/{survey}_items.yaml",
        codebook=codebook_path,
        scoring=config["scoring_config"],
        published=SIM_PUBLISHED,
    output:
        calibration="data/synthetic/{survey}_calibration.csv",
        calibration_dict="data/synthetic/{survey}_calibration.dictionary.csv",
    params:
        export="data/synthetic/{survey}_export.csv",
        cleaning=config["cleaning"],
        survey_cfg=survey_cfg,
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
        calibration=expand("data/synthetic/{survey}_calibration.csv", survey=SURVEYS),
        sim_config=[config["simulation"][s] for s in SURVEYS],
        codebook=[config["surveys"][s]["codebook"] for s in SURVEYS],
        scoring=config["scoring_config"],
        published=SIM_PUBLISHED,
    output:
        marker="data/synthetic/synthetic.json",
    params:
        surveys=SURVEYS,
        exports=expand("data/synthetic/{survey}_export.csv", survey=SURVEYS),
    log:
        "logs/all/simulate_marker.log",
    benchmark:
        "logs/benchmarks/all/simulate_marker.tsv"
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/simulate_marker.py"


rule simulate_all:
    input:
        rules.simulate_marker.output.marker,
        expand("data/synthetic/{survey}_calibration.csv", survey=SURVEYS),
