# Evaluate: per dataset, step and tracker, ECE and sparsification of each method on the
# evaluation split, raw and +TS (with the calibration split's temperature). One job
# for all methods: they share its reads and its bootstrap draws.


rule evaluate:
    input:
        edges=edges_of("evaluation"),
        truth=per_sequence(
            "evaluation", "results/prepared/{dataset}/{seq}/step{step}/truth.parquet"
        ),
        temperature=rules.calibrate.output,
        timings=timings_of_dataset,
    output:
        expand(
            "results/metrics/{{dataset}}/step{{step}}/{{tracker}}/{method}.nc",
            method=METHODS,
        ),
    benchmark:
        "results/benchmarks/evaluate/{dataset}/step{step}/{tracker}.tsv"
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
        parts=lambda wc: cfg.parts(dataset_config(wc), "evaluation"),
        max_daughters=config["max_daughters"],
        seed=config["seed"],
        bootstrap=config["bootstrap"],
    script:
        "../scripts/evaluate.py"
