import numpy as np
import pytest

from uqtrack.calibration import cross_entropy, cross_entropy_slope, fit_temperature, scaled


def _synthetic(tau_true, n_groups=3000, seed=0):
    """Groups of 2-5 classes whose true class is drawn from p^tau_true."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 6, n_groups)
    groups = np.repeat(np.arange(n_groups), sizes)
    p = rng.dirichlet(np.ones(sizes.max()), n_groups)
    p = np.concatenate([row[:s] / row[:s].sum() for row, s in zip(p, sizes)])
    q = scaled(np.log(p), groups, tau_true)
    true = np.zeros(len(p), dtype=bool)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    for start, size in zip(starts, sizes):
        true[start + rng.choice(size, p=q[start : start + size])] = True
    return np.log(p), groups, true


def test_scaled_normalises_each_group_and_is_identity_at_one():
    p = np.array([0.2, 0.6, 0.2, 1e-3, 0.5])
    groups = np.array([0, 0, 0, 1, 1])
    q = scaled(np.log(p), groups, 1.0)
    np.testing.assert_allclose(np.bincount(groups, q), 1.0)
    np.testing.assert_allclose(q[:3], p[:3] / p[:3].sum())
    # tau -> 0 flattens, large tau sharpens
    np.testing.assert_allclose(scaled(np.log(p), groups, 1e-9)[:3], 1 / 3, atol=1e-6)
    assert scaled(np.log(p), groups, 50.0)[1] > 0.999
    # a never-seen class stays at 0 for every temperature
    with np.errstate(divide="ignore"):
        logp = np.log(np.array([0.0, 0.3, 0.7]))
    assert scaled(logp, np.zeros(3, dtype=int), 0.01)[0] == 0.0


@pytest.mark.parametrize("tau_true", [0.5, 1.0, 2.5])
def test_fit_recovers_the_generating_temperature(tau_true):
    logp, groups, true = _synthetic(tau_true)
    fit = fit_temperature(logp, groups, true)
    tau = fit.tau
    assert fit.status == "fitted" and fit.daughters == fit.daughters_used == 3000
    assert fit.temperature == pytest.approx(1 / tau)
    assert fit.cross_entropy_fit <= fit.cross_entropy_raw
    assert tau == pytest.approx(tau_true, rel=0.15)
    # and it is the minimiser: a fine grid finds nothing better
    grid = np.exp(np.linspace(np.log(0.05), np.log(20), 400))
    best = min(cross_entropy(logp, groups, true, t) for t in grid)
    assert cross_entropy(logp, groups, true, tau) <= best + 1e-6


def test_groups_without_true_class_or_single_class_are_ignored():
    with np.errstate(divide="ignore"):
        p = np.log(np.array([0.7, 0.3, 1.0, 0.5, 0.5, 0.0, 1.0]))
    groups = np.array([0, 0, 1, 2, 2, 3, 3])
    # group 2 has no true class; group 3's true class has P = 0 (infinite for every tau)
    true = np.array([True, False, True, False, False, True, False])
    a = fit_temperature(p, groups, true)
    b = fit_temperature(p[:2], groups[:2], true[:2])
    assert a.tau == pytest.approx(b.tau)
    assert (a.daughters, a.daughters_used) == (4, 1)
    none = fit_temperature(np.array([0.0]), np.array([0]), np.array([True]))
    assert (none.tau, none.status, none.daughters_used) == (1.0, "no_data", 0)


def test_slope_is_the_derivative_of_the_cross_entropy():
    logp, groups, true = _synthetic(1.3, n_groups=200)
    for tau in (0.1, 1.0, 7.0):
        h = 1e-6 * tau
        numeric = (cross_entropy(logp, groups, true, tau + h) - cross_entropy(logp, groups, true, tau - h)) / (2 * h)
        assert cross_entropy_slope(logp, groups, true, tau) == pytest.approx(numeric, rel=1e-5)


def test_separable_calibration_data_is_not_a_fitted_temperature():
    # every daughter's true class is its most probable one: the loss falls forever
    logp = np.log(np.array([0.9, 0.1, 0.6, 0.4, 0.8, 0.2]))
    groups = np.array([0, 0, 1, 1, 2, 2])
    true = np.array([True, False, True, False, True, False])
    fit = fit_temperature(logp, groups, true)
    assert (fit.tau, fit.status) == (1.0, "separable")


def test_flat_loss_is_not_a_fitted_temperature():
    # equal probabilities within every daughter: P^tau is the same for every tau
    logp = np.log(np.full(4, 0.5))
    fit = fit_temperature(logp, np.array([0, 0, 1, 1]), np.array([True, False, False, True]))
    assert (fit.tau, fit.status) == (1.0, "flat")


def test_anti_informative_probabilities_are_flagged():
    # the true class is always the least probable: the loss falls as tau -> 0
    logp = np.log(np.array([0.9, 0.1, 0.7, 0.3]))
    fit = fit_temperature(logp, np.array([0, 0, 1, 1]), np.array([False, True, False, True]))
    assert (fit.tau, fit.status) == (1.0, "uninformative")


def test_interior_minimum_matches_a_grid_search():
    logp, groups, true = _synthetic(0.3, n_groups=400, seed=3)
    fit = fit_temperature(logp, groups, true)
    grid = np.exp(np.linspace(np.log(1e-3), np.log(1e3), 4001))
    ce = [cross_entropy(logp, groups, true, t) for t in grid]
    assert fit.tau == pytest.approx(grid[int(np.argmin(ce))], rel=0.01)
