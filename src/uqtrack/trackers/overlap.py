"""``overlap``: a cost from how well the masks of mother and daughter overlap."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, cast

import numpy as np
from scipy.optimize import brentq

from uqtrack.trackers.base import Frame, Tracker, nearest_candidates, param
from uqtrack.trackers.masks import Bands, PixelSets, border_bands, intersections, row_image

if TYPE_CHECKING:
    import scipy.sparse as sp


@dataclass(frozen=True)
class Outlines:
    """A frame as the overlap tracker sees it: centroids and each cell's pixels."""

    centroids: np.ndarray  # (n, 2), from the detection table
    rows: np.ndarray  # row image (:func:`row_image`)
    radius: float  # of the border bands

    def __len__(self) -> int:
        return len(self.centroids)

    @cached_property
    def inside(self) -> PixelSets:
        """The cells' own pixels."""
        return PixelSets.from_rows(self.rows, len(self))

    @cached_property
    def bands(self) -> Bands:
        """Border bands for the perturbation; computed only where a method perturbs."""
        return border_bands(self.rows, len(self), self.radius)


@dataclass(frozen=True)
class OverlapTracker(Tracker):
    """``w_ij = kappa * (1 - DIoU_ij)`` on the masks of mother ``i`` and daughter ``j``.

    ``DIoU_ij = IoU_ij - rho_ij^2 / c_ij^2`` is the distance-IoU of Zheng et al.
    (AAAI 2020): the masks' intersection over union minus the squared distance of
    their centroids over the squared diagonal of the smallest box enclosing both.
    It lies in ``(-1, 1]``, so ``w`` lies in ``[0, 2 kappa)`` and is 0 for identical
    masks: the negative log of a log-linear likelihood ``p ∝ exp(kappa DIoU)``.

    Why not IoU alone: every pair that does not overlap has IoU 0, so the nearest
    candidates that keep large steps (and small markers, whose masks rarely overlap
    from frame to frame) linkable would all cost the same and the MAP would choose
    among them arbitrarily. The centroid term orders them by distance relative to
    their extent and barely changes the cost of overlapping pairs. Why linear in
    DIoU rather than ``-log IoU``: the cost stays bounded, so a link is never priced
    above leaving both cells unlinked at step 1 (``w_a + w_d = 20 = 2 kappa`` at the
    defaults); ``kappa`` sets how sharply the likelihood prefers overlap.

    The frame interval: under ``step_scaling: linear`` (this type's default) the
    prices are those of the step-1 move grown like a Brownian displacement, read
    through the cost's own form (:meth:`price_at_step`), not ``s * w``: a bounded cost
    does not grow like ``s``. ``none`` keeps the step-1 prices (the paper read literally).

    Parameters
    ----------
    kappa : float
        Sharpness: the cost of a pair of DIoU 0 (masks apart, centroids close
        for their extent); a link costs at most ``2 kappa``.
    max_candidates : int
        Candidates: every pair whose masks overlap, plus each daughter's
        ``max_candidates`` nearest mothers by centroid ...
    max_distance : float or None
        ... within this radius in pixels (None: no radius).
    radius : float
        Perturbation of ``fp`` / ``fpa``: each cell's border moves by an
        independent ``rho ~ U(-radius, radius)`` pixels (outwards: thickening,
        inwards: thinning; a cell never vanishes), times ``sqrt(step_scale)`` under
        ``step_scaling: linear`` (a length, as the distance tracker's noise s.d.);
        the DIoU of the fixed candidate edges is recomputed from the moved masks.
    """

    kappa: float = param(10.0, exclusive_minimum=0)
    max_candidates: int = param(10, minimum=0)
    max_distance: float | None = param(None, exclusive_minimum=0)
    radius: float = param(1.0, minimum=0)

    #: The prices follow the move as a Brownian variance (``s``-fold at step ``s``), through
    #: the cost's own form rather than ``s * w`` (:meth:`price_at_step`).
    default_step_scaling = "linear"

    def price_at_step(self, price: float) -> float:
        """A step-1 price at this step: the cost of the move it tolerated, grown like ``sqrt(s)``.

        At step 1 a price ``w`` makes the MAP prefer "no link" over a link dearer than
        ``w``, i.e. over a move of more than ``x_1`` cell sizes, where
        ``kappa * g(x_1) = w`` and ``g`` is the cost ``1 - DIoU`` of a reference pair
        (:func:`reference_cost`: two equal squares, one moved along a side). Under
        Brownian motion the move grows like ``sqrt(s)``, so at step ``s`` the price is
        the cost of that grown move, ``kappa * g(x_1 sqrt(s))``: 10 / 14.6 / 16.2 / 16.9
        at steps 1 / 10 / 30 / 50 for the default ``w = kappa = 10``, rising towards
        ``2 kappa`` (the cost of a move that leaves the cells far apart) and never above.

        Why not ``s * w`` as for ``distance``: this cost is bounded (``< 2 kappa``)
        because DIoU divides the squared move by the squared box holding both cells,
        which grows with the move. ``s * w`` exceeds every link's cost from step 2 on,
        so the MAP declares no daughter appearing and "no mother" weighs ``exp(-20 s)``;
        fixed prices do the opposite (48 % of SIM+ daughters "appearing" at step 50,
        6.8 % truly). A price of ``2 kappa`` or more, or of 0, is kept: no move reaches
        it, or every move does.
        """
        if self.step_scale == 1.0 or not 0.0 < price < 2.0 * self.kappa:
            return float(price)
        x1 = reference_move(price / self.kappa)
        return self.kappa * float(reference_cost(x1 * np.sqrt(self.step_scale)))

    @property
    def price_scale(self) -> float:
        """Growth since step 1 of the price of DIoU 0 (``kappa``): 1.69 at step 50."""
        return self.price_at_step(self.kappa) / self.kappa

    @property
    def moved_radius(self) -> float:
        """The perturbation radius at this step."""
        return self.radius * float(np.sqrt(self.step_scale))

    def features(self, frame: Frame) -> Outlines:
        return Outlines(frame.centroids(), row_image(frame), self.moved_radius)

    def candidates(self, mothers: Outlines, daughters: Outlines) -> np.ndarray:
        # without edges, intersections gives the sparse matrix of all pairs
        overlapping = cast("sp.csr_matrix", intersections(mothers.inside, daughters.inside)).tocoo()
        near = np.empty((0, 2), dtype=np.int64)
        if self.max_candidates > 0:
            near = nearest_candidates(
                mothers.centroids, daughters.centroids, self.max_candidates, self.max_distance
            )
        edges = np.unique(
            np.concatenate([np.column_stack([overlapping.row, overlapping.col]).astype(np.int64), near]),
            axis=0,
        ).reshape(-1, 2)
        return edges[np.lexsort((edges[:, 0], edges[:, 1]))]

    def costs(self, mothers: Outlines, daughters: Outlines, edges: np.ndarray) -> np.ndarray:
        return self.kappa * (1.0 - diou(mothers.inside, daughters.inside, edges))

    def sample_costs(
        self, mothers: Outlines, daughters: Outlines, edges: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        r = self.moved_radius
        moved = [
            f.bands.moved(rng.uniform(-r, r, len(f))) for f in (mothers, daughters)
        ]
        return self.kappa * (1.0 - diou(moved[0], moved[1], edges))


def diou(a: PixelSets, b: PixelSets, edges: np.ndarray) -> np.ndarray:
    """Distance-IoU of cell ``i`` of ``a`` and cell ``j`` of ``b`` for each edge ``(i, j)``.

    ``IoU - rho^2 / c^2``: ``rho`` the distance of the two centroids (mean pixel
    coordinates), ``c`` the diagonal of the smallest pixel box holding both masks.
    Both sets must be non-empty for every edge.
    """
    if len(edges) == 0:
        return np.zeros(0)
    i, j = edges[:, 0], edges[:, 1]
    inter = intersections(a, b, edges)
    union = a.areas()[i] + b.areas()[j] - inter
    rho2 = ((a.centroids()[i] - b.centroids()[j]) ** 2).sum(axis=1)
    ba, bb = a.boxes()[i], b.boxes()[j]
    low = np.minimum(ba[:, :2], bb[:, :2])
    high = np.maximum(ba[:, 2:], bb[:, 2:])
    c2 = ((high - low + 1.0) ** 2).sum(axis=1)
    return inter / union - rho2 / c2


def reference_cost(x: np.ndarray | float) -> np.ndarray:
    """``1 - DIoU`` of two equal squares of side 1 whose centres lie ``x`` apart along a side.

    ``IoU = (1 - x) / (1 + x)`` while they overlap (``x < 1``), else 0; the box
    holding both is ``(1 + x) x 1``, so the centroid term is ``x^2 / ((1 + x)^2 + 1)``.
    Rises strictly from 0 at ``x = 0`` towards 2 (:meth:`OverlapTracker.price_at_step`).
    """
    x = np.asarray(x, dtype=np.float64)
    iou = np.where(x < 1.0, (1.0 - x) / (1.0 + x), 0.0)
    return 1.0 - iou + x**2 / ((1.0 + x) ** 2 + 1.0)


def reference_move(cost: float) -> float:
    """The ``x`` of :func:`reference_cost` ``(x) = cost``, for ``0 <= cost < 2``."""
    if not 0.0 <= cost < 2.0:
        raise ValueError(f"a reference cost lies in [0, 2), got {cost}")
    high = 1.0
    while reference_cost(high) <= cost:
        high *= 2.0
    return float(brentq(lambda x: float(reference_cost(x)) - cost, 0.0, high, xtol=1e-14, rtol=1e-14))
