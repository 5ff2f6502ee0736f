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


def _summary(ece, boot_sd=0.002, temperature=None, msd=None, improvement=None, seed=0):
    """A one-dataset, one-tracker summary.

    ``ece[method][ts]``: list over steps; replicates scatter around each value with
    ``boot_sd``. Mean confidence = accuracy + ECE (overconfident) unless given.
    """
    rng = np.random.default_rng(seed)
    shape = (1, len(STEPS), 1, len(METHODS), 2)
    val, boot = {}, {}
    for name in ("ece", "accuracy", "mean_confidence", "mean_improvement_p", "mean_improvement_entropy"):
        val[name] = np.zeros(shape)
        boot[name] = np.zeros(shape + (B,))
    noise = rng.normal(0, boot_sd, (len(STEPS), B))  # shared by methods: paired draws
    for mi, m in enumerate(METHODS):
        for ti, ts in enumerate(["raw", "ts"]):
            for si in range(len(STEPS)):
                e = ece[m][ts][si]
                val["ece"][0, si, 0, mi, ti] = e
                boot["ece"][0, si, 0, mi, ti] = e + noise[si] + rng.normal(0, boot_sd / 4, B)
                val["accuracy"][0, si, 0, mi, ti] = 0.8
                boot["accuracy"][0, si, 0, mi, ti] = 0.8 + noise[si]
                val["mean_confidence"][0, si, 0, mi, ti] = 0.8 + e
                boot["mean_confidence"][0, si, 0, mi, ti] = 0.8 + e + noise[si]
                imp = (improvement or {}).get((m, ts), (0.0, 0.0))
                for k, name in enumerate(("mean_improvement_p", "mean_improvement_entropy")):
                    val[name][0, si, 0, mi, ti] = imp[k]
                    boot[name][0, si, 0, mi, ti] = imp[k] + rng.normal(0, boot_sd, B)
    dims = ("dataset", "step", "tracker", "uq", "ts")
    coords = {"dataset": ["d"], "step": STEPS, "tracker": ["distance"], "uq": METHODS, "ts": ["raw", "ts"]}
    summary = xr.Dataset({k: (dims, v) for k, v in val.items()}, coords=coords)
    t = np.array(temperature if temperature is not None else [1.0, 2.0, 3.0, 4.0])
    summary["temperature"] = (("dataset", "step", "tracker", "uq"), np.broadcast_to(t[None, :, None, None], (1, 4, 1, 4)).copy())
    summary["ts_status"] = (("dataset", "step", "tracker", "uq"), np.zeros((1, 4, 1, 4)))
    m2 = np.array(msd if msd is not None else [1.0, 10.0, 30.0, 50.0])
    summary["msd"] = (("dataset", "step", "tracker", "uq"), np.broadcast_to(m2[None, :, None, None], (1, 4, 1, 4)).copy())
    replicates = xr.Dataset({f"boot_{k}": (dims + ("replicate",), v) for k, v in boot.items()},
                            coords={**coords, "replicate": np.arange(B)})
    return summary, replicates


def _ece(raw, ts, methods=METHODS):
    return {m: {"raw": list(raw), "ts": list(ts)} for m in methods}


def _verdict(table, claim, scope="paper methods"):
    rows = table[(table["claim"] == claim) & (table["scope"] == scope)]
    assert len(rows) == 1
    return rows.iloc[0]


TYPES = {"distance": "distance"}


def test_c1_and_c2_hold_when_raw_ece_rises_and_ts_fixes_it():
    s, b = _summary(_ece([0.01, 0.1, 0.3, 0.5], [0.01, 0.03, 0.05, 0.06]))
    t = claims.check(s, b, TYPES)
    assert _verdict(t, "C1")["verdict"] == claims.HOLDS
    assert _verdict(t, "C1")["value"] == pytest.approx(0.49)
    c2 = _verdict(t, "C2")
    assert c2["verdict"] == claims.HOLDS and "0 worse" in c2["detail"]


def test_c1_fails_when_ece_falls_and_c2_fails_when_ts_hurts():
    s, b = _summary(_ece([0.3, 0.2, 0.1, 0.05], [0.4, 0.3, 0.2, 0.2]))
    t = claims.check(s, b, TYPES)
    assert _verdict(t, "C1")["verdict"] == claims.FAILS
    assert _verdict(t, "C2")["verdict"] == claims.FAILS


def test_differences_inside_the_margin_decide_nothing():
    # ECE differences of 0.001 are noise, however tight the interval
    s, b = _summary(_ece([0.010, 0.011, 0.012, 0.013], [0.010, 0.010, 0.011, 0.012]), boot_sd=1e-5)
    t = claims.check(s, b, TYPES)
    assert _verdict(t, "C1")["verdict"] == claims.UNDECIDED
    assert _verdict(t, "C2")["verdict"] == claims.UNDECIDED
    assert "16 same" in _verdict(t, "C2")["detail"]


def test_c3_as_ts_best_or_beaten():
    ece = _ece([0.1] * 4, [0.05] * 4)
    ece["as"]["ts"] = [0.02] * 4
    s, b = _summary(ece)
    assert _verdict(claims.check(s, b, TYPES), "C3")["verdict"] == claims.HOLDS
    ece["sm"]["ts"] = [0.001] * 4  # softmax+TS clearly better at every step
    s, b = _summary(ece)
    row = _verdict(claims.check(s, b, TYPES), "C3")
    assert row["verdict"] == claims.FAILS and "sm+TS better" in row["detail"]


def test_c4_temperature_tracks_msd_or_not():
    s, b = _summary(_ece([0.1] * 4, [0.05] * 4), temperature=[1.0, 9.0, 31.0, 48.0])
    t = claims.check(s, b, TYPES)
    assert (t[t["claim"] == "C4"]["verdict"] == claims.HOLDS).all()
    s, b = _summary(_ece([0.1] * 4, [0.05] * 4), temperature=[4.0, 3.0, 2.0, 1.0])
    t = claims.check(s, b, TYPES)
    assert (t[t["claim"] == "C4"]["verdict"] == claims.FAILS).all()
    # unidentifiable temperatures do not count
    s["ts_status"][:] = STATUSES.index("separable")
    t = claims.check(s, b, TYPES)
    assert (t[t["claim"] == "C4"]["verdict"] == claims.UNDECIDED).all()
    # C4 is for distance-type trackers only
    assert not (claims.check(s, b, {"distance": "overlap"})["claim"] == "C4").any()


def test_c5_and_c6_from_sparsification_gains():
    ece = _ece([0.1] * 4, [0.05] * 4)
    # (p, entropy) mean improvement per (method, variant): TS lifts p-ranking, not entropy
    imp = {(m, "raw"): (0.0, 0.05) for m in METHODS}
    imp.update({(m, "ts"): (0.04, 0.05) for m in METHODS})
    s, b = _summary(ece, improvement=imp)
    t = claims.check(s, b, TYPES)
    assert _verdict(t, "C5")["verdict"] == claims.HOLDS
    assert _verdict(t, "C6")["verdict"] == claims.HOLDS
    # a gain that is there without TS: TS did not make it
    imp.update({(m, "raw"): (0.04, 0.05) for m in METHODS})
    s, b = _summary(ece, improvement=imp)
    t = claims.check(s, b, TYPES)
    assert _verdict(t, "C6")["verdict"] == claims.FAILS
    assert _verdict(t, "C5")["verdict"] == claims.UNDECIDED


def test_markdown_states_every_definition_and_verdict():
    s, b = _summary(_ece([0.01, 0.1, 0.3, 0.5], [0.01, 0.03, 0.05, 0.06]))
    table = claims.check(s, b, TYPES)
    text = claims.markdown(table, claims.across_datasets(s), {"temperature fitted on": "predicted"})
    for claim in claims.DEFINITIONS:
        assert f"## {claim}:" in text
    assert text.count("**holds**") == (table["verdict"] == claims.HOLDS).sum()
    assert "mean ± standard error" in text
