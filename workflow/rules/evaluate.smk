# Evaluate: calibration (ECE) and usefulness (sparsification), raw and +TS.


rule metrics:
    input:
        edges=edges_of("evaluation"),
        truth=lambda wc: [
            f"results/prepared/{wc.dataset}/{seq}/step{wc.step}/truth.parquet"
            for seq in dict.fromkeys(
                p["seq"] for p in cfg.parts(dataset_config(wc), "evaluation")
            )
        ],
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
    script:
        "../scripts/metrics.py"
