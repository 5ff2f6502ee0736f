"""The assignment problem itself: :class:`Problem`, :class:`Solution`, costs, feasibility.

Also :func:`brute_force`, every feasible assignment by exhaustive enumeration,
the reference the solvers are tested against on tiny instances.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


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


def per_daughter_appearance(
    costs: np.ndarray, edge_daughter: np.ndarray, appear: np.ndarray, cap: float
) -> tuple[np.ndarray, float]:
    """Edge costs and one appearance price that price daughter ``j`` appearing ``appear[j]``.

    The cost of an assignment with per-daughter prices ``a_j`` is
    ``sum_j a_j + sum_{links} (w_ij - a_j) + w_d (childless mothers)``: the same, up to
    the constant ``sum_j a_j - D A``, as edge costs ``w_ij - a_j + A`` with one price
    ``A`` for every daughter. So every solver gives the same assignments, in the same
    order, for both. ``a_j`` is clipped to ``[0, cap]`` and ``A = cap``, which keeps the
    new costs ``>= 0`` (a daughter whose price would exceed ``cap`` links either way
    wherever a link costs less than ``cap``).

    Leading axes of ``costs`` and ``appear`` (``(K, E)`` and ``(K, D)``: K draws) are
    kept. Returns the new edge costs and ``A``.
    """
    a = np.clip(np.asarray(appear, dtype=np.float64), 0.0, cap)
    return np.asarray(costs, dtype=np.float64) - a[..., np.asarray(edge_daughter)] + cap, float(cap)


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


def make_solutions(problem: Problem, choices: list[np.ndarray]) -> list[Solution]:
    """Wrap choices as Solutions with recomputed costs, stably sorted by cost.

    The sort only repairs float-rounding disagreements between a solver's
    internal cost and :func:`solution_cost`; it never reorders true ties.
    """
    sols = [Solution(solution_cost(problem, c), np.asarray(c, dtype=np.int64)) for c in choices]
    for s in sols:
        s.choice.setflags(write=False)
    return sorted(sols, key=lambda s: s.cost)



def check_k(k: int) -> None:
    """Raise ValueError unless `k` (the number of assignments asked for) is a positive integer."""
    if int(k) != k or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")


#: ``(n_mothers, n_daughters, edges, costs, appear, disappear, max_daughters)``
Args = tuple[int, int, np.ndarray, np.ndarray, float, float, int]


def problem_args(problem: Problem) -> Args:
    """``(n_mothers, n_daughters, edges, costs, appear, disappear, max_daughters)``.

    The plain-argument form the solvers take, which spares sub-problems the
    validation of building a :class:`Problem`.
    """
    return (
        problem.n_mothers,
        problem.n_daughters,
        problem.edges,
        problem.costs,
        problem.appear_cost,
        problem.disappear_cost,
        problem.max_daughters,
    )


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
    found = _enumerate(*problem_args(problem))
    return make_solutions(problem, [np.array(c, dtype=np.int64) for _, c in found])
