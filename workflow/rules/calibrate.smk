# Calibrate: fit the temperature on the calibration split only.


rule temperature:
    input:
        edges=edges_of("calibration"),
        truth=per_sequence(
            "calibration", "results/prepared/{dataset}/{seq}/step{step}/truth.parquet"
        ),
        truth_parts=per_part(
            "calibration", "results/prepared/{dataset}/{seq}/step{step}/truth.parquet"
        ),
        detections=per_part(
            "calibration", "results/prepared/{dataset}/{seq}/detections.parquet"
        ),
    output:
        "results/temperature/{dataset}/step{step}/{tracker}/{method}.json",
    log:
        "logs/temperature/{dataset}/step{step}/{tracker}/{method}.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        parts=lambda wc: cfg.parts(dataset_config(wc), "calibration"),
        fit_on=config["ts_fit"],
    script:
        "../scripts/temperature.py"
