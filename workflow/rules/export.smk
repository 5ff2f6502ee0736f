# Export: the tracking of every tracked sequence (annotated or masks-only) for one
# tracker and method, where users look: CTC result format, GEFF, links ranked by
# confidence, and a proofreading summary. Truth joins only in `proofread_check`.

EXPORTS = cfg.export_targets(config)


rule export_tracks:
    input:
        unpack(
            lambda wc: {
                **cfg.export_inputs(config, wc.dataset, wc.seq),
                "masks": raw_input(wc),
            }
        ),
    output:
        ctc=directory("results/export/{dataset}/{seq}/{seq}_RES"),
        geff=directory("results/export/{dataset}/{seq}/tracks.geff"),
        links="results/export/{dataset}/{seq}/links.tsv",
        context="results/export/{dataset}/{seq}/export.json",
    log:
        "logs/export/{dataset}/{seq}.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        export=config.get("export"),
        masks=lambda wc: sequence_data(wc.dataset, wc.seq)["masks"],
        tau_from=lambda wc: cfg.calibration_source(config, wc.dataset),
    script:
        "../scripts/export.py"


rule proofread:
    input:
        links=rules.export_tracks.output.links,
        context=rules.export_tracks.output.context,
    output:
        markdown="results/export/{dataset}/{seq}/proofread.md",
        table="results/export/{dataset}/{seq}/proofread.tsv",
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
        truth=lambda wc: f"results/prepared/{wc.dataset}/{wc.seq}/step{config['export']['step']}/truth.parquet",
    output:
        markdown="results/export/{dataset}/{seq}/check.md",
        table="results/export/{dataset}/{seq}/check.tsv",
    log:
        "logs/proofread_check/{dataset}/{seq}.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        calibrated_on=lambda wc: cfg.calibrated_on(dataset_config(wc), wc.seq),
    script:
        "../scripts/export_check.py"


rule export:
    input:
        EXPORTS,
