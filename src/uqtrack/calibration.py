"""Temperature scaling of per-daughter class probabilities (paper Eq. 20).

``P^tau`` renormalised over each daughter's classes; ``tau > 0`` minimises the mean
cross-entropy of the true class on the calibration data. Probabilities are floored
at :data:`FLOOR` so a class that a sampling method never saw (``P = 0``) can still
receive mass when ``tau < 1`` and the cross-entropy stays finite.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar

FLOOR = 1e-12
TAU_BOUNDS = (1e-3, 1e3)


def scaled(p: np.ndarray, groups: np.ndarray, tau: float) -> np.ndarray:
    """``p^tau`` normalised within each group, computed in log space."""
    logit = tau * np.log(np.maximum(p, FLOOR))
    if len(logit) == 0:
        return logit
    n = int(groups.max()) + 1
    top = np.full(n, -np.inf)
    np.maximum.at(top, groups, logit)
    e = np.exp(logit - top[groups])
    return e / np.bincount(groups, weights=e, minlength=n)[groups]


def cross_entropy(p: np.ndarray, groups: np.ndarray, true: np.ndarray, tau: float) -> float:
    """Mean ``-log P^tau(true class)`` over groups that hold their true class."""
    q = scaled(p, groups, tau)
    return float(-np.log(np.maximum(q[true], np.finfo(float).tiny)).mean())


def fit_temperature(p: np.ndarray, groups: np.ndarray, true: np.ndarray) -> float:
    """The ``tau`` minimising the cross-entropy of the true class.

    Only groups with at least two classes and a true class among them inform the fit.
    Returns 1.0 when no such group exists. The cross-entropy is convex in ``tau``
    (a log-sum-exp of affine functions minus an affine one), so a bounded scalar
    search in ``log tau`` finds the global minimum.
    """
    sizes = np.bincount(groups)
    has_true = np.bincount(groups, weights=true.astype(float), minlength=len(sizes)) > 0
    useful = (sizes >= 2) & has_true
    keep = useful[groups]
    if not keep.any():
        return 1.0
    p, true = p[keep], true[keep]
    _, groups = np.unique(groups[keep], return_inverse=True)
    res = minimize_scalar(
        lambda log_tau: cross_entropy(p, groups, true, float(np.exp(log_tau))),
        bounds=tuple(np.log(TAU_BOUNDS)),
        method="bounded",
        options={"xatol": 1e-6},
    )
    return float(np.exp(res.x))
