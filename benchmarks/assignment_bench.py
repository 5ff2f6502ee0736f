"""Benchmark MAP and top-K assignment solvers on synthetic frame pairs.

Usage::

    python benchmarks/assignment_bench.py [--sizes 50 200 1000] [--k 10] [--seed 0]

A frame: N mothers uniform in 512 x 512 px; daughters are the mothers moved by
N(0, 5^2) per axis; 10% of mothers divide (two daughters near it), 2% of mothers
disappear, 2% extra daughters appear at random. Candidates are each daughter's
10 nearest mothers, cost d^2 / (2 * 5^2), w_a = w_d = 10.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np
from scipy.spatial import cKDTree

from uqtrack.assignment import Problem, Solution, lsa_map_cost, solve_map, top_k

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 1000])
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the fast timings")
    args = parser.parse_args()

    print(f"# {platform.processor() or platform.machine()}, python {platform.python_version()}")
    header = (
        "| N | D | E | MAP HiGHS (s) | top-k global (s) | top-k decomposed (s) | "
        "LSA (s) | global/decomposed | MAP/LSA | lists agree | MAP = LSA |"
    )
    print(header)
    print("|---" * 11 + "|")
    for n in args.sizes:
        problem = synthetic_frame(n, np.random.default_rng(args.seed))
        t_map, sol = timed(lambda: solve_map(problem), args.repeats)
        t_dec, dec = timed(lambda: top_k(problem, args.k, "decomposed"), args.repeats)
        t_lsa, lsa = timed(lambda: lsa_map_cost(problem), args.repeats)
        t_glob, glob = timed(lambda: top_k(problem, args.k, "global"), 1)
        print(
            f"| {n} | {problem.n_daughters} | {problem.n_edges} | {t_map:.3f} | {t_glob:.2f} | "
            f"{t_dec:.3f} | {t_lsa:.4f} | {t_glob / t_dec:.0f}x | {t_map / t_lsa:.0f}x | "
            f"{same_top_k(glob, dec)} | {abs(sol.cost - lsa) < 1e-6} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
