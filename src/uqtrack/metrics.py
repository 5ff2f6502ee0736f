"""Calibration and usefulness-of-uncertainty metrics for predicted links.

Every predicted mother-daughter link has a confidence ``p`` in [0, 1] (e.g.
``P_{i|j}``) and a flag saying whether it is correct. This module measures

* calibration: the expected calibration error (ECE) with 15 equal-width bins
  (Guo et al., "On Calibration of Modern Neural Networks", ICML 2017) and the
  data of a reliability diagram;
* usefulness of an uncertainty score (e.g. ``1 - P_{i|j}`` or the entropy
  ``H_j``): sparsification curves (drop the most uncertain fraction ``q`` of the
  predictions; accuracy of the rest minus accuracy of all), their mean (Paul et
  al., ICCV 2025, Fig. 6 "mean accuracy improvement"), the oracle curve and the
  area between sparsification error and oracle error (AUSE).

All functions are pure numpy. Bad input raises :class:`ValueError`; empty input
gives ``nan`` (scalars) or an all-``nan`` curve rather than an error, so that a
step with no predicted links does not stop a whole evaluation.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "N_BINS",
    "SPARSIFICATION_FRACTIONS",
    "bin_index",
    "reliability",
    "ece",
    "sparsification",
    "oracle_sparsification",
    "sparsification_error",
    "ause",
    "mean_sparsification_improvement",
    "entropy",
]

#: Number of equal-width confidence bins for ECE (Guo et al. 2017).
N_BINS: int = 15

#: Fractions q = 0, 0.05, ..., 0.95 of the most uncertain predictions to drop.
SPARSIFICATION_FRACTIONS: NDArray[np.float64] = np.round(np.arange(0, 0.951, 0.05), 2)

# Slack for values that should lie in [0, 1] but come out of float arithmetic
# a hair outside it (e.g. a softmax summing to 1 + 1e-16).
_PROB_SLACK = 1e-9
# Slack for floor(q * n): 0.29 * 100 is 28.999999999999996 in floating point.
_COUNT_SLACK = 1e-9


# --------------------------------------------------------------------------- #
# validation helpers
# --------------------------------------------------------------------------- #
def _as_1d(values: ArrayLike, name: str) -> NDArray[np.float64]:
    """A finite 1-d float array, or ValueError."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric, got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (found nan or inf)")
    return arr


def _as_probability(values: ArrayLike, name: str) -> NDArray[np.float64]:
    """A 1-d array within [0, 1] (tiny float slack allowed, then clipped)."""
    arr = _as_1d(values, name)
    if arr.size and (arr.min() < -_PROB_SLACK or arr.max() > 1 + _PROB_SLACK):
        raise ValueError(
            f"{name} must lie in [0, 1], found values in [{arr.min()}, {arr.max()}]"
        )
    return np.clip(arr, 0.0, 1.0)


def _as_correct(values: ArrayLike, n: int) -> NDArray[np.float64]:
    """Correctness flags (bool or 0/1) of length ``n`` as a float array of 0/1."""
    arr = _as_1d(values, "correct")
    if arr.size != n:
        raise ValueError(f"correct has length {arr.size}, expected {n}")
    if not np.all((arr == 0) | (arr == 1)):
        raise ValueError("correct must contain only 0/1 or False/True")
    return arr


def _as_weights(weights: ArrayLike | None, n: int) -> NDArray[np.float64]:
    """Non-negative finite weights of length ``n`` (default: ones)."""
    if weights is None:
        return np.ones(n)
    w = _as_1d(weights, "weights")
    if w.size != n:
        raise ValueError(f"weights has length {w.size}, expected {n}")
    if w.size and w.min() < 0:
        raise ValueError("weights must be >= 0")
    return w


def _as_fractions(fractions: ArrayLike) -> NDArray[np.float64]:
    """Fractions q to drop, each within [0, 1]."""
    q = _as_1d(fractions, "fractions")
    if q.size == 0:
        raise ValueError("fractions must not be empty")
    if q.min() < 0 or q.max() > 1:
        raise ValueError("fractions must lie in [0, 1]")
    return q


def _check_bins(n_bins: int) -> int:
    is_int = isinstance(n_bins, (int, np.integer)) and not isinstance(n_bins, bool)
    if not is_int or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    return int(n_bins)


# --------------------------------------------------------------------------- #
# calibration
# --------------------------------------------------------------------------- #
def bin_index(confidence: ArrayLike, n_bins: int = N_BINS) -> NDArray[np.intp]:
    """Equal-width confidence bin of each prediction (Guo et al. 2017).

    Bin ``b`` (0-based) holds confidences in ``(b/M, (b+1)/M]`` with ``M = n_bins``;
    a confidence of exactly 0 goes to the first bin, 1 to the last. The edges are
    the floats ``b / M``, so e.g. ``1/15`` lands in bin 0.

    Parameters
    ----------
    confidence : array_like, shape (n,)
        Confidences in [0, 1].
    n_bins : int, default 15
        Number of bins ``M``.

    Returns
    -------
    numpy.ndarray of int, shape (n,)
        Bin indices in ``0 .. n_bins - 1``.

    Raises
    ------
    ValueError
        If ``confidence`` is not finite, not 1-d or outside [0, 1].

    Examples
    --------
    >>> bin_index([0.0, 1 / 15, 0.5, 1.0]).tolist()
    [0, 0, 7, 14]
    """
    n_bins = _check_bins(n_bins)
    conf = _as_probability(confidence, "confidence")
    edges = np.arange(n_bins + 1) / n_bins  # edges[b] is exactly the float b / M
    # side="left": edges[i-1] < c <= edges[i]  ->  bin i - 1 (right-closed bins)
    idx = np.searchsorted(edges, conf, side="left") - 1
    return np.clip(idx, 0, n_bins - 1).astype(np.intp)


def reliability(
    confidence: ArrayLike,
    correct: ArrayLike,
    n_bins: int = N_BINS,
    weights: ArrayLike | None = None,
) -> dict[str, NDArray]:
    """Per-bin data of a reliability diagram.

    Parameters
    ----------
    confidence : array_like, shape (n,)
        Confidences in [0, 1].
    correct : array_like, shape (n,)
        Whether each prediction is correct (bool or 0/1).
    n_bins : int, default 15
        Number of equal-width bins (see :func:`bin_index`).
    weights : array_like, shape (n,), optional
        Non-negative weight of each prediction (e.g. how often a bootstrap
        replicate drew it); default 1 each.

    Returns
    -------
    dict of str to numpy.ndarray, each of shape (n_bins,)
        ``lower``, ``upper``: bin edges; ``count``: predictions per bin (their
        total weight; int when unweighted);
        ``mean_confidence`` and ``accuracy``: mean confidence and fraction
        correct in the bin, ``nan`` for an empty bin.

    Examples
    --------
    >>> r = reliability([0.9, 0.9, 0.2], [1, 0, 1], n_bins=5)
    >>> r["count"].tolist()
    [1, 0, 0, 0, 2]
    >>> r["accuracy"][[0, 4]].tolist()
    [1.0, 0.5]
    """
    n_bins = _check_bins(n_bins)
    conf = _as_probability(confidence, "confidence")
    corr = _as_correct(correct, conf.size)
    idx = bin_index(conf, n_bins)
    w = _as_weights(weights, conf.size)

    count = np.bincount(idx, weights=w, minlength=n_bins)
    sum_conf = np.bincount(idx, weights=conf * w, minlength=n_bins)
    sum_corr = np.bincount(idx, weights=corr * w, minlength=n_bins)
    occupied = count > 0
    mean_conf = np.full(n_bins, np.nan)
    acc = np.full(n_bins, np.nan)
    mean_conf[occupied] = sum_conf[occupied] / count[occupied]
    acc[occupied] = sum_corr[occupied] / count[occupied]

    edges = np.arange(n_bins + 1) / n_bins
    return {
        "lower": edges[:-1],
        "upper": edges[1:],
        "count": count.astype(np.int64) if weights is None else count,
        "mean_confidence": mean_conf,
        "accuracy": acc,
    }


def ece(
    confidence: ArrayLike,
    correct: ArrayLike,
    n_bins: int = N_BINS,
    weights: ArrayLike | None = None,
) -> float:
    """Expected calibration error, ``sum_b |B_b|/n * |acc_b - conf_b|``.

    Parameters
    ----------
    confidence : array_like, shape (n,)
        Confidences in [0, 1].
    correct : array_like, shape (n,)
        Whether each prediction is correct (bool or 0/1).
    n_bins : int, default 15
        Number of equal-width bins (see :func:`bin_index`).
    weights : array_like, shape (n,), optional
        Non-negative weight of each prediction; default 1 each.

    Returns
    -------
    float
        The ECE in [0, 1]; ``nan`` when there are no predictions.

    Examples
    --------
    >>> round(ece([0.9, 0.9, 0.9, 0.9, 0.2, 0.2], [1, 1, 1, 0, 0, 1]), 12)
    0.2
    >>> ece([1.0, 1.0], [True, True])
    0.0
    """
    r = reliability(confidence, correct, n_bins, weights)
    n = r["count"].sum()
    if n == 0:
        return float("nan")
    occ = r["count"] > 0  # empty bins contribute nothing (and hold nan)
    gaps = np.abs(r["accuracy"][occ] - r["mean_confidence"][occ])
    return float(np.sum(r["count"][occ] / n * gaps))


# --------------------------------------------------------------------------- #
# sparsification
# --------------------------------------------------------------------------- #
def _remaining_accuracy(
    uncertainty: ArrayLike,
    correct: ArrayLike,
    fractions: ArrayLike,
    weights: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Accuracy of what is left after dropping the floor(q*n) most uncertain.

    With weights, a prediction of weight ``w`` counts as ``w`` copies of itself
    (``n`` is the total weight).
    """
    unc = _as_1d(uncertainty, "uncertainty")
    corr = _as_correct(correct, unc.size)
    q = _as_fractions(fractions)
    w = _as_weights(weights, unc.size)
    if weights is not None:
        unc, corr, w = unc[w > 0], corr[w > 0], w[w > 0]
    n = w.sum()
    if n == 0:
        return np.full(q.size, np.nan)
    # Most uncertain first. Ties are broken neither by position nor by luck: a block
    # of equal uncertainty that straddles the cut counts by its expected accuracy,
    # as if ties were dropped in uniformly random order. (Dropping them in table
    # order would bias the curve wherever order correlates with correctness, e.g.
    # by frame, and sampling methods give many links the same probability 1.)
    order = np.argsort(-unc, kind="stable")
    u, c, w = unc[order], corr[order], w[order]
    starts = np.flatnonzero(np.r_[True, u[1:] != u[:-1]])
    block_w = np.add.reduceat(w, starts)
    block_c = np.add.reduceat(c * w, starts)
    before = np.concatenate([[0.0], np.cumsum(block_w)])  # weight dropped before block b
    after_c = np.concatenate([np.cumsum(block_c[::-1])[::-1], [0.0]])  # correct in blocks b..
    k = np.floor(q * n + _COUNT_SLACK)  # weight dropped
    b = np.clip(np.searchsorted(before, k, side="right") - 1, 0, len(starts) - 1)
    kept_correct = after_c[b + 1] + block_c[b] * np.clip(before[b + 1] - k, 0, None) / block_w[b]
    kept = n - k
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = kept_correct / kept  # q = 1 keeps nothing -> nan
    return np.where(kept > 0, acc, np.nan)


def sparsification(
    uncertainty: ArrayLike,
    correct: ArrayLike,
    fractions: ArrayLike = SPARSIFICATION_FRACTIONS,
    weights: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Sparsification curve: accuracy gain from dropping the most uncertain.

    For each fraction ``q`` the ``floor(q * n)`` most uncertain predictions are
    dropped and the value is the accuracy of the rest minus the accuracy of
    all predictions, so the value at ``q = 0`` is 0. Where the cut falls inside
    a block of equal uncertainty, that block counts by its expected accuracy
    (ties dropped in uniformly random order), so ties favour nothing.

    Parameters
    ----------
    uncertainty : array_like, shape (n,)
        Finite uncertainty scores; larger means less certain (e.g. ``1 - p``
        or an entropy).
    correct : array_like, shape (n,)
        Whether each prediction is correct (bool or 0/1).
    fractions : array_like, shape (m,), default SPARSIFICATION_FRACTIONS
        Fractions ``q`` in [0, 1] to drop.
    weights : array_like, shape (n,), optional
        Non-negative weight of each prediction (``w`` copies of it); default 1.

    Returns
    -------
    numpy.ndarray, shape (m,)
        Accuracy improvement per ``q``; all ``nan`` when ``n == 0``, and ``nan``
        where nothing is left (``q = 1``).

    Examples
    --------
    >>> sparsification([0.9, 0.1, 0.5, 0.7], [0, 1, 1, 1], [0, 0.25, 0.5]).tolist()
    [0.0, 0.25, 0.25]
    """
    acc = _remaining_accuracy(uncertainty, correct, fractions, weights)
    corr = np.asarray(correct, dtype=np.float64)
    w = _as_weights(weights, corr.size)
    acc_all = (corr * w).sum() / w.sum() if w.sum() > 0 else np.nan
    return acc - acc_all


def oracle_sparsification(
    correct: ArrayLike, fractions: ArrayLike = SPARSIFICATION_FRACTIONS
) -> NDArray[np.float64]:
    """Oracle sparsification curve: incorrect predictions are dropped first.

    This is the best curve any uncertainty score can reach.

    Parameters
    ----------
    correct : array_like, shape (n,)
        Whether each prediction is correct (bool or 0/1).
    fractions : array_like, shape (m,), default SPARSIFICATION_FRACTIONS
        Fractions ``q`` in [0, 1] to drop.

    Returns
    -------
    numpy.ndarray, shape (m,)
        Accuracy improvement per ``q`` (see :func:`sparsification`).

    Examples
    --------
    >>> oracle_sparsification([0, 1, 1, 1], [0, 0.25, 0.5]).tolist()
    [0.0, 0.25, 0.25]
    """
    corr = _as_1d(correct, "correct")
    return sparsification(1.0 - corr, corr, fractions)


def sparsification_error(
    uncertainty: ArrayLike,
    correct: ArrayLike,
    fractions: ArrayLike = SPARSIFICATION_FRACTIONS,
) -> NDArray[np.float64]:
    """Error (1 - accuracy) of the predictions left after dropping the most uncertain.

    Parameters
    ----------
    uncertainty : array_like, shape (n,)
        Finite uncertainty scores; larger means less certain.
    correct : array_like, shape (n,)
        Whether each prediction is correct (bool or 0/1).
    fractions : array_like, shape (m,), default SPARSIFICATION_FRACTIONS
        Fractions ``q`` in [0, 1] to drop.

    Returns
    -------
    numpy.ndarray, shape (m,)
        Error of the rest per ``q``; all ``nan`` when ``n == 0``.

    Examples
    --------
    >>> sparsification_error([0.9, 0.1, 0.5, 0.7], [0, 1, 1, 1], [0, 0.25]).tolist()
    [0.25, 0.0]
    """
    return 1.0 - _remaining_accuracy(uncertainty, correct, fractions)


def ause(
    uncertainty: ArrayLike,
    correct: ArrayLike,
    fractions: ArrayLike = SPARSIFICATION_FRACTIONS,
) -> float:
    """Area between the sparsification error curve and the oracle error curve.

    The gap ``error(q) - oracle_error(q)`` is integrated over ``q`` with the
    trapezoid rule and divided by ``fractions[-1] - fractions[0]``, so the
    result is the mean gap (0 for a perfect uncertainty score).

    Parameters
    ----------
    uncertainty : array_like, shape (n,)
        Finite uncertainty scores; larger means less certain.
    correct : array_like, shape (n,)
        Whether each prediction is correct (bool or 0/1).
    fractions : array_like, shape (m,), default SPARSIFICATION_FRACTIONS
        At least two strictly increasing fractions in [0, 1].

    Returns
    -------
    float
        The AUSE; ``nan`` when ``n == 0`` (or when a fraction leaves nothing).

    Examples
    --------
    >>> ause([0.9, 0.8, 0.2, 0.1], [1, 0, 1, 0], [0, 0.5])
    0.25
    """
    q = _as_fractions(fractions)
    if q.size < 2 or np.any(np.diff(q) <= 0):
        raise ValueError("fractions must be at least two strictly increasing values")
    corr = _as_1d(correct, "correct")
    gap = sparsification_error(uncertainty, corr, q) - sparsification_error(
        1.0 - corr, corr, q
    )
    if corr.size == 0:
        return float("nan")
    return float(np.trapezoid(gap, q) / (q[-1] - q[0]))


def mean_sparsification_improvement(
    uncertainty: ArrayLike,
    correct: ArrayLike,
    fractions: ArrayLike = SPARSIFICATION_FRACTIONS,
    weights: ArrayLike | None = None,
) -> float:
    """Mean over ``q`` of :func:`sparsification` (Paul et al. 2025, Fig. 6).

    Parameters
    ----------
    uncertainty : array_like, shape (n,)
        Finite uncertainty scores; larger means less certain.
    correct : array_like, shape (n,)
        Whether each prediction is correct (bool or 0/1).
    fractions : array_like, shape (m,), default SPARSIFICATION_FRACTIONS
        Fractions ``q`` in [0, 1] to drop.
    weights : array_like, shape (n,), optional
        Non-negative weight of each prediction; default 1 each.

    Returns
    -------
    float
        Mean accuracy improvement; ``nan`` when ``n == 0``.

    Examples
    --------
    >>> mean_sparsification_improvement([0.9, 0.1, 0.5, 0.7], [0, 1, 1, 1], [0, 0.25])
    0.125
    """
    return float(np.mean(sparsification(uncertainty, correct, fractions, weights)))


# --------------------------------------------------------------------------- #
# entropy
# --------------------------------------------------------------------------- #
def entropy(probabilities: ArrayLike, groups: ArrayLike) -> NDArray[np.float64]:
    """Entropy (nats) of each group's class distribution, ``-sum p log p``.

    ``probabilities`` is flat; ``groups`` names the group (e.g. the daughter
    ``j``) of each entry, so the entries of one group are its distribution (e.g.
    ``P_{i|j}`` over candidate mothers ``i``). The probabilities are used as
    given, not renormalised; ``0 * log 0`` is taken as 0.

    Parameters
    ----------
    probabilities : array_like, shape (n,)
        Probabilities in [0, 1].
    groups : array_like of int, shape (n,)
        Group label of each entry, in any order.

    Returns
    -------
    numpy.ndarray, shape (g,)
        One entropy per unique group, in sorted group order (that of
        ``numpy.unique(groups)``); empty for empty input.

    Examples
    --------
    >>> entropy([0.5, 1.0, 0.5, 0.0], [7, 3, 7, 3]).round(4).tolist()  # groups 3, 7
    [0.0, 0.6931]
    """
    p = _as_probability(probabilities, "probabilities")
    g = np.asarray(groups)
    if g.ndim != 1 or g.size != p.size:
        raise ValueError(
            f"groups must be 1-d with the length of probabilities ({p.size}), "
            f"got shape {g.shape}"
        )
    if g.size and g.dtype.kind not in "iu":
        raise ValueError(f"groups must be integers, got dtype {g.dtype}")
    uniq, inverse = np.unique(g, return_inverse=True)
    # -p log p, with 0 log 0 = 0 (log of 1 where p == 0 avoids a warning)
    terms = -p * np.log(np.where(p > 0, p, 1.0))
    return np.bincount(inverse.ravel(), weights=terms, minlength=uniq.size)


def tie_broken(uncertainty: ArrayLike, tiebreak: ArrayLike) -> NDArray[np.float64]:
    """Ranks of ``uncertainty`` (0 = most certain) with its ties broken by ``tiebreak``.

    Sparsification drops the most uncertain links first; where many links share one
    uncertainty (all ``P = 1`` links of a sampling method) the order among them would
    otherwise be the rows'. The secondary key (larger = less certain) decides, then
    the row order. The ranks carry the same order as the pair of keys and no ties,
    so they can stand in for the uncertainty in every sparsification function.
    """
    u = _as_1d(uncertainty, "uncertainty")
    t = _as_1d(tiebreak, "tiebreak")
    if len(u) != len(t):
        raise ValueError(f"uncertainty and tiebreak differ in length ({len(u)} vs {len(t)})")
    ranks = np.empty(len(u))
    ranks[np.lexsort((t, u))] = np.arange(len(u), dtype=float)
    return ranks
