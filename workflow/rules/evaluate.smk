# Evaluate: per dataset, step and tracker, ECE and sparsification of each method on the
# evaluation split, raw and +TS (with the calibration split's temperature). One job
# for all methods: they share its reads and its bootstrap draws.


rule evaluate:
    input:
        unpack(edges_of("evaluation")),
        unpack(timings_of_dataset),
        truth=per_sequence("evaluation", TRUTH),
        temperature=rules.calibrate.output,
    output:
        expand(METRICS, method=METHODS, allow_missing=True),
    benchmark:
        benchmark("evaluate", "{dataset}/step{step}/{tracker}")
    log:
        "logs/evaluate/{dataset}/step{step}/{tracker}.log",
    conda:
        "../../envs/uqtrack.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        methods=METHODS,
        parts=lambda wc: parts_of(wc, "evaluation"),
        max_daughters=RUN.max_daughters,
        seed=RUN.seed,
        bootstrap=RUN.bootstrap,
    script:
        "../scripts/evaluate.py"
