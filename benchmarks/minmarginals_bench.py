"""Seconds per frame pair of the min-marginals (`mm`) against the MAP alone (what `sm` solves).

    python benchmarks/minmarginals_bench.py [--data ../shared/data/ctc/Fluo-N2DL-HeLa]
        [--seq 02] [--steps 1 10] [--pairs 20] [--sizes 300 1000] [--repeats 7]

Solver time on the same `Problem`: `solve_map` (the whole of `sm` but the edge
pricing) against `min_marginals` (MAP + every min-marginal); and, on the CTC
frames, `pair_probabilities("sm")` against `pair_probabilities("mm")`, edges
priced as the workflow does. Timed in CPU
seconds of this process (`time.process_time`), interleaved pair by pair and
repeated, median of the repeats: on a shared machine wall-clock ratios of runs
made one after the other drift with the load. Frames: the DistanceTracker's
problems of a CTC sequence (sigma fitted on its step-1 moves, as `sigma: auto`
does; prices scaled with the step, `step_scaling: linear`) at each step, and
`assignment_bench.synthetic_frame` (10 nearest mothers, w_a = w_d = 10) of the given sizes.
The first synthetic frame of each size is also
checked against the forced re-solves (`min_marginals_by_resolving`) up to 300 cells.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from uqtrack.assignment import Problem, solve_map
from uqtrack.assignment.minmarginals import min_marginals, min_marginals_by_resolving
from uqtrack.ctc import read_sequence
from uqtrack.lineage import frame_pairs, true_links
from uqtrack.trackers import DistanceTracker, continuing_moves, fit_sigma
from uqtrack.uq import pair_probabilities

sys.path.insert(0, str(Path(__file__).resolve().parent))
from assignment_bench import synthetic_frame

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


def ratio(first: Callable[[T], object], second: Callable[[T], object], items: list[T],
          repeats: int) -> tuple[float, float]:
    """Median over repeats of the mean CPU ms per item of `first` and of `second`."""
    first(items[0]), second(items[0])  # warm up
    runs: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for f, out in zip((first, second), runs):
            tic = time.process_time()
            for item in items:
                f(item)
            out.append((time.process_time() - tic) / len(items) * 1e3)
    return float(np.median(runs[0])), float(np.median(runs[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / ".." / "shared" / "data" / "ctc" / "Fluo-N2DL-HeLa"))
    parser.add_argument("--seq", default="02")
    parser.add_argument("--steps", type=int, nargs="*", default=[1, 10])
    parser.add_argument("--pairs", type=int, default=20, help="frame pairs per step (evenly spread)")
    parser.add_argument("--sizes", type=int, nargs="*", default=[300, 1000])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    print("| frames | cells (mothers) | candidate edges | MAP (ms) | MAP + min-marginals (ms) | ratio "
          "| `sm` per pair (ms) | `mm` per pair (ms) | ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    if args.steps:
        tracks, dets, _ = read_sequence(args.data, args.seq)
        sigma = fit_sigma(continuing_moves(true_links(tracks, dets, 1), dets))
        for step in args.steps:
            base = DistanceTracker(sigma=sigma)  # prices grow with the step ("linear" scaling)
            tracker = DistanceTracker(sigma=sigma, appear_cost=step * base.appear_cost,
                                      disappear_cost=step * base.disappear_cost, step_scale=step)
            pairs = frame_pairs(np.unique(dets["frame"]), step)
            pick = np.linspace(0, len(pairs) - 1, min(args.pairs, len(pairs))).astype(int)
            pairs = [pairs[i] for i in pick]
            problems, frames = [], []
            for t, t2 in pairs:
                fm = dets[dets["frame"] == t].sort_values("label")[["y", "x"]].to_numpy(dtype=float)
                fd = dets[dets["frame"] == t2].sort_values("label")[["y", "x"]].to_numpy(dtype=float)
                edges = tracker.candidates(fm, fd)
                frames.append((fm, fd, edges))
                problems.append(Problem(len(fm), len(fd), edges, tracker.costs(fm, fd, edges),
                                        tracker.appear_cost, tracker.disappear_cost))
            a, b = ratio(solve_map, min_marginals, problems, args.repeats)
            # the methods as the workflow calls them: edges priced, then solved
            rng = np.random.default_rng(0)  # neither method draws from it
            sm, mm = (
                lambda frame, m=method, tr=tracker, g=rng: pair_probabilities(m, tr, *frame, g)
                for method in ("sm", "mm")
            )
            c, d = ratio(sm, mm, frames, args.repeats)
            cells = np.mean([p.n_mothers for p in problems])
            n_e = np.mean([p.n_edges for p in problems])
            print(f"| {Path(args.data).name} {args.seq} step {step}, {len(problems)} pairs | {cells:.0f} "
                  f"| {n_e:.0f} | {a:.3f} | {b:.3f} | {b / a:.2f} | {c:.3f} | {d:.3f} | {d / c:.2f} |",
                  flush=True)
    for n in args.sizes:
        rng = np.random.default_rng(0)
        problems = [synthetic_frame(n, rng) for _ in range(5)]
        if n <= 300:
            fast, slow = min_marginals(problems[0]), min_marginals_by_resolving(problems[0])
            err = max(np.abs(fast.edge - slow.edge).max(), np.abs(fast.none - slow.none).max())
            assert err < 1e-8, f"min-marginals differ from the forced re-solves by {err}"
        a, b = ratio(solve_map, min_marginals, problems, args.repeats)
        n_e = np.mean([p.n_edges for p in problems])
        print(f"| synthetic, 5 frames | {n} | {n_e:.0f} | {a:.3f} | {b:.3f} | {b / a:.2f} | | | |",
              flush=True)


if __name__ == "__main__":
    main()
