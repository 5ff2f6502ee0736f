# Aggregate every grid cell into one labelled summary, then the paper's figures.


rule summary:
    input:
        metrics=grid("results/metrics/{dataset}/step{step}/{tracker}/{method}.nc"),
    output:
        "results/summary.nc",
    log:
        "logs/summary.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        grid=[
            dict(dataset=d, step=s, tracker=t, method=m)
            for d in DATASETS
            for s in cfg.steps(config, d)
            for t in TRACKERS
            for m in METHODS
        ],
    script:
        "../scripts/summary.py"


rule figures:
    input:
        rules.summary.output[0],
    output:
        ece=report(
            multiext("results/figures/ece_vs_step", ".png", ".pdf"),
            caption="../report/ece_vs_step.rst",
            category="Calibration",
        ),
        temperature=report(
            multiext("results/figures/temperature_vs_step", ".png", ".pdf"),
            caption="../report/temperature_vs_step.rst",
            category="Calibration",
        ),
        sparsification=report(
            multiext("results/figures/sparsification", ".png", ".pdf"),
            caption="../report/sparsification.rst",
            category="Sparsification",
        ),
    log:
        "logs/figures.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/figures.py"
