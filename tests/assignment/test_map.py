"""The MAP: sparse matching ("lsa") against HiGHS ("milp") and brute force; tie-breaking; time limit."""

from __future__ import annotations

import numpy as np
import pytest

from uqtrack.assignment import (
    MAP_METHODS,
    Problem,
    TimeLimitReached,
    brute_force,
    is_feasible,
    lsa_map_cost,
    solution_cost,
    solve_map,
    top_k,
)
from uqtrack.assignment import milp as milp_module
from uqtrack.assignment.canonical import canonical_choice
from uqtrack.assignment.milp import nogood_top_k
from uqtrack.assignment.problem import problem_args

from conftest import SHARED_DATA, cost_by_hand, enumerate_by_hand, needs_shared_data
from test_assignment import frame, random_small

TOL = 1e-9


def optima(problem: Problem) -> list[tuple[int, ...]]:
    """Every optimal choice vector (brute force), in lexicographic order."""
    sols = brute_force(problem)
    return sorted(tuple(s.choice.tolist()) for s in sols if s.cost <= sols[0].cost + TOL)


def check_map(problem: Problem) -> int:
    """lsa, milp and decomposed give the same, lexicographically smallest optimum.

    Returns the number of optimal assignments.
    """
    best = optima(problem)
    want = enumerate_by_hand(problem)[0][0]  # independent of solution_cost and brute_force
    assert brute_force(problem)[0].cost == pytest.approx(want, abs=TOL)
    got = {method: solve_map(problem, method) for method in MAP_METHODS}
    for method, sol in got.items():
        assert sol.cost == pytest.approx(want, abs=TOL), method
        assert sol.cost == pytest.approx(cost_by_hand(problem, sol.choice), rel=1e-12, abs=TOL)
        assert is_feasible(problem, sol.choice)
        assert tuple(sol.choice.tolist()) == best[0], method
    # The raw HiGHS answer (before tie-breaking) is optimal too: an independent check.
    raw = nogood_top_k(*problem_args(problem), 1)[0]
    assert cost_by_hand(problem, raw) == pytest.approx(want, abs=TOL)
    assert solution_cost(problem, raw) == pytest.approx(want, abs=TOL)
    return len(best)


@pytest.mark.parametrize("block", range(12))
def test_map_against_brute_force_and_highs(block: int) -> None:
    # 25 random instances per block: M, D in 0..5 (empty frames included), edge
    # density 0.2-0.9 (daughters without candidates), max_daughters 1 or 2,
    # continuous costs or small integers (many exact ties).
    rng = np.random.default_rng(2000 + block)
    tied = 0
    for trial in range(25):
        problem = random_small(rng, integer_costs=trial % 2 == 1)
        tied += check_map(problem) > 1
    assert tied > 0  # the integer instances do tie


@pytest.mark.parametrize("max_daughters", [1, 2, 3])
def test_map_each_capacity(max_daughters: int) -> None:
    rng = np.random.default_rng(30 + max_daughters)
    for trial in range(15):
        p = random_small(rng, integer_costs=trial % 3 == 0)
        check_map(Problem(p.n_mothers, p.n_daughters, p.edges, p.costs, p.appear_cost,
                          p.disappear_cost, max_daughters))


def test_map_edge_cases() -> None:
    none = np.zeros((0, 2), dtype=np.int64)
    for n_m, n_d in [(0, 0), (3, 0), (0, 4), (2, 3)]:
        problem = Problem(n_m, n_d, none, [], 1.5, 2.0)
        for method in MAP_METHODS:
            sol = solve_map(problem, method)
            assert sol.choice.tolist() == [-1] * n_d
            assert sol.cost == 1.5 * n_d + 2.0 * n_m
    # Daughter 1 and mother 2 have no candidates; zero costs everywhere tie a lot.
    check_map(Problem(3, 3, [[0, 0], [1, 2], [0, 2]], [0.5, 0.2, 3.0], 4.0, 1.0))
    check_map(Problem(3, 3, [[0, 0], [1, 2], [0, 2], [1, 0]], [0.0] * 4, 0.0, 0.0))
    # Four identical independent pairs, each linking or not at the same cost.
    check_map(Problem(4, 4, [[i, i] for i in range(4)], [1.0] * 4, 1.0, 0.0))


def test_tie_break_is_independent_of_the_starting_optimum() -> None:
    rng = np.random.default_rng(5)
    checked = 0
    for _ in range(200):
        problem = random_small(rng, integer_costs=True)
        best = optima(problem)
        for start in best:
            assert tuple(canonical_choice(problem, np.array(start)).tolist()) == best[0]
        checked += len(best) > 1
    assert checked > 20


def test_canonical_rejects_a_non_optimal_start() -> None:
    problem = Problem(2, 2, [[0, 0], [1, 1]], [1.0, 1.0], 5.0, 5.0)
    with pytest.raises(RuntimeError, match="not optimal"):
        canonical_choice(problem, np.array([-1, 1]))
    with pytest.raises(ValueError, match="max_daughters"):
        canonical_choice(Problem(1, 2, [[0, 0], [0, 1]], [1.0, 1.0], 5.0, 5.0, 1), np.array([0, 1]))


@pytest.mark.parametrize(
    ("n", "seed", "integer_costs"), [(60, 3, True), (150, 7, True), (200, 2, False), (400, 1, False)]
)
def test_map_medium_frames(n: int, seed: int, integer_costs: bool) -> None:
    problem = frame(n, seed, integer_costs=integer_costs)
    lsa = solve_map(problem)
    assert lsa.cost == pytest.approx(lsa_map_cost(problem), abs=1e-6)
    for method in ("milp", "decomposed"):
        other = solve_map(problem, method)
        assert np.array_equal(other.choice, lsa.choice), method
        assert other.cost == lsa.cost
    # Every optimum among the top-10 canonicalises to the same assignment.
    for sol in top_k(problem, 10):
        if sol.cost <= lsa.cost + 1e-9:
            assert np.array_equal(canonical_choice(problem, sol.choice), lsa.choice)


@needs_shared_data
@pytest.mark.realdata
@pytest.mark.parametrize(("step", "t"), [(1, 0), (1, 45), (10, 70)])
def test_map_real_frames(step: int, t: int) -> None:
    # HeLa centroids lie on a pixel grid, so assignments can tie: at step 10,
    # t = 70 HiGHS and the sparse matching find different optima of equal cost.
    from uqtrack.ctc import read_sequence
    from uqtrack.trackers import DistanceTracker

    _, dets, _ = read_sequence(SHARED_DATA / "ctc" / "Fluo-N2DL-HeLa", "02")
    tracker = DistanceTracker(sigma=3.1)
    fm = dets[dets["frame"] == t].sort_values("label")[["y", "x"]].to_numpy(dtype=float)
    fd = dets[dets["frame"] == t + step].sort_values("label")[["y", "x"]].to_numpy(dtype=float)
    edges = tracker.candidates(fm, fd)
    problem = Problem(len(fm), len(fd), edges, tracker.costs(fm, fd, edges), 10.0, 10.0)
    lsa, milp = solve_map(problem), solve_map(problem, "milp")
    assert np.array_equal(lsa.choice, milp.choice)
    assert lsa.cost == pytest.approx(lsa_map_cost(problem), abs=1e-6)


# ---------------------------------------------------------------------------
# HiGHS time limit
# ---------------------------------------------------------------------------


def test_time_limit_stops_highs_on_a_big_frame() -> None:
    problem = frame(2000, 0)
    with pytest.raises(TimeLimitReached) as info:
        solve_map(problem, "milp", time_limit=1e-3)
    assert info.value.time_limit == 1e-3 and info.value.found == 0
    with pytest.raises(TimeLimitReached):
        top_k(problem, 3, method="global", time_limit=1e-3)
    # The sparse matching runs no HiGHS: the limit does not apply.
    assert solve_map(problem, "lsa", time_limit=1e-3).cost == pytest.approx(
        solve_map(problem).cost
    )


def test_time_limit_inside_highs(monkeypatch) -> None:
    # HiGHS itself stops (PuLP would report "optimal" with an integer-feasible
    # solution): the limit handed to HiGHS is made tiny, the call's own is not.
    problem = frame(600, 1)
    highs = milp_module._highs
    monkeypatch.setattr(milp_module, "_highs", lambda limit=None: highs(1e-9 if limit else None))
    with pytest.raises(TimeLimitReached):
        solve_map(problem, "milp", time_limit=3600)


def test_generous_time_limit_changes_nothing() -> None:
    problem = frame(80, 2, integer_costs=True)
    assert np.array_equal(
        solve_map(problem, "milp", time_limit=600).choice, solve_map(problem, "milp").choice
    )
    assert [s.cost for s in top_k(problem, 5, "global", time_limit=600)] == [
        s.cost for s in top_k(problem, 5, "global")
    ]
    for bad in (0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="time_limit"):
            solve_map(problem, "milp", time_limit=bad)


@pytest.mark.parametrize("seed", range(12))
def test_per_daughter_appearance_prices_by_shifted_edge_costs(seed):
    """Pricing daughter j's appearance a_j equals edge costs w - a_j + A with one price A:
    every feasible assignment's cost moves by one constant (enumerated by hand with the
    per-daughter prices), so the MAP and the whole order are the same."""
    from uqtrack.assignment import per_daughter_appearance

    rng = np.random.default_rng(seed)
    base = random_small(rng, integer_costs=False)
    appear = rng.uniform(0, 6, base.n_daughters)
    appear[:1] = 9.0  # above the cap: clipped
    cap = 7.0
    costs, price = per_daughter_appearance(base.costs, base.edges[:, 1], appear, cap)
    shifted = Problem(base.n_mothers, base.n_daughters, base.edges, costs, price, base.disappear_cost,
                      max_daughters=base.max_daughters)
    a = np.minimum(appear, cap)
    by_hand = {}
    for _, choice in enumerate_by_hand(base):
        choice = np.array(choice, dtype=np.int64)
        linked = choice >= 0
        used = len(set(base.edges[choice[linked], 0].tolist()))
        by_hand[tuple(choice)] = (base.costs[choice[linked]].sum() + a[~linked].sum()
                                  + base.disappear_cost * (base.n_mothers - used))
    shift = {c: solution_cost(shifted, np.array(c)) - v for c, v in by_hand.items()}
    np.testing.assert_allclose(list(shift.values()), base.n_daughters * cap - a.sum(), atol=1e-9)
    best = min(by_hand.values())
    for method in MAP_METHODS:
        choice = tuple(solve_map(shifted, method).choice.tolist())
        assert by_hand[choice] <= best + TOL
