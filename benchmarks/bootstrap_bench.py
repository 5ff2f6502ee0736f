"""Time `uqtrack.evaluation.evaluate` with its bootstrap: replicates as arrays vs one by one.

    python benchmarks/bootstrap_bench.py [--links 50000] [--pairs 100] [--boot 1000]
        [--seed 0] [--repeats 1] [--skip-loop] [--real ../shared/data/ctc/Fluo-N2DL-HeLa
        [--methods sm fp fpa as asf] [--step 1]]

A synthetic edge table (default): ``--links`` daughters spread over ``--pairs`` frame
pairs, each with the "appears" class and three candidate mothers; 95 % of them are
predicted to link (judged), the rest to appear. A third of the daughters have P = 1
exactly and another third a P rounded to 0.05 (ties, as sampling methods give), the
rest a continuous P; a link is correct with probability P. With ``--real DATA``, the
edge table of one method on a real sequence instead: the distance tracker fitted on
sequence 01 (sigma from its step-1 moves) links sequence 02 at ``--step`` with
``--methods``, judged against the sequence's truth (as the workflow's evaluation split);
with several methods, they are judged in turn with the same seed, as one workflow job
judges them, and the times per method and in all are printed.

Times `evaluate` (``tau = 0.8``, ``--boot`` replicates) with the default (vectorised)
replicates, first drawing them and then with the draws kept from that call (what every
method after the first of a workflow job gets, `evaluation.unit_weights`), and with
the reference loop (`evaluation._replicates_loop`, the code before), and checks that
every variable of the results is identical.
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


def real_tables(data: str, methods: list[str], step: int) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Each method's edge table of sequence 02 with ``true``, and its truth (module docstring)."""
    from uqtrack.ctc import read_sequence
    from uqtrack.frames import frame_source
    from uqtrack.lineage import frame_pairs, sequence_frames, true_links
    from uqtrack.linking import link_sequence
    from uqtrack.trackers import DistanceTracker, continuing_moves, fit_sigma
    from uqtrack.uq import MethodParams

    tracks, dets, _ = read_sequence(data, "01")
    sigma = fit_sigma(continuing_moves(true_links(tracks, dets, 1), dets))
    tracks, dets, stats = read_sequence(data, "02")
    truth = true_links(tracks, dets, step)
    pairs = frame_pairs(sequence_frames(stats), step)
    out = link_sequence(frame_source(dets), pairs, DistanceTracker(sigma=sigma), methods,
                        MethodParams(k=10), seed=(0, "bench"))
    return {method: join_truth(table, truth) for method, (table, _) in out.items()}, truth


def job(tables: dict[str, pd.DataFrame], truth: pd.DataFrame, args) -> None:
    """Time judging every method in turn with one seed, as one workflow job does."""
    seconds = {}
    results = {}
    for label, replicates in (("vectorised", evaluation._replicates), ("loop (before)", evaluation._replicates_loop)):
        evaluation._LAST_DRAWN.clear()
        original, evaluation._replicates = evaluation._replicates, replicates
        try:
            for method, table in tables.items():
                tic = time.perf_counter()
                results[label, method] = evaluation.evaluate(
                    table, 0.8, truth, args.boot, np.random.default_rng(args.seed)
                )
                seconds[label, method] = time.perf_counter() - tic
        finally:
            evaluation._replicates = original
    for method, table in tables.items():
        judged = int((table["pred"] & (table["mother"] != 0)).sum())
        new, old = results["vectorised", method], results["loop (before)", method]
        same = all(np.array_equal(new[v].values, old[v].values, equal_nan=True) for v in old.data_vars)
        print(f"{method:4s} {judged:6d} judged links: vectorised {seconds['vectorised', method]:6.2f} s, "
              f"loop {seconds['loop (before)', method]:6.2f} s, identical: {same}")
    fast = sum(v for (label, _), v in seconds.items() if label == "vectorised")
    slow = sum(v for (label, _), v in seconds.items() if label != "vectorised")
    print(f"all methods: vectorised {fast:.2f} s, loop {slow:.2f} s, vectorised/loop {fast / slow:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=50_000, help="daughters of the synthetic table")
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--skip-loop", action="store_true", help="time only the vectorised replicates")
    parser.add_argument("--real", help="a CTC dataset folder with sequences 01 and 02")
    parser.add_argument("--methods", nargs="+", default=["sm"],
                        help="with --real: judge each, as one workflow job does (same draws)")
    parser.add_argument("--step", type=int, default=1)
    args = parser.parse_args()
    if args.real:
        tables, truth = real_tables(args.real, args.methods, args.step)
    else:
        table, truth = synthetic_table(args.links, args.pairs, args.seed)
        tables = {"synthetic": table}
    if len(tables) > 1:
        job(tables, truth, args)
        return
    table = next(iter(tables.values()))
    judged = int((table["pred"] & (table["mother"] != 0)).sum())
    print(f"{len(table)} rows, {len(truth)} daughters, {judged} judged links, {args.boot} replicates")

    def timed(replicates, fresh_draws=False) -> tuple[float, object]:
        best, result = np.inf, None
        for _ in range(args.repeats):
            if fresh_draws:
                evaluation._LAST_DRAWN.clear()
            original = evaluation._replicates
            evaluation._replicates = replicates
            try:
                tic = time.perf_counter()
                result = evaluation.evaluate(table, 0.8, truth, args.boot, np.random.default_rng(args.seed))
                best = min(best, time.perf_counter() - tic)
            finally:
                evaluation._replicates = original
        return best, result

    first, new = timed(evaluation._replicates, fresh_draws=True)
    print(f"vectorised, drawing:      {first:.2f} s  (a job's first method)")
    later, _ = timed(evaluation._replicates)
    print(f"vectorised, kept draws:   {later:.2f} s  (the same job's later methods)")
    if not args.skip_loop:
        slow, old = timed(evaluation._replicates_loop)
        same = all(np.array_equal(new[v].values, old[v].values, equal_nan=True) for v in old.data_vars)
        print(f"loop (before):            {slow:.2f} s  loop/drawing {slow / first:.1f}x, "
              f"loop/kept {slow / later:.1f}x; identical: {same}")


if __name__ == "__main__":
    main()
