"""Windowed association (trackastra's way): a model that sees ``window`` frames at once,
trained on windows, and a frame pair's probabilities averaged over the windows that
hold it. Checked against brute force, trackastra's own normalisation and the pair model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from test_transformer import _sequence

import uqtrack.transformer as tf
from uqtrack.frames import frame_source
from uqtrack.lineage import NO_MOTHER, frame_pairs, true_links
from uqtrack.linking import link_sequence
from uqtrack.trackers import make_tracker
from uqtrack.transformer.features import coordinates
from uqtrack.uq import MethodParams


@pytest.fixture(scope="module")
def sims():
    return _sequence(1), _sequence(2)


@pytest.fixture(scope="module")
def windowed(sims):
    return tf.train_model([sims[0]], seed=0, iterations=150, window=4, steps=(1, 2))


def _frames(seq, frames):
    det = seq.detections
    return [det[det["frame"] == t].sort_values("label") for t in frames]


@pytest.mark.parametrize("n_frames", [2, 3, 4, 5, 9])
@pytest.mark.parametrize("window", [2, 3, 4])
def test_pair_windows_are_every_run_of_frames_holding_the_pair(n_frames, window):
    for i in range(n_frames - 1):
        got = tf.pair_windows(i, n_frames, window)
        if n_frames <= window:
            assert got == [(0, n_frames)]
            continue
        brute = [(a, a + window) for a in range(n_frames - window + 1) if a <= i and i + 1 < a + window]
        assert got == brute and 1 <= len(got) <= window - 1
    with pytest.raises(ValueError):
        tf.pair_windows(n_frames - 1, n_frames, window)


def test_a_window_of_two_frames_is_the_pair(windowed, sims):
    cells = _frames(sims[1], (5, 6))
    (log_p, log_none), = tf.associate_window(windowed, cells)
    ref = tf.associate(windowed, *cells, log=True)
    assert np.array_equal(log_p, ref[0]) and np.array_equal(log_none, ref[1])
    seeds = [11, 12, 13]
    (draws_p, draws_none), = tf.associate_window(windowed, cells, dropout=0.25, seeds=seeds)
    for b, seed in enumerate(seeds):  # each draw its own, whatever runs beside it
        (one_p, one_none), = tf.associate_window(windowed, cells, dropout=0.25, seeds=[seed])
        assert np.array_equal(one_p[0], draws_p[b]) and np.array_equal(one_none[0], draws_none[b])
    assert not np.array_equal(draws_p[0], draws_p[1])


def test_window_blocks_are_trackastras_causal_normalisation(windowed, sims):
    """Independent computation: trackastra's normalize_output over the whole window
    (a quiet softmax per block of consecutive frames) on the model's own logits."""
    cells = _frames(sims[1], (4, 5, 6, 7))
    blocks = tf.associate_window(windowed, cells)
    sizes = [len(c) for c in cells]
    t = np.repeat(np.arange(4), sizes)
    yx = np.concatenate([c[["y", "x"]].to_numpy() for c in cells])
    coords = torch.from_numpy(np.column_stack([t, yx]).astype(np.float32))[None]
    with torch.no_grad():
        ref = windowed.net.normalize_output(windowed.net(coords), coords[..., 0].long(), coords)[0].numpy()
    starts = np.concatenate([[0], np.cumsum(sizes)])
    assert len(blocks) == 3
    for k, (log_p, log_none) in enumerate(blocks):
        block = ref[starts[k]:starts[k + 1], starts[k + 1]:starts[k + 2]]
        np.testing.assert_allclose(np.exp(log_p), block, atol=1e-5)  # trackastra adds 1e-6
        np.testing.assert_allclose(np.exp(log_p).sum(axis=0) + np.exp(log_none), 1.0, atol=1e-12)


def test_average_windows_is_the_mean_probability():
    rng = np.random.default_rng(0)
    logs = []
    for _ in range(3):
        p = rng.dirichlet(np.ones(5), size=4).T  # (5 classes, 4 daughters): 4 mothers + none
        p[0, 1] = 0.0  # a mother beyond the cutoff in one window
        with np.errstate(divide="ignore"):
            logs.append((np.log(p[:4]), np.log(p[4])))
    log_p, log_none = tf.average_windows(logs)
    np.testing.assert_allclose(np.exp(log_p), np.mean([np.exp(a) for a, _ in logs], axis=0), rtol=1e-12)
    np.testing.assert_allclose(np.exp(log_none), np.mean([np.exp(b) for _, b in logs], axis=0), rtol=1e-12)
    assert tf.average_windows(logs[:1]) is logs[0]


@pytest.mark.parametrize("window", [2, 4])
def test_training_windows_and_their_crop_keep_every_true_class(sims, window):
    """Brute force by coordinates: each judged daughter's target is its true mother in
    the frame before (or "no parent"), before and after cutting a disc."""
    from uqtrack.transformer.train import _crop

    seq = sims[0]
    samples, dropped = tf.training_windows(seq, 2, cutoff=256.0, window=window)
    assert dropped == 0 and samples
    assert all(len(s.sizes) == window for s in samples)
    cells = {f: g for f, g in seq.detections.groupby("frame")}
    links = true_links(seq.tracks, seq.detections, 2, frames=np.arange(0, 20))
    links = pd.concat([links, true_links(seq.tracks, seq.detections, 2, frames=np.arange(1, 20))])
    label_at = {tuple(xy): (int(t), int(lab)) for t, c in cells.items()
                for xy, lab in zip(coordinates(c).astype(np.float64), c["label"], strict=True)}
    assert len(label_at) == len(seq.detections)  # no two cells share a position
    mother_of = {(int(r.t2), int(r.daughter)): int(r.mother) for r in links.itertuples()}

    def check(s):
        starts = s.starts
        for k in range(1, len(s.sizes)):
            for j in range(starts[k], starts[k + 1]):
                if s.target[j] < 0:
                    continue
                t2, lab = label_at[tuple(s.coords[j])]
                truth = mother_of[(t2, lab)]
                if s.target[j] == s.sizes[k - 1]:
                    assert truth == NO_MOTHER
                else:
                    t, mo = label_at[tuple(s.coords[starts[k - 1] + s.target[j]])]
                    assert (t, mo) == (t2 - 2, truth)
        return int((s.target >= 0).sum())

    rng = np.random.default_rng(0)
    for s in samples:
        check(s)
        cut = _crop(s, rng, max_cells=20, margin=64.0)
        assert len(cut.coords) < len(s.coords) and check(cut) > 0


def test_a_windowed_model_links_simulated_nuclei(windowed, sims):
    """Through the tracker, as the workflow runs it: each pair averaged over its windows."""
    seq = sims[1]
    frame = frame_source(seq.detections.assign(area=1.0), None)
    pairs = frame_pairs(sorted(seq.detections["frame"].unique()), 1)
    cells = _frames(seq, range(20))
    tracker = make_tracker({"type": "transformer", "model": "x"}, {"model": "x"}, 1)
    tracker.__dict__["net"] = windowed
    bound = tracker.for_sequence(frame, pairs)
    assert bound is not tracker and bound.net is windowed
    # pair (5, 6) by hand: windows of frames 3-6, 4-7, 5-8 of the chain 0..19
    logs = [tf.associate_window(windowed, cells[a:a + 4])[5 - a] for a in (3, 4, 5)]
    ref = tf.average_windows(logs)
    fm, fd = bound.features(frame(5)), bound.features(frame(6))
    got = bound._associate(fm, fd)
    assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1])
    # MC-dropout draws: each draw averages its windows under one seed per draw
    rng, again = np.random.default_rng(4), np.random.default_rng(4)
    edges = bound.candidates(fm, fd)
    costs, _ = bound.sample_costs_batch(fm, fd, edges, rng, 3)
    seeds = [int(again.integers(2**63)) for _ in range(3)]
    drawn = tf.average_windows([tf.associate_window(windowed, cells[a:a + 4], dropout=tracker.dropout,
                                                    seeds=seeds)[5 - a] for a in (3, 4, 5)])
    np.testing.assert_array_equal(costs, np.minimum(-drawn[0][:, edges[:, 0], edges[:, 1]], 700.0))
    # in the workflow each window is perturbed once, by its own generator, for every pair
    # it holds: a pair's draw b averages its windows' draws b
    def window_rng(t):
        return np.random.default_rng([9, t])

    shared = tracker.for_sequence(frame, pairs, window_rng)
    got = {}
    for t in (5, 6):
        m, d = shared.features(frame(t)), shared.features(frame(t + 1))
        shared._associate(m, d)  # the deterministic pass comes first, as in link_sequence
        got[t] = shared._draws(m, d, np.random.default_rng(0), 3)
    window = {}
    for a in (3, 4, 5, 6):
        own = window_rng(a)
        seeds = [int(own.integers(2**63)) for _ in range(3)]
        window[a] = tf.associate_window(windowed, cells[a:a + 4], dropout=tracker.dropout, seeds=seeds)
    for t in (5, 6):
        ref = tf.average_windows([window[a][t - a] for a in (t - 2, t - 1, t)])
        assert np.array_equal(got[t][0], ref[0]) and np.array_equal(got[t][1], ref[1])
    # accuracy of the most probable mother over the whole sequence
    out = link_sequence(frame, pairs, tracker, ["sm", "fp"], MethodParams(k=2), (0, "w"))
    again = link_sequence(frame, pairs, tracker, ["fp"], MethodParams(k=2), (0, "w"))
    assert out["fp"][0].equals(again["fp"][0])
    table, _ = out["sm"]
    links = true_links(seq.tracks, seq.detections, 1)
    truth = links.set_index(["t2", "daughter"])["mother"]
    best = table.sort_values("logp", ascending=False, kind="stable").drop_duplicates(["t2", "daughter"])
    best = best[best["mother"] != NO_MOTHER]
    hit = best.set_index(["t2", "daughter"])["mother"] == truth.reindex(best.set_index(["t2", "daughter"]).index)
    assert len(hit) > 400 and hit.mean() > 0.97
