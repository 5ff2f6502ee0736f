"""Decomposition: connected components of the candidate graph, solved apart, merged exactly.

The cost of an assignment is the sum of its components' costs plus a constant
for cells without candidate edges, so the K cheapest assignments of a frame are
the K cheapest combinations of each component's own K cheapest. Pruning edges
by LP reduced cost first (:mod:`uqtrack.assignment.bounds`) is what makes the
components small; each is solved by branch and bound
(:mod:`uqtrack.assignment.search`) or HiGHS.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from uqtrack.assignment.bounds import _Bounds, _bounds
from uqtrack.assignment.problem import Problem, solution_cost
from uqtrack.assignment.search import _solve_component


@dataclass(frozen=True, eq=False)
class ComponentTopK:
    """The cheapest assignments of one connected component.

    Attributes
    ----------
    mothers, daughters : (m,), (n,) int64
        Global indices of the component's cells, ascending.
    edges : (e,) int64
        Global indices of the component's (kept) edges, ascending.
    costs : (r,) float64
        Component cost of each listed assignment, ascending: its edge costs
        plus w_a per appearing daughter and w_d per daughterless mother of
        this component.
    choices : (r, n) int64
        Global edge index chosen by each of `daughters` (or -1), per assignment.
    """

    mothers: np.ndarray
    daughters: np.ndarray
    edges: np.ndarray
    costs: np.ndarray
    choices: np.ndarray


def _groups(
    problem: Problem, kept: np.ndarray
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Connected components of the graph of edges `kept` (ascending edge indices).

    Yields ``(mothers, daughters, edges, local_edges)`` per component with at
    least one edge, in the order of their smallest node (mothers first, then
    daughters): global indices of its cells and edges, ascending, and the
    ``(e, 2)`` edges renumbered into the component's own cells.
    """
    n_m, n_d = problem.n_mothers, problem.n_daughters
    if len(kept) == 0:
        return
    e_m, e_d = problem.edges[kept, 0], problem.edges[kept, 1]
    # Nodes: mothers 0..M-1, daughters M..M+D-1.
    adj = coo_array((np.ones(len(kept)), (e_m, n_m + e_d)), shape=(n_m + n_d, n_m + n_d))
    n_labels, labels = connected_components(adj, directed=False)

    # Group nodes and edges by component label.
    node_order = np.argsort(labels, kind="stable")
    node_bounds = np.searchsorted(labels[node_order], np.arange(n_labels + 1))
    edge_lab = labels[e_m]
    edge_order = np.argsort(edge_lab, kind="stable")
    edge_bounds = np.searchsorted(edge_lab[edge_order], np.arange(n_labels + 1))

    for lab in range(n_labels):
        pos = edge_order[edge_bounds[lab] : edge_bounds[lab + 1]]
        if len(pos) == 0:
            continue  # a lone cell: fixed cost, nothing to choose
        nodes = node_order[node_bounds[lab] : node_bounds[lab + 1]]
        mothers = nodes[nodes < n_m]
        daughters = nodes[nodes >= n_m] - n_m
        local = np.stack(
            [np.searchsorted(mothers, e_m[pos]), np.searchsorted(daughters, e_d[pos])], axis=1
        )
        yield mothers, daughters, kept[pos], local


def _split(
    problem: Problem, kept: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, Problem]]:
    """:func:`split` of the graph of edges `kept` (ascending edge indices)."""
    return [
        (
            mothers,
            daughters,
            edges,
            Problem(
                n_mothers=len(mothers),
                n_daughters=len(daughters),
                edges=local,
                costs=problem.costs[edges],
                appear_cost=problem.appear_cost,
                disappear_cost=problem.disappear_cost,
                max_daughters=problem.max_daughters,
            ),
        )
        for mothers, daughters, edges, local in _groups(problem, kept)
    ]


def split(problem: Problem) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, Problem]]:
    """The connected components of the candidate graph as independent problems.

    Returns ``(mothers, daughters, edges, sub_problem)`` per component that has at
    least one edge: global indices of its cells and edges (ascending) and the
    problem over them. Cells without edges are left out: their daughters appear
    and their mothers disappear in every assignment.
    """
    return _split(problem, np.arange(problem.n_edges))


def _components(
    problem: Problem,
    keep: np.ndarray,
    k: int,
    budget: int,
    bounds: _Bounds | None = None,
    limit: float = math.inf,
    deadline: tuple[float, float] | None = None,
) -> list[ComponentTopK]:
    """Top-k of each connected component of the kept-edge graph.

    Returns the components that have at least one kept edge. With `bounds`,
    each list is exact among the component's assignments costing at most its
    MAP + `limit` (all of them for ``limit=inf``).
    """
    out: list[ComponentTopK] = []
    for mothers, daughters, comp_edges, local_edges in _groups(problem, np.flatnonzero(keep)):
        args = (
            len(mothers),
            len(daughters),
            local_edges,
            problem.costs[comp_edges],
            problem.appear_cost,
            problem.disappear_cost,
            problem.max_daughters,
        )
        map_local = rc_local = rc_appear_local = None
        if bounds is not None:
            glob_map = bounds.map_choice[daughters]
            # The MAP's edges have reduced cost 0, so they are kept and local.
            map_local = np.where(glob_map >= 0, np.searchsorted(comp_edges, glob_map), -1)
            rc_local, rc_appear_local = bounds.rc[comp_edges], bounds.rc_appear[daughters]
        local, costs = _solve_component(
            args, k, bounds, map_local, rc_local, rc_appear_local, limit, budget, deadline
        )
        glob = np.where(local >= 0, comp_edges[np.maximum(local, 0)], -1)
        out.append(ComponentTopK(mothers, daughters, comp_edges, costs, glob))
    return out


def _merge(comps: list[ComponentTopK], k: int) -> np.ndarray:
    """Rank tuples (one rank per component) of the k cheapest combinations.

    Components are folded in one at a time keeping the k best partial
    combinations, which is exact: a combination in the global top-k has a
    prefix in the prefix top-k. Ties are broken by the lexicographic order of
    the rank tuples, so the result is deterministic.
    """
    totals = np.zeros(1)
    ranks = np.zeros((1, 0), dtype=np.int64)
    for comp in comps:
        n_a, n_b = len(totals), len(comp.costs)
        if n_b == 1:
            totals = totals + comp.costs[0]
            ranks = np.concatenate([ranks, np.zeros((n_a, 1), dtype=np.int64)], axis=1)
            continue
        # Lexicographic position of each partial rank tuple, for tie-breaking.
        lex = np.empty(n_a, dtype=np.int64)
        lex[np.lexsort(ranks.T[::-1]) if ranks.shape[1] else np.arange(n_a)] = np.arange(n_a)
        sums = (totals[:, None] + comp.costs[None, :]).ravel()
        ia = np.repeat(np.arange(n_a), n_b)
        ib = np.tile(np.arange(n_b), n_a)
        best = np.lexsort((ib, lex[ia], sums))[:k]
        totals = sums[best]
        ranks = np.concatenate([ranks[ia[best]], ib[best, None]], axis=1)
    return ranks


def _combine(problem: Problem, comps: list[ComponentTopK], k: int) -> list[np.ndarray]:
    """Full choice arrays of the k cheapest combinations of component lists."""
    ranks = _merge(comps, k)
    choices = np.full((len(ranks), problem.n_daughters), -1, dtype=np.int64)
    for c, comp in enumerate(comps):
        choices[:, comp.daughters] = comp.choices[ranks[:, c]]
    return list(choices)


def _decomposed_top_k(
    problem: Problem,
    k: int,
    enumerate_below: int,
    prune: bool,
    deadline: tuple[float, float] | None = None,
) -> list[np.ndarray]:
    """Decomposed top-k, with the problem's own bounds (see :func:`_bounded_top_k`)."""
    return _bounded_top_k(problem, _bounds(problem), k, enumerate_below, prune, deadline)


def _bounded_top_k(
    problem: Problem,
    bounds: _Bounds | None,
    k: int,
    enumerate_below: int,
    prune: bool,
    deadline: tuple[float, float] | None = None,
) -> list[np.ndarray]:
    """Decomposed top-k, optionally on the graph of edges with small reduced cost.

    An assignment costing at most MAP + s only uses edges with reduced cost
    <= s. So if the k-th best assignment of the pruned problem costs at most
    MAP + s, it and all cheaper ones are the true top-k. Otherwise its cost
    gives a valid s for a further, then exact, pass. `bounds` may be any valid
    :class:`~uqtrack.assignment.bounds._Bounds` of `problem` (None: none).
    """
    everything = np.ones(problem.n_edges, dtype=bool)
    if bounds is None or not prune:
        comps = _components(problem, everything, k, enumerate_below, bounds, deadline=deadline)
        return _combine(problem, comps, k)
    map_cost = solution_cost(problem, bounds.map_choice)
    # Start from twice the k-th smallest positive reduced cost: the cheapest
    # alternatives to the MAP are mostly single local moves.
    positive = np.sort(bounds.rc[bounds.rc > bounds.tol])
    slack = 2.0 * float(positive[min(k, len(positive)) - 1]) if len(positive) else 0.0
    for attempt in range(8):
        if attempt == 7:
            slack = math.inf
        keep = bounds.rc <= slack + bounds.tol
        comps = _components(problem, keep, k, enumerate_below, bounds, slack, deadline)
        choices = _combine(problem, comps, k)
        if keep.all() and slack == math.inf:
            break
        if len(choices) == k:
            excess = solution_cost(problem, choices[-1]) - map_cost
            if excess <= slack + bounds.tol:
                break
            slack = excess if slack == 0 else min(excess, 4.0 * slack)
        else:  # too few assignments left: widen
            slack = 4.0 * slack + 1.0
    return choices
