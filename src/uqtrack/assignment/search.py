"""Exact top-K of one component by branch and bound on LP reduced costs.

:func:`solve_component` enumerates a component's K cheapest assignments by
depth-first branch and bound within a search budget (:data:`ENUMERATE_BELOW`
nodes), and falls back to HiGHS with no-good cuts when the budget runs out or
the component is too deep. Both give identical results.

Past the budget, HiGHS still decides, but a longer search (up to
:data:`PAST_BUDGET` times the budget) first finds the component's K+1 cheapest.
HiGHS lists the true K cheapest in ascending cost, so every place of its list
whose cost is apart from its neighbours' (:func:`_settled`) holds the search's
assignment: those are handed to HiGHS as found (:func:`nogood_top_k` ``known``)
and it solves only for the places that exact ties leave to it, usually none.
The answer is HiGHS' either way, ties in its order. Why: on overlap-tracker
frames (40-360 cells, one component of 40-280 daughters after pruning, every
alternative 4-17 cost units above the MAP) the search needs 20 to 640 thousand
nodes (0.02-0.7 s) where each HiGHS solve took 0.2-1 s.
"""

from __future__ import annotations

import heapq
import math
from typing import Any

import numpy as np

from uqtrack.assignment.bounds import Bounds
from uqtrack.assignment.milp import nogood_top_k
from uqtrack.assignment.problem import Args

#: Default search budget (branch-and-bound nodes) within which a component's
#: top-k is found by exact enumeration instead of HiGHS. One PuLP model costs
#: milliseconds to build and solve; a thousand search nodes cost about as much.
ENUMERATE_BELOW = 20_000

#: How many times the budget the longer search past it may visit before HiGHS is
#: called after all (about a second of search at most).
PAST_BUDGET = 50

#: Consecutive costs closer than this, relative to the largest, count as tied: far
#: above float noise and HiGHS' tolerances, far below distinct costs of real frames.
_SEPARATION = 1e-6

#: Deepest component (in daughters) searched by recursion; deeper go to HiGHS.
_MAX_DEPTH = 400


def _local_cost(args: Args, choice: np.ndarray) -> float:
    """:func:`~uqtrack.assignment.solution_cost` of a sub-problem given as plain arguments."""
    n_m, n_d, edges, costs, wa, wd, _ = args
    picked = choice[choice >= 0]
    used = len(np.unique(edges[picked, 0]))
    return float(costs[picked].sum() + wa * (n_d - len(picked)) + wd * (n_m - used))


class _BudgetExceeded(Exception):
    pass


def _bnb_top_k(
    n_mothers: int,
    options: list[list[tuple[float, int, int, float]]],
    appear: float,
    disappear: float,
    max_daughters: int,
    k: int,
    map_cost: float,
    limit: float,
    tol: float,
    budget: int,
    state: dict[str, Any],
) -> list[tuple[float, tuple[int, ...]]]:
    """Exact top-k of one component by depth-first branch and bound.

    ``options[j]`` lists daughter j's choices as ``(reduced cost, local edge or
    -1, local mother or -1, cost)`` sorted by reduced cost. Since an assignment
    costs at least ``map_cost`` plus the sum of its choices' reduced costs, a
    branch is cut once that sum exceeds both `limit` and the k-th best cost
    found so far minus `map_cost`. Raises _BudgetExceeded once
    ``state["nodes"]`` (shared across calls) exceeds `budget`.
    """
    n_daughters = len(options)
    counts = [0] * n_mothers
    choice = [-1] * n_daughters
    heap: list[tuple[float, int, tuple[int, ...]]] = []  # max-heap of the best k
    state.update(leaves=0, bound=limit, cut=False)

    def rec(j: int, acc: float, acc_r: float) -> None:
        state["nodes"] += 1
        if state["nodes"] > budget:
            raise _BudgetExceeded
        if j == n_daughters:
            cost = acc + disappear * counts.count(0)
            item = (-cost, -state["leaves"], tuple(choice))
            state["leaves"] += 1
            if len(heap) < k:
                heapq.heappush(heap, item)
            elif item > heap[0]:
                heapq.heapreplace(heap, item)
            if len(heap) == k:
                state["bound"] = min(limit, -heap[0][0] - map_cost)
            return
        for r, e, i, w in options[j]:
            if acc_r + r > state["bound"] + tol:
                if state["bound"] >= limit:
                    state["cut"] = True  # cut by the limit, not by the k-th best
                break  # options are sorted by reduced cost
            if e < 0:
                choice[j] = -1
                rec(j + 1, acc + w, acc_r + r)
            elif counts[i] < max_daughters:
                counts[i] += 1
                choice[j] = e
                rec(j + 1, acc + w, acc_r + r)
                counts[i] -= 1
        choice[j] = -1

    rec(0, 0.0, 0.0)
    found = sorted((-c, -s, ch) for c, s, ch in heap)
    return [(c, ch) for c, _, ch in found]


def _deepening(
    n_mothers: int,
    options: list[list[tuple[float, int, int, float]]],
    args: Args,
    k: int,
    map_cost: float,
    limit: float,
    tol: float,
    budget: int,
) -> list[tuple[float, tuple[int, ...]]] | None:
    """Branch and bound with an increasing reduced-cost limit; None if over budget.

    A search limited to reduced-cost sums <= L sees every assignment within L
    of the MAP, so once its k-th best is within L it is exact. Starting small
    keeps the search from wandering through many poor partial assignments
    before k solutions are known.
    """
    _, _, _, _, wa, wd, maxd = args
    rcs = sorted(o[0] for opts in options for o in opts if o[0] > tol)
    level = 2.0 * rcs[min(k, len(rcs)) - 1] if rcs else limit
    state = {"nodes": 0, "cut": 0}
    while True:
        level = min(level, limit)
        try:
            found = _bnb_top_k(n_mothers, options, wa, wd, maxd, k, map_cost, level, tol,
                               budget, state)
        except _BudgetExceeded:
            return None
        if level >= limit or not state["cut"]:
            return found  # exact within limit, or the search was exhaustive
        if len(found) == k:
            excess = found[-1][0] - map_cost
            if excess <= level + tol:
                return found
            level = excess
        else:
            level = 4.0 * level + 1.0


def _settled(costs: list[float], k: int) -> int:
    """How many of the k cheapest any exact top-k lists first, in this order, whatever its ties.

    `costs`: ascending, the k+1 cheapest (fewer: all there are). The i-th
    cheapest is fixed when each of the first i costs is apart from the next
    (by more than float noise and HiGHS' tolerances); an exact tie leaves the
    choice between the tied ones to the solver.
    """
    margin = _SEPARATION * (1.0 + max((abs(c) for c in costs), default=0.0))
    n = 0
    while n < min(k, len(costs)) and (n + 1 == len(costs) or costs[n + 1] - costs[n] > margin):
        n += 1
    return n


def _past_budget(
    n_mothers: int,
    options: list[list[tuple[float, int, int, float]]],
    args: Args,
    k: int,
    map_cost: float,
    tol: float,
    budget: int,
) -> tuple[list[np.ndarray], bool]:
    """The head of HiGHS' answer (:func:`nogood_top_k`) by a longer search, and if it is all of it.

    HiGHS returns the true k cheapest (no limit) in ascending cost, so wherever
    the costs alone fix a place in that list (:func:`_settled`) the search's
    assignment there is HiGHS'. Empty when the longer budget runs out.
    """
    found = _deepening(n_mothers, options, args, k + 1, map_cost, math.inf, tol,
                       PAST_BUDGET * budget)
    if found is None:
        return [], False
    local = np.array([c for _, c in found], dtype=np.int64).reshape(len(found), len(options))
    n = _settled([_local_cost(args, row) for row in local], k)
    return list(local[:n]), n == min(k, len(found))


def solve_component(
    args: Args,
    k: int,
    bounds: Bounds | None,
    map_local: np.ndarray | None,
    rc_local: np.ndarray | None,
    rc_appear_local: np.ndarray | None,
    limit: float,
    budget: int,
    deadline: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Local choices (r, n) and costs (r,) of a sub-problem's top-k.

    `deadline` bounds the HiGHS fallback (see :func:`~uqtrack.assignment.milp.make_deadline`).
    """
    n_m, n_d, edges, costs, wa, wd, maxd = args
    known: list[np.ndarray] = []
    if budget > 0 and n_d <= _MAX_DEPTH:
        if rc_local is None:  # no bounds: plain enumeration within the budget
            rc_local, rc_appear_local = np.zeros(len(edges)), np.zeros(n_d)
            map_cost, limit, tol = 0.0, math.inf, 0.0
        else:  # bounds, map_local and rc_appear_local come with rc_local (mypy cannot tell)
            map_cost, tol = _local_cost(args, map_local), bounds.tol  # type: ignore[arg-type, union-attr]
        options: list[list[tuple[float, int, int, float]]] = [
            [(float(rc_appear_local[j]), -1, -1, wa)] for j in range(n_d)  # type: ignore[index]
        ]
        for e, ((i, j), w, r) in enumerate(
            zip(edges.tolist(), costs.tolist(), rc_local.tolist())
        ):
            options[j].append((r, e, i, w))
        for opts in options:
            opts.sort(key=lambda o: (o[0], o[1]))  # cheapest first: finds the MAP first
        found = _deepening(n_m, options, args, k, map_cost, limit, tol, budget)
        if found is not None:
            local = np.array([c for _, c in found], dtype=np.int64).reshape(len(found), n_d)
            return local, np.array([c for c, _ in found])
        # Past the budget HiGHS decides, as it always has; a longer search hands it
        # the head of its answer that the costs alone fix, often all of it.
        known, complete = _past_budget(n_m, options, args, k, map_cost, tol, budget)
        if complete:
            local = np.array(known, dtype=np.int64).reshape(-1, n_d)
            return local, np.array([_local_cost(args, row) for row in local])
    local = np.array(nogood_top_k(*args, k, deadline, known), dtype=np.int64).reshape(-1, n_d)
    return local, np.array([_local_cost(args, row) for row in local])
