"""Min-marginals: the cheapest assignment that takes a given option, for every option at once.

For every candidate edge ``e = (i, j)``, ``C*(e)`` is the least cost of a
feasible assignment that links ``i -> j``; for every daughter ``j``,
``C*(j none)`` is the least cost of one in which ``j`` appears. Both are exact
and are returned relative to the MAP cost ``C*`` (so they are ``>= 0``, and 0
for the options the MAP takes).

How. In the slot formulation (:mod:`~uqtrack.assignment.bounds`) a matching
costs ``cost(A) - w_d * M`` for the assignment A it describes when every mother
fills its slot 0 first, and more otherwise; so the least matching that uses any
slot of edge e is the least assignment that links e, and the least matching
that gives row j its own appear column is the least assignment in which j
appears. Forcing one entry ``(r, c)`` on an optimal matching ``sigma`` with
optimal duals ``p`` (:func:`~uqtrack.assignment.bounds.slot_duals`) changes the
matching along one alternating cycle or path: r moves from ``c0 = sigma(r)``
to c, c's owner moves on, and so on, until a row takes c0 (a cycle) or a free
column; in the latter case c0 is either left empty or refilled by a chain of
moves that empties some other column x (a mother's second daughter moving to
the slot 0 its sibling left, say). In reduced costs ``rc`` (all ``>= 0``) the
extra cost is::

    C*(r, c) - C* = rc(r, c) + min( dist(c -> c0),
                                    dist(c -> free) + min_x (dist(x -> c0) + p[x]) )

where ``dist`` is the shortest path over the column graph with an arc
``c' -> c''`` of weight ``rc(owner(c'), c'')`` for every entry of the row that
holds ``c'`` (x = c0 included, at distance 0), and free columns have ``p = 0``.
The symmetric difference of the optimum and the constrained optimum consists of
one such cycle or path and of parts that cannot lower the cost (``sigma`` is
optimal); where the two halves of a path would share a column, the cycle
through it is no dearer (non-negative weights); hence exactness. So it takes
one Dijkstra from the free columns (on the reversed graph), one from a source
joined to every column x at weight ``p[x]``, and, for the few entries where a
cycle could beat the path, one per row from its matched column (reversed
graph), cut off where no cycle could win any more.

:func:`min_marginals_by_resolving` is the slow reference: one dense
:func:`scipy.optimize.linear_sum_assignment` per option with that option forced.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from uqtrack.assignment.bounds import SlotLP, reduced_costs, slot_duals, slot_lp, slot_matching
from uqtrack.assignment.canonical import canonical_choice, canonical_choice_given
from uqtrack.assignment.problem import Problem, solution_cost

#: Most float64 entries one block of Dijkstra distances may hold (rows x columns);
#: bounds memory on large frames (about 32 MB).
BLOCK_ENTRIES = 1 << 22

#: Rows per Dijkstra call; each call searches as far as its dearest row needs.
LIMIT_BLOCK = 64


@dataclass(frozen=True, eq=False)
class MinMarginals:
    """Exact min-marginals of one problem, relative to its MAP.

    Attributes
    ----------
    map_choice : (D,) int64
        The canonical MAP (as :func:`~uqtrack.assignment.solve_map` returns it).
    cost : float
        ``C*``, the MAP cost.
    edge : (E,) float64
        ``C*(e) - C*`` per edge: the least extra cost of an assignment linking e.
    none : (D,) float64
        ``C*(j none) - C*`` per daughter: the least extra cost with j appearing.
    """

    map_choice: np.ndarray
    cost: float
    edge: np.ndarray
    none: np.ndarray


def _graph(tail: np.ndarray, head: np.ndarray, weight: np.ndarray, n: int) -> csr_array:
    """Directed graph on `n` nodes as CSR; explicitly stored zero weights count as arcs.

    Arcs are grouped by tail with scipy's linear-time CSR -> CSC conversion (a
    counting sort; a comparison sort of the tails took most of the time).
    """
    k = len(tail)
    by_tail = csr_array((np.arange(k), tail, np.arange(k + 1)), shape=(k, n)).tocsc()
    order = by_tail.data
    return csr_array((weight[order], head[order], by_tail.indptr), shape=(n, n))


def _entry_min_marginals(lp: SlotLP, pos: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Least extra cost of a matching that uses each entry (see the module docstring)."""
    n_cols = lp.n_cols
    # Reduced costs can sit a few units in the last place below 0 (the duals' slack).
    rc = np.maximum(reduced_costs(lp, pos, p), 0.0)
    home = lp.col[pos]  # each row's matched column
    arc = np.ones(len(lp.row), dtype=bool)
    arc[pos] = False
    tail, head, w = home[lp.row[arc]], lp.col[arc], rc[arc]
    free = np.ones(n_cols, dtype=bool)
    free[home] = False
    free_cols = np.flatnonzero(free)
    # One graph, one Dijkstra call for both full searches (each call has a fixed
    # cost comparable to a search): nodes [0, n) the column graph, [n, 2n) its
    # reverse (Dijkstra from a column there gives the distances *to* it), 2n a
    # source joined to every held column x at weight p[x], 2n + 1 a source
    # joined to the free columns of the reverse at weight 0.
    n = n_cols
    graph = _graph(
        np.concatenate([tail, n + head, np.full(len(home), 2 * n), np.full(len(free_cols), 2 * n + 1)]),
        np.concatenate([head, n + tail, home, n + free_cols]),
        np.concatenate([w, w, np.maximum(p[home], 0.0), np.zeros(len(free_cols))]),
        2 * n + 2,
    )
    both = dijkstra(graph, indices=[2 * n, 2 * n + 1])
    # A path from c to a free column, and c0 is refilled by a chain x -> ... -> c0
    # that empties some held column x (x = c0: c0 itself stays empty), at p[x].
    refill, to_free = both[0, :n], both[1, n : 2 * n]
    best = to_free[lp.col] + refill[home[lp.row]]
    # Cycles back to the row's own column: one Dijkstra per row, in blocks. Only
    # entries into a column some other row holds can close one (a free column
    # has no arc out), and only where the cycle could beat the path: it costs at
    # least the cheapest arc out of c and the cheapest arc into c0. On real
    # frames that leaves a few percent of the rows. Each row's search stops at
    # the dearest path option among its remaining entries (`limit`); rows are
    # searched in blocks of similar limit.
    min_out = np.full(n_cols, np.inf)
    np.minimum.at(min_out, tail, w)
    min_in = np.full(n_cols, np.inf)
    np.minimum.at(min_in, head, w)
    cand = arc & ~free[lp.col]
    cand &= np.maximum(min_out[lp.col], min_in[home[lp.row]]) < best
    cand = np.flatnonzero(cand)
    if len(cand):
        bound = np.zeros(lp.n_rows)
        np.maximum.at(bound, lp.row[cand], best[cand])
        rows = np.unique(lp.row[cand])
        rows = rows[np.argsort(bound[rows], kind="stable")]
        rank = np.empty(lp.n_rows, dtype=np.int64)
        rank[rows] = np.arange(len(rows))
        cand = cand[np.argsort(rank[lp.row[cand]], kind="stable")]  # by row rank
        cand_rank = rank[lp.row[cand]]
        # The reverse alone: each source's search costs time in the number of nodes.
        rev = _graph(head, tail, w, n)
        block = max(1, min(LIMIT_BLOCK, BLOCK_ENTRIES // n))
        for b in range(0, len(rows), block):
            chunk = rows[b : b + block]
            dist = dijkstra(rev, indices=home[chunk], limit=float(bound[chunk].max()))
            lo, hi = np.searchsorted(cand_rank, [b, b + len(chunk)])
            ents = cand[lo:hi]
            best[ents] = np.minimum(best[ents], dist[cand_rank[lo:hi] - b, lp.col[ents]])
    out = rc + best
    out[pos] = 0.0
    return out


def min_marginals(problem: Problem) -> MinMarginals:
    """Exact min-marginals of every edge and every daughter's "appears".

    One sparse matching, its duals (as :func:`~uqtrack.assignment.solve_map`
    computes them, shared with the canonical MAP), then shortest alternating
    paths (module docstring).

    Parameters
    ----------
    problem : Problem

    Returns
    -------
    MinMarginals
        Differences are exact up to float rounding of sums of costs.
    """
    n_d, n_e, m = problem.n_daughters, problem.n_edges, problem.max_daughters
    if n_e == 0 or n_d == 0:
        choice = np.full(n_d, -1, dtype=np.int64)
        return MinMarginals(choice, solution_cost(problem, choice), np.zeros(n_e), np.zeros(n_d))
    lp = slot_lp(problem)
    pos, p, _ = slot_duals(lp, slot_matching(lp))
    choice = canonical_choice_given(problem, lp, pos, p)
    delta = _entry_min_marginals(lp, pos, p)
    edge = delta[: m * n_e].reshape(m, n_e).min(axis=0)  # entry s * E + e: either slot
    none = delta[m * n_e :].copy()
    # The canonical MAP may be another optimum than the matching's (ties); its
    # options cost nothing extra, to within rounding: exactly 0.
    linked = choice >= 0
    edge[choice[linked]] = 0.0
    none[~linked] = 0.0
    return MinMarginals(choice, solution_cost(problem, choice), edge, none)


def min_marginals_by_resolving(problem: Problem) -> MinMarginals:
    """The reference: one dense assignment solve per option, that option forced.

    Slow (``E + D`` dense solves); for tests and benchmarks. Same slot
    formulation as :func:`~uqtrack.assignment.lsa_map_cost`; forcing an edge
    leaves its daughter's row only that mother's slots, forcing "appears" only
    the daughter's appear column.

    Returns
    -------
    MinMarginals
        ``map_choice`` is :func:`~uqtrack.assignment.canonical.canonical_choice`'s.
    """
    m, n_m, n_d, n_e = problem.max_daughters, problem.n_mothers, problem.n_daughters, problem.n_edges
    choice = canonical_choice(problem)
    cost = solution_cost(problem, choice)
    if n_d == 0:
        return MinMarginals(choice, cost, np.zeros(n_e), np.zeros(0))
    wd = problem.disappear_cost
    matrix = np.full((n_d, m * n_m + n_d), np.inf)
    i, j = problem.edges[:, 0], problem.edges[:, 1]
    for slot in range(m):
        matrix[j, i * m + slot] = problem.costs - (wd if slot == 0 else 0.0)
    matrix[np.arange(n_d), m * n_m + np.arange(n_d)] = problem.appear_cost

    def forced(row: int, cols: np.ndarray) -> float:
        mat = matrix.copy()
        keep = mat[row, cols].copy()
        mat[row] = np.inf
        mat[row, cols] = keep
        r, c = linear_sum_assignment(mat)
        return float(mat[r, c].sum() + wd * n_m) - cost

    edge = np.array([forced(jj, ii * m + np.arange(m)) for ii, jj in problem.edges.tolist()])
    none = np.array([forced(jj, np.array([m * n_m + jj])) for jj in range(n_d)])
    return MinMarginals(choice, cost, edge.reshape(n_e), none)
