"""Tests of uqtrack.metrics against hand-computed values."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

from uqtrack import metrics
from uqtrack.metrics import (
    N_BINS,
    SPARSIFICATION_FRACTIONS,
    ause,
    bin_index,
    ece,
    entropy,
    mean_sparsification_improvement,
    oracle_sparsification,
    reliability,
    sparsification,
    sparsification_error,
)


def test_docstring_examples() -> None:
    result = doctest.testmod(metrics)
    assert result.attempted > 0 and result.failed == 0


def test_constants() -> None:
    assert N_BINS == 15
    assert SPARSIFICATION_FRACTIONS.tolist() == [round(0.05 * i, 2) for i in range(20)]


# --------------------------------------------------------------------------- #
# binning and ECE
# --------------------------------------------------------------------------- #
def test_bin_edges() -> None:
    # bins are (b/15, (b+1)/15]; 0 joins bin 0, 1 is the top of bin 14
    conf = [0.0, 1 / 15, 1 / 15 + 1e-12, 2 / 15, 0.2, 0.5, 14 / 15, 1.0]
    assert bin_index(conf).tolist() == [0, 0, 1, 1, 2, 7, 13, 14]
    # every edge b/15 belongs to the bin below it
    edges = np.arange(1, 16) / 15
    assert bin_index(edges).tolist() == list(range(15))


def test_bin_index_float_slack() -> None:
    # a hair outside [0, 1] from float arithmetic is clipped, not rejected
    assert bin_index([-1e-12, 1 + 1e-12]).tolist() == [0, 14]


def test_ece_by_hand() -> None:
    # conf 0.9 -> bin 13: 4 predictions, acc 3/4, |0.75 - 0.9| = 0.15, weight 4/6
    # conf 0.2 -> bin 2 (0.2 = 3/15 is its upper edge): acc 1/2, |0.5 - 0.2| = 0.3, weight 2/6
    # ECE = 4/6 * 0.15 + 2/6 * 0.3 = 0.1 + 0.1 = 0.2
    conf = [0.9, 0.9, 0.9, 0.9, 0.2, 0.2]
    correct = [1, 1, 1, 0, 0, 1]
    assert ece(conf, correct) == pytest.approx(0.2, abs=1e-12)


def test_ece_three_bins_by_hand() -> None:
    # bin 14: conf 1.0, 0.95 -> mean 0.975, acc 1/2 -> gap 0.475, weight 2/5
    # bin  7: conf 0.5       -> mean 0.5,   acc 1   -> gap 0.5,   weight 1/5
    # bin  0: conf 0.0, 0.05 -> mean 0.025, acc 0   -> gap 0.025, weight 2/5
    # ECE = 0.4 * 0.475 + 0.2 * 0.5 + 0.4 * 0.025 = 0.19 + 0.1 + 0.01 = 0.3
    conf = [1.0, 0.95, 0.5, 0.0, 0.05]
    correct = [True, False, True, False, False]
    assert ece(conf, correct) == pytest.approx(0.3, abs=1e-12)


def test_ece_perfect_calibration() -> None:
    # bin of 0.75 (bin 11): acc 3/4 = 0.75; bin of 0.5 (bin 7): acc 1/2 = 0.5 -> ECE 0
    conf = [0.75, 0.75, 0.75, 0.75, 0.5, 0.5]
    correct = [1, 1, 1, 0, 1, 0]
    assert ece(conf, correct) == pytest.approx(0.0, abs=1e-15)


def test_ece_all_correct_confident() -> None:
    assert ece(np.ones(10), np.ones(10, dtype=bool)) == 0.0


def _ece_loop(conf: np.ndarray, correct: np.ndarray, n_bins: int) -> float:
    """Straightforward reference: loop over bins, compare against the edges."""
    n = len(conf)
    total = 0.0
    for b in range(n_bins):
        lo, hi = b / n_bins, (b + 1) / n_bins
        members = [
            i for i in range(n) if (lo < conf[i] <= hi) or (b == 0 and conf[i] == 0.0)
        ]
        if not members:
            continue
        acc = sum(correct[i] for i in members) / len(members)
        mean_conf = sum(conf[i] for i in members) / len(members)
        total += len(members) / n * abs(acc - mean_conf)
    return total


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n_bins", [1, 10, 15])
def test_ece_matches_loop(seed: int, n_bins: int) -> None:
    rng = np.random.default_rng(seed)
    # continuous confidences plus values exactly on the bin edges
    conf = np.concatenate(
        [rng.random(200), rng.integers(0, n_bins + 1, 50) / n_bins, [0.0, 1.0]]
    )
    correct = rng.random(conf.size) < conf  # roughly calibrated
    assert ece(conf, correct, n_bins) == pytest.approx(
        _ece_loop(conf, correct, n_bins), abs=1e-12
    )


def test_reliability_contents() -> None:
    conf = [0.9, 0.9, 0.9, 0.9, 0.2, 0.2]
    correct = [1, 1, 1, 0, 0, 1]
    r = reliability(conf, correct)
    assert set(r) == {"lower", "upper", "count", "mean_confidence", "accuracy"}
    assert all(v.shape == (15,) for v in r.values())
    np.testing.assert_allclose(r["lower"], np.arange(15) / 15)
    np.testing.assert_allclose(r["upper"], np.arange(1, 16) / 15)
    assert r["count"].sum() == 6
    assert r["count"][13] == 4 and r["count"][2] == 2
    assert r["accuracy"][13] == 0.75 and r["accuracy"][2] == 0.5
    assert r["mean_confidence"][13] == pytest.approx(0.9)
    empty = r["count"] == 0
    assert np.isnan(r["accuracy"][empty]).all()
    assert np.isnan(r["mean_confidence"][empty]).all()


# --------------------------------------------------------------------------- #
# sparsification
# --------------------------------------------------------------------------- #
# 5 predictions; by descending uncertainty the order is idx 0, 3, 2, 4, 1 with
# correctness 0, 1, 0, 1, 1. Accuracy of all = 3/5 = 0.6.
UNC5 = [0.9, 0.1, 0.5, 0.7, 0.3]
COR5 = [0, 1, 0, 1, 1]
Q5 = [0.0, 0.2, 0.3, 0.4, 0.6, 0.8]  # floor(q * 5) = 0, 1, 1, 2, 3, 4


def test_sparsification_by_hand() -> None:
    # k=0: 3/5 - 0.6 = 0
    # k=1: drop idx0 (wrong)  -> rest 1,0,1,1 = 3/4 -> 0.15   (also q = 0.3: floor(1.5) = 1)
    # k=2: drop idx3 (right)  -> rest 0,1,1   = 2/3 -> 0.0667
    # k=3: drop idx2 (wrong)  -> rest 1,1     = 1   -> 0.4
    # k=4: drop idx4          -> rest 1       = 1   -> 0.4
    expected = [0.0, 0.15, 0.15, 2 / 3 - 0.6, 0.4, 0.4]
    np.testing.assert_allclose(sparsification(UNC5, COR5, Q5), expected, atol=1e-12)
    # the error of the rest is 1 - accuracy: 0.4, 0.25, 0.25, 1/3, 0, 0
    np.testing.assert_allclose(
        sparsification_error(UNC5, COR5, Q5), [0.4, 0.25, 0.25, 1 / 3, 0, 0], atol=1e-12
    )


def test_oracle_by_hand() -> None:
    # drop the two wrong ones first: k=1 -> 3/4; k>=2 -> 1
    # improvements: 0, 0.15, 0.15, 0.4, 0.4, 0.4
    np.testing.assert_allclose(
        oracle_sparsification(COR5, Q5), [0.0, 0.15, 0.15, 0.4, 0.4, 0.4], atol=1e-12
    )


def test_oracle_uncertainty_gives_oracle_curve_and_zero_ause() -> None:
    rng = np.random.default_rng(1)
    correct = rng.random(101) < 0.7
    unc = 1.0 - correct.astype(float)
    np.testing.assert_array_equal(
        sparsification(unc, correct), oracle_sparsification(correct)
    )
    assert ause(unc, correct) == 0.0
    # no uncertainty can beat the oracle
    other = rng.random(101)
    assert np.all(sparsification(other, correct) <= oracle_sparsification(correct) + 1e-12)
    assert ause(other, correct) >= 0


def test_anti_informative_uncertainty_is_negative() -> None:
    # 20 predictions, 10 correct; uncertainty = correct, so right ones are dropped first.
    # After dropping k = floor(20 q) >= 1: accuracy (10 - k)/(20 - k) or 0, both < 0.5.
    correct = np.array([1, 0] * 10)
    imp = sparsification(correct.astype(float), correct)
    assert imp[0] == 0.0
    assert np.all(imp[1:] < 0)
    # k=1 (q=0.05): 9/19 - 1/2
    assert imp[1] == pytest.approx(9 / 19 - 0.5)
    assert mean_sparsification_improvement(correct.astype(float), correct) < 0


def test_ties_count_by_expectation_not_by_position() -> None:
    # all uncertainties equal: whichever two are dropped at random, the expected
    # accuracy of the rest is the block's accuracy 1/2 -> improvement 0, in any order
    assert sparsification([0.3] * 4, [1, 1, 0, 0], [0, 0.5]).tolist() == [0.0, 0.0]
    assert sparsification([0.3] * 4, [0, 0, 1, 1], [0, 0.5]).tolist() == [0.0, 0.0]
    # one clearly uncertain wrong link, then a tie block of 3 (2 correct):
    # q=0.5, n=4 -> drop the wrong one and 1 of the block; expected rest = 2/3 * 2 / 2
    # correct out of 2 kept -> 2/3; all = 2/4 -> improvement 2/3 - 1/2
    imp = sparsification([0.9, 0.1, 0.1, 0.1], [0, 1, 0, 1], [0, 0.5])
    assert imp[1] == pytest.approx(2 / 3 - 1 / 2)


def test_floor_robust_to_float_products() -> None:
    # 0.29 * 100 = 28.999999999999996 in floating point; must still drop 29
    correct = np.zeros(100)
    correct[29:] = 1  # the 29 most uncertain are the wrong ones
    unc = -np.arange(100.0)  # idx 0 most uncertain
    assert sparsification(unc, correct, [0.29]).tolist() == [pytest.approx(1 - 0.71)]


def test_ause_by_hand() -> None:
    # unc [0.9, 0.8, 0.2, 0.1], correct [1, 0, 1, 0], fractions [0, 0.5]
    # q=0:   error 2/4 = 0.5 for both curves -> gap 0
    # q=0.5: drop idx 0, 1 -> rest 1, 0 -> error 0.5; oracle drops the wrong ones -> 0
    #        gap 0.5
    # trapezoid: (0 + 0.5) / 2 * 0.5 = 0.125; divided by the range 0.5 -> 0.25
    assert ause([0.9, 0.8, 0.2, 0.1], [1, 0, 1, 0], [0, 0.5]) == pytest.approx(0.25)


def test_ause_by_hand_three_fractions() -> None:
    # 5-prediction example, fractions [0, 0.2, 0.4] (k = 0, 1, 2)
    # errors:        0.4, 0.25, 1/3;  oracle errors: 0.4, 0.25, 0 -> gaps 0, 0, 1/3
    # trapezoid: 0.2 * (0 + 0)/2 + 0.2 * (0 + 1/3)/2 = 1/30; / 0.4 -> 1/12
    assert ause(UNC5, COR5, [0, 0.2, 0.4]) == pytest.approx(1 / 12)


def test_mean_improvement_by_hand() -> None:
    # improvements at Q5: 0, 0.15, 0.15, 1/15, 0.4, 0.4 -> sum 7/6, mean 7/36
    expected = (0 + 0.15 + 0.15 + (2 / 3 - 0.6) + 0.4 + 0.4) / 6
    assert mean_sparsification_improvement(UNC5, COR5, Q5) == pytest.approx(expected)


def test_q_one_leaves_nothing() -> None:
    out = sparsification([0.1, 0.2], [1, 0], [0, 1])
    assert out[0] == 0.0 and np.isnan(out[1])


# --------------------------------------------------------------------------- #
# empty input and validation
# --------------------------------------------------------------------------- #
def test_empty_input() -> None:
    assert math.isnan(ece([], []))
    assert reliability([], [])["count"].sum() == 0
    assert np.isnan(sparsification([], [])).all()
    assert sparsification([], []).shape == SPARSIFICATION_FRACTIONS.shape
    assert np.isnan(oracle_sparsification([])).all()
    assert np.isnan(sparsification_error([], [])).all()
    assert math.isnan(ause([], []))
    assert math.isnan(mean_sparsification_improvement([], []))
    assert entropy([], []).shape == (0,)


@pytest.mark.parametrize(
    "call",
    [
        lambda: ece([0.5, 0.5], [1]),  # length mismatch
        lambda: ece([1.1], [1]),  # confidence > 1
        lambda: ece([-0.01], [1]),  # confidence < 0
        lambda: ece([np.nan], [1]),  # not finite
        lambda: ece([0.5], [2]),  # correct not 0/1
        lambda: ece([[0.5]], [[1]]),  # not 1-d
        lambda: ece([0.5], [1], n_bins=0),
        lambda: bin_index(["a"]),
        lambda: sparsification([np.inf], [1]),
        lambda: sparsification([0.1, 0.2], [1]),
        lambda: sparsification([0.1], [1], [1.5]),
        lambda: ause([0.1], [1], [0.0]),  # needs two fractions
        lambda: ause([0.1], [1], [0.5, 0.0]),  # not increasing
        lambda: entropy([0.5, 0.5], [0]),
        lambda: entropy([0.5, 0.5], [0.0, 1.0]),  # float groups
        lambda: entropy([1.5], [0]),
    ],
)
def test_bad_input_raises(call) -> None:
    with pytest.raises(ValueError):
        call()


# --------------------------------------------------------------------------- #
# entropy
# --------------------------------------------------------------------------- #
def test_entropy_uniform_and_one_hot() -> None:
    # uniform over 4: -4 * 1/4 * log(1/4) = log 4; one-hot: -1 * log 1 - 0 log 0 = 0
    p = [0.25, 0.25, 0.25, 0.25, 1.0, 0.0, 0.0]
    g = [0, 0, 0, 0, 1, 1, 1]
    np.testing.assert_allclose(entropy(p, g), [math.log(4), 0.0], atol=1e-15)


def test_entropy_groups_out_of_order() -> None:
    # group 9: 0.5, 0.5 -> log 2; group 2: 0.25, 0.75 -> -(0.25 log 0.25 + 0.75 log 0.75)
    # group 5: 1.0 -> 0; result ordered by group: 2, 5, 9
    p = [0.5, 0.25, 1.0, 0.5, 0.75]
    g = np.array([9, 2, 5, 9, 2])
    h2 = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))
    np.testing.assert_allclose(entropy(p, g), [h2, 0.0, math.log(2)], atol=1e-15)


def test_entropy_no_warning_on_zero() -> None:
    with np.errstate(all="raise"):
        assert entropy([0.0, 1.0], [3, 3]).tolist() == [0.0]
