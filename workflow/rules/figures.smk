# Aggregate every grid cell into one labelled summary, then the paper's figures.


rule summary:
    input:
        metrics=grid("results/metrics/{dataset}/step{step}/{tracker}/{method}.nc"),
    output:
        summary="results/summary.nc",
        bootstrap="results/bootstrap.nc",
    log:
        "logs/summary.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        grid=GRID,
    script:
        "../scripts/summary.py"


rule claims:
    input:
        summary=rules.summary.output.summary,
        bootstrap=rules.summary.output.bootstrap,
    output:
        markdown="results/claims.md",
        html=report(
            "results/claims.html", caption="../report/claims.rst", category="Claims"
        ),
        table="results/claims.tsv",
    log:
        "logs/claims.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        tracker_types=TRACKER_TYPES,
        context={
            "temperature fitted on": config["ts_fit"],
            "bootstrap replicates": config["bootstrap"],
            "trackers": ", ".join(f"{n} ({t})" for n, t in TRACKER_TYPES.items()),
        },
    script:
        "../scripts/claims.py"


rule data_quality:
    input:
        summary=rules.summary.output.summary,
        stats=expand(
            "results/prepared/{p[dataset]}/{p[seq]}/lineage.json",
            p=[
                dict(dataset=d, seq=s)
                for d in ANNOTATED
                for s in cfg.sequences(config["datasets"][d])
            ],
        ),
    output:
        markdown="results/data_quality.md",
        html=report(
            "results/data_quality.html",
            caption="../report/data_quality.rst",
            category="Data quality",
        ),
    log:
        "logs/data_quality.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/data_quality.py"


rule timings:
    input:
        [
            "results/edges/{dataset}/{seq}/step{step}/{tracker}/{method}/timings.tsv".format(
                **cell
            )
            for cell in timing_cells()
        ],
    output:
        "results/timings.tsv",
    log:
        "logs/timings.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cells=timing_cells(),
    script:
        "../scripts/timings.py"


rule compute_time:
    input:
        rules.timings.output[0],
    output:
        report(
            multiext("results/figures/compute_time", ".png", ".pdf"),
            caption="../report/compute_time.rst",
            category="Cost",
        ),
    log:
        "logs/compute_time.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/compute_time.py"


rule figures:
    input:
        rules.summary.output.summary,
    output:
        ece=report(
            multiext("results/figures/ece_vs_step", ".png", ".pdf"),
            caption="../report/ece_vs_step.rst",
            category="Calibration",
        ),
        ece_by_dataset=report(
            multiext("results/figures/ece_by_dataset", ".png", ".pdf"),
            caption="../report/ece_by_dataset.rst",
            category="Calibration",
        ),
        temperature=report(
            multiext("results/figures/temperature_vs_step", ".png", ".pdf"),
            caption="../report/temperature_vs_step.rst",
            category="Calibration",
        ),
        temperature_msd=report(
            multiext("results/figures/temperature_vs_msd", ".png", ".pdf"),
            caption="../report/temperature_vs_msd.rst",
            category="Calibration",
        ),
        sparsification=report(
            multiext("results/figures/sparsification", ".png", ".pdf"),
            caption="../report/sparsification.rst",
            category="Sparsification",
        ),
        expected_wrong=report(
            multiext("results/figures/expected_wrong", ".png", ".pdf"),
            caption="../report/expected_wrong.rst",
            category="Calibration",
        ),
        curves=report(
            expand(
                "results/figures/sparsification_curves_{tracker}.{ext}",
                tracker=TRACKERS,
                ext=["png", "pdf"],
            ),
            caption="../report/sparsification_curves.rst",
            category="Sparsification",
        ),
        reliability=report(
            expand(
                "results/figures/reliability_{tracker}.{ext}",
                tracker=TRACKERS,
                ext=["png", "pdf"],
            ),
            caption="../report/reliability.rst",
            category="Calibration",
        ),
    log:
        "logs/figures.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        tracker_types=TRACKER_TYPES,
    script:
        "../scripts/figures.py"


rule overview:
    input:
        edges=overview_input(
            "results/edges/{dataset}/{seq}/step{step}/{tracker}/{method}/edges.parquet"
        ),
        detections=overview_input("results/prepared/{dataset}/{seq}/detections.parquet"),
        temperature="results/temperature/{dataset}/step{step}/{tracker}/{method}.json",
        data=lambda wc: raw_input(overview_wildcards(wc)),
    output:
        report(
            multiext(
                "results/figures/overview/{dataset}_step{step}_{tracker}_{method}",
                ".png",
                ".pdf",
            ),
            caption="../report/overview.rst",
            category="Frame pairs",
        ),
    log:
        "logs/overview/{dataset}_step{step}_{tracker}_{method}.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        part=lambda wc: cfg.parts(dataset_config(wc), "evaluation")[0],
        data=lambda wc: sequence_data(wc.dataset, overview_wildcards(wc).seq),
    script:
        "../scripts/overview.py"
