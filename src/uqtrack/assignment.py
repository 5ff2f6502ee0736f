"""Frame-pair assignment: MAP and the K cheapest assignments.

Mothers ``0..M-1`` live in frame t, daughters ``0..D-1`` in frame t'. Candidate
edges ``(mother, daughter)`` carry costs ``w >= 0``; a daughter without a mother
costs ``appear_cost`` (w_a), a mother without any daughter costs
``disappear_cost`` (w_d). A feasible assignment gives every daughter at most one
mother and every mother at most ``max_daughters`` daughters, and costs::

    cost(A) = sum_{e in A} w_e + w_a * #daughters without mother
                               + w_d * #mothers without daughter

An assignment is fully described by each daughter's choice: the index of its
edge in ``Problem.edges``, or ``-1`` when it appears. Every cost this module
reports is recomputed from that choice by :func:`solution_cost`, so costs agree
whichever solver produced them.

Solvers
-------
- :func:`solve_map`: the cheapest assignment, an integer program built with PuLP
  and solved exactly (MIP gap 0) by HiGHS.
- :func:`top_k`: the K cheapest assignments. ``method="global"`` re-solves the
  whole integer program with one no-good cut per found solution (the reference).
  ``method="decomposed"`` (default) prunes edges that provably cannot occur in
  any of the K cheapest assignments (linear-programming reduced costs from a
  sparse assignment solve), splits the remaining candidate graph into connected
  components, solves each component's own top-K (exact branch and bound on
  reduced costs within a search budget, HiGHS with no-good cuts otherwise),
  and merges them exactly. Pruning matters: with each daughter's 10 nearest
  mothers as candidates the unpruned graph is usually one giant component.
- :func:`componentwise_top_k`: the per-component lists themselves, for methods
  whose posterior factorises over components.
- :func:`lsa_map_cost`: an independent MAP cost via
  :func:`scipy.optimize.linear_sum_assignment`, for cross-checking.
- :func:`brute_force`: every feasible assignment, for tests on tiny instances.
"""

from __future__ import annotations

import functools
import heapq
import math
import os
import sys
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pulp
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_array, csr_array
from scipy.sparse.csgraph import connected_components, min_weight_full_bipartite_matching

__all__ = [
    "ComponentTopK",
    "Problem",
    "Solution",
    "brute_force",
    "componentwise_top_k",
    "edge_mask",
    "is_feasible",
    "lsa_map_cost",
    "solution_cost",
    "solve_map",
    "top_k",
]

#: Default search budget (branch-and-bound nodes) within which a component's
#: top-k is found by exact enumeration instead of HiGHS. One PuLP model costs
#: milliseconds to build and solve; a thousand search nodes cost about as much.
ENUMERATE_BELOW = 20_000


@dataclass(frozen=True, eq=False)
class Problem:
    """One frame-pair assignment problem.

    Parameters
    ----------
    n_mothers, n_daughters : int
        Number of cells in the earlier (t) and later (t') frame.
    edges : (E, 2) array of int
        Candidate edges, columns ``(mother, daughter)``; no duplicates.
    costs : (E,) array of float
        Edge costs, finite and ``>= 0``.
    appear_cost : float
        Cost per daughter without a mother (w_a), finite and ``>= 0``.
    disappear_cost : float
        Cost per mother without a daughter (w_d), finite and ``>= 0``.
    max_daughters : int, optional
        Most daughters one mother may take (2 allows divisions).

    Raises
    ------
    ValueError
        If any of the above is violated.

    Notes
    -----
    Arrays are converted to ``int64``/``float64`` and made read-only. Equality
    and hashing are by identity (``eq=False``) since arrays do not compare as
    scalars.
    """

    n_mothers: int
    n_daughters: int
    edges: np.ndarray
    costs: np.ndarray
    appear_cost: float
    disappear_cost: float
    max_daughters: int = 2

    def __post_init__(self) -> None:
        n_m, n_d = int(self.n_mothers), int(self.n_daughters)
        if n_m < 0 or n_d < 0 or n_m != self.n_mothers or n_d != self.n_daughters:
            raise ValueError("n_mothers and n_daughters must be non-negative integers")
        maxd = int(self.max_daughters)
        if maxd < 1 or maxd != self.max_daughters:
            raise ValueError(f"max_daughters must be a positive integer, got {self.max_daughters!r}")
        raw_edges = np.asarray(self.edges)
        if raw_edges.size == 0:
            raw_edges = raw_edges.reshape(0, 2)
        if raw_edges.ndim != 2 or raw_edges.shape[1] != 2:
            raise ValueError(f"edges must have shape (E, 2), got {raw_edges.shape}")
        if raw_edges.dtype.kind not in "iu":
            if raw_edges.dtype.kind != "f" or not np.all(np.isfinite(raw_edges)) or np.any(
                raw_edges != np.round(raw_edges)
            ):
                raise ValueError("edges must hold integer indices")
        edges = np.array(raw_edges, dtype=np.int64)
        costs = np.array(self.costs, dtype=np.float64).reshape(-1)
        if costs.shape[0] != edges.shape[0]:
            raise ValueError(f"costs has {costs.shape[0]} entries for {edges.shape[0]} edges")
        if not np.all(np.isfinite(costs)) or np.any(costs < 0):
            raise ValueError("edge costs must be finite and >= 0")
        if np.any(edges[:, 0] < 0) or np.any(edges[:, 0] >= n_m):
            raise ValueError(f"mother index out of range [0, {n_m})")
        if np.any(edges[:, 1] < 0) or np.any(edges[:, 1] >= n_d):
            raise ValueError(f"daughter index out of range [0, {n_d})")
        if len(edges) and len(np.unique(edges[:, 0] * n_d + edges[:, 1])) != len(edges):
            raise ValueError("duplicate (mother, daughter) edge")
        for name in ("appear_cost", "disappear_cost"):
            value = float(getattr(self, name))
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
            object.__setattr__(self, name, value)
        edges.setflags(write=False)
        costs.setflags(write=False)
        object.__setattr__(self, "n_mothers", n_m)
        object.__setattr__(self, "n_daughters", n_d)
        object.__setattr__(self, "max_daughters", maxd)
        object.__setattr__(self, "edges", edges)
        object.__setattr__(self, "costs", costs)

    @property
    def n_edges(self) -> int:
        """Number of candidate edges."""
        return int(self.edges.shape[0])


@dataclass(frozen=True, eq=False)
class Solution:
    """One feasible assignment.

    Attributes
    ----------
    cost : float
        ``solution_cost(problem, choice)``.
    choice : (D,) array of int64
        Edge index chosen by each daughter, ``-1`` if it appears.
    """

    cost: float
    choice: np.ndarray

    @property
    def chosen_edges(self) -> np.ndarray:
        """Sorted indices of the edges in the assignment."""
        return np.sort(self.choice[self.choice >= 0])

    def edges_mask(self, n_edges: int) -> np.ndarray:
        """Boolean mask of length `n_edges`, True for chosen edges."""
        mask = np.zeros(n_edges, dtype=bool)
        mask[self.choice[self.choice >= 0]] = True
        return mask


def edge_mask(problem: Problem, solution: Solution) -> np.ndarray:
    """Boolean ``(E,)`` mask of the edges `solution` uses in `problem`."""
    return solution.edges_mask(problem.n_edges)


def _as_choice(problem: Problem, choice: np.ndarray) -> np.ndarray:
    choice = np.asarray(choice, dtype=np.int64)
    if choice.shape != (problem.n_daughters,):
        raise ValueError(f"choice must have shape ({problem.n_daughters},), got {choice.shape}")
    if np.any(choice < -1) or np.any(choice >= problem.n_edges):
        raise ValueError("choice holds an edge index out of range")
    return choice


def solution_cost(problem: Problem, choice: np.ndarray) -> float:
    """Cost of the assignment given by `choice` (feasibility is not checked).

    Parameters
    ----------
    problem : Problem
    choice : (D,) array of int
        Edge index per daughter, or -1.

    Returns
    -------
    float
        Edge costs + w_a per appearing daughter + w_d per mother without daughter.
    """
    choice = _as_choice(problem, choice)
    chosen = choice[choice >= 0]
    n_used_mothers = len(np.unique(problem.edges[chosen, 0]))
    return float(
        problem.costs[chosen].sum()
        + problem.appear_cost * (problem.n_daughters - len(chosen))
        + problem.disappear_cost * (problem.n_mothers - n_used_mothers)
    )


def is_feasible(problem: Problem, choice: np.ndarray) -> bool:
    """Whether `choice` is a feasible assignment of `problem`.

    Each daughter's chosen edge must end at that daughter and no mother may
    exceed ``max_daughters``. Malformed input (wrong shape, index out of range)
    is infeasible rather than an error.
    """
    try:
        choice = _as_choice(problem, choice)
    except ValueError:
        return False
    picked = choice >= 0
    if np.any(problem.edges[choice[picked], 1] != np.flatnonzero(picked)):
        return False
    counts = np.bincount(problem.edges[choice[picked], 0], minlength=problem.n_mothers)
    return bool(np.all(counts <= problem.max_daughters))


def _make_solutions(problem: Problem, choices: list[np.ndarray]) -> list[Solution]:
    """Wrap choices as Solutions with recomputed costs, stably sorted by cost.

    The sort only repairs float-rounding disagreements between a solver's
    internal cost and :func:`solution_cost`; it never reorders true ties.
    """
    sols = [Solution(solution_cost(problem, c), np.asarray(c, dtype=np.int64)) for c in choices]
    for s in sols:
        s.choice.setflags(write=False)
    return sorted(sols, key=lambda s: s.cost)


# ---------------------------------------------------------------------------
# Exact enumeration (brute force)
# ---------------------------------------------------------------------------


def _enumerate(
    n_mothers: int,
    n_daughters: int,
    edges: np.ndarray,
    costs: np.ndarray,
    appear: float,
    disappear: float,
    max_daughters: int,
) -> list[tuple[float, tuple[int, ...]]]:
    """All feasible assignments as ``(cost, choice)``, stably sorted by cost.

    Depth-first over daughters: first "appears", then each candidate edge in
    edge order, so the order of equal-cost assignments is deterministic.
    """
    cand: list[list[tuple[int, int, float]]] = [[] for _ in range(n_daughters)]
    for e, ((i, j), w) in enumerate(zip(edges.tolist(), costs.tolist())):
        cand[j].append((e, i, w))
    counts = [0] * n_mothers
    choice = [-1] * n_daughters
    out: list[tuple[float, tuple[int, ...]]] = []

    def rec(j: int, acc: float) -> None:
        if j == n_daughters:
            out.append((acc + disappear * counts.count(0), tuple(choice)))
            return
        choice[j] = -1
        rec(j + 1, acc + appear)
        for e, i, w in cand[j]:
            if counts[i] < max_daughters:
                counts[i] += 1
                choice[j] = e
                rec(j + 1, acc + w)
                counts[i] -= 1
        choice[j] = -1

    rec(0, 0.0)
    out.sort(key=lambda t: t[0])
    return out


def brute_force(problem: Problem) -> list[Solution]:
    """Every feasible assignment, sorted by cost.

    Exponential in the number of daughters; meant for tests and tiny
    instances. Equal-cost assignments keep enumeration order (depth-first over
    daughters, "appears" before the daughter's edges in edge order).

    Parameters
    ----------
    problem : Problem

    Returns
    -------
    list of Solution
        Ascending cost.
    """
    found = _enumerate(
        problem.n_mothers,
        problem.n_daughters,
        problem.edges,
        problem.costs,
        problem.appear_cost,
        problem.disappear_cost,
        problem.max_daughters,
    )
    return _make_solutions(problem, [np.array(c, dtype=np.int64) for _, c in found])


# ---------------------------------------------------------------------------
# Integer program (PuLP + HiGHS)
# ---------------------------------------------------------------------------


@functools.cache
def _silence_banner() -> None:
    """Swallow the copyright banner highspy prints on its first model of a process.

    It goes to file descriptor 1 even with ``output_flag`` off, and would land in
    every workflow job's output.
    """
    import highspy

    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # stdout is not a file (captured)
        highspy.Highs()
        return
    sys.stdout.flush()
    saved, null = os.dup(fd), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
        highspy.Highs()
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(null)


def _highs() -> pulp.LpSolver:
    _silence_banner()
    # Gap 0: HiGHS' default relative gap (1e-4) accepts near-optimal solutions,
    # which silently permutes the top-K order on large frames. One thread keeps
    # runs reproducible and leaves cores to the workflow's own parallelism.
    return pulp.HiGHS(msg=False, gapRel=0, gapAbs=0, threads=1)


def _binary(prob: pulp.LpProblem, name: str) -> pulp.LpVariable:
    # PuLP >= 3.3 deprecates free-standing LpVariable(...) in favour of this.
    if hasattr(prob, "add_variable"):
        return prob.add_variable(name, cat=pulp.LpBinary)
    return pulp.LpVariable(name, cat=pulp.LpBinary)  # pragma: no cover - older PuLP


def _nogood_top_k(
    n_mothers: int,
    n_daughters: int,
    edges: np.ndarray,
    costs: np.ndarray,
    appear: float,
    disappear: float,
    max_daughters: int,
    k: int,
) -> list[np.ndarray]:
    """The `k` cheapest assignments by repeated MIP solves with no-good cuts.

    Returns choices (edge index per daughter, or -1) in the order found, which
    is ascending cost. Fewer than `k` if the problem has fewer assignments.
    """
    n_edges = len(edges)
    if n_edges == 0:  # one assignment only, and HiGHS rejects empty models
        return [np.full(n_daughters, -1, dtype=np.int64)]
    # PuLP orders columns by variable name: zero-pad so column order is edge
    # order (d_* sorts before x_*), which keeps HiGHS' tie-breaking reproducible.
    prob = pulp.LpProblem("assignment", pulp.LpMinimize)
    width = len(str(max(n_edges, n_mothers)))
    x = [_binary(prob, f"x_{e:0{width}d}") for e in range(n_edges)]
    mothers, daughters = edges[:, 0].tolist(), edges[:, 1].tolist()
    by_mother: dict[int, list[int]] = {}
    by_daughter: dict[int, list[int]] = {}
    for e, (i, j) in enumerate(zip(mothers, daughters)):
        by_mother.setdefault(i, []).append(e)
        by_daughter.setdefault(j, []).append(e)
    d = {i: _binary(prob, f"d_{i:0{width}d}") for i in sorted(by_mother)}
    # Constant terms (w_a * D, w_d for mothers without candidates) are dropped:
    # choosing edge e replaces the daughter's appearance cost by w_e.
    prob += pulp.LpAffineExpression(
        [(x[e], c - appear) for e, c in enumerate(costs.tolist())]
        + [(v, disappear) for v in d.values()]
    )
    for j in sorted(by_daughter):
        prob += pulp.LpAffineExpression([(x[e], 1) for e in by_daughter[j]]) <= 1
    for i, inc in sorted(by_mother.items()):
        prob += pulp.LpAffineExpression([(x[e], 1) for e in inc] + [(d[i], 1)]) >= 1
        if len(inc) > max_daughters:
            prob += pulp.LpAffineExpression([(x[e], 1) for e in inc]) <= max_daughters

    found: list[np.ndarray] = []
    solver = _highs()
    while len(found) < k:
        prob.solve(solver)
        if prob.status == pulp.LpStatusInfeasible:
            break  # every assignment has been cut off
        if prob.status != pulp.LpStatusOptimal or prob.sol_status != pulp.LpSolutionOptimal:
            raise RuntimeError(
                f"HiGHS failed: status {pulp.LpStatus[prob.status]}, "
                f"solution status {pulp.LpSolution[prob.sol_status]}"
            )
        chosen = [e for e in range(n_edges) if (x[e].varValue or 0.0) > 0.5]
        choice = np.full(n_daughters, -1, dtype=np.int64)
        choice[edges[chosen, 1]] = chosen
        found.append(choice)
        # No-good cut: at least one x differs from this solution. d is fixed by
        # x at the optimum, so this removes exactly one assignment.
        in_s = set(chosen)
        prob += (
            pulp.LpAffineExpression([(x[e], -1 if e in in_s else 1) for e in range(n_edges)])
            >= 1 - len(chosen)
        )
    return found


# ---------------------------------------------------------------------------
# Linear assignment: independent MAP and LP reduced costs
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Decomposition
# ---------------------------------------------------------------------------


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


@dataclass(frozen=True)
class _Bounds:
    """Reduced costs (see :func:`_map_and_reduced_costs`) and the MAP."""

    map_choice: np.ndarray
    rc: np.ndarray
    rc_appear: np.ndarray
    tol: float


class _BudgetExceeded(Exception):
    pass


#: Deepest component (in daughters) searched by recursion; deeper go to HiGHS.
_MAX_DEPTH = 400


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
    state: dict[str, int],
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
    args: tuple,
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


def _solve_component(
    args: tuple,
    k: int,
    bounds: _Bounds | None,
    map_local: np.ndarray | None,
    rc_local: np.ndarray | None,
    rc_appear_local: np.ndarray | None,
    limit: float,
    budget: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Local choices (r, n) and costs (r,) of a sub-problem's top-k."""
    n_m, n_d, edges, costs, wa, wd, maxd = args
    if budget > 0 and n_d <= _MAX_DEPTH:
        if rc_local is None:  # no bounds: plain enumeration within the budget
            rc_local, rc_appear_local = np.zeros(len(edges)), np.zeros(n_d)
            map_cost, limit, tol = 0.0, math.inf, 0.0
        else:
            map_cost, tol = _local_cost(args, map_local), bounds.tol
        options: list[list[tuple[float, int, int, float]]] = [
            [(float(rc_appear_local[j]), -1, -1, wa)] for j in range(n_d)
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
    local = np.array(_nogood_top_k(*args, k), dtype=np.int64).reshape(-1, n_d)
    return local, np.array([_local_cost(args, row) for row in local])


def _components(
    problem: Problem,
    keep: np.ndarray,
    k: int,
    budget: int,
    bounds: _Bounds | None = None,
    limit: float = math.inf,
) -> list[ComponentTopK]:
    """Top-k of each connected component of the kept-edge graph.

    Returns the components that have at least one kept edge. With `bounds`,
    each list is exact among the component's assignments costing at most its
    MAP + `limit` (all of them for ``limit=inf``).
    """
    n_m, n_d = problem.n_mothers, problem.n_daughters
    kept = np.flatnonzero(keep)
    if len(kept) == 0:
        return []
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

    out: list[ComponentTopK] = []
    for lab in range(n_labels):
        comp_edges = kept[edge_order[edge_bounds[lab] : edge_bounds[lab + 1]]]
        if len(comp_edges) == 0:
            continue  # a lone cell: fixed cost, nothing to choose
        nodes = node_order[node_bounds[lab] : node_bounds[lab + 1]]
        mothers = nodes[nodes < n_m]
        daughters = nodes[nodes >= n_m] - n_m
        # Local indices for the sub-problem.
        loc_m = np.searchsorted(mothers, problem.edges[comp_edges, 0])
        loc_d = np.searchsorted(daughters, problem.edges[comp_edges, 1])
        args = (
            len(mothers),
            len(daughters),
            np.stack([loc_m, loc_d], axis=1),
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
            args, k, bounds, map_local, rc_local, rc_appear_local, limit, budget
        )
        glob = np.where(local >= 0, comp_edges[np.maximum(local, 0)], -1)
        out.append(ComponentTopK(mothers, daughters, comp_edges, costs, glob))
    return out


def _local_cost(args: tuple, choice: np.ndarray) -> float:
    n_m, n_d, edges, costs, wa, wd, _ = args
    picked = choice[choice >= 0]
    used = len(np.unique(edges[picked, 0]))
    return float(costs[picked].sum() + wa * (n_d - len(picked)) + wd * (n_m - used))


def _tolerance(problem: Problem) -> float:
    # Reduced costs are sums along augmenting paths; keep edges and branches
    # within float noise of a threshold (keeping more never breaks exactness).
    scale = float(problem.costs.sum()) + problem.appear_cost * problem.n_daughters
    scale += problem.disappear_cost * problem.n_mothers
    return 1e-9 * (1.0 + scale)


def _bounds(problem: Problem) -> _Bounds | None:
    if problem.n_edges == 0 or problem.n_daughters == 0:
        return None
    map_choice, rc, rc_appear = _map_and_reduced_costs(problem)
    return _Bounds(map_choice, rc, rc_appear, _tolerance(problem))


def componentwise_top_k(
    problem: Problem,
    k: int,
    *,
    slack: float | None = None,
    enumerate_below: int = ENUMERATE_BELOW,
) -> list[ComponentTopK]:
    """Each connected component's own `k` cheapest assignments.

    The cost of an assignment is the sum of its components' costs plus a
    constant for cells without candidate edges, so the posterior
    ``P(A) ~ exp(-cost(A))`` factorises over components; these lists are what
    a per-component sampler needs.

    Parameters
    ----------
    problem : Problem
    k : int
        Assignments per component (fewer if a component has fewer).
    slack : float, optional
        If given, first drop every edge whose LP reduced cost exceeds `slack`:
        such an edge occurs in no assignment costing less than MAP + `slack`.
        Components then are those of the remaining graph, typically much
        smaller (with nearest-neighbour candidates the full graph is often one
        component), and each list is exact among the component's assignments
        within `slack` of its MAP. ``None`` keeps all edges: exact lists.
    enumerate_below : int, optional
        Search budget: a component is solved by exact branch and bound if that
        visits at most this many search nodes, otherwise by HiGHS with no-good
        cuts. 0 always uses HiGHS. Results are identical either way.

    Returns
    -------
    list of ComponentTopK
        Components with at least one (kept) edge, ordered by their smallest
        node (mothers first, then daughters). Cells without kept edges are
        fixed: their daughters appear and their mothers disappear.
    """
    _check_k(k)
    bounds = _bounds(problem)
    keep = np.ones(problem.n_edges, dtype=bool)
    limit = math.inf
    if slack is not None and bounds is not None:
        limit = float(slack)
        keep = bounds.rc <= limit + bounds.tol
    return _components(problem, keep, k, enumerate_below, bounds, limit)


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
    problem: Problem, k: int, enumerate_below: int, prune: bool
) -> list[np.ndarray]:
    """Decomposed top-k, optionally on the graph of edges with small reduced cost.

    An assignment costing at most MAP + s only uses edges with reduced cost
    <= s. So if the k-th best assignment of the pruned problem costs at most
    MAP + s, it and all cheaper ones are the true top-k. Otherwise its cost
    gives a valid s for a further, then exact, pass.
    """
    bounds = _bounds(problem)
    everything = np.ones(problem.n_edges, dtype=bool)
    if bounds is None or not prune:
        return _combine(problem, _components(problem, everything, k, enumerate_below, bounds), k)
    map_cost = solution_cost(problem, bounds.map_choice)
    # Start from twice the k-th smallest positive reduced cost: the cheapest
    # alternatives to the MAP are mostly single local moves.
    positive = np.sort(bounds.rc[bounds.rc > bounds.tol])
    slack = 2.0 * float(positive[min(k, len(positive)) - 1]) if len(positive) else 0.0
    for attempt in range(8):
        if attempt == 7:
            slack = math.inf
        keep = bounds.rc <= slack + bounds.tol
        comps = _components(problem, keep, k, enumerate_below, bounds, slack)
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


def _check_k(k: int) -> None:
    if int(k) != k or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")


def top_k(
    problem: Problem,
    k: int,
    method: Literal["decomposed", "global"] = "decomposed",
    *,
    enumerate_below: int = ENUMERATE_BELOW,
    prune: bool = True,
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
        ``"decomposed"``: per-component top-k merged exactly (see module doc).
    enumerate_below : int, optional
        Decomposed only: search budget. A component's top-k is found by exact
        branch and bound (bounded by LP reduced costs) when that visits at most
        this many search nodes, otherwise by HiGHS with no-good cuts; 0 always
        uses HiGHS. Results are identical either way.
    prune : bool, optional
        Decomposed only: drop edges whose LP reduced cost shows they cannot
        occur in the top-k before splitting into components (exact; with
        nearest-neighbour candidates the unpruned graph is usually one
        component). False uses the candidate graph's components as they are.

    Returns
    -------
    list of Solution
        Ascending cost. Equal-cost assignments come in a deterministic order
        (same input, same output) that may differ between methods; when the
        k-th cost is tied, which of the tied assignments are returned may
        differ between methods too.
    """
    _check_k(k)
    if method == "global":
        choices = _nogood_top_k(
            problem.n_mothers,
            problem.n_daughters,
            problem.edges,
            problem.costs,
            problem.appear_cost,
            problem.disappear_cost,
            problem.max_daughters,
            k,
        )
    elif method == "decomposed":
        choices = _decomposed_top_k(problem, k, enumerate_below, prune)
    else:
        raise ValueError(f"method must be 'decomposed' or 'global', got {method!r}")
    return _make_solutions(problem, choices)


def solve_map(
    problem: Problem, method: Literal["milp", "decomposed"] = "milp"
) -> Solution:
    """The cheapest feasible assignment (MAP).

    Parameters
    ----------
    problem : Problem
    method : {"milp", "decomposed"}
        ``"milp"`` (default): one integer program over the whole frame, solved
        by HiGHS with gap 0. ``"decomposed"``: ``top_k(problem, 1)``.

    Returns
    -------
    Solution
    """
    if method == "milp":
        return top_k(problem, 1, method="global")[0]
    if method == "decomposed":
        return top_k(problem, 1, method="decomposed")[0]
    raise ValueError(f"method must be 'milp' or 'decomposed', got {method!r}")


def split(problem: Problem) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, Problem]]:
    """The connected components of the candidate graph as independent problems.

    Returns ``(mothers, daughters, edges, sub_problem)`` per component that has at
    least one edge: global indices of its cells and edges (ascending) and the
    problem over them. Cells without edges are left out: their daughters appear
    and their mothers disappear in every assignment.
    """
    n_m, n_d = problem.n_mothers, problem.n_daughters
    if problem.n_edges == 0:
        return []
    e_m, e_d = problem.edges[:, 0], problem.edges[:, 1]
    adj = coo_array((np.ones(problem.n_edges), (e_m, n_m + e_d)), shape=(n_m + n_d,) * 2)
    _, labels = connected_components(adj, directed=False)
    out = []
    edge_label = labels[e_m]
    for lab in np.unique(edge_label):  # ascending: a deterministic order
        edges = np.flatnonzero(edge_label == lab)
        nodes = np.flatnonzero(labels == lab)
        mothers, daughters = nodes[nodes < n_m], nodes[nodes >= n_m] - n_m
        sub = Problem(
            n_mothers=len(mothers),
            n_daughters=len(daughters),
            edges=np.stack(
                [np.searchsorted(mothers, e_m[edges]), np.searchsorted(daughters, e_d[edges])],
                axis=1,
            ),
            costs=problem.costs[edges],
            appear_cost=problem.appear_cost,
            disappear_cost=problem.disappear_cost,
            max_daughters=problem.max_daughters,
        )
        out.append((mothers, daughters, edges, sub))
    return out


def per_component_top_k(problem: Problem, k: int, slack: float | None = None) -> list[ComponentTopK]:
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

    Returns
    -------
    list of ComponentTopK
        Per component with at least one kept edge, each list found by
        :func:`top_k` on the component's own problem.
    """
    keep = np.arange(problem.n_edges)
    if slack is not None:
        bounds = _bounds(problem)
        if bounds is not None:
            keep = np.flatnonzero(bounds.rc <= slack + bounds.tol)
    pruned = Problem(
        n_mothers=problem.n_mothers,
        n_daughters=problem.n_daughters,
        edges=problem.edges[keep],
        costs=problem.costs[keep],
        appear_cost=problem.appear_cost,
        disappear_cost=problem.disappear_cost,
        max_daughters=problem.max_daughters,
    )
    out = []
    for mothers, daughters, edges, sub in split(pruned):
        sols = top_k(sub, k)
        local = np.array([s.choice for s in sols], dtype=np.int64).reshape(len(sols), len(daughters))
        glob = np.where(local >= 0, keep[edges[np.maximum(local, 0)]], -1)
        costs = np.array([s.cost for s in sols], dtype=np.float64)
        out.append(ComponentTopK(mothers, daughters, keep[edges], costs, glob))
    return out
