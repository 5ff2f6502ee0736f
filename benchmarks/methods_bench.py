"""Seconds per frame pair of every uncertainty method, default solvers vs the reference ones.

    python benchmarks/methods_bench.py [--data ../shared/data/ctc/Fluo-N2DL-HeLa]
        [--calibration 01] [--seq 02] [--step 1] [--k 10] [--pairs N] [--sigma S]
        [--methods sm mm ...]

For each method (`sm`, `fp`, `fpa`, `as`, `asf`, `mm`) and each frame pair of one real
sequence, times `uqtrack.uq.pair_probabilities` with the `DistanceTracker` twice,
back to back: with the defaults, and with the reference solvers (`map_solver="milp"`:
PuLP + HiGHS for every MAP; `asf` with `per_component_top_k(method="separate")`,
each component solved as its own problem; `mm` with one dense
`linear_sum_assignment` per option forced, `min_marginals_by_resolving`). `as` has no
alternative solver: its two runs time the same code (their ratio shows the noise). sigma is fitted on the
calibration sequence's step-1 moves, as `sigma: auto` does (or given by --sigma).
Also reports whether both runs gave identical probabilities and predictions (for
`mm`, equal within 1e-9: the two compute the same minima by different sums), and
each method's time relative to `sm`'s.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from uqtrack import assignment, uq
from uqtrack.assignment.minmarginals import min_marginals_by_resolving
from uqtrack.ctc import read_sequence
from uqtrack.lineage import frame_pairs, true_links
from uqtrack.linking import pair_rng
from uqtrack.trackers import DistanceTracker, continuing_moves, fit_sigma
from uqtrack.uq import METHODS, MethodParams, PairProbabilities, pair_probabilities

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def separate_components() -> Iterator[None]:
    """`asf` as before: every component's top-K from its own problem (the reference)."""
    shared = assignment.per_component_top_k
    assignment.per_component_top_k = functools.partial(shared, method="separate")
    try:
        yield
    finally:
        assignment.per_component_top_k = shared


@contextlib.contextmanager
def resolved_min_marginals() -> Iterator[None]:
    """`mm` by one forced re-solve per option (the reference)."""
    fast = uq.min_marginals
    uq.min_marginals = min_marginals_by_resolving
    try:
        yield
    finally:
        uq.min_marginals = fast


def identical(a: PairProbabilities, b: PairProbabilities, atol: float = 0.0) -> bool:
    return all(
        np.allclose(getattr(a, f), getattr(b, f), rtol=0.0, atol=atol)
        if atol else np.array_equal(getattr(a, f), getattr(b, f))
        for f in ("log_p_edge", "log_p_none", "pred_edge", "pred_none")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / ".." / "shared" / "data" / "ctc" / "Fluo-N2DL-HeLa"))
    parser.add_argument("--calibration", default="01")
    parser.add_argument("--seq", default="02")
    parser.add_argument("--step", type=int, default=1)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--pairs", type=int, default=None, help="only the first N frame pairs")
    parser.add_argument("--sigma", type=float, default=None, help="motion scale (px); default: fitted")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    args = parser.parse_args()

    if args.sigma is None:
        tracks, dets, _ = read_sequence(args.data, args.calibration)
        args.sigma = fit_sigma(continuing_moves(true_links(tracks, dets, 1), dets))
    _, dets, _ = read_sequence(args.data, args.seq)
    pairs = frame_pairs(np.unique(dets["frame"]), args.step)[: args.pairs]
    tracker = DistanceTracker(sigma=args.sigma)
    frames = []
    for t, t2 in pairs:
        fm = dets[dets["frame"] == t].sort_values("label")[["y", "x"]].to_numpy(dtype=float)
        fd = dets[dets["frame"] == t2].sort_values("label")[["y", "x"]].to_numpy(dtype=float)
        frames.append((t, fm, fd, tracker.candidates(fm, fd)))
    cells = np.mean([len(fm) for _, fm, _, _ in frames])
    print(f"{Path(args.data).name} {args.seq}, step {args.step}, {len(frames)} frame pairs, "
          f"{cells:.0f} mothers per pair on average, sigma {args.sigma:.3f} px, k {args.k}")

    params = {"default": MethodParams(k=args.k), "reference": MethodParams(k=args.k, map_solver="milp")}

    def run(method: str, name: str, t: int, fm, fd, edges) -> tuple[float, PairProbabilities]:
        rng = pair_rng(0, f"bench/{method}", t)
        patch = contextlib.nullcontext()
        if name == "reference" and method == "asf":
            patch = separate_components()
        elif name == "reference" and method == "mm":
            patch = resolved_min_marginals()
        with patch:
            tic = time.perf_counter()
            out = pair_probabilities(method, tracker, fm, fd, edges, rng, params[name])
            return time.perf_counter() - tic, out

    print("| method | default (s/pair) | reference (s/pair) | reference/default | identical |")
    print("|---|---|---|---|---|")
    per_pair = {}
    for method in args.methods:
        for name in params:  # warm up: first-call costs (imports, HiGHS start-up) are not timed
            run(method, name, *frames[0])
        seconds = dict.fromkeys(params, 0.0)
        same = True
        for t, fm, fd, edges in frames:
            out = {}
            for name in params:  # back to back, so load on the machine hits both alike
                dt, out[name] = run(method, name, int(t), fm, fd, edges)
                seconds[name] += dt
            same &= identical(out["default"], out["reference"], 1e-9 if method == "mm" else 0.0)
        d, r = seconds["default"] / len(frames), seconds["reference"] / len(frames)
        per_pair[method] = (d, r)
        print(f"| {method} | {d:.4f} | {r:.4f} | {r / d:.1f}x | {same} |", flush=True)
    if "as" in per_pair and "asf" in per_pair:
        (as_d, as_r), (asf_d, asf_r) = per_pair["as"], per_pair["asf"]
        print(f"asf / as: {asf_d / as_d:.2f} with the defaults, {asf_r / as_r:.1f} with the references")
    if "sm" in per_pair:
        sm_d = per_pair["sm"][0]
        print("per pair / sm's (defaults): " + ", ".join(
            f"{m} {d / sm_d:.2f}" for m, (d, _) in per_pair.items() if m != "sm"))


if __name__ == "__main__":
    main()
