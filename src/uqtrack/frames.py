"""Frames of one sequence on demand: cells from the detection table, masks and raw
images read from disk only when a tracker asks (:class:`uqtrack.trackers.Frame`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import tifffile

from uqtrack import ctc
from uqtrack.errors import InputError
from uqtrack.trackers import Frame


def find_images(folder: str | Path | None) -> dict[int, Path]:
    """Raw images ``t<digits>.tif`` (any case) of a CTC sequence folder; empty if there is
    none. Other files are left out (:func:`uqtrack.ctc.ignored_files` counts them)."""
    if folder is None or not Path(folder).is_dir():
        return {}
    found = {}
    for entry in sorted(Path(folder).iterdir()):
        m = ctc.IMAGE_RE.match(entry.name)
        if m:
            found[int(m.group(1))] = entry
    return found


def read_image(path: Path) -> np.ndarray:
    """One raw image as a 2-D float array."""
    try:
        img = np.squeeze(tifffile.imread(path))
    except Exception as exc:  # tifffile/imagecodecs raise many types for bad files
        raise InputError(path, f"cannot read TIFF: {type(exc).__name__}: {exc}") from None
    if img.ndim != 2:
        raise InputError(path, f"expected a 2-D image, got shape {img.shape}")
    return img.astype(np.float64)


def frame_source(
    detections: pd.DataFrame,
    masks_dir: str | Path | None = None,
    images_dir: str | Path | None = None,
) -> Callable[[int], Frame]:
    """A function ``t -> Frame`` over one sequence.

    Parameters
    ----------
    detections : DataFrame
        ``frame, label, y, x, ...`` of every cell.
    masks_dir : path, optional
        Folder or glob of the label images (a CTC ``TRA`` folder; see
        :func:`uqtrack.ctc.find_label_images`).
    images_dir : path, optional
        Folder of the raw images ``t<digits>.tif`` (a CTC ``<seq>`` folder).
    """
    cells = {int(f): g.sort_values("label") for f, g in detections.groupby("frame")}
    none = detections.iloc[:0]
    mask_files = ctc.find_label_images(masks_dir) if masks_dir is not None else {}
    image_files = find_images(images_dir)

    def frame(t: int) -> Frame:
        load_masks = (lambda: ctc.read_frame(mask_files[t])) if t in mask_files else None
        load_image = (lambda: read_image(image_files[t])) if t in image_files else None
        return Frame(t, cells.get(t, none), load_masks, load_image)

    return frame
