"""Region properties of one label image: label, area, centroid and bounding box per cell."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = ["frame_regions"]


def frame_regions(img: np.ndarray) -> dict[str, np.ndarray]:
    """Label, area, centroid and bounding box of every non-zero label in ``img``.

    One pass of ``np.bincount`` plus ``ndimage.find_objects``: several times faster
    than building skimage ``regionprops`` objects, with the same numbers
    (centroid = mean pixel row/column; bbox max is exclusive, as in skimage).
    """
    width = img.shape[1]
    flat = img.ravel()
    nz = np.flatnonzero(flat)
    if nz.size == 0:
        return {}
    vals = flat[nz]
    labels = np.unique(vals) if vals.max() > 4 * img.size else None
    if labels is not None:
        # Huge label values: compact them so bincount/find_objects stay small.
        vals = np.searchsorted(labels, vals) + 1
        dense = np.zeros(img.shape, dtype=np.int64)
        dense.ravel()[nz] = vals
    else:
        dense = img
    vals = vals.astype(np.intp, copy=False)
    area = np.bincount(vals)
    present = np.flatnonzero(area)
    present = present[present > 0]
    rows, cols = np.divmod(nz, width)
    ysum = np.bincount(vals, weights=rows)[present]
    xsum = np.bincount(vals, weights=cols)[present]
    boxes = ndimage.find_objects(dense)
    bbox = np.array(
        [
            (boxes[k - 1][0].start, boxes[k - 1][1].start, boxes[k - 1][0].stop, boxes[k - 1][1].stop)
            for k in present
        ],
        dtype=np.int64,
    ).reshape(-1, 4)
    a = area[present]
    return {
        "label": (labels[present - 1] if labels is not None else present).astype(np.int64),
        "y": ysum / a,
        "x": xsum / a,
        "area": a.astype(np.int64),
        "min_row": bbox[:, 0],
        "min_col": bbox[:, 1],
        "max_row": bbox[:, 2],
        "max_col": bbox[:, 3],
    }
