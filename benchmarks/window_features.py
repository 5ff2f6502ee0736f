"""Trackastra's way on the E. coli colony: windows of frames and region features.

    python benchmarks/window_features.py [--data ../shared/data/ctc] [--window 2 4]
        [--features none wrfeat] [--iterations 600] [--seed 0]

Trains one model per window x features on the colony's calibration blocks of
``config/paper.yaml`` (frames 10-20 and 30-40, steps 1, 5, 10; the only dataset here
with raw images for trackastra's region features) and judges it on the evaluation
blocks (0-10, 20-30, 40-52) as the workflow reads a windowed model: each frame pair at
a step averaged over the windows of its block's chain that hold it. Prints per step
the argmax-mother accuracy (daughters with a true mother) and the mean negative log
probability of each daughter's true class (its mother, or "no parent"), the training
time and the inference time per frame pair. Results: ``benchmarks/README.md``,
"Windows of frames".
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from transformer_bench import ctc_sequence

import uqtrack.transformer as tf
from uqtrack.lineage import NO_MOTHER, true_links

CALIBRATION = [(10, 20), (30, 40)]
EVALUATION = [(0, 10), (20, 30), (40, 52)]
STEPS = (1, 5, 10)


def judge(model, seq: tf.TrainingSequence, blocks, step: int) -> dict:
    """Accuracy and true-class NLL over the blocks' frame pairs at ``step``."""
    cells = {int(f): g.sort_values("label") for f, g in seq.detections.groupby("frame")}
    feats = {}
    ok = n = 0
    nll, seconds = [], []
    for first, last in blocks:
        chain = list(range(first, last + 1, step))
        links = true_links(seq.tracks, seq.detections, step, frames=np.arange(first, last + 1))
        mother_of = {int(t2): g.set_index("daughter")["mother"] for t2, g in links.groupby("t2")}
        if model.features == "wrfeat":
            for t in chain:
                if t not in feats:
                    feats[t] = tf.region_features(cells[t], seq.mask(t), seq.image(t))
        for i in range(len(chain) - 1):
            tic = time.perf_counter()
            logs = []
            for a, b in tf.pair_windows(i, len(chain), model.window):
                frames = chain[a:b]
                f = [feats[t] for t in frames] if model.features == "wrfeat" else None
                logs.append(tf.associate_window(model, [cells[t] for t in frames], features=f)[i - a])
            log_p, log_none = tf.average_windows(logs)
            seconds.append(time.perf_counter() - tic)
            mo, da = cells[chain[i]], cells[chain[i + 1]]
            mother = mother_of[chain[i + 1]].loc[da["label"]].to_numpy()
            lab = mo["label"].to_numpy()
            has = mother != NO_MOTHER
            ok += int((lab[log_p.argmax(axis=0)] == mother)[has].sum())
            n += int(has.sum())
            row = np.searchsorted(lab, np.where(has, mother, lab[0]))
            truth = np.where(has, log_p[row, np.arange(len(da))], log_none)
            nll.append(-np.maximum(truth, -50.0))  # a true class at probability 0 counts e^-50
    nll = np.concatenate(nll)
    return {"step": step, "pairs": len(seconds), "links": n, "acc": ok / max(n, 1),
            "nll": float(nll.mean()), "ms_per_pair": 1e3 * float(np.median(seconds))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "ctc")
    ap.add_argument("--window", type=int, nargs="+", default=[2, 4])
    ap.add_argument("--features", nargs="+", default=["none", "wrfeat"], choices=tf.FEATURES)
    ap.add_argument("--iterations", type=int, default=600)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    eco = args.data / "Ecoli-vanVliet-trpL"
    movie = ctc_sequence(eco, "01")
    train = [ctc_sequence(eco, "01", frames=range(a, b + 1), name=f"E. coli {a}-{b}") for a, b in CALIBRATION]
    rows = []
    for window in args.window:
        for features in args.features:
            tic = time.perf_counter()
            model = tf.train_model(train, seed=args.seed, steps=STEPS, iterations=args.iterations,
                                   features=features, window=window)
            train_s = time.perf_counter() - tic
            for step in STEPS:
                rows.append({"window": window, "features": features, "train_s": round(train_s, 1),
                             **judge(model, movie, EVALUATION, step)})
            print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}"), flush=True)


if __name__ == "__main__":
    main()
