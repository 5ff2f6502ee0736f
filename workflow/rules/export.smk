# Export: the tracking of every tracked sequence (annotated or masks-only) for one
# tracker and method, where users look: CTC result format, GEFF, links ranked by
# confidence, and a proofreading summary. Truth joins only in `proofread_check`.

EXPORTS = export_targets(RUN.exported, lambda name: RUN.datasets[name].annotated)


rule export_tracks:
    input:
        unpack(
            lambda wc: {
                **export_inputs(
                    RUN.export, wc.dataset, wc.seq, dataset_of(wc).calibration_origin
                ),
                "masks": raw_input(wc),
            }
        ),
    output:
        ctc=directory(EXPORTED["ctc"]),
        geff=directory(EXPORTED["geff"]),
        links=EXPORTED["links"],
        context=EXPORTED["context"],
    log:
        "logs/export/{dataset}/{seq}.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        export=dataclasses.asdict(RUN.export) if RUN.export else None,
        masks=lambda wc: sequence_data(wc.dataset, wc.seq)["masks"],
        tau_from=lambda wc: dataset_of(wc).calibration_source,
    script:
        "../scripts/export.py"


rule proofread:
    input:
        links=rules.export_tracks.output.links,
        context=rules.export_tracks.output.context,
    output:
        markdown=PROOFREAD["markdown"],
        table=PROOFREAD["table"],
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
        truth=lambda wc: TRUTH.format(
            dataset=wc.dataset, seq=wc.seq, step=RUN.export.step
        ),
    output:
        markdown=PROOFREAD_CHECK["markdown"],
        table=PROOFREAD_CHECK["table"],
    log:
        "logs/proofread_check/{dataset}/{seq}.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        calibrated_on=lambda wc: dataset_of(wc).calibrated_on(wc.seq),
    script:
        "../scripts/export_check.py"


rule export:
    input:
        EXPORTS,
