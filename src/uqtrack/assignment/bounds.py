"""Linear-assignment bounds: an independent MAP cost and LP reduced costs.

:func:`lsa_map_cost` cross-checks HiGHS with
:func:`scipy.optimize.linear_sum_assignment`. :func:`_bounds` gives the MAP and,
per edge and per "appears" option, a lower bound on the extra cost of taking it
(LP reduced costs of a sparse assignment solve); the decomposition prunes edges
and bounds its branch and bound with them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_array, csr_array
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from uqtrack.assignment.problem import Problem


def lsa_map_cost(problem: Problem) -> float:
    """MAP cost via :func:`scipy.optimize.linear_sum_assignment`, independent of HiGHS.

    Rows are daughters. Each mother has ``max_daughters`` slot columns: slot 0
    costs ``w_ij - w_d`` (a mother's first daughter saves its disappearance),
    the others ``w_ij``; since ``w_d >= 0`` an optimal assignment fills slot 0
    first, so slot costs add up to the true cost. Each daughter also has its
    own "appear" column of cost ``w_a``. The MAP cost is the assignment cost
    plus ``w_d * M``.

    Parameters
    ----------
    problem : Problem

    Returns
    -------
    float
        The minimum of :func:`solution_cost` over feasible assignments.
    """
    m, n_m, n_d = problem.max_daughters, problem.n_mothers, problem.n_daughters
    if n_d == 0:
        return problem.disappear_cost * n_m
    matrix = np.full((n_d, m * n_m + n_d), np.inf)  # inf = forbidden
    i, j = problem.edges[:, 0], problem.edges[:, 1]
    for slot in range(m):
        matrix[j, i * m + slot] = problem.costs - (problem.disappear_cost if slot == 0 else 0.0)
    matrix[np.arange(n_d), m * n_m + np.arange(n_d)] = problem.appear_cost
    rows, cols = linear_sum_assignment(matrix)
    return float(matrix[rows, cols].sum() + problem.disappear_cost * n_m)


def _relax_down(p: np.ndarray, src: np.ndarray, dst: np.ndarray, w: np.ndarray) -> bool:
    """One round of p[dst] = min(p[dst], p[src] + w), in place; True if changed."""
    new = p.copy()
    np.minimum.at(new, dst, p[src] + w)
    changed = not np.array_equal(new, p)
    p[:] = new
    return changed


def _relax_up(p: np.ndarray, src: np.ndarray, dst: np.ndarray, w: np.ndarray) -> bool:
    """One round of p[src] = max(p[src], p[dst] - w), in place; True if changed."""
    new = p.copy()
    np.maximum.at(new, src, p[dst] - w)
    changed = not np.array_equal(new, p)
    p[:] = new
    return changed


def _map_and_reduced_costs(problem: Problem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MAP choice and, per option, a lower bound on the extra cost of taking it.

    Solves the slot formulation of :func:`lsa_map_cost` as a sparse bipartite
    matching and recovers optimal LP duals by shortest paths. The returned
    reduced costs are >= 0 and satisfy, for every feasible assignment A,
    ``cost(A) >= cost(MAP) + sum_j r_j(A)``, where ``r_j(A)`` is ``rc[e]`` if
    daughter j takes edge e in A and ``rc_appear[j]`` if it appears (the LP
    reduced-cost bound of the slot assignment problem; for an edge the
    smaller of its slots' reduced costs, as A may fill either slot).

    Returns
    -------
    map_choice : (D,) int64
    rc : (E,) float64
    rc_appear : (D,) float64
    """
    m, n_m, n_d, n_e = problem.max_daughters, problem.n_mothers, problem.n_daughters, problem.n_edges
    wa, wd = problem.appear_cost, problem.disappear_cost
    n_cols = m * n_m + n_d
    # Matrix entries: every (edge, slot) and every daughter's own appear column.
    ent_row = np.concatenate([np.tile(problem.edges[:, 1], m), np.arange(n_d)])
    ent_col = np.concatenate(
        [problem.edges[:, 0] * m + s for s in range(m)] + [m * n_m + np.arange(n_d)]
    )
    ent_cost = np.concatenate(
        [problem.costs - wd] + [problem.costs] * (m - 1) + [np.full(n_d, wa)]
    )
    ent_edge = np.concatenate([np.tile(np.arange(n_e), m), np.full(n_d, -1)])
    # The sparse matcher treats zeros as missing: shift all entries by the same
    # constant, which changes every full matching's cost alike.
    shifted = ent_cost + (wd + 1.0)
    graph = csr_array(coo_array((shifted, (ent_row, ent_col)), shape=(n_d, n_cols)))
    _, col_of_row = min_weight_full_bipartite_matching(graph)

    # Locate each row's matched entry.
    key = ent_row * n_cols + ent_col
    order = np.argsort(key, kind="stable")
    pos = order[np.searchsorted(key[order], np.arange(n_d) * n_cols + col_of_row)]
    map_choice = ent_edge[pos].astype(np.int64)
    base = ent_cost[pos]  # cost of each row's matched entry

    # Dual potentials p >= 0 on columns, p = 0 on free columns, such that
    # c_js - c_{j,sigma(j)} - p_{sigma(j)} + p_s >= 0 for every entry: difference
    # constraints p_t - p_s <= weight(s -> t) on arcs s -> sigma(j). The optimal
    # duals are degenerate; the largest solution (shortest paths from the free
    # columns) makes every daughter's best alternative tight, the smallest one
    # other edges. Their midpoint is optimal too and leaves far fewer edges
    # with reduced cost 0, which is what pruning and bounding feed on.
    matched_col = col_of_row[ent_row]
    other = ent_col != matched_col
    src, dst = ent_col[other], matched_col[other]
    weight = ent_cost[other] - base[ent_row[other]]
    free = np.ones(n_cols, dtype=bool)
    free[col_of_row] = False
    p_max = np.where(free, 0.0, np.inf)
    p_min = np.zeros(n_cols)
    for p, relax in ((p_max, _relax_down), (p_min, _relax_up)):
        for _ in range(n_cols + 1):  # Bellman-Ford, vectorised
            if not relax(p, src, dst, weight):
                break
        else:  # pragma: no cover - would need a negative cycle
            raise RuntimeError("dual recovery did not converge")
    # Unreachable: appear columns of daughters without candidates; anything works.
    p_max[~np.isfinite(p_max)] = 0.0
    p = 0.5 * (p_max + p_min)

    reduced = ent_cost - base[ent_row] - p[col_of_row[ent_row]] + p[ent_col]
    rc = np.full(n_e, np.inf)
    np.minimum.at(rc, ent_edge[: n_e * m], reduced[: n_e * m])
    return map_choice, np.maximum(rc, 0.0), np.maximum(reduced[n_e * m :], 0.0)


@dataclass(frozen=True)
class _Bounds:
    """Reduced costs (see :func:`_map_and_reduced_costs`) and the MAP."""

    map_choice: np.ndarray
    rc: np.ndarray
    rc_appear: np.ndarray
    tol: float


def _tolerance(problem: Problem) -> float:
    # Reduced costs are sums along augmenting paths; keep edges and branches
    # within float noise of a threshold (keeping more never breaks exactness).
    scale = float(problem.costs.sum()) + problem.appear_cost * problem.n_daughters
    scale += problem.disappear_cost * problem.n_mothers
    return 1e-9 * (1.0 + scale)


def _bounds(problem: Problem) -> _Bounds | None:
    """The MAP and its reduced costs; None when there is nothing to choose."""
    if problem.n_edges == 0 or problem.n_daughters == 0:
        return None
    map_choice, rc, rc_appear = _map_and_reduced_costs(problem)
    return _Bounds(map_choice, rc, rc_appear, _tolerance(problem))
