"""Cells as pixel sets: what the mask-based trackers (``overlap``, ``activity``) share.

A frame's label image becomes, per cell (row ``i`` of the detection table), the flat
list of its pixels, kept sorted by cell so that per-cell sums are one ``np.bincount``
and per-cell extremes one ``ufunc.reduceat``. Pairwise intersections of two frames'
cells are one sparse product, never a loop over pairs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy import ndimage

from uqtrack.trackers.base import Frame

#: Larger than any pixel coordinate: the neutral element of a masked per-cell minimum.
_FAR = np.iinfo(np.int32).max


def row_image(frame: Frame) -> np.ndarray:
    """The frame's label image with each cell's label replaced by its row + 1 (0: none).

    Labels present in the mask but absent from the detection table count as
    background.
    """
    masks = frame.masks()
    labels = frame.cells["label"].to_numpy(dtype=np.int64)
    top = int(max(masks.max(initial=0), labels.max(initial=0)))
    lut = np.zeros(top + 1, dtype=np.int32)
    lut[labels] = np.arange(1, len(labels) + 1, dtype=np.int32)
    return lut[masks]


@dataclass(frozen=True)
class PixelSets:
    """Pixels of every cell of a frame, sorted by cell.

    Attributes
    ----------
    n : int
        Number of cells (rows of the detection table).
    cell, y, x : (P,) ndarray
        Each entry's cell and pixel coordinates.
    """

    n: int
    cell: np.ndarray
    y: np.ndarray
    x: np.ndarray

    @classmethod
    def from_rows(cls, rows: np.ndarray, n: int) -> PixelSets:
        """The pixel sets of a row image (:func:`row_image`)."""
        flat = np.flatnonzero(rows)
        cell = rows.ravel()[flat].astype(np.int64) - 1
        order = np.argsort(cell, kind="stable")
        y, x = np.divmod(flat[order], rows.shape[1])
        return cls(n, cell[order], y.astype(np.int32), x.astype(np.int32))

    def keep(self, mask: np.ndarray) -> PixelSets:
        return PixelSets(self.n, self.cell[mask], self.y[mask], self.x[mask])

    def areas(self) -> np.ndarray:
        return np.bincount(self.cell, minlength=self.n).astype(np.float64)

    def centroids(self) -> np.ndarray:
        """Mean ``(y, x)`` of each cell's pixels (NaN for an empty cell)."""
        area = self.areas()
        sums = [np.bincount(self.cell, weights=c, minlength=self.n) for c in (self.y, self.x)]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.column_stack(sums) / area[:, None]

    def boxes(self) -> np.ndarray:
        """``(min_y, min_x, max_y, max_x)`` per cell, inclusive (``_FAR`` / ``-1`` if empty)."""
        out = np.empty((self.n, 4), dtype=np.int64)
        out[:, :2], out[:, 2:] = _FAR, -1
        if len(self.cell) == 0:
            return out
        starts = np.flatnonzero(np.r_[True, self.cell[1:] != self.cell[:-1]])
        present = self.cell[starts]
        for col, values, ufunc in ((0, self.y, np.minimum), (1, self.x, np.minimum),
                                   (2, self.y, np.maximum), (3, self.x, np.maximum)):
            out[present, col] = ufunc.reduceat(values, starts)
        return out

    def matrix(self, width: int, size: int) -> sp.csr_matrix:
        """Cells x pixels incidence matrix, pixel ``y * width + x`` of ``size``."""
        flat = self.y.astype(np.int64) * width + self.x
        ones = np.ones(len(flat), dtype=np.float64)
        return sp.csr_matrix((ones, (self.cell, flat)), shape=(self.n, size))


def intersections(a: PixelSets, b: PixelSets, edges: np.ndarray | None = None) -> sp.csr_matrix | np.ndarray:
    """Pixels shared by cell ``i`` of ``a`` and cell ``j`` of ``b``.

    One sparse product of the two incidence matrices; the sets of one frame may
    overlap each other (perturbed masks do).

    Returns
    -------
    csr_matrix (a.n, b.n), or the (E,) counts at ``edges`` ``(i, j)`` when given.
    """
    top_y = int(max(a.y.max(initial=0), b.y.max(initial=0))) + 1
    width = int(max(a.x.max(initial=0), b.x.max(initial=0))) + 1
    counts = (a.matrix(width, top_y * width) @ b.matrix(width, top_y * width).T).tocsr()
    if edges is None:
        return counts
    if len(edges) == 0:
        return np.zeros(0)
    return np.asarray(counts[edges[:, 0], edges[:, 1]]).ravel()


@dataclass(frozen=True)
class Bands:
    """Each cell's pixels within ``radius`` of its border, with their signed distance.

    ``s > 0`` inside the cell, ``s < 0`` outside: ``s = d_in - 1/2`` for a cell
    pixel whose nearest non-cell pixel is ``d_in`` away, ``s = 1/2 - d_out`` for a
    pixel ``d_out`` away from the nearest cell pixel; the border lies half-way
    between pixel centres. Moving the border outwards by ``rho`` pixels (inwards for
    ``rho < 0``) keeps the pixels with ``s + rho > 0``.

    Attributes
    ----------
    pixels : PixelSets
        Every pixel with ``s > -radius``.
    s : (P,) ndarray
        Their signed distances.
    deepest : (n,) ndarray
        Largest ``s`` of each cell.
    """

    pixels: PixelSets
    s: np.ndarray
    deepest: np.ndarray

    def moved(self, rho: np.ndarray) -> PixelSets:
        """Each cell's border moved by ``rho[i]`` pixels; a cell never vanishes.

        Erosion stops at the cell's innermost pixels (those of largest ``s``):
        a marker of a few pixels would otherwise disappear and take its links with it.
        """
        threshold = np.minimum(-rho, self.deepest - 0.5)  # deepest - 1/2 >= 0: rho = 0 keeps all
        return self.pixels.keep(self.s > threshold[self.pixels.cell])


def border_bands(rows: np.ndarray, n: int, radius: float) -> Bands:
    """:class:`Bands` of every cell of a row image (:func:`row_image`).

    One Euclidean distance transform in and around each cell's bounding box,
    padded by ``radius``; with ``radius == 0`` just the cells' pixels.
    """
    inside = PixelSets.from_rows(rows, n)
    if radius <= 0:
        return Bands(inside, np.full(len(inside.cell), 0.5), np.full(n, 0.5))
    pad = int(math.ceil(radius)) + 1
    cells, ys, xs, ss = [], [], [], []
    deepest = np.full(n, 0.5)
    for i, box in enumerate(ndimage.find_objects(rows, max_label=n)):
        if box is None:
            continue
        y0, x0 = max(box[0].start - pad, 0), max(box[1].start - pad, 0)
        crop = rows[y0 : box[0].stop + pad, x0 : box[1].stop + pad] == i + 1
        s = np.where(
            crop,
            ndimage.distance_transform_edt(crop) - 0.5,
            0.5 - ndimage.distance_transform_edt(~crop),
        )
        yy, xx = np.nonzero(s > -radius)
        cells.append(np.full(len(yy), i, dtype=np.int64))
        ys.append((yy + y0).astype(np.int32))
        xs.append((xx + x0).astype(np.int32))
        ss.append(s[yy, xx])
        deepest[i] = s.max()
    if not cells:
        return Bands(inside, np.zeros(0), deepest)
    pixels = PixelSets(n, np.concatenate(cells), np.concatenate(ys), np.concatenate(xs))
    return Bands(pixels, np.concatenate(ss), deepest)
