"""Real Snakemake runs through the actual Snakefile."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tifffile
import xarray as xr
import yaml

from uqtrack.claims import DEFINITIONS, NOT_MEASURED

from conftest import ROOT, SHARED_DATA, needs_shared_data, snakemake_command

pytestmark = pytest.mark.slow

TINY = yaml.safe_load((ROOT / ".test" / "config.yaml").read_text())
MECHANICS = yaml.safe_load((ROOT / ".test" / "mechanics.yaml").read_text())  # one tracker


def run(snakemake_bin, workdir: Path, config: dict, cores: int = 2, check: bool = True):
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    proc = subprocess.run(
        [*snakemake_bin, "-s", str(ROOT / "Snakefile"), "-d", str(workdir),
         "--configfile", str(path), "--cores", str(cores)],
        capture_output=True, text=True,
    )
    if check and proc.returncode != 0:
        raise AssertionError(proc.stdout[-3000:] + proc.stderr[-5000:])
    return proc


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("tiny")
    run(snakemake_command(), workdir, TINY, cores=2)
    return workdir


def test_summary_and_figures(tiny_run):
    summary = xr.load_dataset(tiny_run / "results" / "summary.nc")
    assert set(summary["uq"].values) == {"sm", "as"}
    assert list(summary["tracker"].values) == ["distance", "overlap", "activity", "transformer"]
    # the fit rule resolved the activity tracker's `auto` values on the calibration split
    params = json.loads((tiny_run / "results/trackers/tiny/activity/params.json").read_text())
    assert params["activity_source"] == "image"  # the simulation writes raw images
    assert params["sigma"] > 0 and params["alpha"] >= 0 and params["activity_scale"] > 0
    assert float(summary["ece"].sel(uq="as", ts="raw", step=1, tracker="distance").squeeze()) >= 0  # plain .sel
    assert list(summary["step"].values) == [1, 4]
    ece = summary["ece"].values
    assert np.isfinite(ece).all() and (ece >= 0).all() and (ece <= 1).all()
    assert (summary["n_predicted_links"].values > 0).all()
    assert np.isfinite(summary["temperature"].values).all()
    assert (summary["ece_lo"] <= summary["ece"] + 1e-12).all() and (summary["ece"] <= summary["ece_hi"] + 1e-12).all()
    assert summary["ts_daughters_used"].values.min() > 0
    fit = json.loads((tiny_run / "results/temperature/tiny/step1/distance/sm.json").read_text())
    assert fit["fit_on"] == "predicted" and fit["daughters_used"] <= fit["daughters"]
    assert fit["status"] in ("fitted", "no_data", "flat", "separable", "uninformative")
    claims = (tiny_run / "results" / "claims.md").read_text()
    assert all(f"## {claim}:" in claims for claim in DEFINITIONS)
    table = pd.read_csv(tiny_run / "results" / "claims.tsv", sep="\t")
    assert set(table["verdict"]) <= {"holds", "does not hold", "undecided", NOT_MEASURED}
    for name in ["ece_vs_step", "temperature_vs_step", "sparsification", "compute_time", "expected_wrong"]:
        for ext in ["png", "pdf"]:
            assert (tiny_run / "results" / "figures" / f"{name}.{ext}").stat().st_size > 1000
    # what a user of an unannotated movie would be told, against the truth
    assert fit["model"] == "floor" and {"eps", "zero_truth", "errors"} <= set(fit)
    wrong = summary["n_wrong"]
    assert (wrong.values >= 0).all() and (wrong <= summary["n_predicted_links"]).all()
    assert (summary["expected_wrong"].values >= 0).all()
    caught = summary["caught_wrong"].values
    assert list(summary["budget"].values) == [0.05, 0.1, 0.2]
    assert ((caught[np.isfinite(caught)] >= 0) & (caught[np.isfinite(caught)] <= 1)).all()


def test_the_default_run_exports(tiny_run):
    """Like the default config, the tiny one exports: a newcomer sees the whole product."""
    export = TINY["export"]
    for seq in ("01", "02"):
        out = tiny_run / "results" / "export" / "tiny" / seq
        links = pd.read_csv(out / "links.tsv", sep="\t")
        assert len(links) > 0 and (links["rank"] == np.arange(1, len(links) + 1)).all()
        assert links["confidence"].between(0, 1).all()
        assert (out / f"{seq}_RES" / "res_track.txt").stat().st_size > 0
        assert (out / "tracks.geff").is_dir()
        proofread = (out / "proofread.md").read_text()
        assert "Expected wrong links" in proofread and f"method `{export['method']}`" in proofread
        assert "wrong" in (out / "check.md").read_text()


def test_report_is_self_contained(tiny_run, snakemake_bin):
    """`snakemake --report report.html`, as the README tells a user to run it."""
    proc = subprocess.run(
        [*snakemake_bin, "-s", str(ROOT / "Snakefile"), "-d", str(tiny_run),
         "--configfile", str(tiny_run / "config.yaml"), "--report", "report.html"],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    html = (tiny_run / "report.html").read_text()
    assert "uqtrack: calibrated link probabilities" in html  # the workflow description
    for name in ["claims.html", "data_quality.html", "ece_vs_step.png", "reliability_distance.png",
                 "sparsification_curves_distance.png"]:
        assert name in html, name
    claims = (tiny_run / "results" / "claims.html").read_text()
    assert claims.count("<table>") >= 6 and "Operational definition" in claims


def test_same_seed_same_bytes_whatever_cores(tiny_run, tmp_path, snakemake_bin):
    run(snakemake_bin, tmp_path, TINY, cores=1)
    compared = 0
    for sub in ["edges", "prepared", "models", "trackers", "temperature", "metrics", "figures", "export"]:
        for a in sorted((tiny_run / "results" / sub).rglob("*")):
            # wall-clock times (and the figure drawn from them) differ by design
            if a.is_file() and a.name != "timings.tsv" and not a.name.startswith("compute_time"):
                b = tmp_path / a.relative_to(tiny_run)
                assert a.read_bytes() == b.read_bytes(), a
                compared += 1
    for name in ["summary.nc", "bootstrap.nc", "claims.md", "claims.tsv", "data_quality.md"]:
        assert (tiny_run / "results" / name).read_bytes() == (tmp_path / "results" / name).read_bytes(), name
    timings = pd.read_csv(tmp_path / "results" / "timings.tsv", sep="\t")
    assert len(timings) == 32 and (timings["seconds"] > 0).all()  # 2 seqs x 2 steps x 4 trackers x 2 methods
    assert compared > 20


def test_bad_input_stops_with_one_line_and_rerun_resumes(tiny_run, tmp_path, snakemake_bin):
    data = tmp_path / "data"
    shutil.copytree(tiny_run / "results" / "data" / "tiny", data)
    man_track = data / "02_GT" / "TRA" / "man_track.txt"
    good = man_track.read_text()
    man_track.write_text(good.replace("\n", " 7\n", 1))  # five numbers on line 1
    config = {**MECHANICS, "overview": [],
              "datasets": {"real": {"path": str(data), "calibration": ["01"], "evaluation": ["02"]}}}
    proc = run(snakemake_bin, tmp_path / "work", config, check=False)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.startswith("uqtrack ERROR") and "man_track.txt" in line]
    assert len(lines) == 1 and "line 1" in lines[0], proc.stderr[-3000:]
    done = tmp_path / "work" / "results" / "prepared" / "real" / "01" / "detections.parquet"
    assert done.exists()  # the good sequence's work is kept
    before = done.stat().st_mtime_ns
    man_track.write_text(good)
    run(snakemake_bin, tmp_path / "work", config)
    assert done.stat().st_mtime_ns == before  # resumed, not redone
    assert (tmp_path / "work" / "results" / "summary.nc").exists()


def test_a_changed_mask_reruns_the_tracking_of_its_sequence(tiny_run, tmp_path, snakemake_bin):
    # edges jobs do not list the masks they read; prepare does, and its detections
    # must carry a change on to every edges job of that sequence, and only of it
    data = tmp_path / "data"
    shutil.copytree(tiny_run / "results" / "data" / "tiny", data)
    config = {**MECHANICS, "overview": [],
              "datasets": {"real": {"path": str(data), "calibration": ["01"], "evaluation": ["02"]}}}
    run(snakemake_bin, tmp_path / "work", config)
    mask = sorted((data / "02_GT" / "TRA").glob("man_track*.tif"))[3]
    # other bytes, same pixels (Snakemake compares the checksum of a small file, not only its time)
    tifffile.imwrite(mask, tifffile.imread(mask), compression="zlib")
    proc = subprocess.run(
        [*snakemake_bin, "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path / "work"),
         "--configfile", str(tmp_path / "work" / "config.yaml"), "--dry-run", "--quiet", "rules",
         "--rerun-triggers", "mtime"],
        capture_output=True, text=True, check=True,
    )  # the dry run's job stats: one "rule count" line per rule
    counts = dict(line.split() for line in (proc.stdout + proc.stderr).splitlines()
                  if len(line.split()) == 2 and line.split()[1].isdigit())
    # prepare of 02 (the masks' own job), then 02's edges at both steps, one tracker
    assert counts.get("prepare") == "1" and counts.get("edges") == "2", proc.stdout + proc.stderr


@needs_shared_data
@pytest.mark.realdata
def test_fluo_n2dh_sim_plus(tmp_path, snakemake_bin):
    config = {
        "seed": 0,
        "steps": [1, 10],
        "methods": ["sm", "as"],
        "trackers": {"distance": {"sigma": "auto"}},
        "datasets": {
            "Fluo-N2DH-SIM+": {
                "path": str(SHARED_DATA / "ctc" / "Fluo-N2DH-SIM+"),
                "calibration": ["01"],
                "evaluation": ["02"],
            }
        },
    }
    run(snakemake_bin, tmp_path, config)
    summary = xr.load_dataset(tmp_path / "results" / "summary.nc")
    # `method` is also a keyword of .sel(), hence the dict
    cell = summary.sel(dataset="Fluo-N2DH-SIM+", tracker="distance", uq="sm")
    acc = cell["accuracy"]
    assert float(acc.sel(step=1)) >= 0.95
    assert float(acc.sel(step=10)) < float(acc.sel(step=1))
    # appearance priced for the step: the MAP keeps linking (measured 0.026 vs 0.023)
    share = cell["share_predicted_appearing"].sel(step=10) - cell["share_without_mother"].sel(step=10)
    assert abs(float(share)) < 0.02
    assert (tmp_path / "results" / "claims.md").stat().st_size > 1000
    ece = summary["ece"].values
    assert np.isfinite(ece).all() and (ece <= 1).all()


def test_notebook_runs_on_the_results(tiny_run):
    """The exploration notebook, executed by a real Jupyter kernel against the results."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(ROOT / "notebooks" / "most_uncertain_links.ipynb", as_version=4)
    # the notebook reads ../results, as from notebooks/ beside a run's results/
    workdir = tiny_run / "notebooks"
    workdir.mkdir(exist_ok=True)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(workdir)}}).execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the figures were drawn
