"""Frame-to-frame trackers, one small class per module, behind one contract.

=============  ==========================================================
type           cost model
=============  ==========================================================
distance       Gaussian motion on centroids (:mod:`.distance`)
overlap        distance-IoU of the masks (:mod:`.overlap`)
activity       Gaussian motion whose variance grows with each mother's activity (:mod:`.activity`)
transformer    Trackastra's association model, MC dropout (:mod:`.transformer`)
<module:Cls>   any class implementing :class:`Tracker`, e.g. ``mypkg.costs:AreaDistance``
=============  ==========================================================

A config entry ``trackers: {<name>: {type: ..., appear_cost, disappear_cost,
step_scaling, <the type's own keys>}}`` becomes a tracker for one subsampling step
through :func:`make_tracker`, after :meth:`Tracker.fit` resolved its ``auto`` values
on the calibration split.

The frame interval (``step_scaling``). The motion model stays fixed across steps
(the paper's setting), so the cost of a true link grows with the frame interval: for
Brownian motion ``E[w] = s`` at step ``s`` once ``sigma`` is fitted at step 1. With
``"linear"``, what is priced against it grows alike: ``w_a(s) = s * appear_cost``,
``w_d(s) = s * disappear_cost`` (:meth:`Tracker.price_at_step`), and the tracker's
perturbation variance is scaled by ``step_scale = s``. The MAP at step ``s`` is then
exactly the MAP of the costs ``w / s`` with the step-1 prices (the objective is scaled
by ``s``): the assignment a Brownian motion model of variance ``s sigma^2`` would
choose, while the link probabilities keep the fixed model, whose overconfidence
temperature scaling is there to absorb. A type whose cost does not grow like the
move's variance turns the same assumption into prices through its cost's form
(``overlap``: the cost of the move the step-1 price tolerated, grown like ``sqrt(s)``,
which stays below the bounded cost's maximum; :meth:`OverlapTracker.price_at_step`).
``"none"`` keeps the step-1 values at every step (the paper read
literally: the MAP stops linking at large steps).
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Mapping
from typing import Any

from uqtrack.trackers.activity import ActivityTracker
from uqtrack.trackers.base import Calibration, Frame, Tracker, nearest_candidates, param
from uqtrack.trackers.distance import DistanceTracker, continuing_moves, fit_sigma
from uqtrack.trackers.overlap import OverlapTracker
from uqtrack.trackers.transformer import TransformerTracker

TRACKER_TYPES: dict[str, type[Tracker]] = {
    "distance": DistanceTracker,
    "overlap": OverlapTracker,
    "activity": ActivityTracker,
    "transformer": TransformerTracker,
}

#: Keys every tracker entry may hold besides its type's own.
COMMON_KEYS = ("type", "appear_cost", "disappear_cost", "step_scaling")

__all__ = [
    "ActivityTracker",
    "COMMON_KEYS",
    "Calibration",
    "DistanceTracker",
    "Frame",
    "OverlapTracker",
    "TRACKER_TYPES",
    "Tracker",
    "TransformerTracker",
    "check_entry",
    "continuing_moves",
    "fit_sigma",
    "make_tracker",
    "nearest_candidates",
    "param",
    "tracker_class",
    "type_params",
]


def tracker_class(type_name: str) -> type[Tracker]:
    """The class of a tracker type: a built-in name or ``"module:Class"``."""
    if type_name in TRACKER_TYPES:
        return TRACKER_TYPES[type_name]
    if ":" not in type_name:
        raise ValueError(
            f"unknown tracker type {type_name!r}; known: {', '.join(TRACKER_TYPES)}"
            " or module:Class"
        )
    module, _, name = type_name.partition(":")
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"tracker type {type_name!r}: cannot import it ({exc})") from None
    if not (isinstance(cls, type) and issubclass(cls, Tracker)):
        raise ValueError(f"tracker type {type_name!r} is not a uqtrack.trackers.Tracker")
    return cls


def check_entry(entry: Mapping[str, Any]) -> None:
    """Raise ValueError naming the first fault of a tracker's config entry.

    The schema checks the built-in types' keys; this also covers ``module:Class``
    types: the class must import, be a :class:`Tracker`, and know every key.
    """
    cls = tracker_class(entry["type"])
    known = {f.name for f in dataclasses.fields(cls)} - {"step_scale"}
    unknown = sorted(set(type_params(entry)) - known - set(COMMON_KEYS))
    if unknown:
        raise ValueError(
            f"unknown key {', '.join(map(repr, unknown))} for type {entry.get('type')!r};"
            f" known keys: {', '.join(sorted(known | set(COMMON_KEYS)))}"
        )


def type_params(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The entry's keys that belong to its type's class (all but :data:`COMMON_KEYS`)."""
    return {k: v for k, v in entry.items() if k not in COMMON_KEYS}


def make_tracker(entry: Mapping[str, Any], params: Mapping[str, Any], step: int) -> Tracker:
    """The tracker of one config entry for subsampling step ``step``.

    Parameters
    ----------
    entry : mapping
        The config entry (``type``, prices, ``step_scaling``, own keys).
    params : mapping
        The type's own keys with ``auto`` values resolved (:meth:`Tracker.fit`).
    step : int
        Subsampling step: prices appearance and disappearance (under ``linear``,
        through the type's :meth:`Tracker.price_at_step`), scales the perturbation
        (module docstring).
    """
    cls = tracker_class(entry["type"])
    scaling = entry.get("step_scaling") or cls.default_step_scaling
    if scaling not in ("linear", "none"):
        raise ValueError(f"step_scaling must be 'linear' or 'none', got {scaling!r}")
    factor = float(step) if scaling == "linear" else 1.0
    prices = {name: float(entry.get(name, getattr(cls, name))) for name in ("appear_cost", "disappear_cost")}
    tracker = cls(**dict(params), **prices, step_scale=factor)
    if scaling == "none":
        return tracker
    # each type turns "the move's variance grew s-fold" into prices through its cost's form
    return dataclasses.replace(tracker, **{name: tracker.price_at_step(p) for name, p in prices.items()})
