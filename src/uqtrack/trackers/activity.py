"""``activity``: a Gaussian motion model whose scale grows with each mother's activity.

After Ruzaeva et al., "Cell tracking for live-cell microscopy using an
activity-prioritized assignment strategy", IEEE IPAS 2022: a cell whose pixels
change much between the two frames is moving, growing or dividing, so its daughters
may lie farther away than those of a quiet cell.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

from uqtrack.errors import InputError
from uqtrack.lineage import NO_MOTHER
from uqtrack.trackers.base import Calibration, Frame, Tracker, nearest_candidates, param
from uqtrack.trackers.masks import PixelSets, row_image

#: Largest ``alpha`` the fit considers (activities are normalised to mean 1).
ALPHA_MAX = 1e4
SOURCES = ("image", "masks")


@dataclass(frozen=True)
class Cells:
    """A frame as the activity tracker sees it."""

    t: int
    centroids: np.ndarray  # (n, 2), from the detection table
    rows: np.ndarray  # row image: cell row + 1 per pixel, 0 background
    pixels: PixelSets  # each cell's pixels
    image: np.ndarray | None  # the raw image, where the sequence has one

    def __len__(self) -> int:
        return len(self.centroids)


def activity(mothers: Cells, daughters: Cells, source: str) -> np.ndarray:
    """Each mother's activity between its frame and the daughters' frame.

    ``image``: ``a_i = mean_{p in M_i} |I'(p) - I(p)|``, the mean absolute change
    of the raw intensity over the mother's mask (Ruzaeva et al.).
    ``masks``: ``a_i = 1 - max_j |M_i ∩ M'_j| / |M_i|``, the share of the mother's
    mask that its best-overlapping cell of the next frame does not cover (0: still;
    1: moved off its mask or replaced). Pixels outside the other frame are left out.

    Raises
    ------
    InputError
        ``source == "image"`` and a frame has no raw image.
    """
    px = mothers.pixels
    shape = daughters.rows.shape
    inside = (px.y < shape[0]) & (px.x < shape[1])
    if source == "image":
        for f in (mothers, daughters):
            if f.image is None:
                raise InputError(
                    f"frame {f.t}",
                    "no raw image, but the activity tracker uses raw images "
                    "(activity_source: image, or auto fitted on a calibration split that has them); "
                    "set activity_source: masks",
                )
        assert daughters.image is not None and mothers.image is not None  # checked above
        y, x = px.y[inside], px.x[inside]
        change = np.abs(daughters.image[y, x] - mothers.image[y, x])
        total = np.bincount(px.cell[inside], weights=change, minlength=px.n)
        count = np.bincount(px.cell[inside], minlength=px.n)
        with np.errstate(invalid="ignore"):
            return np.where(count > 0, total / np.maximum(count, 1), 0.0)
    if source != "masks":
        raise ValueError(f"activity source must be one of {SOURCES}, got {source!r}")
    cell = px.cell[inside]
    other = daughters.rows[px.y[inside], px.x[inside]].astype(np.int64)
    covered = other > 0
    codes, counts = np.unique(cell[covered] * (len(daughters) + 1) + other[covered], return_counts=True)
    best = np.zeros(px.n)
    np.maximum.at(best, codes // (len(daughters) + 1), counts)
    area = px.areas()
    with np.errstate(invalid="ignore"):
        return np.where(area > 0, 1.0 - best / np.maximum(area, 1.0), 0.0)


@dataclass(frozen=True)
class ActivityTracker(Tracker):
    """``w_ij = ||x_i - x'_j||^2 / (2 sigma_i^2) + log(sigma_i^2 / sigma^2)``.

    ``sigma_i^2 = sigma^2 (1 + alpha ã_i)`` with ``ã_i = max(a_i - activity_floor, 0)
    / activity_scale``: an isotropic Gaussian move of mother ``i`` whose variance
    grows linearly with its activity ``a_i`` (:func:`activity`) above a floor. ``w``
    is the 2-D Gaussian's negative log-likelihood less the constant
    ``log(2 pi sigma^2)`` of a mother without activity. The term
    ``log(sigma_i^2 / sigma^2) >= 0`` stays because the variances differ per mother:
    without it an active mother would be cheaper than a quiet one for every far
    daughter, and the sharper likelihood of quiet mothers (what makes their links
    more certain) would be lost. With ``alpha = 0`` this is the ``distance`` tracker.

    The floor: a still cell's intensity activity is not 0 but that of the imaging
    noise, and a variance linear in the raw activity through ``sigma^2`` at 0 then
    fits badly (the fit drives ``sigma`` to 0 and ``alpha`` to its bound).

    Parameters
    ----------
    sigma : float
        Motion scale in pixels of a mother at the activity floor (``auto``: :meth:`fit`).
    alpha : float
        How much the variance grows per unit of normalised activity (``auto``: fitted
        by maximum likelihood; 0 where activity tells nothing about the moves).
    activity_floor : float
        Activity of a still cell (``auto``: fitted by maximum likelihood among low
        quantiles of the calibration activities, :func:`fit_activity_model`).
    activity_scale : float
        Normalisation above the floor (``auto``: the mean of ``max(a_i - floor, 0)``
        over the calibration split, so that ``ã`` has mean 1 there).
    activity_source : str
        ``image`` (raw intensities) or ``masks`` (label images); ``auto`` resolves to
        ``image`` where every frame of the calibration split has a raw image.
    max_candidates, max_distance : int, float or None
        Each daughter's nearest mothers, within a radius, as for ``distance``.
    perturb_var : float
        Centroid noise of ``fp`` / ``fpa``, ``N(0, perturb_var * step_scale * sigma^2 I)``
        for mothers and daughters alike: the base ``sigma``, not ``sigma_i``, because
        the noise stands for where a centroid is measured, not how far a cell moves.
    """

    sigma: float = param(1.0, exclusive_minimum=0, auto=True)
    alpha: float = param(0.0, minimum=0, auto=True)
    activity_floor: float = param(0.0, minimum=0, auto=True)
    activity_scale: float = param(1.0, exclusive_minimum=0, auto=True)
    activity_source: str = param("masks", choices=SOURCES, auto=True)
    max_candidates: int = param(10, minimum=1)
    max_distance: float | None = param(None, exclusive_minimum=0)
    perturb_var: float = param(0.1, minimum=0)

    default_step_scaling = "linear"  # a Gaussian motion model, as `distance`

    def features(self, frame: Frame) -> Cells:
        rows = row_image(frame)
        image = frame.image() if self.activity_source == "image" else None
        if image is not None and image.shape != rows.shape:
            raise InputError(
                f"frame {frame.t}", f"raw image {image.shape} and masks {rows.shape} differ in shape"
            )
        return Cells(frame.t, frame.centroids(), rows, PixelSets.from_rows(rows, len(frame.cells)), image)

    def variances(self, mothers: Cells, daughters: Cells) -> np.ndarray:
        """``sigma_i^2`` of every mother."""
        a = self.normalised(activity(mothers, daughters, self.activity_source))
        return self.sigma**2 * (1.0 + self.alpha * a)

    def candidates(self, mothers: Cells, daughters: Cells) -> np.ndarray:
        return nearest_candidates(
            mothers.centroids, daughters.centroids, self.max_candidates, self.max_distance
        )

    def costs(self, mothers: Cells, daughters: Cells, edges: np.ndarray) -> np.ndarray:
        return self._costs(mothers.centroids, daughters.centroids, self.variances(mothers, daughters), edges)

    def _costs(self, xm: np.ndarray, xd: np.ndarray, var: np.ndarray, edges: np.ndarray) -> np.ndarray:
        i = edges[:, 0]
        delta = xm[i] - xd[edges[:, 1]]
        return np.einsum("ij,ij->i", delta, delta) / (2.0 * var[i]) + np.log(var[i] / self.sigma**2)

    def sample_costs(
        self, mothers: Cells, daughters: Cells, edges: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        scale = np.sqrt(self.perturb_var * self.step_scale) * self.sigma
        xm = mothers.centroids + rng.normal(0.0, scale, mothers.centroids.shape)
        xd = daughters.centroids + rng.normal(0.0, scale, daughters.centroids.shape)
        return self._costs(xm, xd, self.variances(mothers, daughters), edges)

    @classmethod
    def fit(cls, params: Mapping[str, Any], calibration: Calibration) -> dict[str, Any]:
        """Resolve ``activity_source``, ``activity_floor``, ``activity_scale``, ``sigma``
        and ``alpha`` where they are ``auto`` (:func:`fit_activity_model`), on the
        continuing cells of the calibration split at step 1.
        """
        params = dict(params)
        source = params.get("activity_source", "auto")
        if source == "auto":
            source = "image" if _all_have_images(calibration) else "masks"
        params["activity_source"] = source
        keys = ("sigma", "alpha", "activity_floor", "activity_scale")
        given = {k: None if params.get(k, "auto") == "auto" else float(params[k]) for k in keys}
        if all(v is not None for v in given.values()):
            return params
        moves, act = calibration_moves(calibration, source)
        if len(moves) == 0:
            raise InputError(
                "calibration split",
                "no cell continues its track at step 1, so the activity tracker cannot be fitted; "
                "give its sigma, alpha, activity_floor and activity_scale as numbers",
            )
        params.update(fit_activity_model(moves, act, **given))
        return params

    def normalised(self, a: np.ndarray) -> np.ndarray:
        """``max(a - activity_floor, 0) / activity_scale``."""
        return np.maximum(a - self.activity_floor, 0.0) / self.activity_scale


def _all_have_images(calibration: Calibration) -> bool:
    for _, links, frame in calibration.parts:
        for t in np.unique(links[["t", "t2"]].to_numpy()):
            if frame(int(t)).load_image is None:
                return False
    return True


def calibration_moves(calibration: Calibration, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Step-1 moves ``(dy, dx)`` of continuing cells and their mothers' activities."""
    tracker = ActivityTracker(activity_source=source)
    moves, acts = [], []
    for _, links, frame in calibration.parts:
        same = links[(links["mother"] == links["daughter"]) & (links["mother"] != NO_MOTHER)]
        cache: dict[int, Cells] = {}
        for (t, t2), group in same.groupby(["t", "t2"], sort=True):
            m = cache[t] if t in cache else tracker.features(frame(int(t)))
            d = tracker.features(frame(int(t2)))
            cache = {t2: d}  # consecutive pairs share a frame
            a = activity(m, d, source)
            i = _rows_of(frame(int(t)).cells, group["mother"])
            j = _rows_of(frame(int(t2)).cells, group["daughter"])
            moves.append(d.centroids[j] - m.centroids[i])
            acts.append(a[i])
    if not moves:
        return np.empty((0, 2)), np.empty(0)
    return np.concatenate(moves), np.concatenate(acts)


def _rows_of(cells: pd.DataFrame, labels: pd.Series) -> np.ndarray:
    return np.searchsorted(cells["label"].to_numpy(), labels.to_numpy())


#: Candidate floors of :func:`fit_activity_model`: quantiles of the calibration activities.
FLOOR_QUANTILES = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5)


def fit_activity_model(
    moves: np.ndarray,
    activity: np.ndarray,
    sigma: float | None = None,
    alpha: float | None = None,
    activity_floor: float | None = None,
    activity_scale: float | None = None,
) -> dict[str, float]:
    """Fit what is not given of ``d_i ~ N(0, sigma^2 (1 + alpha ã_i) I)``.

    ``ã_i = max(a_i - floor, 0) / scale``. The floor, if not given, is the quantile
    of ``a`` in :data:`FLOOR_QUANTILES` of largest likelihood; the scale, if not
    given, the mean of ``max(a_i - floor, 0)`` (1 where that is 0); ``sigma`` and
    ``alpha`` by :func:`fit_motion`.

    Parameters
    ----------
    moves : (n, 2) ndarray
        Step-1 moves of continuing cells.
    activity : (n,) ndarray
        Their mothers' raw activities.
    """
    a = np.asarray(activity, dtype=np.float64)
    floors = [activity_floor] if activity_floor is not None else np.quantile(a, FLOOR_QUANTILES)
    best = None
    for floor in floors:
        above = np.maximum(a - floor, 0.0)
        scale = activity_scale if activity_scale is not None else (float(above.mean()) or 1.0)
        fitted = fit_motion(moves, above / scale, sigma=sigma, alpha=alpha)
        if best is None or fitted[2] < best[2]:
            best = (*fitted, float(floor), scale)
    assert best is not None  # floors is never empty
    s, al, _, floor, scale = best
    return {"sigma": s, "alpha": al, "activity_floor": floor, "activity_scale": scale}


def fit_motion(
    moves: np.ndarray, activity: np.ndarray, sigma: float | None = None, alpha: float | None = None
) -> tuple[float, float, float]:
    """Maximum-likelihood ``sigma`` and ``alpha`` of moves ``d_i ~ N(0, sigma^2 (1 + alpha a_i) I)``.

    The negative log-likelihood of 2-D moves is, up to a constant,
    ``sum_i [log(sigma^2 v_i) + |d_i|^2 / (2 sigma^2 v_i)]`` with ``v_i = 1 + alpha a_i``.
    For fixed ``alpha`` it is minimised by ``sigma^2 = mean(|d_i|^2 / v_i) / 2``; that
    profile is minimised over ``alpha`` in ``[0, ALPHA_MAX]``. A given ``sigma`` or
    ``alpha`` is kept.

    Parameters
    ----------
    moves : (n, 2) ndarray
    activity : (n,) ndarray
        Normalised activities ``a_i >= 0``.

    Returns
    -------
    sigma, alpha, nll
        The estimates and the negative log-likelihood they reach.
    """
    sq = (np.asarray(moves, dtype=np.float64) ** 2).sum(axis=1)
    a = np.asarray(activity, dtype=np.float64)
    if sigma is None and not (sq > 0).any():
        raise InputError(
            "calibration split", "no cell moved at step 1, so sigma cannot be fitted; give it as a number"
        )

    def sigma2_of(al: float) -> float:
        return float(sigma**2) if sigma is not None else float(np.mean(sq / (1.0 + al * a)) / 2.0)

    def nll(al: float) -> float:
        var = sigma2_of(al) * (1.0 + al * a)
        return float(np.sum(np.log(var) + sq / (2.0 * var)))

    if alpha is None:
        # search u = log(1 + alpha): the likelihood changes on a log scale of alpha
        found = minimize_scalar(lambda u: nll(np.expm1(u)), bounds=(0.0, np.log1p(ALPHA_MAX)),
                                method="bounded", options={"xatol": 1e-6})
        alpha = float(np.expm1(found.x))
        if nll(0.0) <= nll(alpha):  # the bounded search does not try the end point itself
            alpha = 0.0
    return float(np.sqrt(sigma2_of(alpha))), float(alpha), nll(alpha)
