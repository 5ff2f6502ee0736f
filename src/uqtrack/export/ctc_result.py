"""Write tracks in the Cell Tracking Challenge result format.

A folder with ``res_track.txt`` (``label begin end parent`` per track) and one
label image ``mask<k>.tif`` per exported frame ``k = 0, 1, ...`` whose pixels hold
the track id of their cell. The CTC evaluation tools, traccuracy and py-ctcmetrics
read it as is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import tifffile

from uqtrack.ctc import read_frame, write_man_track
from uqtrack.errors import InputError

RES_TRACK = "res_track.txt"


def write_ctc_result(
    folder: str | Path,
    cells: pd.DataFrame,
    tracks: pd.DataFrame,
    masks: Mapping[int, Path],
    frames: Sequence[int],
    digits: int = 3,
) -> int:
    """Write ``res_track.txt`` and the relabelled masks into ``folder``.

    Parameters
    ----------
    folder : path
        An existing, empty folder (write into a temporary one and rename it, see
        :func:`uqtrack.files.atomic_dir`).
    cells : DataFrame
        ``frame, label, track_id`` of every exported cell (:func:`~uqtrack.export.map_tracks`).
    tracks : DataFrame
        ``label, begin, end, parent`` (:func:`~uqtrack.export.map_tracks`).
    masks : mapping
        Movie frame -> its input label image (:func:`uqtrack.ctc.find_label_images`).
    frames : sequence of int
        The exported movie frames; ``mask<k>.tif`` is frame ``frames[k]``. A frame
        without an image is written empty (its cells cannot be linked either).
    digits : int
        Numbering width of the mask files (the input's; widened when too narrow).

    Returns
    -------
    int
        Frames written without an input image (empty).

    Raises
    ------
    InputError
        An input image holds a label that ``cells`` lacks for its frame (the masks
        changed since the detections were read).
    """
    folder = Path(folder)
    width = max(digits, len(str(max(len(frames) - 1, 0))))
    dtype = np.uint16 if len(tracks) <= np.iinfo(np.uint16).max else np.uint32
    by_frame = {int(f): g for f, g in cells.groupby("frame")}
    shape = read_frame(masks[next(t for t in frames if t in masks)]).shape if masks else (1, 1)
    empty = 0
    for k, t in enumerate(frames):
        if t not in masks:
            img, empty = np.zeros(shape, dtype=dtype), empty + 1
        else:
            img = _relabel(read_frame(masks[t]), by_frame.get(int(t)), dtype, masks[t])
            shape = img.shape
        # metadata=None: no ImageJ/shape tags, so equal masks give equal bytes
        tifffile.imwrite(folder / f"mask{k:0{width}d}.tif", img, compression="zlib", metadata=None)
    write_man_track(folder / RES_TRACK, tracks)
    return empty


def _relabel(img: np.ndarray, cells: pd.DataFrame | None, dtype: type, path: Path) -> np.ndarray:
    out: np.ndarray = np.zeros(img.shape, dtype=dtype)
    nz = img != 0
    if not nz.any():
        return out
    if cells is None:
        raise InputError(path, "has labelled pixels but no cells were detected in this frame")
    order = np.argsort(cells["label"].to_numpy())
    labels = cells["label"].to_numpy()[order]
    ids = cells["track_id"].to_numpy()[order]
    values = img[nz]
    pos = np.minimum(np.searchsorted(labels, values), len(labels) - 1)
    if not (labels[pos] == values).all():
        bad = values[labels[pos] != values][0]
        raise InputError(path, f"label {bad} was not detected in this frame: the masks changed; rerun")
    out[nz] = ids[pos]
    return out
