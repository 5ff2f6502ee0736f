# Every results/ path of the workflow, and only here: the Snakefile and the rules take
# their patterns from this file, scripts receive the paths as named inputs and outputs,
# and the library (src/uqtrack) never builds one. Plain Python without rules, so that
# tests can load it (runpy.run_path). Braces are Snakemake wildcards.
from pathlib import Path

RESULTS = "results"

# data in: made by a rule where the config gives no local path
SIMULATED = "results/data/{dataset}"
DOWNLOADED = "results/downloads/{dataset}"
# read and checked, per sequence (and step)
DETECTIONS = "results/prepared/{dataset}/{seq}/detections.parquet"
FRAME_STATS = "results/prepared/{dataset}/{seq}/stats.json"
TRACKS = "results/prepared/{dataset}/{seq}/tracks.parquet"
LINEAGE_STATS = "results/prepared/{dataset}/{seq}/lineage.json"
TRUTH = "results/prepared/{dataset}/{seq}/step{step}/truth.parquet"
TRUTH_STATS = "results/prepared/{dataset}/{seq}/step{step}/truth.json"
# tracked, calibrated, judged
MODEL = "results/models/{dataset}/{model}"
FITTED = "results/trackers/{dataset}/{tracker}"  # a folder: FITTED_PARAMS
EDGES = "results/edges/{dataset}/{seq}/step{step}/{tracker}/{method}/edges.parquet"
TIMINGS = "results/edges/{dataset}/{seq}/step{step}/{tracker}/{method}/timings.tsv"
TEMPERATURE = "results/temperature/{dataset}/step{step}/{tracker}/{method}.json"
METRICS = "results/metrics/{dataset}/step{step}/{tracker}/{method}.nc"
# the study of the whole grid
SUMMARY = "results/summary.nc"
BOOTSTRAP = "results/bootstrap.nc"
CLAIMS = {
    "markdown": "results/claims.md",
    "html": "results/claims.html",
    "table": "results/claims.tsv",
}
DATA_QUALITY = {
    "markdown": "results/data_quality.md",
    "html": "results/data_quality.html",
}
ALL_TIMINGS = "results/timings.tsv"
FIGURES_DIR = "results/figures"
FIGURE = "results/figures/{name}"  # + .png, .pdf
OVERVIEW = "results/figures/overview/{dataset}_step{step}_{tracker}_{method}"
FIGURE_EXTENSIONS = (".png", ".pdf")
# the export of one tracked sequence
EXPORT_DIR = "results/export"
EXPORTED = {
    "ctc": "results/export/{dataset}/{seq}/{seq}_RES",
    "geff": "results/export/{dataset}/{seq}/tracks.geff",
    "links": "results/export/{dataset}/{seq}/links.tsv",
    "context": "results/export/{dataset}/{seq}/export.json",
}
PROOFREAD = {
    "markdown": "results/export/{dataset}/{seq}/proofread.md",
    "table": "results/export/{dataset}/{seq}/proofread.tsv",
}
PROOFREAD_CHECK = {
    "markdown": "results/export/{dataset}/{seq}/check.md",
    "table": "results/export/{dataset}/{seq}/check.tsv",
}
# what `fit` writes into FITTED (and `edges` reads)
FITTED_PARAMS = "results/trackers/{dataset}/{tracker}/params.json"


def benchmark(rule, wildcards):
    """Time and peak memory of one job of `rule` (`wildcards`: its name's pattern)."""
    return f"results/benchmarks/{rule}/{wildcards}.tsv"


def figure(name):
    """A figure's files: one per format."""
    return [f"{FIGURE.format(name=name)}{ext}" for ext in FIGURE_EXTENSIONS]


def results_root(run=None):
    """The results folder of this run (`run` None) or of a previous run's working
    directory (`calibration_from: {run, dataset}`)."""
    return RESULTS if run is None else str(Path(run) / RESULTS)


def of_run(run, path):
    """`path` (a results/ path of this run) in the results of run `run`; None: this run."""
    assert path.startswith(f"{RESULTS}/"), path
    return f"{results_root(run)}{path[len(RESULTS):]}"


def lent_files(run, dataset, export, model):
    """Where a previous run's results are, and what of them a masks-only dataset's
    export (a `uqtrack.config.Export`) needs: its fitted tracker, its temperature (same
    tracker, method and step) and, for a transformer, its model `model` (for
    `uqtrack.config.load`)."""
    cell = dict(dataset=dataset, step=export.step, tracker=export.tracker)
    needed = [
        of_run(run, FITTED_PARAMS.format(**cell)),
        of_run(run, TEMPERATURE.format(**cell, method=export.method)),
    ]
    if model is not None:
        needed.append(of_run(run, MODEL.format(dataset=dataset, model=model)))
    return results_root(run), needed


def export_targets(exported, annotated):
    """Every file and folder of the export that the config asks for.

    `exported`: the (dataset, seq) pairs exported; `annotated(name)`: whether a dataset
    has truth (only those get the check against it)."""
    return [
        path.format(dataset=name, seq=seq)
        for name, seq in exported
        for path in [
            EXPORTED["ctc"],
            EXPORTED["geff"],
            EXPORTED["links"],
            PROOFREAD["markdown"],
            PROOFREAD["table"],
            *(PROOFREAD_CHECK.values() if annotated(name) else ()),
        ]
    ]


def export_inputs(export, dataset, seq, origin):
    """The exported edge table, the temperature that calibrates it (the dataset's own,
    or its `calibration_from`'s: same tracker, method and step; `origin` = (run or None,
    dataset) says which) and the detections and frame counts. `export`: the config's
    `uqtrack.config.Export`."""
    run, source = origin
    cell = dict(step=export.step, tracker=export.tracker, method=export.method)
    return {
        "edges": EDGES.format(dataset=dataset, seq=seq, **cell),
        "temperature": of_run(run, TEMPERATURE.format(dataset=source, **cell)),
        "detections": DETECTIONS.format(dataset=dataset, seq=seq),
        "stats": FRAME_STATS.format(dataset=dataset, seq=seq),
    }
