import numpy as np
import pandas as pd
import pytest

from uqtrack.trackers import DistanceTracker, Frame, make_tracker, nearest_candidates, tracker_class


def test_linear_step_scaling_prices_appearance_and_perturbation_for_the_step():
    entry = {"type": "distance", "appear_cost": 4.0, "disappear_cost": 6.0}
    t = make_tracker(entry, {"sigma": 2.0}, step=10)
    assert (t.appear_cost, t.disappear_cost, t.step_scale, t.sigma) == (40.0, 60.0, 10.0, 2.0)
    still = make_tracker({**entry, "step_scaling": "none"}, {"sigma": 2.0}, step=10)
    assert (still.appear_cost, still.disappear_cost, still.step_scale) == (4.0, 6.0, 1.0)
    # the MAP at step s with linear prices is the MAP of w / s with step-1 prices
    rng = np.random.default_rng(0)
    m = rng.uniform(0, 30, (12, 2))
    d = m + rng.normal(0, 2.0 * np.sqrt(10), m.shape)
    from uqtrack.uq import pair_probabilities

    one = make_tracker(entry, {"sigma": 2.0 * np.sqrt(10)}, step=1)
    a = pair_probabilities("sm", t, m, d, t.candidates(m, d), rng)
    b = pair_probabilities("sm", one, m, d, one.candidates(m, d), rng)
    np.testing.assert_array_equal(a.pred_edge, b.pred_edge)


def test_tracker_types_by_name_or_path():
    assert tracker_class("distance") is DistanceTracker
    assert tracker_class("uqtrack.trackers.distance:DistanceTracker") is DistanceTracker
    with pytest.raises(ValueError, match="unknown tracker type"):
        tracker_class("magic")
    with pytest.raises(ValueError, match="not a uqtrack.trackers.Tracker"):
        tracker_class("numpy:ndarray")


def test_nearest_candidates_sorted_and_bounded():
    m = np.array([[0.0, 0.0], [10.0, 0.0], [20.0, 0.0]])
    d = np.array([[1.0, 0.0], [19.0, 0.0]])
    e = nearest_candidates(m, d, k=2, max_distance=5.0)
    assert e.tolist() == [[0, 0], [2, 1]]
    e = nearest_candidates(m, d, k=2)
    assert e.tolist() == [[0, 0], [1, 0], [1, 1], [2, 1]]


def test_frame_reads_masks_only_when_asked():
    calls = []
    frame = Frame(3, pd.DataFrame({"label": [1], "y": [1.0], "x": [2.0]}), lambda: calls.append(1) or np.ones((2, 2)))
    assert DistanceTracker().features(frame).tolist() == [[1.0, 2.0]] and not calls
    assert frame.masks().shape == (2, 2) and calls == [1]
    with pytest.raises(ValueError, match="no label masks"):
        Frame(0, frame.cells).masks()
