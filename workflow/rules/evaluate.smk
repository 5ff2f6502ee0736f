# Evaluate: calibration (ECE) and usefulness (sparsification), raw and +TS.


rule metrics:
    input:
        edges=edges_of("evaluation"),
        truth=per_sequence(
            "evaluation", "results/prepared/{dataset}/{seq}/step{step}/truth.parquet"
        ),
        temperature=rules.temperature.output[0],
    output:
        "results/metrics/{dataset}/step{step}/{tracker}/{method}.nc",
    log:
        "logs/metrics/{dataset}/step{step}/{tracker}/{method}.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        parts=lambda wc: cfg.parts(dataset_config(wc), "evaluation"),
        max_daughters=config["max_daughters"],
        seed=config["seed"],
        bootstrap=config["bootstrap"],
    script:
        "../scripts/metrics.py"
