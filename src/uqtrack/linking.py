"""Run one tracker and one uncertainty method over a whole sequence."""

from __future__ import annotations

import logging
import time
import zlib

import numpy as np
import pandas as pd

from uqtrack.tables import empty_table, pair_table
from uqtrack.uq import MethodParams, pair_probabilities

log = logging.getLogger("uqtrack")


def pair_rng(seed: int, key: str, t: int) -> np.random.Generator:
    """A generator owned by one frame pair of one job.

    Seeded from the config seed, the job's name and the frame, so results do not
    depend on which job or pair runs first, nor on ``--cores``.
    """
    return np.random.default_rng([seed, zlib.crc32(key.encode()), t])


def link_sequence(
    detections: pd.DataFrame,
    links: pd.DataFrame,
    tracker,
    method: str,
    params: MethodParams,
    seed: tuple[int, str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-class edge table and per-pair timings of one sequence at one step.

    Parameters
    ----------
    detections : DataFrame
        ``frame, label, y, x, ...`` of every cell.
    links : DataFrame
        ``t, t2, daughter, mother``: every daughter of every frame pair and its true
        mother (see :func:`uqtrack.lineage.true_links`).
    tracker
        A cost model (see :mod:`uqtrack.trackers`).
    method : str
        Uncertainty method (see :mod:`uqtrack.uq`).
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
    cells = {f: g.sort_values("label") for f, g in detections.groupby("frame")}
    none = detections.iloc[:0]
    tables, timings = [], []
    pairs = links.groupby(["t", "t2"], sort=True)
    started = time.perf_counter()
    for n, ((t, t2), truth) in enumerate(pairs, start=1):
        mothers, daughters = cells.get(t, none), cells.get(t2, none)
        truth = truth.set_index("daughter")["mother"]
        true_mother = truth.loc[daughters["label"].to_numpy()].to_numpy()
        fm, fd = tracker.features(mothers), tracker.features(daughters)
        edges = tracker.candidates(fm, fd)
        tic = time.perf_counter()
        probs = pair_probabilities(
            method, tracker, fm, fd, edges, pair_rng(seed[0], seed[1], int(t)), params
        )
        seconds = time.perf_counter() - tic
        tables.append(
            pair_table(
                int(t), int(t2),
                mothers["label"].to_numpy(), daughters["label"].to_numpy(),
                edges, tracker.costs(fm, fd, edges), probs, true_mother,
                tracker.appear_cost,
            )
        )
        timings.append((t, t2, len(fm), len(fd), len(edges), seconds))
        if n % 25 == 0 or n == pairs.ngroups:
            log.info("%s: %d/%d frame pairs, %.1f s", method, n, pairs.ngroups,
                     time.perf_counter() - started)
    table = pd.concat(tables, ignore_index=True) if tables else empty_table()
    cols = ["t", "t2", "mothers", "daughters", "edges", "seconds"]
    return table, pd.DataFrame(timings, columns=cols)
