"""The `overlap` and `activity` trackers: formulas by hand, perturbation, fit, methods."""

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage

from uqtrack.trackers import (
    ActivityTracker,
    Calibration,
    Frame,
    OverlapTracker,
    make_tracker,
    tracker_class,
)
from uqtrack.trackers.activity import activity, fit_activity_model, fit_motion
from uqtrack.trackers.masks import PixelSets, border_bands, row_image
from uqtrack.trackers.overlap import diou, reference_cost, reference_move
from uqtrack.uq import METHODS, MethodParams, pair_probabilities


def make_frame(t, mask, image=None):
    """A Frame of a label image, centroids as the CTC reader computes them."""
    labels = np.unique(mask[mask > 0])
    cy = ndimage.mean(np.indices(mask.shape)[0], mask, labels)
    cx = ndimage.mean(np.indices(mask.shape)[1], mask, labels)
    cells = pd.DataFrame({"label": labels.astype(np.int64), "y": cy, "x": cx})
    return Frame(t, cells, lambda: mask, None if image is None else (lambda: image))


def squares(shape, boxes):
    """Label image with label ``k`` on each ``(k, y0, x0, y1, x1)`` box (inclusive)."""
    mask = np.zeros(shape, dtype=np.uint16)
    for k, y0, x0, y1, x1 in boxes:
        mask[y0 : y1 + 1, x0 : x1 + 1] = k
    return mask


# ------------------------------------------------------------------------ overlap


def test_overlap_cost_by_hand():
    # mother 1: rows/cols 2..5; daughter 5: rows/cols 3..6; daughter 7 far away
    m = make_frame(0, squares((20, 20), [(1, 2, 2, 5, 5)]))
    d = make_frame(1, squares((20, 20), [(5, 3, 3, 6, 6), (7, 14, 15, 15, 16)]))
    tracker = OverlapTracker(kappa=4.0, max_candidates=5)
    fm, fd = tracker.features(m), tracker.features(d)
    edges = tracker.candidates(fm, fd)
    assert edges.tolist() == [[0, 0], [0, 1]]
    iou = 9 / (16 + 16 - 9)
    near = iou - (1.0**2 + 1.0**2) / (5.0**2 + 5.0**2)  # centroids (3.5, 3.5), (4.5, 4.5); box 5 x 5
    # far: no overlap; centroids (3.5, 3.5), (14.5, 15.5); box rows 2..15, cols 2..16
    far = 0.0 - (11.0**2 + 12.0**2) / (14.0**2 + 15.0**2)
    np.testing.assert_allclose(tracker.costs(fm, fd, edges), 4.0 * (1 - np.array([near, far])))
    same = make_frame(1, squares((20, 20), [(9, 2, 2, 5, 5)]))
    assert tracker.costs(fm, tracker.features(same), np.array([[0, 0]])).tolist() == [0.0]


def test_overlap_candidates_are_overlapping_pairs_plus_nearest():
    # daughter 0 overlaps mothers 0 and 1 (a division seen as one cell); daughter 1 overlaps none
    m = make_frame(0, squares((30, 30), [(1, 0, 0, 3, 3), (2, 0, 4, 3, 7), (3, 20, 20, 23, 23)]))
    d = make_frame(1, squares((30, 30), [(1, 1, 2, 4, 6), (2, 26, 10, 28, 12)]))
    only = OverlapTracker(max_candidates=0)
    assert only.candidates(only.features(m), only.features(d)).tolist() == [[0, 0], [1, 0]]
    one = OverlapTracker(max_candidates=1)
    # daughter 1's nearest mother by centroid is mother 2 (21.5, 21.5)
    assert one.candidates(one.features(m), one.features(d)).tolist() == [[0, 0], [1, 0], [2, 1]]


def test_border_move_is_a_euclidean_disk_and_never_empties_a_cell():
    mask = squares((11, 11), [(1, 4, 4, 6, 6)])  # a 3 x 3 square
    bands = border_bands(row_image(make_frame(0, mask)), 1, radius=5.0)

    def painted(rho):
        px = bands.moved(np.array([rho]))
        out = np.zeros(mask.shape, dtype=bool)
        out[px.y, px.x] = True
        return out

    np.testing.assert_array_equal(painted(0.0), mask > 0)
    # thickened by 1: every pixel within 1.5 px of a cell pixel (the 5 x 5 square)
    np.testing.assert_array_equal(painted(1.0), ndimage.binary_dilation(mask > 0, np.ones((3, 3))))
    # thinned by 1: only the centre is more than 1.5 px inside
    assert np.argwhere(painted(-1.0)).tolist() == [[5, 5]]
    assert np.argwhere(painted(-4.0)).tolist() == [[5, 5]]  # erosion stops at the innermost pixel


def random_masks(rng, n, shape=(60, 60)):
    """Discs of random radius at random places (later labels overwrite earlier ones)."""
    mask = np.zeros(shape, dtype=np.uint16)
    yy, xx = np.indices(shape)
    for k in range(1, n + 1):
        cy, cx, r = rng.uniform(5, shape[0] - 5), rng.uniform(5, shape[1] - 5), rng.uniform(2, 6)
        mask[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = k
    return mask


def brute_diou(a: PixelSets, b: PixelSets, i: int, j: int, shape) -> float:
    """DIoU of one pair from painted boolean masks."""
    ma, mb = np.zeros(shape, bool), np.zeros(shape, bool)
    ma[a.y[a.cell == i], a.x[a.cell == i]] = True
    mb[b.y[b.cell == j], b.x[b.cell == j]] = True
    iou = (ma & mb).sum() / (ma | mb).sum()
    ca, cb = np.argwhere(ma).mean(axis=0), np.argwhere(mb).mean(axis=0)
    both = np.argwhere(ma | mb)
    c2 = ((both.max(axis=0) - both.min(axis=0) + 1.0) ** 2).sum()
    return iou - ((ca - cb) ** 2).sum() / c2


def test_perturbed_diou_matches_painted_masks():
    rng = np.random.default_rng(3)
    m = make_frame(0, random_masks(rng, 12))
    d = make_frame(1, random_masks(rng, 12))
    tracker = OverlapTracker(radius=2.5)
    fm, fd = tracker.features(m), tracker.features(d)
    edges = tracker.candidates(fm, fd)
    a = fm.bands.moved(rng.uniform(-2.5, 2.5, len(fm)))
    b = fd.bands.moved(rng.uniform(-2.5, 2.5, len(fd)))
    expected = [brute_diou(a, b, i, j, (60, 60)) for i, j in edges]
    np.testing.assert_allclose(diou(a, b, edges), expected, atol=1e-12)


def test_overlap_perturbation_is_seeded_and_radius_zero_reproduces_costs():
    rng = np.random.default_rng(0)
    m, d = make_frame(0, random_masks(rng, 15)), make_frame(1, random_masks(rng, 15))
    tracker = OverlapTracker(radius=1.5)
    fm, fd = tracker.features(m), tracker.features(d)
    edges = tracker.candidates(fm, fd)
    w = tracker.costs(fm, fd, edges)
    one = tracker.sample_costs(fm, fd, edges, np.random.default_rng(7))
    two = tracker.sample_costs(fm, fd, edges, np.random.default_rng(7))
    np.testing.assert_array_equal(one, two)
    assert np.abs(one - w).max() > 0.1
    assert (one >= 0).all() and (one < 2 * tracker.kappa).all()
    still = OverlapTracker(radius=0.0)
    gm, gd = still.features(m), still.features(d)
    np.testing.assert_array_equal(still.sample_costs(gm, gd, edges, rng), w)


def test_overlap_radius_grows_like_sqrt_step_only_under_linear_scaling():
    entry = {"type": "overlap", "radius": 2.0}
    still = make_tracker({**entry, "step_scaling": "none"}, {"radius": 2.0}, 16)
    assert still.moved_radius == 2.0 and still.appear_cost == 10.0 and still.price_scale == 1.0
    linear = make_tracker(entry, {"radius": 2.0}, 16)  # the type's default: linear
    assert linear.moved_radius == 8.0 and linear.step_scale == 16.0


def test_reference_cost_is_the_diou_of_two_pixel_squares():
    side = 400  # large, so the pixel box's +1 barely matters
    for x in (0.0, 0.3, 0.755, 1.0, 2.5, 7.0):
        shift = int(round(x * side))
        m = make_frame(0, squares((side + 2, side + shift + 2), [(1, 1, 1, side, side)]))
        d = make_frame(1, squares((side + 2, side + shift + 2), [(1, 1, 1 + shift, side, side + shift)]))
        t = OverlapTracker(kappa=1.0, max_candidates=1)
        w = t.costs(t.features(m), t.features(d), np.array([[0, 0]]))[0]
        assert w == pytest.approx(float(reference_cost(shift / side)), abs=5e-3), x
    grid = np.linspace(0.0, 50.0, 20001)
    assert (np.diff(reference_cost(grid)) > 0).all() and reference_cost(grid[-1]) < 2.0
    for cost in (0.0, 0.4, 1.0, 1.9):
        assert reference_cost(reference_move(cost)) == pytest.approx(cost, abs=1e-12)


@pytest.mark.parametrize("kappa, price", [(10.0, 10.0), (10.0, 4.0), (3.0, 5.0)])
def test_overlap_prices_are_the_cost_of_the_step_1_move_grown_like_sqrt_step(kappa, price):
    entry = {"type": "overlap", "appear_cost": price, "disappear_cost": price}
    grid = np.linspace(0.0, 200.0, 2_000_001)  # brute force: the move that costs the price at step 1
    x1 = grid[np.argmin(np.abs(kappa * reference_cost(grid) - price))]
    prices = []
    for step in (1, 2, 10, 30, 50):
        t = make_tracker(entry, {"kappa": kappa}, step)
        expected = kappa * float(reference_cost(x1 * np.sqrt(step)))
        # the grid step 1e-4 in x1 bounds the error by kappa * max g' * 1e-4 * sqrt(50) < 0.01
        assert t.appear_cost == pytest.approx(expected, abs=1e-2) and t.disappear_cost == t.appear_cost
        prices.append(t.appear_cost)
        if price == kappa:  # asf's slack grows like the price of DIoU 0
            assert t.price_scale == pytest.approx(t.appear_cost / kappa)
        still = make_tracker({**entry, "step_scaling": "none"}, {"kappa": kappa}, step)
        assert (still.appear_cost, still.disappear_cost) == (price, price)  # the paper's fixed prices
    assert prices[0] == price  # step 1 is the step-1 price, exactly
    assert (np.diff(prices) > 0).all() and prices[-1] < 2 * kappa  # grows, never above every link
    if kappa == price == 10.0:  # the default: 10 / 12.2 / 14.6 / 16.2 / 16.9
        np.testing.assert_allclose(prices, [10.0, 12.16, 14.57, 16.25, 16.92], atol=0.01)


def test_overlap_prices_no_move_reaches_are_kept():
    for price in (0.0, 20.0, 35.0):
        t = make_tracker({"type": "overlap", "appear_cost": price, "disappear_cost": price}, {}, 30)
        assert t.appear_cost == price


# ----------------------------------------------------------------------- activity


def test_activity_by_hand_from_images_and_from_masks():
    mask0 = squares((8, 8), [(1, 1, 1, 2, 2), (2, 5, 5, 6, 6)])
    mask1 = squares((8, 8), [(4, 1, 2, 2, 3), (6, 5, 5, 6, 6)])  # cell 1 moved one column
    img0 = np.zeros((8, 8))
    img1 = np.zeros((8, 8))
    img1[1, 1], img1[2, 2] = 4.0, -2.0  # |change| over mother 1: (4 + 0 + 0 + 2) / 4
    img1[5:7, 5:7] = 1.0
    tracker = ActivityTracker(activity_source="image")
    m = tracker.features(make_frame(0, mask0, img0))
    d = tracker.features(make_frame(1, mask1, img1))
    np.testing.assert_allclose(activity(m, d, "image"), [1.5, 1.0])
    # masks: mother 1's best cell at t' covers 2 of its 4 pixels, mother 2's all 4
    np.testing.assert_allclose(activity(m, d, "masks"), [0.5, 0.0])


def test_activity_cost_by_hand():
    mask0 = squares((8, 8), [(1, 1, 1, 2, 2), (2, 5, 5, 6, 6)])
    mask1 = squares((8, 8), [(4, 1, 2, 2, 3), (6, 5, 5, 6, 6)])
    tracker = ActivityTracker(sigma=2.0, alpha=3.0, activity_floor=0.1, activity_scale=0.2,
                              activity_source="masks")
    m, d = tracker.features(make_frame(0, mask0)), tracker.features(make_frame(1, mask1))
    edges = np.array([[0, 0], [1, 0], [0, 1], [1, 1]])
    var = 4.0 * (1 + 3.0 * np.array([(0.5 - 0.1) / 0.2, 0.0]))  # activities 0.5 and 0 (below floor)
    # centroids: mothers (1.5, 1.5), (5.5, 5.5); daughters (1.5, 2.5), (5.5, 5.5)
    sq = np.array([1.0, 16 + 9, 32.0, 0.0])
    mother = edges[:, 0]
    expected = sq / (2 * var[mother]) + np.log(var[mother] / 4.0)
    np.testing.assert_allclose(tracker.costs(m, d, edges), expected)
    assert expected[3] == 0.0


def test_activity_needs_an_image_when_told_to_use_one():
    mask = squares((8, 8), [(1, 1, 1, 2, 2)])
    tracker = ActivityTracker(activity_source="image")
    m, d = tracker.features(make_frame(0, mask)), tracker.features(make_frame(1, mask))
    with pytest.raises(ValueError, match="frame 0: no raw image.*activity_source: masks"):
        tracker.costs(m, d, np.array([[0, 0]]))


def test_activity_perturbation_is_seeded_and_zero_variance_reproduces_costs():
    rng = np.random.default_rng(1)
    fm, fd = make_frame(0, random_masks(rng, 10)), make_frame(1, random_masks(rng, 10))
    tracker = ActivityTracker(sigma=3.0, alpha=2.0, activity_source="masks", perturb_var=0.2)
    m, d = tracker.features(fm), tracker.features(fd)
    edges = tracker.candidates(m, d)
    w = tracker.costs(m, d, edges)
    one = tracker.sample_costs(m, d, edges, np.random.default_rng(5))
    np.testing.assert_array_equal(one, tracker.sample_costs(m, d, edges, np.random.default_rng(5)))
    assert np.abs(one - w).max() > 0.01
    exact = ActivityTracker(sigma=3.0, alpha=2.0, activity_source="masks", perturb_var=0.0)
    np.testing.assert_array_equal(exact.sample_costs(m, d, edges, rng), w)


def test_fit_motion_is_the_likelihood_maximum():
    rng = np.random.default_rng(2)
    a = rng.exponential(1.0, 400)
    moves = rng.normal(0, 1.5 * np.sqrt(1 + 2.0 * a)[:, None], (400, 2))
    sigma, alpha, nll = fit_motion(moves, a)
    sq = (moves**2).sum(axis=1)
    # brute force over a grid, independent of the profile likelihood
    grid_s, grid_a = np.meshgrid(np.linspace(1.0, 2.2, 241), np.linspace(0.0, 5.0, 501), indexing="ij")
    var = grid_s[..., None] ** 2 * (1 + grid_a[..., None] * a)
    nlls = (np.log(var) + sq / (2 * var)).sum(axis=-1)
    best = np.unravel_index(np.argmin(nlls), nlls.shape)
    assert nll <= nlls[best] + 1e-9
    assert abs(sigma - grid_s[best]) < 0.02 and abs(alpha - grid_a[best]) < 0.05
    assert abs(sigma - 1.5) < 0.2 and abs(alpha - 2.0) < 0.8  # and near the truth
    # activity that says nothing: alpha 0 and sigma the distance tracker's
    s0, a0, _ = fit_motion(moves, np.zeros(400))
    assert a0 == 0.0 and np.isclose(s0, np.sqrt(sq.mean() / 2))

    def model_nll(f):
        above = np.maximum(a + 5.0 - f["activity_floor"], 0) / f["activity_scale"]
        var = f["sigma"] ** 2 * (1 + f["alpha"] * above)
        return (np.log(var) + sq / (2 * var)).sum()

    fitted = fit_activity_model(moves, a + 5.0)  # a noise floor of 5
    at_truth = fit_activity_model(moves, a + 5.0, activity_floor=5.0)
    assert at_truth["activity_scale"] == pytest.approx(a.mean())
    assert model_nll(fitted) <= model_nll(at_truth) + 1e-9
    assert 5.0 <= fitted["activity_floor"] <= 5.0 + np.quantile(a, 0.3) + 1e-9 and fitted["alpha"] > 0.5


# ------------------------------------------------------- through every method


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    from uqtrack.ctc import read_sequence
    from uqtrack.frames import frame_source
    from uqtrack.lineage import true_links
    from uqtrack.simulate import simulate_dataset

    root = tmp_path_factory.mktemp("sim")
    simulate_dataset(root, ["01"], "nuclei", {"n_frames": 6, "shape": [96, 96], "n_initial": 10}, seed=4)
    tracks, dets, stats = read_sequence(root, "01")
    frames = frame_source(dets, stats["tra_dir"], root / "01")
    return Calibration([(dets, true_links(tracks, dets, 1), frames)]), frames


@pytest.mark.parametrize("kind", ["overlap", "activity"])
def test_every_method_on_a_simulated_pair(simulated, kind):
    calibration, frames = simulated
    entry = {"type": kind}
    params = tracker_class(kind).fit({}, calibration)
    if kind == "activity":
        assert params["activity_source"] == "image"  # the simulation writes raw images
    tracker = make_tracker(entry, params, 1)
    m, d = tracker.features(frames(2)), tracker.features(frames(3))
    edges = tracker.candidates(m, d)
    assert len(edges) >= len(d)
    for method in METHODS:
        probs = pair_probabilities(method, tracker, m, d, edges, np.random.default_rng(0), MethodParams(k=4))
        p = np.concatenate([probs.p_edge, probs.p_none])
        assert np.isfinite(p).all() and (p >= 0).all() and (p <= 1 + 1e-12).all(), method
        # each daughter: exactly one judged choice, a mother or "appears"
        chosen = np.bincount(edges[probs.pred_edge, 1], minlength=len(d)) + probs.pred_none
        assert (chosen == 1).all(), method
        # the simulated cells barely move: every daughter is linked at step 1
        assert not probs.pred_none.any(), method


# ------------------------------------------------------------------------ config


def test_config_schema_knows_the_new_types():
    import copy

    import yaml

    from uqtrack import config as cfg
    from uqtrack.errors import InputError

    from conftest import ROOT

    schema = ROOT / "workflow" / "schemas" / "config.schema.yaml"
    base = yaml.safe_load((ROOT / ".test" / "config.yaml").read_text())
    good = copy.deepcopy(base)
    good["trackers"] = {
        "distance": {},
        "overlap": {"type": "overlap", "kappa": 5, "radius": 0, "max_candidates": 0},
        "activity": {"type": "activity", "alpha": "auto", "activity_source": "masks", "sigma": 2.5},
    }
    cfg.load(good, schema, "my.yaml")
    for name, key, value, words in [
        ("overlap", "sigma", 3, "'sigma'"),  # a distance key on an overlap tracker
        ("overlap", "kappa", 0, "kappa"),
        ("activity", "activity_source", "pixels", "activity_source"),
        ("activity", "alpha", -1, "alpha"),
    ]:
        bad = copy.deepcopy(good)
        bad["trackers"][name][key] = value
        with pytest.raises(InputError) as err:
            cfg.load(bad, schema, "my.yaml")
        assert f"trackers.{name}" in str(err.value) and words in str(err.value), str(err.value)
