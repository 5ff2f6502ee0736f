"""Tests for uqtrack.assignment: exactness against brute force and between solvers."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.spatial import cKDTree

from uqtrack.assignment import (
    ComponentTopK,
    Problem,
    Solution,
    brute_force,
    edge_mask,
    is_feasible,
    lsa_map_cost,
    per_component_top_k,
    solution_cost,
    solve_map,
    top_k,
)
from uqtrack.assignment.decompose import _merge

from conftest import SHARED_DATA, cost_by_hand, needs_shared_data

TOL = 1e-9


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def random_small(rng: np.random.Generator, integer_costs: bool) -> Problem:
    """M, D in 0..5, a random edge subset, costs continuous or small integers."""
    n_m, n_d = (int(v) for v in rng.integers(0, 6, size=2))
    density = rng.uniform(0.2, 0.9)
    pairs = [(i, j) for i in range(n_m) for j in range(n_d) if rng.random() < density]
    edges = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    if integer_costs:
        costs = rng.integers(0, 4, size=len(edges)).astype(float)
        w_a, w_d = float(rng.integers(0, 4)), float(rng.integers(0, 4))
    else:
        costs = rng.uniform(0, 5, size=len(edges))
        w_a, w_d = float(rng.uniform(0, 5)), float(rng.uniform(0, 5))
    return Problem(n_m, n_d, edges, costs, w_a, w_d, max_daughters=int(rng.integers(1, 3)))


def frame(n: int, seed: int, sigma: float = 5.0, integer_costs: bool = False) -> Problem:
    """A realistic frame pair: Gaussian moves, 10% divisions, 10 nearest mothers."""
    rng = np.random.default_rng(seed)
    side = 512.0 * math.sqrt(n / 1000)  # keep the density of 1000 cells in 512^2
    mothers = rng.uniform(0, side, size=(n, 2))
    alive = rng.random(n) >= 0.02
    divides = alive & (rng.random(n) < 0.10)
    parents = np.concatenate([np.flatnonzero(alive), np.flatnonzero(divides)])
    daughters = mothers[parents] + rng.normal(0, sigma, size=(len(parents), 2))
    daughters = np.concatenate([daughters, rng.uniform(0, side, size=(max(1, n // 50), 2))])
    n_nb = min(10, n)
    dist, idx = cKDTree(mothers).query(daughters, k=n_nb)
    edges = np.stack([idx.ravel(), np.repeat(np.arange(len(daughters)), n_nb)], axis=1)
    costs = dist.ravel() ** 2 / (2 * sigma**2)
    if integer_costs:
        costs = np.round(costs)
    return Problem(n, len(daughters), edges, costs, 10.0, 10.0)


def groups(sols: list[Solution]) -> list[tuple[int, int]]:
    """(start, stop) of runs of equal cost."""
    out, start = [], 0
    while start < len(sols):
        stop = start
        while stop < len(sols) and abs(sols[stop].cost - sols[start].cost) <= TOL:
            stop += 1
        out.append((start, stop))
        start = stop
    return out


def keyset(sols: list[Solution]) -> set[tuple[int, ...]]:
    return {tuple(s.choice.tolist()) for s in sols}


def assert_same_top_k(
    problem: Problem, got: list[Solution], ref: list[Solution], k: int, ref_complete: bool
) -> None:
    """`got` is a valid top-k given the reference list `ref` (ascending).

    Costs must agree in order; within a run of equal cost the solutions must
    agree as sets, except for a run cut at k, where each returned solution must
    be feasible, have that cost and (if `ref` lists every solution) belong to
    the reference run.
    """
    want = ref[:k]
    assert len(got) == len(want)
    np.testing.assert_allclose([s.cost for s in got], [s.cost for s in want], rtol=0, atol=TOL)
    for s in got:
        assert is_feasible(problem, s.choice)
        assert s.cost == pytest.approx(cost_by_hand(problem, s.choice), rel=1e-12, abs=1e-9)
    assert len(keyset(got)) == len(got), "duplicate solutions"
    for start, stop in groups(want):
        # The last run may be cut at k; an incomplete reference cannot tell.
        cut = stop == len(want) and (
            not ref_complete
            or (len(ref) > len(want) and abs(ref[len(want)].cost - want[-1].cost) <= TOL)
        )
        if not cut:
            assert keyset(got[start:stop]) == keyset(want[start:stop])
        elif ref_complete:
            cost = want[start].cost
            run = [s for s in ref if abs(s.cost - cost) <= TOL]
            assert keyset(got[start:stop]) <= keyset(run)


def as_tuples(sols: list[Solution]) -> list[tuple[float, tuple[int, ...]]]:
    return [(s.cost, tuple(s.choice.tolist())) for s in sols]


# ---------------------------------------------------------------------------
# exactness on small random instances
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("block", range(10))
def test_small_random_against_brute_force(block: int) -> None:
    rng = np.random.default_rng(1000 + block)
    for trial in range(25):
        problem = random_small(rng, integer_costs=trial % 2 == 1)
        ref = brute_force(problem)
        costs = [s.cost for s in ref]
        assert costs == sorted(costs)
        assert solve_map(problem).cost == pytest.approx(ref[0].cost, abs=TOL)
        assert solve_map(problem, method="decomposed").cost == pytest.approx(ref[0].cost, abs=TOL)
        assert lsa_map_cost(problem) == pytest.approx(ref[0].cost, abs=TOL)
        for got in (
            top_k(problem, 10, method="global"),
            top_k(problem, 10, method="decomposed"),
            top_k(problem, 10, method="decomposed", enumerate_below=0),
            top_k(problem, 10, method="decomposed", prune=False),
        ):
            assert_same_top_k(problem, got, ref, 10, ref_complete=True)
        assert_same_top_k(problem, top_k(problem, 3), ref, 3, ref_complete=True)


def test_brute_force_lists_each_feasible_solution_once() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        problem = random_small(rng, integer_costs=False)
        sols = brute_force(problem)
        assert len(keyset(sols)) == len(sols)
        assert all(is_feasible(problem, s.choice) for s in sols)
    # 2 mothers x 2 daughters, complete, max_daughters=2: each daughter picks
    # none / m0 / m1 independently.
    problem = Problem(2, 2, [[0, 0], [0, 1], [1, 0], [1, 1]], [1, 2, 3, 4], 5, 6)
    assert len(brute_force(problem)) == 9
    one = Problem(2, 2, [[0, 0], [0, 1], [1, 0], [1, 1]], [1, 2, 3, 4], 5, 6, max_daughters=1)
    assert len(brute_force(one)) == 7


@pytest.mark.parametrize("max_daughters", [1, 2, 3])
def test_lsa_map_cost_any_capacity(max_daughters: int) -> None:
    rng = np.random.default_rng(max_daughters)
    for _ in range(30):
        p = random_small(rng, integer_costs=False)
        p = Problem(p.n_mothers, p.n_daughters, p.edges, p.costs, p.appear_cost,
                    p.disappear_cost, max_daughters)
        assert lsa_map_cost(p) == pytest.approx(brute_force(p)[0].cost, abs=TOL)


def test_per_component_lists_are_exact() -> None:
    rng = np.random.default_rng(11)
    for trial in range(40):
        problem = random_small(rng, integer_costs=trial % 2 == 0)
        comps = per_component_top_k(problem, 1000)
        # All combinations of all component solutions are all feasible solutions.
        assert math.prod(len(c.costs) for c in comps) == len(brute_force(problem))
        covered = np.zeros(problem.n_edges, dtype=bool)
        for comp in comps:
            assert isinstance(comp, ComponentTopK)
            assert np.all(np.diff(comp.costs) >= 0)
            assert not covered[comp.edges].any()
            covered[comp.edges] = True
            sub = _subproblem(problem, comp)
            ref = brute_force(sub)
            np.testing.assert_allclose(comp.costs, [s.cost for s in ref], atol=TOL)
        assert covered.all()


def _subproblem(problem: Problem, comp: ComponentTopK) -> Problem:
    """The component's own problem, local indices, edges in comp.edges order."""
    loc_m = np.searchsorted(comp.mothers, problem.edges[comp.edges, 0])
    loc_d = np.searchsorted(comp.daughters, problem.edges[comp.edges, 1])
    return Problem(len(comp.mothers), len(comp.daughters), np.stack([loc_m, loc_d], 1),
                   problem.costs[comp.edges], problem.appear_cost, problem.disappear_cost,
                   problem.max_daughters)


def test_per_component_with_slack_keeps_everything_within_slack() -> None:
    for seed in range(3):
        problem = frame(40, seed)
        slack = 1.0
        comps = per_component_top_k(problem, 20, slack=slack)
        assert sum(len(c.daughters) for c in comps) <= problem.n_daughters
        for comp in comps:
            if len(comp.daughters) > 8:
                continue  # too many assignments to enumerate here
            ref = brute_force(_subproblem(problem, comp))
            within = [s for s in ref if s.cost <= ref[0].cost + slack + 1e-9][:20]
            np.testing.assert_allclose(comp.costs[: len(within)], [s.cost for s in within],
                                       atol=TOL)
            # Global edge indices translate back to the local solutions.
            local = {tuple(np.where(s.choice >= 0, comp.edges[np.maximum(s.choice, 0)], -1))
                     for s in within if s.cost < within[-1].cost - TOL}
            assert local <= {tuple(c) for c in comp.choices.tolist()}


def assert_same_components(a: list[ComponentTopK], b: list[ComponentTopK]) -> None:
    """Identical component lists: cells, edges, costs and choices, in order."""
    assert len(a) == len(b)
    for x, y in zip(a, b):
        for name in ("mothers", "daughters", "edges", "costs", "choices"):
            u, v = getattr(x, name), getattr(y, name)
            assert u.dtype == v.dtype and np.array_equal(u, v), name


@pytest.mark.parametrize("integer_costs", [False, True])
def test_per_component_shared_bounds_give_the_separate_lists(integer_costs: bool) -> None:
    # The frame's reduced costs bound every component ("shared") or each
    # component is solved as its own problem ("separate", the reference):
    # same lists, tie order included (integer costs tie often).
    rng = np.random.default_rng(21)
    for _ in range(60):
        problem = random_small(rng, integer_costs)
        for k in (1, 2, 10):
            for slack in (None, 0.5, 3.0):
                assert_same_components(
                    per_component_top_k(problem, k, slack),
                    per_component_top_k(problem, k, slack, method="separate"),
                )
    for n, seed, settings in [
        (60, 3, [(1, 20.0), (10, 20.0), (10, 3.0), (3, None)]),
        (300, 5, [(10, 3.0)] if integer_costs else [(1, 20.0), (10, 20.0), (10, 3.0)]),
    ]:
        problem = frame(n, seed, integer_costs=integer_costs)
        for k, slack in settings:
            assert_same_components(
                per_component_top_k(problem, k, slack),
                per_component_top_k(problem, k, slack, method="separate"),
            )


@needs_shared_data
@pytest.mark.realdata
def test_per_component_shared_bounds_on_real_frames() -> None:
    # asf's lists on Fluo-N2DL-HeLa 02 (step 1: 280 cells; step 10), k = 10, slack 20.
    from uqtrack.ctc import read_sequence
    from uqtrack.lineage import frame_pairs
    from uqtrack.trackers import DistanceTracker

    _, dets, _ = read_sequence(SHARED_DATA / "ctc" / "Fluo-N2DL-HeLa", "02")
    tracker = DistanceTracker(sigma=3.1)
    frames = np.unique(dets["frame"])
    for t, t2 in frame_pairs(frames, 1)[:8] + frame_pairs(frames, 10)[:4]:
        fm = dets[dets["frame"] == t].sort_values("label")[["y", "x"]].to_numpy(dtype=float)
        fd = dets[dets["frame"] == t2].sort_values("label")[["y", "x"]].to_numpy(dtype=float)
        edges = tracker.candidates(fm, fd)
        problem = Problem(len(fm), len(fd), edges, tracker.costs(fm, fd, edges), 10.0, 10.0)
        assert_same_components(
            per_component_top_k(problem, 10, 20.0),
            per_component_top_k(problem, 10, 20.0, method="separate"),
        )


# ---------------------------------------------------------------------------
# medium, realistic frames
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "seed"), [(50, 0), (120, 1), (200, 2), (300, 3)])
def test_map_matches_lsa(n: int, seed: int) -> None:
    problem = frame(n, seed)
    sol = solve_map(problem)
    assert is_feasible(problem, sol.choice)
    assert sol.cost == pytest.approx(lsa_map_cost(problem), abs=1e-6)
    assert solve_map(problem, method="decomposed").cost == pytest.approx(sol.cost, abs=1e-6)


@pytest.mark.parametrize(
    ("n", "seed", "integer_costs"), [(50, 0, False), (120, 1, False), (250, 2, False),
                                     (60, 3, True)]
)
def test_decomposed_equals_global_medium(n: int, seed: int, integer_costs: bool) -> None:
    problem = frame(n, seed, integer_costs=integer_costs)
    ref = top_k(problem, 10, method="global")
    assert len(ref) == 10
    got = top_k(problem, 10)
    assert_same_top_k(problem, got, ref, 10, ref_complete=False)
    if n <= 60:  # unpruned, the candidate graph is one big component
        assert_same_top_k(problem, top_k(problem, 10, prune=False), ref, 10,
                          ref_complete=False)
        assert_same_top_k(problem, top_k(problem, 10, enumerate_below=0), ref, 10,
                          ref_complete=False)


def test_decomposed_on_a_crowded_frame() -> None:
    # Larger motion: big ambiguous components that exceed the search budget.
    problem = frame(80, 5, sigma=12.0)
    ref = top_k(problem, 10, method="global")
    for budget in (0, 50, 20_000):
        got = top_k(problem, 10, enumerate_below=budget)
        assert_same_top_k(problem, got, ref, 10, ref_complete=False)


def test_merge_is_the_cheapest_combinations_ties_by_rank_tuple() -> None:
    # Integer costs: sums are exact and tie often. Specification: every
    # combination of one rank per component, sorted by total cost, then by the
    # rank tuple; the first k.
    rng = np.random.default_rng(4)
    for _ in range(300):
        lists = [np.sort(rng.integers(0, 4, int(rng.integers(1, 5))).astype(float))
                 for _ in range(int(rng.integers(0, 7)))]
        comps = [ComponentTopK(None, None, None, c, None) for c in lists]
        k = int(rng.integers(1, 12))
        combos = sorted(itertools.product(*[range(len(c)) for c in lists]),
                        key=lambda r: (sum(c[i] for c, i in zip(lists, r)), r))[:k]
        assert _merge(comps, k).tolist() == [list(r) for r in combos]


# ---------------------------------------------------------------------------
# determinism
# ---------------------------------------------------------------------------


def test_deterministic() -> None:
    for problem in (frame(40, 3, integer_costs=True), frame(60, 4)):
        for kwargs in ({"method": "global"}, {}, {"enumerate_below": 0}, {"prune": False}):
            a = as_tuples(top_k(problem, 10, **kwargs))
            b = as_tuples(top_k(problem, 10, **kwargs))
            assert a == b
        ca = per_component_top_k(problem, 5)
        cb = per_component_top_k(problem, 5)
        assert len(ca) == len(cb)
        for x, y in zip(ca, cb):
            assert np.array_equal(x.choices, y.choices)
            assert np.array_equal(x.costs, y.costs)


def test_ties_come_in_a_fixed_order() -> None:
    # Four identical independent pairs: many exactly tied solutions.
    edges = [[i, i] for i in range(4)]
    problem = Problem(4, 4, edges, [1.0] * 4, 1.0, 0.0)
    first = as_tuples(top_k(problem, 10))
    assert first == as_tuples(top_k(problem, 10))
    assert [c for c, _ in first] == [4.0] * 10
    assert len({ch for _, ch in first}) == 10


# ---------------------------------------------------------------------------
# edge cases
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["global", "decomposed"])
def test_empty_problems(method: str) -> None:
    none = np.zeros((0, 2), dtype=np.int64)
    for n_m, n_d, cost in [(0, 0, 0.0), (3, 0, 3 * 2.0), (0, 4, 4 * 1.5), (2, 3, 2 * 2.0 + 3 * 1.5)]:
        problem = Problem(n_m, n_d, none, [], 1.5, 2.0)
        sols = top_k(problem, 5, method=method)
        assert len(sols) == 1
        assert sols[0].cost == cost
        assert np.array_equal(sols[0].choice, np.full(n_d, -1))
        assert solve_map(problem).cost == cost
        assert lsa_map_cost(problem) == cost
        assert len(brute_force(problem)) == 1
        assert per_component_top_k(problem, 5) == []


@pytest.mark.parametrize("method", ["global", "decomposed"])
def test_cells_without_candidates(method: str) -> None:
    # Daughter 1 and mother 2 have no candidate edge.
    problem = Problem(3, 3, [[0, 0], [1, 2], [0, 2]], [0.5, 0.2, 3.0], 4.0, 1.0)
    ref = brute_force(problem)
    got = top_k(problem, 100, method=method)
    assert_same_top_k(problem, got, ref, 100, ref_complete=True)
    assert len(got) == len(ref) == 6
    assert all(s.choice[1] == -1 for s in got)
    assert got[0].cost == pytest.approx(0.5 + 0.2 + 4.0 + 1.0)


@pytest.mark.parametrize("method", ["global", "decomposed"])
def test_fewer_than_k_solutions(method: str) -> None:
    problem = Problem(1, 1, [[0, 0]], [1.0], 2.0, 3.0)
    sols = top_k(problem, 10, method=method)
    assert [s.cost for s in sols] == [1.0, 5.0]
    assert [s.choice.tolist() for s in sols] == [[0], [-1]]


def test_solution_helpers() -> None:
    problem = Problem(2, 3, [[0, 0], [0, 1], [1, 2], [0, 2]], [1, 2, 3, 4], 10, 20)
    choice = np.array([0, 1, -1])
    assert solution_cost(problem, choice) == 1 + 2 + 10 + 20
    assert is_feasible(problem, choice)
    assert not is_feasible(problem, [0, 1, 3])  # third daughter of mother 0
    assert not is_feasible(problem, [1, -1, -1])  # edge 1 ends at daughter 1
    assert not is_feasible(problem, [0, 1])  # wrong length
    assert not is_feasible(problem, [0, 1, 7])  # no such edge
    sol = Solution(solution_cost(problem, choice), choice)
    assert sol.edges_mask(4).tolist() == [True, True, False, False]
    assert np.array_equal(edge_mask(problem, sol), sol.edges_mask(4))
    assert sol.chosen_edges.tolist() == [0, 1]
    with pytest.raises(ValueError):
        solution_cost(problem, [0, 1])


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"costs": [1.0, -0.1]},
        {"costs": [1.0, np.nan]},
        {"costs": [1.0, np.inf]},
        {"costs": [1.0]},
        {"edges": [[0, 0], [2, 1]]},
        {"edges": [[0, 0], [-1, 1]]},
        {"edges": [[0, 0], [1, 2]]},
        {"edges": [[0, 0], [0, 0]]},
        {"edges": [[0, 0, 0], [1, 1, 1]]},
        {"edges": [[0.5, 0], [1, 1]]},
        {"appear_cost": -1.0},
        {"disappear_cost": np.nan},
        {"max_daughters": 0},
        {"n_mothers": -1},
    ],
)
def test_invalid_problem_raises(kwargs: dict) -> None:
    args = {"n_mothers": 2, "n_daughters": 2, "edges": [[0, 0], [1, 1]], "costs": [1.0, 2.0],
            "appear_cost": 1.0, "disappear_cost": 1.0}
    args.update(kwargs)
    with pytest.raises(ValueError):
        Problem(**args)


def test_invalid_arguments_raise() -> None:
    problem = Problem(1, 1, [[0, 0]], [1.0], 2.0, 3.0)
    with pytest.raises(ValueError):
        top_k(problem, 0)
    with pytest.raises(ValueError):
        top_k(problem, 3, method="murty")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        solve_map(problem, method="murty")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        per_component_top_k(problem, 0)
    with pytest.raises(ValueError):
        per_component_top_k(problem, 3, method="own")  # type: ignore[arg-type]


def test_problem_is_read_only() -> None:
    problem = Problem(2, 2, [[0, 0], [1, 1]], [1.0, 2.0], 1.0, 1.0)
    assert problem.edges.dtype == np.int64 and problem.costs.dtype == np.float64
    with pytest.raises(ValueError):
        problem.costs[0] = 5.0
    with pytest.raises(AttributeError):
        problem.appear_cost = 3.0  # type: ignore[misc]
