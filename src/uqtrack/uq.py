"""Link probabilities for one frame pair, one function per uncertainty method.

Each method returns, for the candidate edges ``E`` and daughters ``D`` of a frame
pair, an unnormalised probability per edge (``P_ij``) and per daughter's "no mother"
class (``P_none_j``), and the prediction that is judged (paper Table 1):

======  ==============================================  =====================  =========
method  P_ij                                            prediction             paper
======  ==============================================  =====================  =========
sm      exp(-w_ij)                                      MAP of w               Eq. 15
fp      exp(-mean_k w^(k)_ij), K perturbed cost draws   MAP of the mean cost   Eq. 13
fpa     share of the K perturbed MAPs holding (i, j)    MAP of w               Eq. 12
as      sum_k 1{(i,j) in A_k} p_k over the top-K        MAP of w               Eq. 10
asf     as, with K solutions per connected component    MAP of w               (ours)
mm      exp(-(C*(i->j) - C*)), exact min-marginals      MAP of w               (ours)
======  ==============================================  =====================  =========

``mm``: ``C*(i->j)`` is the least cost of a feasible assignment that links ``i -> j``,
``C*`` the MAP's; ``P_none_j = exp(-(C*(j none) - C*))`` with the least cost of one in
which ``j`` appears (:mod:`uqtrack.assignment.minmarginals`). Every class of every
daughter is priced by a whole assignment, so no class gets probability exactly 0
and the MAP's class of a daughter with alternatives is below 1 (up to float
underflow of costs dozens of units apart).

The "no mother" class. For the sampling methods (``fpa``, ``as``, ``asf``) it is the
probability mass of ``j`` appearing. For ``sm`` and ``fp`` it is priced as in the
assignment it explains: not linking ``j`` costs its appearance ``w_a`` and, for a
mother left without daughters, that mother's disappearance ``w_d``, so
``P_none_j = exp(-(w_a + w_d))``. On an isolated mother-daughter pair this makes
``P_{i|j}`` the exact posterior of linking versus not linking, and the MAP's choice
the argmax of each daughter's class distribution wherever candidates do not compete
(a mother's second daughter, after a division, only saves ``w_a``).

A tracker that has its own "no mother" probability (:meth:`Tracker.none_log_prob`;
the transformer's quiet softmax gives ``p_none_j``) gives it instead: ``sm`` reads
``P_none_j = p_none_j``, and ``fp`` ``P_none_j = exp(mean_k log p_none_j^(k))`` over
the same K draws whose costs it averages (:meth:`Tracker.sample_costs_batch`). Then
on an isolated pair ``P_{i|j} = p_ij / (p_ij + p_none_j)``, the model's own
posterior. The assignment (every MAP) still prices appearance and disappearance
``w_a`` and ``w_d``.

=========================  =================================  ====================================
``P_none_j`` of            tracker without its own (default)  tracker with ``none_log_prob``
=========================  =================================  ====================================
sm                         exp(-(w_a + w_d))                  p_none_j of the deterministic pass
fp                         exp(-(w_a + w_d))                  exp(mean_k log p_none_j^(k))
fpa, as, asf               mass of j appearing                mass of j appearing
=========================  =================================  ====================================

Daughter-based mother classification (DBMC, Eq. 16-17) normalises over each
daughter's classes: ``P_{i|j} = P_ij / (P_none_j + sum_k P_kj)`` (:func:`dbmc`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Literal

import numpy as np

from uqtrack import assignment
from uqtrack.assignment import Problem
from uqtrack.assignment.minmarginals import min_marginals
from uqtrack.calibration import scaled
from uqtrack.trackers import Tracker


@dataclass(frozen=True)
class PairProbabilities:
    """What a method says about one frame pair.

    Probabilities are kept as logarithms: ``exp(-w)`` underflows to 0 for the large
    costs of large steps, and temperature scaling needs the logits themselves.
    A class that a sampling method never saw has log-probability ``-inf``.
    """

    log_p_edge: np.ndarray  # (E,) log P_ij
    log_p_none: np.ndarray  # (D,) log P_none_j
    pred_edge: np.ndarray  # (E,) bool, edge in the judged prediction
    pred_none: np.ndarray  # (D,) bool, daughter predicted to appear

    @property
    def p_edge(self) -> np.ndarray:
        return np.exp(self.log_p_edge)

    @property
    def p_none(self) -> np.ndarray:
        return np.exp(self.log_p_none)

    @classmethod
    def from_frequencies(cls, p_edge, p_none, pred_edge, pred_none) -> PairProbabilities:
        with np.errstate(divide="ignore"):
            return cls(np.log(p_edge), np.log(p_none), pred_edge, pred_none)


@dataclass(frozen=True)
class MethodParams:
    k: int = 10  # samples (fp, fpa) or solutions (as, asf)
    topk: Literal["decomposed", "global"] = "decomposed"  # how `as` enumerates the global top-K: decomposed | global
    slack: float | None = 20.0  # asf: drop edges in no assignment within this of the MAP
    max_daughters: int = 2
    map_solver: Literal["lsa", "milp", "decomposed"] = "lsa"  # every MAP: lsa | milp (reference)
    time_limit: float | None = None  # seconds per HiGHS call (milp, top-K fallbacks); None: none


@dataclass(frozen=True)
class Pair:
    """One frame pair as a method sees it: the tracker, its features, the problem."""

    tracker: Tracker
    mothers: Any  # the tracker's features of the cells at t
    daughters: Any  # ... and at t'
    problem: Problem  # candidate edges, costs w, prices, capacity
    rng: np.random.Generator  # the only source of randomness
    params: MethodParams
    # K perturbed draws by the generator state they were drawn from (see `sampled`)
    draws: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_edges(self) -> int:
        return self.problem.n_edges

    @property
    def n_daughters(self) -> int:
        return self.problem.n_daughters

    def with_rng(self, rng: np.random.Generator) -> Pair:
        """The same pair with another generator; its drawn perturbations are kept."""
        return replace(self, rng=rng)

    def solve_map(self, costs: np.ndarray | None = None) -> np.ndarray:
        """Each daughter's choice in the MAP of ``costs`` (default: the tracker's)."""
        problem = self.problem if costs is None else replace(self.problem, costs=costs)
        return assignment.solve_map(problem, self.params.map_solver, time_limit=self.params.time_limit).choice

    def sampled(self) -> tuple[np.ndarray, np.ndarray | None]:
        """K perturbed draws of the tracker, edges fixed: ``(K, E)`` costs and, where
        the tracker has its own, ``(K, D)`` "no mother" log-probabilities (else None).

        Drawn once per generator state: methods handed equal generators (``fp`` and
        ``fpa`` in :func:`uqtrack.linking.link_sequence`) read the same draws, as the
        paper's Eq. 12 and 13 read the same perturbed features, and pay for them once.
        """
        key = repr(self.rng.bit_generator.state)
        if key not in self.draws:
            edges, k = self.problem.edges, self.params.k
            batch = getattr(self.tracker, "sample_costs_batch", None)  # duck-typed trackers lack it
            if batch is None:
                batch = partial(Tracker.sample_costs_batch, self.tracker)
            self.draws[key] = batch(self.mothers, self.daughters, edges, self.rng, k)
        return self.draws[key]

    def log_p_unlinked(self) -> np.ndarray:
        """``log P_none_j``: the tracker's own, or ``-(w_a + w_d)`` for every daughter."""
        hook = getattr(self.tracker, "none_log_prob", None)
        own = None if hook is None else hook(self.mothers, self.daughters)
        if own is not None:
            return np.asarray(own, dtype=np.float64)
        return np.full(self.n_daughters, -(self.problem.appear_cost + self.problem.disappear_cost))


def _masks(choice: np.ndarray, n_edges: int) -> tuple[np.ndarray, np.ndarray]:
    pred_edge = np.zeros(n_edges, dtype=bool)
    pred_edge[choice[choice >= 0]] = True
    return pred_edge, choice < 0


def _marginals(
    choices: list[np.ndarray], weights: np.ndarray, n_edges: int, n_d: int
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted frequency of each edge and of each daughter appearing."""
    p_edge = np.zeros(n_edges)
    p_none = np.zeros(n_d)
    for choice, weight in zip(choices, weights):
        p_edge[choice[choice >= 0]] += weight
        p_none[choice < 0] += weight
    return p_edge, p_none


def solution_weights(costs: np.ndarray) -> np.ndarray:
    """Self-normalised ``exp(-cost)``, computed stably."""
    costs = np.asarray(costs, dtype=np.float64)
    w = np.exp(-(costs - costs.min()))
    return w / w.sum()


def softmax(pair: Pair) -> PairProbabilities:
    """``sm``: ``P_ij = exp(-w_ij)``, ``P_none_j = exp(-(w_a + w_d))`` or the tracker's
    own (paper Eq. 15; module docstring)."""
    choice = pair.solve_map()
    return PairProbabilities(-pair.problem.costs, pair.log_p_unlinked(), *_masks(choice, pair.n_edges))


def feature_perturbation(pair: Pair) -> PairProbabilities:
    """``fp``: softmax of the mean of K perturbed costs; judged: its MAP (Eq. 13).

    A tracker's own "no mother" log-probability is averaged over the same draws.
    """
    if not pair.n_edges:
        return PairProbabilities(-pair.problem.costs, pair.log_p_unlinked(),
                                 *_masks(pair.solve_map(), pair.n_edges))
    costs, log_none = pair.sampled()
    w_mean = np.mean(costs, axis=0)
    choice = pair.solve_map(w_mean)
    log_none = pair.log_p_unlinked() if log_none is None else np.mean(log_none, axis=0)
    return PairProbabilities(-w_mean, log_none, *_masks(choice, pair.n_edges))


def perturbation_assignment(pair: Pair) -> PairProbabilities:
    """``fpa``: how often each edge is in the MAP of K perturbed costs (Eq. 12)."""
    choices = [pair.solve_map(w_k) for w_k in pair.sampled()[0]]
    k = pair.params.k
    counts_edge, counts_none = _marginals(choices, np.ones(k), pair.n_edges, pair.n_daughters)
    pred = pair.solve_map()
    return PairProbabilities.from_frequencies(
        counts_edge / k, counts_none / k, *_masks(pred, pair.n_edges)  # exact frequencies
    )


def assignment_sampling(pair: Pair) -> PairProbabilities:
    """``as``: edge marginals over the exact top-K assignments of the frame (Eq. 10).

    ``p_k`` is ``exp(-cost(A_k))`` self-normalised over the K; the judged prediction
    is the MAP, ``A_1``.
    """
    solutions = assignment.top_k(pair.problem, pair.params.k, method=pair.params.topk,
                                 time_limit=pair.params.time_limit)
    weights = solution_weights(np.array([s.cost for s in solutions]))
    p_edge, p_none = _marginals([s.choice for s in solutions], weights, pair.n_edges, pair.n_daughters)
    return PairProbabilities.from_frequencies(p_edge, p_none, *_masks(solutions[0].choice, pair.n_edges))


def factorised_assignment_sampling(pair: Pair) -> PairProbabilities:
    """``asf``: assignment sampling with the top-K of each connected component.

    The posterior factorises exactly over the components of the candidate graph, so
    each component's marginals come from its own top-``K``; a global top-``K`` sees
    only ``K`` of the (product of component counts) joint solutions. Nearest-
    neighbour candidates make one giant component; edges that occur in no assignment
    within ``slack`` of the MAP (weight below ``exp(-slack)`` of the MAP's) are
    dropped first, which splits it (see :func:`assignment.per_component_top_k`).
    """
    problem = pair.problem
    n_e, n_d = problem.n_edges, problem.n_daughters
    p_edge, p_none = np.zeros(n_e), np.ones(n_d)  # daughters outside components appear
    pred_choice = np.full(n_d, -1, dtype=np.int64)
    for comp in assignment.per_component_top_k(problem, pair.params.k, pair.params.slack):
        weights = solution_weights(comp.costs)
        p_none[comp.daughters] = 0.0
        for choice, weight in zip(comp.choices, weights):
            p_edge[choice[choice >= 0]] += weight
            p_none[comp.daughters[choice < 0]] += weight
        pred_choice[comp.daughters] = comp.choices[0]  # the component's MAP
    return PairProbabilities.from_frequencies(p_edge, p_none, *_masks(pred_choice, n_e))


def min_marginal(pair: Pair) -> PairProbabilities:
    """``mm``: ``P_ij = exp(-(C*(i->j) - C*))``, ``P_none_j = exp(-(C*(j none) - C*))``.

    Exact min-marginals of the assignment (not in the paper): the least cost of a
    feasible assignment that links ``i -> j`` (or leaves ``j`` unlinked) relative to
    the MAP, from one sparse matching, its duals and shortest alternating paths
    (:func:`assignment.minmarginals.min_marginals`). Judged: the MAP, whose own
    classes get ``P = exp(0)``; it is the canonical optimum that every
    ``map_solver`` returns, so ``map_solver`` and ``time_limit`` (no HiGHS) do not
    apply. Deterministic; ``rng`` is not drawn from.
    """
    mm = min_marginals(pair.problem)
    return PairProbabilities(-mm.edge, -mm.none, *_masks(mm.map_choice, pair.n_edges))


#: The methods that read the tracker's K perturbed draws (:meth:`Pair.sampled`).
PERTURBED = ("fp", "fpa")

#: The uncertainty methods by config name; the config schema's list is checked against it.
METHODS: dict[str, Callable[[Pair], PairProbabilities]] = {
    "sm": softmax,
    "fp": feature_perturbation,
    "fpa": perturbation_assignment,
    "as": assignment_sampling,
    "asf": factorised_assignment_sampling,
    "mm": min_marginal,
}


def pair_probabilities(
    method: str,
    tracker: Tracker,
    mothers: Any,
    daughters: Any,
    edges: np.ndarray,
    rng: np.random.Generator,
    params: MethodParams = MethodParams(),
) -> PairProbabilities:
    """Edge and "no mother" probabilities of one frame pair under ``method``.

    Parameters
    ----------
    method : str
        A key of :data:`METHODS`.
    tracker : Tracker
        Prices edges, appearance and disappearance, and draws perturbed costs.
    mothers, daughters
        The tracker's features of the cells at ``t`` and ``t'``.
    edges : (E, 2) ndarray of int
        Candidate edges ``(mother, daughter)``, fixed across perturbations.
    rng : numpy.random.Generator
        The only source of randomness (``fp`` and ``fpa``).
    params : MethodParams
    """
    try:
        compute = METHODS[method]
    except KeyError:
        raise ValueError(f"unknown method {method!r}; known: {', '.join(METHODS)}") from None
    return compute(make_pair(tracker, mothers, daughters, edges, rng, params))


def make_pair(
    tracker: Tracker,
    mothers: Any,
    daughters: Any,
    edges: np.ndarray,
    rng: np.random.Generator,
    params: MethodParams = MethodParams(),
) -> Pair:
    """The :class:`Pair` of :func:`pair_probabilities` (prices the edges once)."""
    problem = Problem(
        n_mothers=len(mothers),
        n_daughters=len(daughters),
        edges=edges,
        costs=tracker.costs(mothers, daughters, edges),
        appear_cost=float(tracker.appear_cost),
        disappear_cost=float(tracker.disappear_cost),
        max_daughters=params.max_daughters,
    )
    return Pair(tracker, mothers, daughters, problem, rng, params)


def dbmc(
    log_p_edge: np.ndarray, log_p_none: np.ndarray, edge_daughter: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Daughter-based mother classification (paper Eq. 16-17).

    ``P_{i|j} = P_ij / (P_none_j + sum_k P_kj)``, computed from log-probabilities
    (a softmax per daughter) so that underflowing ``exp(-w)`` cannot divide 0 by 0.
    Returns ``P_{i|j}`` per edge and ``P_{none|j}`` per daughter.
    """
    n_d = len(log_p_none)
    p = scaled(
        np.concatenate([log_p_edge, log_p_none]),
        np.concatenate([edge_daughter, np.arange(n_d)]).astype(np.int64),
        1.0,
    )
    return p[: len(log_p_edge)], p[len(log_p_edge) :]
