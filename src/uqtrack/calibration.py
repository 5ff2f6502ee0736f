"""Temperature scaling of per-daughter class probabilities (paper Eq. 20).

``P^tau`` renormalised over each daughter's classes, i.e. a softmax of ``tau * log P``;
``tau > 0`` minimises the mean cross-entropy of the true class on the calibration
data. A daughter whose true class has probability 0 (a class a sampling method never
saw) has infinite cross-entropy for every ``tau``, so it cannot inform the fit: it is
left out and counted.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar

TAU_BOUNDS = (1e-3, 1e3)


def group_log_normaliser(logit: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """``log sum exp`` of ``logit`` within each group, computed stably (one value per group)."""
    n = int(groups.max()) + 1
    top = np.full(n, -np.inf)
    np.maximum.at(top, groups, logit)
    return top + np.log(np.bincount(groups, weights=np.exp(logit - top[groups]), minlength=n))


def scaled(logp: np.ndarray, groups: np.ndarray, tau: float) -> np.ndarray:
    """``P^tau`` normalised within each group, from log-probabilities ``logp``."""
    if len(logp) == 0:
        return np.zeros(0)
    logit = tau * logp
    return np.exp(logit - group_log_normaliser(logit, groups)[groups])


def cross_entropy(logp: np.ndarray, groups: np.ndarray, true: np.ndarray, tau: float) -> float:
    """Mean ``-log P^tau(true class)`` over the groups' true classes."""
    logit = tau * logp
    lse = group_log_normaliser(logit, groups)
    return float((lse[groups[true]] - logit[true]).mean())


def informative(logp: np.ndarray, groups: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Per row: does its group inform the fit (>= 2 classes, a true class with P > 0)?"""
    if len(groups) == 0:
        return np.zeros(0, dtype=bool)
    sizes = np.bincount(groups)
    seen = np.bincount(groups, weights=(true & np.isfinite(logp)).astype(float), minlength=len(sizes))
    return ((sizes >= 2) & (seen > 0))[groups]


def fit_temperature(logp: np.ndarray, groups: np.ndarray, true: np.ndarray) -> float:
    """The ``tau`` minimising the cross-entropy of the true class.

    Only groups with at least two classes and a true class of non-zero probability
    inform the fit; returns 1.0 when there is none. The cross-entropy is convex in
    ``tau`` (a log-sum-exp of linear functions minus a linear one), so a bounded
    search in ``log tau`` finds the global minimum.
    """
    keep = informative(logp, groups, true)
    if not keep.any():
        return 1.0
    logp, true = logp[keep], true[keep]
    # -inf logits of never-seen classes stay -inf for every tau > 0
    _, groups = np.unique(groups[keep], return_inverse=True)
    res = minimize_scalar(
        lambda log_tau: cross_entropy(logp, groups, true, float(np.exp(log_tau))),
        bounds=tuple(np.log(TAU_BOUNDS)),
        method="bounded",
        options={"xatol": 1e-6},
    )
    return float(np.exp(res.x))
