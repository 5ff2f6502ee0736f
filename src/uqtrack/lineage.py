"""Frame pairs under subsampling and the true mother of every daughter.

Subsampling with step ``s`` keeps frames ``first, first + s, first + 2s, ...`` and
links consecutive kept frames. The true mother of daughter ``j`` at ``t' = t + s`` is
the cell at ``t`` on ``j``'s own track or, failing that, on its nearest ancestor
track alive (and detected) at ``t``; ``j`` has no mother if there is none.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

NO_MOTHER = 0  # CTC labels are positive, so 0 can stand for "appears"


def frame_pairs(frames: Iterable[int] | np.ndarray, step: int) -> list[tuple[int, int]]:
    """Consecutive pairs of the frames kept when subsampling by ``step``.

    Parameters
    ----------
    frames : array of int
        Frame numbers of the sequence (any order, may have holes).
    step : int
        Subsampling step, >= 1.

    Returns
    -------
    list of (t, t + step)
        Pairs whose both frames exist, starting from the first frame.

    Examples
    --------
    >>> frame_pairs(np.arange(5), 2)
    [(0, 2), (2, 4)]
    """
    if step < 1:
        raise ValueError(f"step must be >= 1, got {step}")
    present = set(int(f) for f in frames)
    if not present:
        return []
    first, last = min(present), max(present)
    kept = [t for t in range(first, last + 1, step) if t in present]
    return [(t, t + step) for t in kept if t + step in present]


def true_links(
    tracks: pd.DataFrame,
    detections: pd.DataFrame,
    step: int,
    frames: np.ndarray | None = None,
) -> pd.DataFrame:
    """The true mother of every daughter in every subsampled frame pair.

    Parameters
    ----------
    tracks : DataFrame
        ``label, begin, end, parent`` as in ``man_track.txt``.
    detections : DataFrame
        At least ``frame, label``: which cells are present in which frame.
    step : int
        Subsampling step.
    frames : array of int, optional
        All frame numbers of the sequence, including empty frames; by default
        the frames that have detections.

    Returns
    -------
    DataFrame
        One row per daughter: ``t, t2, daughter, mother`` where ``mother`` is the
        true mother's label at ``t`` or :data:`NO_MOTHER`.
    """
    parent = dict(zip(tracks["label"].to_numpy(), tracks["parent"].to_numpy()))
    by_frame = {
        int(f): set(g.to_numpy().tolist())
        for f, g in detections.groupby("frame", sort=True)["label"]
    }
    rows: list[tuple[int, int, int, int]] = []
    if frames is None:
        frames = np.fromiter(by_frame, dtype=np.int64)
    for t, t2 in frame_pairs(frames, step):
        alive = by_frame.get(t, set())
        for daughter in sorted(by_frame.get(t2, ())):
            label = daughter
            while label != 0 and label not in alive:
                label = int(parent.get(label, 0))
            rows.append((t, t2, daughter, label))
    return pd.DataFrame(
        np.array(rows, dtype=np.int64).reshape(-1, 4), columns=["t", "t2", "daughter", "mother"]
    )


def sequence_frames(stats: dict) -> list[int]:
    """Every frame number of a sequence, empty frames included, from its ``stats.json``."""
    missing = set(stats.get("missing_frame_numbers", []))
    return [f for f in range(stats["first_frame"], stats["last_frame"] + 1) if f not in missing]


def mean_squared_displacement(links: pd.DataFrame, detections: pd.DataFrame) -> float:
    """Mean ``||x_daughter - x_mother||^2`` (pixels^2) over the true links of ``links``.

    Divisions included: it is what the tracker has to bridge at this step.
    """
    linked = links[links["mother"] != NO_MOTHER]
    if len(linked) == 0:
        return float("nan")
    pos = detections.set_index(["frame", "label"])[["y", "x"]]
    before = pos.loc[list(zip(linked["t"], linked["mother"]))].to_numpy()
    after = pos.loc[list(zip(linked["t2"], linked["daughter"]))].to_numpy()
    return float(((after - before) ** 2).sum(axis=1).mean())


def link_stats(links: pd.DataFrame, max_daughters: int = 2) -> dict[str, int]:
    """Counts that say how hard a step is and what the model cannot reach.

    ``unreachable_links`` counts true links beyond ``max_daughters`` per mother:
    no feasible assignment can contain them all.
    """
    pair = ["part", "t", "t2"] if "part" in links else ["t", "t2"]
    linked = links[links["mother"] != NO_MOTHER]
    per_mother = linked.groupby(pair + ["mother"]).size()
    return {
        "frame_pairs": int(links[pair].drop_duplicates().shape[0]),
        "daughters": int(len(links)),
        "true_links": int(len(linked)),
        "daughters_without_mother": int(len(links) - len(linked)),
        "mothers_over_capacity": int((per_mother > max_daughters).sum()),
        "unreachable_links": int((per_mother - max_daughters).clip(lower=0).sum()),
    }
