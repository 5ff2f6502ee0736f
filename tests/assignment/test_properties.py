"""Property tests of the solvers and the probabilities on random small instances.

Whatever the instance (ties, daughters without candidates, mothers without
edges, tiny and large costs): every solution is feasible, top-K lists are sorted
and distinct and agree with brute force, the decomposed and the global top-K have
the same costs in the same order, marginals are probabilities, and each
daughter's DBMC classes sum to 1.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from uqtrack import assignment
from uqtrack.uq import MethodParams, dbmc, pair_probabilities

from conftest import cost_by_hand, enumerate_by_hand

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI stays reproducible
    database=None,  # and leaves no .hypothesis folder behind
    suppress_health_check=[HealthCheck.too_slow],
)
# a few values only, so that equal costs (ties) are common
COSTS = st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.5, 7.0, 12.0, 40.0])


@st.composite
def problems(draw, max_cells: int = 5) -> assignment.Problem:
    n_m = draw(st.integers(0, max_cells))
    n_d = draw(st.integers(0, max_cells))
    pairs = [(i, j) for i in range(n_m) for j in range(n_d)]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=12)) if pairs else []
    edges = np.array(sorted(chosen), dtype=np.int64).reshape(-1, 2)
    costs = np.array(draw(st.lists(COSTS, min_size=len(edges), max_size=len(edges))), dtype=np.float64)
    return assignment.Problem(
        n_mothers=n_m,
        n_daughters=n_d,
        edges=edges,
        costs=costs,
        appear_cost=draw(COSTS),
        disappear_cost=draw(COSTS),
        max_daughters=draw(st.sampled_from([1, 2])),
    )


def check_top_k(problem: assignment.Problem, sols: list[assignment.Solution], k: int) -> None:
    assert 1 <= len(sols) <= k
    for s in sols:
        assert assignment.is_feasible(problem, s.choice)
        assert s.cost == pytest.approx(cost_by_hand(problem, s.choice), rel=1e-12, abs=1e-9)
    costs = [s.cost for s in sols]
    assert costs == sorted(costs)
    assert len({tuple(s.choice.tolist()) for s in sols}) == len(sols)  # distinct


@SETTINGS
@given(problem=problems(), k=st.integers(1, 8))
def test_top_k_is_feasible_sorted_distinct_and_exact(problem, k):
    every = assignment.brute_force(problem)
    by_hand = enumerate_by_hand(problem)  # brute_force's own reference, checked
    assert sorted(tuple(s.choice.tolist()) for s in every) == sorted(c for _, c in by_hand)
    want = np.array([cost for cost, _ in by_hand[:k]])
    np.testing.assert_allclose([s.cost for s in every[:k]], want, rtol=0, atol=1e-9)
    found = {}
    for method in ("global", "decomposed"):
        sols = assignment.top_k(problem, k, method=method)
        check_top_k(problem, sols, k)
        assert len(sols) == min(k, len(every))
        np.testing.assert_allclose([s.cost for s in sols], want, rtol=0, atol=1e-9)
        found[method] = [s.cost for s in sols]
    np.testing.assert_allclose(found["global"], found["decomposed"], rtol=0, atol=1e-9)  # in order
    best = assignment.solve_map(problem)
    assert assignment.is_feasible(problem, best.choice)
    assert abs(best.cost - every[0].cost) < 1e-9


@SETTINGS
@given(problem=problems(), k=st.integers(1, 6), slack=st.sampled_from([None, 0.0, 2.0, 20.0]))
def test_per_component_lists_are_feasible_sorted_and_distinct(problem, k, slack):
    comps = assignment.per_component_top_k(problem, k, slack)
    base = np.full(problem.n_daughters, -1, dtype=np.int64)
    for comp in comps:
        base[comp.daughters] = comp.choices[0]
    seen_daughters = np.concatenate([c.daughters for c in comps]) if comps else np.array([], np.int64)
    assert len(np.unique(seen_daughters)) == len(seen_daughters)  # components are disjoint
    for comp in comps:
        assert 1 <= len(comp.costs) <= k and np.all(np.diff(comp.costs) >= 0)
        assert len({tuple(row) for row in comp.choices.tolist()}) == len(comp.choices)
        for row in comp.choices:
            choice = base.copy()
            choice[comp.daughters] = row  # other components keep their best: still feasible
            assert assignment.is_feasible(problem, choice)


class FixedCosts:
    """A tracker whose costs are given: the probabilities then depend on the problem only."""

    def __init__(self, problem: assignment.Problem) -> None:
        self.problem = problem
        self.appear_cost = problem.appear_cost
        self.disappear_cost = problem.disappear_cost

    def costs(self, mothers, daughters, edges):
        return np.asarray(self.problem.costs)

    def sample_costs(self, mothers, daughters, edges, rng):
        return np.asarray(self.problem.costs)  # the tracker contract's perturbed draw


@SETTINGS
@given(problem=problems(), k=st.integers(1, 6), method=st.sampled_from(["sm", "fpa", "as", "asf", "mm"]))
def test_marginals_are_probabilities_and_each_daughter_sums_to_one(problem, k, method):
    out = pair_probabilities(
        method,
        FixedCosts(problem),
        np.zeros((problem.n_mothers, 2)),
        np.zeros((problem.n_daughters, 2)),
        problem.edges,
        np.random.default_rng(0),
        MethodParams(k=k, max_daughters=problem.max_daughters),
    )
    if method in ("as", "asf", "fpa"):  # frequencies or sums of normalised weights
        for p in (out.p_edge, out.p_none):
            assert np.all(p >= 0) and np.all(p <= 1 + 1e-12)
        # every daughter takes exactly one class in every sampled assignment
        per_daughter = np.bincount(problem.edges[:, 1], out.p_edge, problem.n_daughters) + out.p_none
        np.testing.assert_allclose(per_daughter, 1.0, atol=1e-9)
    chosen = np.flatnonzero(out.pred_edge)
    choice = np.full(problem.n_daughters, -1, dtype=np.int64)
    choice[problem.edges[chosen, 1]] = chosen
    assert assignment.is_feasible(problem, choice)  # the judged prediction is an assignment
    assert np.array_equal(out.pred_none, choice < 0)

    p_cond, p_none = dbmc(out.log_p_edge, out.log_p_none, problem.edges[:, 1])
    assert np.all(p_cond >= 0) and np.all(p_cond <= 1) and np.all(p_none >= 0) and np.all(p_none <= 1)
    sums = np.bincount(problem.edges[:, 1], p_cond, problem.n_daughters) + p_none
    np.testing.assert_allclose(sums, 1.0, atol=1e-12)


@SETTINGS
@given(
    logits=st.lists(st.floats(-800, 50, allow_nan=False) | st.just(-np.inf), min_size=1, max_size=12),
    none=st.lists(st.floats(-800, 50, allow_nan=False) | st.just(-np.inf), min_size=1, max_size=4),
    data=st.data(),
)
def test_dbmc_sums_to_one_even_where_exp_underflows(logits, none, data):
    n_edges = len(logits)
    daughters = np.array(data.draw(st.lists(st.integers(0, len(none) - 1), min_size=n_edges, max_size=n_edges)))
    logits, none = np.array(logits), np.array(none)
    # every daughter has some class with P > 0 (each method guarantees it: a sampled
    # assignment gives every daughter a class, and sm/fp price "none" at exp(-w_a))
    seen = np.isfinite(none).copy()
    np.logical_or.at(seen, daughters, np.isfinite(logits))
    assume(seen.all())
    p_cond, p_none = dbmc(logits, none, daughters)
    assert np.all(np.isfinite(p_cond)) and np.all(np.isfinite(p_none))
    assert np.all(p_cond >= 0) and np.all(p_none >= 0)
    np.testing.assert_allclose(np.bincount(daughters, p_cond, len(none)) + p_none, 1.0, atol=1e-12)
