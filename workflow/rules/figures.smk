# Aggregate every grid cell into one labelled summary, then the paper's figures.


rule summary:
    input:
        metrics=grid(METRICS),
    output:
        summary=SUMMARY,
        bootstrap=BOOTSTRAP,
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
        markdown=CLAIMS["markdown"],
        html=report(CLAIMS["html"], caption="../report/claims.rst", category="Claims"),
        table=CLAIMS["table"],
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
            "temperature fitted on": RUN.ts_fit,
            "bootstrap replicates": RUN.bootstrap,
            "trackers": ", ".join(f"{n} ({t})" for n, t in TRACKER_TYPES.items()),
        },
    script:
        "../scripts/claims.py"


rule data_quality:
    input:
        summary=rules.summary.output.summary,
        stats=[LINEAGE_STATS.format(**p) for p in ANNOTATED_SEQUENCES],
    output:
        markdown=DATA_QUALITY["markdown"],
        html=report(
            DATA_QUALITY["html"],
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
    params:
        sequences=[f"{p['dataset']}/{p['seq']}" for p in ANNOTATED_SEQUENCES],
    script:
        "../scripts/data_quality.py"


rule timings:
    input:
        [TIMINGS.format(**cell) for cell in timing_cells()],
    output:
        ALL_TIMINGS,
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
            multiext(FIGURE.format(name="compute_time"), *FIGURE_EXTENSIONS),
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
            multiext(FIGURE.format(name="ece_vs_step"), *FIGURE_EXTENSIONS),
            caption="../report/ece_vs_step.rst",
            category="Calibration",
        ),
        ece_by_dataset=report(
            multiext(FIGURE.format(name="ece_by_dataset"), *FIGURE_EXTENSIONS),
            caption="../report/ece_by_dataset.rst",
            category="Calibration",
        ),
        temperature=report(
            multiext(FIGURE.format(name="temperature_vs_step"), *FIGURE_EXTENSIONS),
            caption="../report/temperature_vs_step.rst",
            category="Calibration",
        ),
        temperature_msd=report(
            multiext(FIGURE.format(name="temperature_vs_msd"), *FIGURE_EXTENSIONS),
            caption="../report/temperature_vs_msd.rst",
            category="Calibration",
        ),
        sparsification=report(
            multiext(FIGURE.format(name="sparsification"), *FIGURE_EXTENSIONS),
            caption="../report/sparsification.rst",
            category="Sparsification",
        ),
        expected_wrong=report(
            multiext(FIGURE.format(name="expected_wrong"), *FIGURE_EXTENSIONS),
            caption="../report/expected_wrong.rst",
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


# one job per tracker: its reliability diagrams (24-36 panels) take most of the figures'
# time, and run beside the grid figures instead of after them
rule tracker_figures:
    input:
        rules.summary.output.summary,
    output:
        curves=report(
            multiext(
                FIGURE.format(name="sparsification_curves_{tracker}"),
                *FIGURE_EXTENSIONS,
            ),
            caption="../report/sparsification_curves.rst",
            category="Sparsification",
        ),
        reliability=report(
            multiext(FIGURE.format(name="reliability_{tracker}"), *FIGURE_EXTENSIONS),
            caption="../report/reliability.rst",
            category="Calibration",
        ),
    log:
        "logs/figures/{tracker}.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/tracker_figures.py"


rule overview:
    input:
        edges=overview_input(EDGES),
        detections=overview_input(DETECTIONS),
        temperature=TEMPERATURE,
        data=lambda wc: raw_input(overview_wildcards(wc)),
    output:
        report(
            multiext(OVERVIEW, *FIGURE_EXTENSIONS),
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
        part=lambda wc: parts_of(wc, "evaluation")[0],
        data=lambda wc: sequence_data(wc.dataset, overview_wildcards(wc).seq),
    script:
        "../scripts/overview.py"
