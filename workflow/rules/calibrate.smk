# Calibrate: per dataset, step and tracker, each method's temperature, fitted on the
# calibration split only. One job for all methods; it reads no evaluation truth, so
# a change there never reaches the temperature (or the exports that use it).


rule calibrate:
    input:
        unpack(edges_of("calibration")),
        truth=per_sequence("calibration", TRUTH),
        detections=per_part("calibration", DETECTIONS),
    output:
        expand(TEMPERATURE, method=METHODS, allow_missing=True),
    benchmark:
        benchmark("calibrate", "{dataset}/step{step}/{tracker}")
    log:
        "logs/calibrate/{dataset}/step{step}/{tracker}.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        methods=METHODS,
        parts=lambda wc: parts_of(wc, "calibration"),
        fit_on=RUN.ts_fit,
        model=RUN.ts_model,
        prior_sd=RUN.ts_prior_sd,
    script:
        "../scripts/calibrate.py"
