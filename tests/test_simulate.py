"""Tests of the cell time-lapse simulator (uqtrack.simulate)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from uqtrack.errors import InputError
from uqtrack.simulate import (
    PRESETS,
    SimParams,
    Simulation,
    motion_stats,
    resolve_params,
    simulate,
    simulate_dataset,
    write_ctc,
)

# A small, harsh setting: fast cells, many entries and divisions in a tiny field,
# so leaving, entering, crowding and cancelled divisions all happen.
STRESS = {
    "n_frames": 30,
    "shape": (64, 80),
    "n_initial": 12,
    "speed": 3.0,
    "entry_rate": 1.0,
    "division_rate": 0.2,
    "max_cells": 40,
    "radius": (6.0, 1.5),
}


def _files(root: Path) -> dict[str, bytes]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


@pytest.fixture(scope="module")
def sims() -> dict[str, list[Simulation]]:
    out = {}
    for name in PRESETS:
        out[name] = [simulate(resolve_params(name), np.random.default_rng(s)) for s in range(3)]
    out["stress"] = [
        simulate(resolve_params("nuclei", STRESS), np.random.default_rng(s)) for s in range(3)
    ]
    return out


def _check_consistency(sim: Simulation, slack: float = 0.0) -> None:
    """Assert CTC semantics; ``slack`` px widen the mother-daughter distance bound."""
    tr = sim.tracks
    n_frames = len(sim.masks)
    assert list(tr.columns) == ["label", "begin", "end", "parent"]
    assert all(str(d) == "int64" for d in tr.dtypes)
    assert tr.label.is_unique and (tr.label > 0).all()
    assert (tr.begin <= tr.end).all() and (tr.begin >= 0).all() and (tr.end < n_frames).all()
    assert len(sim.raw) == n_frames
    by_label = tr.set_index("label")
    present: dict[int, list[int]] = {}
    for t, (m, r) in enumerate(zip(sim.masks, sim.raw, strict=True)):
        assert m.dtype == np.uint16 and r.dtype == np.uint16 and m.shape == r.shape
        for lab in np.unique(m[m > 0]).tolist():
            present.setdefault(lab, []).append(t)
    # Labels in masks are tracks, and each track is present on exactly begin..end.
    assert set(present) == set(by_label.index)
    for lab, frames in present.items():
        b, e = by_label.loc[lab, ["begin", "end"]]
        assert frames == list(range(b, e + 1)), f"label {lab}"
    # Divisions: parents exist, end one frame before their children, two children each.
    children = tr[tr.parent > 0]
    assert children.parent.isin(by_label.index).all()
    for mother, kids in children.groupby("parent"):
        assert len(kids) == 2, f"mother {mother} has {len(kids)} children"
        m_end = by_label.loc[mother, "end"]
        assert (kids.begin == m_end + 1).all()
        # Children appear next to where the mother was.
        mm = sim.masks[m_end] == mother
        mc = np.argwhere(mm).mean(axis=0)
        r_m = np.sqrt(mm.sum() / np.pi)
        for k in kids.label:
            kc = np.argwhere(sim.masks[m_end + 1] == k).mean(axis=0)
            assert np.hypot(*(kc - mc)) < 3 * max(r_m, sim.params.radius[0]) + slack
    # Roots starting after frame 0 are entering cells, never divisions.
    assert ((tr.parent == 0) | (tr.begin > 0)).all()


@pytest.mark.parametrize("kind", ["nuclei", "colony", "stress"])
def test_consistency(sims, kind):
    for sim in sims[kind]:
        # Daughters move in their first frame too; fast stress cells may go far.
        _check_consistency(sim, slack=4 * STRESS["speed"] if kind == "stress" else 0.0)


def test_stress_exercises_events(sims):
    stats = [motion_stats(s) for s in sims["stress"]]
    assert sum(s["n_entering"] for s in stats) > 0
    assert sum(s["n_leaving"] for s in stats) > 0
    assert sum(s["n_divisions"] for s in stats) > 0


def test_realism_nuclei(sims):
    for sim in sims["nuclei"]:
        st = motion_stats(sim)
        assert 0.03 <= st["ratio"] <= 0.1, st
        assert st["n_divisions"] > 0 and 0.003 <= st["division_rate"] <= 0.03, st
        assert 15 <= st["cells_mean"] <= 60, st
        assert st["n_entering"] + st["n_leaving"] > 0, st


def test_realism_colony(sims):
    for sim in sims["colony"]:
        st = motion_stats(sim)
        assert 0.15 <= st["ratio"] <= 0.5, st
        assert st["division_rate"] >= 0.04, st
        last = np.unique(sim.masks[-1]).size - 1
        assert last >= 36, st


def test_motion_grows_with_step(sims):
    sim = sims["nuclei"][0]
    r1, r10 = motion_stats(sim)["ratio"], motion_stats(sim, step=10)["ratio"]
    assert 2 < r10 / r1 < 5  # Brownian: ~sqrt(10) = 3.2


def test_reproducible_files(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    small = {"n_frames": 6}
    simulate_dataset(a, ["01", "02"], "nuclei", small, seed=7)
    simulate_dataset(b, ["01", "02"], "nuclei", small, seed=7)
    simulate_dataset(c, ["01", "02"], "nuclei", small, seed=8)
    fa, fb, fc = _files(a), _files(b), _files(c)
    assert "01/t000.tif" in fa and "01_GT/TRA/man_track005.tif" in fa
    assert "02_GT/TRA/man_track.txt" in fa
    assert fa == fb
    assert fa.keys() == fc.keys() and fa != fc
    # The two sequences of one dataset differ.
    assert fa["01_GT/TRA/man_track000.tif"] != fa["02_GT/TRA/man_track000.tif"]


def test_write_ctc_layout(tmp_path, sims):
    sim = sims["stress"][0]
    write_ctc(sim, tmp_path, "01")
    lines = (tmp_path / "01_GT/TRA/man_track.txt").read_text().splitlines()
    rows = [tuple(map(int, line.split())) for line in lines]
    assert rows == [tuple(r) for r in sim.tracks.itertuples(index=False)]
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    import tifffile

    for t in (0, len(sim.masks) - 1):
        mask = tifffile.imread(tmp_path / f"01_GT/TRA/man_track{t:03d}.tif")
        assert np.array_equal(mask, sim.masks[t])
        assert np.array_equal(tifffile.imread(tmp_path / f"01/t{t:03d}.tif"), sim.raw[t])


def test_unknown_parameter_and_preset():
    with pytest.raises(InputError, match="unknown simulation parameter 'x'"):
        resolve_params("nuclei", {"x": 1})
    with pytest.raises(InputError, match="unknown simulation parameter 'x'"):
        SimParams.from_dict({**PRESETS["colony"], "x": 1})
    with pytest.raises(InputError, match="unknown simulation preset"):
        resolve_params("nope")
    with pytest.raises(InputError, match="speed"):
        resolve_params("nuclei", {"speed": -1})
    with pytest.raises(InputError, match="^my.yaml: datasets.x.simulate.params: missing simulation parameter 'noise'"):
        SimParams.from_dict({k: v for k, v in PRESETS["colony"].items() if k != "noise"},
                            "my.yaml: datasets.x.simulate.params")
    err = pytest.raises(InputError, resolve_params, "nuclei", {"x": 1}).value
    assert "\n" not in str(err)


def test_overrides_apply(sims):
    p = resolve_params("colony", {"n_frames": 3, "shape": [40, 50]})
    sim = simulate(p, np.random.default_rng(0))
    assert len(sim.masks) == 3 and sim.masks[0].shape == (40, 50)
    assert PRESETS["colony"]["n_frames"] == 61  # presets are not modified


def test_round_trip_with_ctc_reader(tmp_path, sims):
    ctc = pytest.importorskip("uqtrack.ctc")
    if not hasattr(ctc, "read_sequence"):
        pytest.skip("uqtrack.ctc.read_sequence not available")
    for kind in ("colony", "stress"):
        sim = sims[kind][0]
        write_ctc(sim, tmp_path / kind, "01")
        tracks, det, stats = ctc.read_sequence(tmp_path / kind, "01")
        assert tracks.reset_index(drop=True).equals(sim.tracks.reset_index(drop=True))
        assert stats["n_gaps"] == 0
        assert stats["n_single_child_parents"] == 0 and stats["n_multi_child_parents"] == 0
        assert stats["n_delayed_children"] == 0
        assert stats["n_divisions"] == motion_stats(sim)["n_divisions"]
        assert len(det) == sum(np.unique(m).size - 1 for m in sim.masks)


@pytest.mark.parametrize("override, message", [
    ({"n_frames": 0}, "simulation parameter 'n_frames' must be >= 1"),
    ({"shape": [4, 64]}, "simulation parameter 'shape' must be two sizes >= 8"),
    ({"spacing": 3}, "simulation parameter 'spacing' must be in (0, 2]"),
])
def test_out_of_range_parameters_are_named(override, message):
    err = pytest.raises(InputError, resolve_params, "nuclei", override).value
    assert str(err) == f"config: {message}"
