"""Train an association model from scratch on annotated sequences.

One training sample is one frame pair ``(t, t + s)`` for every step ``s`` asked for
and every start ``t`` (all offsets, not only multiples of ``s``); the model sees the
pair re-indexed as times 0 and 1, exactly as :func:`~uqtrack.transformer.associate`
shows it. The loss is the cross-entropy of each daughter's true class (its true
mother, see :mod:`uqtrack.lineage`, or "no parent") under the very quiet-softmax
distribution that ``associate`` reads. Daughters whose true mother is beyond the
model's spatial cutoff cannot be learnt (probability 0) and are left out, counted.
Each sample is augmented by a random rotation, flip, scaling (0.8-1.25) and shift,
and a large frame pair is cut to a random disc of it (see ``max_cells``).

With ``window = w > 2`` (trackastra's way) a sample is ``w`` frames ``(t, t + s, ...,
t + (w - 1) s)`` re-indexed as times 0 to ``w - 1``, and the loss sums over every
later frame's daughters, each choosing among the cells of the frame before.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from uqtrack.lineage import NO_MOTHER, true_links
from uqtrack.transformer._trackastra import TrackingTransformer
from uqtrack.transformer.features import WRFEAT_DIM, coordinates, region_features
from uqtrack.transformer.model import FEATURES, AssociationModel, seeded_torch, torch_threads

__all__ = ["TrainingSequence", "train_model", "training_windows"]

log = logging.getLogger("uqtrack")


@dataclass(frozen=True)
class TrainingSequence:
    """One annotated sequence (or a frame range of one) to learn from.

    Attributes
    ----------
    detections : DataFrame
        ``frame, label, y, x`` (as :func:`uqtrack.ctc.read_detections` gives);
        restrict it to a frame range to train on part of a movie.
    tracks : DataFrame
        ``label, begin, end, parent`` as in CTC ``man_track.txt``.
    mask, image : callable(frame) -> 2D array, optional
        The label mask / raw image of a frame, read on demand; needed only to
        train a model with ``features="wrfeat"``.
    name : str
        For messages and the training record.
    """

    detections: pd.DataFrame
    tracks: pd.DataFrame
    mask: Callable[[int], np.ndarray] | None = None
    image: Callable[[int], np.ndarray] | None = None
    name: str = ""


@dataclass(frozen=True)
class _Window:
    """One training sample: the cells of ``len(sizes)`` frames at one step, in order."""

    coords: np.ndarray  # (N, 2) float64, frame by frame
    sizes: tuple[int, ...]  # cells per frame
    # (N,) per cell of frame k >= 1: index of its true mother among frame k - 1's cells,
    # or that frame's cell count for "no parent"; -1: not judged (frame 0, or a mother
    # beyond the cutoff or cut away)
    target: np.ndarray
    features: np.ndarray | None  # (N, F) float32

    @property
    def starts(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.sizes)])

    @property
    def judged(self) -> int:
        return int((self.target >= 0).sum())


def training_windows(seq: TrainingSequence, step: int, cutoff: float, features: str = "none",
                     window: int = 2) -> tuple[list[_Window], int]:
    """All windows of ``window`` frames ``(t, t + step, ...)`` of a sequence as training
    samples (a frame pair for ``window = 2``), for every start ``t``.

    A chain of frames at ``step`` shorter than ``window`` is one shorter window, as
    :func:`~uqtrack.transformer.window_spans` shows it at prediction. Returns the
    samples and the number of daughters not judged because their true mother is
    farther than ``cutoff`` pixels (in the last frame of a window they are left out,
    elsewhere they stay as mothers of the next frame).
    """
    det = seq.detections
    if det.empty:
        return [], 0
    cells = {int(f): g.sort_values("label") for f, g in det.groupby("frame")}
    last = max(cells)
    feats: dict[int, np.ndarray] = {}
    if features == "wrfeat":
        if seq.mask is None or seq.image is None:
            raise ValueError(f"sequence {seq.name!r}: features='wrfeat' needs mask and image readers")
        feats = {t: region_features(c, seq.mask(t), seq.image(t)) for t, c in cells.items()}
    empty = det.iloc[:0]
    samples: list[_Window] = []
    dropped = 0
    for offset in range(min(step, last + 1)):
        links = true_links(seq.tracks, det, step, frames=np.arange(offset, last + 1))
        mother_of = {int(t2): g.set_index("daughter")["mother"] for t2, g in links.groupby("t2")}
        chain = np.arange(offset, last + 1, step)
        for first in range(max(1, len(chain) - window + 1)):
            frames = [int(t) for t in chain[first:first + window]]
            if len(frames) < 2:
                continue
            sample, far = _window(frames, cells, mother_of, feats, cutoff, empty)
            if sample is not None:
                samples.append(sample)
                dropped += far
    return samples, dropped


def _window(frames, cells, mother_of, feats, cutoff, empty) -> tuple[_Window | None, int]:
    """One window's sample; None where nothing in it can be judged."""
    coords, targets, sizes, fs = [], [], [], []
    dropped = 0
    prev_xy = np.zeros((0, 2))
    prev_index: dict[int, int] = {}
    for k, t in enumerate(frames):
        c = cells.get(t, empty)
        xy = coordinates(c).astype(np.float64)
        target = np.full(len(c), -1)
        keep = np.ones(len(c), bool)
        if k and len(c) and t in mother_of:
            mother = mother_of[t].loc[c["label"]].to_numpy()
            m = len(prev_index)
            target = np.array([m if mo == NO_MOTHER else prev_index.get(int(mo), -1) for mo in mother])
            has = (target >= 0) & (target < m)
            far = np.zeros(len(c), bool)
            far[has] = np.hypot(*(prev_xy[target[has]] - xy[has]).T) > cutoff
            dropped += int(far.sum())
            target[far] = -1
            if k == len(frames) - 1:  # a last frame's unjudged daughter is nobody's mother
                keep = ~far
        coords.append(xy[keep])
        targets.append(target[keep])
        sizes.append(int(keep.sum()))
        if feats:
            fs.append(feats[t][keep] if t in feats else np.zeros((0, WRFEAT_DIM), np.float32))
        prev_xy = xy[keep]
        prev_index = {int(lab): i for i, lab in enumerate(c["label"].to_numpy()[keep])}
    target = np.concatenate(targets)
    if sizes[0] == 0:
        return None, 0
    if not (target >= 0).any():
        return None, dropped
    return _Window(np.concatenate(coords), tuple(sizes), target,
                   np.concatenate(fs) if feats else None), dropped


def _crop(win: _Window, rng: np.random.Generator, max_cells: int | None, margin: float) -> _Window:
    """A random disc of a large window: about ``max_cells / 2`` cells per later frame
    nearest to a random cell of the later frames, with every cell of the earlier
    frames within ``margin`` pixels more.

    Attention is local (``spatial_pos_cutoff``) anyway, and the cost of a sample
    grows with the square of its cells. Daughters whose true mother falls outside
    are not judged (in the last frame they are left out).
    """
    n_frames = len(win.sizes)
    if max_cells is None or len(win.coords) <= max_cells * n_frames // 2:
        return win
    starts = win.starts
    later = win.coords[starts[1]:]
    centre = later[rng.integers(len(later))]
    dist = np.hypot(*(win.coords - centre).T)
    radius = np.sort(dist[starts[1]:])[min(max(1, max_cells // 2) * (n_frames - 1), len(later)) - 1]
    coords, targets, sizes, fs = [], [], [], []
    new_index = np.zeros(0, np.int64)
    for k in range(n_frames):
        sl = slice(starts[k], starts[k + 1])
        target = win.target[sl]
        last = k == n_frames - 1
        keep = dist[sl] <= (radius if last else radius + margin)
        if k:
            m = win.sizes[k - 1]
            has = (target >= 0) & (target < m)
            mother = np.minimum(np.maximum(target, 0), max(m - 1, 0))
            kept_mother = np.zeros(len(target), bool)
            if m:
                kept_mother = new_index[mother] >= 0
            if last:
                keep &= ~has | kept_mother
            target = np.where(has, np.where(kept_mother, new_index[mother] if m else -1, -1),
                              np.where(target == m, int((new_index >= 0).sum()), -1))
        if not keep.any() and (k == 0 or last):  # no mother or no daughter left: keep it whole
            return win
        new_index = np.where(keep, np.cumsum(keep) - 1, -1)
        coords.append(win.coords[sl][keep])
        targets.append(target[keep])
        sizes.append(int(keep.sum()))
        if win.features is not None:
            fs.append(win.features[sl][keep])
    return _Window(np.concatenate(coords), tuple(sizes), np.concatenate(targets),
                   np.concatenate(fs) if win.features is not None else None)


def _augment(pair: _Window, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """Randomly rotated, flipped, scaled and shifted coordinates (and features)."""
    theta = rng.uniform(0, 2 * np.pi)
    scale = np.exp(rng.uniform(np.log(0.8), np.log(1.25)))
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    flip = np.diag([1.0, -1.0]) if rng.random() < 0.5 else np.eye(2)
    mat = scale * rot @ flip
    xy = (pair.coords - pair.coords.mean(axis=0)) @ mat.T
    xy = xy - xy.min(axis=0) + rng.uniform(0, 512, 2)
    feats = pair.features
    if feats is not None:  # diameter scales, inertia tensor I -> M I M^T, the rest stays
        feats = feats.copy()
        feats[:, 0] *= scale
        inertia = feats[:, 2:6].reshape(-1, 2, 2)
        feats[:, 2:6] = np.einsum("ij,njk,lk->nil", mat, inertia, mat).reshape(-1, 4)
    return xy.astype(np.float32), feats


def _batch_loss(net: TrackingTransformer, batch: list[_Window], rng: np.random.Generator,
                cutoff: float, max_cells: int | None) -> torch.Tensor:
    """Mean cross-entropy of the judged daughters' true classes over a padded batch:
    each daughter of frame ``k`` chooses among the cells of frame ``k - 1`` and "no
    parent" (the quiet softmax that :func:`~uqtrack.transformer.associate` reads)."""
    batch = [_crop(w, rng, max_cells, cutoff / 4) for w in batch]
    n = max(len(w.coords) for w in batch)
    coords = np.zeros((len(batch), n, 3), np.float32)
    pad = np.ones((len(batch), n), bool)
    feat_dim = batch[0].features.shape[1] if batch[0].features is not None else 0
    feats = np.zeros((len(batch), n, feat_dim), np.float32)
    for b, w in enumerate(batch):
        xy, f = _augment(w, rng)
        k = len(xy)
        coords[b, :k, 0] = np.repeat(np.arange(len(w.sizes)), w.sizes)
        coords[b, :k, 1:] = xy
        pad[b, :k] = False
        if f is not None:
            feats[b, :k] = f
    coords_t = torch.from_numpy(coords)
    a = net(coords_t, features=torch.from_numpy(feats) if feat_dim else None,
            padding_mask=torch.from_numpy(pad))
    losses = []
    for b, w in enumerate(batch):
        starts = w.starts
        for k in range(1, len(w.sizes)):
            mo, da = slice(starts[k - 1], starts[k]), slice(starts[k], starts[k + 1])
            target = w.target[da]
            judged = target >= 0
            if not judged.any():
                continue
            logits = a[b, mo, da].T  # (D, M)
            far = torch.cdist(coords_t[b, da, 1:], coords_t[b, mo, 1:]) > cutoff
            logits = logits.masked_fill(far, -torch.inf)
            logits = torch.cat([logits, logits.new_zeros(len(logits), 1)], dim=1)  # "no parent"
            if not judged.all():
                logits, target = logits[torch.from_numpy(judged)], target[judged]
            losses.append(torch.nn.functional.cross_entropy(
                logits, torch.from_numpy(target), reduction="sum"))
    return torch.stack(losses).sum() / sum(w.judged for w in batch)


def train_model(
    sequences: Sequence[TrainingSequence],
    *,
    seed: int,
    steps: Sequence[int] = (1,),
    iterations: int = 600,
    batch_size: int = 8,
    lr: float = 1e-3,
    d_model: int = 64,
    layers: int = 2,
    heads: int = 4,
    dropout: float = 0.1,
    cutoff: float = 256.0,
    features: str = "none",
    max_cells: int | None = 256,
    window: int = 2,
    threads: int = 1,
) -> AssociationModel:
    """Train a small trackastra ``TrackingTransformer`` from scratch.

    Parameters
    ----------
    sequences : sequence of TrainingSequence
        The training data; it must cover the cell density and motion the model
        will meet (a model that never saw a crowded frame fails on one).
    seed : int
        Seeds the weights, the sample order, the augmentation and the dropout.
        With the same ``threads`` the result is bit-identical on the CPU.
    steps : sequence of int
        Subsampling steps to learn: every frame pair ``(t, t + s)``.
    iterations : int
        Optimiser updates (AdamW, linear warm-up over the first 5 %, then cosine
        decay to 0); the training budget, deterministic unlike a time limit.
    batch_size : int
        Frame pairs per update.
    lr : float
        Peak learning rate.
    d_model, layers, heads : int
        Width, number of encoder (= decoder) layers, attention heads.
    dropout : float
        Attention dropout while training (MC dropout may use another rate).
    cutoff : float
        ``spatial_pos_cutoff`` in pixels: pairs farther apart have probability 0.
    features : {"none", "wrfeat"}
        What the model sees besides centroids (see :data:`~uqtrack.transformer.model.FEATURES`).
    max_cells : int or None
        A frame pair with more cells (both frames) is cut, each time it is drawn,
        to a random disc of about ``max_cells / 2`` daughters and the mothers
        within ``cutoff / 4`` pixels around them (a window of ``w`` frames with
        more than ``max_cells * w / 2``: the same disc in every frame); None: never cut.
    window : int
        Frames the model sees at once (trackastra's ``window``; its models use 4):
        2 shows it frame pairs; more, windows ``(t, t + s, ..., t + (w - 1) s)``,
        each later frame's daughters judged against the frame before, and
        :func:`~uqtrack.transformer.associate_window` averages a pair over the
        windows that hold it, as trackastra predicts.
    threads : int
        torch intra-op threads while training (more than 1 pays only on large
        frames of an idle machine).

    Returns
    -------
    AssociationModel
        In eval mode; ``info["uqtrack"]`` records the training set-up and counts.
    """
    if features not in FEATURES:
        raise ValueError(f"features must be one of {FEATURES}, got {features!r}")
    if iterations < 1 or batch_size < 1:
        raise ValueError("iterations and batch_size must be >= 1")
    if window < 2:
        raise ValueError(f"window must be >= 2 frames, got {window}")
    steps = sorted({int(s) for s in steps})
    if not steps or steps[0] < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    samples: list[_Window] = []
    record = []
    unreachable = 0
    for seq in sequences:
        for s in steps:
            windows, dropped = training_windows(seq, s, cutoff, features, window)
            samples += windows
            unreachable += dropped
            record.append({"name": seq.name, "step": s, "pairs" if window == 2 else "windows": len(windows)})
    if not samples:
        raise ValueError("no frame pair with cells in both frames to train on")
    rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(1,)))
    # Region features enter through trackastra's Fourier embedding (8 per feature):
    # fed raw (inertia tensors of hundreds of px^2) the model learnt nothing on the
    # E. coli colony (21 % argmax accuracy against 75 % embedded).
    wrfeat = features == "wrfeat"
    config = dict(coord_dim=2, feat_dim=WRFEAT_DIM if wrfeat else 0,
                  feat_embed_per_dim=8 if wrfeat else 1,
                  d_model=d_model, nhead=heads, num_encoder_layers=layers,
                  num_decoder_layers=layers, dropout=dropout, window=int(window),
                  spatial_pos_cutoff=int(cutoff) if float(cutoff).is_integer() else cutoff,
                  attn_positional_bias="rope", causal_norm="quiet_softmax")
    det_before = torch.are_deterministic_algorithms_enabled()
    tic = time.perf_counter()
    with seeded_torch(seed), torch_threads(threads):
        torch.use_deterministic_algorithms(True)
        try:
            net = TrackingTransformer(**config)
            opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=0.01)
            warm = max(1, iterations // 20)

            def factor(i: int) -> float:
                if i < warm:
                    return (i + 1) / warm
                return 0.5 * (1 + math.cos(math.pi * (i - warm) / max(1, iterations - warm)))

            sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
            net.train()
            for it in range(iterations):
                batch = [samples[i] for i in rng.integers(len(samples), size=batch_size)]
                loss = _batch_loss(net, batch, rng, cutoff, max_cells)
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                opt.step()
                sched.step()
                if (it + 1) % max(1, iterations // 10) == 0:
                    log.info("transformer training: %d/%d updates, loss %.4f, %.0f s",
                             it + 1, iterations, loss.item(), time.perf_counter() - tic)
        finally:
            torch.use_deterministic_algorithms(det_before)
    info = {"uqtrack": {
        "seed": int(seed), "steps": steps, "iterations": int(iterations),
        "batch_size": int(batch_size), "lr": float(lr), "threads": int(threads),
        "max_cells": None if max_cells is None else int(max_cells),
        "samples": len(samples), "unreachable_daughters": int(unreachable),
        "sequences": record,
    }}
    return AssociationModel(net, features, info)
