"""The bootstrap judged as arrays equals the bootstrap judged one replicate at a time.

The replicate functions of :mod:`uqtrack.metrics` and :func:`uqtrack.evaluation._replicates`
must give the very numbers of the weighted functions applied row by row (the loop
``evaluate`` ran before), not just close ones: every comparison here is exact.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from uqtrack import evaluation, metrics


def _case(rng, n, n_rep):
    # few distinct confidences: ties, bin edges (k/15), 0 and 1, empty bins
    values = np.r_[0.0, 1.0, 1 / 15, 2 / 15, 0.5, rng.uniform(0.6, 1.0, 3)]
    conf = rng.choice(values, n)
    correct = rng.random(n) < conf
    w = rng.poisson(rng.choice([0.3, 1.0, 2.5]), (n_rep, n))
    w[0] = 0  # a replicate that drew nothing
    if n:
        w[1, : n // 2] = 0  # one that drew a part only
    return conf, correct, w


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n", [0, 1, 2, 7, 60, 400])
def test_replicate_metrics_equal_the_weighted_ones_row_by_row(seed, n):
    rng = np.random.default_rng(seed)
    conf, correct, w = _case(rng, n, 12)
    entropy = rng.choice([0.0, 0.3, 0.69], n)  # another uncertainty with ties
    ece = metrics.ece_replicates(conf, correct, w)
    spars = metrics.sparsification_replicates(1 - conf, correct, w)
    mean_p = metrics.mean_sparsification_improvement_replicates(1 - conf, correct, w)
    mean_h = metrics.mean_sparsification_improvement_replicates(entropy, correct, w)
    for i, row in enumerate(w):
        assert np.array_equal(ece[i], metrics.ece(conf, correct, weights=row), equal_nan=True), i
        np.testing.assert_array_equal(spars[i], metrics.sparsification(1 - conf, correct, weights=row))
        assert np.array_equal(
            mean_p[i], metrics.mean_sparsification_improvement(1 - conf, correct, weights=row), equal_nan=True
        )
        assert np.array_equal(
            mean_h[i], metrics.mean_sparsification_improvement(entropy, correct, weights=row), equal_nan=True
        )
    assert np.isnan(ece[0]) and np.isnan(mean_p[0])


def test_replicates_of_many_bins_and_uneven_fractions():
    # every bin occupied in some rows and not in others, fractions that cut blocks
    rng = np.random.default_rng(11)
    conf = np.round(rng.random(300), 2)
    correct = rng.random(300) < conf
    w = rng.poisson(0.7, (40, 300))
    q = np.array([0.0, 0.13, 0.29, 0.5, 0.77, 1.0])
    ece = metrics.ece_replicates(conf, correct, w, n_bins=20)
    spars = metrics.sparsification_replicates(1 - conf, correct, w, q)
    for i, row in enumerate(w):
        assert ece[i] == metrics.ece(conf, correct, n_bins=20, weights=row)
        np.testing.assert_array_equal(spars[i], metrics.sparsification(1 - conf, correct, q, weights=row))


def test_a_given_order_breaks_ties_without_changing_the_curves():
    rng = np.random.default_rng(3)
    conf, correct, w = _case(rng, 200, 10)
    unc = 1 - conf
    secondary = rng.random(200)
    tie_broken = np.lexsort((-secondary, -unc))  # most uncertain first, ties by the second key
    np.testing.assert_array_equal(
        metrics.sparsification_replicates(unc, correct, w, order=tie_broken),
        metrics.sparsification_replicates(unc, correct, w),
    )
    # ranks without ties (what a tie-broken uncertainty looks like) work as well
    ranks = np.empty(200)
    ranks[tie_broken[::-1]] = np.arange(200)
    for i, row in enumerate(w):
        np.testing.assert_array_equal(
            metrics.sparsification_replicates(ranks, correct, w[i : i + 1])[0],
            metrics.sparsification(ranks, correct, weights=row),
        )


def test_replicate_metrics_refuse_bad_weights_and_orders():
    conf, correct = np.array([0.2, 0.9, 0.9]), np.array([0, 1, 1])
    with pytest.raises(ValueError, match="shape"):
        metrics.ece_replicates(conf, correct, np.ones(3))
    with pytest.raises(ValueError, match="whole numbers"):
        metrics.ece_replicates(conf, correct, np.full((2, 3), 0.5))
    with pytest.raises(ValueError, match=">= 0"):
        metrics.sparsification_replicates(1 - conf, correct, -np.ones((2, 3), dtype=int))
    with pytest.raises(ValueError, match="permutation"):
        metrics.sparsification_replicates(1 - conf, correct, np.ones((2, 3), dtype=int), order=[0, 0, 1])
    with pytest.raises(ValueError, match="most to the least"):
        metrics.sparsification_replicates(1 - conf, correct, np.ones((2, 3), dtype=int), order=[1, 2, 0])
    # whole numbers in a float array are counts too
    w = np.array([[1.0, 0.0, 2.0]])
    assert metrics.ece_replicates(conf, correct, w)[0] == metrics.ece(conf, correct, weights=w[0])


def _table(seed, n_pairs, ties=True):
    """Edge table with per-daughter classes, confidences with ties, some daughters appearing."""
    rng = np.random.default_rng(seed)
    rows = []
    for t in range(n_pairs):
        for d in range(int(rng.integers(0, 7))):  # frame pairs without daughters too
            p = float(rng.choice([1.0, 0.5, 0.8])) if ties and rng.random() < 0.6 else float(rng.uniform(0.3, 1))
            linked = rng.random() < 0.85
            correct = rng.random() < p
            rest = 1 - p
            rows.append((t, t + 1, d + 1, 0, 1.0, np.log(rest / 2) if rest else -np.inf, rest / 2, not linked,
                         not linked and correct))
            rows.append((t, t + 1, d + 1, 1, 0.0, np.log(p), p, linked, linked == correct))
            rows.append((t, t + 1, d + 1, 2, 2.0, np.log(rest / 2) if rest else -np.inf, rest / 2, False,
                         linked and not correct))
    cols = ["t", "t2", "daughter", "mother", "cost", "logp", "p_cond", "pred", "true"]
    return pd.DataFrame(rows, columns=cols)


def _evaluate_both(table, n_boot, seed, monkeypatch, daughters=None):
    evaluation._LAST_DRAWN.clear()
    fast = evaluation.evaluate(table, 0.7, daughters, n_boot, np.random.default_rng(seed))
    # the second call gets the kept draws (unit_weights): the same numbers again
    again = evaluation.evaluate(table, 0.7, daughters, n_boot, np.random.default_rng(seed))
    for name in fast.data_vars:
        assert np.array_equal(fast[name].values, again[name].values, equal_nan=True), name
    with monkeypatch.context() as m:
        m.setattr(evaluation, "_replicates", evaluation._replicates_loop)
        slow = evaluation.evaluate(table, 0.7, daughters, n_boot, np.random.default_rng(seed))
    return fast, slow


@pytest.mark.parametrize("seed,n_pairs", [(0, 30), (1, 1), (2, 5), (3, 60)])
def test_evaluate_gives_the_numbers_of_the_replicate_loop(seed, n_pairs, monkeypatch):
    table = _table(seed, n_pairs)
    # a small chunk: several chunks and a short last one
    monkeypatch.setattr(evaluation, "CHUNK_ELEMENTS", 7 * max(1, len(table) // 3))
    fast, slow = _evaluate_both(table, 53, seed, monkeypatch)
    assert set(fast.data_vars) == set(slow.data_vars)
    for name in slow.data_vars:
        assert np.array_equal(fast[name].values, slow[name].values, equal_nan=True), name
    assert fast.sizes["replicate"] == 53
    assert np.isfinite(fast["boot_ece"].values).any()


def test_evaluate_without_judged_links_gives_nan_replicates(monkeypatch):
    table = _table(4, 10)
    table["pred"] = table["mother"] == 0  # every daughter predicted to appear
    table["true"] = table["mother"] == 0
    fast, slow = _evaluate_both(table, 20, 4, monkeypatch)
    for name in evaluation.BOOTSTRAPPED:
        assert np.isnan(fast[f"boot_{name}"].values).all(), name
        assert np.array_equal(fast[f"boot_{name}"].values, slow[f"boot_{name}"].values, equal_nan=True)


def test_evaluate_without_replicates(monkeypatch):
    fast, slow = _evaluate_both(_table(5, 8), 0, 0, monkeypatch)
    assert fast.sizes["replicate"] == 0
    for name in slow.data_vars:
        assert np.array_equal(fast[name].values, slow[name].values, equal_nan=True), name


def test_kept_draws_are_used_only_for_the_same_daughters_and_generator_state():
    pair_of_unit = np.repeat(np.arange(6), 3)
    evaluation._LAST_DRAWN.clear()
    rng = np.random.default_rng(8)
    first = evaluation.unit_weights(pair_of_unit, 6, 30, rng)
    reference = np.random.default_rng(8)
    np.testing.assert_array_equal(first, list(evaluation.bootstrap_weights(pair_of_unit, 6, 30, reference)))
    assert rng.bit_generator.state == reference.bit_generator.state
    # kept: same draws, and the generator left where drawing leaves it
    rng = np.random.default_rng(8)
    assert evaluation.unit_weights(pair_of_unit, 6, 30, rng) is first
    assert rng.bit_generator.state == reference.bit_generator.state
    assert rng.random() == reference.random()
    # another state, other daughters, another count: drawn afresh
    rng = np.random.default_rng(9)
    other = evaluation.unit_weights(pair_of_unit, 6, 30, rng)
    expected = list(evaluation.bootstrap_weights(pair_of_unit, 6, 30, np.random.default_rng(9)))
    np.testing.assert_array_equal(other, expected)
    fewer = pair_of_unit[:-1]
    np.testing.assert_array_equal(
        evaluation.unit_weights(fewer, 6, 30, np.random.default_rng(9)),
        list(evaluation.bootstrap_weights(fewer, 6, 30, np.random.default_rng(9))),
    )
    assert evaluation.unit_weights(pair_of_unit, 6, 31, np.random.default_rng(9)).shape == (31, 18)


@pytest.mark.parametrize("bit_generator", [np.random.MT19937, np.random.Philox, np.random.SFC64])
def test_kept_draws_with_generators_whose_state_holds_arrays(bit_generator):
    pair_of_unit = np.repeat(np.arange(4), 2)
    evaluation._LAST_DRAWN.clear()
    first = evaluation.unit_weights(pair_of_unit, 4, 10, np.random.Generator(bit_generator(5)))
    rng = np.random.Generator(bit_generator(5))
    assert evaluation.unit_weights(pair_of_unit, 4, 10, rng) is first
    other = evaluation.unit_weights(pair_of_unit, 4, 10, np.random.Generator(bit_generator(6)))
    expected = list(evaluation.bootstrap_weights(pair_of_unit, 4, 10, np.random.Generator(bit_generator(6))))
    np.testing.assert_array_equal(other, expected)
