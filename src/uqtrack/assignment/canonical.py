"""The canonical MAP: the lexicographically smallest optimal assignment.

Several assignments can share the minimum cost: integer costs, cells on a pixel
grid, symmetric configurations. Which of them a solver returns is an accident
of its search order, so every MAP that :func:`~uqtrack.assignment.solve_map`
reports is passed through :func:`canonical_choice`, which replaces it by the optimal
assignment whose choice vector (edge index per daughter, ``-1`` = appears) is
lexicographically smallest: daughter 0 appears if some optimum lets it, else
takes its lowest-numbered edge that some optimum uses, and so on.

How. The optimal assignments are exactly the matchings of the slot
formulation (:mod:`~uqtrack.assignment.bounds`) that use only entries with
reduced cost 0 and leave no column with a positive dual potential empty
(complementary slackness, for any one optimal dual solution). The duals are
computed from the problem alone (sparse matching + Bellman-Ford), never from
the answer being canonicalised, so all solvers see the same set of optimal
assignments. Starting from the given optimum, daughters are fixed in index
order; for each, its tight options smaller than its current one are tried in
order, each by one search for an alternating cycle or path among the tight
entries of daughters not yet fixed. Zero is tested with a tolerance
(:func:`_tie_tolerance`) far above float noise and far below any real cost
difference, so assignments that tie up to rounding count as ties.
"""

from __future__ import annotations

import heapq
from collections import deque

import numpy as np

from uqtrack.assignment.bounds import SlotLP, reduced_costs, slot_duals, slot_lp, slot_matching
from uqtrack.assignment.problem import Problem


def _tie_tolerance(lp: SlotLP, p: np.ndarray) -> float:
    """Reduced costs and potentials at most this far from 0 count as 0.

    2**-32 (about 2e-10) of the largest cost or potential: thousands of times the
    rounding of the Bellman-Ford sums, 4096 times their slack ``lp.delta`` (when
    it is used), and far below the cost differences of distinct assignments of
    real frames.
    """
    big = max(float(np.abs(lp.cost).max(initial=0.0)), float(np.abs(p).max(initial=0.0)))
    return 2.0**-32 * (1.0 + big)


def _entries_of_choice(problem: Problem, choice: np.ndarray) -> np.ndarray:
    """Slot-formulation entry of each daughter for a feasible `choice`.

    A mother's daughters fill its slots in daughter order; any order costs the same.
    """
    m, n_e = problem.max_daughters, problem.n_edges
    n_d = problem.n_daughters
    ent = m * n_e + np.arange(n_d)  # appear columns
    linked = np.flatnonzero(choice >= 0)
    edges = choice[linked]
    mothers = problem.edges[edges, 0]
    order = np.lexsort((linked, mothers))  # by mother, then daughter
    ms = mothers[order]
    first = np.searchsorted(ms, ms)  # first position of each mother's run
    slot = np.empty(len(linked), dtype=np.int64)
    slot[order] = np.arange(len(linked)) - first
    if np.any(slot >= m):
        raise ValueError("choice gives a mother more than max_daughters daughters")
    ent[linked] = slot * n_e + edges
    return ent


class _Walk:
    """Lexicographic descent over the optimal matchings (see the module docstring)."""

    def __init__(
        self, lp: SlotLP, tight: np.ndarray, must: list[bool], ent_of_row: np.ndarray
    ) -> None:
        self.lp, self.must = lp, must
        idx = np.flatnonzero(tight)
        rows, cols, opts = lp.row[idx], lp.col[idx], lp.edge[idx]
        by_row = idx[np.lexsort((cols, opts, rows))]  # per row: option, then column
        self.row_ents = by_row.tolist()
        self.row_start = np.searchsorted(lp.row[by_row], np.arange(lp.n_rows + 1)).tolist()
        by_col = idx[np.lexsort((rows, cols))]
        self.col_ents = by_col.tolist()
        self.col_start = np.searchsorted(lp.col[by_col], np.arange(lp.n_cols + 1)).tolist()
        self.row, self.col, self.edge = lp.row.tolist(), lp.col.tolist(), lp.edge.tolist()
        self.ent_of_row = ent_of_row.tolist()
        self.row_of_col = [-1] * lp.n_cols
        for r, e in enumerate(self.ent_of_row):
            self.row_of_col[self.col[e]] = r

    def run(self, rows: np.ndarray) -> np.ndarray:
        """The lexicographically smallest optimal choice vector.

        `rows`: those with a tight option smaller than their current one; others
        are looked at only once a change moves them.
        """
        heap = rows.tolist()
        queued = set(heap)
        heapq.heapify(heap)
        while heap:
            j = heapq.heappop(heap)
            current = self.edge[self.ent_of_row[j]]
            for t in self.row_ents[self.row_start[j] : self.row_start[j + 1]]:
                if self.edge[t] >= current:
                    break
                moved = self._move(j, t)
                if moved is not None:
                    for r in moved:
                        if r > j and r not in queued:
                            queued.add(r)
                            heapq.heappush(heap, r)
                    break
        return np.array([self.edge[e] for e in self.ent_of_row], dtype=np.int64)

    def _move(self, j: int, t1: int) -> list[int] | None:
        """Give row j entry t1, moving only rows > j along tight entries; None if impossible.

        Either an alternating cycle (j takes column c1, its owner another
        column, ..., someone takes j's old column c0), or a path ending at a
        free column, after which c0 is left empty if its potential is 0, or
        refilled by a chain that empties some other column of potential 0.
        """
        col, row, ent_of_row, row_of_col = self.col, self.row, self.ent_of_row, self.row_of_col
        c0, c1 = col[ent_of_row[j]], col[t1]
        came = {c1: t1}  # column -> entry by which a row moves into it
        queue, free_end = deque([c1]), -1
        while queue:
            c = queue.popleft()
            r = row_of_col[c]
            if r < 0:
                if free_end < 0:
                    free_end = c
                    if not self.must[c0]:
                        break
                continue
            if r < j:
                continue  # fixed
            for t in self.row_ents[self.row_start[r] : self.row_start[r + 1]]:
                c2 = col[t]
                if c2 == c or c2 in came:
                    continue
                came[c2] = t
                if c2 == c0:
                    return self._shift(came, c0, j)
                queue.append(c2)
        if free_end < 0:
            return None
        if not self.must[c0]:
            moved = self._shift(came, free_end, j)
            row_of_col[c0] = -1
            return moved
        # c0 must stay filled: find a row (not j, not fixed) that can take it and
        # whose own column may be emptied, possibly through a chain. The search
        # above was exhaustive and did not reach c0, so these rows are not in it.
        back: dict[int, int] = {c0: -1}  # emptied column -> entry of its row's move
        queue = deque([c0])
        while queue:
            x = queue.popleft()
            for t in self.col_ents[self.col_start[x] : self.col_start[x + 1]]:
                r = row[t]
                if r <= j:
                    continue
                g = col[ent_of_row[r]]
                if g in back:
                    continue
                back[g] = t
                if not self.must[g]:
                    moved = self._shift(came, free_end, j)
                    row_of_col[c0] = -1
                    row_of_col[g] = -1
                    while g != c0:
                        t = back[g]
                        r, g = row[t], col[t]
                        ent_of_row[r] = t
                        row_of_col[g] = r
                        moved.append(r)
                    return moved
                queue.append(g)
        return None

    def _shift(self, came: dict[int, int], end: int, j: int) -> list[int]:
        """Apply the moves recorded in `came` that lead from row j to column `end`."""
        moved, c = [], end
        while True:
            t = came[c]
            r = self.row[t]
            old = self.col[self.ent_of_row[r]]
            self.ent_of_row[r] = t
            self.row_of_col[c] = r
            moved.append(r)
            if r == j:
                return moved
            c = old


def canonical_choice(problem: Problem, choice: np.ndarray | None = None) -> np.ndarray:
    """The lexicographically smallest optimal choice vector.

    Parameters
    ----------
    problem : Problem
    choice : (D,) array of int, optional
        An optimal assignment found by some solver, the start of the descent.
        None: start from the sparse matching's own optimum.

    Returns
    -------
    (D,) int64
        The same for every optimal `choice`.

    Raises
    ------
    RuntimeError
        If `choice` is not optimal (it uses an entry with positive reduced
        cost, or leaves a column with positive potential empty).
    """
    n_d = problem.n_daughters
    if problem.n_edges == 0 or n_d == 0:
        return np.full(n_d, -1, dtype=np.int64)
    lp = slot_lp(problem)
    pos, p, _ = slot_duals(lp, slot_matching(lp))  # from the problem alone, whatever `choice` is
    return canonical_choice_given(problem, lp, pos, p, choice)


def canonical_choice_given(
    problem: Problem, lp: SlotLP, pos: np.ndarray, p: np.ndarray, choice: np.ndarray | None = None
) -> np.ndarray:
    """:func:`canonical_choice` from the slot formulation's optimal matching `pos` and duals `p`.

    For callers that need the duals themselves too (the min-marginals), so the
    matching and Bellman-Ford run once. Needs at least one edge and one daughter.
    """
    n_d = problem.n_daughters
    tau = _tie_tolerance(lp, p)
    tight = reduced_costs(lp, pos, p) <= tau
    must = (p > tau).tolist()  # columns every optimum fills
    start = pos
    if choice is not None:
        start = _entries_of_choice(problem, np.asarray(choice, dtype=np.int64))
        used = np.zeros(lp.n_cols, dtype=bool)
        used[lp.col[start]] = True
        if not tight[start].all() or np.any((p > tau) & ~used):
            raise RuntimeError(
                "the assignment to canonicalise is not optimal "
                "(positive reduced cost or an empty column with positive potential)"
            )
    # Rows with a tight option below their current one; usually none.
    first = np.full(n_d, np.iinfo(np.int64).max)
    np.minimum.at(first, lp.row[tight], lp.edge[tight])
    rows = np.flatnonzero(first < lp.edge[start])
    if len(rows) == 0:
        return lp.edge[start].astype(np.int64)
    return _Walk(lp, tight, must, start).run(rows)
