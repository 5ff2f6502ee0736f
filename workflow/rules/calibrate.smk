# Calibrate: fit the temperature on the calibration split only.


rule temperature:
    input:
        edges_of("calibration"),
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
