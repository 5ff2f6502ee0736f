"""``overlap``: a cost from how well the masks of mother and daughter overlap."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, cast

import numpy as np

from uqtrack.trackers.base import Frame, Tracker, nearest_candidates
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

    kappa: float = 10.0
    max_candidates: int = 10
    max_distance: float | None = None
    radius: float = 1.0

    #: The cost is bounded (< 2 kappa) and does not grow like a Brownian variance: a true
    #: link's mean cost grows ~4x from step 1 to 50 on SIM+, not 50x. Linear prices would
    #: exceed every link's cost from step 2 on, give "no mother" probability exp(-20 s)
    #: and so make each truly appearing daughter a confident error that temperature
    #: scaling can only answer by flattening everything (README, measured).
    default_step_scaling = "none"

    def __post_init__(self) -> None:
        if not self.kappa > 0:
            raise ValueError(f"kappa must be > 0, got {self.kappa}")
        if self.max_candidates < 0:
            raise ValueError("max_candidates must be >= 0")
        if self.radius < 0:
            raise ValueError("radius must be >= 0")

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
