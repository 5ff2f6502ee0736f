"""Frame-to-frame trackers as small cost models.

A tracker turns the cells of two frames into an assignment problem: it picks
candidate edges, prices them (``w_ij >= 0``, a negative log-likelihood up to a
constant), prices appearance and disappearance, and knows how to perturb its own
features for the feature-perturbation methods. Uncertainty methods see only this
interface, never which tracker they are working with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from uqtrack.lineage import NO_MOTHER


@dataclass(frozen=True)
class DistanceTracker:
    """Gaussian motion model on centroids.

    ``w_ij = lambda / 2 * ||x_i - x'_j||^2`` with ``lambda = 1 / sigma^2``, i.e. the
    negative log-likelihood of an isotropic Gaussian move of per-axis standard
    deviation ``sigma`` (pixels), without its normalising constant.

    Parameters
    ----------
    sigma : float
        Motion scale in pixels; :func:`fit_sigma` estimates it from step-1 moves.
    appear_cost, disappear_cost : float
        ``w_a`` and ``w_d``.
    max_candidates : int
        Each daughter's candidates are its ``max_candidates`` nearest mothers ...
    max_distance : float or None
        ... within this radius in pixels (None: no radius).
    perturb_var : float
        Variance (pixels^2) of the Gaussian noise added to every centroid by
        :meth:`perturb`, for the ``fp`` and ``fpa`` methods.
    """

    sigma: float
    appear_cost: float = 10.0
    disappear_cost: float = 10.0
    max_candidates: int = 10
    max_distance: float | None = None
    perturb_var: float = 0.1
    name: str = "distance"

    def __post_init__(self) -> None:
        if not self.sigma > 0:
            raise ValueError(f"sigma must be > 0, got {self.sigma}")
        if self.max_candidates < 1:
            raise ValueError("max_candidates must be >= 1")

    def features(self, cells: pd.DataFrame) -> np.ndarray:
        """Centroids ``(y, x)`` of one frame's cells, shape ``(n, 2)``."""
        return cells[["y", "x"]].to_numpy(dtype=np.float64)

    def candidates(self, mothers: np.ndarray, daughters: np.ndarray) -> np.ndarray:
        """Candidate edges ``(mother, daughter)`` sorted by daughter, then mother."""
        if len(mothers) == 0 or len(daughters) == 0:
            return np.empty((0, 2), dtype=np.int64)
        k = min(self.max_candidates, len(mothers))
        bound = np.inf if self.max_distance is None else self.max_distance
        dist, idx = cKDTree(mothers).query(daughters, k=k, distance_upper_bound=bound)
        idx = np.asarray(idx).reshape(len(daughters), k)
        daughter = np.repeat(np.arange(len(daughters)), k)
        mother = idx.ravel()
        keep = mother < len(mothers)  # cKDTree pads misses with n
        edges = np.column_stack([mother[keep], daughter[keep]]).astype(np.int64)
        return edges[np.lexsort((edges[:, 0], edges[:, 1]))]

    def costs(
        self, mothers: np.ndarray, daughters: np.ndarray, edges: np.ndarray
    ) -> np.ndarray:
        """``lambda / 2 * squared distance`` for each edge."""
        delta = mothers[edges[:, 0]] - daughters[edges[:, 1]]
        return np.einsum("ij,ij->i", delta, delta) / (2.0 * self.sigma**2)

    def perturb(self, features: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Centroids plus ``N(0, perturb_var I)`` noise."""
        return features + rng.normal(0.0, np.sqrt(self.perturb_var), features.shape)


def continuing_moves(links: pd.DataFrame, detections: pd.DataFrame) -> np.ndarray:
    """Displacements ``(dy, dx)`` of cells that continue their own track.

    Links whose mother and daughter carry the same label (no division).
    """
    same = links[(links["mother"] == links["daughter"]) & (links["mother"] != NO_MOTHER)]
    pos = detections.set_index(["frame", "label"])[["y", "x"]]
    before = pos.loc[list(zip(same["t"], same["mother"]))].to_numpy()
    after = pos.loc[list(zip(same["t2"], same["daughter"]))].to_numpy()
    return (after - before).reshape(-1, 2)


def fit_sigma(moves: np.ndarray) -> float:
    """Per-axis motion scale: ``sigma^2 = mean(dy^2 + dx^2) / 2``.

    The maximum-likelihood estimate for an isotropic Gaussian move; meant for the
    step-1 moves of the calibration data (:func:`continuing_moves`).
    """
    if len(moves) == 0:
        raise ValueError("no continuing tracks to estimate the motion scale from")
    return float(np.sqrt((moves**2).sum(axis=1).mean() / 2.0))


TRACKERS = {"distance": DistanceTracker}


def make_tracker(name: str, params: dict, step: int = 1) -> DistanceTracker:
    """Build a tracker from its config entry (``sigma`` resolved to a number).

    With ``scale_with_step: true`` the motion scale grows like Brownian motion,
    ``sigma * sqrt(step)``; by default it stays fixed across steps, as in the paper.
    """
    try:
        cls = TRACKERS[name]
    except KeyError:
        raise ValueError(f"unknown tracker {name!r}; known: {sorted(TRACKERS)}") from None
    params = dict(params)
    if params.pop("scale_with_step", False):
        params["sigma"] = params["sigma"] * np.sqrt(step)
    return cls(**params)
