"""Frame-pair assignment: MAP and the K cheapest assignments.

Mothers ``0..M-1`` live in frame t, daughters ``0..D-1`` in frame t'. Candidate
edges ``(mother, daughter)`` carry costs ``w >= 0``; a daughter without a mother
costs ``appear_cost`` (w_a), a mother without any daughter costs
``disappear_cost`` (w_d). A feasible assignment gives every daughter at most one
mother and every mother at most ``max_daughters`` daughters, and costs::

    cost(A) = sum_{e in A} w_e + w_a * #daughters without mother
                               + w_d * #mothers without daughter

An assignment is fully described by each daughter's choice: the index of its
edge in ``Problem.edges``, or ``-1`` when it appears. Every cost this package
reports is recomputed from that choice by :func:`solution_cost`, so costs agree
whichever solver produced them.

Solvers
-------
- :func:`solve_map`: the cheapest assignment. ``method="lsa"`` (default) solves
  the equivalent slot assignment problem as one sparse minimum-weight bipartite
  matching; ``method="milp"`` is an integer program built with PuLP and solved
  exactly (MIP gap 0) by HiGHS (the reference). Where several assignments cost
  the same, every method returns the same one: the lexicographically smallest
  choice vector among them (:mod:`~uqtrack.assignment.canonical`).
- :func:`top_k`: the K cheapest assignments. ``method="global"`` re-solves the
  whole integer program with one no-good cut per found solution (the reference).
  ``method="decomposed"`` (default) prunes edges that provably cannot occur in
  any of the K cheapest assignments (linear-programming reduced costs from a
  sparse assignment solve), splits the remaining candidate graph into connected
  components, solves each component's own top-K (exact branch and bound on
  reduced costs within a search budget, HiGHS with no-good cuts otherwise,
  told the places a longer search fixes by cost alone),
  and merges them exactly. Pruning matters: with each daughter's 10 nearest
  mothers as candidates the unpruned graph is usually one giant component.
- :func:`per_component_top_k`: each connected component's own top-K (optionally
  after pruning edges beyond a slack of the MAP), for methods whose posterior
  factorises over components; the frame's reduced costs, computed once, bound
  every component's search.
- :func:`min_marginals`: per edge the cost of the cheapest assignment that
  takes it (and per daughter the cheapest in which it appears), relative to the
  MAP, exactly, from one matching, its duals and shortest alternating paths.
- :func:`lsa_map_cost`: an independent MAP cost via
  :func:`scipy.optimize.linear_sum_assignment`, for cross-checking.
- :func:`brute_force`: every feasible assignment, for tests on tiny instances.
- Calls that run HiGHS take ``time_limit`` (seconds, None = none) and raise
  :class:`TimeLimitReached` when it runs out, never a non-optimal answer.

Modules
-------
- :mod:`~uqtrack.assignment.problem`: :class:`Problem`, :class:`Solution`,
  :func:`solution_cost`, :func:`is_feasible`, :func:`edge_mask`,
  :func:`brute_force`.
- :mod:`~uqtrack.assignment.milp`: the PuLP/HiGHS integer program and its
  no-good-cut top-K, :class:`TimeLimitReached`.
- :mod:`~uqtrack.assignment.bounds`: the slot formulation, its sparse matching
  and dual potentials, :func:`lsa_map_cost`, the LP reduced costs used for
  pruning and bounding.
- :mod:`~uqtrack.assignment.canonical`: the canonical (lexicographically
  smallest) optimum.
- :mod:`~uqtrack.assignment.minmarginals`: :func:`min_marginals`, and the forced
  re-solve reference :func:`min_marginals_by_resolving`.
- :mod:`~uqtrack.assignment.search`: exact branch and bound of one component.
- :mod:`~uqtrack.assignment.decompose`: connected components, the exact merge,
  :func:`split`.
- :mod:`~uqtrack.assignment.solve`: :func:`top_k`, :func:`solve_map`,
  :func:`per_component_top_k`.

Each module imports only those listed above it.
"""

from uqtrack.assignment.bounds import lsa_map_cost
from uqtrack.assignment.decompose import ComponentTopK, split
from uqtrack.assignment.milp import TimeLimitReached
from uqtrack.assignment.minmarginals import (
    MinMarginals,
    min_marginals,
    min_marginals_by_resolving,
)
from uqtrack.assignment.problem import (
    Problem,
    Solution,
    brute_force,
    edge_mask,
    is_feasible,
    per_daughter_appearance,
    solution_cost,
)
from uqtrack.assignment.search import ENUMERATE_BELOW
from uqtrack.assignment.solve import MAP_METHODS, per_component_top_k, solve_map, top_k

__all__ = [
    "ENUMERATE_BELOW",
    "MAP_METHODS",
    "ComponentTopK",
    "Problem",
    "Solution",
    "brute_force",
    "per_daughter_appearance",
    "edge_mask",
    "is_feasible",
    "lsa_map_cost",
    "MinMarginals",
    "min_marginals",
    "min_marginals_by_resolving",
    "per_component_top_k",
    "solution_cost",
    "solve_map",
    "split",
    "TimeLimitReached",
    "top_k",
]
