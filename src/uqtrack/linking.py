"""Run one tracker and several uncertainty methods over a whole sequence."""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from uqtrack.assignment import TimeLimitReached
from uqtrack.tables import empty_table, pair_table
from uqtrack.trackers import Frame, Tracker
from uqtrack.uq import METHODS, PERTURBED, MethodParams, make_pair

log = logging.getLogger("uqtrack")

TIMING_COLUMNS = ["t", "t2", "mothers", "daughters", "edges", "seconds", "timed_out"]


def pair_rng(seed: int, key: str, t: int) -> np.random.Generator:
    """A generator owned by one frame pair of one method's run.

    Seeded from the config seed, a key naming dataset, sequence, step, tracker and
    method, and the frame, so results depend neither on which job or pair runs
    first, nor on which other methods run beside it, nor on ``--cores``.
    """
    return np.random.default_rng([seed, zlib.crc32(key.encode()), t])


def _rng_key(method: str) -> str:
    """``fp`` and ``fpa`` share one generator per pair, so they read the same K draws
    (drawn once, :meth:`uqtrack.uq.Pair.sampled`); every other method owns one."""
    return "perturbation" if method in PERTURBED else method


def link_sequence(
    frame: Callable[[int], Frame],
    pairs: Sequence[tuple[int, int]],
    tracker: Tracker,
    methods: Sequence[str],
    params: MethodParams,
    seed: tuple[int, str],
) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """Per-class edge table and per-pair timings of each method, one sequence and step.

    The frames are read, and the tracker's features, candidates and costs computed,
    once per frame pair for all methods. Needs no ground truth: truth is joined
    where metrics need it (:func:`uqtrack.tables.join_truth`).

    Parameters
    ----------
    frame : callable
        ``t -> Frame`` (see :func:`uqtrack.frames.frame_source`).
    pairs : sequence of (t, t2)
        The frame pairs to link (see :func:`uqtrack.lineage.frame_pairs`).
    tracker : Tracker
        Priced for this step (see :func:`uqtrack.trackers.make_tracker`).
    methods : sequence of str
        Uncertainty methods (keys of :data:`uqtrack.uq.METHODS`).
    params : MethodParams
    seed : (int, str)
        Config seed and a key naming the job; each method's generator adds its name
        (``fp`` and ``fpa`` one shared name: :func:`_rng_key`).

    Returns
    -------
    dict
        ``method -> (table, timings)``: the edge table (:mod:`uqtrack.tables`) and
        ``t, t2, mothers, daughters, edges, seconds, timed_out`` per frame pair,
        where seconds are the tracker's own work on the pair plus the method's (the
        shared perturbed draws count for the first of ``fp`` / ``fpa`` to run), and
        ``timed_out`` marks a pair left out because HiGHS hit ``params.time_limit``.
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown method {unknown[0]!r}; known: {', '.join(METHODS)}")
    # a windowed tracker perturbs each window of frames once, from the window's own generator
    tracker = tracker.for_sequence(frame, pairs, lambda t: pair_rng(seed[0], f"{seed[1]}/window", t))
    tables: dict[str, list] = {m: [] for m in methods}
    timings: dict[str, list] = {m: [] for m in methods}
    started = time.perf_counter()
    previous = None  # (t2, frame, features) of the last pair: chained pairs share a frame
    for n, (t, t2) in enumerate(pairs, start=1):
        reuse = previous if previous is not None and previous[0] == t else None
        mothers, daughters = reuse[1] if reuse else frame(int(t)), frame(int(t2))
        tic = time.perf_counter()  # the tracker's own work counts: a model's costs are not free
        fm = reuse[2] if reuse else tracker.features(mothers)
        fd = tracker.features(daughters)
        previous = (t2, daughters, fd)
        edges = tracker.candidates(fm, fd)
        pair = make_pair(tracker, fm, fd, edges, np.random.default_rng(0), params)
        shared = time.perf_counter() - tic
        labels_m, labels_d = mothers.cells["label"].to_numpy(), daughters.cells["label"].to_numpy()
        for method in methods:
            rng = pair_rng(seed[0], f"{seed[1]}/{_rng_key(method)}", int(t))
            tic = time.perf_counter()
            try:
                probs = METHODS[method](pair.with_rng(rng))
            except TimeLimitReached as err:
                # never a non-optimal answer: the pair is left out and counted
                log.warning("%s: frame pair (%d, %d) left out: HiGHS hit its time limit of %g s",
                            method, t, t2, err.time_limit)
                probs = None
            seconds = shared + time.perf_counter() - tic
            if probs is not None:
                tables[method].append(
                    pair_table(int(t), int(t2), labels_m, labels_d, edges, pair.problem.costs, probs,
                               tracker.appear_cost + tracker.disappear_cost)
                )
            row = (t, t2, len(labels_m), len(labels_d), len(edges), seconds, int(probs is None))
            timings[method].append(row)
        if n % 25 == 0 or n == len(pairs):
            log.info("%d/%d frame pairs, %.1f s", n, len(pairs), time.perf_counter() - started)
    return {
        m: (
            pd.concat(tables[m], ignore_index=True) if tables[m] else empty_table(),
            pd.DataFrame(timings[m], columns=TIMING_COLUMNS),
        )
        for m in methods
    }
