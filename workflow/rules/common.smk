# The config, read once, and the path helpers the rules share (their results/ patterns
# are paths.smk's). No science here.
import dataclasses
import re
import sys
from pathlib import Path

from uqtrack import config as cfg
from uqtrack import ctc
from uqtrack.errors import InputError

_source = (workflow.configfiles or ["config"])[-1]
try:
    # checked against the schema and the data, defaults filled in: everything below
    # derives from RUN (frozen dataclasses, uqtrack.config)
    RUN = cfg.load(
        config,
        Path(workflow.basedir) / "workflow/schemas/config.schema.yaml",
        _source,
        lent_files,
    )
except InputError as err:
    sys.exit(f"uqtrack: config error: {err}")
# jobs see the config with its defaults (prepare reads it; see its comment)
config.update(RUN.config)

DATASETS = list(RUN.datasets)
# masks-only datasets (annotated: false) are tracked and exported, never evaluated
ANNOTATED = RUN.annotated
TRACKERS = list(RUN.trackers)
ANNOTATED_SEQUENCES = [
    dict(dataset=d, seq=s) for d in ANNOTATED for s in RUN.datasets[d].sequences
]
# lists, as the rules' params always had them (Snakemake reruns a job whose params
# look different)
METHODS = list(RUN.methods)
FIGURES = [
    path
    for name in [
        "ece_vs_step",
        "temperature_vs_step",
        "sparsification",
        "compute_time",
        "ece_by_dataset",
        "temperature_vs_msd",
        "expected_wrong",
    ]
    + [
        f"{kind}_{t}"
        for kind in ("sparsification_curves", "reliability")
        for t in TRACKERS
    ]
    for path in figure(name)
]
FIGURES += [
    f"{OVERVIEW.format(**dataclasses.asdict(o))}{ext}"
    for o in RUN.overview
    for ext in FIGURE_EXTENSIONS
]
# what the study of the annotated datasets makes (rule all asks for it where there are any)
STUDY = [SUMMARY, *CLAIMS.values(), *DATA_QUALITY.values(), *FIGURES]


wildcard_constraints:
    dataset="|".join(map(re.escape, DATASETS)),
    model="|".join(map(re.escape, RUN.models)) or "(?!)",
    tracker="|".join(map(re.escape, TRACKERS)),
    method="|".join(METHODS),
    step=r"\d+",
    seq=r"[A-Za-z0-9_.-]+",


class _Wildcards(dict):
    __getattr__ = dict.__getitem__


def overview_wildcards(wildcards):
    """The overview's wildcards plus the sequence it draws: the first evaluation part's."""
    seq = dataset_of(wildcards).evaluation[0].seq
    return _Wildcards(dict(wildcards.items()), seq=seq)


def overview_input(pattern):
    return lambda wc: pattern.format(**overview_wildcards(wc))


def dataset_of(wildcards):
    """The `uqtrack.config.Dataset` of a job."""
    return RUN.datasets[wildcards.dataset]


def parts_of(wildcards, role):
    """A job's calibration or evaluation parts, as params: `{seq, first, last}` each."""
    return [p.as_dict() for p in dataset_of(wildcards).parts(role)]


def raw_dir(dataset):
    """Where a dataset's CTC folders live: a local path, or made by a rule."""
    ds = RUN.datasets[dataset]
    if ds.local_path is not None:
        return ds.local_path
    return (DOWNLOADED if ds.download is not None else SIMULATED).format(
        dataset=dataset
    )


# Simulated or downloaded data made by an earlier run: check the frame ranges now
# (the first run checks them in `prepare`, once the data exists).
try:
    for _name, _ds in RUN.datasets.items():
        if _ds.local_path is None and Path(raw_dir(_name)).is_dir():
            cfg.check_data(_ds, raw_dir(_name), _source)
except InputError as err:
    sys.exit(f"uqtrack: config error: {err}")


def raw_input(wildcards):
    """A sequence's label images (the folder made by a rule, else the files): never its
    man_track.txt, so that changing the truth never reruns tracking."""
    ds = dataset_of(wildcards)
    if ds.local_path is None:
        return raw_dir(wildcards.dataset)
    masks = ds.masks_location(raw_dir(wildcards.dataset), wildcards.seq)
    return [str(f) for f in ctc.find_label_images(masks).values()]


def truth_input(wildcards):
    """A sequence's man_track.txt (or the folder made by a rule that holds it)."""
    if dataset_of(wildcards).local_path is None:
        return raw_dir(wildcards.dataset)
    return f"{raw_dir(wildcards.dataset)}/{wildcards.seq}_GT/TRA/man_track.txt"


def sequence_data(dataset, seq):
    """Where a sequence's label masks and raw images are (for trackers that read them)."""
    root = raw_dir(dataset)
    masks = RUN.datasets[dataset].masks_location(root, seq)
    return {"masks": masks, "images": f"{root}/{seq}"}


def fitted_tracker(wildcards):
    """The fitted tracker a sequence is tracked with: its dataset's own, or for a
    masks-only dataset the one fitted on its `calibration_from` dataset."""
    run, source = dataset_of(wildcards).calibration_origin
    return of_run(run, FITTED.format(dataset=source, tracker=wildcards.tracker))


def tracker_config(name, dataset=None, run=None):
    """A tracker's config entry (type spelled out, defaults filled in) and, for a
    dataset, its model (a `models:` name) resolved to that dataset's model folder (in
    this run's results, or in previous run `run`'s)."""
    entry = RUN.trackers[name]
    if dataset is None or entry.model is None:
        return entry.as_config()
    return entry.as_config(
        model=of_run(run, MODEL.format(dataset=dataset, model=entry.model))
    )


TRACKER_TYPES = {name: entry.type for name, entry in RUN.trackers.items()}


def calibrated_tracker_config(wildcards):
    """The config entry a sequence is tracked with: a masks-only dataset uses the model
    of the dataset (or previous run) that calibrates it."""
    run, source = dataset_of(wildcards).calibration_origin
    return tracker_config(wildcards.tracker, source, run)


def model_of(wildcards):
    """The model folder a tracker needs, if any (transformer trackers)."""
    entry = tracker_config(wildcards.tracker, wildcards.dataset)
    return [entry["model"]] if "model" in entry else []


def per_part(role, pattern):
    """`pattern` for each calibration or evaluation part (a sequence may recur)."""

    def inputs(wildcards):
        parts = dataset_of(wildcards).parts(role)
        return [pattern.format(seq=p.seq, **wildcards) for p in parts]

    return inputs


def per_sequence(role, pattern):
    """`pattern` for each calibration or evaluation sequence of one grid cell."""

    def inputs(wildcards):
        seqs = dataset_of(wildcards).part_sequences(role)
        return [pattern.format(seq=seq, **wildcards) for seq in seqs]

    return inputs


def edges_of(role):
    """Each method's edge tables on the calibration or evaluation sequences, as named
    inputs `edges_<method>` (for `unpack`), one file per sequence in split order."""

    def inputs(wildcards):
        seqs = dataset_of(wildcards).part_sequences(role)
        return {
            f"edges_{m}": [EDGES.format(seq=seq, method=m, **wildcards) for seq in seqs]
            for m in METHODS
        }

    return inputs


def timings_of_dataset(wildcards):
    """Each method's timings of every sequence of one dataset, step and tracker, as
    named inputs `timings_<method>` (for `unpack`)."""
    seqs = dataset_of(wildcards).sequences
    return {
        f"timings_{m}": [TIMINGS.format(seq=seq, method=m, **wildcards) for seq in seqs]
        for m in METHODS
    }


GRID = [
    dict(dataset=d, step=s, tracker=t, method=m)
    for d in ANNOTATED
    for s in RUN.datasets[d].steps
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
        for seq in RUN.datasets[cell["dataset"]].sequences
    ]


def intermediates():
    """Every file the rules make on the way to the summary.

    `all` asks for them too: Snakemake leaves a deleted intermediate missing while
    the results after it are up to date, so "delete a damaged file and rerun" would
    not remake it. Asked for, it is remade, and so is everything after it.
    """
    prep = [dict(dataset=d, seq=s) for d in DATASETS for s in RUN.datasets[d].sequences]
    annotated = [p for p in prep if p["dataset"] in ANNOTATED]
    steps = [
        dict(p, step=s) for p in annotated for s in RUN.datasets[p["dataset"]].steps
    ]
    fits = [dict(dataset=d, tracker=t) for d in ANNOTATED for t in TRACKERS]
    models = [
        dict(dataset=d, model=m)
        for d in ANNOTATED
        for m in dict.fromkeys(
            e.model for e in RUN.trackers.values() if e.model is not None
        )
    ]
    cells = list({(c["dataset"], c["step"], c["tracker"]): c for c in GRID}.values())
    made = [
        (rules.prepare, prep),
        (rules.lineage, annotated),
        (rules.truth, steps),
        (rules.model, models),
        (rules.fit, fits),
        (rules.edges, timing_cells()),
        (rules.calibrate, cells),
        (rules.evaluate, cells),
    ]
    return sorted(
        {
            str(out).format(**cell)
            for rule, cells in made
            for cell in cells
            for out in rule.output
        }
    )
