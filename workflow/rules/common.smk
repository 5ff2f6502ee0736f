# Config checks and the path helpers the rules share. No science here.
import re
import sys
from pathlib import Path

from uqtrack import config as cfg
from uqtrack.errors import InputError

_source = (workflow.configfiles or ["config"])[-1]
try:
    cfg.check(
        config, Path(workflow.basedir) / "workflow/schemas/config.schema.yaml", _source
    )
except InputError as err:
    sys.exit(f"uqtrack: config error: {err}")
validate(config, "../schemas/config.schema.yaml")  # fills in the schema's defaults

DATASETS = list(config["datasets"])
TRACKERS = list(config["trackers"])
METHODS = list(config["methods"])
ALL_STEPS = sorted({s for d in DATASETS for s in cfg.steps(config, d)})
FIGURES = expand(
    "results/figures/{name}.{ext}",
    name=["ece_vs_step", "temperature_vs_step", "sparsification", "compute_time"],
    ext=["png", "pdf"],
)


wildcard_constraints:
    dataset="|".join(map(re.escape, DATASETS)),
    tracker="|".join(TRACKERS),
    method="|".join(METHODS),
    step=r"\d+",
    seq=r"[A-Za-z0-9_.-]+",


def dataset_config(wildcards):
    return config["datasets"][wildcards.dataset]


def raw_dir(dataset):
    """Where a dataset's CTC folders live: a local path, or made by a rule."""
    ds = config["datasets"][dataset]
    local = cfg.local_path(ds)
    if local is not None:
        return local
    return f"results/{'downloads' if 'download' in ds else 'data'}/{dataset}"


# Simulated or downloaded data made by an earlier run: check the frame ranges now
# (the first run checks them in `prepare`, once the data exists).
try:
    for _name, _ds in config["datasets"].items():
        if cfg.local_path(_ds) is None and Path(raw_dir(_name)).is_dir():
            cfg.check_data(config, _name, raw_dir(_name), _source)
except InputError as err:
    sys.exit(f"uqtrack: config error: {err}")


def raw_input(wildcards):
    ds = dataset_config(wildcards)
    if cfg.local_path(ds) is not None:
        return f"{raw_dir(wildcards.dataset)}/{wildcards.seq}_GT/TRA/man_track.txt"
    return raw_dir(wildcards.dataset)


def per_sequence(role, pattern):
    """`pattern` for each calibration or evaluation sequence of one grid cell."""

    def inputs(wildcards):
        seqs = cfg.part_sequences(dataset_config(wildcards), role)
        return [pattern.format(seq=seq, **wildcards) for seq in seqs]

    return inputs


def edges_of(role):
    """Edge tables of the calibration or evaluation sequences of one grid cell."""
    return per_sequence(
        role,
        "results/edges/{dataset}/{seq}/step{step}/{tracker}/{method}/edges.parquet",
    )


GRID = [
    dict(dataset=d, step=s, tracker=t, method=m)
    for d in DATASETS
    for s in cfg.steps(config, d)
    for t in TRACKERS
    for m in METHODS
]


def grid(pattern):
    """`pattern` filled for every dataset x own step x tracker x method."""
    return [pattern.format(**cell) for cell in GRID]


def timing_cells():
    """Every edges job (grid cell x sequence), as the timings rule reads them."""
    return [
        dict(cell, seq=seq)
        for cell in GRID
        for seq in cfg.sequences(config["datasets"][cell["dataset"]])
    ]


def intermediates():
    """Every file the rules make on the way to the summary.

    `all` asks for them too: Snakemake leaves a deleted intermediate missing while
    the results after it are up to date, so "delete a damaged file and rerun" would
    not remake it. Asked for, it is remade, and so is everything after it.
    """
    prep = [
        dict(dataset=d, seq=s)
        for d in DATASETS
        for s in cfg.sequences(config["datasets"][d])
    ]
    steps = [dict(p, step=s) for p in prep for s in cfg.steps(config, p["dataset"])]
    scales = [dict(dataset=d, tracker=t) for d in DATASETS for t in TRACKERS]
    made = [
        (rules.prepare, prep),
        (rules.truth, steps),
        (rules.scale, scales),
        (rules.edges, timing_cells()),
        (rules.temperature, GRID),
        (rules.metrics, GRID),
    ]
    return [
        str(out).format(**cell)
        for rule, cells in made
        for cell in cells
        for out in rule.output
    ]
