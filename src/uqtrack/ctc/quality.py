"""Legal but rare features of a sequence (gaps, abrupt cell-count changes) and their warnings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["JUMP_MIN_CELLS", "JUMP_FRACTION", "data_quality", "quality_warnings", "frame_ranges"]


#: A change of the cell count between consecutive frames is "abrupt" when it is at
#: least this many cells and more than half of the larger count (no real sequence in
#: the CTC data has one: divisions add at most half of the cells per frame).
JUMP_MIN_CELLS = 3
JUMP_FRACTION = 0.5


def data_quality(
    gap_label: np.ndarray,
    gap_begin: np.ndarray,
    gap_end: np.ndarray,
    det_frame: np.ndarray,
    det_label: np.ndarray,
    frames: np.ndarray,
    counts: np.ndarray,
) -> dict[str, Any]:
    """Legal but rare features of a sequence, with the frames they concern.

    Parameters
    ----------
    gap_label, gap_begin, gap_end
        The tracks that have gaps, with their spans.
    det_frame, det_label
        Frame and label of every detection.
    frames, counts
        The checked frame numbers (sorted) and the number of cells in each.

    Returns
    -------
    dict
        ``gaps``: ``{"label", "frames"}`` for each track absent from checked frames
        strictly inside its span; ``cell_count_jumps``: ``{"frames": [t, t2],
        "cells": [n, n2]}`` for consecutive checked frames whose cell count changes
        by at least :data:`JUMP_MIN_CELLS` and by more than :data:`JUMP_FRACTION`
        of the larger count.
    """
    gaps = []
    for lab, b, e in zip(gap_label.tolist(), gap_begin.tolist(), gap_end.tolist()):
        inside = frames[(frames >= b) & (frames <= e)]
        seen = det_frame[det_label == lab]
        gaps.append({"label": lab, "frames": inside[~np.isin(inside, seen)].tolist()})
    change = np.abs(np.diff(counts))
    larger = np.maximum(counts[1:], counts[:-1])
    jumps = np.flatnonzero((change >= JUMP_MIN_CELLS) & (change > JUMP_FRACTION * larger))
    return {
        "gaps": gaps,
        "cell_count_jumps": [
            {"frames": [int(frames[k]), int(frames[k + 1])], "cells": [int(counts[k]), int(counts[k + 1])]}
            for k in jumps
        ],
    }


def quality_warnings(stats: dict[str, Any], where: str) -> list[str]:
    """One line per kind of rare feature in ``stats["data_quality"]``, naming the frames.

    Parameters
    ----------
    stats
        From :func:`validate` or :func:`read_sequence`.
    where
        What the lines name first (the TRA folder).
    """
    quality = stats.get("data_quality", {})
    lines = []
    gaps = quality.get("gaps", [])
    if gaps:
        shown = "; ".join(f"track {g['label']}: frames {frame_ranges(g['frames'])}" for g in gaps[:5])
        more = f"; and {len(gaps) - 5} more tracks" if len(gaps) > 5 else ""
        lines.append(
            f"{where}: {len(gaps)} track(s) missing from frames inside their span ({shown}{more}); "
            "kept as gaps, see data_quality in lineage.json"
        )
    jumps = quality.get("cell_count_jumps", [])
    if jumps:
        shown = "; ".join(
            f"frames {j['frames'][0]}->{j['frames'][1]}: {j['cells'][0]}->{j['cells'][1]} cells"
            for j in jumps[:5]
        )
        more = f"; and {len(jumps) - 5} more" if len(jumps) > 5 else ""
        lines.append(
            f"{where}: the number of cells changes abruptly ({shown}{more}); "
            "check these frames belong to this sequence, see data_quality in lineage.json"
        )
    return lines


def frame_ranges(frames: Iterable[int]) -> str:
    """``[1, 2, 3, 7]`` -> ``"1-3, 7"``."""
    runs: list[list[int]] = []
    for t in sorted(frames):
        if runs and t == runs[-1][1] + 1:
            runs[-1][1] = t
        else:
            runs.append([t, t])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)
