"""Benchmark MAP and top-K assignment solvers on synthetic frame pairs.

Usage::

    python benchmarks/assignment_bench.py [--sizes 50 200 1000 10000] [--k 10] [--seed 0]
        [--repeats 3] [--reference-up-to 1000] [--dense-up-to 3000]

A frame: N mothers uniform in 512 x 512 px; daughters are the mothers moved by
N(0, 5^2) per axis; 10% of mothers divide (two daughters near it), 2% of mothers
disappear, 2% extra daughters appear at random. Candidates are each daughter's
10 nearest mothers, cost d^2 / (2 * 5^2), w_a = w_d = 10.

Each size runs in a fresh process, twice: once the fast solvers only (their
peak resident memory is reported), once the references (HiGHS; dense LSA).
"""

from __future__ import annotations

import argparse
import multiprocessing
import platform
import resource
import statistics
import time
from collections.abc import Callable

import numpy as np
from scipy.spatial import cKDTree

from uqtrack.assignment import Problem, Solution, lsa_map_cost, solve_map, top_k
from uqtrack.assignment.bounds import slot_lp, slot_matching

SIGMA = 5.0
SIZE = 512.0


def synthetic_frame(n: int, rng: np.random.Generator, n_candidates: int = 10) -> Problem:
    """A frame pair with `n` mothers as described in the module docstring."""
    mothers = rng.uniform(0, SIZE, size=(n, 2))
    alive = rng.random(n) >= 0.02
    divides = alive & (rng.random(n) < 0.10)
    parents = np.concatenate([np.flatnonzero(alive), np.flatnonzero(divides)])
    daughters = mothers[parents] + rng.normal(0, SIGMA, size=(len(parents), 2))
    extra = rng.uniform(0, SIZE, size=(int(round(0.02 * n)), 2))
    daughters = np.concatenate([daughters, extra])
    daughters = daughters[rng.permutation(len(daughters))]
    n_nb = min(n_candidates, n)
    dist, idx = cKDTree(mothers).query(daughters, k=n_nb)
    dist, idx = dist.reshape(len(daughters), n_nb), idx.reshape(len(daughters), n_nb)
    edges = np.stack([idx.ravel(), np.repeat(np.arange(len(daughters)), n_nb)], axis=1)
    costs = dist.ravel() ** 2 / (2 * SIGMA**2)
    return Problem(n, len(daughters), edges, costs, appear_cost=10.0, disappear_cost=10.0)


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Median wall time of `repeats` calls and the last result."""
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def same_top_k(a: list[Solution], b: list[Solution], tol: float = 1e-9) -> bool:
    """Equal costs in order; equal solution sets per cost group.

    Within a group of equal cost the order is free; the last group may be
    truncated at k differently, so there only equal size and cost are required.
    """
    if len(a) != len(b):
        return False
    if any(abs(x.cost - y.cost) > tol for x, y in zip(a, b)):
        return False
    start = 0
    while start < len(a):
        stop = start
        while stop < len(a) and abs(a[stop].cost - a[start].cost) <= tol:
            stop += 1
        if stop < len(a):  # complete group
            sa = {tuple(s.choice.tolist()) for s in a[start:stop]}
            sb = {tuple(s.choice.tolist()) for s in b[start:stop]}
            if sa != sb:
                return False
        start = stop
    return True


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def fast(n: int, seed: int, k: int, repeats: int) -> dict:
    """Times of the default solvers on one frame, and this process's peak memory."""
    problem = synthetic_frame(n, np.random.default_rng(seed))
    out = {"D": problem.n_daughters, "E": problem.n_edges, "rss_start": _peak_rss_mb()}
    lp = slot_lp(problem)
    out["t_match"], _ = timed(lambda: slot_matching(lp), repeats)
    out["t_map"], sol = timed(lambda: solve_map(problem), repeats)
    out["t_topk"], dec = timed(lambda: top_k(problem, k), repeats)
    out.update(map=sol, topk=dec, rss=_peak_rss_mb())
    return out


def reference(n: int, seed: int, k: int, repeats: int, global_k: bool, dense: bool) -> dict:
    """Times of the reference solvers (HiGHS; dense LSA) on the same frame."""
    problem = synthetic_frame(n, np.random.default_rng(seed))
    out: dict = {}
    out["t_milp"], out["milp"] = timed(lambda: solve_map(problem, "milp"), 1)
    if global_k:
        out["t_global"], out["global"] = timed(lambda: top_k(problem, k, "global"), 1)
    if dense:
        out["t_dense"], out["dense"] = timed(lambda: lsa_map_cost(problem), repeats)
    return out


def _in_child(fn: Callable, *args) -> dict:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 1000, 10000])
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the fast timings")
    parser.add_argument("--reference-up-to", type=int, default=1000,
                        help="largest N for the HiGHS no-good top-K")
    parser.add_argument("--dense-up-to", type=int, default=3000,
                        help="largest N for the dense linear_sum_assignment (memory ~ 24 N^2 bytes)")
    args = parser.parse_args()

    print(f"# {platform.processor() or platform.machine()}, python {platform.python_version()}, "
          f"seed {args.seed}, k {args.k}")
    print("| N | D | E | matching (s) | MAP lsa (s) | MAP HiGHS (s) | top-k decomposed (s) | "
          "top-k global (s) | dense LSA (s) | HiGHS/lsa | peak RSS (MB) | same MAP | "
          "MAP = dense | lists agree |")
    print("|---" * 14 + "|")
    for n in args.sizes:
        f = _in_child(fast, n, args.seed, args.k, args.repeats)
        r = _in_child(reference, n, args.seed, args.k, args.repeats,
                      n <= args.reference_up_to, n <= args.dense_up_to)
        same_map = bool(np.array_equal(f["map"].choice, r["milp"].choice))
        dense = f"{r['t_dense']:.3g}" if "t_dense" in r else "-"
        map_dense = str(abs(f["map"].cost - r["dense"]) < 1e-6) if "dense" in r else "-"
        glob = f"{r['t_global']:.3g}" if "t_global" in r else "-"
        agree = str(same_top_k(r["global"], f["topk"])) if "global" in r else "-"
        print(
            f"| {n} | {f['D']} | {f['E']} | {f['t_match']:.3g} | {f['t_map']:.3g} | "
            f"{r['t_milp']:.3g} | {f['t_topk']:.3g} | {glob} | {dense} | "
            f"{r['t_milp'] / f['t_map']:.0f}x | {f['rss']:.0f} ({f['rss_start']:.0f} at start) | "
            f"{same_map} | {map_dense} | {agree} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
