"""The tracker contract: what an uncertainty method may ask of a tracker.

A tracker turns the cells of two frames into an assignment problem. It

- reads what it needs from a :class:`Frame` (:meth:`Tracker.features`): centroids
  from the detection table, and label masks or the raw image only when it asks;
- proposes candidate edges ``(mother, daughter)`` (:meth:`Tracker.candidates`);
- prices them, ``w_ij >= 0``, a negative log-likelihood up to a constant
  (:meth:`Tracker.costs`);
- prices a daughter appearing (``appear_cost``, w_a) and a mother disappearing
  (``disappear_cost``, w_d) for the frame interval at hand (set by
  :func:`uqtrack.trackers.make_tracker`, with ``step_scale``);
- draws one perturbed set of costs for the perturbation methods ``fp`` and ``fpa``
  (:meth:`Tracker.sample_costs`), on its own scale, or K of them at once
  (:meth:`Tracker.sample_costs_batch`: by default K calls of ``sample_costs``);
- optionally gives its own probability that a daughter has no mother
  (:meth:`Tracker.none_log_prob`, per draw from ``sample_costs_batch``), which
  ``sm`` and ``fp`` then use instead of pricing it ``w_a + w_d``;
- optionally resolves parameters on the calibration split (:meth:`Tracker.fit`).

A type's config keys are its fields declared with :func:`param`: the field is the
key's one declaration (default, bounds, whether ``auto`` is allowed), the class's
Parameters section says what it means, and ``tests/test_tracker_params.py`` holds the
config schema and ``config/README.md`` to it.

The uncertainty methods (:mod:`uqtrack.uq`) see only this contract.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree


@dataclass(frozen=True)
class Frame:
    """One frame: its cells, and its label mask and raw image on demand.

    Parameters
    ----------
    t : int
        Frame number.
    cells : DataFrame
        The frame's rows of the detection table (``label, y, x, area, ...``),
        sorted by label; row ``i`` is cell ``i`` of the assignment problem.
    load_masks, load_image : callable, optional
        Read the frame's label image / raw image. Trackers that need neither never
        trigger a read, so whole sequences are never held in memory.
    """

    t: int
    cells: pd.DataFrame
    load_masks: Callable[[], np.ndarray] | None = field(default=None, repr=False)
    load_image: Callable[[], np.ndarray | None] | None = field(default=None, repr=False)

    def masks(self) -> np.ndarray:
        """The label image (``cells.label`` values mark each cell's pixels)."""
        if self.load_masks is None:
            raise ValueError(f"frame {self.t}: no label masks were given for this sequence")
        return self.load_masks()

    def image(self) -> np.ndarray | None:
        """The raw image, or None where the sequence has none."""
        return None if self.load_image is None else self.load_image()

    def centroids(self) -> np.ndarray:
        """``(y, x)`` of every cell, shape ``(n, 2)``."""
        return self.cells[["y", "x"]].to_numpy(dtype=np.float64)


@dataclass(frozen=True)
class Calibration:
    """What :meth:`Tracker.fit` may learn from: the calibration split at step 1.

    Attributes
    ----------
    parts : list of (detections, links, frames)
        Per calibration part: its detection table, its true links at step 1
        (``t, t2, daughter, mother``; see :func:`uqtrack.lineage.true_links`) and a
        function ``t -> Frame`` for masks and images.
    seed : int
        For trackers whose fit is random (training a model).
    """

    parts: Sequence[tuple[pd.DataFrame, pd.DataFrame, Callable[[int], Frame]]]
    seed: int = 0


def param(
    default: Any,
    *,
    minimum: float | None = None,
    exclusive_minimum: float | None = None,
    exclusive_maximum: float | None = None,
    choices: tuple[str, ...] | None = None,
    auto: bool = False,
    required: bool = False,
) -> Any:
    """A tracker type's config key: a dataclass field with its default and bounds.

    :meth:`Tracker.__post_init__` enforces the bounds; the config schema states the
    same (checked by ``tests/test_tracker_params.py``).

    Parameters
    ----------
    default
        What a tracker built without the key gets; the config's default too, unless
        ``auto`` or ``required``.
    minimum, exclusive_minimum, exclusive_maximum : float, optional
        Bounds (a value of None always passes: the field's type says whether it may be null).
    choices : tuple of str, optional
        The values a string key may take.
    auto : bool
        The config may say ``auto`` (its default there), which :meth:`Tracker.fit` resolves.
    required : bool
        The config must give the key (``default`` is a placeholder).
    """
    rules = {"minimum": minimum, "exclusiveMinimum": exclusive_minimum,
             "exclusiveMaximum": exclusive_maximum, "enum": choices}
    meta = {"param": True, "auto": auto, "required": required}
    return field(default=default, metadata=meta | {k: v for k, v in rules.items() if v is not None})


#: How :func:`param`'s bounds (named as in JSON schema) are checked, and said.
_BOUNDS = {"minimum": (operator.ge, ">="), "exclusiveMinimum": (operator.gt, ">"),
           "exclusiveMaximum": (operator.lt, "<")}


@dataclass(frozen=True)
class Tracker:
    """Base class of every tracker (see the module docstring for the contract).

    Subclasses are frozen dataclasses whose fields are the config keys of their
    type, declared with :func:`param` (a plain field with a default works too, unchecked).

    Parameters
    ----------
    appear_cost : float
        ``w_a``, the price of a daughter without a mother, for the frame interval of
        the problem at hand (the config gives it at step 1; :func:`uqtrack.trackers.make_tracker`).
    disappear_cost : float
        ``w_d``, the price of a mother without a daughter, likewise.
    """

    appear_cost: float = param(10.0, minimum=0)
    disappear_cost: float = param(10.0, minimum=0)
    #: How much the model's variance is taken to have grown at this step (``s`` under
    #: ``step_scaling: linear``, else 1); a tracker may scale its perturbation by it.
    step_scale: float = 1.0

    #: The type's default ``step_scaling`` (see :mod:`uqtrack.trackers`).
    default_step_scaling: ClassVar[str] = "none"

    def __post_init__(self) -> None:
        """Check every :func:`param` field's bounds and choices."""
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            for key, (holds, sign) in _BOUNDS.items():
                if key in f.metadata and not holds(value, f.metadata[key]):
                    raise ValueError(f"{f.name} must be {sign} {f.metadata[key]}, got {value!r}")
            if "enum" in f.metadata and value not in f.metadata["enum"]:
                raise ValueError(f"{f.name} must be one of {', '.join(f.metadata['enum'])}, got {value!r}")

    def price_at_step(self, price: float) -> float:
        """A step-1 price (``w_a`` or ``w_d``) for this step under ``step_scaling: linear``.

        Default: ``step_scale * price``. A cost that is a Gaussian negative
        log-likelihood of the move grows like ``s`` for a true link under Brownian
        motion (variance ``s sigma^2``), so the prices grow alike. A tracker whose
        cost grows otherwise with the move overrides this (``overlap``).
        """
        return self.step_scale * price

    @property
    def price_scale(self) -> float:
        """How much the prices, and so the cost differences that matter, grew since step 1.

        ``asf_slack`` (a cost difference) is multiplied by it. Default ``step_scale``.
        """
        return self.step_scale

    @classmethod
    def fit(cls, params: Mapping[str, Any], calibration: Calibration) -> dict[str, Any]:
        """Resolve parameters on the calibration split (default: nothing to fit)."""
        return dict(params)

    def for_sequence(self, frame: Callable[[int], Frame], pairs: Sequence[tuple[int, int]],
                     rng: Callable[[int], np.random.Generator] | None = None) -> Tracker:
        """This tracker for linking ``pairs`` of one sequence (``frame``: ``t -> Frame``).

        Default: itself. A tracker that looks beyond a pair's two frames (a
        transformer that sees windows of frames) returns a copy that can read the
        other frames of the sequence; ``rng(t)`` gives it a generator owned by the
        frame ``t`` for perturbations shared by several pairs.
        """
        return self

    def features(self, frame: Frame) -> Any:
        """What :meth:`candidates` and :meth:`costs` work on (default: centroids)."""
        return frame.centroids()

    def candidates(self, mothers: Any, daughters: Any) -> np.ndarray:
        """Candidate edges ``(mother, daughter)``, sorted by daughter, then mother."""
        raise NotImplementedError

    def costs(self, mothers: Any, daughters: Any, edges: np.ndarray) -> np.ndarray:
        """``w_ij >= 0`` for each candidate edge."""
        raise NotImplementedError

    def sample_costs(
        self, mothers: Any, daughters: Any, edges: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """One perturbed draw of the costs (``fp``, ``fpa``); edges stay fixed."""
        raise NotImplementedError(f"{type(self).__name__} has no perturbation")

    def sample_costs_batch(
        self, mothers: Any, daughters: Any, edges: np.ndarray, rng: np.random.Generator, k: int
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """K perturbed draws at once: ``(k, E)`` costs and ``(k, D)`` none log-probabilities.

        Default: ``k`` calls of :meth:`sample_costs` on ``rng`` in turn, and None (the
        tracker has no "no mother" probability of its own). A tracker whose draws
        are cheaper together (one batched forward pass) overrides this; its draws
        should equal ``k`` calls of :meth:`sample_costs` on the same generator.
        """
        draws = [self.sample_costs(mothers, daughters, edges, rng) for _ in range(int(k))]
        return np.array(draws).reshape(int(k), len(edges)), None

    def none_log_prob(self, mothers: Any, daughters: Any) -> np.ndarray | None:
        """The tracker's own ``log P(no mother)`` per daughter, or None (default).

        None: ``sm`` and ``fp`` price "no mother" as the assignment does,
        ``-(w_a + w_d)`` (:mod:`uqtrack.uq`). Never changes the assignment itself.
        """
        return None


def nearest_candidates(
    mothers: np.ndarray, daughters: np.ndarray, k: int, max_distance: float | None = None
) -> np.ndarray:
    """Each daughter's ``k`` nearest mothers (within ``max_distance``), as edges.

    Parameters
    ----------
    mothers, daughters : (M, d), (D, d) ndarray
        Positions.
    k : int
        Candidates per daughter (fewer where there are fewer mothers).
    max_distance : float, optional
        Radius; None: no radius.

    Returns
    -------
    (E, 2) ndarray of int64
        ``(mother, daughter)`` rows sorted by daughter, then mother.
    """
    if len(mothers) == 0 or len(daughters) == 0:
        return np.empty((0, 2), dtype=np.int64)
    k = min(int(k), len(mothers))
    bound = np.inf if max_distance is None else max_distance
    _, idx = cKDTree(mothers).query(daughters, k=k, distance_upper_bound=bound)
    idx = np.asarray(idx).reshape(len(daughters), k)
    daughter = np.repeat(np.arange(len(daughters)), k)
    mother = idx.ravel()
    keep = mother < len(mothers)  # cKDTree pads misses with n
    edges = np.column_stack([mother[keep], daughter[keep]]).astype(np.int64)
    return edges[np.lexsort((edges[:, 0], edges[:, 1]))]
