"""The assignment as an integer program, built with PuLP and solved exactly by HiGHS.

:func:`nogood_top_k` finds the K cheapest assignments by re-solving with one
no-good cut per found solution; it is the MAP solver of :func:`solve_map`, the
``method="global"`` reference of :func:`top_k`, and the fallback for components
too large for branch and bound. Inputs are plain arrays (see
:func:`uqtrack.assignment.problem.problem_args`), not a :class:`Problem`.
"""

from __future__ import annotations

import functools
import os
import sys
import time

import numpy as np
import pulp


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


class TimeLimitReached(RuntimeError):
    """HiGHS ran out of the time allowed before it proved an assignment optimal.

    Raised instead of returning an assignment that may not be optimal.

    Attributes
    ----------
    time_limit : float
        The limit (seconds of wall-clock time for the whole call).
    found : int
        Assignments proven optimal (in order) before the limit struck; the
        top-K enumeration solves once per assignment.
    """

    def __init__(self, time_limit: float, found: int) -> None:
        super().__init__(
            f"HiGHS hit the time limit of {time_limit:g} s after {found} proven "
            "assignment(s); no answer is returned"
        )
        self.time_limit = time_limit
        self.found = found


def _highs(time_limit: float | None = None) -> pulp.LpSolver:
    _silence_banner()
    # Gap 0: HiGHS' default relative gap (1e-4) accepts near-optimal solutions,
    # which silently permutes the top-K order on large frames. One thread keeps
    # runs reproducible and leaves cores to the workflow's own parallelism.
    return pulp.HiGHS(msg=False, gapRel=0, gapAbs=0, threads=1, timeLimit=time_limit)


def make_deadline(time_limit: float | None) -> tuple[float, float] | None:
    """``(limit, wall-clock deadline)`` of a call with this time limit, or None."""
    if time_limit is None:
        return None
    if not time_limit > 0:
        raise ValueError(f"time_limit must be > 0 seconds or None, got {time_limit!r}")
    return float(time_limit), time.perf_counter() + float(time_limit)


def _binary(prob: pulp.LpProblem, name: str) -> pulp.LpVariable:
    # PuLP >= 3.3 deprecates free-standing LpVariable(...) in favour of this.
    if hasattr(prob, "add_variable"):
        return prob.add_variable(name, cat=pulp.LpBinary)
    return pulp.LpVariable(name, cat=pulp.LpBinary)  # pragma: no cover - older PuLP


def nogood_top_k(
    n_mothers: int,
    n_daughters: int,
    edges: np.ndarray,
    costs: np.ndarray,
    appear: float,
    disappear: float,
    max_daughters: int,
    k: int,
    deadline: tuple[float, float] | None = None,
    known: list[np.ndarray] | None = None,
) -> list[np.ndarray]:
    """The `k` cheapest assignments by repeated MIP solves with no-good cuts.

    Returns choices (edge index per daughter, or -1) in the order found, which
    is ascending cost. Fewer than `k` if the problem has fewer assignments.
    With a `deadline` (see :func:`make_deadline`) each solve gets the time left and
    :class:`TimeLimitReached` is raised once it is used up.

    `known`: the first assignments this function returns, in order, when the
    caller has them already (they must be exactly those, e.g. costs strictly
    apart; see :func:`uqtrack.assignment.search.solve_component`). They are cut
    off without solving; every later solve sees the same model (HiGHS builds a
    fresh one from the same variables and constraints in the same order) and so
    returns what it would have.
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
    for choice in (known or [])[:k]:
        found.append(np.asarray(choice, dtype=np.int64))
        _cut(prob, x, sorted(int(e) for e in found[-1] if e >= 0))
    while len(found) < k:
        if deadline is not None:
            left = deadline[1] - time.perf_counter()
            if left <= 0:
                raise TimeLimitReached(deadline[0], len(found))
            solver = _highs(left)
        prob.solve(solver)
        if deadline is not None and _hit_time_limit(prob):
            raise TimeLimitReached(deadline[0], len(found))
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
        _cut(prob, x, chosen)
    return found


def _cut(prob: pulp.LpProblem, x: list[pulp.LpVariable], chosen: list[int]) -> None:
    """No-good cut: at least one x differs from the assignment of edges `chosen` (ascending).

    d is fixed by x at the optimum, so this removes exactly one assignment.
    """
    in_s = set(chosen)
    prob += (
        pulp.LpAffineExpression([(x[e], -1 if e in in_s else 1) for e in range(len(x))])
        >= 1 - len(chosen)
    )


def _hit_time_limit(prob: pulp.LpProblem) -> bool:
    """Whether HiGHS stopped at its time limit (PuLP reports that as "optimal")."""
    import highspy

    model = getattr(prob, "solverModel", None)
    return model is not None and model.getModelStatus() == highspy.HighsModelStatus.kTimeLimit
