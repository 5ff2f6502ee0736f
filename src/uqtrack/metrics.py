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
    "ece_replicates",
    "sparsification_replicates",
    "mean_sparsification_improvement_replicates",
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


def _as_counts(weights: ArrayLike, n: int) -> NDArray[np.integer]:
    """A (replicates, n) matrix of non-negative whole-number weights, as integers.

    int32 where the whole matrix sums to less than 2**31 (then no prefix sum over
    all its rows overflows; half the memory traffic of int64), else int64.
    """
    w = np.asarray(weights)
    if w.ndim != 2 or w.shape[1] != n:
        raise ValueError(f"weights must have shape (replicates, {n}), got {w.shape}")
    if w.dtype.kind == "f":
        if not np.all(np.isfinite(w)) or np.any(w != np.round(w)):
            raise ValueError("weights must be whole numbers (bootstrap counts)")
    elif w.dtype.kind not in "iub":
        raise ValueError(f"weights must be numeric, got dtype {w.dtype}")
    if w.size and w.min() < 0:
        raise ValueError("weights must be >= 0")
    small = w.size == 0 or w.sum(dtype=np.float64) < 2**31
    return w.astype(np.int32 if small else np.int64, copy=False)


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
# many weightings at once (bootstrap replicates)
# --------------------------------------------------------------------------- #
# A bootstrap replicate weights each prediction by how often it was drawn. The
# functions below take a (replicates, n) matrix of such whole-number weights and
# return what the weighted functions above return for each row, bit for bit: sums
# of whole numbers are exact in any order, and the one sum that is not (weighted
# confidences per ECE bin) is accumulated in the same order as there.


def ece_replicates(
    confidence: ArrayLike,
    correct: ArrayLike,
    weights: ArrayLike,
    n_bins: int = N_BINS,
) -> NDArray[np.float64]:
    """:func:`ece` of each row of a weight matrix, in one pass over the matrix.

    Parameters
    ----------
    confidence : array_like, shape (n,)
        Confidences in [0, 1].
    correct : array_like, shape (n,)
        Whether each prediction is correct (bool or 0/1).
    weights : array_like, shape (r, n)
        Non-negative whole-number weights (e.g. bootstrap counts), one row per
        replicate.
    n_bins : int, default 15
        Number of equal-width bins (see :func:`bin_index`).

    Returns
    -------
    numpy.ndarray, shape (r,)
        ``ece(confidence, correct, n_bins, weights=weights[i])`` for each row
        ``i``, identical to it; ``nan`` for a row of total weight 0.

    Examples
    --------
    >>> ece_replicates([0.9, 0.9, 0.2], [1, 0, 1], [[1, 1, 1], [1, 0, 1], [0, 0, 0]]).round(4).tolist()
    [0.5333, 0.45, nan]
    """
    n_bins = _check_bins(n_bins)
    conf = _as_probability(confidence, "confidence")
    corr = _as_correct(correct, conf.size)
    w = _as_counts(weights, conf.size)
    n_rep = w.shape[0]
    idx = bin_index(conf, n_bins)
    # columns grouped by bin, in table order within a bin (stable sort)
    perm = np.argsort(idx, kind="stable")
    sizes = np.bincount(idx, minlength=n_bins)
    bins = np.flatnonzero(sizes)
    ends = np.cumsum(sizes)[bins]
    starts = ends - sizes[bins]
    w_binned = np.take(w, perm, axis=1)
    corr_binned = corr[perm].astype(w.dtype)
    conf_binned = conf[perm]
    count = np.zeros((n_rep, n_bins))
    sum_conf = np.zeros((n_rep, n_bins))
    sum_corr = np.zeros((n_rep, n_bins))
    for b, lo, hi in zip(bins, starts, ends):
        wb = w_binned[:, lo:hi]
        # whole numbers (no overflow: _as_counts): exact in any order
        count[:, b] = wb.sum(axis=1, dtype=w.dtype)
        sum_corr[:, b] = wb @ corr_binned[lo:hi]
        # reliability's np.bincount adds w * conf one prediction after the other,
        # in table order; a cumulative sum along the row adds them in that order
        sum_conf[:, b] = np.cumsum(wb * conf_binned[lo:hi], axis=1)[:, -1]
    total = count.sum(axis=1)
    occupied = count > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = count / total[:, None] * np.abs(sum_corr / count - sum_conf / count)
    out = np.full(n_rep, np.nan)
    # ece sums the occupied bins' terms as one array of that length; numpy's pairwise
    # sum groups terms by their count, so rows are summed in groups of equal count
    n_occupied = occupied.sum(axis=1)
    for m in np.unique(n_occupied[n_occupied > 0]):
        rows = np.flatnonzero(n_occupied == m)
        out[rows] = terms[rows][occupied[rows]].reshape(len(rows), m).sum(axis=1)
    return out


def sparsification_replicates(
    uncertainty: ArrayLike,
    correct: ArrayLike,
    weights: ArrayLike,
    fractions: ArrayLike = SPARSIFICATION_FRACTIONS,
    order: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """:func:`sparsification` of each row of a weight matrix, sorting once.

    Parameters
    ----------
    uncertainty : array_like, shape (n,)
        Finite uncertainty scores; larger means less certain.
    correct : array_like, shape (n,)
        Whether each prediction is correct (bool or 0/1).
    weights : array_like, shape (r, n)
        Non-negative whole-number weights (e.g. bootstrap counts), one row per
        replicate.
    fractions : array_like, shape (m,), default SPARSIFICATION_FRACTIONS
        Fractions ``q`` in [0, 1] to drop.
    order : array_like of int, shape (n,), optional
        The predictions from most to least uncertain, e.g.
        ``np.argsort(-uncertainty, kind="stable")`` (the default) computed once
        for many calls. Runs of equal uncertainty along it count as blocks by
        their expected accuracy, as in :func:`sparsification`, so any order of
        the ties gives the same curves.

    Returns
    -------
    numpy.ndarray, shape (r, m)
        ``sparsification(uncertainty, correct, fractions, weights=weights[i])``
        in row ``i``, identical to it.

    Examples
    --------
    >>> sparsification_replicates([0.9, 0.1, 0.5, 0.7], [0, 1, 1, 1],
    ...                           [[1, 1, 1, 1], [0, 1, 1, 2]], [0, 0.25, 0.5]).tolist()
    [[0.0, 0.25, 0.25], [0.0, 0.0, 0.0]]
    """
    unc = _as_1d(uncertainty, "uncertainty")
    corr = _as_correct(correct, unc.size)
    q = _as_fractions(fractions)
    w = _as_counts(weights, unc.size)
    n_rep, n = w.shape
    if order is None:
        order = np.argsort(-unc, kind="stable")
    else:
        order = np.asarray(order)
        if (
            order.shape != (n,)
            or order.dtype.kind not in "iu"
            or (n and (order.min() < 0 or order.max() >= n or np.bincount(order, minlength=n).max() > 1))
        ):
            raise ValueError(f"order must be a permutation of 0 .. {n - 1}")
        if np.any(np.diff(unc[order]) > 0):
            raise ValueError("order must run from the most to the least uncertain")
    if n == 0 or n_rep == 0:
        return np.full((n_rep, q.size), np.nan)
    # Blocks of equal uncertainty along the order. Per row, sparsification's "weight
    # dropped before block b" is the prefix sum of the row's weights in that order up
    # to the block's first prediction. All rows' prefix sums come from ONE cumulative
    # sum over the flattened rows (whole numbers, exact), which also increases from
    # row to row, so one searchsorted finds every row's cut. Zero-weight predictions,
    # which sparsification leaves out, change no prefix sum, and the cut still lands
    # in the block it lands in there (the last one that starts at or before it).
    u = unc[order]
    new_block = np.r_[True, u[1:] != u[:-1]]
    block = np.cumsum(new_block) - 1  # block of each position
    first = np.flatnonzero(new_block)
    after_last = np.r_[first[1:], n]  # one past the last position of each block
    w_sorted = np.take(w, order, axis=1)
    cum = np.empty(n_rep * n + 1, dtype=w.dtype)  # cum[i]: flattened weights before i
    cum[0] = 0
    np.cumsum(w_sorted, out=cum[1:])
    row0 = np.arange(n_rep) * n  # flat position of each row's start
    base = cum[row0]
    total = cum[row0 + n] - base
    # The correct weight before a position comes from a second prefix sum over the
    # predictions of the smaller class only (correct or wrong; often a fifth of them).
    c_sorted = corr[order] == 1
    minority_correct = 2 * c_sorted.sum() <= n
    minority = c_sorted if minority_correct else ~c_sorted
    in_minority = np.r_[0, np.cumsum(minority)]  # minority positions before each position
    n_min = int(in_minority[-1])
    cum_m = np.empty(n_rep * n_min + 1, dtype=w.dtype)
    cum_m[0] = 0
    np.cumsum(np.take(w, order[minority], axis=1), out=cum_m[1:])
    row0_m = np.arange(n_rep) * n_min
    base_m = cum_m[row0_m]

    def before(pos):
        """Weight and correct weight of each row's first ``pos`` predictions (whole numbers)."""
        w_before = cum[row0[:, None] + pos] - base[:, None]
        m_before = cum_m[row0_m[:, None] + in_minority[pos]] - base_m[:, None]
        return w_before.astype(float), (m_before if minority_correct else w_before - m_before).astype(float)

    total_c = before(np.full((n_rep, 1), n))[1][:, 0]
    k = np.floor(q * total[:, None] + _COUNT_SLACK)  # weight dropped, per row and q
    found = np.searchsorted(cum, (base[:, None] + k).astype(cum.dtype), side="right")
    # the last position whose weight before it is <= k, then its block
    b = block[np.clip(found - 1 - row0[:, None], 0, n - 1)]
    w0, c0 = before(first[b])
    w1, c1 = before(after_last[b])
    kept = total[:, None] - k
    with np.errstate(invalid="ignore", divide="ignore"):
        # the same expression as _remaining_accuracy's, on the same whole numbers
        kept_correct = (total_c[:, None] - c1) + (c1 - c0) * np.clip(w1 - k, 0, None) / (w1 - w0)
        acc = np.where(kept > 0, kept_correct / kept, np.nan)
        acc_all = np.where(total > 0, total_c / total, np.nan)
    return acc - acc_all[:, None]


def mean_sparsification_improvement_replicates(
    uncertainty: ArrayLike,
    correct: ArrayLike,
    weights: ArrayLike,
    fractions: ArrayLike = SPARSIFICATION_FRACTIONS,
    order: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """:func:`mean_sparsification_improvement` of each row of a weight matrix.

    Parameters are those of :func:`sparsification_replicates`.

    Returns
    -------
    numpy.ndarray, shape (r,)
        The mean over ``q`` of each row's curve, identical to
        ``mean_sparsification_improvement(..., weights=weights[i])``; ``nan`` for
        a row of total weight 0.

    Examples
    --------
    >>> mean_sparsification_improvement_replicates([0.9, 0.1, 0.5, 0.7], [0, 1, 1, 1],
    ...                                            [[1, 1, 1, 1], [0, 0, 0, 0]], [0, 0.25]).tolist()
    [0.125, nan]
    """
    curves = sparsification_replicates(uncertainty, correct, weights, fractions, order)
    return np.ascontiguousarray(curves).mean(axis=1)  # row by row, as np.mean of one curve


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
    return np.bincount(inverse.ravel(), weights=terms, minlength=uniq.size).astype(np.float64)


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
