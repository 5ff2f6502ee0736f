"""Time `uqtrack.evaluation.evaluate` with its bootstrap: replicates as arrays vs one by one.

    python benchmarks/bootstrap_bench.py [--links 50000] [--pairs 100] [--boot 1000]
        [--seed 0] [--repeats 1] [--skip-loop] [--edges EDGES.parquet --truth TRUTH.parquet]

A synthetic edge table (default): ``--links`` daughters spread over ``--pairs`` frame
pairs, each with the "appears" class and three candidate mothers; 95 % of them are
predicted to link (judged), the rest to appear. A third of the daughters have P = 1
exactly and another third a P rounded to 0.05 (ties, as sampling methods give), the
rest a continuous P; a link is correct with probability P. With ``--edges`` and
``--truth``, a real edge table of one method (e.g. ``results/edges/.../sm/*.parquet``
joined with the step's truth) instead.

Times `evaluate` (``tau = 0.8``, ``--boot`` replicates) with the default (vectorised)
replicates and with the reference loop (`evaluation._replicates_loop`, the code before),
and checks that every variable of the two results is identical.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from uqtrack import evaluation
from uqtrack.tables import join_truth


def synthetic_table(n_daughters: int, n_pairs: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A per-class edge table with ``true`` and its truth (module docstring)."""
    rng = np.random.default_rng(seed)
    t = np.sort(rng.integers(0, n_pairs, n_daughters))
    daughter = np.zeros(n_daughters, dtype=np.int64)
    new_pair = np.r_[True, t[1:] != t[:-1]]
    run = np.cumsum(new_pair) - 1
    daughter = np.arange(n_daughters) - np.flatnonzero(new_pair)[run] + 1  # 1, 2, ... within a pair
    kind = rng.integers(0, 3, n_daughters)
    p = rng.beta(5, 1, n_daughters)
    p = np.where(kind == 0, 1.0, np.where(kind == 1, np.round(p * 20) / 20, p))
    p = np.clip(p, 0.05, 1.0)
    link = rng.random(n_daughters) < 0.95
    correct = rng.random(n_daughters) < p
    # classes: 0 (appears), 1 (the MAP's mother), 2, 3 (alternatives sharing 1 - p)
    rest = (1 - p)[:, None] * rng.dirichlet(np.ones(3), n_daughters)
    probs = np.column_stack([rest[:, 0], p, rest[:, 1], rest[:, 2]])
    table = pd.DataFrame({
        "t": np.repeat(t, 4), "t2": np.repeat(t + 1, 4), "daughter": np.repeat(daughter, 4),
        "mother": np.tile([0, 1, 2, 3], n_daughters), "cost": 0.0,
        "p_cond": probs.ravel(),
    })
    table["logp"] = np.log(table["p_cond"].to_numpy())
    table["pred"] = np.column_stack([~link, link, np.zeros((n_daughters, 2), bool)]).ravel()
    # the true mother: the MAP's where correct, otherwise candidate 2 (or "appears")
    true_mother = np.where(correct & link, 1, np.where(link, 2, 0))
    true_mother = np.where(~link & ~correct, 1, true_mother)
    truth = pd.DataFrame({"t": t, "t2": t + 1, "daughter": daughter, "mother": true_mother})
    return join_truth(table, truth), truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=50_000, help="daughters of the synthetic table")
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--skip-loop", action="store_true", help="time only the vectorised replicates")
    parser.add_argument("--edges", nargs="*", help="a real edge table (parquet files of one method)")
    parser.add_argument("--truth", nargs="*", help="the truth of those edges (parquet files)")
    args = parser.parse_args()
    if args.edges:
        truth = pd.concat([pd.read_parquet(p) for p in args.truth], ignore_index=True)
        edges = pd.concat([pd.read_parquet(p) for p in args.edges], ignore_index=True)
        table = join_truth(edges, truth)
    else:
        table, truth = synthetic_table(args.links, args.pairs, args.seed)
    judged = int((table["pred"] & (table["mother"] != 0)).sum())
    print(f"{len(table)} rows, {len(truth)} daughters, {judged} judged links, {args.boot} replicates")

    def timed(replicates) -> tuple[float, object]:
        best, result = np.inf, None
        for _ in range(args.repeats):
            original = evaluation._replicates
            evaluation._replicates = replicates
            try:
                tic = time.perf_counter()
                result = evaluation.evaluate(table, 0.8, truth, args.boot, np.random.default_rng(args.seed))
                best = min(best, time.perf_counter() - tic)
            finally:
                evaluation._replicates = original
        return best, result

    fast, new = timed(evaluation._replicates)
    print(f"vectorised: {fast:.2f} s")
    if not args.skip_loop:
        slow, old = timed(evaluation._replicates_loop)
        same = all(np.array_equal(new[v].values, old[v].values, equal_nan=True) for v in old.data_vars)
        print(f"loop:       {slow:.2f} s   loop/vectorised {slow / fast:.1f}x   identical: {same}")


if __name__ == "__main__":
    main()
