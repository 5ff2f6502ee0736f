"""``distance``: a Gaussian motion model on centroids (the paper's first tracker)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from uqtrack.errors import InputError
from uqtrack.lineage import NO_MOTHER
from uqtrack.trackers.base import Calibration, Tracker, nearest_candidates, param


@dataclass(frozen=True)
class DistanceTracker(Tracker):
    """``w_ij = ||x_i - x'_j||^2 / (2 sigma^2)`` on centroids.

    The negative log-likelihood of an isotropic Gaussian move of per-axis standard
    deviation ``sigma`` (pixels), without its normalising constant: the paper's
    ``lambda / 2 ||x_i - x'_j||^2`` with ``lambda = 1 / sigma^2``.

    Parameters
    ----------
    sigma : float
        Motion scale in pixels (``"auto"`` in the config: :meth:`fit`). Fixed
        across steps, as in the paper; the fitted temperature absorbs the growing
        displacement.
    max_candidates : int
        Each daughter's candidates are its ``max_candidates`` nearest mothers ...
    max_distance : float or None
        ... within this radius in pixels (None: no radius).
    perturb_var : float
        Variance of the centroid noise of ``fp`` / ``fpa`` **in units of the motion
        model's variance at this step**: each centroid gets
        ``N(0, perturb_var * step_scale * sigma^2 I)``. The paper's 0.1 then means a
        noise of ``0.32 sigma sqrt(s)`` per axis at step ``s``, whatever the pixel
        size. Read as 0.1 px^2 it moves nothing; read as ``0.1 sigma^2`` at every
        step it is swamped by the cost differences of large steps, which grow like
        ``s`` while the noise's effect on them grows like ``sqrt(s)``, so ``fpa``
        saturates at probability 1 (measured in the README).
    """

    sigma: float = param(1.0, exclusive_minimum=0, auto=True)
    max_candidates: int = param(10, minimum=1)
    max_distance: float | None = param(None, exclusive_minimum=0)
    perturb_var: float = param(0.1, minimum=0)

    default_step_scaling = "linear"

    @classmethod
    def fit(cls, params: Mapping[str, Any], calibration: Calibration) -> dict[str, Any]:
        """``sigma: auto`` -> :func:`fit_sigma` on the step-1 calibration moves."""
        params = dict(params)
        if params.get("sigma", "auto") == "auto":
            moves = np.concatenate(
                [continuing_moves(links, dets) for dets, links, _ in calibration.parts]
                or [np.empty((0, 2))]
            )
            if len(moves) == 0:
                raise InputError(
                    "calibration split",
                    "no cell continues its track at step 1, so sigma cannot be fitted; "
                    "give the tracker's sigma as a number",
                )
            params["sigma"] = fit_sigma(moves)
        return params

    def candidates(self, mothers: np.ndarray, daughters: np.ndarray) -> np.ndarray:
        return nearest_candidates(mothers, daughters, self.max_candidates, self.max_distance)

    def costs(self, mothers: np.ndarray, daughters: np.ndarray, edges: np.ndarray) -> np.ndarray:
        delta = mothers[edges[:, 0]] - daughters[edges[:, 1]]
        return np.einsum("ij,ij->i", delta, delta) / (2.0 * self.sigma**2)

    def perturb(self, centroids: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Centroids plus ``N(0, perturb_var * step_scale * sigma^2 I)`` noise."""
        scale = np.sqrt(self.perturb_var * self.step_scale) * self.sigma
        return centroids + rng.normal(0.0, scale, centroids.shape)

    def sample_costs(
        self, mothers: np.ndarray, daughters: np.ndarray, edges: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        return self.costs(self.perturb(mothers, rng), self.perturb(daughters, rng), edges)


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
