"""The default calibration (``ts_model: floor``): every error counts, ties are broken."""

import numpy as np
import pandas as pd
import pytest

from uqtrack import calibration, metrics
from uqtrack.calibration import calibrated, fit, fit_floor, fit_temperature, scaled
from uqtrack.evaluation import caught, evaluate
from uqtrack.export import predicted_links

NEVER = -np.inf  # a class a sampling method never saw


def _as_like(n_right=190, n_zero=10, n_soft=0):
    """Daughters of three classes. Right ones: P = 1 on the truth. ``n_zero``: the truth
    has P = 0 (never sampled). ``n_soft``: P = (0.8, 0.2, 0) with the truth first."""
    logp, true = [], []
    for _ in range(n_right):
        logp += [0.0, NEVER, NEVER]
        true += [True, False, False]
    for _ in range(n_zero):
        logp += [0.0, NEVER, NEVER]
        true += [False, True, False]
    for _ in range(n_soft):
        logp += [np.log(0.8), np.log(0.2), NEVER]
        true += [True, False, False]
    n = n_right + n_zero + n_soft
    return np.array(logp), np.repeat(np.arange(n), 3), np.array(true)


def test_floor_equation_by_hand():
    # P = (0.5, 0.5, 0), tau = 2, eps = 0.3: (1 - eps) P^2 / sum P^2 + eps / 3
    with np.errstate(divide="ignore"):
        logp = np.log(np.array([0.5, 0.25, 0.25, 1.0, 0.0]))
    groups = np.array([0, 0, 0, 1, 1])
    p2 = np.array([0.25, 0.0625, 0.0625]) / 0.375
    want = np.r_[0.7 * p2 + 0.1, 0.7 * np.array([1.0, 0.0]) + 0.15]
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(calibrated(logp, groups, 2.0, 0.3), want)
    np.testing.assert_allclose(np.bincount(groups, calibrated(logp, groups, 2.0, 0.3)), 1.0)
    # eps = 0 is the paper's temperature scaling
    np.testing.assert_array_equal(calibrated(logp, groups, 2.0, 0.0), scaled(logp, groups, 2.0))


def test_floor_fit_keeps_the_errors_the_paper_fit_cannot_see():
    logp, groups, true = _as_like(n_right=180, n_zero=10, n_soft=10)
    paper = fit_temperature(logp, groups, true)
    assert paper.status == "separable" and paper.tau == 1.0  # the zero-probability truths dropped
    floor = fit_floor(logp, groups, true)
    assert floor.status == "fitted"
    assert floor.zero_truth == 10 and floor.errors == 10 and floor.daughters_used == 200
    # the floor is the rate of confident errors: 10 of 200 daughters, spread over 3 classes
    conf = floor.apply(logp, groups)
    predicted = conf[0::3]  # class 0 is every daughter's MAP
    assert (1 - predicted).sum() == pytest.approx(10.0, rel=0.15)
    assert 0 < conf.min() and conf.max() < 1  # nothing left at exactly 0 or 1


def test_floor_fit_maximises_the_penalised_likelihood():
    rng = np.random.default_rng(3)
    n = 400
    logits = rng.normal(0, 2, (n, 4))
    logp = (logits - np.log(np.exp(logits).sum(1, keepdims=True))).ravel()
    groups = np.repeat(np.arange(n), 4)
    true_class = np.array([rng.choice(4, p=np.exp(0.6 * z) / np.exp(0.6 * z).sum()) for z in logits])
    true_class[:20] = np.argmin(logits[:20], axis=1)  # a few confident errors
    true = np.zeros(4 * n, bool)
    true[np.arange(n) * 4 + true_class] = True
    f = fit_floor(logp, groups, true)

    def objective(tau, eps):
        prior = np.log(tau) ** 2 / (2 * calibration.PRIOR_SD**2)
        return -np.log(calibrated(logp, groups, tau, eps)[true]).sum() + prior

    best = objective(f.tau, f.eps)
    for tau in np.exp(np.linspace(np.log(0.05), np.log(20), 60)):
        for eps in np.r_[0.0, np.linspace(0.001, 0.5, 60)]:
            assert objective(tau, eps) >= best - 1e-6


def test_a_single_confident_error_cannot_drive_the_temperature_to_the_bound():
    # 86 links with a clear favourite, one confidently wrong by a cost gap of 200
    logp, true = [], []
    for _ in range(86):
        logp += [0.0, -4.0, -6.0]
        true += [True, False, False]
    logp += [0.0, -200.0, -6.0]
    true += [False, True, False]
    logp, true = np.array(logp), np.array(true)
    groups = np.repeat(np.arange(87), 3)
    paper = fit_temperature(logp, groups, true)
    assert paper.temperature > 5  # one link flattens every other
    floor = fit_floor(logp, groups, true)
    assert floor.temperature < 2
    # one confident error in 87 daughters of three classes: eps * 2/3 = 1/87
    assert floor.eps == pytest.approx(1.5 / 87, rel=1e-3)
    # the 86 right links keep confidences near what the floor says about errors: 1 in 87
    conf = floor.apply(logp, groups)[0:-3:3]
    assert conf.min() > 0.95


def test_no_error_keeps_the_raw_probabilities_and_no_data_says_so():
    logp, groups, true = _as_like(n_right=50, n_zero=0, n_soft=5)
    f = fit_floor(logp, groups, true)
    assert (f.status, f.tau, f.eps) == ("separable", 1.0, 0.0)
    single = fit_floor(np.zeros(3), np.arange(3), np.ones(3, bool))
    assert single.status == "no_data" and single.daughters_used == 0
    with pytest.raises(ValueError, match="unknown ts_model"):
        fit(logp, groups, true, model="floors")


def test_ties_are_broken_by_the_second_key_then_the_row():
    unc = np.array([0.0, 0.0, 0.5, 0.0])
    tie = np.array([0.1, 0.3, 0.0, 0.1])
    ranks = metrics.tie_broken(unc, tie)
    # most uncertain = highest rank: row 2, then row 1 (tie broken by 0.3), then rows 3, 0
    np.testing.assert_array_equal(ranks, [0.0, 2.0, 3.0, 1.0])


def _table(conf_pairs, costs, true_first):
    """An edge table of daughters with two candidate mothers and a 'none' class each."""
    rows = []
    for d, ((p1, p2), (c1, c2), right) in enumerate(zip(conf_pairs, costs, true_first, strict=True), 1):
        with np.errstate(divide="ignore"):
            lp = np.log([p1, p2, 1 - p1 - p2])
        rows += [
            dict(t=0, t2=1, daughter=d, mother=0, cost=20.0, logp=lp[2], p_cond=1 - p1 - p2, pred=False, true=False),
            dict(t=0, t2=1, daughter=d, mother=1, cost=c1, logp=lp[0], p_cond=p1, pred=True, true=right),
            dict(t=0, t2=1, daughter=d, mother=2, cost=c2, logp=lp[1], p_cond=p2, pred=False, true=not right),
        ]
    return pd.DataFrame(rows)


def test_sparsification_of_tied_confidences_follows_the_costs_not_the_rows():
    # four links at P = 1; the two wrong ones have a close competitor by cost
    conf = [(1.0, 0.0)] * 4
    costs = [(1.0, 9.0), (1.0, 1.2), (1.0, 8.0), (1.0, 1.1)]
    right = [True, False, True, False]
    table = _table(conf, costs, right)
    a = evaluate(table, 1.0)
    shuffled = pd.concat([table.iloc[6:], table.iloc[:6]], ignore_index=True)  # daughters 3, 4 first
    b = evaluate(shuffled.sort_values(["daughter", "mother"], ignore_index=True), 1.0)
    for name in ("mean_improvement_p", "ause_p", "sparsification_p", "caught_wrong"):
        np.testing.assert_array_equal(a[name].values, b[name].values)
    # dropping half the links by the cost tie-break removes both wrong ones
    assert a["caught_wrong"].sel(ts="raw", budget=0.2).item() == 0.5  # ceil(0.2 * 4) = 1 link: 1 of 2
    np.testing.assert_allclose(a["sparsification_p"].sel(ts="raw").sel(q=0.5, method="nearest").item(), 0.5)


def test_expected_and_caught_wrong_links_by_hand():
    conf = [(0.9, 0.05), (0.6, 0.3), (0.99, 0.0), (0.5, 0.4), (0.8, 0.1)]
    costs = [(1.0, 3.0)] * 5
    right = [True, False, True, False, True]
    r = evaluate(_table(conf, costs, right), 1.0)
    assert r["expected_wrong"].sel(ts="raw").item() == pytest.approx(0.1 + 0.4 + 0.01 + 0.5 + 0.2)
    assert r["n_wrong"].item() == 2
    # least confident first: 0.5 (wrong), 0.6 (wrong), 0.8, 0.9, 0.99
    np.testing.assert_allclose(r["caught_wrong"].sel(ts="raw").values, [0.5, 0.5, 0.5])  # 1 link each
    np.testing.assert_allclose(caught(np.array([4.0, 3, 2, 1, 0]), np.array([0, 0, 1, 1, 1.0]), (0.4, 1.0)),
                               [1.0, 1.0])
    assert np.isnan(caught(np.array([1.0, 0]), np.ones(2))).all()


def test_export_ranks_tied_links_by_the_tracker_softmax():
    conf = [(1.0, 0.0)] * 3
    costs = [(1.0, 9.0), (1.0, 1.05), (1.0, 4.0)]
    table = _table(conf, costs, [True] * 3).drop(columns="true")
    links = predicted_links(table, 1.0)
    assert links["daughter"].tolist() == [2, 3, 1]  # closest competitor first
    floored = predicted_links(table, 1.0, eps=0.3)
    np.testing.assert_allclose(floored["confidence"], 0.7 + 0.1)
    assert floored["daughter"].tolist() == [2, 3, 1]


def _two_class(margins, truth_first, rng=None):
    """Daughters of two classes with log-probabilities (0, -margin); the truth first or second."""
    margins = np.asarray(margins, float)
    logp = np.column_stack([np.zeros_like(margins), -margins]).reshape(-1)
    true = np.column_stack([truth_first, ~np.asarray(truth_first)]).reshape(-1)
    return logp, np.repeat(np.arange(len(margins)), 2), true


def test_cv_keeps_tau_near_one_where_a_few_errors_sit_in_one_frame_pair():
    # 20 frame pairs of 10 confident right links (margin 10, P = 0.99995) and one frame
    # pair whose 2 links are confidently wrong: a fixed wide prior lets those two set the
    # temperature for all; held out, they predict nothing the other blocks show
    margins = np.full(202, 10.0)
    truth_first = np.ones(202, bool)
    truth_first[200:] = False
    logp, groups, true = _two_class(margins, truth_first)
    blocks = np.repeat(np.r_[np.repeat(np.arange(20), 10), [20, 20]], 2)
    wide = fit_floor(logp, groups, true, prior_sd=2.0)
    cv = calibration.fit_cv(logp, groups, true, blocks)
    assert cv.prior_sd < wide.prior_sd
    assert abs(np.log(cv.tau)) < abs(np.log(wide.tau))
    # the correct links keep more of their confidence under the cross-validated fit
    right = calibrated(logp, groups, cv.tau, cv.eps)[0]
    assert right > calibrated(logp, groups, wide.tau, wide.eps)[0]
    assert fit(logp, groups, true, "floor", "cv", blocks) == cv


def test_cv_lets_plentiful_errors_fit_the_temperature():
    # truths drawn from P^tau0 with tau0 = 0.3 (overconfident raw probabilities) in every
    # frame pair: the data, not the prior, set tau, as the fixed-prior fit does
    rng = np.random.default_rng(1)
    margins = rng.uniform(0.5, 12.0, 3000)
    truth_first = rng.random(3000) < 1.0 / (1.0 + np.exp(-0.3 * margins))
    logp, groups, true = _two_class(margins, truth_first)
    blocks = np.repeat(np.arange(3000) // 100, 2)
    cv = calibration.fit_cv(logp, groups, true, blocks)
    assert cv.tau == pytest.approx(0.3, rel=0.15)
    assert fit_floor(logp, groups, true, prior_sd=2.0).tau == pytest.approx(0.3, rel=0.15)  # as the wide prior


def test_cv_keeps_the_floor_where_truths_have_probability_zero():
    # as-like: the never-sampled truths can only be explained by a floor; without one
    # a fold would give them P = 0, so cross-validation must choose it
    logp, groups, true = _as_like(n_right=180, n_zero=10, n_soft=10)
    rng = np.random.default_rng(0)
    order = rng.permutation(200)  # spread the errors over the frame pairs
    blocks = np.repeat((order // 10), 3)
    cv = calibration.fit_cv(logp, groups, true, blocks)
    assert cv.eps > 0 and cv.zero_truth == 10
    assert calibrated(logp, groups, cv.tau, cv.eps)[true].min() > 0


def test_cv_without_blocks_to_hold_out_uses_the_default_prior():
    logp, groups, true = _as_like(n_right=50, n_zero=5)
    one = calibration.fit_cv(logp, groups, true, np.zeros(len(logp), int))
    assert one == fit_floor(logp, groups, true, calibration.PRIOR_SD)
    with pytest.raises(ValueError, match="blocks"):
        fit(logp, groups, true, "floor", "cv")
