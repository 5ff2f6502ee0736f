"""Accuracy, speed and MC-dropout spread of the transformer association model.

    python benchmarks/transformer_bench.py [--data ../shared/data/ctc] [--iterations 1500]
        [--ecoli-iterations 1000] [--seed 0] [--features]
    python benchmarks/transformer_bench.py --pair-timing [--data ../shared/data/ctc] [--k 10]

Trains small models from scratch (one thread) and reports, per dataset and step,
the argmax-mother accuracy (daughters with a true mother whose most probable mother
is the true one) against the nearest centroid, the inference time per frame pair,
and the spread of the true link's probability under MC dropout. With ``--pair-timing``:
the time per frame pair of Fluo-N2DL-HeLa 01 (one thread) of the deterministic pass,
of K MC-dropout draws batched (one forward pass) and one by one (today's per-draw
path and the former one, torch's own dropout in ``scaled_dot_product_attention``),
and of the assignment work of ``sm`` (its MAP). See ``benchmarks/README.md`` for the
measured numbers.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import tifffile
from scipy.spatial import cKDTree

import uqtrack.transformer as tf
from uqtrack.ctc import find_frames, read_frame, read_sequence, tra_dir_of
from uqtrack.lineage import NO_MOTHER, true_links
from uqtrack.simulate import resolve_params, simulate

# the simulated colony at the E. coli colony's scale (median nearest-neighbour distance
# 23 px there, 24 px here) and motion (move / NN distance 0.46 there, ~0.43 here)
ECOLI_LIKE = {"shape": (1024, 1024), "radius": (20.0, 1.6), "speed": 10.0, "max_cells": 450}


def sim_sequence(preset: str, overrides: dict, seed: int, name: str) -> tf.TrainingSequence:
    sim = simulate(resolve_params(preset, overrides), np.random.default_rng(seed))
    rows = []
    for t, mask in enumerate(sim.masks):
        flat = mask.ravel().astype(np.int64)
        n = np.bincount(flat)
        rr, cc = np.indices(mask.shape)
        ys, xs = np.bincount(flat, rr.ravel()), np.bincount(flat, cc.ravel())
        for lab in np.flatnonzero(n)[1:]:
            rows.append((t, lab, ys[lab] / n[lab], xs[lab] / n[lab]))
    det = pd.DataFrame(rows, columns=["frame", "label", "y", "x"])
    return tf.TrainingSequence(det, sim.tracks, mask=lambda t: sim.masks[t],
                               image=lambda t: sim.raw[t], name=name)


def ctc_sequence(root: Path, seq: str, frames=None, name: str = "") -> tf.TrainingSequence:
    tracks, det, _ = read_sequence(root, seq, frames=frames)
    files = find_frames(tra_dir_of(root, seq))
    raw = {int(p.stem[1:]): p for p in (root / seq).glob("t*.tif")} if (root / seq).is_dir() else {}
    return tf.TrainingSequence(det, tracks, mask=lambda t: read_frame(files[t]),
                               image=(lambda t: tifffile.imread(raw[t])) if raw else None,
                               name=name or f"{root.name} {seq}")


def evaluate(model, seq: tf.TrainingSequence, step: int, rates=(), k: int = 10,
             max_pairs: int | None = None) -> dict:
    """Accuracy vs nearest centroid, ms per pair, and MC-dropout spread of p_true."""
    links = true_links(seq.tracks, seq.detections, step)
    cells = {f: g.sort_values("label") for f, g in seq.detections.groupby("frame")}
    ok = nn = n = 0
    times, spread = [], {r: [] for r in rates}
    for i, ((t, t2), truth) in enumerate(links.groupby(["t", "t2"], sort=True)):
        mo, da = cells[t], cells[t2]
        masks = images = None
        if model.features == "wrfeat":
            masks, images = (seq.mask(t), seq.mask(t2)), (seq.image(t), seq.image(t2))
        tic = time.perf_counter()
        p, _ = tf.associate(model, mo, da, masks=masks, images=images)
        times.append(time.perf_counter() - tic)
        mother = truth.set_index("daughter")["mother"].loc[da["label"]].to_numpy()
        has = mother != NO_MOTHER
        lab = mo["label"].to_numpy()
        ok += int((lab[p.argmax(axis=0)] == mother)[has].sum())
        _, idx = cKDTree(mo[["y", "x"]].to_numpy()).query(da[["y", "x"]].to_numpy())
        nn += int((lab[idx] == mother)[has].sum())
        n += int(has.sum())
        if rates and (max_pairs is None or i < max_pairs):
            rows = np.searchsorted(lab, mother[has])
            cols = np.flatnonzero(has)
            for r in rates:
                rng = np.random.default_rng([step, int(t), int(r * 1000)])
                s = np.stack([tf.associate(model, mo, da, masks=masks, images=images,
                                           dropout=r, rng=rng)[0][rows, cols] for _ in range(k)])
                spread[r].append(np.column_stack([s.std(axis=0), s.mean(axis=0) - p[rows, cols], p[rows, cols]]))
    out = {"step": step, "pairs": len(times), "links": n, "acc": ok / max(n, 1),
           "nearest": nn / max(n, 1), "ms_per_pair": 1e3 * float(np.median(times)) if times else np.nan}
    for r, chunks in spread.items():
        s = np.concatenate(chunks)
        out[f"sd@{r}"] = float(s[:, 0].mean())
        out[f"shift@{r}"] = float(s[:, 1].mean())
        out[f"sd>0.05@{r}"] = float((s[:, 0] > 0.05).mean())
    return out


def run(name, train_seqs, test_seq, steps, iterations, seed, features="none", rates=()):
    tic = time.perf_counter()
    model = tf.train_model(train_seqs, seed=seed, steps=steps, iterations=iterations, features=features)
    seconds = time.perf_counter() - tic
    rows = [evaluate(model, test_seq, s, rates=rates, max_pairs=20) for s in steps]
    table = pd.DataFrame(rows)
    table.insert(0, "dataset", name)
    table.insert(1, "features", features)
    table.insert(2, "train_s", round(seconds, 1))
    table.insert(3, "samples", model.info["uqtrack"]["samples"])
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"), flush=True)
    return table


def pair_timing(data: Path, k: int, seed: int, repeats: int = 7) -> pd.DataFrame:
    """Seconds per frame pair of the transformer tracker's parts on Fluo-N2DL-HeLa 01."""
    from uqtrack.frames import frame_source
    from uqtrack.trackers import make_tracker
    from uqtrack.transformer.associate import log_probabilities, mc_dropout, pair_logits
    from uqtrack.transformer.features import coordinates
    from uqtrack.transformer.model import seeded_torch, torch_threads
    from uqtrack.uq import MethodParams, make_pair, softmax

    hela = data / "Fluo-N2DL-HeLa"
    tracks, det, _ = read_sequence(hela, "01")
    # the weights do not change the time: a few updates make a model of the default size
    model = tf.train_model([tf.TrainingSequence(det[det["frame"] < 10], tracks)], seed=seed, iterations=5)
    import tempfile
    folder = Path(tempfile.mkdtemp()) / "model"
    tf.save_model(model, folder)
    tracker = make_tracker({"type": "transformer", "model": str(folder)}, {"model": str(folder)}, 1)
    frame = frame_source(det, hela / "01_GT" / "TRA")
    sizes = det.groupby("frame").size()
    frames = [int(sizes.index[i]) for i in np.linspace(0, len(sizes) - 2, 4).astype(int)]

    def best(fn) -> float:
        times = []
        for _ in range(repeats):
            tic = time.perf_counter()
            fn()
            times.append(time.perf_counter() - tic)
        return min(times)

    def old_one_by_one(mo, da, rng):  # the former path: torch's dropout, one pass per draw
        coords = (coordinates(mo), coordinates(da))
        for _ in range(k):
            with seeded_torch(int(rng.integers(2**63))), mc_dropout(model.net, tracker.dropout), torch_threads(1):
                log_probabilities(pair_logits(model.net, coords), coords, model.cutoff)

    def timings(t: int) -> dict:
        mo, da = det[det["frame"] == t].sort_values("label"), det[det["frame"] == t + 1].sort_values("label")
        rng = np.random.default_rng(0)
        fm, fd = tracker.features(frame(t)), tracker.features(frame(t + 1))
        pair = make_pair(tracker, fm, fd, tracker.candidates(fm, fd), rng, MethodParams(k=k))
        return {
            "t": t, "mothers": len(mo), "daughters": len(da),
            "deterministic_s": best(lambda: tf.associate(model, mo, da, log=True)),
            f"batched_{k}_s": best(lambda: tf.associate_draws(model, mo, da, k, tracker.dropout, rng)),
            f"one_by_one_{k}_s": best(lambda: [tf.associate(model, mo, da, dropout=tracker.dropout, rng=rng)
                                               for _ in range(k)]),
            f"old_one_by_one_{k}_s": best(lambda: old_one_by_one(mo, da, rng)),
            "sm_map_s": best(lambda: softmax(pair)),
        }

    rows = [timings(t) for t in frames]
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"), flush=True)
    return table


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "ctc")
    ap.add_argument("--iterations", type=int, default=1500)
    ap.add_argument("--ecoli-iterations", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--features", action="store_true",
                    help="also train centroids + region features (wrfeat) on the colony's frames 0-29")
    ap.add_argument("--only", choices=["sim+", "ecoli"], default=None)
    ap.add_argument("--pair-timing", action="store_true",
                    help="only time the parts of one frame pair (Fluo-N2DL-HeLa 01)")
    ap.add_argument("--k", type=int, default=10, help="MC-dropout draws for --pair-timing")
    args = ap.parse_args()
    if args.pair_timing:
        pair_timing(args.data, args.k, args.seed)
        return
    rates = (0.5, 0.25, 0.125)
    if args.only != "ecoli":
        simp = args.data / "Fluo-N2DH-SIM+"
        run("SIM+ 01->02", [ctc_sequence(simp, "01")], ctc_sequence(simp, "02"),
            [1, 10, 30, 50], args.iterations, args.seed, rates=rates)
    if args.only != "sim+":
        eco = args.data / "Ecoli-vanVliet-trpL"
        train = [ctc_sequence(eco, "01", frames=range(0, 30), name="E. coli 0-29")]
        train += [sim_sequence("colony", ECOLI_LIKE, s, f"colony {s}") for s in (1, 2, 3)]
        test = ctc_sequence(eco, "01", frames=range(30, 53), name="E. coli 30-52")
        run("E. coli 0-29+sim -> 30-52", train, test, [1, 5, 10], args.ecoli_iterations,
            args.seed, rates=rates)
        run("E. coli 0-29 only -> 30-52", train[:1], test, [1, 5, 10], args.ecoli_iterations, args.seed)
        if args.features:  # without the simulated colony: its raw images look nothing alike
            run("E. coli 0-29 only -> 30-52", train[:1], test, [1, 5, 10], args.ecoli_iterations,
                args.seed, features="wrfeat")


if __name__ == "__main__":
    main()
