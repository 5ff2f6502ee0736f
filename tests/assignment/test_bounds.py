"""LP reduced costs: recovered on frames where float noise made Bellman-Ford cycle, and still valid bounds."""

from __future__ import annotations

import numpy as np
import pytest

from uqtrack.assignment import (
    Problem,
    brute_force,
    lsa_map_cost,
    per_component_top_k,
    solution_cost,
    solve_map,
    top_k,
)
from uqtrack.assignment.bounds import _map_and_reduced_costs, map_bounds

from conftest import SHARED_DATA, needs_shared_data
from test_assignment import assert_same_top_k, frame

TOL = 1e-9


def bound_holds(problem: Problem, choice: np.ndarray) -> bool:
    """cost(A) >= cost(MAP) + sum of A's reduced costs - tol (what pruning relies on)."""
    b = map_bounds(problem)
    r = np.where(choice >= 0, b.rc[np.maximum(choice, 0)], b.rc_appear).sum()
    return solution_cost(problem, choice) >= solution_cost(problem, b.map_choice) + r - b.tol


def test_division_whose_slot_swap_rounds_below_zero() -> None:
    # One mother, two daughters. Slot 0 costs w - w_d, slot 1 costs w; the
    # daughters swapping slots is a cycle of exact weight 0 that rounds to
    # -1 unit in the last place, and plain Bellman-Ford lowered the potentials
    # forever ("dual recovery did not converge").
    problem = Problem(1, 2, [[0, 0], [0, 1]], [1.1, 0.0], appear_cost=10.0, disappear_cost=5.7)
    _, rc, rc_appear, err = _map_and_reduced_costs(problem)
    assert err > 0  # the duals needed their slack
    assert np.all(rc >= 0) and np.all(rc_appear >= 0)
    ref = brute_force(problem)
    for sol in ref:
        assert bound_holds(problem, sol.choice)
    assert_same_top_k(problem, top_k(problem, 10), ref, 10, ref_complete=True)
    assert solve_map(problem).cost == pytest.approx(ref[0].cost, abs=TOL)


def test_synthetic_frames_with_large_unequal_costs() -> None:
    # Appearance and disappearance costs that are large and not a multiple of
    # the cost grid: about one such frame in twenty used to fail.
    rng = np.random.default_rng(0)
    recovered = 0
    for _ in range(40):
        base = frame(int(rng.integers(20, 40)), int(rng.integers(1000)), sigma=5.0)
        w = float(rng.uniform(50, 1000))
        problem = Problem(base.n_mothers, base.n_daughters, base.edges,
                          base.costs * rng.uniform(0.5, 50), w, w * rng.uniform(0.3, 3))
        map_choice, _, _, err = _map_and_reduced_costs(problem)
        recovered += err > 0
        assert solution_cost(problem, map_choice) == pytest.approx(lsa_map_cost(problem), abs=1e-6)
        ref = top_k(problem, 3, method="global")
        assert_same_top_k(problem, top_k(problem, 3), ref, 3, ref_complete=False)
        assert all(bound_holds(problem, s.choice) for s in ref)
    assert recovered > 0  # these frames do exercise the slack


@needs_shared_data
@pytest.mark.realdata
def test_real_frame_large_costs() -> None:
    # Fluo-N2DL-HeLa 02 at step 50 (frames 0 -> 50), sigma 3.1 px, 10 nearest
    # mothers, w_a = w_d = 333.3: the dual recovery used to fail here.
    from uqtrack.ctc import read_sequence
    from uqtrack.lineage import true_links
    from uqtrack.trackers import DistanceTracker

    tracks, dets, _ = read_sequence(SHARED_DATA / "ctc" / "Fluo-N2DL-HeLa", "02")
    assert (0, 50) in set(map(tuple, true_links(tracks, dets, 50)[["t", "t2"]].to_numpy().tolist()))
    tracker = DistanceTracker(sigma=3.1, appear_cost=333.3, disappear_cost=333.3)
    fm = dets[dets["frame"] == 0].sort_values("label")[["y", "x"]].to_numpy(dtype=float)
    fd = dets[dets["frame"] == 50].sort_values("label")[["y", "x"]].to_numpy(dtype=float)
    edges = tracker.candidates(fm, fd)
    problem = Problem(len(fm), len(fd), edges, tracker.costs(fm, fd, edges), 333.3, 333.3)

    map_choice, _, _, err = _map_and_reduced_costs(problem)
    assert err > 0
    assert solution_cost(problem, map_choice) == pytest.approx(lsa_map_cost(problem), abs=1e-6)
    ref = top_k(problem, 3, method="global")
    assert_same_top_k(problem, top_k(problem, 3), ref, 3, ref_complete=False)
    assert all(bound_holds(problem, s.choice) for s in ref)
    # asf's lists, both ways of bounding the components.
    shared = per_component_top_k(problem, 10, 20.0)
    separate = per_component_top_k(problem, 10, 20.0, method="separate")
    assert len(shared) == len(separate)
    for a, b in zip(shared, separate):
        assert np.array_equal(a.choices, b.choices) and np.array_equal(a.costs, b.costs)
