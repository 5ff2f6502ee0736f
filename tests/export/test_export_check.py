"""Independent check of the CTC and GEFF exports with traccuracy.

traccuracy loads the exported CTC result (``res_track.txt`` + ``mask*.tif``) and the
ground truth (``man_track.txt`` + ``man_track*.tif``), matches their cells
(CTCMatcher) and counts edges. Which of its numbers is our "accuracy of judged
links", and why they must agree:

- The export relabels the very masks the truth was drawn on, so every predicted
  cell matches exactly one true cell (Node precision = recall = 1).
- A predicted edge is a predicted link, mother at ``t`` -> daughter at ``t + 1``:
  ``Total Pred Edges`` = our ``n_predicted_links`` (daughters predicted to appear
  make no edge, and are not judged by us either).
- traccuracy's truth graph joins consecutive cells of a track and a parent's last
  cell to its children's first. At step 1 this is exactly our true mother (the
  cell at ``t`` on the daughter's own track, else on its nearest ancestor alive at
  ``t``), so a predicted edge is a ``True Positive Edge`` exactly when our link is
  correct: ``Edge Precision`` (BasicMetrics) = our ``accuracy``, and CTCMetrics'
  ``fp_edges`` (AOGM's edges to delete) = our wrong links.
- Where no track has gaps and no child starts late, the truth graph's edges are
  our true links: ``Edge Recall`` = our ``link_recall``.
- CTCMetrics' ``ws_edges`` (an edge whose division/continuation semantics differ)
  are right links in both our accuracy and ``Edge Precision``; only AOGM charges
  them.

The GEFF graph, loaded by traccuracy's GEFF loader and matched to the truth by
position, must give the same edge counts.
"""

import os
import warnings
from pathlib import Path

import numpy as np
import pytest

from uqtrack import ctc
from uqtrack.evaluation import evaluate
from uqtrack.export import map_tracks, predicted_links, read_geff, write_ctc_result, write_geff
from uqtrack.frames import frame_source
from uqtrack.lineage import frame_pairs, sequence_frames, true_links
from uqtrack.linking import link_sequence
from uqtrack.simulate import simulate_dataset
from uqtrack.tables import join_truth
from uqtrack.trackers import continuing_moves, fit_sigma, make_tracker
from uqtrack.uq import MethodParams

from conftest import SHARED_DATA

traccuracy = pytest.importorskip("traccuracy")
from traccuracy.loaders import load_ctc_data, load_geff_data  # noqa: E402
from traccuracy.matchers import CTCMatcher, PointMatcher  # noqa: E402
from traccuracy.metrics import BasicMetrics, CTCMetrics  # noqa: E402

DATA = Path(os.environ.get("UQTRACK_SHARED_DATA", SHARED_DATA)) / "ctc"


def export_sequence(tra: Path, out: Path, method: str, tau: float):
    """Track one CTC sequence at step 1 and export it; return our metrics and the counts."""
    detections, stats = ctc.read_masks(tra / "man_track*.tif")
    tracks = ctc.read_man_track(tra / "man_track.txt")
    lineage = ctc.validate(tracks, detections, tra)
    frames = sequence_frames(stats)
    truth = true_links(tracks, detections, 1, frames=frames)
    tracker = make_tracker({"type": "distance"}, {"sigma": fit_sigma(continuing_moves(truth, detections))}, 1)
    table, _ = link_sequence(frame_source(detections), frame_pairs(frames, 1), tracker, [method],
                             MethodParams(k=4), (0, str(tra)))[method]
    ours = evaluate(join_truth(table, truth), tau)
    links = predicted_links(table, tau)
    exported = list(range(stats["first_frame"], stats["last_frame"] + 1))
    cells, res = map_tracks(detections, links, exported)
    (out / "RES").mkdir(parents=True)
    write_ctc_result(out / "RES", cells, res, ctc.find_label_images(tra / "man_track*.tif"), exported,
                     stats["digits"])
    write_geff(out / "tracks.geff", cells, links, {})
    return ours, lineage, links, cells


def traccuracy_counts(tra: Path, out: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gt = load_ctc_data(str(tra), str(tra / "man_track.txt"))
        pred = load_ctc_data(str(out / "RES"), str(out / "RES" / "res_track.txt"))
        results, _ = traccuracy.run_metrics(gt, pred, CTCMatcher(), [BasicMetrics(), CTCMetrics()])
        # a fresh truth graph: run_metrics annotates the graphs it is given
        gt = load_ctc_data(str(tra), str(tra / "man_track.txt"))
        from_geff = load_geff_data(str(out / "tracks.geff"))
        by_point, _ = traccuracy.run_metrics(gt, from_geff, PointMatcher(threshold=0.01), [BasicMetrics()])
    counts = {**results[0]["results"], **results[1]["results"]}
    return counts, by_point[0]["results"]


def assert_agree(tra: Path, out: Path, method: str, tau: float) -> dict:
    ours, lineage, links, cells = export_sequence(tra, out, method, tau)
    theirs, geff = traccuracy_counts(tra, out)
    n_links = int(ours["n_predicted_links"])
    correct = round(float(ours["accuracy"]) * n_links)
    assert theirs["Node Precision"] == theirs["Node Recall"] == 1.0
    assert theirs["Total Pred Edges"] == n_links == len(links)
    assert theirs["True Positive Edges"] == correct
    assert theirs["Edge Precision"] == pytest.approx(float(ours["accuracy"]), abs=1e-12)
    assert theirs["fp_edges"] == n_links - correct
    if lineage["n_gaps"] == 0 and lineage["n_delayed_children"] == 0:
        assert theirs["Edge Recall"] == pytest.approx(float(ours["link_recall"]), abs=1e-12)
    for name in ["Total Pred Edges", "True Positive Edges", "Total GT Edges", "Edge Precision"]:
        assert geff[name] == theirs[name], name
    # and the GEFF itself holds the links, with their confidences
    nodes, edges, _ = read_geff(out / "tracks.geff")
    assert len(nodes) == len(cells) and len(edges) == len(links)
    np.testing.assert_array_equal(np.sort(edges["confidence"]), np.sort(links["confidence"]))
    return {"ours": float(ours["accuracy"]), **theirs}


def test_simulated_colony_agrees_with_traccuracy(tmp_path):
    simulate_dataset(tmp_path / "data", ["01"], "colony", {"n_frames": 25}, 3)
    tra = tmp_path / "data" / "01_GT" / "TRA"
    counts = assert_agree(tra, tmp_path / "out", "sm", tau=0.6)
    assert 0.5 < counts["Edge Precision"] < 1  # some links are wrong: the agreement is not 1 == 1
    assert counts["ws_edges"] > 0  # right mothers, other CTC semantics: correct for both


@pytest.mark.realdata
@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is not present")
@pytest.mark.parametrize("dataset, seq", [("Fluo-N2DH-SIM+", "02"), ("Ecoli-vanVliet-trpL", "01")])
def test_real_sequence_agrees_with_traccuracy(tmp_path, dataset, seq):
    counts = assert_agree(DATA / dataset / f"{seq}_GT" / "TRA", tmp_path, "sm", tau=1.0)
    # measured: SIM+ 02 3290 of 3290 links right; E. coli 2844 of 3512 (0.81)
    assert counts["Total Pred Edges"] > 3000
