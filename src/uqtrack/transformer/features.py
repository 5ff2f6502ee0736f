"""Model inputs of one frame: centroids, and trackastra's region features if wanted."""

from __future__ import annotations

import numpy as np
import pandas as pd

from uqtrack.errors import InputError
from uqtrack.transformer._trackastra import WRFeatures, normalize_image

__all__ = ["WRFEAT_DIM", "coordinates", "region_features"]

WRFEAT_DIM = 7  # 2D "regionprops2": diameter, mean intensity, inertia tensor (4), border


def coordinates(cells: pd.DataFrame) -> np.ndarray:
    """Centroids ``(y, x)`` in pixels as float32, the dtype the model computes in."""
    missing = [c for c in ("y", "x") if c not in cells]
    if missing:
        raise ValueError(f"cell table lacks column(s) {missing}")
    return cells[["y", "x"]].to_numpy(dtype=np.float32)


def region_features(cells: pd.DataFrame, mask: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Trackastra's ``wrfeat`` features of one frame's cells, in the table's order.

    Parameters
    ----------
    cells : DataFrame
        One frame's cells; column ``label`` = pixel value in ``mask``.
    mask : 2D int array
        The frame's label image.
    image : 2D array
        The frame's raw image, same shape; percentile-normalised here per frame
        (trackastra normalises over the whole movie; per frame keeps a frame pair
        independent of the frames around it).

    Returns
    -------
    numpy.ndarray
        ``(n, 7)`` float32.

    Raises
    ------
    InputError
        Shapes differ, or a label of the table has no pixel in the mask.
    """
    mask, image = np.asarray(mask), np.asarray(image)
    if mask.ndim != 2 or mask.shape != image.shape:
        raise InputError("mask/image", f"need two 2D arrays of one shape, got {mask.shape} and {image.shape}")
    labels = cells["label"].to_numpy()
    if len(labels) == 0:
        return np.zeros((0, WRFEAT_DIM), np.float32)
    wr = WRFeatures.from_mask_img(mask[None].astype(np.int32, copy=False),
                                  normalize_image(image[None]), properties="regionprops2")
    row = {int(lab): i for i, lab in enumerate(wr.labels)}
    absent = [int(lab) for lab in labels if int(lab) not in row]
    if absent:
        raise InputError("mask", f"label(s) {absent[:5]} of the cell table have no pixel in the mask")
    return wr.features_stacked[[row[int(lab)] for lab in labels]].astype(np.float32)
