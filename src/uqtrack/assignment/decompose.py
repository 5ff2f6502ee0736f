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

from uqtrack.assignment.bounds import Bounds, map_bounds
from uqtrack.assignment.problem import Problem, make_solutions, solution_cost
from uqtrack.assignment.search import ENUMERATE_BELOW, solve_component


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


def _sub_problem(problem: Problem, mothers: np.ndarray, daughters: np.ndarray,
                 edges: np.ndarray, local: np.ndarray) -> Problem:
    """The problem of one component (see :func:`_groups`)."""
    return Problem(
        n_mothers=len(mothers),
        n_daughters=len(daughters),
        edges=local,
        costs=problem.costs[edges],
        appear_cost=problem.appear_cost,
        disappear_cost=problem.disappear_cost,
        max_daughters=problem.max_daughters,
    )


def _split(
    problem: Problem, kept: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, Problem]]:
    """:func:`split` of the graph of edges `kept` (ascending edge indices)."""
    return [
        (mothers, daughters, edges, _sub_problem(problem, mothers, daughters, edges, local))
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
    bounds: Bounds | None = None,
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
        local, costs = solve_component(
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
    the rank tuples, so the result is deterministic. Each fold records only
    where its partial combinations came from, and the tuples are read back at
    the end: linear in the number of components (thousands on large frames).
    """
    totals = np.zeros(1)
    lex = np.zeros(1, dtype=np.int64)  # lexicographic position of each partial tuple
    steps = []  # per component: (parent partial combination, rank in the component)
    for comp in comps:
        n_a, n_b = len(totals), len(comp.costs)
        if n_b == 1:  # appending rank 0 everywhere keeps the order
            totals = totals + comp.costs[0]
            steps.append((np.arange(n_a), np.zeros(n_a, dtype=np.int64)))
            continue
        sums = (totals[:, None] + comp.costs[None, :]).ravel()
        ia = np.repeat(np.arange(n_a), n_b)
        ib = np.tile(np.arange(n_b), n_a)
        best = np.lexsort((ib, lex[ia], sums))[:k]
        totals = sums[best]
        parent, rank = ia[best], ib[best]
        order = np.lexsort((rank, lex[parent]))  # new tuple = parent's tuple + rank
        lex = np.empty(len(best), dtype=np.int64)
        lex[order] = np.arange(len(best))
        steps.append((parent, rank))
    ranks = np.zeros((len(totals), len(comps)), dtype=np.int64)
    at = np.arange(len(totals))
    for c in range(len(comps) - 1, -1, -1):
        parent, rank = steps[c]
        ranks[:, c] = rank[at]
        at = parent[at]
    return ranks


def _combine(problem: Problem, comps: list[ComponentTopK], k: int) -> list[np.ndarray]:
    """Full choice arrays of the k cheapest combinations of component lists."""
    ranks = _merge(comps, k)
    choices = np.full((len(ranks), problem.n_daughters), -1, dtype=np.int64)
    for c, comp in enumerate(comps):
        choices[:, comp.daughters] = comp.choices[ranks[:, c]]
    return list(choices)


def decomposed_top_k(
    problem: Problem,
    k: int,
    enumerate_below: int,
    prune: bool,
    deadline: tuple[float, float] | None = None,
) -> list[np.ndarray]:
    """Decomposed top-k, with the problem's own bounds (see :func:`_bounded_top_k`)."""
    return _bounded_top_k(problem, map_bounds(problem), k, enumerate_below, prune, deadline)


def _bounded_top_k(
    problem: Problem,
    bounds: Bounds | None,
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
    :class:`~uqtrack.assignment.bounds.Bounds` of `problem` (None: none).
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


# ---------------------------------------------------------------------------
# Each component's own top-k (per_component_top_k)
# ---------------------------------------------------------------------------


def _as_component(
    mothers: np.ndarray, daughters: np.ndarray, edges: np.ndarray,
    choices: list[np.ndarray], costs: np.ndarray,
) -> ComponentTopK:
    local = np.array(choices, dtype=np.int64).reshape(len(choices), len(daughters))
    glob = np.where(local >= 0, edges[np.maximum(local, 0)], -1)
    return ComponentTopK(mothers, daughters, edges, costs, glob)


def _separate_top_k(
    problem: Problem, mothers: np.ndarray, daughters: np.ndarray, edges: np.ndarray,
    local: np.ndarray, k: int,
) -> ComponentTopK:
    """One component's top-k as the decomposed top-k of its own problem (own bounds)."""
    sub = _sub_problem(problem, mothers, daughters, edges, local)
    sols = make_solutions(sub, decomposed_top_k(sub, k, ENUMERATE_BELOW, True))
    costs = np.array([s.cost for s in sols], dtype=np.float64)
    return _as_component(mothers, daughters, edges, [s.choice for s in sols], costs)


def _unambiguous(costs: np.ndarray, k: int, tol: float) -> bool:
    """Whether the first `k` of an exact top-(k+1) are fixed by their costs alone.

    True unless two of them cost exactly the same (their order is then the
    search's) or the k-th and (k+1)-th are within `tol` (which of them is kept
    is then up to float noise).
    """
    head = costs[:k]
    if np.any(head[1:] == head[:-1]):
        return False
    return len(costs) <= k or costs[k] - costs[k - 1] > tol


#: Components with more daughters than this are pruned and split again before
#: their branch and bound (as :func:`top_k` does); smaller ones are searched whole.
_PRUNE_ABOVE = 16


def _shared_top_k(
    problem: Problem, bounds: Bounds, mothers: np.ndarray, daughters: np.ndarray,
    edges: np.ndarray, local: np.ndarray, k: int,
) -> ComponentTopK:
    """One component's top-k bounded by the frame's reduced costs (see :func:`top_k_of_components`)."""
    sub = _sub_problem(problem, mothers, daughters, edges, local)
    glob_map = bounds.map_choice[daughters]
    # The MAP's edges have reduced cost 0, so they are kept and local.
    map_local = np.where(glob_map >= 0, np.searchsorted(edges, glob_map), -1)
    sub_bounds = Bounds(map_local, bounds.rc[edges], bounds.rc_appear[daughters], bounds.tol)
    prune = len(daughters) > _PRUNE_ABOVE
    sols = make_solutions(sub, _bounded_top_k(sub, sub_bounds, k + 1, ENUMERATE_BELOW, prune))
    costs = np.array([s.cost for s in sols], dtype=np.float64)
    if not _unambiguous(costs, k, bounds.tol):
        return _separate_top_k(problem, mothers, daughters, edges, local, k)
    return _as_component(mothers, daughters, edges, [s.choice for s in sols[:k]], costs[:k])


def _single_edges(
    problem: Problem, edges: np.ndarray, k: int, tol: float
) -> tuple[list[ComponentTopK], np.ndarray]:
    """Top-k of components that are one edge each (link, or appear + disappear).

    Returns the lists and a mask of `edges` whose two costs tie (exactly, or
    within `tol` when ``k = 1``), left to :func:`_separate_top_k`.
    """
    wa, wd = problem.appear_cost, problem.disappear_cost
    # Exactly the float operations of solution_cost on the 1 x 1 problem.
    link = problem.costs[edges] + wa * 0 + wd * 0
    none = float(np.zeros(0).sum() + wa * 1 + wd * 1)
    tied = (link == none) | ((k == 1) & (np.abs(link - none) <= tol))
    out = []
    mothers, daughters = problem.edges[edges, 0], problem.edges[edges, 1]
    for c in np.flatnonzero(~tied).tolist():
        e, w = edges[c : c + 1], float(link[c])
        if w < none:
            costs, choices = np.array([w, none]), np.array([[e[0]], [-1]])
        else:
            costs, choices = np.array([none, w]), np.array([[-1], [e[0]]])
        out.append(ComponentTopK(mothers[c : c + 1], daughters[c : c + 1], e,
                                 costs[:k], choices[:k]))
    return out, tied


def top_k_of_components(
    problem: Problem, kept: np.ndarray, k: int, bounds: Bounds | None, shared: bool
) -> list[ComponentTopK]:
    """Top-k of each component of the graph of edges `kept` (ascending), in :func:`_groups` order.

    ``shared=False`` solves each component as a problem of its own
    (:func:`_separate_top_k`: a sparse matching, duals and a decomposed top-k
    each). ``shared=True`` reuses the frame's `bounds` for every component:
    restricted to a component, the frame's MAP and dual potentials are the
    component's (complementary slackness holds component by component), so its
    reduced costs bound the component's assignments just as well. A single
    edge (most components after pruning) has two assignments and is sorted
    directly. The lists are the same either way: both are exact and sorted by
    :func:`~uqtrack.assignment.solution_cost`; where costs alone do not fix a
    list (exact ties, a near tie at the k-th place; see :func:`_unambiguous`)
    the shared path defers to :func:`_separate_top_k`.
    """
    if not shared or bounds is None or len(kept) == 0:
        return [_separate_top_k(problem, *group, k) for group in _groups(problem, kept)]
    # Components that are a single edge: both its cells have one kept edge.
    e_m, e_d = problem.edges[kept, 0], problem.edges[kept, 1]
    lone = (np.bincount(e_m, minlength=problem.n_mothers)[e_m] == 1) & (
        np.bincount(e_d, minlength=problem.n_daughters)[e_d] == 1
    )
    out, tied = _single_edges(problem, kept[lone], k, bounds.tol)
    rest = np.sort(np.concatenate([kept[~lone], kept[lone][tied]]))
    for mothers, daughters, edges, local in _groups(problem, rest):
        if len(edges) == 1:
            out.append(_separate_top_k(problem, mothers, daughters, edges, local, k))
        else:
            out.append(_shared_top_k(problem, bounds, mothers, daughters, edges, local, k))
    # _groups order: by smallest cell, and every component's smallest cell is a mother.
    out.sort(key=lambda comp: int(comp.mothers[0]))
    return out
