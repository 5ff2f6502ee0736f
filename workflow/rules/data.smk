# Data in: simulate or download CTC folders, read and check them, true links per step.


rule simulate:
    output:
        directory(SIMULATED),
    log:
        "logs/simulate/{dataset}.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        # as written (uqtrack.config.load checked it): for the provenance, and so
        # that Snakemake reruns the simulation when it changes
        simulate=lambda wc: config["datasets"][wc.dataset]["simulate"],
        sequences=lambda wc: dataset_of(wc).sequences,
        seed=lambda wc: RUN.seed,
    script:
        "../scripts/simulate.py"


rule download:
    output:
        directory(DOWNLOADED),
    log:
        "logs/download/{dataset}.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        url=lambda wc: dataset_of(wc).download,
        sha256=lambda wc: dataset_of(wc).sha256,
    script:
        "../scripts/download.py"


rule prepare:
    input:
        raw_input,
    output:
        detections=DETECTIONS,
        stats=FRAME_STATS,
    benchmark:
        benchmark("prepare", "{dataset}/{seq}")
    log:
        "logs/prepare/{dataset}/{seq}.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        masks=lambda wc: sequence_data(wc.dataset, wc.seq)["masks"],
        allow_mixed_frame_sizes=lambda wc: dataset_of(wc).allow_mixed_frame_sizes,
    script:
        "../scripts/prepare.py"


rule lineage:
    input:
        man_track=truth_input,
        detections=rules.prepare.output.detections,
    output:
        tracks=TRACKS,
        stats=LINEAGE_STATS,
    log:
        "logs/lineage/{dataset}/{seq}.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        tra=lambda wc: f"{raw_dir(wc.dataset)}/{wc.seq}_GT/TRA",
        images=lambda wc: sequence_data(wc.dataset, wc.seq)["images"],
        allow_mixed_frame_sizes=lambda wc: dataset_of(wc).allow_mixed_frame_sizes,
    script:
        "../scripts/lineage.py"


rule truth:
    input:
        detections=rules.prepare.output.detections,
        tracks=rules.lineage.output.tracks,
        stats=rules.prepare.output.stats,
    output:
        links=TRUTH,
        stats=TRUTH_STATS,
    log:
        "logs/truth/{dataset}/{seq}/step{step}.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        max_daughters=RUN.max_daughters,
    script:
        "../scripts/truth.py"
