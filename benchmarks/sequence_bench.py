"""Time the `as` method over one whole real sequence, decomposed vs global top-K.

    python benchmarks/sequence_bench.py [--data ../shared/data/ctc/Fluo-N2DL-HeLa] \
        [--calibration 01] [--seq 02] [--step 1] [--k 10] [--pairs N]

sigma is fitted on the calibration sequence's step-1 moves, as `sigma: auto` does in
the workflow. Prints the time per method, their ratio, and whether the two edge tables
(every probability, every prediction) are identical.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from uqtrack.assignment import Problem, top_k
from uqtrack.ctc import read_sequence
from uqtrack.frames import frame_source
from uqtrack.lineage import true_links
from uqtrack.linking import link_sequence
from uqtrack.trackers import DistanceTracker, continuing_moves, fit_sigma
from uqtrack.uq import MethodParams

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / ".." / "shared" / "data" / "ctc" / "Fluo-N2DL-HeLa"))
    parser.add_argument("--calibration", default="01")
    parser.add_argument("--seq", default="02")
    parser.add_argument("--step", type=int, default=1)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--pairs", type=int, default=None, help="only the first N frame pairs")
    args = parser.parse_args()

    tracks, dets, _ = read_sequence(args.data, args.calibration)
    sigma = fit_sigma(continuing_moves(true_links(tracks, dets, 1), dets))
    tracks, dets, _ = read_sequence(args.data, args.seq)
    links = true_links(tracks, dets, args.step)
    if args.pairs is not None:
        keep = np.unique(links["t"])[: args.pairs]
        links = links[links["t"].isin(keep)]
    tracker = DistanceTracker(sigma=sigma)
    cells = dets.groupby("frame").size()
    print(f"{Path(args.data).name} {args.seq}, step {args.step}, k={args.k}, sigma={sigma:.3f} px: "
          f"{links[['t', 't2']].drop_duplicates().shape[0]} frame pairs, "
          f"{cells.mean():.0f} cells/frame on average, {cells.max()} at most")
    tables, seconds = {}, {}
    for topk in ("decomposed", "global"):
        tic = time.perf_counter()
        pairs = sorted(set(zip(links["t"], links["t2"])))
        tables[topk], timings = link_sequence(
            frame_source(dets), pairs, tracker, ["as"], MethodParams(k=args.k, topk=topk), seed=(0, "bench")
        )["as"]
        seconds[topk] = time.perf_counter() - tic
        print(f"  as, top-K {topk:10s}: {seconds[topk]:8.1f} s total, "
              f"{timings['seconds'].mean():.3f} s per pair (method only), "
              f"{timings['seconds'].max():.3f} s worst pair")
    a, b = tables["decomposed"], tables["global"]
    differs = (np.abs(a["p_cond"] - b["p_cond"]) > 1e-9) | (a["pred"] != b["pred"])
    pairs = sorted(set(a.loc[differs, "t"]))
    # solutions of equal cost may come in any order: where the tables differ, the
    # top-K costs must still agree, with a tie at the K-th place deciding which came in
    ties = []
    for t in pairs:
        problem = _pair_problem(tracker, dets, t, t + args.step)
        ca = [s.cost for s in top_k(problem, args.k + 1)]
        cb = [s.cost for s in top_k(problem, args.k, method="global")]
        ties.append(np.allclose(ca[: args.k], cb) and np.isclose(ca[args.k - 1], ca[args.k]))
    print(f"  global / decomposed: {seconds['global'] / seconds['decomposed']:.1f}x; "
          f"pairs whose tables differ: {len(pairs)} of {timings.shape[0]}, "
          f"all with equal top-K costs and a tie at place K: {all(ties)}")


def _pair_problem(tracker, dets, t, t2):
    m = tracker.features(dets[dets["frame"] == t].sort_values("label"))
    d = tracker.features(dets[dets["frame"] == t2].sort_values("label"))
    edges = tracker.candidates(m, d)
    return Problem(len(m), len(d), edges, tracker.costs(m, d, edges),
                   tracker.appear_cost, tracker.disappear_cost)

if __name__ == "__main__":
    main()
