"""Link probabilities for one frame pair, per uncertainty method (paper Table 1).

Every method returns, for the candidate edges ``E`` and daughters ``D`` of a frame
pair, an unnormalised probability for each edge (``P_ij``) and for each daughter's
"no mother" class (``P_none_j``), plus the prediction that is judged:

======  ==========================================  ======================
method  P_ij                                        prediction
======  ==========================================  ======================
sm      exp(-w_ij)                                  MAP of w
fp      exp(-mean_k w_ij^(k)), K perturbed features  MAP of the mean cost
fpa     share of the K perturbed MAPs holding (i,j)  MAP of w
as      sum_k 1{(i,j) in A_k} p_k over the top-K     MAP of w
asf     as, but K solutions per component            MAP of w
======  ==========================================  ======================

``P_none_j`` is ``exp(-w_a)`` for ``sm``/``fp`` and the probability mass of ``j``
appearing for the assignment-based methods. Daughter-based mother classification
(DBMC) then normalises over each daughter's classes: ``P_{i|j} = P_ij / (P_none_j +
sum_k P_kj)``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from uqtrack import assignment
from uqtrack.assignment import Problem
from uqtrack.calibration import scaled

METHODS = ("sm", "fp", "fpa", "as", "asf")


class Tracker(Protocol):
    appear_cost: float
    disappear_cost: float

    def costs(self, mothers: np.ndarray, daughters: np.ndarray, edges: np.ndarray) -> np.ndarray: ...

    def perturb(self, features: np.ndarray, rng: np.random.Generator) -> np.ndarray: ...


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
    def from_frequencies(cls, p_edge, p_none, pred_edge, pred_none) -> "PairProbabilities":
        with np.errstate(divide="ignore"):
            return cls(np.log(p_edge), np.log(p_none), pred_edge, pred_none)


@dataclass(frozen=True)
class MethodParams:
    k: int = 10  # samples (fp, fpa) or solutions (as, asf)
    topk: str = "decomposed"  # how `as` enumerates the global top-K: decomposed | global
    slack: float | None = 20.0  # asf: drop edges in no assignment within this of the MAP
    max_daughters: int = 2
    map_solver: str = "lsa"  # every MAP (sm, fp, fpa, predictions): lsa | milp (reference)


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


def pair_probabilities(
    method: str,
    tracker: Tracker,
    mothers: np.ndarray,
    daughters: np.ndarray,
    edges: np.ndarray,
    rng: np.random.Generator,
    params: MethodParams = MethodParams(),
) -> PairProbabilities:
    """Edge and "no mother" probabilities of one frame pair under ``method``.

    Parameters
    ----------
    method : {"sm", "fp", "fpa", "as", "asf"}
    tracker : Tracker
        Prices edges and perturbs features.
    mothers, daughters : ndarray
        The tracker's features of the cells at ``t`` and ``t'``.
    edges : (E, 2) ndarray of int
        Candidate edges ``(mother, daughter)``, fixed across perturbations.
    rng : numpy.random.Generator
        The only source of randomness (``fp`` and ``fpa``).
    params : MethodParams
    """
    n_m, n_d, n_e = len(mothers), len(daughters), len(edges)
    w = tracker.costs(mothers, daughters, edges)
    problem = Problem(
        n_mothers=n_m,
        n_daughters=n_d,
        edges=edges,
        costs=w,
        appear_cost=float(tracker.appear_cost),
        disappear_cost=float(tracker.disappear_cost),
        max_daughters=params.max_daughters,
    )
    neg_appear = np.full(n_d, -float(tracker.appear_cost))

    if method == "sm":
        pred = assignment.solve_map(problem, params.map_solver)
        return PairProbabilities(-w, neg_appear, *_masks(pred.choice, n_e))

    if method in ("fp", "fpa"):
        samples = [
            tracker.costs(tracker.perturb(mothers, rng), tracker.perturb(daughters, rng), edges)
            for _ in range(params.k)
        ]
        if method == "fp":
            w_mean = np.mean(samples, axis=0) if n_e else w
            pred = assignment.solve_map(replace(problem, costs=w_mean), params.map_solver)
            return PairProbabilities(-w_mean, neg_appear, *_masks(pred.choice, n_e))
        choices = [
            assignment.solve_map(replace(problem, costs=w_k), params.map_solver).choice
            for w_k in samples
        ]
        counts_edge, counts_none = _marginals(choices, np.ones(params.k), n_e, n_d)
        p_edge, p_none = counts_edge / params.k, counts_none / params.k  # exact frequencies
        pred = assignment.solve_map(problem, params.map_solver)
        return PairProbabilities.from_frequencies(p_edge, p_none, *_masks(pred.choice, n_e))

    if method == "as":
        solutions = assignment.top_k(problem, params.k, method=params.topk)
        weights = solution_weights(np.array([s.cost for s in solutions]))
        p_edge, p_none = _marginals([s.choice for s in solutions], weights, n_e, n_d)
        return PairProbabilities.from_frequencies(
            p_edge, p_none, *_masks(solutions[0].choice, n_e)
        )

    if method == "asf":
        return _factorised_sampling(problem, params.k, params.slack)

    raise ValueError(f"unknown method {method!r}; known: {METHODS}")


def _factorised_sampling(problem: Problem, k: int, slack: float | None) -> PairProbabilities:
    """Assignment sampling with ``k`` solutions per connected component.

    The posterior factorises exactly over the components of the candidate graph, so
    each component's marginals come from its own top-``k``; a global top-``k`` sees
    only ``k`` of the (product of component counts) joint solutions. Nearest-
    neighbour candidates make one giant component; edges that occur in no assignment
    within ``slack`` of the MAP (weight below ``exp(-slack)`` of the MAP's) are
    dropped first, which splits it (see :func:`assignment.per_component_top_k`).
    """
    n_e, n_d = len(problem.edges), problem.n_daughters
    p_edge, p_none = np.zeros(n_e), np.ones(n_d)  # daughters outside components appear
    pred_choice = np.full(n_d, -1, dtype=np.int64)
    for comp in assignment.per_component_top_k(problem, k, slack):
        weights = solution_weights(comp.costs)
        p_none[comp.daughters] = 0.0
        for choice, weight in zip(comp.choices, weights):
            p_edge[choice[choice >= 0]] += weight
            p_none[comp.daughters[choice < 0]] += weight
        pred_choice[comp.daughters] = comp.choices[0]  # the component's MAP
    return PairProbabilities.from_frequencies(p_edge, p_none, *_masks(pred_choice, n_e))


def dbmc(
    log_p_edge: np.ndarray, log_p_none: np.ndarray, edge_daughter: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Daughter-based mother classification: normalise over each daughter's classes.

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
