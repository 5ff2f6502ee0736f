# Track: resolve each tracker's cost scale, then link probabilities per method.


rule scale:
    input:
        detections=lambda wc: [
            f"results/prepared/{wc.dataset}/{p['seq']}/detections.parquet"
            for p in cfg.parts(dataset_config(wc), "calibration")
        ],
        links=lambda wc: [
            f"results/prepared/{wc.dataset}/{p['seq']}/step1/truth.parquet"
            for p in cfg.parts(dataset_config(wc), "calibration")
        ],
    output:
        "results/params/{dataset}/{tracker}.json",
    log:
        "logs/scale/{dataset}/{tracker}.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        tracker=lambda wc: config["trackers"][wc.tracker],
        parts=lambda wc: cfg.parts(dataset_config(wc), "calibration"),
    script:
        "../scripts/scale.py"


rule edges:
    input:
        detections=rules.prepare.output.detections,
        links=rules.truth.output.links,
        tracker=rules.scale.output[0],
    output:
        edges="results/edges/{dataset}/{seq}/step{step}/{tracker}/{method}/edges.parquet",
        timings="results/edges/{dataset}/{seq}/step{step}/{tracker}/{method}/timings.tsv",
    log:
        "logs/edges/{dataset}/{seq}/step{step}/{tracker}/{method}.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        seed=config["seed"],
        samples=config["samples"],
        topk=config["topk"],
        asf_slack=config["asf_slack"],
        max_daughters=config["max_daughters"],
    script:
        "../scripts/edges.py"
