"""The transformer tracker on the contract: costs are -log p of the association model,
MC dropout perturbs them reproducibly, every method runs on it."""

import numpy as np
import pytest

from uqtrack.ctc import read_sequence
from uqtrack.frames import frame_source
from uqtrack.simulate import simulate_dataset
from uqtrack.trackers import make_tracker
from uqtrack.uq import METHODS, MethodParams, make_pair

transformer = pytest.importorskip("uqtrack.transformer")


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("sim")
    simulate_dataset(root, ["01"], "nuclei", {"n_frames": 6, "shape": [160, 160], "n_initial": 12}, 0)
    tracks, dets, _ = read_sequence(root, "01")
    model = transformer.train_model([transformer.TrainingSequence(dets, tracks)], seed=0, iterations=40)
    transformer.save_model(model, root / "model")
    tracker = make_tracker({"type": "transformer", "model": str(root / "model")}, {"model": str(root / "model")}, 1)
    frame = frame_source(dets, root / "01_GT" / "TRA")
    return tracker, frame, model


def test_costs_are_minus_log_association(setup):
    tracker, frame, model = setup
    fm, fd = tracker.features(frame(0)), tracker.features(frame(1))
    edges = tracker.candidates(fm, fd)
    p, _ = transformer.associate(model, frame(0).cells, frame(1).cells)
    np.testing.assert_allclose(tracker.costs(fm, fd, edges), -np.log(p[edges[:, 0], edges[:, 1]]), rtol=1e-9)
    # each daughter's candidates are its most probable mothers
    for j in range(len(fd)):
        mine = edges[edges[:, 1] == j, 0]
        assert set(mine) == set(np.argsort(-p[:, j], kind="stable")[: len(mine)])


def test_mc_dropout_varies_costs_reproducibly(setup):
    tracker, frame, _ = setup
    fm, fd = tracker.features(frame(0)), tracker.features(frame(1))
    edges = tracker.candidates(fm, fd)
    a = tracker.sample_costs(fm, fd, edges, np.random.default_rng(3))
    b = tracker.sample_costs(fm, fd, edges, np.random.default_rng(3))
    c = tracker.sample_costs(fm, fd, edges, np.random.default_rng(4))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    # without dropout the costs are deterministic
    np.testing.assert_array_equal(tracker.costs(fm, fd, edges), tracker.costs(fm, fd, edges))


@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_runs_on_it(setup, method):
    tracker, frame, _ = setup
    fm, fd = tracker.features(frame(2)), tracker.features(frame(3))
    edges = tracker.candidates(fm, fd)
    out = METHODS[method](make_pair(tracker, fm, fd, edges, np.random.default_rng(0), MethodParams(k=4)))
    total = np.bincount(edges[:, 1], np.exp(out.log_p_edge), len(fd))
    assert out.log_p_edge.shape == (len(edges),) and np.isfinite(total).all()
