"""Export of one sequence: links, CTC tracks and masks, GEFF, proofreading; masks-only config."""

import copy
import itertools

import numpy as np
import pandas as pd
import pytest
import tifffile
import yaml
from scipy import stats

from uqtrack import config as cfg
from uqtrack import ctc
from uqtrack.errors import InputError
from uqtrack.export import map_tracks, predicted_links, read_geff, write_ctc_result, write_geff
from uqtrack.proofread import budget, check, checked, error_count_range, summary_markdown

from conftest import ROOT, workflow_paths

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
PATHS = workflow_paths()


def export_targets(run):
    """The export's targets as the workflow asks for them (`export.smk`)."""
    return PATHS["export_targets"](run.exported, lambda name: run.datasets[name].annotated)


def export_inputs(run, dataset, seq):
    """The export's inputs of one sequence as the workflow gives them (`export.smk`)."""
    return PATHS["export_inputs"](run.export, dataset, seq, run.datasets[dataset].calibration_origin)
DEFAULT = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def edge_table():
    """Two frame pairs by hand: frame 0 cells 1, 2; frame 1 cells 1, 2, 3; frame 2 cells 1, 5.

    Cell 2 divides into 2 and 3 at frame 1; cell 5 appears at frame 2.
    """
    rows = [  # t, t2, daughter, mother, P (unnormalised), pred
        (0, 1, 1, 0, 0.1, False), (0, 1, 1, 1, 0.8, True), (0, 1, 1, 2, 0.1, False),
        (0, 1, 2, 0, 0.05, False), (0, 1, 2, 1, 0.15, False), (0, 1, 2, 2, 0.8, True),
        (0, 1, 3, 0, 0.2, False), (0, 1, 3, 2, 0.6, True),
        (1, 2, 1, 0, 0.01, False), (1, 2, 1, 1, 0.99, True),
        (1, 2, 5, 0, 0.7, True), (1, 2, 5, 3, 0.3, False),
    ]
    t = pd.DataFrame(rows, columns=["t", "t2", "daughter", "mother", "p", "pred"])
    t["logp"] = np.log(t["p"])
    t["p_cond"] = t["p"] / t.groupby(["t", "t2", "daughter"])["p"].transform("sum")
    t["cost"] = -t["logp"]
    return t.drop(columns="p")


def cells_table():
    return pd.DataFrame({"frame": [0, 0, 1, 1, 1, 2, 2], "label": [1, 2, 1, 2, 3, 1, 5],
                         "y": [1.0, 9, 1, 8, 10, 1, 5], "x": [1.0, 9, 1, 8, 10, 1, 5],
                         "area": [4, 5, 4, 3, 3, 4, 6]})


# --------------------------------------------------------------------------- links


def test_links_confidence_entropy_and_alternatives_by_hand():
    tau = 0.5
    links = predicted_links(edge_table(), tau)
    assert len(links) == 4  # cell 5 appears: not a link
    link = links.set_index(["t", "daughter"]).loc[(0, 2)]
    p = np.array([0.05, 0.15, 0.8])  # none, mother 1, mother 2
    q = p**tau / (p**tau).sum()
    assert link["mother"] == 2
    assert link["confidence_raw"] == pytest.approx(0.8)
    assert link["confidence"] == pytest.approx(q[2])
    assert link["p_appear"] == pytest.approx(q[0])
    assert link["entropy"] == pytest.approx(-(q * np.log(q)).sum())
    assert link["entropy_raw"] == pytest.approx(-(p * np.log(p)).sum())
    assert link["alternatives"] == f"1:{q[1]:.3g}"
    # daughter 3 of frame 1 has no other candidate mother
    assert links.set_index(["t", "daughter"]).loc[(0, 3), "alternatives"] == ""
    # ranked from least confident: by hand (tau = 0.5) 0.586, 0.594, 0.634, 0.909
    assert list(links["rank"]) == [1, 2, 3, 4]
    assert links["confidence"].is_monotonic_increasing
    assert list(zip(links["t"], links["daughter"])) == [(0, 1), (0, 2), (0, 3), (1, 1)]
    assert links["confidence"].round(3).tolist() == [0.586, 0.594, 0.634, 0.909]


def test_links_with_tau_one_are_the_raw_ones():
    links = predicted_links(edge_table(), 1.0)
    np.testing.assert_allclose(links["confidence"], links["confidence_raw"])


def test_a_daughter_needs_exactly_one_prediction():
    table = edge_table()
    table.loc[0, "pred"] = True  # daughter 1 of frame 1: "appears" and mother 1
    with pytest.raises(ValueError, match="daughter 1 .* 2 predicted classes"):
        predicted_links(table, 1.0)


# --------------------------------------------------------------------------- CTC tracks


def test_ctc_tracks_by_hand(tmp_path):
    links = predicted_links(edge_table(), 1.0)
    cells, tracks = map_tracks(cells_table(), links, [0, 1, 2])
    # track 1: cell 1 throughout; 2: cell 2 at 0, divides; 3, 4: its daughters; 5: cell 5 appears
    assert tracks.values.tolist() == [[1, 0, 2, 0], [2, 0, 0, 0], [3, 1, 1, 2], [4, 1, 1, 2], [5, 2, 2, 0]]
    track = cells.set_index(["frame", "label"])["track_id"].to_dict()
    assert track == {(0, 1): 1, (0, 2): 2, (1, 1): 1, (1, 2): 3, (1, 3): 4, (2, 1): 1, (2, 5): 5}
    assert cells.set_index(["frame", "label"])["lineage_id"].to_dict()[(1, 3)] == 2
    # a valid CTC lineage: the checked writer takes it, the reader gives it back
    assert ctc.read_man_track(ctc.write_man_track(tmp_path / "res_track.txt", tracks)).equals(tracks)


def test_ctc_tracks_number_frames_from_zero_and_skip_unexported_ones():
    links = predicted_links(edge_table(), 1.0)
    cells = cells_table().assign(frame=lambda c: c["frame"] * 4 + 1)  # frames 1, 5, 9
    links = links.assign(t=links["t"] * 4 + 1, t2=links["t2"] * 4 + 1)
    extra = pd.DataFrame({"frame": [3], "label": [7], "y": [0.0], "x": [0.0], "area": [1]})
    out, tracks = map_tracks(pd.concat([cells, extra]), links, [1, 5, 9])
    assert tracks["end"].max() == 2 and list(out["k"].unique()) == [0, 1, 2]
    assert 3 not in out["frame"].to_numpy()


def test_ctc_tracks_reject_links_that_do_not_fit_the_cells():
    links = predicted_links(edge_table(), 1.0)
    with pytest.raises(InputError, match="not in the detections"):
        map_tracks(cells_table()[lambda c: c["label"] != 3], links, [0, 1, 2], source="e.parquet")
    with pytest.raises(InputError, match="not consecutive"):
        map_tracks(cells_table(), links, [0, 2, 1])
    twice = pd.concat([links, links.iloc[:1].assign(mother=2)])
    with pytest.raises(InputError, match="two predicted mothers"):
        map_tracks(cells_table(), twice, [0, 1, 2])


def write_masks(folder, cells, shape=(12, 12), name="seg_t{:04d}.tif"):
    """One label image per frame: each cell a 1x2 block at its (y, x)."""
    folder.mkdir(parents=True, exist_ok=True)
    for t, group in cells.groupby("frame"):
        img = np.zeros(shape, np.uint16)
        for r in group.itertuples():
            img[int(r.y), int(r.x):int(r.x) + 2] = r.label
        tifffile.imwrite(folder / name.format(t), img)


def test_ctc_result_relabels_masks_and_writes_res_track(tmp_path):
    cells = cells_table()
    write_masks(tmp_path / "in", cells)
    masks = ctc.find_label_images(tmp_path / "in")
    detections, stats = ctc.read_masks(tmp_path / "in")
    assert stats["digits"] == 4 and stats["n_frames"] == 3
    kept, tracks = map_tracks(detections, predicted_links(edge_table(), 1.0), [0, 1, 2, 3])
    (tmp_path / "out").mkdir()
    empty = write_ctc_result(tmp_path / "out", kept, tracks, masks, [0, 1, 2, 3], digits=stats["digits"])
    assert empty == 1  # frame 3 has no image: written empty
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["mask0000.tif", "mask0001.tif", "mask0002.tif", "mask0003.tif", "res_track.txt"]
    assert ctc.read_man_track(tmp_path / "out" / "res_track.txt").equals(tracks)
    for k in range(3):
        img_in = tifffile.imread(masks[k])
        img_out = tifffile.imread(tmp_path / "out" / f"mask{k:04d}.tif")
        lut = kept[kept["frame"] == k].set_index("label")["track_id"]
        assert ((img_out == 0) == (img_in == 0)).all()
        for label, track in lut.items():
            assert (img_out[img_in == label] == track).all()
    assert not tifffile.imread(tmp_path / "out" / "mask0003.tif").any()


def test_ctc_result_stops_on_a_label_the_detections_lack(tmp_path):
    cells = cells_table()
    write_masks(tmp_path / "in", cells)
    kept, tracks = map_tracks(cells, predicted_links(edge_table(), 1.0), [0, 1, 2])
    kept = kept[~((kept["frame"] == 2) & (kept["label"] == 5))]
    (tmp_path / "out").mkdir()
    with pytest.raises(InputError, match="label 5 was not detected"):
        write_ctc_result(tmp_path / "out", kept, tracks, ctc.find_label_images(tmp_path / "in"), [0, 1, 2])


# --------------------------------------------------------------------------- label images


def test_label_images_from_a_folder_or_a_glob(tmp_path):
    write_masks(tmp_path / "a", cells_table(), name="img_c1_t{:03d}_masks.tif")
    (tmp_path / "a" / "notes.txt").write_text("not an image")
    found = ctc.find_label_images(tmp_path / "a")
    assert list(found) == [0, 1, 2]
    assert list(ctc.find_label_images(tmp_path / "a" / "*t00[12]*.tif")) == [1, 2]
    with pytest.raises(InputError, match="no label images"):
        ctc.find_label_images(tmp_path / "a" / "*.png")
    with pytest.raises(InputError, match="no such folder"):
        ctc.find_label_images(tmp_path / "nope")
    tifffile.imwrite(tmp_path / "a" / "other_001.tif", np.zeros((2, 2), np.uint8))
    with pytest.raises(InputError, match="frame 1 appears twice"):
        ctc.find_label_images(tmp_path / "a")
    tifffile.imwrite(tmp_path / "a" / "final.tif", np.zeros((2, 2), np.uint8))
    with pytest.raises(InputError, match="no frame number"):
        ctc.find_label_images(tmp_path / "a" / "f*.tif")


def test_read_masks_counts_holes_and_empty_frames(tmp_path):
    cells = cells_table().assign(frame=lambda c: c["frame"].map({0: 2, 1: 3, 2: 6}))
    write_masks(tmp_path / "m", cells, name="mask{:03d}.tif")
    tifffile.imwrite(tmp_path / "m" / "mask007.tif", np.zeros((12, 12), np.uint16))
    detections, stats = ctc.read_masks(tmp_path / "m")
    assert (stats["first_frame"], stats["last_frame"], stats["digits"]) == (2, 7, 3)
    assert stats["missing_frame_numbers"] == [4, 5] and stats["empty_frames"] == [7]
    assert len(detections) == stats["n_detections"] == 7


# --------------------------------------------------------------------------- GEFF


def test_geff_round_trip(tmp_path):
    links = predicted_links(edge_table(), 0.7)
    cells, _ = map_tracks(cells_table(), links, [0, 1, 2])
    write_geff(tmp_path / "g.geff", cells, links, {"tau": 0.7})
    nodes, edges, meta = read_geff(tmp_path / "g.geff")
    assert meta.directed and [a.name for a in meta.axes] == ["t", "y", "x"]
    assert meta.track_node_props == {"tracklet": "track_id", "lineage": "lineage_id"}
    assert meta.extra["uqtrack"] == {"tau": 0.7}
    nodes = nodes.set_index("node")
    for name in ["frame", "label", "y", "x", "track_id", "lineage_id", "area"]:
        np.testing.assert_array_equal(nodes[name].to_numpy(), cells[name].to_numpy())
    np.testing.assert_array_equal(nodes["t"].to_numpy(), cells["k"].to_numpy())
    got = edges.assign(
        t=nodes.loc[edges["source"], "frame"].to_numpy(), mother=nodes.loc[edges["source"], "label"].to_numpy(),
        t2=nodes.loc[edges["target"], "frame"].to_numpy(), daughter=nodes.loc[edges["target"], "label"].to_numpy(),
    ).sort_values("rank", ignore_index=True)
    for name in ["t", "t2", "mother", "daughter", "confidence", "confidence_raw", "entropy", "rank"]:
        np.testing.assert_array_equal(got[name].to_numpy(), links[name].to_numpy())


# --------------------------------------------------------------------------- proofreading


def test_budget_sums_one_minus_confidence_over_the_least_confident():
    links = pd.DataFrame({"rank": [3, 1, 2, 4], "confidence": [0.9, 0.5, 0.8, 1.0]})
    table = budget(links, fractions=[0.25, 0.5])
    assert table["links_checked"].tolist() == [1, 2, 4]
    assert table["expected_errors_caught"].tolist() == pytest.approx([0.5, 0.7, 0.8])
    assert table["share_of_expected_errors"].tolist() == pytest.approx([0.5 / 0.8, 0.7 / 0.8, 1.0])
    assert [checked(20, q) for q in (0.05, 0.1, 0.2)] == [1, 2, 4]
    assert checked(21, 0.05) == 2 and checked(0, 0.05) == 0


def test_error_count_range_against_binomial_and_brute_force():
    lo, hi = error_count_range(np.full(30, 0.2))
    assert (lo, hi) == tuple(int(v) for v in stats.binom(30, 0.2).ppf([0.025, 0.975]))
    p = np.array([0.05, 0.3, 0.6, 0.1, 0.9, 0.45])
    pmf = np.zeros(len(p) + 1)
    for wrong in itertools.product([0, 1], repeat=len(p)):
        w = np.array(wrong)
        pmf[w.sum()] += np.prod(np.where(w, p, 1 - p))
    cdf = np.cumsum(pmf)
    expected = (int(np.argmax(cdf >= 0.025)), int(np.argmax(cdf >= 0.975)))
    assert error_count_range(p) == expected
    assert error_count_range(np.zeros(4)) == (0, 0)


def test_check_counts_true_errors_per_budget():
    links = pd.DataFrame({
        "rank": [1, 2, 3, 4], "t": [0, 0, 1, 1], "t2": [1, 1, 2, 2], "mother": [2, 1, 3, 4],
        "daughter": [5, 6, 7, 8], "confidence": [0.4, 0.6, 0.9, 0.99], "confidence_raw": [0.8, 0.9, 1.0, 1.0],
    })
    truth = pd.DataFrame({"t": [0, 0, 1, 1, 1], "t2": [1, 1, 2, 2, 2], "daughter": [5, 6, 7, 8, 9],
                          "mother": [1, 1, 0, 4, 0]})
    table = check(links, truth, fractions=[0.25, 0.5])
    assert table["true_errors"].tolist() == [1, 1, 2]  # ranks 1 and 3 are wrong
    assert table["share_of_true_errors"].tolist() == [0.5, 0.5, 1.0]
    assert table["expected_errors"].tolist() == pytest.approx([0.6, 1.0, 1.11])
    assert table["expected_errors_raw"].tolist() == pytest.approx([0.2, 0.3, 0.3])
    with pytest.raises(InputError, match="daughter 8 .* no true mother"):
        check(links, truth[truth["daughter"] != 8])


def test_summary_names_the_expected_errors_and_the_least_confident_link():
    links = predicted_links(edge_table(), 0.5)
    cells, tracks = map_tracks(cells_table(), links, [0, 1, 2])
    track = cells.set_index(["frame", "label"])["track_id"]
    links["mother_track"] = track.reindex(pd.MultiIndex.from_frame(links[["t", "mother"]])).to_numpy()
    links["daughter_track"] = track.reindex(pd.MultiIndex.from_frame(links[["t2", "daughter"]])).to_numpy()
    ctx = dict(dataset="d", seq="01", tracker="distance", method="as", step=1, tau=0.5, tau_status="fitted",
               tau_from="cal", cells=7, frames=3, appearing=3, divisions=1, tracks=len(tracks))
    text = summary_markdown(links, budget(links), ctx)
    expected = (1 - links["confidence"]).sum()
    assert f"Expected wrong links: {expected:.1f} of 4" in text
    first = links.iloc[0]
    assert f"| 1 | 0 -> 1 | 1 -> 1 | 1 -> 1 | {first['confidence']:.3f} |" in text
    assert "tau = 0.5 " in text and "`cal`" in text
    assert "nan" not in text
    # links all certain: nothing expected, and the shares say "-" rather than nan%
    certain = links.assign(confidence=1.0)
    text = summary_markdown(certain, budget(certain), {**ctx, "eps": 0.02})
    assert "Expected wrong links: 0.0 of 4" in text and "nan" not in text and "| - |" in text
    assert "floor eps = 0.02" in text


# --------------------------------------------------------------------------- config


def masks_only_config(tmp_path):
    config = copy.deepcopy(DEFAULT)
    write_masks(tmp_path / "movie" / "01_masks", cells_table())
    config["datasets"]["movie"] = {"path": str(tmp_path / "movie"), "annotated": False,
                                   "masks": "{seq}_masks", "track": ["01"], "calibration_from": "sim-nuclei"}
    config["export"] = {"tracker": "distance", "method": "as", "step": 1}  # step: the schema's default
    return config


def _fails(config, *words):
    with pytest.raises(InputError) as err:
        cfg.load(config, SCHEMA, "my.yaml", PATHS["lent_files"])
    message = str(err.value)
    assert "\n" not in message and message.startswith("my.yaml: ")
    for word in words:
        assert word in message, message
    return message


def test_masks_only_dataset_config(tmp_path):
    config = masks_only_config(tmp_path)
    run = cfg.load(config, SCHEMA, "my.yaml")
    movie, nuclei = run.datasets["movie"], run.datasets["sim-nuclei"]
    assert movie.sequences == ["01"] and not movie.annotated and run.annotated == ["sim-nuclei", "sim-colony"]
    assert movie.parts("calibration") == ()
    assert movie.calibration_source == "sim-nuclei"
    assert nuclei.calibration_source == "sim-nuclei"
    assert movie.masks_location("/r", "01") == "/r/01_masks"
    assert nuclei.masks_location("/r", "02") == "/r/02_GT/TRA/man_track*.tif*"
    assert ("movie", "01") in run.exported and ("sim-colony", "02") in run.exported
    targets = export_targets(run)
    assert "results/export/movie/01/01_RES" in targets and "results/export/sim-nuclei/02/check.md" in targets
    assert not any(t.startswith("results/export/movie/") and "check" in t for t in targets)
    inputs = export_inputs(run, "movie", "01")  # the movie's edges, the calibration's temperature
    assert inputs["edges"] == "results/edges/movie/01/step1/distance/as/edges.parquet"
    assert inputs["temperature"] == "results/temperature/sim-nuclei/step1/distance/as.json"
    assert nuclei.calibrated_on("01").startswith("yes")
    assert nuclei.calibrated_on("02") == "no"
    ranged = cfg.Dataset.from_config("x", {"calibration": [{"seq": "01", "frames": [0, 26]}]}, [1])
    assert ranged.calibrated_on("01").startswith("on frames 0-26")
    del config["export"], config["datasets"]["movie"]
    run = cfg.load(config, SCHEMA, "my.yaml")
    assert run.exported == [] and export_targets(run) == []


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda c: c["datasets"]["movie"].pop("track"), ["datasets.movie", "'track' is a required property"]),
        (lambda c: c["datasets"]["movie"].pop("calibration_from"), ["'calibration_from' is a required"]),
        (lambda c: c["datasets"]["movie"].update(calibration_from="nope"), ["calibration_from", "no dataset 'nope'"]),
        (lambda c: c["datasets"]["movie"].update(calibration=["01"]), ["datasets.movie.calibration", "masks-only"]),
        (lambda c: c["datasets"]["movie"].update(masks="{seq}_nothing"), ["datasets.movie.masks", "no such folder"]),
        (lambda c: c["datasets"]["sim-nuclei"].update(masks="x"), ["datasets.sim-nuclei.masks", "only for"]),
        (lambda c: c["datasets"]["movie"].update(annotated="no"), ["datasets.movie.annotated"]),
        (lambda c: c.pop("export"), ["datasets.movie is masks-only", "export"]),
        (lambda c: c["export"].update(method="fp", tracker="distance") or c.update(methods=["as"]),
         ["export.method", "'fp' is not in methods"]),
        (lambda c: c["export"].update(tracker="nope"), ["export.tracker", "'nope'"]),
        (lambda c: c["export"].update(step=0), ["export.step"]),
    ],
)
def test_masks_only_config_faults_are_one_line(tmp_path, change, words):
    config = masks_only_config(tmp_path)
    change(config)
    _fails(config, *words)


def test_calibration_from_must_be_annotated(tmp_path):
    config = masks_only_config(tmp_path)
    config["datasets"]["other"] = dict(config["datasets"]["movie"])
    config["datasets"]["movie"]["calibration_from"] = "other"
    _fails(config, "datasets.movie.calibration_from", "'other' is masks-only")


def previous_run(tmp_path, methods=("as",)):
    """The files a previous run lends: its fitted tracker and temperatures."""
    results = tmp_path / "prev" / "results"
    (results / "trackers/sim-nuclei/distance").mkdir(parents=True)
    (results / "trackers/sim-nuclei/distance/params.json").write_text("{}")
    (results / "temperature/sim-nuclei/step1/distance").mkdir(parents=True)
    for m in methods:
        (results / f"temperature/sim-nuclei/step1/distance/{m}.json").write_text("{}")
    return tmp_path / "prev"


def test_calibration_from_a_previous_run(tmp_path):
    config = masks_only_config(tmp_path)
    run = previous_run(tmp_path)
    config["datasets"]["movie"]["calibration_from"] = {"run": str(run), "dataset": "sim-nuclei"}
    loaded = cfg.load(config, SCHEMA, "my.yaml", PATHS["lent_files"])
    assert loaded.datasets["movie"].calibration_origin == (str(run), "sim-nuclei")
    assert loaded.datasets["sim-nuclei"].calibration_origin == (None, "sim-nuclei")
    assert loaded.datasets["movie"].calibration_source == f"sim-nuclei (run {run})"
    inputs = export_inputs(loaded, "movie", "01")
    assert inputs["temperature"] == f"{run}/results/temperature/sim-nuclei/step1/distance/as.json"
    assert inputs["edges"] == "results/edges/movie/01/step1/distance/as/edges.parquet"  # tracked here


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda c, run: c["datasets"]["movie"].update(
            calibration_from={"run": str(run / "results"), "dataset": "sim-nuclei"}),
         ["datasets.movie.calibration_from.run: no results/ folder in"]),
        (lambda c, run: c["export"].update(method="fp"),
         ["datasets.movie.calibration_from:", "temperature/sim-nuclei/step1/distance/fp.json not found",
          "did not fit tracker 'distance' with method 'fp' at step 1 on dataset 'sim-nuclei'"]),
        (lambda c, run: c["datasets"]["movie"]["calibration_from"].update(dataset="sim-colony"),
         ["trackers/sim-colony/distance/params.json not found"]),
        (lambda c, run: c["datasets"]["movie"]["calibration_from"].pop("dataset"),
         ["datasets.movie.calibration_from"]),
    ],
)
def test_previous_run_faults_are_one_line(tmp_path, change, words):
    config = masks_only_config(tmp_path)
    run = previous_run(tmp_path)
    config["datasets"]["movie"]["calibration_from"] = {"run": str(run), "dataset": "sim-nuclei"}
    change(config, run)
    _fails(config, *words)


def test_a_movie_without_links_still_exports(tmp_path):
    """One frame (or no cell that links): empty links, one track per cell, a valid GEFF."""
    from uqtrack.tables import empty_table

    cells = cells_table()[lambda c: c["frame"] == 0]
    write_masks(tmp_path / "in", cells)
    links = predicted_links(empty_table(), 0.5)
    assert len(links) == 0
    kept, tracks = map_tracks(cells, links, [0])
    assert tracks.values.tolist() == [[1, 0, 0, 0], [2, 0, 0, 0]]
    (tmp_path / "out").mkdir()
    write_ctc_result(tmp_path / "out", kept, tracks, ctc.find_label_images(tmp_path / "in"), [0])
    write_geff(tmp_path / "g.geff", kept, links, {})
    nodes, edges, _ = read_geff(tmp_path / "g.geff")
    assert len(nodes) == 2 and len(edges) == 0
    table = budget(links)
    assert table["links_checked"].tolist() == [0, 0, 0, 0]
    assert error_count_range(np.zeros(0)) == (0, 0)


def test_an_annotated_folder_without_masks_is_one_line(tmp_path):
    config = copy.deepcopy(DEFAULT)
    for seq in ("01", "02"):
        (tmp_path / f"{seq}_GT" / "TRA").mkdir(parents=True)
    config["datasets"] = {"real": {"path": str(tmp_path), "calibration": ["01"], "evaluation": ["02"]}}
    _fails(config, "datasets.real.path", "man_track*.tif", "no label images")


def test_tracking_and_truth_list_the_same_annotated_frames(tmp_path):
    """`prepare` lists a TRA folder through masks_location, the truth through find_frames."""
    tra = tmp_path / "02_GT" / "TRA"
    tra.mkdir(parents=True)
    for name in ["man_track000.tif", "man_track001.TIF", "man_track002.tiff", "man_track.txt"]:
        (tra / name).write_bytes(b"")
    listed = ctc.find_label_images(cfg.Dataset("x", (1,)).masks_location(str(tmp_path), "02"))
    assert listed == ctc.find_frames(tra) and sorted(listed) == [0, 1, 2]
