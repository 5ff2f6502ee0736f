"""Linear-assignment bounds: the MAP by sparse matching, optimal LP duals, reduced costs.

The assignment problem is an ordinary bipartite matching in its *slot
formulation*: rows are daughters; each mother has ``max_daughters`` slot
columns, slot 0 costing ``w_ij - w_d`` (a mother's first daughter saves its
disappearance) and the others ``w_ij``; each daughter also has its own "appear"
column of cost ``w_a``. Since ``w_d >= 0`` an optimal matching fills slot 0
first, so a matching costs ``cost(A) - w_d * M`` for the assignment A it
describes.

:func:`lsa_map_cost` solves it densely with
:func:`scipy.optimize.linear_sum_assignment`, independent of everything else.
:func:`slot_lp`, :func:`slot_matching` and :func:`slot_duals` solve it sparsely and
recover optimal dual potentials; :func:`map_bounds` turns them into reduced costs,
per edge and per "appears" option a lower bound on the extra cost of taking it,
with which the decomposition prunes edges and bounds its branch and bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_array, csr_array
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from uqtrack.assignment.problem import Problem

#: Bellman-Ford rounds run in exact arithmetic before every constraint gets the
#: slack :attr:`SlotLP.delta` (see :func:`slot_duals`). Shortest alternating paths
#: on real frames have at most a few dozen arcs; a run still changing after this
#: many rounds is chasing float noise around a cycle of exact weight zero.
EXACT_ROUNDS = 64


def lsa_map_cost(problem: Problem) -> float:
    """MAP cost via :func:`scipy.optimize.linear_sum_assignment`, independent of HiGHS.

    Dense slot formulation (see the module docstring); the MAP cost is the
    assignment cost plus ``w_d * M``. Memory grows like ``D * (m * M + D)``:
    meant for cross-checking frames of up to a few thousand cells.

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


@dataclass(frozen=True, eq=False)
class SlotLP:
    """The sparse slot formulation of a problem: one entry per (edge, slot) and per appear column.

    Entries are ordered edge-major within each slot block: ``(edge e, slot s)``
    is entry ``s * E + e``, and daughter j's appear column is entry ``m * E + j``.
    """

    n_rows: int
    n_cols: int
    row: np.ndarray  # (N,) daughter
    col: np.ndarray  # (N,) column: mother * m + slot, or m * M + daughter
    cost: np.ndarray  # (N,) slot cost
    edge: np.ndarray  # (N,) edge index, -1 for an appear column
    shift: float  # added to every cost for the sparse matcher, which drops zeros
    delta: float  # per-constraint slack of the duals once exact rounds run out


def slot_lp(problem: Problem) -> SlotLP:
    """The slot formulation of `problem` (see :class:`SlotLP`).

    Mother i's slot s is column ``i * m + s``; an edge's first slot costs ``w - w_d``
    (a mother that takes a daughter no longer pays w_d), its other slots ``w``.
    """
    m, n_m, n_d, n_e = problem.max_daughters, problem.n_mothers, problem.n_daughters, problem.n_edges
    wa, wd = problem.appear_cost, problem.disappear_cost
    row = np.concatenate([np.tile(problem.edges[:, 1], m), np.arange(n_d)])
    col = np.concatenate(
        [problem.edges[:, 0] * m + s for s in range(m)] + [m * n_m + np.arange(n_d)]
    )
    cost = np.concatenate([problem.costs - wd] + [problem.costs] * (m - 1) + [np.full(n_d, wa)])
    edge = np.concatenate([np.tile(np.arange(n_e), m), np.full(n_d, -1)])
    # 2**-44 of the largest magnitude: a few hundred units in the last place,
    # far above the rounding of one relaxation, far below any real cost gap.
    delta = 2.0**-44 * (1.0 + float(np.abs(cost).max(initial=0.0)))
    return SlotLP(n_d, m * n_m + n_d, row, col, cost, edge, wd + 1.0, delta)


def slot_matching(lp: SlotLP) -> np.ndarray:
    """An optimal matching of the slot formulation: the column of each row."""
    # The sparse matcher treats zeros as missing: shift all entries (>= -w_d)
    # by the same constant, which changes every full matching's cost alike.
    shifted = lp.cost + lp.shift
    graph = csr_array(coo_array((shifted, (lp.row, lp.col)), shape=(lp.n_rows, lp.n_cols)))
    _, col_of_row = min_weight_full_bipartite_matching(graph)
    return col_of_row


def _matched_entries(lp: SlotLP, col_of_row: np.ndarray) -> np.ndarray:
    """Index of each row's matched entry."""
    key = lp.row * lp.n_cols + lp.col
    order = np.argsort(key, kind="stable")
    return order[np.searchsorted(key[order], np.arange(lp.n_rows) * lp.n_cols + col_of_row)]


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


def slot_duals(lp: SlotLP, col_of_row: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Optimal dual potentials of the slot formulation, given an optimal matching.

    Potentials ``p >= 0`` on columns, 0 on free columns, such that every entry's
    reduced cost ``c_js - c_{j,sigma(j)} - p_{sigma(j)} + p_s`` is >= 0:
    difference constraints ``p_t - p_s <= weight(s -> t)`` on arcs
    ``s -> sigma(j)``, solved by Bellman-Ford. The optimal duals are degenerate;
    the largest solution (shortest paths from the free columns) makes every
    daughter's best alternative tight, the smallest one other edges. Their
    midpoint is optimal too and leaves far fewer entries with reduced cost 0,
    which is what pruning and bounding feed on.

    Float rounding can make a cycle of exact weight 0 (two daughters of one
    mother swapping slots; tied costs) evaluate a few units in the last place
    below 0, and Bellman-Ford then lowers potentials forever. So after
    :data:`EXACT_ROUNDS` rounds every constraint gets the slack ``lp.delta``
    (``p_t - p_s <= weight + delta``): every cycle is then positive, and the
    rounds end. Reduced costs may then be as low as ``-delta``; callers widen
    their tolerances by the returned `eps` per daughter.

    Returns
    -------
    pos : (D,) int
        Each row's matched entry.
    p : (n_cols,) float
        The midpoint potentials.
    eps : float
        0 if both runs ended in exact arithmetic, else ``lp.delta``.

    Raises
    ------
    RuntimeError
        If the rounds do not end even with the slack: the matching is not optimal.
    """
    pos = _matched_entries(lp, col_of_row)
    base = lp.cost[pos]  # cost of each row's matched entry
    matched_col = col_of_row[lp.row]
    other = lp.col != matched_col
    src, dst = lp.col[other], matched_col[other]
    weight = lp.cost[other] - base[lp.row[other]]
    free = np.ones(lp.n_cols, dtype=bool)
    free[col_of_row] = False
    p_max = np.where(free, 0.0, np.inf)
    p_min = np.zeros(lp.n_cols)
    eps = 0.0
    for p, relax in ((p_max, _relax_down), (p_min, _relax_up)):
        w = weight
        for rounds in range(EXACT_ROUNDS + lp.n_cols + 2):  # Bellman-Ford, vectorised
            if rounds == EXACT_ROUNDS:
                w, eps = weight + lp.delta, lp.delta
            if not relax(p, src, dst, w):
                break
        else:
            raise RuntimeError(
                "dual recovery did not converge: the matching is not optimal "
                "(a negative cycle beyond float noise)"
            )
    # Unreachable: appear columns of daughters without candidates; anything works.
    p_max[~np.isfinite(p_max)] = 0.0
    return pos, 0.5 * (p_max + p_min), eps


def reduced_costs(lp: SlotLP, pos: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Reduced cost of every entry (0 on the matched ones)."""
    col_of_row = lp.col[pos]
    return lp.cost - lp.cost[pos][lp.row] - p[col_of_row[lp.row]] + p[lp.col]


def _map_and_reduced_costs(
    problem: Problem,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """MAP choice and, per option, a lower bound on the extra cost of taking it.

    Solves the slot formulation as a sparse bipartite matching and recovers
    optimal LP duals (:func:`slot_duals`). The returned reduced costs are >= 0 and
    satisfy, for every feasible assignment A,
    ``cost(A) >= cost(MAP) + sum_j r_j(A) - err``, where ``r_j(A)`` is
    ``rc[e]`` if daughter j takes edge e in A and ``rc_appear[j]`` if it
    appears (the LP reduced-cost bound of the slot assignment problem; for an
    edge the smaller of its slots' reduced costs, as A may fill either slot),
    and ``err`` is float noise, plus ``D * eps`` and the potentials left on
    free columns when the duals needed their slack.

    Returns
    -------
    map_choice : (D,) int64
    rc : (E,) float64
    rc_appear : (D,) float64
    err : float
        0 when the duals were recovered in exact arithmetic, else the bound on
        ``err`` above.
    """
    lp = slot_lp(problem)
    col_of_row = slot_matching(lp)
    pos, p, eps = slot_duals(lp, col_of_row)
    map_choice = lp.edge[pos].astype(np.int64)
    reduced = reduced_costs(lp, pos, p)
    n_e, m = problem.n_edges, problem.max_daughters
    rc = np.full(n_e, np.inf)
    np.minimum.at(rc, lp.edge[: n_e * m], reduced[: n_e * m])
    err = 0.0
    if eps:
        free = np.ones(lp.n_cols, dtype=bool)
        free[col_of_row] = False
        err = 2.0 * lp.n_rows * eps + float(p[free].sum())
    return map_choice, np.maximum(rc, 0.0), np.maximum(reduced[n_e * m :], 0.0), err


@dataclass(frozen=True)
class Bounds:
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


def map_bounds(problem: Problem) -> Bounds | None:
    """The MAP and its reduced costs; None when there is nothing to choose."""
    if problem.n_edges == 0 or problem.n_daughters == 0:
        return None
    map_choice, rc, rc_appear, err = _map_and_reduced_costs(problem)
    return Bounds(map_choice, rc, rc_appear, _tolerance(problem) + err)
