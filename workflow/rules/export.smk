# Export: the tracking of every tracked sequence (annotated or masks-only) for one
# tracker and method, where users look: CTC result format, GEFF, links ranked by
# confidence, and a proofreading summary. Truth joins only in `proofread_check`.


def export_input(wildcards):
    """Edges of the exported tracker/method/step, the temperature that calibrates them
    (the dataset's own, or its `calibration_from`'s), detections and label images."""
    e = config["export"]
    cell = dict(wildcards, step=e["step"], tracker=e["tracker"], method=e["method"])
    cell["source"] = cfg.calibration_source(config, wildcards.dataset)
    return {
        "edges": "results/edges/{dataset}/{seq}/step{step}/{tracker}/{method}/edges.parquet".format(
            **cell
        ),
        "temperature": "results/temperature/{source}/step{step}/{tracker}/{method}.json".format(
            **cell
        ),
        "detections": "results/prepared/{dataset}/{seq}/detections.parquet".format(**cell),
        "stats": "results/prepared/{dataset}/{seq}/stats.json".format(**cell),
        "masks": raw_input(wildcards),
    }


def calibrated_on(wildcards):
    """Which of this sequence's frames the temperature was fitted on (for check.md)."""
    ds = dataset_config(wildcards)
    parts = [p for p in cfg.parts(ds, "calibration") if p["seq"] == wildcards.seq]
    if not parts:
        return "no"
    if all(p["first"] is None and p["last"] is None for p in parts):
        return "yes (in-sample: expect a closer match than on new data)"
    ranges = ", ".join(f"{p['first']}-{p['last']}" for p in parts)
    return f"on frames {ranges} of it (in-sample there)"


EXPORT_PARAMS = dict(config.get("export", {}))
EXPORT_DIR = "results/export/{dataset}/{seq}"
EXPORTS = [
    f"results/export/{d}/{s}/{name}"
    for d, s in cfg.exported(config)
    for name in [f"{s}_RES", "tracks.geff", "links.tsv", "proofread.md", "proofread.tsv"]
    + (["check.md", "check.tsv"] if d in ANNOTATED else [])
]


rule export_tracks:
    input:
        unpack(export_input),
    output:
        ctc=directory(EXPORT_DIR + "/{seq}_RES"),
        geff=directory(EXPORT_DIR + "/tracks.geff"),
        links=EXPORT_DIR + "/links.tsv",
        context=EXPORT_DIR + "/export.json",
    log:
        "logs/export/{dataset}/{seq}.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        export=EXPORT_PARAMS,
        masks=lambda wc: sequence_data(wc.dataset, wc.seq)["masks"],
        tau_from=lambda wc: cfg.calibration_source(config, wc.dataset),
    script:
        "../scripts/export.py"


rule proofread:
    input:
        links=rules.export_tracks.output.links,
        context=rules.export_tracks.output.context,
    output:
        markdown=EXPORT_DIR + "/proofread.md",
        table=EXPORT_DIR + "/proofread.tsv",
    log:
        "logs/proofread/{dataset}/{seq}.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/export_proofread.py"


rule proofread_check:
    input:
        links=rules.export_tracks.output.links,
        context=rules.export_tracks.output.context,
        truth=lambda wc: "results/prepared/{dataset}/{seq}/step{step}/truth.parquet".format(
            step=config["export"]["step"], **wc
        ),
    output:
        markdown=EXPORT_DIR + "/check.md",
        table=EXPORT_DIR + "/check.tsv",
    log:
        "logs/proofread_check/{dataset}/{seq}.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        calibrated_on=calibrated_on,
    script:
        "../scripts/export_check.py"


rule export:
    input:
        EXPORTS,
