"""The solvers' entry points: :func:`top_k`, :func:`solve_map`, :func:`per_component_top_k`."""

from __future__ import annotations

from typing import Literal

import numpy as np

from uqtrack.assignment.bounds import map_bounds
from uqtrack.assignment.canonical import canonical_choice
from uqtrack.assignment.decompose import ComponentTopK, decomposed_top_k, top_k_of_components
from uqtrack.assignment.milp import make_deadline, nogood_top_k
from uqtrack.assignment.problem import (
    Problem,
    Solution,
    check_k,
    make_solutions,
    problem_args,
    solution_cost,
)
from uqtrack.assignment.search import ENUMERATE_BELOW

#: Values of ``solve_map(method=...)``.
MAP_METHODS = ("lsa", "milp", "decomposed")


def top_k(
    problem: Problem,
    k: int,
    method: Literal["decomposed", "global"] = "decomposed",
    *,
    enumerate_below: int = ENUMERATE_BELOW,
    prune: bool = True,
    time_limit: float | None = None,
) -> list[Solution]:
    """The `k` cheapest feasible assignments, in ascending cost.

    Parameters
    ----------
    problem : Problem
    k : int
        Number of assignments wanted; fewer are returned if fewer exist.
    method : {"decomposed", "global"}
        ``"global"``: re-solve the full integer program with HiGHS, adding a
        no-good cut per found assignment (reference; slow on big frames).
        ``"decomposed"``: per-component top-k merged exactly (see :mod:`uqtrack.assignment`).
    enumerate_below : int, optional
        Decomposed only: search budget. A component's top-k is found by exact
        branch and bound (bounded by LP reduced costs) when that visits at most
        this many search nodes, otherwise by HiGHS with no-good cuts, which is
        handed the places of its list that a longer search fixes by cost alone
        (:mod:`~uqtrack.assignment.search`); 0 always uses HiGHS alone. Results
        are identical either way.
    prune : bool, optional
        Decomposed only: drop edges whose LP reduced cost shows they cannot
        occur in the top-k before splitting into components (exact; with
        nearest-neighbour candidates the unpruned graph is usually one
        component). False uses the candidate graph's components as they are.
    time_limit : float, optional
        Seconds of wall-clock time the call may take before a HiGHS solve
        finishes (every solve of ``"global"``; the fallback of
        ``"decomposed"``); None: no limit.

    Returns
    -------
    list of Solution
        Ascending cost. Equal-cost assignments come in a deterministic order
        (same input, same output) that may differ between methods; when the
        k-th cost is tied, which of the tied assignments are returned may
        differ between methods too.

    Raises
    ------
    TimeLimitReached
        If `time_limit` ran out before HiGHS proved its answer optimal.
    """
    check_k(k)
    deadline = make_deadline(time_limit)
    if method == "global":
        choices = nogood_top_k(*problem_args(problem), k, deadline)
    elif method == "decomposed":
        choices = decomposed_top_k(problem, k, enumerate_below, prune, deadline)
    else:
        raise ValueError(f"method must be 'decomposed' or 'global', got {method!r}")
    return make_solutions(problem, choices)


def solve_map(
    problem: Problem,
    method: Literal["lsa", "milp", "decomposed"] = "lsa",
    *,
    time_limit: float | None = None,
) -> Solution:
    """The cheapest feasible assignment (MAP), canonical among equal-cost ones.

    Parameters
    ----------
    problem : Problem
    method : {"lsa", "milp", "decomposed"}
        ``"lsa"`` (default): the slot formulation (see
        :mod:`~uqtrack.assignment.bounds`) as one sparse minimum-weight
        bipartite matching (:func:`scipy.sparse.csgraph.min_weight_full_bipartite_matching`).
        ``"milp"``: one integer program over the whole frame, built with PuLP
        and solved by HiGHS with gap 0 (the reference). ``"decomposed"``:
        ``top_k(problem, 1)``.
    time_limit : float, optional
        ``"milp"`` and ``"decomposed"``: see :func:`top_k`. ``"lsa"`` uses no
        HiGHS and ignores it.

    Returns
    -------
    Solution
        Whatever the method, the optimal assignment whose choice vector is
        lexicographically smallest (``-1`` = appears, before the daughter's
        edges in index order); see :mod:`~uqtrack.assignment.canonical`.
        Assignments whose costs differ by float rounding only count as tied.

    Raises
    ------
    TimeLimitReached
        See :func:`top_k`.
    RuntimeError
        If the solver's answer is not optimal by the LP reduced costs (never
        seen; would mean a solver failure).
    """
    if method == "lsa":
        choice = canonical_choice(problem)
    elif method in ("milp", "decomposed"):
        found = top_k(
            problem, 1, method="global" if method == "milp" else "decomposed",
            time_limit=time_limit,
        )[0]
        choice = canonical_choice(problem, found.choice)
    else:
        raise ValueError(f"method must be one of {MAP_METHODS}, got {method!r}")
    choice.setflags(write=False)
    return Solution(solution_cost(problem, choice), choice)


def per_component_top_k(
    problem: Problem,
    k: int,
    slack: float | None = None,
    *,
    method: Literal["shared", "separate"] = "shared",
) -> list[ComponentTopK]:
    """Each connected component's own exact ``k`` cheapest assignments.

    Parameters
    ----------
    problem : Problem
    k : int
        Assignments per component (fewer where a component has fewer).
    slack : float, optional
        First drop every edge that occurs in no assignment costing less than
        MAP + ``slack`` (by the LP reduced-cost bound), so that components are those
        of the remaining graph. With nearest-neighbour candidates the full graph is
        usually one component; after pruning it falls apart into small ones. An
        assignment using a dropped edge has posterior weight below
        ``exp(-slack)`` times the MAP's. ``None`` keeps every edge.
    method : {"shared", "separate"}
        ``"shared"`` (default): every component is bounded by the frame's own
        reduced costs, computed once. ``"separate"`` (the reference): each
        component is solved by :func:`top_k` as a problem of its own. The lists
        are identical (where costs alone leave them open, "shared" falls back
        to "separate" for that component).

    Returns
    -------
    list of ComponentTopK
        Per component with at least one kept edge, in the order of its smallest
        cell (mothers first): its own exact top-``k``, ascending cost; equal
        costs in the order :func:`top_k` gives them on the component's problem.
    """
    check_k(k)
    if method not in ("shared", "separate"):
        raise ValueError(f"method must be 'shared' or 'separate', got {method!r}")
    keep = np.arange(problem.n_edges)
    bounds = None
    if slack is not None or method == "shared":
        bounds = map_bounds(problem)
    if slack is not None and bounds is not None:
        keep = np.flatnonzero(bounds.rc <= slack + bounds.tol)
    return top_k_of_components(problem, keep, k, bounds, shared=method == "shared")
