# Track: train or fetch the association models transformer trackers use, resolve each
# tracker's `auto` parameters, then link probabilities of every
# method (one job per sequence, step and tracker: the methods share its reads and costs).
# Tracking reads no ground truth except the fit's step-1 calibration links.


rule model:
    input:
        detections=per_part("calibration", DETECTIONS),
        tracks=per_part("calibration", TRACKS),
    output:
        directory(MODEL),
    benchmark:
        benchmark("model", "{dataset}/{model}")
    log:
        "logs/model/{dataset}/{model}.log",
    conda:
        "../../envs/transformer.yaml"
    threads: 1  # fixed: torch's result depends on its thread count
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        spec=lambda wc: RUN.models[wc.model],
        parts=lambda wc: parts_of(wc, "calibration"),
        steps=lambda wc: list(dataset_of(wc).steps),
        seed=RUN.seed,
    script:
        "../scripts/model.py"


rule fit:
    input:
        detections=per_part("calibration", DETECTIONS),
        links=per_part("calibration", expand(TRUTH, step=1, allow_missing=True)[0]),
        model=model_of,
    output:
        directory(FITTED),
    benchmark:
        benchmark("fit", "{dataset}/{tracker}")
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
        parts=lambda wc: parts_of(wc, "calibration"),
        data=lambda wc: [
            sequence_data(wc.dataset, p.seq) for p in dataset_of(wc).calibration
        ],
        seed=RUN.seed,
    script:
        "../scripts/fit.py"


# The label masks an edges job reads are not listed as its inputs: they are `prepare`'s,
# whose detections are, so a changed mask reruns `prepare` and then this job (tested).
# Listed here too, they were a hundred inputs per job that Snakemake stats for every
# job it considers in every scheduling round (benchmarks/README.md, "Snakemake's own time").
rule edges:
    input:
        detections=rules.prepare.output.detections,
        stats=rules.prepare.output.stats,
        tracker=fitted_tracker,
    output:
        edges=expand(EDGES, method=METHODS, allow_missing=True),
        timings=expand(TIMINGS, method=METHODS, allow_missing=True),
    benchmark:
        benchmark("edges", "{dataset}/{seq}/step{step}/{tracker}")
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
        seed=RUN.seed,
        samples=RUN.samples,
        topk=RUN.topk,
        asf_slack=RUN.asf_slack,
        max_daughters=RUN.max_daughters,
        map_solver=RUN.map_solver,
        time_limit=RUN.time_limit,
    script:
        "../scripts/edges.py"
