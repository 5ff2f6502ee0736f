"""Read many label images at once (threads) into one detection table."""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from uqtrack.ctc.discovery import find_frames, select_frames
from uqtrack.ctc.names import DETECTION_COLUMNS, StrPath
from uqtrack.ctc.regions import frame_regions
from uqtrack.ctc.tiff import read_frame

__all__ = ["read_all", "read_detections"]


def _read_one(item: tuple[int, Path]) -> tuple[int, tuple[int, int], dict[str, np.ndarray]]:
    """``(frame, path)`` -> ``(frame, image shape, regions)``; one task of the thread pool."""
    t, path = item
    img = read_frame(path)
    return t, img.shape, frame_regions(img)


def read_all(frames: dict[int, Path], workers: int | None) -> tuple[pd.DataFrame, dict[int, tuple[int, int]]]:
    """Detections (as :func:`read_detections`) and the shape of each frame of ``frames``.

    ``frames`` maps frame number to file; ``workers`` threads decode (default: up to
    4, bounded by the CPU count); the result does not depend on their number.
    """
    # Decoding (zstd/LZW in imagecodecs) and numpy release the GIL, so threads help.
    workers = workers or min(4, os.cpu_count() or 1)
    items = list(frames.items())
    if workers > 1 and len(items) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_read_one, items))
    else:
        results = [_read_one(it) for it in items]
    shapes = {t: shape for t, shape, _ in results}
    parts = []
    for t, _, reg in results:
        if reg:
            parts.append(pd.DataFrame({"frame": np.full(reg["label"].size, t, dtype=np.int64), **reg}))
    if parts:
        det = pd.concat(parts, ignore_index=True)
    else:
        det = pd.DataFrame(
            {c: np.array([], dtype=np.float64 if c in ("y", "x") else np.int64) for c in DETECTION_COLUMNS}
        )
    det = det[DETECTION_COLUMNS].sort_values(["frame", "label"], kind="stable", ignore_index=True)
    return det, shapes


def read_detections(
    tra_dir: StrPath, frames: Iterable[int] | None = None, *, workers: int | None = None
) -> pd.DataFrame:
    """One row per labelled cell per frame of a CTC TRA folder.

    Parameters
    ----------
    tra_dir
        The ``<seq>_GT/TRA`` folder.
    frames
        Read only these frame numbers (default: every mask file). Frames need not
        start at 0 and may differ in size.
    workers
        Threads used to decode frames (default: up to 4, bounded by the CPU count).
        The result does not depend on it.

    Returns
    -------
    pandas.DataFrame
        Columns ``frame, label`` (int64), ``y, x`` (centroid in pixels: mean row and
        column, float64), ``area`` (pixels, int64) and the bounding box
        ``min_row, min_col, max_row, max_col`` (int64, max exclusive as in
        skimage). Sorted by (frame, label). Empty frames contribute no row. A label
        split into several pieces in one frame is one row (pooled pixels).

    Raises
    ------
    InputError
        Missing folder, no mask files, a requested frame without a file, or a
        mask that is not a readable 2-D non-negative integer image.
    """
    tra_dir = Path(tra_dir)
    det, _ = read_all(select_frames(find_frames(tra_dir), frames, tra_dir), workers)
    return det
