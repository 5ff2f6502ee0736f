"""Check a sequence's masks against its ``man_track.txt`` and describe it.

Errors name the offending file in one line; awkward but valid ground truth is
counted in the statistics (see :mod:`uqtrack.ctc.quality`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from uqtrack.ctc.discovery import find_frames, select_frames
from uqtrack.ctc.names import FRAME_RE, MAN_TRACK, StrPath
from uqtrack.ctc.quality import data_quality, frame_ranges
from uqtrack.ctc.tiff import header_shape
from uqtrack.errors import InputError

__all__ = ["validate", "check_one_size"]


def _frame_name(frames: dict[int, Path], t: int) -> str:
    """File name that frame ``t`` has, or would have with this folder's digit count."""
    if t in frames:
        return frames[t].name
    digits = {len(FRAME_RE.match(p.name).group(1)) for p in frames.values()}  # type: ignore[union-attr]
    width = min(digits) if digits else 3
    return f"man_track{t:0{width}d}.tif"


def validate(
    tracks: pd.DataFrame,
    detections: pd.DataFrame,
    tra_dir: StrPath,
    frames: Iterable[int] | None = None,
    shapes: dict[int, tuple[int, int]] | None = None,
    *,
    allow_mixed_frame_sizes: bool = False,
) -> dict[str, Any]:
    """Check masks against ``man_track.txt`` and describe the sequence.

    Errors (:class:`InputError`, naming the offending file):

    * a frame whose size differs from the sequence's other frames (unless
      ``allow_mixed_frame_sizes``): no published sequence mixes sizes, so such a
      frame almost surely belongs to another sequence;
    * a mask label that is not a track in ``man_track.txt``;
    * a label present in a frame outside its track's ``[begin, end]``;
    * a frame in ``[min(begin), max(end)]`` without a mask file;
    * a track whose label is absent from its begin frame or from its end frame
      (checked only where that frame was read).

    Counted, not errors (all occur in, or are allowed by, CTC ground truth): a label
    absent from a frame strictly inside its range ("gap"), frames with no cell, a
    child whose track starts more than one frame after its parent's ended, and
    parents with one or with more than two children.

    Parameters
    ----------
    tracks
        From :func:`read_man_track`.
    detections
        From :func:`read_detections` over ``frames``.
    tra_dir
        The TRA folder both came from (for file names and the frame list).
    frames
        The frames that ``detections`` covers (default: every mask file). Checks
        and counts about frames outside it are skipped.
    shapes
        Frame number -> image shape, if already known; otherwise the shapes are
        taken from the TIFF headers (no pixel decoding).
    allow_mixed_frame_sizes
        Accept frames of different sizes within the sequence.

    Returns
    -------
    dict
        ``n_frames`` (frames checked), ``first_frame``, ``last_frame``,
        ``missing_frame_numbers`` (frame numbers between the first and last mask
        file without a file, outside every track: allowed), ``n_tracks``,
        ``n_detections``, ``n_divisions`` (tracks with two or more child tracks, the
        count the CTC data sets publish), ``n_parents`` (tracks with at least one
        child), ``n_children`` (tracks with a parent), ``n_single_child_parents``
        (a track continued under a new label without dividing),
        ``n_multi_child_parents`` (more than two children), ``n_delayed_children``
        (child begins later than parent end + 1), ``n_root_tracks`` (no parent),
        ``n_gaps`` (track-frame pairs missing strictly inside a track's range, over
        the checked frames), ``n_tracks_with_gaps``, ``empty_frames`` (sorted list),
        ``frame_shapes`` (sorted list of distinct (height, width)),
        ``max_cells_per_frame`` / ``mean_cells_per_frame``, and ``data_quality``:
        legal but rare features, each with the frames concerned (see
        :func:`data_quality` and :func:`quality_warnings`).
    """
    tra_dir = Path(tra_dir)
    all_frames = find_frames(tra_dir)
    checked = select_frames(all_frames, frames, tra_dir)
    checked_set = np.fromiter(checked, dtype=np.int64)
    if shapes is None:
        shapes = {t: header_shape(p) for t, p in checked.items()}
    if not allow_mixed_frame_sizes:
        check_one_size(shapes, checked)

    tracks = tracks.sort_values("label", kind="stable")  # searchsorted below needs it
    label = tracks["label"].to_numpy(np.int64)
    begin = tracks["begin"].to_numpy(np.int64)
    end = tracks["end"].to_numpy(np.int64)
    parent = tracks["parent"].to_numpy(np.int64)

    # Every frame a track spans must exist as a file (whether or not it was read).
    if label.size:
        needed = np.arange(begin.min(), end.max() + 1)
        absent = needed[~np.isin(needed, np.fromiter(all_frames, dtype=np.int64))]
        if absent.size:
            raise InputError(
                tra_dir,
                f"{_frame_name(all_frames, int(absent[0]))} is missing ({absent.size} frame(s) missing), "
                f"but {MAN_TRACK} has tracks in frames {begin.min()}-{end.max()}",
            )

    det_frame = detections["frame"].to_numpy(np.int64)
    det_label = detections["label"].to_numpy(np.int64)
    if not np.isin(det_frame, checked_set).all():
        raise ValueError("detections hold frames outside `frames`; pass the frames they were read from")
    # Position of each detection's track (label sorted -> searchsorted).
    pos = np.searchsorted(label, det_label)
    pos_c = np.minimum(pos, max(label.size - 1, 0))
    known = (pos < label.size) & (label[pos_c] == det_label) if label.size else np.zeros(det_label.size, bool)
    if not known.all():
        k = int(np.flatnonzero(~known)[0])
        raise InputError(all_frames[int(det_frame[k])], f"label {det_label[k]} is not a track in {MAN_TRACK}")
    inside = (det_frame >= begin[pos_c]) & (det_frame <= end[pos_c])
    if not inside.all():
        k = int(np.flatnonzero(~inside)[0])
        j = pos_c[k]
        raise InputError(
            all_frames[int(det_frame[k])],
            f"label {det_label[k]} is present, but its track in {MAN_TRACK} spans frames {begin[j]}-{end[j]}",
        )

    # Presence of each track at its own begin and end frame (where those were read).
    present = pd.MultiIndex.from_arrays([det_frame, det_label])
    for what, at in (("begins", begin), ("ends", end)):
        read = np.isin(at, checked_set)
        hit = np.zeros(label.size, bool)
        if read.any():
            hit[read] = pd.MultiIndex.from_arrays([at[read], label[read]]).isin(present)
        bad = np.flatnonzero(read & ~hit)
        if bad.size:
            k = int(bad[0])
            raise InputError(
                all_frames[int(at[k])],
                f"label {label[k]} is absent, but {MAN_TRACK} says track {label[k]} {what} at frame {at[k]} "
                f"({bad.size} track(s) affected)",
            )

    # Gaps: frames read inside a track's range minus the frames it appears in.
    span_read = np.searchsorted(checked_set, end, side="right") - np.searchsorted(
        checked_set, begin, side="left"
    )
    seen = np.bincount(pos_c, minlength=label.size) if label.size else np.zeros(0, np.int64)
    gaps = span_read - seen
    children = pd.Series(parent[parent != 0]).value_counts()
    if label.size:
        child = parent != 0
        pend = end[np.searchsorted(label, parent[child])]
        delayed = int(np.sum(begin[child] > pend + 1))
    else:
        delayed = 0

    counts = np.bincount(np.searchsorted(checked_set, det_frame), minlength=checked_set.size)
    file_frames = np.fromiter(all_frames, dtype=np.int64)
    has_gap = gaps > 0
    quality = data_quality(
        label[has_gap], begin[has_gap], end[has_gap], det_frame, det_label, checked_set, counts
    )
    if len(set(shapes.values())) > 1:
        quality["frame_sizes"] = {
            f"{h}x{w}": sorted(t for t, s in shapes.items() if tuple(s) == (h, w))
            for h, w in sorted({tuple(s) for s in shapes.values()})
        }
    return {
        "n_frames": int(checked_set.size),
        "first_frame": int(checked_set.min()),
        "last_frame": int(checked_set.max()),
        "missing_frame_numbers": sorted(
            set(range(int(file_frames.min()), int(file_frames.max()) + 1)) - set(file_frames.tolist())
        ),
        "n_tracks": int(label.size),
        "n_detections": int(det_label.size),
        "n_divisions": int((children >= 2).sum()),
        "n_parents": int(children.size),
        "n_children": int(children.sum()),
        "n_single_child_parents": int((children == 1).sum()),
        "n_multi_child_parents": int((children > 2).sum()),
        "n_delayed_children": delayed,
        "n_root_tracks": int(np.sum(parent == 0)),
        "n_gaps": int(gaps.sum()),
        "n_tracks_with_gaps": int(np.sum(gaps > 0)),
        "empty_frames": checked_set[counts == 0].tolist(),
        "frame_shapes": sorted({tuple(int(v) for v in s) for s in shapes.values()}),
        "max_cells_per_frame": int(counts.max()),
        "mean_cells_per_frame": float(counts.mean()),
        "data_quality": quality,
    }


def check_one_size(shapes: dict[int, tuple[int, int]], files: dict[int, Path]) -> None:
    """Every frame of a sequence has one size; name the first frame that does not.

    The sequence's size is the most common one (ties: the earliest frame's).
    """
    sizes = [tuple(int(v) for v in shapes[t]) for t in sorted(shapes)]
    if len(set(sizes)) <= 1:
        return
    common = max(dict.fromkeys(sizes), key=sizes.count)  # first of the most frequent
    odd = [t for t in sorted(shapes) if tuple(shapes[t]) != common]
    t = odd[0]
    h, w = shapes[t]
    others = f" ({len(odd)} frames differ: {frame_ranges(odd)})" if len(odd) > 1 else ""
    raise InputError(
        files[t],
        f"frame {t} is {h}x{w} pixels, but the other frames of this sequence are {common[0]}x{common[1]}"
        f"{others}: a frame from another sequence? If the size really changes within the sequence, "
        "set allow_mixed_frame_sizes: true for this dataset in the config",
    )
