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

That is the paper-literal fit (``ts_model: paper``). It cannot see the errors that
matter most: for the sample-counting methods (``fpa``, ``as``, ``asf``) a daughter
whose true mother was never sampled has ``P = 0`` there, which no ``tau`` changes,
so it is left out of the fit; a split whose only errors are such daughters looks
error-free ("separable") and every ``P = 1`` stays 1. The default fit
(``ts_model: floor``, :func:`fit_floor`) keeps every daughter of the fit population
and adds a floor whose height is fitted with ``tau``:

    P_cal(c | j) = (1 - eps) * P(c | j)^tau / sum_c' P(c' | j)^tau  +  eps / n_j,

``n_j`` the number of daughter ``j``'s classes. Read as a contamination model: with
probability ``eps`` the tracker's evidence about ``j`` is void and any of its
classes may be the true one. ``eps`` is the rate of confident errors; it bounds
what a single confidently wrong link costs the fit (``-log(eps / n_j)``, not
``tau`` times a cost difference of hundreds), so a handful of errors cannot drive
``T`` to 100. ``tau`` and ``eps`` maximise the log-likelihood of the true classes
plus a prior ``log tau ~ N(0, prior_sd^2)`` that shrinks ``tau`` towards 1 (the
tracker's own probabilities).

How strongly to shrink is the calibration split's own question, answered by
cross-validation (``prior_sd: cv``, the default; :func:`fit_cv`): the split's frame
pairs are cut into contiguous blocks, each block is predicted by the fit on the
others for every candidate ``prior_sd`` in :data:`PRIOR_SDS`, with the floor fitted
or held at 0, and the candidate whose held-out likelihood is highest (ties: the
simpler) is used for the final fit on all daughters. Where a
split's few errors sit in one or two frame pairs, a temperature fitted to them does
not predict the other blocks and the chosen prior keeps ``tau`` near 1; where errors
are plentiful and alike across the movie, the data win and the prior is wide.
Blocks are contiguous, not interleaved, because neighbouring frame pairs share
cells: an interleaved fold would be predicted by its own cells' neighbours.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import brentq, minimize_scalar

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
    cross_entropy_raw: float  # at tau = 1 (eps = 0), over the daughters used; inf if a truth has P = 0
    cross_entropy_fit: float  # at the returned tau (and eps)
    eps: float = 0.0  # height of the floor (``ts_model: floor``); 0 for the paper's fit
    model: str = "paper"  # paper | floor
    zero_truth: int = 0  # daughters of the fit population whose true class has P = 0
    errors: int = 0  # daughters used whose true class is not (alone) the most probable
    prior_sd: float = float("nan")  # of log tau in the floor fit (chosen by cross-validation or given)

    def apply(self, logp: np.ndarray, groups: np.ndarray) -> np.ndarray:
        """The calibrated ``P_cal(c | j)`` of every row (:func:`calibrated`)."""
        return calibrated(logp, groups, self.tau, self.eps)

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


#: Prior standard deviation of ``log tau`` in the floor fit: temperature corrections
#: up to ``e^4 ~ 55``-fold (two sd) are plausible before any data; a few hundred
#: daughters with errors outweigh it (it adds ``(log tau)^2 / 8`` nats to a sum).
PRIOR_SD = 2.0
#: Candidate prior widths for cross-validation (:func:`fit_cv`): from ``tau = 1`` held
#: (0: the floor alone) to :data:`PRIOR_SD` and beyond.
PRIOR_SDS = (0.0, 0.125, 0.25, 0.5, 1.0, 2.0, 4.0)
#: Cross-validation folds: contiguous blocks of calibration frame pairs.
FOLDS = 5
#: One held-out daughter costs the cross-validation score at most ``-log`` of this
#: (a fold fitted without errors has ``eps = 0`` and would score ``-inf`` for every width).
_SCORE_FLOOR = 1e-12
_GRID = np.log(TAU_BOUNDS[1]) * np.arange(-24, 25) / 24  # log tau; index 24 is exactly tau = 1
_EPS_MAX = 0.5  # a floor above this would say the tracker is mostly noise


def calibrated(logp: np.ndarray, groups: np.ndarray, tau: float, eps: float = 0.0) -> np.ndarray:
    """``(1 - eps) P^tau / sum P^tau + eps / n_j`` per row (module docstring).

    With ``eps = 0`` this is :func:`scaled`: the paper's temperature scaling.
    """
    p = scaled(logp, groups, tau)
    if eps == 0.0 or len(p) == 0:
        return p
    sizes = np.bincount(groups)[groups]
    return (1.0 - eps) * p + eps / sizes


def _true_log_q(logp: np.ndarray, groups: np.ndarray, true: np.ndarray, tau: float) -> np.ndarray:
    """Per group, ``log`` of its true class's ``P^tau`` normalised (``-inf`` where P = 0)."""
    logit = tau * logp
    lse = group_log_normaliser(logit, groups)
    return logit[true] - lse[groups[true]]


def _best_eps(q: np.ndarray, s: np.ndarray) -> float:
    """The ``eps`` in ``[0, EPS_MAX]`` maximising ``sum log((1 - eps) q + eps s)`` (concave)."""

    def slope(eps: float) -> float:  # d/d eps of the log-likelihood, decreasing in eps
        with np.errstate(divide="ignore"):
            return float(((s - q) / ((1.0 - eps) * q + eps * s)).sum())

    lo = 1e-15
    if slope(lo) <= 0.0:
        return 0.0
    if slope(_EPS_MAX) >= 0.0:
        return _EPS_MAX
    return float(brentq(slope, lo, _EPS_MAX, xtol=1e-15, rtol=1e-12))


@dataclass(frozen=True)
class _Population:
    """The daughters a floor fit can use, renumbered ``0..used-1`` (:func:`fit_floor`)."""

    logp: np.ndarray
    groups: np.ndarray
    true: np.ndarray
    keep: np.ndarray  # over the caller's rows
    n_groups: int  # daughters given
    used: int  # daughters kept
    zero_truth: int
    errors: int

    @classmethod
    def of(cls, logp: np.ndarray, groups: np.ndarray, true: np.ndarray) -> _Population:
        n_groups = int(groups.max()) + 1 if len(groups) else 0
        sizes = np.bincount(groups, minlength=n_groups)
        has_true = np.bincount(groups[true], minlength=n_groups) > 0
        keep = ((sizes >= 2) & has_true)[groups] if n_groups else np.zeros(0, bool)
        logp, true = logp[keep], true[keep]
        _, groups = np.unique(groups[keep], return_inverse=True)
        used = int(groups.max()) + 1 if len(groups) else 0
        errors = 0
        if used:
            top = np.full(used, -np.inf)
            np.maximum.at(top, groups, logp)
            n_top = np.bincount(groups, weights=(logp == top[groups]).astype(float), minlength=used)
            true_lp = logp[true]
            errors = int(((true_lp < top) | (n_top > 1) | ~np.isfinite(true_lp)).sum())
        return cls(logp, groups, true, keep, n_groups, used, int((~np.isfinite(logp[true])).sum()), errors)

    @property
    def s_true(self) -> np.ndarray:
        """What the floor gives each daughter's true class: ``1 / n_j``."""
        return 1.0 / np.bincount(self.groups)

    def true_q(self, log_tau: float) -> np.ndarray:
        """Per daughter, its true class's ``P^tau`` normalised."""
        with np.errstate(divide="ignore"):
            return np.exp(_true_log_q(self.logp, self.groups, self.true, float(np.exp(log_tau))))


def _log_lik(q: np.ndarray, s: np.ndarray, eps: float) -> float:
    with np.errstate(divide="ignore"):
        return float(np.log((1.0 - eps) * q + eps * s).sum())


def fit_floor(
    logp: np.ndarray, groups: np.ndarray, true: np.ndarray, prior_sd: float = PRIOR_SD,
    eps: float | None = None,
) -> TemperatureFit:
    """Fit ``tau`` and the floor ``eps`` on every daughter (module docstring).

    Parameters
    ----------
    logp : (n,) ndarray
        Log-probability of every class row (``-inf``: a class never sampled).
    groups : (n,) ndarray of int
        Each row's daughter (consecutive ids).
    true : (n,) ndarray of bool
        Is the row its daughter's true class?
    prior_sd : float
        Standard deviation of the prior on ``log tau`` (:data:`PRIOR_SD`); 0 holds
        ``tau = 1`` and fits the floor alone.
    eps : float, optional
        Hold the floor at this height and fit ``tau`` alone (the sensitivity study of
        ``benchmarks/floor_sensitivity.py``); default: fitted.

    Returns
    -------
    TemperatureFit
        ``model = "floor"``. Daughters with a single class, or whose true mother is
        not among their classes, cannot inform the fit and are left out; every
        other daughter counts, whatever probability its true class got. A
        population with no error (every true class the unique most probable one)
        cannot say how confident to be: ``separable``, raw kept (``tau = 1, eps = 0``).
    """
    return _fit_population(_Population.of(logp, groups, true), prior_sd, eps)


def _fit_population(pop: _Population, prior_sd: float, eps: float | None = None) -> TemperatureFit:
    def result(tau, eps, status, ce_fit=np.nan, ce_raw=np.nan) -> TemperatureFit:
        return TemperatureFit(float(tau), status, pop.n_groups, pop.used, float(ce_raw), float(ce_fit),
                              eps=float(eps), model="floor", zero_truth=pop.zero_truth,
                              errors=pop.errors, prior_sd=float(prior_sd))

    if pop.used == 0:
        return result(1.0, 0.0, "no_data")
    ce_raw = -_log_lik(pop.true_q(0.0), pop.s_true, 0.0) / pop.used
    if pop.errors == 0:
        return result(1.0, 0.0, "separable", ce_raw, ce_raw)
    s_true = pop.s_true

    def profile(log_tau: float) -> tuple[float, float]:
        """``(negative log-posterior, eps)`` at ``tau = exp(log_tau)``, eps at its best."""
        q = pop.true_q(log_tau)
        e = _best_eps(q, s_true) if eps is None else eps
        return -_log_lik(q, s_true, e) + _log_prior(log_tau, prior_sd), e

    if prior_sd == 0.0:
        log_tau = 0.0
    else:  # the profile need not be unimodal: bracket on the grid, then refine
        values = [profile(x)[0] for x in _GRID]
        best = int(np.argmin(values))
        a, b = _GRID[max(best - 1, 0)], _GRID[min(best + 1, len(_GRID) - 1)]
        opt = minimize_scalar(lambda x: profile(x)[0], bounds=(a, b), method="bounded",
                              options={"xatol": 1e-8})
        log_tau = float(opt.x) if opt.fun <= values[best] else float(_GRID[best])
    _, e = profile(log_tau)
    ce_fit = -_log_lik(pop.true_q(log_tau), s_true, e) / pop.used
    return result(np.exp(log_tau), e, "fitted", ce_fit, ce_raw)


def _log_prior(log_tau: float | np.ndarray, prior_sd: float):
    """Negative log-density of ``log tau ~ N(0, prior_sd^2)`` up to a constant (0 sd: tau = 1)."""
    if prior_sd == 0.0:
        return np.where(np.asarray(log_tau) == 0.0, 0.0, np.inf)
    return np.asarray(log_tau) ** 2 / (2 * prior_sd**2)


def fit_cv(
    logp: np.ndarray, groups: np.ndarray, true: np.ndarray, blocks: np.ndarray,
    sds: tuple[float, ...] = PRIOR_SDS, folds: int = FOLDS,
) -> TemperatureFit:
    """:func:`fit_floor` with ``prior_sd`` chosen by cross-validation over ``blocks``.

    Parameters
    ----------
    logp, groups, true : ndarray
        As for :func:`fit_floor`.
    blocks : (n,) ndarray of int
        Each row's frame pair, in time order (all rows of a daughter share it).
    sds : tuple of float
        Candidate prior widths (:data:`PRIOR_SDS`).
    folds : int
        At most this many contiguous folds of frame pairs.

    Returns
    -------
    TemperatureFit
        The fit on all daughters with the width whose folds, each predicted by the
        fit on the others (``tau`` on :data:`_GRID`, ``eps`` at its best), had the
        highest held-out log-likelihood (each daughter's term bounded below by
        ``log`` :data:`_SCORE_FLOOR`); ties go to the narrower prior. With fewer
        than two frame pairs, or no error, nothing can be cross-validated:
        :data:`PRIOR_SD`.
    """
    pop = _Population.of(logp, groups, true)
    if pop.used == 0 or pop.errors == 0:
        return _fit_population(pop, PRIOR_SD)
    # each kept daughter's block, then its fold: contiguous runs of frame pairs
    block = np.zeros(pop.used, np.int64)
    block[pop.groups] = blocks[pop.keep]
    order = np.unique(block, return_inverse=True)[1]
    n_blocks = int(order.max()) + 1
    k = min(folds, n_blocks)
    if k < 2:
        return _fit_population(pop, PRIOR_SD)
    fold = order * k // n_blocks
    s = pop.s_true
    q = np.stack([pop.true_q(x) for x in _GRID])  # (grid, daughters), shared by every fold
    candidates = [(sd, floor) for floor in (False, True) for sd in sds]  # simplest first
    score = np.zeros(len(candidates))
    for f in range(k):
        train, test = fold != f, fold == f
        for floor in (False, True):
            eps = [_best_eps(row[train], s[train]) if floor else 0.0 for row in q]
            nll = np.array([-_log_lik(row[train], s[train], e) for row, e in zip(q, eps, strict=True)])
            for i, (sd, fl) in enumerate(candidates):
                if fl != floor:
                    continue
                if not np.isfinite(nll).any():  # no floor, and a training truth at P = 0
                    score[i] = -np.inf
                    continue
                g = int(np.argmin(nll + _log_prior(_GRID, sd)))
                held = (1.0 - eps[g]) * q[g, test] + eps[g] * s[test]
                score[i] += np.log(np.maximum(held, _SCORE_FLOOR)).sum()
    best = int(np.flatnonzero(score >= score.max() - 1e-9)[0])  # ties -> the simpler candidate
    sd, floor = candidates[best]
    return _fit_population(pop, sd, None if floor else 0.0)


#: How the temperature is fitted (config key ``ts_model``).
MODELS = ("floor", "paper")


def fit(
    logp: np.ndarray, groups: np.ndarray, true: np.ndarray, model: str = "floor",
    prior_sd: float | str = "cv", blocks: np.ndarray | None = None,
) -> TemperatureFit:
    """The calibration of ``model``: :func:`fit_floor` or the paper's :func:`fit_temperature`.

    ``prior_sd="cv"`` chooses the floor fit's prior by cross-validation over
    ``blocks`` (each row's frame pair, :func:`fit_cv`).
    """
    if model == "floor" and prior_sd == "cv":
        if blocks is None:
            raise ValueError("prior_sd 'cv' needs each row's frame pair (blocks)")
        return fit_cv(logp, groups, true, blocks)
    if model == "floor":
        return fit_floor(logp, groups, true, float(prior_sd))
    if model == "paper":
        out = fit_temperature(logp, groups, true)
        n_groups = int(groups.max()) + 1 if len(groups) else 0
        zero = int((true & ~np.isfinite(logp)).sum()) if n_groups else 0
        return TemperatureFit(**{**asdict(out), "zero_truth": zero})
    raise ValueError(f"unknown ts_model {model!r}; known: {', '.join(MODELS)}")
