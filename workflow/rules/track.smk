# Track: resolve each tracker's `auto` parameters, then link probabilities per method.
# Tracking reads no ground truth except the fit's step-1 calibration links.


rule fit:
    input:
        detections=per_part(
            "calibration", "results/prepared/{dataset}/{seq}/detections.parquet"
        ),
        links=per_part(
            "calibration", "results/prepared/{dataset}/{seq}/step1/truth.parquet"
        ),
    output:
        directory("results/trackers/{dataset}/{tracker}"),
    log:
        "logs/fit/{dataset}/{tracker}.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        tracker=lambda wc: tracker_config(wc.tracker),
        parts=lambda wc: cfg.parts(dataset_config(wc), "calibration"),
        data=lambda wc: [
            sequence_data(wc.dataset, p["seq"])
            for p in cfg.parts(dataset_config(wc), "calibration")
        ],
        seed=config["seed"],
    script:
        "../scripts/fit.py"


rule edges:
    input:
        detections=rules.prepare.output.detections,
        stats=rules.prepare.output.stats,
        tracker=fitted_tracker,
        data=raw_input,
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
        tracker=lambda wc: tracker_config(wc.tracker),
        data=lambda wc: sequence_data(wc.dataset, wc.seq),
        seed=config["seed"],
        samples=config["samples"],
        topk=config["topk"],
        asf_slack=config["asf_slack"],
        max_daughters=config["max_daughters"],
    script:
        "../scripts/edges.py"
