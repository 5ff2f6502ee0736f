"""Saved frame pairs on which the top-K once fell back to HiGHS for seconds (issue 16).

``data/overlap_*.npz``: the overlap tracker's assignment problems of
Fluo-N2DH-SIM+ 01, frames 56 -> 57, and Fluo-N2DL-HeLa 01, 87 -> 88, at step 1
(config/paper.yaml's fitted tracker; ``slack``: asf's, 20 times the price
scale). Their search outgrows its budget; the longer search past it must give
HiGHS' answer exactly (see :mod:`uqtrack.assignment.search`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from uqtrack.assignment import Problem, per_component_top_k, search, top_k
from uqtrack.assignment.milp import nogood_top_k
from uqtrack.assignment.problem import problem_args
from uqtrack.assignment.search import _settled

DATA = Path(__file__).parent / "data"


def load(name: str) -> tuple[Problem, float]:
    z = np.load(DATA / name)
    problem = Problem(int(z["n_mothers"]), int(z["n_daughters"]), z["edges"], z["costs"],
                      float(z["appear_cost"]), float(z["disappear_cost"]), int(z["max_daughters"]))
    return problem, float(z["slack"])


def as_tuples(solutions) -> list[tuple[float, tuple[int, ...]]]:
    return [(s.cost, tuple(s.choice.tolist())) for s in solutions]


def test_sim_case_equals_highs_with_nogood_cuts() -> None:
    problem, slack = load("overlap_sim01_t56.npz")
    ref = as_tuples(top_k(problem, 10, method="global"))  # HiGHS on the whole frame
    assert len(ref) == 10
    assert as_tuples(top_k(problem, 10)) == ref
    # asf: slack 20 keeps one component holding every daughter; its list is the frame's
    (comp,) = [c for c in per_component_top_k(problem, 10, slack) if len(c.daughters) > 1]
    assert len(comp.daughters) == problem.n_daughters
    assert [(c, tuple(ch)) for c, ch in zip(comp.costs.tolist(), comp.choices.tolist())] == ref


def test_hela_case_with_ties_equals_the_budgeted_search(monkeypatch) -> None:
    # Its two big components each tie exactly at their 9th-11th cheapest: the longer
    # search settles their first 8 places and HiGHS picks among the tied ones.
    # Reference: no search past the budget, HiGHS for all 10 places (the code before).
    problem, _ = load("overlap_hela01_t87.npz")
    got = as_tuples(top_k(problem, 10))
    monkeypatch.setattr(search, "PAST_BUDGET", 0)
    assert got == as_tuples(top_k(problem, 10))


def test_settled_counts_the_places_fixed_by_costs() -> None:
    assert _settled([1.0, 2.0, 3.0], 2) == 2
    assert _settled([1.0, 2.0, 2.0], 2) == 1  # the 2nd place is a tie
    assert _settled([1.0, 1.0, 3.0], 2) == 0
    assert _settled([1.0, 2.0], 5) == 2  # all there are
    assert _settled([1.0, 2.0 - 1e-12, 2.0], 5) == 1  # float noise counts as a tie
    assert _settled([], 3) == 0


def test_known_head_changes_nothing_in_highs() -> None:
    # Integer costs: many exact ties, which HiGHS orders its own way.
    rng = np.random.default_rng(16)
    for _ in range(6):
        n_m, n_d = 4, 4
        pairs = [(i, j) for i in range(n_m) for j in range(n_d) if rng.random() < 0.6]
        edges = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        problem = Problem(n_m, n_d, edges, rng.integers(0, 3, len(edges)).astype(float), 2.0, 1.0)
        args = problem_args(problem)
        full = nogood_top_k(*args, 8)
        for m in (1, len(full) // 2, len(full)):
            again = nogood_top_k(*args, 8, known=full[:m])
            assert [c.tolist() for c in again] == [c.tolist() for c in full]


@pytest.mark.parametrize("name", ["overlap_sim01_t56.npz", "overlap_hela01_t87.npz"])
def test_saved_cases_are_valid(name: str) -> None:
    problem, slack = load(name)
    assert problem.n_daughters > 40 and slack == pytest.approx(20.0)
