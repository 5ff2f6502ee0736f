# Calibrate and evaluate: per dataset, step and tracker, each method's temperature is
# fitted on the calibration split only, then ECE and sparsification are measured on the
# evaluation split, raw and +TS. One job for all methods: they share its reads.


rule evaluate:
    input:
        calibration=edges_of("calibration"),
        calibration_truth=per_sequence(
            "calibration", "results/prepared/{dataset}/{seq}/step{step}/truth.parquet"
        ),
        calibration_truth_parts=per_part(
            "calibration", "results/prepared/{dataset}/{seq}/step{step}/truth.parquet"
        ),
        calibration_detections=per_part(
            "calibration", "results/prepared/{dataset}/{seq}/detections.parquet"
        ),
        evaluation=edges_of("evaluation"),
        evaluation_truth=per_sequence(
            "evaluation", "results/prepared/{dataset}/{seq}/step{step}/truth.parquet"
        ),
        timings=timings_of_dataset,
    output:
        temperature=expand(
            "results/temperature/{{dataset}}/step{{step}}/{{tracker}}/{method}.json",
            method=METHODS,
        ),
        metrics=expand(
            "results/metrics/{{dataset}}/step{{step}}/{{tracker}}/{method}.nc",
            method=METHODS,
        ),
    log:
        "logs/evaluate/{dataset}/step{step}/{tracker}.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        methods=METHODS,
        calibration=lambda wc: cfg.parts(dataset_config(wc), "calibration"),
        evaluation=lambda wc: cfg.parts(dataset_config(wc), "evaluation"),
        fit_on=config["ts_fit"],
        max_daughters=config["max_daughters"],
        seed=config["seed"],
        bootstrap=config["bootstrap"],
    script:
        "../scripts/evaluate.py"
