"""Cell Tracking Challenge tracks of the predicted (MAP) links.

CTC semantics: a track continues while its cell links to exactly one daughter; a
mother with two or more daughters ends its track and each daughter starts a new
one whose parent it is; a cell without a predicted mother starts a new track with
parent 0. Every track id is unique. Frames are numbered by their position among
the exported frames (``0, 1, ...``), as CTC tools expect.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from uqtrack.errors import InputError


def map_tracks(
    cells: pd.DataFrame, links: pd.DataFrame, frames: Sequence[int], source: str = "edge table"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Track ids of every cell and the CTC track table of the predicted links.

    Parameters
    ----------
    cells : DataFrame
        ``frame, label`` of every cell (other columns are kept).
    links : DataFrame
        ``t, t2, mother, daughter`` of the predicted links (movie frames, labels).
    frames : sequence of int
        The exported movie frames in order; cells of other frames are dropped.
    source : str
        Named in the error when links and cells disagree.

    Returns
    -------
    cells : DataFrame
        The kept cells sorted by frame and label, with ``k`` (export frame index),
        ``track_id`` and ``lineage_id`` (the root track of its lineage).
    tracks : DataFrame
        ``label, begin, end, parent`` per track (begin/end in export frame
        indices), sorted by label: the content of ``res_track.txt``.

    Raises
    ------
    InputError
        A link names a cell that is not among ``cells``, joins frames that are
        not consecutive in ``frames``, or a cell has two predicted mothers.
    """
    index = {int(t): k for k, t in enumerate(frames)}
    kept = cells[cells["frame"].isin(list(index))].sort_values(["frame", "label"], ignore_index=True)
    frame = kept["frame"].to_numpy(np.int64)
    label = kept["label"].to_numpy(np.int64)
    row_of = {(int(f), int(lab)): i for i, (f, lab) in enumerate(zip(frame, label, strict=True))}

    mother_row = np.full(len(kept), -1, dtype=np.int64)
    for t, t2, m, d in links[["t", "t2", "mother", "daughter"]].itertuples(index=False):
        key_m, key_d = (int(t), int(m)), (int(t2), int(d))
        if key_m not in row_of or key_d not in row_of:
            missing = key_m if key_m not in row_of else key_d
            raise InputError(source, f"link {m} -> {d} ({t} -> {t2}) names cell {missing[1]}"
                                     f" of frame {missing[0]}, which is not in the detections")
        if index[int(t2)] != index[int(t)] + 1:
            raise InputError(source, f"link {m} -> {d} joins frames {t} and {t2}, not consecutive exported frames")
        if mother_row[row_of[key_d]] >= 0:
            raise InputError(source, f"cell {d} of frame {t2} has two predicted mothers")
        mother_row[row_of[key_d]] = row_of[key_m]
    n_daughters = np.bincount(mother_row[mother_row >= 0], minlength=len(kept))

    track = np.zeros(len(kept), dtype=np.int64)
    lineage = np.zeros(len(kept), dtype=np.int64)
    begin: list[int] = []
    end: list[int] = []
    parent: list[int] = []
    for i in range(len(kept)):  # rows are in frame order: every mother comes first
        k = index[int(frame[i])]
        m = mother_row[i]
        if m >= 0 and n_daughters[m] == 1:
            track[i], lineage[i] = track[m], lineage[m]
            end[track[i] - 1] = k
            continue
        begin.append(k)
        end.append(k)
        parent.append(int(track[m]) if m >= 0 else 0)
        track[i] = len(begin)
        lineage[i] = lineage[m] if m >= 0 else track[i]
    out = kept.assign(k=np.array([index[int(f)] for f in frame], dtype=np.int64),
                      track_id=track, lineage_id=lineage)
    tracks = pd.DataFrame({
        "label": np.arange(1, len(begin) + 1, dtype=np.int64),
        "begin": np.array(begin, dtype=np.int64),
        "end": np.array(end, dtype=np.int64),
        "parent": np.array(parent, dtype=np.int64),
    })
    return out, tracks
