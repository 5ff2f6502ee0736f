import numpy as np
import pandas as pd
import pytest

from uqtrack import metrics
from uqtrack.errors import InputError
from uqtrack.evaluation import bootstrap_weights, evaluate
from uqtrack.tables import join_truth


def _table():
    # two daughters of one pair: 5 has candidates 1, 2 (+ none), truly from 1, MAP says 1;
    # 6 has candidate 2 (+ none), truly from 3 (not a candidate), MAP says it appears;
    # 7 has no candidate at all and truly appears.
    rows = [
        # t, t2, daughter, mother, cost, logp, p_cond, pred, true
        (0, 1, 5, 0, 10.0, -10.0, 0.1, False, False),
        (0, 1, 5, 1, 1.0, -1.0, 0.7, True, True),
        (0, 1, 5, 2, 2.0, -2.0, 0.2, False, False),
        (0, 1, 6, 0, 10.0, -10.0, 0.6, True, False),
        (0, 1, 6, 2, 12.0, -12.0, 0.4, False, False),
        (0, 1, 7, 0, 10.0, -10.0, 1.0, True, True),
    ]
    cols = ["t", "t2", "daughter", "mother", "cost", "logp", "p_cond", "pred", "true"]
    return pd.DataFrame(rows, columns=cols)


def test_counts_by_hand():
    result = evaluate(_table(), tau=1.0)
    assert int(result["n_daughters"]) == 3
    assert int(result["n_without_candidates"]) == 1
    assert int(result["n_predicted_links"]) == 1  # appearances are not judged
    assert float(result["accuracy"]) == 1.0
    assert float(result["link_recall"]) == pytest.approx(1 / 2)  # 1 of 2 true links found
    assert float(result["share_predicted_appearing"]) == pytest.approx(2 / 3)
    assert float(result["share_without_mother"]) == pytest.approx(1 / 3)
    assert float(result["candidate_recall"]) == pytest.approx(1 / 2)  # 6's mother is no candidate


def test_raw_ece_uses_p_cond_and_ts_rescales_logp():
    result = evaluate(_table(), tau=1.0)
    # one judged link, confidence 0.7, correct: ECE = |1 - 0.7|
    assert float(result["ece"].sel(ts="raw")) == pytest.approx(0.3)
    # tau = 1 on logp: softmax(-10, -1, -2) for daughter 5
    p = np.exp([-1.0]) / np.exp([-10.0, -1.0, -2.0]).sum()
    assert float(result["ece"].sel(ts="ts")) == pytest.approx(1 - p[0])


def test_judged_rows_keep_every_class_of_daughters_with_a_predicted_link():
    from uqtrack.tables import judged_rows

    assert judged_rows(_table()).tolist() == [True, True, True, False, False, False]


def test_join_truth_marks_the_true_class_and_names_a_mismatch():
    table = _table().drop(columns="true")
    truth = pd.DataFrame({"t": [0, 0, 0], "t2": [1, 1, 1], "daughter": [5, 6, 7], "mother": [1, 3, 0]})
    joined = join_truth(table, truth)
    assert joined["true"].tolist() == _table()["true"].tolist()
    with pytest.raises(InputError, match="daughter 7 .* no true mother"):
        join_truth(table, truth.iloc[:2], source="edges.parquet")


def test_structurally_certain_links_are_counted():
    # daughter 5 judged with only one class of P > 0 (a sampling method saw nothing
    # else); daughter 8 judged on an edge of P = 0
    rows = [
        (0, 1, 5, 0, 10.0, -np.inf, 0.0, False, False),
        (0, 1, 5, 1, 1.0, 0.0, 1.0, True, True),
        (0, 1, 5, 2, 2.0, -np.inf, 0.0, False, False),
        (0, 1, 8, 0, 10.0, 0.0, 1.0, False, False),
        (0, 1, 8, 3, 1.0, -np.inf, 0.0, True, True),
    ]
    table = pd.DataFrame(rows, columns=_table().columns)
    result = evaluate(table, tau=0.3)
    assert float(result["share_confidence_one"]) == 0.5
    assert float(result["share_confidence_zero"]) == 0.5
    # no temperature moves them
    assert (result["mean_confidence"].values == 0.5).all()


def _many_pairs(seed=0, n_pairs=40):
    """An edge table of many frame pairs: two classes per daughter, the MAP on the first."""
    rng = np.random.default_rng(seed)
    rows = []
    for t in range(n_pairs):
        for d in range(int(rng.integers(1, 6))):
            p = rng.uniform(0.5, 1.0)
            correct = rng.random() < p  # calibrated on average
            rows.append((t, t + 1, d + 1, 1, 0.0, np.log(p), p, True, correct))
            rows.append((t, t + 1, d + 1, 0, 0.0, np.log(1 - p), 1 - p, False, not correct))
    return pd.DataFrame(rows, columns=_table().columns)


def test_bootstrap_is_seeded_paired_and_brackets_the_estimate():
    table = _many_pairs()
    daughters = table[["t", "t2", "daughter"]]
    a = evaluate(table, 1.5, daughters, 200, np.random.default_rng(4))
    b = evaluate(table, 1.5, daughters, 200, np.random.default_rng(4))
    np.testing.assert_array_equal(a["boot_ece"].values, b["boot_ece"].values)
    for name in ("ece", "accuracy", "mean_confidence", "mean_improvement_p"):
        lo, hi, est = a[f"{name}_lo"].values, a[f"{name}_hi"].values, a[name].values
        assert (lo <= est + 1e-12).all() and (est <= hi + 1e-12).all() and (lo < hi).all(), name
    # another method judging the same daughters, same seed: the same draws (paired)
    other = table.assign(p_cond=table["p_cond"] ** 0.5)
    c = evaluate(other, 1.0, daughters, 200, np.random.default_rng(4))
    assert (c["boot_accuracy"].values == a["boot_accuracy"].values).all()


def test_one_frame_pair_still_has_an_interval():
    # at a large step a sequence may have a single frame pair: the second stage
    # (daughters within a pair) keeps the interval from collapsing to a point
    table = _many_pairs(3, n_pairs=1)
    table = pd.concat([table] + [table.assign(daughter=table["daughter"] + 10 * k) for k in range(1, 6)])
    table = table.sort_values(["t", "t2", "daughter", "mother"], ignore_index=True)
    result = evaluate(table, 1.0, table[["t", "t2", "daughter"]], 300, np.random.default_rng(0))
    assert float(result["accuracy_hi"] - result["accuracy_lo"]) > 0.1


def test_bootstrap_weights_redraw_pairs_then_daughters():
    pair_of_daughter = np.array([0, 0, 0, 1, 2, 2])
    weights = np.array(list(bootstrap_weights(pair_of_daughter, 3, 4000, np.random.default_rng(1))))
    # each daughter's weight has mean 1; daughters of one pair are correlated
    np.testing.assert_allclose(weights.mean(axis=0), 1.0, atol=0.06)
    corr = np.corrcoef(weights.T)
    assert corr[0, 1] > 0.3 and corr[0, 3] < 0  # pairs compete for the draws


def test_a_replicate_equals_the_statistic_of_the_reweighted_table():
    """A replicate's statistics equal those of the table with its rows repeated."""
    table = _many_pairs(1, n_pairs=15)
    daughters = table[["t", "t2", "daughter"]].drop_duplicates().sort_values(["t", "t2", "daughter"], ignore_index=True)
    pair_of = daughters.groupby(["t", "t2"]).ngroup().to_numpy()
    w = next(bootstrap_weights(pair_of, int(pair_of.max()) + 1, 1, np.random.default_rng(9)))
    redrawn = []
    for (t, t2, d), copies in zip(daughters.itertuples(index=False), w):
        rows = table[(table["t"] == t) & (table["daughter"] == d)]
        redrawn += [rows.assign(t=1000 * k + t, t2=1000 * k + t2) for k in range(copies)]
    redrawn = pd.concat(redrawn, ignore_index=True).sort_values(["t", "t2", "daughter", "mother"], ignore_index=True)
    direct = evaluate(redrawn, 1.0)
    boot = evaluate(table, 1.0, daughters, 1, np.random.default_rng(9))
    for name in ("ece", "accuracy", "mean_confidence", "mean_improvement_p", "mean_improvement_entropy"):
        np.testing.assert_allclose(boot[f"boot_{name}"].values[:, 0], direct[name].values, atol=1e-12, err_msg=name)


def test_weighted_metrics_equal_repeated_rows():
    rng = np.random.default_rng(2)
    conf = rng.choice([0.2, 0.5, 0.5, 0.9, 1.0], 30)
    correct = rng.random(30) < conf
    w = rng.integers(0, 4, 30)
    rep_conf, rep_corr = np.repeat(conf, w), np.repeat(correct, w)
    assert metrics.ece(conf, correct, weights=w) == pytest.approx(metrics.ece(rep_conf, rep_corr))
    np.testing.assert_allclose(
        metrics.sparsification(1 - conf, correct, weights=w),
        metrics.sparsification(1 - rep_conf, rep_corr), atol=1e-12,
    )
