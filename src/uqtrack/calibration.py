"""Temperature scaling of per-daughter class probabilities (paper Eq. 20).

``P^tau`` renormalised over each daughter's classes, i.e. a softmax of ``tau * log P``;
``tau > 0`` minimises the mean cross-entropy of the true class on the calibration
data. The paper's temperature is ``T = 1 / tau``: ``T > 1`` flattens overconfident
probabilities, and it should grow as the frame interval grows.

When ``tau`` is not identifiable the fit says so (:class:`TemperatureFit.status`)
and falls back to ``tau = 1`` (the raw probabilities) instead of reporting where a
bounded search happened to stop:

- ``no_data``: no daughter can inform the fit (each has a single class, or its true
  class has probability 0: infinite cross-entropy for every ``tau``);
- ``flat``: the cross-entropy does not depend on ``tau`` (e.g. every informative
  daughter's classes have equal probability);
- ``separable``: the cross-entropy keeps falling as ``tau`` grows, because every
  informative daughter's true class is its most probable one;
- ``uninformative``: it keeps falling as ``tau -> 0`` (probabilities worse than
  uniform);
- ``fitted``: an interior minimum within :data:`TAU_BOUNDS`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import brentq

TAU_BOUNDS = (1e-3, 1e3)
#: The fit's possible outcomes; the summary stores the index (``ts_status``).
STATUSES = ("fitted", "no_data", "flat", "separable", "uninformative")
_FLAT = 1e-9  # |d CE / d tau| below this at both bounds: the loss does not depend on tau


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


def cross_entropy_slope(logp: np.ndarray, groups: np.ndarray, true: np.ndarray, tau: float) -> float:
    """``d/d tau`` of :func:`cross_entropy`: mean of ``E_{P^tau}[log P] - log P(true)``.

    Increasing in ``tau`` (the cross-entropy is convex: a log-sum-exp of linear
    functions of ``tau`` minus a linear one). ``logp`` must be finite.
    """
    p = scaled(logp, groups, tau)
    expected = np.bincount(groups, weights=p * logp, minlength=int(groups.max()) + 1)
    return float((expected[groups[true]] - logp[true]).mean())


def informative(logp: np.ndarray, groups: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Per row: does its group inform the fit (>= 2 classes, a true class with P > 0)?"""
    if len(groups) == 0:
        return np.zeros(0, dtype=bool)
    sizes = np.bincount(groups)
    seen = np.bincount(groups, weights=(true & np.isfinite(logp)).astype(float), minlength=len(sizes))
    return ((sizes >= 2) & (seen > 0))[groups]


@dataclass(frozen=True)
class TemperatureFit:
    """The fitted exponent ``tau`` and what informed it (module docstring)."""

    tau: float
    status: str  # fitted | no_data | flat | separable | uninformative
    daughters: int  # in the fit population
    daughters_used: int  # that could inform it
    cross_entropy_raw: float  # at tau = 1, over the daughters used
    cross_entropy_fit: float  # at the returned tau

    @property
    def temperature(self) -> float:
        """The paper's temperature ``T = 1 / tau``."""
        return 1.0 / self.tau

    def to_dict(self) -> dict:
        return {**asdict(self), "temperature": self.temperature}


def fit_temperature(logp: np.ndarray, groups: np.ndarray, true: np.ndarray) -> TemperatureFit:
    """Minimise the cross-entropy of the true class over ``tau`` in :data:`TAU_BOUNDS`.

    Only groups with at least two classes and a true class of non-zero probability
    inform the fit; classes of probability 0 stay 0 for every ``tau`` and are left
    out. The minimum is the root of the increasing slope
    (:func:`cross_entropy_slope`), found by Brent's method in ``log tau``; where the
    slope has no root inside the bounds, ``tau`` is not identifiable and the fit
    falls back to 1.
    """
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    keep = informative(logp, groups, true) & np.isfinite(logp)
    used = int(len(np.unique(groups[keep])))

    def result(tau: float, status: str, lp=None, g=None, t=None) -> TemperatureFit:
        ce = (lambda x: cross_entropy(lp, g, t, x)) if lp is not None else (lambda x: np.nan)
        return TemperatureFit(float(tau), status, n_groups, used, ce(1.0), ce(tau))

    if used == 0:
        return result(1.0, "no_data")
    logp, true = logp[keep], true[keep]
    _, groups = np.unique(groups[keep], return_inverse=True)
    data = (logp, groups, true)
    lo, hi = np.log(TAU_BOUNDS)
    slope = lambda log_tau: cross_entropy_slope(*data, float(np.exp(log_tau)))  # noqa: E731
    s_lo, s_hi = slope(lo), slope(hi)
    if max(abs(s_lo), abs(s_hi)) < _FLAT:
        return result(1.0, "flat", *data)
    # the slope can underflow to exactly 0 at a bound: only a clear sign change
    # inside the bounds is an interior minimum
    if s_hi <= _FLAT:
        return result(1.0, "separable", *data)
    if s_lo >= -_FLAT:
        return result(1.0, "uninformative", *data)
    log_tau = brentq(slope, lo, hi, xtol=1e-10, rtol=1e-12)
    return result(float(np.exp(log_tau)), "fitted", *data)
