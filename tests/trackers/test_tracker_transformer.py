"""The transformer tracker on the contract: costs are -log p of the association model,
MC dropout perturbs them reproducibly, every method runs on it."""

import numpy as np
import pandas as pd
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
    """``fixed`` (default): w = -log p. ``model``: appearing costs -log p_none_j, by edge
    costs -log p_ij + log p_none_j + A and one price A."""
    from dataclasses import replace

    from uqtrack.trackers.transformer import APPEAR_CAP

    tracker, frame, model = setup
    by_model = replace(tracker, appearance="model")
    fm, fd = tracker.features(frame(0)), tracker.features(frame(1))
    edges = tracker.candidates(fm, fd)
    p, p_none = transformer.associate(model, frame(0).cells, frame(1).cells)
    w = -np.log(p[edges[:, 0], edges[:, 1]])
    np.testing.assert_allclose(tracker.costs(fm, fd, edges), w, rtol=1e-9)
    a = np.minimum(-np.log(p_none), APPEAR_CAP)[edges[:, 1]]
    np.testing.assert_allclose(by_model.costs(fm, fd, edges), w - a + APPEAR_CAP, rtol=1e-9)
    assert tracker.appearance == "fixed" and tracker.appear_cost == 1.0 and by_model.appear_cost == APPEAR_CAP
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


def _cells(points) -> pd.DataFrame:
    return pd.DataFrame({"label": np.arange(1, len(points) + 1),
                         "y": [float(p[0]) for p in points], "x": [float(p[1]) for p in points]})


@pytest.mark.parametrize("daughters", [[(80, 83)], [(76, 80), (84, 80)]])
def test_sm_and_fp_read_the_models_no_parent_class_on_an_isolated_pair(setup, daughters):
    """One mother and one or two daughters: sm's DBMC is the model's quiet softmax,
    fp's "no mother" the mean of its draws' log p_none."""
    from uqtrack.trackers import Frame
    from uqtrack.uq import dbmc

    tracker, _, model = setup
    mo, da = _cells([(80, 80)]), _cells(daughters)
    fm, fd = tracker.features(Frame(0, mo)), tracker.features(Frame(1, da))
    edges = tracker.candidates(fm, fd)
    assert edges.tolist() == [[0, j] for j in range(len(da))]
    p, p_none = transformer.associate(model, mo, da)
    sm = METHODS["sm"](make_pair(tracker, fm, fd, edges, np.random.default_rng(0)))
    p_link, p_alone = dbmc(sm.log_p_edge, sm.log_p_none, edges[:, 1])
    np.testing.assert_allclose(p_link, p[0] / (p[0] + p_none), rtol=1e-12)
    np.testing.assert_allclose(p_alone, p_none / (p[0] + p_none), rtol=1e-12)
    # not the fixed price exp(-(w_a + w_d)) any more
    assert not np.allclose(sm.log_p_none, -(tracker.appear_cost + tracker.disappear_cost))
    # with one mother p_0j + p_none_j = 1: P(0|j) is the model's p_0j itself
    np.testing.assert_allclose(p_link, p[0], rtol=1e-12)

    k = 5
    fp = METHODS["fp"](make_pair(tracker, fm, fd, edges, np.random.default_rng(9), MethodParams(k=k)))
    log_p, log_none = transformer.associate_draws(model, mo, da, k, tracker.dropout, np.random.default_rng(9))
    # fp's classes: the geometric means of the draws' p_0j and p_none_j
    link, none = np.exp(log_p[:, 0, :].mean(axis=0)), np.exp(log_none.mean(axis=0))
    fp_link, _ = dbmc(fp.log_p_edge, fp.log_p_none, edges[:, 1])
    np.testing.assert_allclose(fp_link, link / (link + none), rtol=1e-9)
    # the same probabilities whether the assignment prices appearance by the model or fixed
    from dataclasses import replace

    by_model = replace(tracker, appearance="model")
    for method, rng in (("sm", 0), ("fp", 9)):
        mine = METHODS[method](make_pair(tracker, fm, fd, edges, np.random.default_rng(rng), MethodParams(k=k)))
        other = METHODS[method](make_pair(by_model, fm, fd, edges, np.random.default_rng(rng), MethodParams(k=k)))
        np.testing.assert_allclose(dbmc(mine.log_p_edge, mine.log_p_none, edges[:, 1])[0],
                                   dbmc(other.log_p_edge, other.log_p_none, edges[:, 1])[0], rtol=1e-9)
    np.testing.assert_allclose(tracker.none_log_prob(fm, fd), np.log(p_none), rtol=1e-9)
    # the MAP prices appearance w_a under `fixed`, A (with shifted costs) under `model`
    assert make_pair(tracker, fm, fd, edges, np.random.default_rng(0)).problem.appear_cost == 1.0


def test_batched_draws_equal_the_same_draws_one_by_one(setup):
    tracker, frame, model = setup
    fm, fd = tracker.features(frame(0)), tracker.features(frame(1))
    edges = tracker.candidates(fm, fd)
    k = 6
    costs, log_none = tracker.sample_costs_batch(fm, fd, edges, np.random.default_rng(3), k)
    assert costs.shape == (k, len(edges)) and log_none.shape == (k, len(fd))
    rng = np.random.default_rng(3)
    one_by_one = np.stack([tracker.sample_costs(fm, fd, edges, rng) for _ in range(k)])
    # same masks (a generator per draw); the float32 matmuls, batched or not, agree to
    # rounding at worst (byte-equal where measured, torch 2.13 CPU)
    np.testing.assert_allclose(costs, one_by_one, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(costs.mean(axis=0), one_by_one.mean(axis=0), rtol=1e-5, atol=1e-5)
    rng = np.random.default_rng(3)
    none_one = np.stack([transformer.associate(model, frame(0).cells, frame(1).cells, dropout=tracker.dropout,
                                               rng=rng, log=True)[1] for _ in range(k)])
    # the draws' own p_none: in the "no mother" rows under `fixed`, in the costs under `model`
    from dataclasses import replace

    from uqtrack.trackers.transformer import APPEAR_CAP

    np.testing.assert_allclose(log_none, none_one, rtol=1e-5, atol=1e-5)
    _, model_none = replace(tracker, appearance="model").sample_costs_batch(fm, fd, edges, np.random.default_rng(3), k)
    assert (model_none == -APPEAR_CAP).all()
    # same seed -> identical bytes; the draws differ from each other and from the MAP costs
    again, none_again = tracker.sample_costs_batch(fm, fd, edges, np.random.default_rng(3), k)
    assert np.array_equal(costs, again) and np.array_equal(log_none, none_again)
    assert all(not np.allclose(costs[a], costs[b]) for a in range(k) for b in range(a))
    assert not np.allclose(costs[0], tracker.costs(fm, fd, edges))
    # chunked (one draw per forward pass) gives the same draws
    import importlib

    assoc_module = importlib.import_module("uqtrack.transformer.associate")  # the function shadows it
    old = assoc_module.MAX_ATTENTION
    try:
        assoc_module.MAX_ATTENTION = 1
        chunked, _ = tracker.sample_costs_batch(fm, fd, edges, np.random.default_rng(3), k)
    finally:
        assoc_module.MAX_ATTENTION = old
    np.testing.assert_allclose(chunked, one_by_one, rtol=1e-5, atol=1e-5)


def test_one_deterministic_and_one_batched_pass_per_method(setup):
    """Per frame pair: one deterministic forward pass for sm, as, asf (and the
    candidates), one batched pass of K draws that fp and fpa share."""
    from uqtrack.linking import link_sequence

    tracker, frame, _ = setup
    batches = []
    hook = tracker.net.net.register_forward_hook(lambda mod, args, kwargs, out: batches.append(out.shape[0]),
                                                 with_kwargs=True)
    try:
        pairs = [(0, 1), (1, 2), (2, 3)]
        link_sequence(frame, pairs, tracker, list(METHODS), MethodParams(k=4), (0, "count"))
    finally:
        hook.remove()
    assert batches == [1, 4] * len(pairs)


def test_torch_threads_follow_the_job_and_are_restored(setup):
    import torch

    from uqtrack.trackers.transformer import set_torch_threads

    tracker, frame, _ = setup
    before = torch.get_num_threads()
    out = {}
    for threads in (1, 2):
        set_torch_threads(threads)
        try:
            fm, fd = tracker.features(frame(0)), tracker.features(frame(1))
            edges = tracker.candidates(fm, fd)
            out[threads] = tracker.sample_costs_batch(fm, fd, edges, np.random.default_rng(1), 3)[0]
        finally:
            set_torch_threads(None)
        assert torch.get_num_threads() == before
    np.testing.assert_allclose(out[1], out[2], rtol=1e-5, atol=1e-5)
