"""Verdicts of the paper's findings, computed from constructed summaries.

No test here asserts that the paper is right: each builds a summary where a finding
holds, fails or cannot be told, and checks that the verdict says so.
"""

import numpy as np
import pytest
import xarray as xr

from uqtrack import claims
from uqtrack.calibration import STATUSES

METHODS = ["sm", "fp", "fpa", "as"]
STEPS = [1, 10, 30, 50]
B = 200
BUDGETS = [0.05, 0.1, 0.2]


def _summary(ece, boot_sd=0.002, temperature=None, msd=None, improvement=None, seed=0,
             trackers=("distance",), datasets=("d",), transfer=None):
    """A summary over ``datasets`` x STEPS x ``trackers`` x METHODS x (raw, ts).

    ``ece[method][ts]``: list over steps, the same for every dataset and tracker unless
    ``ece`` maps tracker names to such dicts. Replicates scatter around each value with
    ``boot_sd``, one draw per dataset and step shared by every tracker and method (paired,
    as in the evaluation). Mean confidence = accuracy + ECE (overconfident). ``improvement``
    maps ``(method, ts)`` to the (p, entropy) mean sparsification improvement, or tracker
    names to such maps. ``temperature`` and ``msd`` broadcast to (dataset, step, tracker, uq).
    ``transfer = (expected_wrong ratio per method, n_wrong)`` adds the transfer variables.
    """
    rng = np.random.default_rng(seed)
    nd, nt = len(datasets), len(trackers)
    shape = (nd, len(STEPS), nt, len(METHODS), 2)
    val, boot = {}, {}
    for name in ("ece", "accuracy", "mean_confidence", "mean_improvement_p", "mean_improvement_entropy"):
        val[name] = np.zeros(shape)
        boot[name] = np.zeros(shape + (B,))
    noise = rng.normal(0, boot_sd, (nd, len(STEPS), B))
    for di in range(nd):
        for k, tr in enumerate(trackers):
            e_of = ece[tr] if tr in ece else ece
            imp_of = (improvement or {}).get(tr, improvement or {})
            for mi, m in enumerate(METHODS):
                for ti, ts in enumerate(["raw", "ts"]):
                    for si in range(len(STEPS)):
                        at = (di, si, k, mi, ti)
                        e, z = e_of[m][ts][si], noise[di, si]
                        val["ece"][at] = e
                        boot["ece"][at] = e + z + rng.normal(0, boot_sd / 4, B)
                        val["accuracy"][at], boot["accuracy"][at] = 0.8, 0.8 + z
                        val["mean_confidence"][at], boot["mean_confidence"][at] = 0.8 + e, 0.8 + e + z
                        imp = imp_of.get((m, ts), (0.0, 0.0))
                        for j, name in enumerate(("mean_improvement_p", "mean_improvement_entropy")):
                            val[name][at] = imp[j]
                            boot[name][at] = imp[j] + rng.normal(0, boot_sd, B)
    dims = ("dataset", "step", "tracker", "uq", "ts")
    coords = {"dataset": list(datasets), "step": STEPS, "tracker": list(trackers), "uq": METHODS, "ts": ["raw", "ts"]}
    summary = xr.Dataset({k: (dims, v) for k, v in val.items()}, coords=coords)
    grid = dims[:4]
    full = shape[:4]

    def spread(values, default):
        a = np.asarray(values if values is not None else default, dtype=float)
        if a.ndim == 1:  # over steps
            a = a[None, :, None, None]
        return np.broadcast_to(a, full).copy()

    summary["temperature"] = (grid, spread(temperature, [1.0, 2.0, 3.0, 4.0]))
    summary["ts_status"] = (grid, np.zeros(full))
    summary["msd"] = (grid, spread(msd, [1.0, 10.0, 30.0, 50.0]))
    if transfer is not None:
        ratio, n_wrong = transfer
        r = np.array([ratio[m] for m in METHODS], dtype=float)
        nw = np.broadcast_to(np.asarray(n_wrong, dtype=float), full).copy()
        expected = np.stack([nw * 2.0, nw * r[None, None, None, :]], axis=-1)  # raw: overconfident x2
        summary["n_wrong"] = (grid, nw)
        summary["expected_wrong"] = (dims, expected)
        summary["caught_wrong"] = (dims + ("budget",), np.broadcast_to(np.array(BUDGETS) * 3, shape + (3,)).copy())
        summary = summary.assign_coords(budget=BUDGETS)
    replicates = xr.Dataset({f"boot_{k}": (dims + ("replicate",), v) for k, v in boot.items()},
                            coords={**coords, "replicate": np.arange(B)})
    return summary, replicates


def _ece(raw, ts, methods=METHODS):
    return {m: {"raw": list(raw), "ts": list(ts)} for m in methods}


def _rows(table, claim, scope=None, tracker=None):
    """The claim's rows; asserts there is at least one (an empty table must not pass)."""
    rows = table[table["claim"] == claim]
    if scope is not None:
        rows = rows[rows["scope"] == scope]
    if tracker is not None:
        rows = rows[rows["tracker"] == tracker]
    assert len(rows) > 0, f"{claim} produced no rows"
    return rows


def _verdict(table, claim, scope=None, tracker=None):
    rows = _rows(table, claim, scope, tracker)
    assert len(rows) == 1
    return rows.iloc[0]


def _all(table, claim, verdict, **where):
    """Every row of ``claim`` has ``verdict``, and there is at least one row."""
    rows = _rows(table, claim, **where)
    assert (rows["verdict"] == verdict).all(), rows[["tracker", "scope", "verdict", "detail"]].to_string()


TYPES = {"distance": "distance"}
ALL_TYPES = {"distance": "distance", "overlap": "overlap", "transformer": "transformer"}


def test_c1_and_c2_hold_when_raw_ece_rises_and_ts_fixes_it():
    s, b = _summary(_ece([0.01, 0.1, 0.3, 0.5], [0.01, 0.03, 0.05, 0.06]))
    t = claims.check(s, b, TYPES)
    assert _verdict(t, "C1")["verdict"] == claims.HOLDS
    assert _verdict(t, "C1")["value"] == pytest.approx(0.49)
    c2 = _verdict(t, "C2")
    assert c2["verdict"] == claims.HOLDS and "12 better, 0 worse, 12 decided" in c2["detail"]


def test_c1_fails_when_ece_falls_and_c2_fails_when_ts_hurts():
    s, b = _summary(_ece([0.3, 0.2, 0.1, 0.05], [0.4, 0.3, 0.2, 0.2]))
    t = claims.check(s, b, TYPES)
    assert _verdict(t, "C1")["verdict"] == claims.FAILS
    assert _verdict(t, "C2")["verdict"] == claims.FAILS


def test_differences_inside_the_margin_decide_nothing_but_do_not_improve():
    # ECE differences of 0.001 are noise for C1, however tight the interval; for C2 such
    # cells are decided (interval excludes 0) but not better: TS does not "almost always improve"
    s, b = _summary(_ece([0.010, 0.011, 0.012, 0.013], [0.010, 0.010, 0.011, 0.012]), boot_sd=1e-5)
    t = claims.check(s, b, TYPES)
    assert _verdict(t, "C1")["verdict"] == claims.UNDECIDED
    c2 = _verdict(t, "C2")
    assert c2["verdict"] == claims.FAILS and "0 better, 0 worse, 12 decided" in c2["detail"]


def test_c2_undecided_when_no_interval_excludes_0():
    s, b = _summary(_ece([0.1] * 4, [0.1] * 4), boot_sd=0.01)
    c2 = _verdict(claims.check(s, b, TYPES), "C2")
    assert c2["verdict"] == claims.UNDECIDED and " 0 decided" in c2["detail"]


@pytest.mark.parametrize(
    "better, worse, verdict",
    [(1, 0, claims.FAILS),  # the case: 1 better, the rest immaterial
     (9, 1, claims.HOLDS),  # 9 of 16 decided better, 1 of 16 cells (6 %) worse
     (8, 0, claims.FAILS),  # exactly half of the decided cells: not "more than half"
     (12, 2, claims.FAILS)],  # 2 of 16 cells (12.5 %) worse
)
def test_c2_counts_decided_cells_and_worse_cells(better, worse, verdict):
    ece = _ece([0.1] * 4, [0.099] * 4)  # every cell decided (tight), immaterial
    cells = [(m, k) for m in METHODS for k in range(4)]
    for m, k in cells[:better]:
        ece[m]["ts"][k] = 0.05
    for m, k in cells[better:better + worse]:
        ece[m]["ts"][k] = 0.15
    s, b = _summary(ece, boot_sd=1e-5)
    c2 = _verdict(claims.check(s, b, TYPES), "C2")
    assert c2["verdict"] == verdict, c2["detail"]
    assert f"{better} better, {worse} worse, 16 decided (interval excludes 0) of 16 cells" in c2["detail"]


def test_c3_ranks_as_ts_with_ties_and_keeps_the_strict_reading():
    ece = _ece([0.1] * 4, [0.05] * 4)
    ece["as"]["ts"] = [0.02] * 4
    s, b = _summary(ece)
    t = claims.check(s, b, TYPES)
    assert _verdict(t, "C3")["verdict"] == claims.HOLDS and _verdict(t, "C3")["value"] == 1
    assert _verdict(t, "C3s")["verdict"] == claims.HOLDS
    # one variant clearly better: AS+TS second, among the two best; the strict reading fails
    ece["sm"]["ts"] = [0.001] * 4
    t = claims.check(*_summary(ece), TYPES)
    row = _verdict(t, "C3")
    assert row["verdict"] == claims.HOLDS and "50: 2" in row["detail"]
    strict = _verdict(t, "C3s")
    assert strict["verdict"] == claims.FAILS and "sm+TS better" in strict["detail"]
    # two clearly better at every step: third, does not hold
    ece["fp"]["ts"] = [0.001] * 4
    row = _verdict(claims.check(*_summary(ece), TYPES), "C3")
    assert row["verdict"] == claims.FAILS and row["value"] == 3 and "sm+TS, fp+TS lower" in row["detail"]
    # ... at one step of four only: undecided
    ece["fp"]["ts"] = [0.05, 0.05, 0.05, 0.001]
    assert _verdict(claims.check(*_summary(ece), TYPES), "C3")["verdict"] == claims.UNDECIDED


def test_c3_counts_a_difference_whose_interval_includes_0_as_a_tie():
    ece = _ece([0.1] * 4, [0.05] * 4)
    ece["as"]["ts"] = [0.02] * 4
    for m in ("sm", "fp"):  # slightly lower than AS+TS, inside the noise
        ece[m]["ts"] = [0.019] * 4
    t = claims.check(*_summary(ece, boot_sd=0.005), TYPES)
    assert _verdict(t, "C3")["value"] == 1 and _verdict(t, "C3")["verdict"] == claims.HOLDS


def test_c1_leaves_out_sm_fp_of_the_transformer_and_c1x_checks_them():
    ece = _ece([0.1, 0.2, 0.3, 0.4], [0.05] * 4)  # fpa, as: rise by 0.3
    for m in ("sm", "fp"):
        ece[m]["raw"] = [0.6, 0.4, 0.2, 0.1]  # fall by 0.5
    s, b = _summary(ece, trackers=("distance", "transformer"))
    t = claims.check(s, b, ALL_TYPES)
    # the distance tracker averages all four methods: mean change -0.1
    assert _verdict(t, "C1", tracker="distance")["verdict"] == claims.FAILS
    c1 = _verdict(t, "C1", tracker="transformer")
    assert c1["verdict"] == claims.HOLDS and c1["value"] == pytest.approx(0.3)
    assert c1["scope"] == "paper methods except sm, fp"
    assert _verdict(t, "C1x", tracker="transformer")["verdict"] == claims.HOLDS
    assert not ((t["claim"] == "C1x") & (t["tracker"] == "distance")).any()  # transformer only
    # the exception fails where SM/FP's ECE rises with the transformer
    s, b = _summary(_ece([0.1, 0.2, 0.3, 0.4], [0.05] * 4), trackers=("transformer",))
    assert _verdict(claims.check(s, b, ALL_TYPES), "C1x")["verdict"] == claims.FAILS
    # a rise inside wide intervals: undecided
    s, b = _summary(_ece([0.1, 0.1, 0.1, 0.104], [0.05] * 4), boot_sd=0.01, trackers=("transformer",))
    assert _verdict(claims.check(s, b, ALL_TYPES), "C1x")["verdict"] == claims.UNDECIDED


def _c7_case(temperature_growth, sm_fp_raw=(0.6, 0.4, 0.2, 0.1)):
    ece = _ece([0.1, 0.2, 0.3, 0.4], [0.05] * 4)
    for m in ("sm", "fp"):
        ece[m]["raw"] = list(sm_fp_raw)
    growth = np.array([temperature_growth[m] for m in METHODS])
    temps = np.array(STEPS, dtype=float)[None, :, None, None] ** (growth[None, None, None, :] / np.log(50))
    return _summary(ece, temperature=temps, trackers=("transformer",))


def test_c7_sm_fp_only_improving_and_their_temperature_rising_least():
    s, b = _c7_case({"sm": 0.5, "fp": 0.7, "fpa": 2.0, "as": 1.5})
    row = _verdict(claims.check(s, b, ALL_TYPES), "C7")
    assert row["verdict"] == claims.HOLDS and "(i) yes, (ii) yes, (iii) yes" in row["detail"]
    # the temperature of fp rises more than that of as
    s, b = _c7_case({"sm": 0.5, "fp": 1.7, "fpa": 2.0, "as": 1.5})
    row = _verdict(claims.check(s, b, ALL_TYPES), "C7")
    assert row["verdict"] == claims.FAILS and "(iii) no" in row["detail"]
    # sm and fp do not improve
    s, b = _c7_case({"sm": 0.5, "fp": 0.7, "fpa": 2.0, "as": 1.5}, sm_fp_raw=(0.1, 0.2, 0.3, 0.4))
    assert _verdict(claims.check(s, b, ALL_TYPES), "C7")["verdict"] == claims.FAILS
    # temperatures unidentifiable: part (iii) cannot be told
    s, b = _c7_case({"sm": 0.5, "fp": 0.7, "fpa": 2.0, "as": 1.5})
    s["ts_status"][:] = STATUSES.index("separable")
    row = _verdict(claims.check(s, b, ALL_TYPES), "C7")
    assert row["verdict"] == claims.UNDECIDED and "(iii) ?" in row["detail"]
    assert not (claims.check(s, b, {"transformer": "distance"})["claim"] == "C7").any()


def test_c4a_temperature_rises_with_the_step_per_tracker_type():
    ece = _ece([0.1] * 4, [0.05] * 4)
    s, b = _summary(ece, temperature=[1.0, 9.0, 31.0, 48.0], trackers=tuple(ALL_TYPES))
    t = claims.check(s, b, ALL_TYPES)
    _all(t, "C4a", claims.HOLDS)
    assert set(_rows(t, "C4a")["scope"]) == {"distance type", "overlap type", "transformer type"}
    s, b = _summary(ece, temperature=[4.0, 3.0, 2.0, 1.0], trackers=tuple(ALL_TYPES))
    _all(claims.check(s, b, ALL_TYPES), "C4a", claims.FAILS)
    # unidentifiable temperatures do not count
    s["ts_status"][:] = STATUSES.index("separable")
    _all(claims.check(s, b, ALL_TYPES), "C4a", claims.UNDECIDED)
    # one method whose temperature falls: the median still rises, but not for every method
    temps = np.broadcast_to(np.array([1.0, 9.0, 31.0, 48.0])[None, :, None, None], (1, 4, 1, 4)).copy()
    temps[0, :, 0, METHODS.index("as")] = [4.0, 3.0, 2.0, 1.0]
    s, b = _summary(ece, temperature=temps)
    assert _verdict(claims.check(s, b, TYPES), "C4a")["verdict"] == claims.UNDECIDED


def test_c4b_temperature_tracks_msd_pooled_over_datasets():
    ece = _ece([0.1] * 4, [0.05] * 4)
    datasets = ("a", "b", "c")
    msd = np.array([[1.0, 10.0, 30.0, 50.0], [5.0, 60.0, 200.0, 400.0], [0.5, 2.0, 8.0, 20.0]])[:, :, None, None]
    s, b = _summary(ece, msd=msd, temperature=np.sqrt(msd), datasets=datasets, trackers=("distance", "overlap"))
    t = claims.check(s, b, ALL_TYPES)
    rows = _rows(t, "C4b")
    assert len(rows) == 4 and set(rows["dataset"]) == {"pooled"} and set(rows["tracker"]) == {"distance"}
    _all(t, "C4b", claims.HOLDS)
    assert "12 cells from 3 datasets" in rows.iloc[0]["detail"]
    # the temperature falls where the MSD rises
    s, b = _summary(ece, msd=msd, temperature=1 / msd, datasets=datasets)
    _all(claims.check(s, b, TYPES), "C4b", claims.FAILS)
    # one dataset: four cells are too few to tell
    s, b = _summary(ece, msd=[1.0, 10.0, 30.0, 50.0], temperature=[1.0, 3.0, 5.0, 7.0])
    _all(claims.check(s, b, TYPES), "C4b", claims.UNDECIDED)


def test_c4b_interval_from_brute_force_spearman():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(50, 9)), rng.normal(size=(50, 9))
    from scipy import stats
    want = [stats.spearmanr(a, b).statistic for a, b in zip(x, y, strict=True)]
    assert claims._spearman_rows(x, y) == pytest.approx(want)


def test_c5_and_c6_from_sparsification_gains():
    ece = _ece([0.1] * 4, [0.05] * 4)
    # (p, entropy) mean improvement per (method, variant): TS lifts p-ranking, not entropy
    imp = {(m, "raw"): (0.0, 0.05) for m in METHODS}
    imp.update({(m, "ts"): (0.04, 0.05) for m in METHODS})
    s, b = _summary(ece, improvement=imp)
    t = claims.check(s, b, TYPES)
    assert _verdict(t, "C5")["verdict"] == claims.HOLDS
    assert _verdict(t, "C6")["verdict"] == claims.HOLDS
    assert _verdict(t, "C9")["verdict"] == claims.HOLDS
    # a gain that is there without TS: TS did not make it
    imp.update({(m, "raw"): (0.04, 0.05) for m in METHODS})
    s, b = _summary(ece, improvement=imp)
    t = claims.check(s, b, TYPES)
    assert _verdict(t, "C6")["verdict"] == claims.FAILS
    assert _verdict(t, "C5")["verdict"] == claims.UNDECIDED
    assert _verdict(t, "C9")["verdict"] == claims.UNDECIDED  # no cell decided


def test_c9_fails_when_ts_mostly_lowers_the_sparsification_gain():
    imp = {(m, "raw"): (0.04, 0.0) for m in METHODS}
    imp.update({(m, "ts"): (0.0, 0.0) for m in METHODS})
    s, b = _summary(_ece([0.1] * 4, [0.05] * 4), improvement=imp)
    row = _verdict(claims.check(s, b, TYPES), "C9")
    assert row["verdict"] == claims.FAILS and "0 better, 16 worse" in row["detail"]


def test_c8_ts_crucial_only_with_the_overlap_tracker():
    only_ts = {(m, "raw"): (0.0, 0.0) for m in METHODS} | {(m, "ts"): (0.04, 0.0) for m in METHODS}
    without_ts = {(m, "raw"): (0.04, 0.0) for m in METHODS} | {(m, "ts"): (0.05, 0.0) for m in METHODS}
    trackers = ("distance", "overlap")
    s, b = _summary(_ece([0.1] * 4, [0.05] * 4), trackers=trackers,
                    improvement={"overlap": only_ts, "distance": without_ts})
    t = claims.check(s, b, ALL_TYPES)
    assert _verdict(t, "C8", tracker="overlap")["verdict"] == claims.HOLDS
    dist = _verdict(t, "C8", tracker="distance")
    assert dist["verdict"] == claims.HOLDS and "minus overlap's" in dist["detail"]
    # TS crucial with the distance tracker too
    s, b = _summary(_ece([0.1] * 4, [0.05] * 4), trackers=trackers,
                    improvement={"overlap": only_ts, "distance": only_ts})
    assert _verdict(claims.check(s, b, ALL_TYPES), "C8", tracker="distance")["verdict"] == claims.FAILS
    # ... and not crucial with the overlap tracker
    s, b = _summary(_ece([0.1] * 4, [0.05] * 4), trackers=trackers,
                    improvement={"overlap": without_ts, "distance": without_ts})
    assert _verdict(claims.check(s, b, ALL_TYPES), "C8", tracker="overlap")["verdict"] == claims.FAILS
    # crucial for sm, not for fp: undecided
    mixed = {k: v for k, v in without_ts.items()} | {("sm", "raw"): (0.0, 0.0), ("sm", "ts"): (0.04, 0.0)}
    s, b = _summary(_ece([0.1] * 4, [0.05] * 4), trackers=trackers,
                    improvement={"overlap": only_ts, "distance": mixed})
    assert _verdict(claims.check(s, b, ALL_TYPES), "C8", tracker="distance")["verdict"] == claims.UNDECIDED


def test_t1_expected_wrong_links_within_25_percent():
    ece = _ece([0.1] * 4, [0.05] * 4)
    # not in the summary: said so, not failed
    s, b = _summary(ece, datasets=("a", "b"))
    rows = _rows(claims.check(s, b, TYPES), "T1")
    assert len(rows) == 2 and (rows["verdict"] == claims.NOT_MEASURED).all()
    ratio = {"sm": 1.1, "fp": 2.0, "fpa": 1.5, "as": 0.5}
    s, b = _summary(ece, transfer=(ratio, 50))
    row = _verdict(claims.check(s, b, TYPES), "T1")
    assert row["verdict"] == claims.HOLDS and row["scope"] == "+TS, best: sm" and row["value"] == 1
    assert "sm: 4/4" in row["detail"] and "fp: 0/4" in row["detail"] and "0.1: 0.30" in row["detail"]
    s, b = _summary(ece, transfer=({m: 2.0 for m in METHODS}, 50))
    assert _verdict(claims.check(s, b, TYPES), "T1")["verdict"] == claims.FAILS
    # cells with fewer than 30 wrong links are not judged: two of four are too few
    s, b = _summary(ece, transfer=(ratio, np.array([10, 10, 50, 50])[None, :, None, None]))
    row = _verdict(claims.check(s, b, TYPES), "T1")
    assert row["verdict"] == claims.UNDECIDED and "sm: 2/2" in row["detail"]


def test_every_claim_has_rows_on_a_full_grid():
    ece = _ece([0.01, 0.1, 0.3, 0.5], [0.01, 0.03, 0.05, 0.06])
    s, b = _summary(ece, trackers=tuple(ALL_TYPES), datasets=("a", "b"),
                    transfer=({m: 1.0 for m in METHODS}, 40))
    t = claims.check(s, b, ALL_TYPES)
    for claim in claims.DEFINITIONS:
        _rows(t, claim)
    assert list(dict.fromkeys(t["claim"])) == list(claims.DEFINITIONS)  # in the order of the page
    assert set(t["verdict"]) <= {claims.HOLDS, claims.FAILS, claims.UNDECIDED}


def test_rows_helper_fails_on_an_empty_table():
    t = claims.check(*_summary(_ece([0.1] * 4, [0.05] * 4)), TYPES)
    with pytest.raises(AssertionError, match="C7 produced no rows"):
        _all(t, "C7", claims.HOLDS)  # no transformer: no C7 row, and that must not pass


def test_markdown_states_every_definition_and_verdict():
    s, b = _summary(_ece([0.01, 0.1, 0.3, 0.5], [0.01, 0.03, 0.05, 0.06]))
    table = claims.check(s, b, TYPES)
    text = claims.markdown(table, claims.across_datasets(s), {"temperature fitted on": "predicted"})
    for claim in claims.DEFINITIONS:
        assert f"## {claim}:" in text
    assert text.count("**holds**") == (table["verdict"] == claims.HOLDS).sum()
    assert f"**{claims.NOT_MEASURED}**" in text and f"1 {claims.NOT_MEASURED}" in text
    assert "mean ± standard error" in text


def test_checks_on_a_grid_with_sm_and_as_only():
    only_ts = {(m, "raw"): (0.0, 0.0) for m in METHODS} | {(m, "ts"): (0.04, 0.0) for m in METHODS}
    s, b = _summary(_ece([0.1] * 4, [0.05] * 4), trackers=("overlap", "transformer"), improvement=only_ts)
    s, b = s.sel(uq=["sm", "as"]), b.sel(uq=["sm", "as"])
    t = claims.check(s, b, ALL_TYPES)
    c8 = _verdict(t, "C8", tracker="overlap")
    assert c8["verdict"] == claims.HOLDS and c8["scope"] == "sm; overlap type"
    assert _verdict(t, "C1x")["scope"] == "sm"
    c7 = _verdict(t, "C7")
    assert c7["verdict"] == claims.UNDECIDED and "all four" in c7["detail"]
    c6 = _verdict(t, "C6", tracker="overlap")
    assert c6["verdict"] == claims.UNDECIDED and "fpa not run" in c6["detail"]
