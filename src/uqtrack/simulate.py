"""Simulated 2D cell time-lapses in the Cell Tracking Challenge (CTC) layout.

The workflow's default dataset is simulated so that it runs anywhere without
network. Cells are discs that move by Brownian motion, push each other apart
(soft repulsion), grow, divide into two adjacent daughters, and enter or leave
the field of view. Ground truth follows CTC semantics:

* a track is one cell between divisions; at a division the mother track ends at
  frame ``t`` and two new tracks begin at ``t + 1`` with ``parent`` = mother;
* a cell leaving the field ends its track, an entering cell starts a new track
  with ``parent`` 0;
* every label has at least one pixel in every frame of ``begin..end`` and none
  outside it.

Realism is measured by :func:`motion_stats`: the ratio of the median move per
frame to the median nearest-neighbour distance decides how quickly linking turns
ambiguous under temporal subsampling (moves grow like ``sqrt(step)``; links get
ambiguous once ``sqrt(step) * ratio`` nears about 1/3). The two presets span the
real data: ``"nuclei"`` (ratio ~0.05, sparse, like Fluo-N2DH-SIM+ / HeLa) and
``"colony"`` (ratio ~0.3, dense and fast-dividing, like the E. coli colony).

All randomness comes from a passed :class:`numpy.random.Generator`, so the same
seed gives byte-identical files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tifffile
from scipy import ndimage

from uqtrack.ctc import write_man_track
from uqtrack.errors import InputError

__all__ = [
    "PRESETS",
    "SimParams",
    "Simulation",
    "motion_stats",
    "resolve_params",
    "simulate",
    "simulate_dataset",
    "write_ctc",
]

#: Parameter sets, each complete. Override any key with ``resolve_params``.
#:
#: Keys: ``n_frames``; ``shape`` (rows, cols); ``n_initial`` cells at frame 0;
#: ``layout`` of the initial cells (``"uniform"`` over the field or
#: ``"center"``, a tight cluster of founders); ``radius`` (mean, sd) in px of
#: newly drawn cells; ``growth_rate`` relative radius growth per frame;
#: ``division_rate`` probability per cell per frame while the population is small;
#: ``max_cells`` population cap (the division probability is scaled by
#: ``1 - (count / max_cells)**2``, reaching 0 at the cap); ``speed`` Brownian sd
#: per frame and axis in px;
#: ``spacing`` rest distance between two centres as a fraction of the sum of their
#: radii (below 1: neighbours overlap a little and split the boundary);
#: ``entry_rate`` expected cells entering at the borders per frame; ``brightness``
#: (mean, sd) cell intensity above background; ``background``; ``blur`` Gaussian
#: sd of the optics in px; ``noise`` sd of the additive Gaussian noise.
PRESETS: dict[str, dict[str, object]] = {
    "nuclei": {
        "n_frames": 61,
        "shape": (300, 300),
        "n_initial": 24,
        "layout": "uniform",
        "radius": (9.0, 1.0),
        "growth_rate": 0.004,  # ~ln(2)/2 * division_rate: area doubles per cycle
        "division_rate": 0.013,
        "max_cells": 200,
        "speed": 0.95,
        "spacing": 1.0,
        "entry_rate": 0.1,
        "brightness": (800.0, 150.0),
        "background": 100.0,
        "blur": 1.5,
        "noise": 25.0,
    },
    "colony": {
        "n_frames": 61,
        "shape": (256, 256),
        "n_initial": 3,
        "layout": "center",
        "radius": (5.0, 0.4),
        "growth_rate": 0.03,
        "division_rate": 0.085,
        "max_cells": 250,  # rarely reached within 61 frames, so divisions stay frequent
        "speed": 2.0,
        "spacing": 0.9,
        "entry_rate": 0.0,
        "brightness": (600.0, 100.0),
        "background": 100.0,
        "blur": 1.0,
        "noise": 20.0,
    },
}

_ORIGIN_CONTINUE, _ORIGIN_DAUGHTER, _ORIGIN_ENTRY = 0, 1, 2
_RELAX_ITERATIONS = 6  # soft-repulsion passes per frame


@dataclass(frozen=True)
class SimParams:
    """A complete, checked parameter set of the simulator (see :data:`PRESETS`)."""

    n_frames: int
    shape: tuple[int, int]
    n_initial: int
    layout: str
    radius: tuple[float, float]
    growth_rate: float
    division_rate: float
    max_cells: int
    speed: float
    spacing: float
    entry_rate: float
    brightness: tuple[float, float]
    background: float
    blur: float
    noise: float

    @classmethod
    def from_dict(cls, params: Mapping[str, object], source: str = "config") -> SimParams:
        """Check a complete parameter set and normalise its types.

        Raises
        ------
        InputError
            ``"<source>: <fault>"`` for an unknown, missing or invalid parameter.
        """
        known = [f.name for f in fields(cls)]
        for key in params:
            if key not in known:
                raise InputError(source, f"unknown simulation parameter '{key}'")
        for key in known:
            if key not in params:
                raise InputError(source, f"missing simulation parameter '{key}'")
        p: dict[str, Any] = dict(params)
        try:
            for key in ("n_frames", "n_initial", "max_cells"):
                p[key] = int(p[key])
            p["shape"] = tuple(int(v) for v in p["shape"])
            p["radius"] = tuple(float(v) for v in p["radius"])
            p["brightness"] = tuple(float(v) for v in p["brightness"])
            for key in ("growth_rate", "division_rate", "speed", "spacing", "entry_rate",
                        "background", "blur", "noise"):
                p[key] = float(p[key])
        except (TypeError, ValueError) as exc:
            raise InputError(source, f"bad simulation parameter value: {exc}") from None
        if p["n_frames"] < 1:
            raise InputError(source, "simulation parameter 'n_frames' must be >= 1")
        if len(p["shape"]) != 2 or min(p["shape"]) < 8:
            raise InputError(source, "simulation parameter 'shape' must be two sizes >= 8")
        if len(p["radius"]) != 2 or p["radius"][0] < 1.5 or p["radius"][1] < 0:
            raise InputError(source, "simulation parameter 'radius' must be (mean >= 1.5, sd >= 0)")
        if len(p["brightness"]) != 2:
            raise InputError(source, "simulation parameter 'brightness' must be (mean, sd)")
        if p["layout"] not in ("uniform", "center"):
            raise InputError(source, "simulation parameter 'layout' must be 'uniform' or 'center'")
        for key in ("growth_rate", "division_rate", "speed", "entry_rate", "blur", "noise"):
            if p[key] < 0:
                raise InputError(source, f"simulation parameter '{key}' must be >= 0")
        if not 0 < p["spacing"] <= 2:
            raise InputError(source, "simulation parameter 'spacing' must be in (0, 2]")
        if p["division_rate"] > 1:
            raise InputError(source, "simulation parameter 'division_rate' must be <= 1")
        if p["n_initial"] < 0 or p["max_cells"] < 1:
            raise InputError(source, "simulation parameters 'n_initial'/'max_cells' must be >= 0/1")
        return cls(**p)


@dataclass
class Simulation:
    """A simulated sequence with CTC ground truth.

    Attributes
    ----------
    masks : list of numpy.ndarray
        One 2D ``uint16`` label image per frame; label = track id, 0 = background.
    raw : list of numpy.ndarray
        One 2D ``uint16`` raw image per frame (blurred cells + noise).
    tracks : pandas.DataFrame
        Columns ``label, begin, end, parent`` (int64), sorted by label.
    params : SimParams
        The parameters that produced it.
    """

    masks: list[np.ndarray]
    raw: list[np.ndarray]
    tracks: pd.DataFrame
    params: SimParams


def resolve_params(
    preset: str, overrides: Mapping[str, object] | None = None, source: str = "config"
) -> SimParams:
    """Return a preset's parameters with ``overrides`` applied key by key.

    Parameters
    ----------
    preset : str
        A key of :data:`PRESETS`.
    overrides : mapping, optional
        Parameters replacing the preset's values.
    source : str
        Names where the preset and overrides came from in error messages (the
        workflow's config check: the config file and the key).

    Raises
    ------
    InputError
        For an unknown preset, or an unknown or invalid parameter.
    """
    if preset not in PRESETS:
        raise InputError(
            source, f"unknown simulation preset '{preset}' (known: {', '.join(PRESETS)})"
        )
    params = dict(PRESETS[preset])
    for key, value in (overrides or {}).items():
        if key not in params:
            raise InputError(source, f"unknown simulation parameter '{key}'")
        params[key] = value
    return SimParams.from_dict(params, source)


# --------------------------------------------------------------------------- cells
@dataclass
class _Cells:
    """Live cells as parallel arrays (one row per cell)."""

    pos: np.ndarray  # (n, 2) float, (row, col)
    rad: np.ndarray  # (n,) float
    bright: np.ndarray  # (n,) float
    label: np.ndarray  # (n,) int64; 0 = not yet assigned (new this frame)
    origin: np.ndarray  # (n,) int: _ORIGIN_*
    mother: np.ndarray  # (n,) int64 label of the mother for daughters, else 0

    @classmethod
    def empty(cls) -> _Cells:
        return cls(np.zeros((0, 2)), np.zeros(0), np.zeros(0), np.zeros(0, np.int64),
                   np.zeros(0, np.int64), np.zeros(0, np.int64))

    def __len__(self) -> int:
        return len(self.rad)

    def take(self, idx: np.ndarray) -> _Cells:
        return _Cells(self.pos[idx], self.rad[idx], self.bright[idx], self.label[idx],
                      self.origin[idx], self.mother[idx])

    def extend(self, other: _Cells) -> _Cells:
        return _Cells(*(np.concatenate([a, b]) for a, b in (
            (self.pos, other.pos), (self.rad, other.rad), (self.bright, other.bright),
            (self.label, other.label), (self.origin, other.origin),
            (self.mother, other.mother))))


def _draw_radius(p: SimParams, rng: np.random.Generator, n: int) -> np.ndarray:
    mean, sd = p.radius
    # Clip so no cell is too small to render or big enough to swallow neighbours.
    return np.clip(rng.normal(mean, sd, n), 0.6 * mean, mean + 3 * sd)


def _draw_brightness(p: SimParams, rng: np.random.Generator, n: int) -> np.ndarray:
    mean, sd = p.brightness
    return np.maximum(rng.normal(mean, sd, n), 0.2 * mean)


def _initial_cells(p: SimParams, rng: np.random.Generator) -> _Cells:
    n = p.n_initial
    h, w = p.shape
    rad = _draw_radius(p, rng, n)
    if p.layout == "center":
        # Founders in a tight cluster; repulsion spreads them to touching.
        spread = p.radius[0] * max(1.0, np.sqrt(n))
        pos = np.array([h / 2, w / 2]) + rng.normal(0, spread / 2, (n, 2))
    else:
        # Rejection sampling keeps initial cells from piling on top of each other.
        pos = np.zeros((n, 2))
        for i in range(n):
            for _ in range(50):
                cand = rng.uniform([0, 0], [h - 1, w - 1])
                if i == 0 or np.min(np.hypot(*(pos[:i] - cand).T) - rad[:i]) > rad[i]:
                    break
            pos[i] = cand
    return _Cells(pos, rad, _draw_brightness(p, rng, n), np.zeros(n, np.int64),
                  np.full(n, _ORIGIN_ENTRY), np.zeros(n, np.int64))


def _relax(pos: np.ndarray, rad: np.ndarray, spacing: float) -> np.ndarray:
    """Push overlapping cells apart (soft repulsion), a few passes.

    Each pass moves both cells of an overlapping pair half their overlap apart,
    damped, so dense clusters expand smoothly and centres keep a minimum distance
    (a cell is never fully hidden behind a neighbour).
    """
    pos = pos.copy()
    n = len(rad)
    if n < 2:
        return pos
    rest = spacing * (rad[:, None] + rad[None, :])
    for _ in range(_RELAX_ITERATIONS):
        diff = pos[:, None, :] - pos[None, :, :]
        dist = np.hypot(diff[..., 0], diff[..., 1])
        np.fill_diagonal(dist, np.inf)
        overlap = np.clip(rest - dist, 0, None)
        if not overlap.any():
            break
        # Coincident centres get a fixed direction (deterministic, no rng needed).
        safe = np.where(dist > 1e-9, dist, 1.0)
        unit = np.where((dist > 1e-9)[..., None], diff / safe[..., None], [1.0, 0.0])
        np.fill_diagonal(overlap, 0)
        pos += 0.4 * np.einsum("ij,ijk->ik", overlap, unit)
    return pos


def _render(cells: _Cells, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Label image with each pixel given to the nearest centre, distance scaled by radius.

    Returns the image of cell indices + 1 (0 = background) and the pixel count per
    cell. Pixels within a cell's radius go to the cell with the smallest
    ``|x - c| / r``, so touching cells split their boundary instead of one
    overwriting the other.
    """
    h, w = shape
    index = np.zeros(shape, np.int32)
    best = np.full(shape, np.inf)
    for i in range(len(cells)):
        (cy, cx), r = cells.pos[i], cells.rad[i]
        r0, r1 = max(int(np.floor(cy - r)), 0), min(int(np.ceil(cy + r)) + 1, h)
        c0, c1 = max(int(np.floor(cx - r)), 0), min(int(np.ceil(cx + r)) + 1, w)
        if r0 >= r1 or c0 >= c1:
            continue
        yy = np.arange(r0, r1)[:, None] - cy
        xx = np.arange(c0, c1)[None, :] - cx
        nd = np.sqrt(yy * yy + xx * xx) / r
        sub_best = best[r0:r1, c0:c1]
        win = (nd <= 1.0) & (nd < sub_best)
        sub_best[win] = nd[win]
        index[r0:r1, c0:c1][win] = i + 1
    counts = np.bincount(index.ravel(), minlength=len(cells) + 1)[1:]
    return index, counts


def _raw_image(index: np.ndarray, bright: np.ndarray, p: SimParams,
               rng: np.random.Generator) -> np.ndarray:
    """Blurred cell intensities on a background, plus Gaussian noise, as uint16."""
    signal = np.concatenate([[0.0], bright])[index]
    if p.blur > 0:
        signal = ndimage.gaussian_filter(signal, p.blur)
    img = p.background + signal + rng.normal(0.0, p.noise, index.shape)
    return np.clip(np.rint(img), 0, 65535).astype(np.uint16)


def _entries(p: SimParams, rng: np.random.Generator, cells: _Cells) -> _Cells:
    """Cells entering at a random border position, partly inside the field."""
    k = int(rng.poisson(p.entry_rate)) if p.entry_rate > 0 else 0
    h, w = p.shape
    new = _Cells.empty()
    for _ in range(k):
        r = _draw_radius(p, rng, 1)
        side = int(rng.integers(4))
        along = rng.uniform(0, (w - 1) if side < 2 else (h - 1))
        inset = rng.uniform(0, 0.5) * r[0]  # centre just inside: the cell is cut by the border
        spot = {0: (inset, along), 1: (h - 1 - inset, along),
                2: (along, inset), 3: (along, w - 1 - inset)}[side]
        pos = np.array([spot], float)
        others = cells.extend(new)
        bright = _draw_brightness(p, rng, 1)
        if len(others) and np.min(np.hypot(*(others.pos - pos).T) - others.rad) < r[0]:
            continue  # the border spot is taken; no entry this time
        new = new.extend(_Cells(pos, r, bright, np.zeros(1, np.int64),
                                np.array([_ORIGIN_ENTRY]), np.zeros(1, np.int64)))
    return new


def simulate(params: SimParams, rng: np.random.Generator) -> Simulation:
    """Simulate one sequence of moving, growing and dividing cells.

    Parameters
    ----------
    params : SimParams
        A complete parameter set, e.g. ``resolve_params("nuclei", {...})``; see
        :data:`PRESETS` for the keys.
    rng : numpy.random.Generator
        The only source of randomness.

    Returns
    -------
    Simulation
        Label masks, raw images and the CTC track table.

    Raises
    ------
    InputError
        For a simulation with more than 65535 tracks (16-bit masks).
    """
    p = params
    shape = p.shape
    h, w = shape
    masks: list[np.ndarray] = []
    raw: list[np.ndarray] = []
    tracks: dict[int, list[int]] = {}  # label -> [begin, end, parent]
    next_label = 1
    cells = _initial_cells(p, rng)
    cells.pos = _relax(cells.pos, cells.rad, p.spacing)
    # Mother state kept during a frame so a daughter that cannot be shown
    # cancels the division instead of leaving an empty track.
    mothers: dict[int, tuple[np.ndarray, float, float]] = {}

    for t in range(p.n_frames):
        if t > 0:
            cells, mothers = _step(cells, p, rng)
        # Drop (or undo) cells that would show no pixel; repeat since undoing a
        # division brings the mother back, and she must be checked too.
        while True:
            inside = ((cells.pos[:, 0] >= 0) & (cells.pos[:, 0] <= h - 1)
                      & (cells.pos[:, 1] >= 0) & (cells.pos[:, 1] <= w - 1))
            index, counts = _render(cells, shape)
            bad = ~inside | (counts == 0)
            if not bad.any():
                break
            cells = _drop(cells, bad, mothers, p)
        # Labels are given only now, once the frame is final, so they stay 1..N.
        for i in np.flatnonzero(cells.label == 0):
            cells.label[i] = next_label
            tracks[next_label] = [t, t, int(cells.mother[i])]
            next_label += 1
        for lab in cells.label:
            tracks[int(lab)][1] = t
        cells.origin[:] = _ORIGIN_CONTINUE
        cells.mother[:] = 0
        lut = np.concatenate([[0], cells.label]).astype(np.uint16)
        masks.append(lut[index])
        raw.append(_raw_image(index, cells.bright, p, rng))

    table = pd.DataFrame(
        [[lab, *v] for lab, v in sorted(tracks.items())],
        columns=["label", "begin", "end", "parent"],
    ).astype("int64") if tracks else pd.DataFrame(
        {c: pd.Series(dtype="int64") for c in ("label", "begin", "end", "parent")})
    if next_label > 65536:
        raise InputError("config", "simulation made more than 65535 tracks; lower the rates")
    return Simulation(masks=masks, raw=raw, tracks=table, params=p)


def _step(cells: _Cells, p: SimParams, rng: np.random.Generator
          ) -> tuple[_Cells, dict[int, tuple[np.ndarray, float, float]]]:
    """Advance the live cells of frame t to frame t + 1 (before visibility checks)."""
    h, w = p.shape
    n = len(cells)
    # Division probability falls to 0 at the cap (keeps colonies cheap); the
    # quadratic keeps it near division_rate until the colony is large.
    p_div = p.division_rate * max(0.0, 1.0 - (n / p.max_cells) ** 2)
    divide = rng.random(n) < p_div
    angle = rng.uniform(0, np.pi, n)
    keep = cells.take(np.flatnonzero(~divide))
    mothers: dict[int, tuple[np.ndarray, float, float]] = {}
    born = _Cells.empty()
    for i in np.flatnonzero(divide):
        # Daughters share the mother's area and sit on either side of her centre.
        r_d = max(cells.rad[i] / np.sqrt(2), 0.6 * p.radius[0])
        off = 0.5 * cells.rad[i] * np.array([np.cos(angle[i]), np.sin(angle[i])])
        pos = np.stack([cells.pos[i] + off, cells.pos[i] - off])
        if np.any(pos < 0) or np.any(pos[:, 0] > h - 1) or np.any(pos[:, 1] > w - 1):
            # A daughter born outside the field would have an empty track.
            keep = keep.extend(cells.take(np.array([i])))
            continue
        lab = int(cells.label[i])
        mothers[lab] = (cells.pos[i].copy(), float(cells.rad[i]), float(cells.bright[i]))
        jitter = rng.normal(1.0, 0.05, 2)  # sisters are alike but not identical
        born = born.extend(_Cells(pos, np.full(2, r_d), cells.bright[i] * jitter,
                                  np.zeros(2, np.int64), np.full(2, _ORIGIN_DAUGHTER),
                                  np.full(2, lab, np.int64)))
    cells = keep.extend(born)
    cells.pos = cells.pos + rng.normal(0.0, p.speed, cells.pos.shape)
    r_max = p.radius[0] + 3 * p.radius[1]
    # Growth stops at the largest drawn radius (cells that never divide stay bounded).
    grown = np.minimum(cells.rad * (1.0 + p.growth_rate), r_max)
    cells.rad = np.maximum(cells.rad, grown)
    cells = cells.extend(_entries(p, rng, cells))
    cells.pos = _relax(cells.pos, cells.rad, p.spacing)
    return cells, mothers


def _drop(cells: _Cells, bad: np.ndarray, mothers: dict[int, tuple[np.ndarray, float, float]],
          p: SimParams) -> _Cells:
    """Remove invisible cells: end continuing tracks, undo divisions, drop entries."""
    undo = {int(m) for m in cells.mother[bad & (cells.origin == _ORIGIN_DAUGHTER)]}
    remove = bad.copy()
    restored = _Cells.empty()
    for lab in sorted(undo):
        sisters = (cells.origin == _ORIGIN_DAUGHTER) & (cells.mother == lab)
        remove |= sisters
        pos0, rad0, bright0 = mothers.pop(lab)
        # The mother goes on where her daughters went, as one cell.
        restored = restored.extend(_Cells(
            cells.pos[sisters].mean(axis=0, keepdims=True),
            np.array([rad0 * (1.0 + p.growth_rate)]), np.array([bright0]),
            np.array([lab], np.int64), np.array([_ORIGIN_CONTINUE]), np.zeros(1, np.int64)))
    return cells.take(np.flatnonzero(~remove)).extend(restored)


# --------------------------------------------------------------------------- output
def write_ctc(sim: Simulation, out_dir: str | PathLike[str], seq: str) -> None:
    """Write a simulation in the Cell Tracking Challenge layout.

    Writes ``<out_dir>/<seq>/tNNN.tif`` (raw), ``<out_dir>/<seq>_GT/TRA/man_trackNNN.tif``
    (label masks) and ``<out_dir>/<seq>_GT/TRA/man_track.txt`` (``label begin end
    parent`` per line, sorted by label). Numbering has 3 digits (4 beyond 1000 frames).
    """
    out = Path(out_dir)
    raw_dir = out / seq
    tra_dir = out / f"{seq}_GT" / "TRA"
    raw_dir.mkdir(parents=True, exist_ok=True)
    tra_dir.mkdir(parents=True, exist_ok=True)
    digits = max(3, len(str(len(sim.masks) - 1)))
    for t, (mask, img) in enumerate(zip(sim.masks, sim.raw, strict=True)):
        # No metadata beyond the shape, so the bytes depend on the pixels only.
        tifffile.imwrite(raw_dir / f"t{t:0{digits}d}.tif", img, metadata=None)
        tifffile.imwrite(tra_dir / f"man_track{t:0{digits}d}.tif", mask, metadata=None)
    write_man_track(tra_dir / "man_track.txt", sim.tracks)


def simulate_dataset(
    out_dir: str | PathLike[str],
    sequences: list[str],
    preset: str,
    overrides: Mapping[str, object] | None,
    seed: int,
) -> None:
    """Simulate and write several sequences of one preset.

    Each sequence gets its own random stream from ``SeedSequence(seed,
    spawn_key=(index,))``: sequences differ, a rerun is byte-identical, and a
    sequence does not change when others are added after it.
    """
    params = resolve_params(preset, overrides)
    for i, seq in enumerate(sequences):
        rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(i,)))
        write_ctc(simulate(params, rng), out_dir, seq)


# --------------------------------------------------------------------------- stats
def _centroids(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels present in a mask and their centroids (row, col)."""
    flat = mask.ravel().astype(np.int64)
    n = int(flat.max(initial=0)) + 1
    counts = np.bincount(flat, minlength=n)
    rows, cols = np.indices(mask.shape)
    cy = np.bincount(flat, rows.ravel(), minlength=n)
    cx = np.bincount(flat, cols.ravel(), minlength=n)
    labels = np.flatnonzero(counts)
    labels = labels[labels > 0]
    return labels, np.stack([cy[labels], cx[labels]], axis=1) / counts[labels, None]


def motion_stats(sim: Simulation, step: int = 1) -> dict[str, float]:
    """Motion statistics of a simulation, measured on its masks as for real data.

    Parameters
    ----------
    sim : Simulation
    step : int
        Frame distance for the moves (1 = consecutive frames).

    Returns
    -------
    dict
        ``median_move`` (px, continuing tracks between t and t + step),
        ``median_nn_distance`` (px, centroid nearest neighbour per frame), their
        ``ratio``, ``division_rate`` (divisions per cell per frame), ``cells_min``,
        ``cells_mean``, ``cells_max`` (per frame), ``n_tracks``, ``n_divisions``,
        ``n_entering`` (tracks without parent starting after frame 0) and
        ``n_leaving`` (tracks ending before the last frame without dividing).
    """
    cents = []
    for m in sim.masks:
        labels, xy = _centroids(m)
        cents.append(dict(zip(labels.tolist(), xy)))
    moves: list[float] = []
    nn: list[float] = []
    for t, c in enumerate(cents):
        if len(c) >= 2:
            xy = np.array(list(c.values()))
            d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
            np.fill_diagonal(d, np.inf)
            nn.extend(d.min(axis=1).tolist())
        if t + step < len(cents):
            nxt = cents[t + step]
            moves.extend(float(np.hypot(*(nxt[k] - v))) for k, v in c.items() if k in nxt)
    tr = sim.tracks
    n_frames = len(sim.masks)
    parents = set(tr.loc[tr.parent > 0, "parent"].tolist())
    n_div = len(parents)
    per_frame = np.array([len(c) for c in cents]) if cents else np.zeros(1)
    exposure = per_frame[:-1].sum()  # cells that had a chance to divide
    med_move = float(np.median(moves)) if moves else float("nan")
    med_nn = float(np.median(nn)) if nn else float("nan")
    return {
        "median_move": med_move,
        "median_nn_distance": med_nn,
        "ratio": med_move / med_nn if nn and moves else float("nan"),
        "division_rate": float(n_div / exposure) if exposure else 0.0,
        "cells_min": int(per_frame.min()),
        "cells_mean": float(per_frame.mean()),
        "cells_max": int(per_frame.max()),
        "n_tracks": int(len(tr)),
        "n_divisions": int(n_div),
        "n_entering": int(((tr.parent == 0) & (tr.begin > 0)).sum()),
        "n_leaving": int(((tr.end < n_frames - 1) & ~tr.label.isin(parents)).sum()),
    }
