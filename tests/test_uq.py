import numpy as np
import pytest

from uqtrack import assignment
from uqtrack.trackers import DistanceTracker
from uqtrack.uq import MethodParams, dbmc, pair_probabilities


def _frame(seed, n=6):
    rng = np.random.default_rng(seed)
    mothers = rng.uniform(0, 40, (n, 2))
    daughters = np.vstack([mothers[: n - 1] + rng.normal(0, 3, (n - 1, 2)), mothers[:1] + 4])
    tracker = DistanceTracker(sigma=4.0, appear_cost=4.0, disappear_cost=3.0, max_candidates=3)
    return tracker, mothers, daughters, tracker.candidates(mothers, daughters)


def _exact_marginals(tracker, mothers, daughters, edges):
    """Posterior marginals by enumerating every feasible assignment."""
    problem = assignment.Problem(
        len(mothers), len(daughters), edges, tracker.costs(mothers, daughters, edges),
        tracker.appear_cost, tracker.disappear_cost,
    )
    sols = assignment.brute_force(problem)
    costs = np.array([s.cost for s in sols])
    w = np.exp(-(costs - costs.min()))
    w /= w.sum()
    p_edge, p_none = np.zeros(len(edges)), np.zeros(len(daughters))
    for s, wk in zip(sols, w):
        p_edge[s.choice[s.choice >= 0]] += wk
        p_none[s.choice < 0] += wk
    return p_edge, p_none, sols


def test_softmax_is_exp_minus_cost_and_dbmc_includes_none():
    tracker, m, d, edges = _frame(0)
    out = pair_probabilities("sm", tracker, m, d, edges, np.random.default_rng(0))
    w = tracker.costs(m, d, edges)
    np.testing.assert_allclose(out.p_edge, np.exp(-w))
    np.testing.assert_allclose(out.p_none, np.exp(-(4.0 + 3.0)))  # w_a + w_d
    cond, none = dbmc(out.log_p_edge, out.log_p_none, edges[:, 1])
    j = edges[0, 1]
    mine = edges[:, 1] == j
    by_hand = np.exp(-w[mine]) / (np.exp(-7.0) + np.exp(-w[mine]).sum())
    np.testing.assert_allclose(cond[mine], by_hand)
    np.testing.assert_allclose(np.bincount(edges[:, 1], cond, len(d)) + none, 1.0)


@pytest.mark.parametrize("seed", range(5))
def test_assignment_sampling_with_all_solutions_is_the_exact_posterior(seed):
    tracker, m, d, edges = _frame(seed)
    p_edge, p_none, sols = _exact_marginals(tracker, m, d, edges)
    for method in ("as", "asf"):
        out = pair_probabilities(
            method, tracker, m, d, edges, np.random.default_rng(0), MethodParams(k=len(sols), slack=None)
        )
        np.testing.assert_allclose(out.p_edge, p_edge, atol=1e-12)
        np.testing.assert_allclose(out.p_none, p_none, atol=1e-12)
        # the prediction is the MAP
        np.testing.assert_array_equal(np.flatnonzero(out.pred_edge), np.sort(sols[0].choice[sols[0].choice >= 0]))


def test_assignment_sampling_top_k_weights_are_self_normalised():
    tracker, m, d, edges = _frame(3)
    _, _, sols = _exact_marginals(tracker, m, d, edges)
    out = pair_probabilities("as", tracker, m, d, edges, np.random.default_rng(0), MethodParams(k=3))
    top = np.array([s.cost for s in sols[:3]])
    w = np.exp(-top) / np.exp(-top).sum()
    expected = np.zeros(len(edges))
    for s, wk in zip(sols[:3], w):
        expected[s.choice[s.choice >= 0]] += wk
    np.testing.assert_allclose(out.p_edge, expected, atol=1e-12)


@pytest.mark.parametrize("method", ["sm", "fp"])
@pytest.mark.parametrize("distance", [0.5, 3.0, 4.4, 6.0, 9.0])
def test_isolated_pair_confidence_is_the_exact_posterior(method, distance):
    """One mother, one daughter: P_{i|j} of sm/fp is the posterior of linking.

    Brute force enumerates the two assignments (link: w; none: w_a + w_d).
    """
    tracker = DistanceTracker(sigma=2.0, appear_cost=3.0, disappear_cost=2.0, perturb_var=0.0)
    m, d = np.array([[10.0, 10.0]]), np.array([[10.0, 10.0 + distance]])
    edges = tracker.candidates(m, d)
    out = pair_probabilities(method, tracker, m, d, edges, np.random.default_rng(0))
    cond, _ = dbmc(out.log_p_edge, out.log_p_none, edges[:, 1])
    p_link, _, sols = _exact_marginals(tracker, m, d, edges)
    assert len(sols) == 2
    np.testing.assert_allclose(cond, p_link, rtol=1e-12)
    # and the MAP links exactly when that posterior exceeds 1/2
    assert out.pred_edge[0] == (p_link[0] > 0.5)


def _map_is_argmax_share(seed, n, spread):
    rng = np.random.default_rng(seed)
    mothers = rng.uniform(0, spread, (n, 2))
    daughters = mothers + rng.normal(0, 2.0, mothers.shape)
    daughters = daughters[rng.random(n) > 0.1]  # some mothers disappear
    tracker = DistanceTracker(sigma=2.0, appear_cost=3.0, disappear_cost=3.0)
    edges = tracker.candidates(mothers, daughters)
    out = pair_probabilities("sm", tracker, mothers, daughters, edges, rng)
    cond, none = dbmc(out.log_p_edge, out.log_p_none, edges[:, 1])
    classes = np.full((len(daughters), len(edges) + 1), -1.0)
    classes[edges[:, 1], np.arange(len(edges))] = cond
    classes[:, -1] = none
    argmax = classes.argmax(axis=1)
    predicted = np.full(len(daughters), len(edges))
    predicted[edges[out.pred_edge, 1]] = np.flatnonzero(out.pred_edge)
    return (argmax == predicted).mean()


def test_map_choice_is_the_dbmc_argmax_where_candidates_do_not_compete():
    # cells 100 sigma apart: no competition, agreement must be exact
    assert _map_is_argmax_share(0, 30, spread=6000.0) == 1.0
    # crowded frames: competition makes some MAP choices differ from the argmax
    crowded = np.mean([_map_is_argmax_share(s, 60, spread=60.0) for s in range(5)])
    assert 0.8 < crowded <= 1.0


def test_perturbation_methods_without_noise_reduce_to_their_base():
    tracker, m, d, edges = _frame(1)
    still = DistanceTracker(**{**tracker.__dict__, "perturb_var": 0.0})
    rng = np.random.default_rng(0)
    sm = pair_probabilities("sm", still, m, d, edges, rng)
    fp = pair_probabilities("fp", still, m, d, edges, rng)
    fpa = pair_probabilities("fpa", still, m, d, edges, rng)
    np.testing.assert_allclose(fp.p_edge, sm.p_edge)
    np.testing.assert_array_equal(fp.pred_edge, sm.pred_edge)
    np.testing.assert_array_equal(fpa.p_edge, sm.pred_edge.astype(float))
    np.testing.assert_array_equal(fpa.p_none, sm.pred_none.astype(float))


def test_perturbation_is_seeded_and_frequencies_are_valid():
    tracker, m, d, edges = _frame(2)
    noisy = DistanceTracker(**{**tracker.__dict__, "perturb_var": 0.25})
    a = pair_probabilities("fpa", noisy, m, d, edges, np.random.default_rng(7), MethodParams(k=20))
    b = pair_probabilities("fpa", noisy, m, d, edges, np.random.default_rng(7), MethodParams(k=20))
    np.testing.assert_array_equal(a.p_edge, b.p_edge)
    total = np.bincount(edges[:, 1], a.p_edge, len(d)) + a.p_none
    np.testing.assert_allclose(total, 1.0)
    np.testing.assert_allclose(a.p_edge * 20, np.round(a.p_edge * 20), atol=1e-9)


def test_empty_frames():
    tracker = DistanceTracker(sigma=1.0)
    none = np.zeros((0, 2))
    some = np.ones((2, 2))
    for m, d in [(none, some), (some, none), (none, none)]:
        edges = tracker.candidates(m, d)
        for method in ("sm", "fp", "fpa", "as", "asf", "mm"):
            out = pair_probabilities(method, tracker, m, d, edges, np.random.default_rng(0))
            assert out.p_none.shape == (len(d),) and out.pred_none.all()


def test_dbmc_survives_costs_whose_exponential_underflows():
    cond, none = dbmc(np.array([-1000.0, -1001.0]), np.array([-2000.0]), np.array([0, 0]))
    np.testing.assert_allclose(cond, [1 / (1 + np.exp(-1)), np.exp(-1) / (1 + np.exp(-1))])
    assert none[0] == 0.0


def test_factorised_sampling_sees_more_than_the_global_top_k():
    # two far-apart groups of cells: two components, each with alternatives
    rng = np.random.default_rng(5)
    a = rng.uniform(0, 10, (4, 2))
    mothers = np.vstack([a, a + 1000])
    daughters = mothers + rng.normal(0, 2, mothers.shape)
    tracker = DistanceTracker(sigma=3.0, max_candidates=3)
    edges = tracker.candidates(mothers, daughters)
    p_edge, p_none, _ = _exact_marginals(tracker, mothers, daughters, edges)
    err = {}
    for method in ("as", "asf"):
        out = pair_probabilities(method, tracker, mothers, daughters, edges, rng, MethodParams(k=5, slack=None))
        err[method] = np.abs(out.p_edge - p_edge).sum()
    assert err["asf"] < err["as"]


def test_perturbation_is_on_the_motion_scale():
    """perturb_var is a variance in units of sigma^2: the same noise in sigma units
    whatever the pixel size."""
    rng = np.random.default_rng(0)
    x = np.zeros((20000, 2))
    for sigma in (0.5, 8.0):
        noise = DistanceTracker(sigma=sigma, perturb_var=0.1).perturb(x, rng)
        assert noise.std() == pytest.approx(np.sqrt(0.1) * sigma, rel=0.02)


def test_fpa_gives_probabilities_strictly_between_0_and_1_on_ambiguous_links():
    # two mothers, two daughters each halfway between them: a real ambiguity
    mothers = np.array([[0.0, 0.0], [0.0, 10.0]])
    daughters = np.array([[0.0, 4.8], [0.0, 5.3]])
    tracker = DistanceTracker(sigma=3.0, perturb_var=0.1)  # the paper's 0.1, in sigma^2
    edges = tracker.candidates(mothers, daughters)
    out = pair_probabilities("fpa", tracker, mothers, daughters, edges, np.random.default_rng(1),
                             MethodParams(k=50))
    assert ((out.p_edge > 0) & (out.p_edge < 1)).all()


def test_method_registry_matches_the_config_schema():
    import yaml

    from uqtrack.uq import METHODS

    from conftest import ROOT

    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    assert schema["properties"]["methods"]["items"]["enum"] == list(METHODS)
    for name, fn in METHODS.items():
        assert "Eq." in fn.__doc__ or name in ("asf", "mm"), name  # paper methods cite their equation


def test_map_solvers_give_identical_probabilities():
    # Centroids on a coarse grid make equal costs, so MAPs tie (here HiGHS and the
    # sparse matching find different optima); both solvers return the same
    # (canonical) optimum, so every method's output is identical.
    rng = np.random.default_rng(3)
    mothers = np.unique(rng.integers(0, 8, (12, 2)).astype(float) * 2.0, axis=0)
    daughters = np.vstack([mothers[:10] + rng.integers(-1, 2, (10, 2)), mothers[:3] + 1.0])
    tracker = DistanceTracker(sigma=2.0, appear_cost=3.0, disappear_cost=3.0, max_candidates=4,
                              perturb_var=1.0)
    edges = tracker.candidates(mothers, daughters)
    for method in ("sm", "fp", "fpa"):
        out = {
            solver: pair_probabilities(method, tracker, mothers, daughters, edges,
                                       np.random.default_rng(3), MethodParams(map_solver=solver))
            for solver in ("lsa", "milp")
        }
        for field in ("log_p_edge", "log_p_none", "pred_edge", "pred_none"):
            np.testing.assert_array_equal(getattr(out["lsa"], field), getattr(out["milp"], field))


def test_fp_and_fpa_read_one_set_of_draws_whatever_runs_beside_them():
    """In a run, fp and fpa share the K perturbed draws of a pair (drawn once), and
    each method's table is the same alone, together, or in either order."""
    import pandas as pd

    from uqtrack.linking import link_sequence
    from uqtrack.trackers import Frame

    tracker, m, d, _ = _frame(5, n=8)
    calls = []

    class Counting(DistanceTracker):
        def sample_costs_batch(self, *args):
            calls.append(args[-1])
            return super().sample_costs_batch(*args)

    noisy = Counting(**{**tracker.__dict__, "perturb_var": 0.25})
    cells = [pd.DataFrame({"label": np.arange(1, len(p) + 1), "y": p[:, 0], "x": p[:, 1]}) for p in (m, d, m)]
    frames = [Frame(t, c) for t, c in enumerate(cells)]
    pairs = [(0, 1), (1, 2)]

    def run(methods):
        out = link_sequence(frames.__getitem__, pairs, noisy, methods, MethodParams(k=6), (3, "share"))
        return {name: table for name, (table, _) in out.items()}

    both = run(["fp", "fpa"])
    assert calls == [6] * len(pairs)  # one batch of K draws per pair, not one per method
    for alone in (run(["fpa"]), run(["fp"]), run(["fpa", "fp"])):
        for name, table in alone.items():
            pd.testing.assert_frame_equal(table, both[name])
    assert both["fpa"]["p_cond"].between(0, 1, inclusive="neither").any()  # the draws do differ
