"""A masks-only movie through real Snakemake: tracked with an annotated dataset's
tracker and temperature, exported, and never retracked when a truth file changes."""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tifffile
import yaml

from uqtrack.export import read_geff
from uqtrack.simulate import simulate_dataset

from conftest import ROOT, snakemake_command

pytestmark = pytest.mark.slow

STEP = 1


def config_for(root: Path) -> dict:
    return {
        "seed": 1,
        "steps": [STEP],
        "samples": 4,
        "bootstrap": 20,
        "methods": ["as"],
        "trackers": {"distance": {"sigma": "auto"}},
        "datasets": {
            # annotated: fits sigma and the temperature on 01, judged on 02
            "colony": {"path": str(root / "data"), "calibration": ["01"], "evaluation": ["02"]},
            # the same 02, masks only, in the CTC layout with man_track.txt removed
            "movie": {"path": str(root / "movie"), "annotated": False, "track": ["02"],
                      "calibration_from": "colony"},
            # ... and as a segmentation tool might write it: own names, frames from 1, 4 digits
            "renamed": {"path": str(root / "renamed"), "annotated": False, "masks": "{seq}_seg/*.tif",
                        "track": ["02"], "calibration_from": "colony"},
        },
        "export": {"tracker": "distance", "method": "as", "step": STEP},
    }


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [*snakemake_command(), "-s", str(ROOT / "Snakefile"), "-d", str(workdir), *args,
         "--configfile", str(workdir / "config.yaml")],  # last: it takes several values
        capture_output=True, text=True,
    )
    if check and proc.returncode != 0:
        raise AssertionError(proc.stdout[-3000:] + proc.stderr[-5000:])
    return proc


def planned_jobs(workdir: Path, target: str = "export") -> dict[str, int]:
    """Rule -> job count of a dry run (empty when nothing is to be done)."""
    out = snakemake(workdir, "-n", target).stdout
    if "Job stats:" not in out:
        assert "Nothing to be done" in out, out[-2000:]
        return {}
    table = out.split("Job stats:", 1)[1].strip().splitlines()[2:]
    jobs = {}
    for line in table:
        if not line.strip():
            break
        rule, count = line.split()
        jobs[rule] = int(count)
    jobs.pop("total", None)
    return jobs


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    simulate_dataset(root / "data", ["01", "02"], "colony", {"n_frames": 20}, 1)
    shutil.copytree(root / "data" / "02_GT", root / "movie" / "02_GT")
    (root / "movie" / "02_GT" / "TRA" / "man_track.txt").unlink()
    seg = root / "renamed" / "02_seg"
    seg.mkdir(parents=True)
    for mask in sorted((root / "data" / "02_GT" / "TRA").glob("man_track*.tif")):
        t = int(mask.stem.removeprefix("man_track"))
        shutil.copy(mask, seg / f"seg_t{t + 1:04d}.tif")
    work = root / "work"
    work.mkdir()
    (work / "config.yaml").write_text(yaml.safe_dump(config_for(root), sort_keys=False))
    snakemake(work, "--cores", "2", "export")
    return root, work


def export_dir(work: Path, dataset: str) -> Path:
    return work / "results" / "export" / dataset / "02"


def test_masks_only_movie_is_tracked_with_the_annotated_temperature(run):
    root, work = run
    fit = yaml.safe_load((work / f"results/temperature/colony/step{STEP}/distance/as.json").read_text())
    assert fit["status"] == "fitted" and fit["tau"] != 1.0
    annotated, movie = export_dir(work, "colony"), export_dir(work, "movie")
    context = yaml.safe_load((movie / "export.json").read_text())
    assert context["tau"] == fit["tau"] and context["tau_from"] == "colony"
    # same masks, same fitted tracker, same temperature: the very same export
    assert (movie / "links.tsv").read_bytes() == (annotated / "links.tsv").read_bytes()
    for a in sorted((annotated / "02_RES").iterdir()):
        assert (movie / "02_RES" / a.name).read_bytes() == a.read_bytes(), a.name
    # no truth and no tracker of its own for the masks-only movie
    assert not (work / "results" / "trackers" / "movie").exists()
    prepared = sorted(p.name for p in (work / "results" / "prepared" / "movie" / "02").iterdir())
    assert prepared == ["detections.parquet", "stats.json"]
    assert not (movie / "check.md").exists() and (annotated / "check.md").exists()
    assert "Expected wrong links" in (movie / "proofread.md").read_text()


def test_renamed_masks_export_with_ctc_numbering(run):
    _, work = run
    annotated, renamed = export_dir(work, "colony"), export_dir(work, "renamed")
    a = pd.read_csv(annotated / "links.tsv", sep="\t", keep_default_na=False)
    r = pd.read_csv(renamed / "links.tsv", sep="\t", keep_default_na=False)
    # movie frames 1.. are frames 0.. of the annotated copy; CTC frames start at 0 in both
    pd.testing.assert_frame_equal(r.assign(t=r["t"] - 1, t2=r["t2"] - 1), a)
    masks_a = sorted(p.name for p in (annotated / "02_RES").glob("mask*.tif"))
    masks_r = sorted(p.name for p in (renamed / "02_RES").glob("mask*.tif"))
    assert masks_a[0] == "mask000.tif" and masks_r[0] == "mask0000.tif" and len(masks_a) == len(masks_r)
    for x, y in zip(masks_a, masks_r, strict=True):
        np.testing.assert_array_equal(tifffile.imread(annotated / "02_RES" / x),
                                      tifffile.imread(renamed / "02_RES" / y))
    assert (renamed / "02_RES" / "res_track.txt").read_text() == (annotated / "02_RES" / "res_track.txt").read_text()


def test_geff_holds_the_links_of_links_tsv(run):
    _, work = run
    movie = export_dir(work, "movie")
    links = pd.read_csv(movie / "links.tsv", sep="\t", keep_default_na=False)
    nodes, edges, meta = read_geff(movie / "tracks.geff")
    nodes = nodes.set_index("node")
    got = pd.DataFrame({
        "t": nodes.loc[edges["source"], "frame"].to_numpy(), "mother": nodes.loc[edges["source"], "label"].to_numpy(),
        "t2": nodes.loc[edges["target"], "frame"].to_numpy(),
        "daughter": nodes.loc[edges["target"], "label"].to_numpy(),
        "confidence": edges["confidence"].to_numpy(), "rank": edges["rank"].to_numpy(),
    }).sort_values("rank", ignore_index=True)
    for name in ["t", "t2", "mother", "daughter", "rank"]:
        np.testing.assert_array_equal(got[name].to_numpy(), links[name].to_numpy())
    np.testing.assert_allclose(got["confidence"], links["confidence"], rtol=1e-5)  # the TSV keeps 6 digits
    assert meta.extra["uqtrack"]["tau_from"] == "colony"


def test_truth_changes_rerun_no_tracking(run):
    root, work = run
    assert planned_jobs(work) == {}
    # the masks-only movie gets its man_track.txt back, then loses it again: nothing to do
    man_track = root / "movie" / "02_GT" / "TRA" / "man_track.txt"
    shutil.copy(root / "data" / "02_GT" / "TRA" / "man_track.txt", man_track)
    assert planned_jobs(work) == {}
    man_track.unlink()
    assert planned_jobs(work) == {}
    # the annotated evaluation truth changes: only the truth and the check that joins it rerun
    truth = root / "data" / "02_GT" / "TRA" / "man_track.txt"
    truth.write_text(truth.read_text() + "\n")
    assert set(planned_jobs(work)) == {"lineage", "truth", "proofread_check", "export"}
    # the full run (metrics, figures, claims) also reruns no tracking after it
    jobs = planned_jobs(work, "all")
    assert not {"prepare", "fit", "edges", "export_tracks"} & set(jobs), jobs


def test_rule_all_exports(run):
    """`all` includes the exports; that their bytes do not depend on --cores is checked
    with the rest of a run's results in test_workflow.test_same_seed_same_bytes_whatever_cores."""
    _, work = run
    graph = snakemake(work, "all", "--rulegraph").stdout
    assert "export_tracks" in graph and "proofread_check" in graph


def test_a_previous_run_calibrates_a_new_movie(run, tmp_path):
    """Only the movie in the config: the fitted tracker and the temperature come from
    the earlier run's results/, and the export equals the one that run made itself."""
    root, work = run
    config = config_for(root)
    movie = {**config["datasets"]["movie"], "calibration_from": {"run": str(work), "dataset": "colony"}}
    config["datasets"] = {"movie": movie}
    new = tmp_path / "new"
    new.mkdir()
    (new / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    proc = snakemake(new, "--cores", "2")  # the README's plain command: rule all
    assert "uqtrack: done. Exports: results/export/" in proc.stderr
    before, now = export_dir(work, "movie"), export_dir(new, "movie")
    assert (now / "links.tsv").read_bytes() == (before / "links.tsv").read_bytes()
    # the summary names where its temperature came from, and is otherwise the same
    label = f"`colony (run {work})`"
    assert label in (now / "proofread.md").read_text()
    assert (now / "proofread.md").read_text().replace(label, "`colony`") == (before / "proofread.md").read_text()
    context = yaml.safe_load((now / "export.json").read_text())
    assert context["tau"] == yaml.safe_load((before / "export.json").read_text())["tau"]
    assert context["tau_from"] == f"colony (run {work})"
    # nothing fitted, calibrated or evaluated here
    assert sorted(p.name for p in (new / "results").iterdir()) == ["benchmarks", "edges", "export", "prepared"]
