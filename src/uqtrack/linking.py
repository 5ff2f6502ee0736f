"""Run one tracker and one uncertainty method over a whole sequence."""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from uqtrack.tables import empty_table, pair_table
from uqtrack.trackers import Frame, Tracker
from uqtrack.uq import METHODS, MethodParams, make_pair

log = logging.getLogger("uqtrack")


def pair_rng(seed: int, key: str, t: int) -> np.random.Generator:
    """A generator owned by one frame pair of one job.

    Seeded from the config seed, the job's name and the frame, so results do not
    depend on which job or pair runs first, nor on ``--cores``.
    """
    return np.random.default_rng([seed, zlib.crc32(key.encode()), t])


def link_sequence(
    frame: Callable[[int], Frame],
    pairs: Sequence[tuple[int, int]],
    tracker: Tracker,
    method: str,
    params: MethodParams,
    seed: tuple[int, str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-class edge table and per-pair timings of one sequence at one step.

    Needs no ground truth: truth is joined where metrics need it
    (:func:`uqtrack.tables.join_truth`).

    Parameters
    ----------
    frame : callable
        ``t -> Frame`` (see :func:`uqtrack.frames.frame_source`).
    pairs : sequence of (t, t2)
        The frame pairs to link (see :func:`uqtrack.lineage.frame_pairs`).
    tracker : Tracker
        Priced for this step (see :func:`uqtrack.trackers.make_tracker`).
    method : str
        Uncertainty method (see :data:`uqtrack.uq.METHODS`).
    params : MethodParams
    seed : (int, str)
        Config seed and a key naming the job.

    Returns
    -------
    table : DataFrame
        See :mod:`uqtrack.tables`.
    timings : DataFrame
        ``t, t2, mothers, daughters, edges, seconds`` per frame pair.
    """
    tables, timings = [], []
    started = time.perf_counter()
    for n, (t, t2) in enumerate(pairs, start=1):
        mothers, daughters = frame(int(t)), frame(int(t2))
        tic = time.perf_counter()  # the tracker's own work counts: a model's costs are not free
        fm, fd = tracker.features(mothers), tracker.features(daughters)
        edges = tracker.candidates(fm, fd)
        pair = make_pair(tracker, fm, fd, edges, pair_rng(seed[0], seed[1], int(t)), params)
        probs = METHODS[method](pair)
        seconds = time.perf_counter() - tic
        tables.append(
            pair_table(
                int(t), int(t2),
                mothers.cells["label"].to_numpy(), daughters.cells["label"].to_numpy(),
                edges, pair.problem.costs, probs,
                tracker.appear_cost + tracker.disappear_cost,
            )
        )
        timings.append((t, t2, len(mothers.cells), len(daughters.cells), len(edges), seconds))
        if n % 25 == 0 or n == len(pairs):
            log.info("%s: %d/%d frame pairs, %.1f s", method, n, len(pairs),
                     time.perf_counter() - started)
    table = pd.concat(tables, ignore_index=True) if tables else empty_table()
    cols = ["t", "t2", "mothers", "daughters", "edges", "seconds"]
    return table, pd.DataFrame(timings, columns=cols)
