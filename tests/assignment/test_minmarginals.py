"""Min-marginals (``uqtrack.assignment.minmarginals``, method ``mm``) against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from uqtrack.assignment import Problem, brute_force, solve_map
from uqtrack.assignment.minmarginals import min_marginals, min_marginals_by_resolving
from uqtrack.trackers import DistanceTracker
from uqtrack.uq import MethodParams, dbmc, pair_probabilities

from test_assignment import frame, random_small

TOL = 1e-9


def enumerated(problem: Problem) -> tuple[float, np.ndarray, np.ndarray]:
    """``C*`` and, per edge and per daughter's "appears", the least cost minus ``C*``.

    By enumerating every feasible assignment (``inf``: no assignment takes it).
    """
    sols = brute_force(problem)
    best = sols[0].cost
    edge = np.full(problem.n_edges, np.inf)
    none = np.full(problem.n_daughters, np.inf)
    for s in sols:
        linked = s.choice >= 0
        edge[s.choice[linked]] = np.minimum(edge[s.choice[linked]], s.cost - best)
        none[~linked] = np.minimum(none[~linked], s.cost - best)
    return best, edge, none


def check(problem: Problem) -> None:
    best, edge, none = enumerated(problem)
    for mm in (min_marginals(problem), min_marginals_by_resolving(problem)):
        assert mm.cost == pytest.approx(best, abs=TOL)
        np.testing.assert_allclose(mm.edge, edge, rtol=0, atol=TOL)
        np.testing.assert_allclose(mm.none, none, rtol=0, atol=TOL)
        np.testing.assert_array_equal(mm.map_choice, solve_map(problem).choice)  # canonical
    # the MAP's own options cost exactly nothing extra (its classes get log P = 0)
    mm = min_marginals(problem)
    linked = mm.map_choice >= 0
    assert np.all(mm.edge[mm.map_choice[linked]] == 0.0) and np.all(mm.none[~linked] == 0.0)
    assert np.all(mm.edge >= 0.0) and np.all(mm.none >= 0.0)


@pytest.mark.parametrize("integer_costs", [False, True], ids=["continuous", "ties"])
def test_min_marginals_equal_brute_force_on_random_small_problems(integer_costs):
    # M, D in 0..5 (mothers and daughters without candidates included), max_daughters
    # 1 and 2; integer costs make many ties.
    rng = np.random.default_rng(11 + integer_costs)
    seen = set()
    for _ in range(250):
        problem = random_small(rng, integer_costs)
        check(problem)
        cands = np.bincount(problem.edges[:, 1], minlength=problem.n_daughters)
        used = np.bincount(problem.edges[:, 0], minlength=problem.n_mothers)
        seen.add(("maxd", problem.max_daughters))
        seen.add(("daughter without candidates", bool((cands == 0).any())))
        seen.add(("mother without candidates", bool((used == 0).any())))
    assert {("maxd", 1), ("maxd", 2), ("daughter without candidates", True),
            ("mother without candidates", True)} <= seen


def test_min_marginals_of_a_dividing_mother():
    # Mother 0 takes both daughters (cost 1 + 0 = 1). Leaving daughter 0 unlinked
    # moves daughter 1 into the mother's first slot: C* + 1, not the slot's price.
    problem = Problem(1, 2, np.array([[0, 0], [0, 1]]), np.array([1.0, 0.0]), 2.0, 2.0, 2)
    check(problem)
    np.testing.assert_allclose(min_marginals(problem).none, [1.0, 2.0])


@pytest.mark.parametrize("seed", range(3))
def test_min_marginals_equal_the_forced_resolves_on_a_frame(seed):
    # 40 cells, 10 nearest mothers each: the shortest-path search with its pruning
    # and limits against one dense re-solve per option (checked against brute
    # force above). Integer costs for seed 2: ties everywhere.
    problem = frame(40, seed, integer_costs=seed == 2)
    fast, slow = min_marginals(problem), min_marginals_by_resolving(problem)
    assert fast.cost == pytest.approx(slow.cost, abs=TOL)
    np.testing.assert_allclose(fast.edge, slow.edge, rtol=0, atol=1e-8)
    np.testing.assert_allclose(fast.none, slow.none, rtol=0, atol=1e-8)
    np.testing.assert_array_equal(fast.map_choice, slow.map_choice)


def test_empty_problems():
    for n_m, n_d in [(0, 0), (3, 0), (0, 3)]:
        problem = Problem(n_m, n_d, np.zeros((0, 2), dtype=np.int64), np.zeros(0), 1.0, 2.0)
        mm = min_marginals(problem)
        assert mm.edge.shape == (0,) and np.all(mm.none == 0.0)
        assert mm.cost == 1.0 * n_d + 2.0 * n_m


def test_mm_method_is_the_normalised_min_marginals_and_never_saturates():
    rng = np.random.default_rng(4)
    mothers = rng.uniform(0, 30, (6, 2))
    daughters = np.vstack([mothers[:5] + rng.normal(0, 3, (5, 2)), mothers[:1] + 4])
    tracker = DistanceTracker(sigma=4.0, appear_cost=4.0, disappear_cost=3.0, max_candidates=3)
    edges = tracker.candidates(mothers, daughters)
    out = pair_probabilities("mm", tracker, mothers, daughters, edges, np.random.default_rng(0),
                             MethodParams())
    problem = Problem(len(mothers), len(daughters), edges, tracker.costs(mothers, daughters, edges),
                      4.0, 3.0)
    _, edge, none = enumerated(problem)
    np.testing.assert_allclose(out.log_p_edge, -edge, atol=TOL)
    np.testing.assert_allclose(out.log_p_none, -none, atol=TOL)
    map_choice = brute_force(problem)[0].choice
    np.testing.assert_array_equal(np.flatnonzero(out.pred_edge), np.sort(map_choice[map_choice >= 0]))
    np.testing.assert_array_equal(out.pred_none, map_choice < 0)
    # every daughter has >= 2 classes of finite cost (its candidates and "appears"):
    # none is exactly 0 or 1, unlike the sampling methods' classes
    cond, p_none = dbmc(out.log_p_edge, out.log_p_none, edges[:, 1])
    assert np.all((cond > 0) & (cond < 1)) and np.all((p_none > 0) & (p_none < 1))
    sums = np.bincount(edges[:, 1], cond, len(daughters)) + p_none
    np.testing.assert_allclose(sums, 1.0, atol=1e-12)
