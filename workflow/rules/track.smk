# Track: train or fetch the association models transformer trackers use, resolve each
# tracker's `auto` parameters, then link probabilities of every
# method (one job per sequence, step and tracker: the methods share its reads and costs).
# Tracking reads no ground truth except the fit's step-1 calibration links.


rule model:
    input:
        detections=per_part(
            "calibration", "results/prepared/{dataset}/{seq}/detections.parquet"
        ),
        tracks=per_part(
            "calibration", "results/prepared/{dataset}/{seq}/tracks.parquet"
        ),
    output:
        directory("results/models/{dataset}/{model}"),
    benchmark:
        "results/benchmarks/model/{dataset}/{model}.tsv"
    log:
        "logs/model/{dataset}/{model}.log",
    conda:
        "../../envs/transformer.yaml"
    threads: 1  # fixed: torch's result depends on its thread count
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        spec=lambda wc: config["models"][wc.model],
        parts=lambda wc: cfg.parts(dataset_config(wc), "calibration"),
        steps=lambda wc: cfg.steps(config, wc.dataset),
        seed=config["seed"],
    script:
        "../scripts/model.py"


rule fit:
    input:
        detections=per_part(
            "calibration", "results/prepared/{dataset}/{seq}/detections.parquet"
        ),
        links=per_part(
            "calibration", "results/prepared/{dataset}/{seq}/step1/truth.parquet"
        ),
        model=model_of,
    output:
        directory("results/trackers/{dataset}/{tracker}"),
    benchmark:
        "results/benchmarks/fit/{dataset}/{tracker}.tsv"
    log:
        "logs/fit/{dataset}/{tracker}.log",
    conda:
        "../../envs/transformer.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        tracker=lambda wc: tracker_config(wc.tracker, wc.dataset),
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
        edges=expand(
            "results/edges/{{dataset}}/{{seq}}/step{{step}}/{{tracker}}/{method}/edges.parquet",
            method=METHODS,
        ),
        timings=expand(
            "results/edges/{{dataset}}/{{seq}}/step{{step}}/{{tracker}}/{method}/timings.tsv",
            method=METHODS,
        ),
    benchmark:
        "results/benchmarks/edges/{dataset}/{seq}/step{step}/{tracker}.tsv"
    log:
        "logs/edges/{dataset}/{seq}/step{step}/{tracker}.log",
    conda:
        "../../envs/transformer.yaml"
    threads: 1  # also torch's threads for a transformer (Snakemake lowers it to --cores)
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        tracker=calibrated_tracker_config,
        data=lambda wc: sequence_data(wc.dataset, wc.seq),
        methods=METHODS,
        seed=config["seed"],
        samples=config["samples"],
        topk=config["topk"],
        asf_slack=config["asf_slack"],
        max_daughters=config["max_daughters"],
        map_solver=config["map_solver"],
        time_limit=config["time_limit"],
    script:
        "../scripts/edges.py"
