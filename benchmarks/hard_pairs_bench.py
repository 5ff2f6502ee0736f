"""Top-K (``as``) and per-component top-K (``asf``) on saved hard frame pairs, before/after.

Usage::

    python benchmarks/hard_pairs_bench.py [--repeats 1]

The cases are the overlap tracker's assignment problems saved in
``tests/assignment/data/overlap_*.npz`` (issue 16). "before" runs with
``search.PAST_BUDGET = 0``: a component whose branch and bound outgrows its
budget goes to HiGHS for all K places, as before the longer search existed.
"identical": same costs and choices, in the same order, for both methods.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from uqtrack.assignment import Problem, per_component_top_k, search, top_k

DATA = Path(__file__).resolve().parents[1] / "tests" / "assignment" / "data"


def load(path: Path) -> tuple[Problem, float]:
    z = np.load(path)
    problem = Problem(int(z["n_mothers"]), int(z["n_daughters"]), z["edges"], z["costs"],
                      float(z["appear_cost"]), float(z["disappear_cost"]), int(z["max_daughters"]))
    return problem, float(z["slack"])


def run(problem: Problem, slack: float, repeats: int) -> tuple[float, float, tuple]:
    """Median seconds of as and asf, and their answers."""
    t_as, t_asf = [], []
    for _ in range(repeats):
        tic = time.perf_counter()
        sols = top_k(problem, 10)
        t_as.append(time.perf_counter() - tic)
        tic = time.perf_counter()
        comps = per_component_top_k(problem, 10, slack)
        t_asf.append(time.perf_counter() - tic)
    answer = ([(s.cost, s.choice.tolist()) for s in sols],
              [(c.costs.tolist(), c.choices.tolist()) for c in comps])
    return statistics.median(t_as), statistics.median(t_asf), answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    print(f"# {platform.processor() or platform.machine()}, python {platform.python_version()}, k 10")
    print("| case | M | D | E | as before (s) | as after (s) | asf before (s) | asf after (s) | identical |")
    print("|---" * 9 + "|")
    default = search.PAST_BUDGET
    for path in sorted(DATA.glob("overlap_*.npz")):
        problem, slack = load(path)
        search.PAST_BUDGET = 0
        b_as, b_asf, before = run(problem, slack, args.repeats)
        search.PAST_BUDGET = default
        a_as, a_asf, after = run(problem, slack, args.repeats)
        print(f"| {path.stem} | {problem.n_mothers} | {problem.n_daughters} | {problem.n_edges} | "
              f"{b_as:.3g} | {a_as:.3g} | {b_asf:.3g} | {a_asf:.3g} | {before == after} |", flush=True)


if __name__ == "__main__":
    main()
